"""Catalog deadlines (C6): registrations and updates owed within 20 working days."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date, datetime
from typing import Literal

from sqlalchemy import select

from govdata.actions import ActionSet, Context
from govdata.catalog.events import ObligationOpened
from govdata.catalog.models import Obligation
from govdata.catalog.schemas import (
    DeadlineQuery,
    DeadlineReport,
    DepartmentDeadlines,
    ObligationCreate,
    ObligationOut,
)
from govdata.catalog.store import get_entry
from govdata.errors import InvalidInput
from govdata.events import record_event
from govdata.orgs.actions import get_organisation
from govdata.orgs.models import Organisation
from govdata.orgs.scopes import scoped_listing
from govdata.orgs.services import BEIJING
from govdata.workdays.calendar import CalendarNotCovered
from govdata.workdays.deadlines import REGISTRATION_WORKING_DAYS, deadline_status

actions = ActionSet("catalog-deadlines")


def _beijing_today() -> date:
    return datetime.now(BEIJING).date()


@actions.register(
    "obligation_create",
    ObligationCreate,
    example={"kind": "update", "entry_id": "<entry id>", "subject": "新增“经营范围”字段"},
    summary="Record a new resource to register or a change to update; the 20-working-day "
    "deadline starts on its date.",
)
def obligation_create(ctx: Context, data: ObligationCreate) -> ObligationOut:
    ctx.authorize_somewhere("catalog:obligation:create")
    if data.kind == "update":
        entry, org = get_entry(ctx.session, data.entry_id or "")
        if entry.published_number is None:
            raise InvalidInput("只有已发布的目录才有更新时限", fields={"entry_id": "目录尚未发布"})
        entry_id: str | None = entry.id
    else:
        org = get_organisation(ctx, data.organisation_id or "", field="organisation_id")
        entry_id = None
    ctx.authorize("catalog:obligation:create", org.ref)
    started_on = data.started_on or _beijing_today()
    if started_on > _beijing_today():
        raise InvalidInput(fields={"started_on": "不能晚于今天"})
    obligation = Obligation(
        kind=data.kind,
        organisation_id=org.id,
        subject=data.subject,
        entry_id=entry_id,
        started_on=started_on,
        created_by=ctx.actor.name,
    )
    ctx.session.add(obligation)
    ctx.session.flush()
    record_event(
        ctx,
        ObligationOpened(
            subject_id=obligation.id,
            kind=data.kind,
            organisation_id=org.id,
            started_on=started_on.isoformat(),
        ),
    )
    return _obligation_out(ctx, obligation, org, _beijing_today())


def _judge(
    ctx: Context, started_on: date, today: date
) -> tuple[date, int | None, Literal["on_time", "due_soon", "overdue"]]:
    """The due day, working days left and state of a task started on ``started_on``.

    The due day must lie in years the calendar covers (otherwise
    ``CalendarNotCovered``: never a guess). A task already past its due day is
    overdue even when today's year is not covered yet; only the count of working
    days since is then unknown (None).
    """
    calendar = ctx.services.calendar
    try:
        deadline = deadline_status(calendar, started_on, today)
    except CalendarNotCovered:
        due = calendar.add_working_days(started_on, REGISTRATION_WORKING_DAYS)
        if today <= due:
            raise
        return due, None, "overdue"
    return deadline.due, deadline.working_days_left, deadline.state.value


def _obligation_out(
    ctx: Context, obligation: Obligation, org: Organisation, today: date
) -> ObligationOut:
    due, left, state = _judge(ctx, obligation.started_on, today)
    return ObligationOut(
        id=obligation.id,
        kind="update" if obligation.kind == "update" else "register",
        organisation_id=org.id,
        organisation_name=org.name,
        subject=obligation.subject,
        entry_id=obligation.entry_id,
        system_id=obligation.system_id,
        started_on=obligation.started_on,
        due_on=due,
        working_days_left=left,
        state="fulfilled" if obligation.fulfilled_at is not None else state,
        fulfilled_at=obligation.fulfilled_at,
    )


@actions.register(
    "catalog_deadlines",
    DeadlineQuery,
    example={"state": "overdue"},
    summary="Open registrations and updates with their due day on the statutory calendar, "
    "counted by state and department.",
    read_only=True,
)
def catalog_deadlines(ctx: Context, data: DeadlineQuery) -> DeadlineReport:
    today = data.on or _beijing_today()
    query = select(Obligation, Organisation).join(
        Organisation, Organisation.id == Obligation.organisation_id
    )
    query = scoped_listing(ctx, query, "catalog:deadline:read", data.organisation_id)
    if not data.include_fulfilled:
        query = query.where(Obligation.fulfilled_at.is_(None))
    rows = ctx.session.execute(query.order_by(Obligation.started_on, Obligation.id))
    # A year the calendar does not cover raises CalendarNotCovered: never a guess.
    judged = [_obligation_out(ctx, obligation, org, today) for obligation, org in rows]
    counts = Counter(o.state for o in judged)
    per_department: dict[str, Counter[str]] = defaultdict(Counter)
    names: dict[str, str] = {}
    for o in judged:
        per_department[o.organisation_id][o.state] += 1
        names[o.organisation_id] = o.organisation_name
    selected = [o for o in judged if data.state is None or o.state == data.state]
    return DeadlineReport(
        judged_on=today,
        overdue=counts["overdue"],
        due_soon=counts["due_soon"],
        on_time=counts["on_time"],
        departments=sorted(
            (
                DepartmentDeadlines(
                    organisation_id=org_id,
                    organisation_name=names[org_id],
                    overdue=c["overdue"],
                    due_soon=c["due_soon"],
                    on_time=c["on_time"],
                )
                for org_id, c in per_department.items()
            ),
            key=lambda d: (-d.overdue, -d.due_soon, d.organisation_name),
        ),
        total=len(selected),
        obligations=selected[data.offset : data.offset + data.limit],
    )
