"""The query service (查询接口) and the verification service (核验接口), S2 and S3.

A registered application of the grantee department calls with a signed request
(or a consumer officer from the portal's test console, on its behalf). The query
service returns only the grant's fields, masked as granted, of rows inside the
grant's division scope: by key through the row-group index, or a filtered page
with the scope inside the DuckDB query. The verification service answers match
or no match per field (and a similarity score for names and addresses) and
never returns a stored value. Every delivery is counted against the grant's
daily quota, recorded as a ``sharing:delivery:served`` event and ledgered as
``sharing:delivery:made``; looked-up values of sensitive columns are recorded
as keyed pseudonyms. The actions read without the write lock and hand those
records to ``ctx.write_after``: the answer is returned only once they are
committed (govdata.web.group_commit).
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar

import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy.orm import Session

from govdata.actions import ActionSet, BatchedWrite, Context
from govdata.aggregation.data_actions import jsonable
from govdata.audit.guard import ReadAttempt, guard_read
from govdata.audit.lookups import recorded_where
from govdata.db import new_id
from govdata.errors import GovdataError, InvalidInput
from govdata.events import record_event
from govdata.masking.kinds import SensitiveKind
from govdata.sharing.quotas import QuotaUse, consume, consume_together
from govdata.sharing.reads import mask_for_grant
from govdata.sharing.service_calls import Call, prepare_call, record_service_refusal
from govdata.sharing.service_events import ServiceDelivered
from govdata.sharing.service_reads import scoped_page, stored_values
from govdata.sharing.service_schemas import (
    FieldVerdict,
    ServicePage,
    ServiceQuery,
    ServiceVerify,
    VerifyResult,
)
from govdata.sharing.terms import division_prefix

actions = ActionSet("sharing-services")

T = TypeVar("T")
SIMILAR_KINDS = (SensitiveKind.NAME, SensitiveKind.ADDRESS)
EXAMPLE_GRANT = "00000000-0000-0000-0000-000000000000"


def _audited(
    ctx: Context, action: str, data: ServiceQuery | ServiceVerify, run: Callable[[], T]
) -> T:
    try:
        return run()
    except GovdataError as error:
        record_service_refusal(ctx, action, data, error)
        raise


def _in_scope(call: Call, table: pa.Table) -> pa.Table:
    grant = call.grant
    if not (grant.division_codes and grant.division_column) or table.num_rows == 0:
        return table
    text = pc.cast(table.column(grant.division_column), pa.string())
    keep = None
    for code in grant.division_codes:
        match = pc.fill_null(pc.starts_with(text, division_prefix(code)), False)
        keep = match if keep is None else pc.or_(keep, match)
    return table.filter(keep)


def _equal(table: pa.Table, name: str, value: str) -> pa.Table:
    text = pc.cast(table.column(name), pa.string())
    return table.filter(pc.fill_null(pc.equal(text, value), False))


def _by_key(call: Call, ctx: Context, column: str, value: str, wanted: list[str]) -> pa.Table:
    """Rows of the version whose key column holds ``value``, in the grant's scope."""
    scope = [call.grant.division_column] if call.grant.division_codes else []
    names = list(dict.fromkeys([*wanted, *[c for c in scope if c]]))
    index = ctx.services.service_indexes.index(call.lake, call.version, column)
    table = index.lookup(stored_values(call.protection, column, [value]), names)
    if call.protection is not None:
        table = call.protection.decrypt(table)
    return _in_scope(call, table)


def _deliver(
    ctx: Context,
    call: Call,
    service: str,
    data: ServiceQuery | ServiceVerify,
    *,
    where: dict[str, str],
    fields: list[str],
    masked: dict[str, str],
    rows: int,
    release: str | None,
) -> str:
    """Name the delivery and have it recorded before the answer leaves: the quota
    it uses, the ``sharing:delivery:served`` event and its ledger entry, written
    once the reading transaction has ended (``ctx.write_after``). A quota spent
    meanwhile by other calls refuses it there, audited like any refusal."""
    delivery_id = new_id()
    delivered = ServiceDelivered(
        subject_id=call.grant.id,
        service=service,
        grant_id=call.grant.id,
        entry_id=call.grant.entry_id,
        holder_id=call.grant.holder_org_id,
        grantee_id=call.grant.grantee_org_id,
        application_id=call.application_id,
        on_behalf=call.on_behalf,
        source_id=call.source.id,
        version=call.version,
        where=where,
        fields=fields,
        masked=masked,
        rows=rows,
        client_address=ctx.client_address,
        audit_release=release,
    )
    use = QuotaUse(call.grant, call.day, rows, call.application_id)
    ctx.write_after(QuotaTaken(use, f"service_{service}", data))

    def record(writing: Context) -> None:
        record_event(writing, delivered, record_id=delivery_id)

    ctx.write_after(record)
    return delivery_id


@dataclass(frozen=True)
class QuotaTaken(BatchedWrite):
    """A call's share of its grant's quota, taken once the call has read; a
    refusal (the quota spent meanwhile) is audited. A batch's calls are counted
    together, one statement per grant."""

    use: QuotaUse
    action: str
    data: ServiceQuery | ServiceVerify

    def __call__(self, ctx: Context) -> None:
        use = self.use
        try:
            consume(ctx.session, use.grant, use.day, use.rows, use.application_id)
        except GovdataError as error:
            record_service_refusal(ctx, self.action, self.data, error)
            raise

    @classmethod
    def write_batch(cls, session: Session, writes: Sequence[QuotaTaken]) -> None:
        consume_together(session, [write.use for write in writes])


def _guard(
    ctx: Context, call: Call, action: str, *, rows: int, where: dict[str, str], offset: int
) -> str | None:
    return guard_read(
        ctx,
        ReadAttempt(
            action=action,
            subject_id=call.source.id,
            holder_id=call.source.organisation_id,
            grade=call.decision.grade.value if call.decision.grade else None,
            rows=rows,
            version=call.version,
            where=where,
            offset=offset,
        ),
    )


@actions.register(
    "service_query",
    ServiceQuery,
    example={"grant_id": EXAMPLE_GRANT, "key": "150102199003071237"},
    writes_later=True,
    summary="Query service (查询接口): records of a granted resource by key or a filtered "
    "page, only the grant's fields, masked as granted, only rows in its division scope.",
)
def service_query(ctx: Context, data: ServiceQuery) -> ServicePage:
    return _audited(ctx, "service_query", data, lambda: _query(ctx, data))


def _query(ctx: Context, data: ServiceQuery) -> ServicePage:
    call = prepare_call(ctx, data, "query")
    grant = call.grant
    if data.limit is not None and data.limit > grant.rows_per_call:
        raise InvalidInput(
            f"每次调用最多返回{grant.rows_per_call}行",
            code="service_quota_rows_per_call",
            fields={"limit": str(grant.rows_per_call)},
        )
    limit = min(data.limit or grant.rows_per_call, call.left.rows_for_call(grant))
    call.require_granted(list(data.where), "where")
    where = dict(data.where)
    key_column: str | None = None
    key: str | None = None
    if data.key is not None:
        key_column = call.key_column()
        call.require_granted([key_column], "key")
        key = call.check_key_value(key_column, data.key, "key")
    looked_up = ({key_column: key} if key_column and key else {}) | where
    recorded = recorded_where(ctx, looked_up, call.sensitive)
    release = _guard(ctx, call, "service_query", rows=limit, where=recorded, offset=data.offset)
    delivered = [column.name for column in call.columns if column.name in call.granted]
    if key_column is not None and key is not None:
        table = _by_key(call, ctx, key_column, key, [*delivered, *where])
        for name, value in where.items():
            table = _equal(table, name, value)
        total = table.num_rows
        table = table.slice(data.offset, limit).select(delivered)
    else:
        table, total = scoped_page(
            call.lake,
            call.version,
            call.protection,
            columns=delivered,
            where=where,
            scope_column=grant.division_column if grant.division_codes else None,
            scope_codes=list(grant.division_codes),
            limit=limit,
            offset=data.offset,
        )
    page = mask_for_grant(
        ctx, grant, table, {name: call.granted[name] for name in delivered}, call.kinds
    )
    rows = jsonable(page.table.to_pylist())
    delivery_id = _deliver(
        ctx,
        call,
        "query",
        data,
        where=recorded,
        fields=delivered,
        masked=page.masked,
        rows=len(rows),
        release=release,
    )
    return ServicePage(
        grant_id=grant.id,
        grant_number=grant.number,
        source_id=call.source.id,
        version=call.version,
        total=total,
        offset=data.offset,
        limit=limit,
        columns=delivered,
        rows=rows,
        masked=page.masked,
        delivery_id=delivery_id,
    )


@actions.register(
    "service_verify",
    ServiceVerify,
    example={
        "grant_id": EXAMPLE_GRANT,
        "values": {"id_number": "150102199003071237", "name": "李四"},
    },
    writes_later=True,
    summary="Verification service (核验接口): whether the values sent match the record "
    "with that key, per field (a similarity score for names and addresses); never the "
    "stored values.",
)
def service_verify(ctx: Context, data: ServiceVerify) -> VerifyResult:
    return _audited(ctx, "service_verify", data, lambda: _verify(ctx, data))


def _score(kind: SensitiveKind | None, claimed: str, stored: list[str]) -> float | None:
    if kind not in SIMILAR_KINDS or not stored:
        return None
    best = max(difflib.SequenceMatcher(None, claimed, value).ratio() for value in stored)
    return round(best, 2)


def _verify(ctx: Context, data: ServiceVerify) -> VerifyResult:
    call = prepare_call(ctx, data, "verify")
    key_column = call.key_column()
    if key_column not in data.values:
        raise InvalidInput(
            f"核验须提供主键“{key_column}”的值",
            code="service_key_required",
            fields={"values": key_column},
        )
    names = list(data.values)
    call.require_granted(names, "values")
    key = call.check_key_value(key_column, data.values[key_column], "values")
    recorded = recorded_where(ctx, {key_column: key}, call.sensitive)
    release = _guard(ctx, call, "service_verify", rows=1, where=recorded, offset=0)
    table = _by_key(call, ctx, key_column, key, names)
    found = table.num_rows > 0
    verdicts: list[FieldVerdict] = []
    for name in names:
        if name == key_column:
            verdicts.append(FieldVerdict(name=name, match=found))
            continue
        claimed = data.values[name].strip()
        stored = [
            str(value).strip() for value in table.column(name).to_pylist() if value is not None
        ]
        match = claimed in stored
        verdicts.append(
            FieldVerdict(
                name=name,
                match=match,
                score=None if match else _score(call.kinds.get(name), claimed, stored),
            )
        )
    delivery_id = _deliver(
        ctx,
        call,
        "verify",
        data,
        where=recorded,
        fields=names,
        masked={},
        rows=1 if found else 0,
        release=release,
    )
    return VerifyResult(
        grant_id=call.grant.id,
        grant_number=call.grant.number,
        source_id=call.source.id,
        version=call.version,
        found=found,
        fields=verdicts,
        delivery_id=delivery_id,
    )
