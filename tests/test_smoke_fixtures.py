from sqlalchemy import func, select
from sqlalchemy.orm import Session

from govdata.orgs.models import Organisation


def test_demo_region_is_loaded_once_for_the_run(session: Session) -> None:
    regions = session.scalar(
        select(func.count()).select_from(Organisation).where(Organisation.kind == "region")
    )
    assert regions == 116
