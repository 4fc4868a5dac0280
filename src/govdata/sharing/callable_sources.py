"""The sources behind granted entries that the query and verification services read.

The services read the lake table of one of the entry's physical sources; when the
entry has several, a call names one as ``source_id`` (``service_source_ambiguous``
otherwise). A grant lists them so an application learns those ids from the grant it
was given (``grant_get``, ``grant_list``) without being allowed to read the sources
themselves. Only names and key columns are shown: nothing of the data.
"""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import select
from sqlalchemy.orm import Session

from govdata.aggregation.models import Run, Source
from govdata.sharing.schemas import GrantSourceOut


def callable_sources(
    session: Session, entry_ids: Collection[str]
) -> dict[str, list[GrantSourceOut]]:
    """Entry id → its physical sources, oldest first (the order the services use)."""
    if not entry_ids:
        return {}
    sources = list(
        session.scalars(
            select(Source)
            .where(Source.entry_id.in_(list(entry_ids)), Source.mode == "physical")
            .order_by(Source.created_at, Source.id)
        )
    )
    loaded = set(
        session.scalars(
            select(Run.source_id)
            .where(
                Run.source_id.in_([source.id for source in sources]),
                Run.status == "succeeded",
                Run.version.is_not(None),
            )
            .distinct()
        )
    )
    found: dict[str, list[GrantSourceOut]] = {entry_id: [] for entry_id in entry_ids}
    for source in sources:
        found[source.entry_id].append(
            GrantSourceOut(
                id=source.id,
                name=source.name,
                key_columns=list(source.key_columns),
                loaded=source.id in loaded,
            )
        )
    return found
