"""The data a grant lets its grantee receive in bulk or by subscription.

A grant names a catalog entry; its data is the lake table of the entry's
physical source. What leaves the node is only the granted fields, masked as
granted, and only the rows in the grant's division scope: the same
:func:`govdata.sharing.reads.restrict_to_grant` that ``data_read`` applies, fed
with the version's rows decrypted (encrypted columns are stored as ciphertexts).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy import select
from sqlalchemy.orm import Session

from govdata.access.enforce import require_grade
from govdata.access.policy import Decision, ReadKind, Relation
from govdata.actions import Context
from govdata.aggregation.columns import ColumnSpec
from govdata.aggregation.masked_reads import MaskedPage, sensitive_columns
from govdata.aggregation.models import Source
from govdata.aggregation.store import declared_columns, org_ref
from govdata.catalog.grading import data_resource
from govdata.errors import Forbidden, InvalidInput, NotFound
from govdata.lake.location import StorageLocation
from govdata.lake.protection import TableProtection, protection_for_reading
from govdata.lake.tables import LakeTable
from govdata.masking.kinds import SensitiveKind
from govdata.sharing.grant_source import access_grant
from govdata.sharing.models import Grant
from govdata.sharing.reads import granted_columns, restrict_to_grant
from govdata.sharing.store import get_grant
from govdata.sharing.terms import METHOD_LABELS, today

RECEIVE = "sharing:receive"


@dataclass(frozen=True)
class GrantedTable:
    """A grant with the source table behind it and what reading it needs."""

    grant: Grant
    source: Source
    lake: LakeTable
    columns: list[ColumnSpec]
    kinds: dict[str, SensitiveKind | None]
    allowed: dict[str, str]  # column → strategy of the granted item

    def stored_columns(self) -> list[str]:
        """Columns read from the lake: the granted ones, the scope column and the keys."""
        wanted = [*self.allowed, *self.source.key_columns]
        if self.grant.division_column:
            wanted.append(self.grant.division_column)
        known = {column.name for column in self.columns}
        return [name for name in dict.fromkeys(wanted) if name in known]


def refuse_unless_usable(grant: Grant, method: str) -> None:
    """Refused unless the grant is live and carries ``method``."""
    if grant.status == "revoked":
        raise Forbidden("共享授权已撤销", code="grant_revoked", fields={"grant_id": grant.id})
    if grant.status == "suspended":
        raise Forbidden("共享授权已暂停", code="grant_suspended", fields={"grant_id": grant.id})
    day = today()
    if day < grant.starts_on:
        raise Forbidden("共享授权尚未生效", code="grant_not_started", fields={"grant_id": grant.id})
    if day > grant.ends_on:
        raise Forbidden("共享授权已到期", code="grant_expired", fields={"grant_id": grant.id})
    if method not in grant.methods:
        raise Forbidden(
            f"共享授权不含“{METHOD_LABELS[method]}”方式",
            code="grant_method_not_granted",
            fields={"method": method},
        )


def grant_for_receiving(ctx: Context, grant_id: str, method: str) -> tuple[Grant, Decision]:
    """The grant the caller may receive data under by ``method``, and the grade decision.

    The caller must be a consumer officer of the grantee (an application named by
    the grant, if it names any); the grant live with ``method``; and the entry's
    grade within the grant's ceiling.
    """
    ctx.authorize_somewhere(RECEIVE)
    grant = get_grant(ctx.session, grant_id)
    ctx.authorize(RECEIVE, org_ref(ctx.session, grant.grantee_org_id))
    if (
        ctx.actor.kind == "application"
        and grant.application_ids
        and ctx.actor.id not in grant.application_ids
    ):
        raise Forbidden("共享授权未列明此应用", code="grant_application_not_allowed")
    refuse_unless_usable(grant, method)
    return grant, decide_values(ctx, grant)


def decide_values(ctx: Context, grant: Grant) -> Decision:
    """The grade decision of receiving the entry's values under ``grant``."""
    resource = data_resource(ctx.session, grant.entry_id)
    return require_grade(ctx, [resource], ReadKind.VALUES, [access_grant(grant)])


def system_decision(grant: Grant) -> Decision:
    """The decision the dispatcher acts on (the grant was decided when subscribed;
    it is checked live again before each batch)."""
    return Decision(
        allowed=True,
        reason="allowed",
        kind=ReadKind.VALUES,
        resource_id=grant.entry_id,
        grade=None,
        relation=Relation.GRANTED,
        grant_id=grant.id,
    )


def granted_table(session: Session, location: StorageLocation, grant: Grant) -> GrantedTable:
    """The physical source of the grant's entry whose table exists (the oldest first)."""
    sources = session.scalars(
        select(Source)
        .where(Source.entry_id == grant.entry_id, Source.mode == "physical")
        .order_by(Source.created_at, Source.id)
    ).all()
    for source in sources:
        lake = LakeTable(location, source.table_name)
        if lake.exists():
            columns = declared_columns(source)
            return GrantedTable(
                grant=grant,
                source=source,
                lake=lake,
                columns=columns,
                kinds=sensitive_columns(session, source, columns),
                allowed=granted_columns(grant, columns),
            )
    raise NotFound("授权目录的数据尚未归集入库", code="grant_source_missing")


def check_where(granted: GrantedTable, where: Mapping[str, str]) -> None:
    """A filtered extract filters only on granted columns."""
    outside = sorted(name for name in where if name not in granted.allowed)
    if outside:
        raise Forbidden(
            f"共享授权不含这些字段，不能按其筛选：{'、'.join(outside)}",
            code="grant_field_not_granted",
            fields={"where": "、".join(outside)},
        )


def reading_protection(ctx: Context, granted: GrantedTable, version: int) -> TableProtection | None:
    return protection_for_reading(ctx.session, ctx.services.keystore, granted.lake, version)


def plain_rows(
    table: pa.Table, protection: TableProtection | None, where: Mapping[str, str]
) -> pa.Table:
    """Stored rows decrypted, then filtered by the extract's equality conditions."""
    if protection is not None:
        table = protection.decrypt(table)
    for name, value in where.items():
        text = pc.cast(table.column(name), pa.string())
        table = table.filter(pc.fill_null(pc.equal(text, value), False))
    return table


def as_granted(
    ctx: Context,
    granted: GrantedTable,
    decision: Decision,
    table: pa.Table,
    where: Mapping[str, str],
) -> MaskedPage:
    """Plain rows restricted to what the grant allows: its fields masked, its rows."""
    page = restrict_to_grant(
        ctx, decision, granted.columns, table, filtered_by=list(where), kinds=granted.kinds
    )
    if page is None:  # pragma: no cover - decisions here always name a stored grant
        raise InvalidInput("共享授权不存在", code="grant_not_found")
    return page
