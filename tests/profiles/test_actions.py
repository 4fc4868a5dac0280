"""Profile actions authorise themselves: callers without the role learn nothing."""

from __future__ import annotations

import pytest

from govdata.actions import ActionRegistry, Context
from govdata.errors import Forbidden, Unauthenticated
from tests.factories import anonymous, region


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("profile_get", {"id": "00000000-0000-0000-0000-000000000000"}),
        ("profile_search", {"kind": "person", "id_number": "150102198503120017"}),
        ("profile_build", {"kind": "person", "organisation_id": "x", "source_ids": ["y"]}),
    ],
)
def test_anonymous_callers_are_refused(
    registry: ActionRegistry, operator: Context, name: str, data: dict[str, object]
) -> None:
    if name == "profile_build":
        data = dict(data, organisation_id=region(operator.session, "150000").id)
    with pytest.raises((Forbidden, Unauthenticated)):
        registry.run(name, anonymous(operator), data)
