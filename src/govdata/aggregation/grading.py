"""Sources and libraries as the grade decision sees them (X2).

A source's data is graded by its catalog entry (see :mod:`govdata.catalog.grading`)
and held by the entry's department. A library copies its members' data without
changing who holds it: reading a library is reading each member's part, decided
against that part's own holder and grade, so that no role at the library's
organisation reaches data it could not read at the source.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from govdata.access.policy import Decision, GradedResource
from govdata.actions import Context
from govdata.aggregation.events import DataRead
from govdata.aggregation.models import Library, LibraryMember, Source
from govdata.aggregation.store import org_ref
from govdata.catalog.grading import data_resource
from govdata.events import record_event

if TYPE_CHECKING:
    from govdata.aggregation.masked_reads import MaskedPage


def source_resource(session: Session, source: Source) -> GradedResource:
    return data_resource(session, source.entry_id)


def library_resources(session: Session, library: Library) -> list[GradedResource]:
    """One resource per member entry; a library without members is ungraded data
    of the library's organisation (it holds nothing yet, and nothing is served)."""
    entry_ids = session.scalars(
        select(Source.entry_id)
        .join(LibraryMember, LibraryMember.source_id == Source.id)
        .where(LibraryMember.library_id == library.id)
        .distinct()
        .order_by(Source.entry_id)
    ).all()
    if not entry_ids:
        return [GradedResource(library.id, org_ref(session, library.organisation_id), None)]
    return [data_resource(session, entry_id) for entry_id in entry_ids]


def decision_fields(decision: Decision) -> dict[str, str | None]:
    """What a read event records of the decision that allowed it."""
    return {
        "grade": decision.grade.value if decision.grade else None,
        "relation": decision.relation.value if decision.relation else None,
        "grant_id": decision.grant_id,
    }


def record_read(
    ctx: Context,
    decision: Decision,
    *,
    release: str | None,
    page: MaskedPage | None = None,
    **what: Any,
) -> None:
    """Record a read of data (``what``: the DataRead fields saying which data) with
    the decision that allowed it, where the request came from, the audit release
    that let it through and the masking applied."""
    masking: dict[str, Any] = (
        {} if page is None else {"audience": page.audience.value, "masked": page.masked}
    )
    record_event(
        ctx,
        DataRead(
            client_address=ctx.client_address,
            audit_release=release,
            **masking,
            **decision_fields(decision),
            **what,
        ),
    )
