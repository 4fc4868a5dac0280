"""Information systems (数据—系统): registering one opens a registration deadline."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from govdata.actions import ActionSet, Context
from govdata.catalog.events import ObligationOpened, SystemRegistered
from govdata.catalog.models import InformationSystem, Obligation
from govdata.catalog.schemas import SystemCreate, SystemOut, SystemQuery
from govdata.errors import Conflict, InvalidInput
from govdata.events import record_event
from govdata.orgs.actions import get_organisation
from govdata.orgs.models import Organisation
from govdata.orgs.services import BEIJING

actions = ActionSet("catalog-systems")


def _system_out(system: InformationSystem, org: Organisation) -> SystemOut:
    return SystemOut(
        id=system.id,
        organisation_id=org.id,
        organisation_name=org.name,
        name=system.name,
        description=system.description,
        started_on=system.started_on,
        created_at=system.created_at,
    )


@actions.register(
    "system_register",
    SystemCreate,
    example={"organisation_id": "<department id>", "name": "市场主体登记系统"},
    summary="Register an information system of a department; the resources it produces "
    "must be catalogued within 20 working days.",
)
def system_register(ctx: Context, data: SystemCreate) -> SystemOut:
    ctx.authorize_somewhere("catalog:system:register")
    org = get_organisation(ctx, data.organisation_id, field="organisation_id")
    ctx.authorize("catalog:system:register", org.ref)
    if org.kind != "department":
        raise InvalidInput("信息系统须属于部门", fields={"organisation_id": "不是部门"})
    taken = ctx.session.scalar(
        select(InformationSystem.id).where(
            InformationSystem.organisation_id == org.id, InformationSystem.name == data.name
        )
    )
    if taken is not None:
        raise Conflict("该部门已登记同名信息系统", code="system_name_taken")
    started_on = data.started_on or datetime.now(BEIJING).date()
    system = InformationSystem(
        organisation_id=org.id,
        name=data.name,
        description=data.description,
        started_on=started_on,
        created_by=ctx.actor.name,
    )
    ctx.session.add(system)
    ctx.session.flush()
    obligation = Obligation(
        kind="register",
        organisation_id=org.id,
        subject=f"登记信息系统“{data.name}”产生的数据资源",
        system_id=system.id,
        started_on=started_on,
        created_by=ctx.actor.name,
    )
    ctx.session.add(obligation)
    ctx.session.flush()
    record_event(
        ctx, SystemRegistered(subject_id=system.id, organisation_id=org.id, system_name=data.name)
    )
    record_event(
        ctx,
        ObligationOpened(
            subject_id=obligation.id,
            kind="register",
            organisation_id=org.id,
            started_on=started_on.isoformat(),
        ),
    )
    return _system_out(system, org)


@actions.register(
    "system_list",
    SystemQuery,
    example={"organisation_id": "<department id>"},
    summary="Registered information systems, of one department or all.",
    read_only=True,
)
def system_list(ctx: Context, data: SystemQuery) -> list[SystemOut]:
    ctx.authorize("catalog:system:read")
    query = select(InformationSystem, Organisation).join(
        Organisation, Organisation.id == InformationSystem.organisation_id
    )
    if data.organisation_id is not None:
        query = query.where(InformationSystem.organisation_id == data.organisation_id)
    rows = ctx.session.execute(
        query.order_by(Organisation.name, InformationSystem.name).limit(1000)
    )
    return [_system_out(system, org) for system, org in rows]
