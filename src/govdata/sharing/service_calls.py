"""What every service call goes through before any data is read: the grant named,
the caller and the application it acts for, the grant's methods, period, status
and quota, the grade decision, and the table version to read (S2, S3).

Each refusal is its own stable code with a Chinese message; refusals are audited
(``audit:request:refused``: by the registry for ``Forbidden``, by
:func:`record_service_refusal` for the others) and nothing is delivered.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from datetime import date
from typing import Any

from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session

from govdata.access.enforce import authorize_read, authorize_somewhere_to_read
from govdata.access.policy import Decision, GradedResource, ReadKind
from govdata.access_generation import GenerationCache, kept
from govdata.accounts.models import Application
from govdata.actions import Context
from govdata.aggregation.columns import ColumnSpec, encrypted_names
from govdata.aggregation.grading import source_resource
from govdata.aggregation.masked_reads import sensitive_columns
from govdata.aggregation.models import Source
from govdata.aggregation.store import declared_columns, org_ref
from govdata.audit.refusals import record_refusal
from govdata.authz import OrgRef
from govdata.caches import node_cache
from govdata.crypto.datakeys import DataKeys
from govdata.errors import Forbidden, GovdataError, InvalidInput, NotFound
from govdata.lake.protection import TableProtection, encrypted_in, purpose_of
from govdata.lake.tables import LakeTable
from govdata.masking.kinds import SensitiveKind
from govdata.orgs.codes import CodeError, check_credit_code, check_id_number
from govdata.sharing.models import Grant
from govdata.sharing.quotas import Remaining, remaining
from govdata.sharing.reads import granted_columns
from govdata.sharing.service_permissions import CALL_PERMISSION
from govdata.sharing.service_schemas import ServiceCall
from govdata.sharing.store import get_grant
from govdata.sharing.terms import METHOD_LABELS, today

DATA_PERMISSION = "aggregation:data:read"


@dataclass(frozen=True)
class Call:
    """A call that passed every check, with what reading needs."""

    grant: Grant
    source: Source
    application_id: str
    on_behalf: bool
    decision: Decision
    day: date
    left: Remaining
    lake: LakeTable
    version: int
    protection: TableProtection | None
    columns: list[ColumnSpec]
    granted: dict[str, str]  # column name → masking strategy
    kinds: dict[str, SensitiveKind | None]

    @property
    def sensitive(self) -> set[str]:
        return {*self.kinds, *encrypted_names(self.columns)}

    def key_column(self) -> str:
        if not self.source.key_columns:
            raise InvalidInput(
                "该数据源未定义主键，不能按主键查询或核验", code="service_key_unavailable"
            )
        return str(self.source.key_columns[0])

    def require_granted(self, names: list[str], field: str) -> None:
        known = {column.name for column in self.columns}
        unknown = [name for name in names if name not in known]
        if unknown:
            raise InvalidInput(
                f"没有这些列：{'、'.join(unknown)}",
                code="service_column_unknown",
                fields={field: "、".join(unknown)},
            )
        outside = [name for name in names if name not in self.granted]
        if outside:
            raise Forbidden(
                f"共享授权不含这些字段，不能按其查询或核验：{'、'.join(outside)}",
                code="grant_field_not_granted",
                fields={field: "、".join(outside)},
            )

    def check_key_value(self, column: str, value: str, field: str) -> str:
        """A key value in the form the column holds; a malformed one is refused."""
        kind = self.kinds.get(column)
        try:
            if kind is SensitiveKind.ID_NUMBER:
                return check_id_number(value)
            if kind is SensitiveKind.CREDIT_CODE:
                return check_credit_code(value)
        except CodeError as error:
            raise InvalidInput(
                f"主键格式错误：{error}", code="service_key_malformed", fields={field: str(error)}
            ) from None
        return value


def _refuse(message: str, code: str, **fields: str) -> Forbidden:
    return Forbidden(message, code=code, fields=dict(fields))


def _application(ctx: Context, grant: Grant, data: ServiceCall) -> tuple[str, bool]:
    """The application the call is for, and whether a person calls on its behalf."""
    if ctx.actor.kind == "application":
        app_id = str(ctx.actor.id)
        if data.application_id not in (None, app_id):
            raise _refuse(
                "应用签名调用时不能代其他应用调用",
                "service_application_mismatch",
                application_id=data.application_id or "",
            )
        on_behalf = False
    else:
        if data.application_id is None:
            raise InvalidInput(
                "请选择代为调用的应用",
                code="service_application_required",
                fields={"application_id": "必填"},
            )
        app = ctx.session.get(Application, data.application_id)
        if app is None or not app.is_active or app.organisation_id != grant.grantee_org_id:
            raise _refuse(
                "该应用不是被授权部门的有效应用",
                "service_application_not_allowed",
                application_id=data.application_id,
            )
        app_id, on_behalf = app.id, True
    if ctx.actor.kind == "application" and ctx.actor.organisation_id != grant.grantee_org_id:
        raise _refuse("只有被授权部门的应用可以调用", "service_application_not_allowed")
    if grant.application_ids and app_id not in grant.application_ids:
        raise _refuse(
            "该应用不在共享授权的调用应用名单中",
            "service_application_not_allowed",
            application_id=app_id,
        )
    return app_id, on_behalf


def _check_state(grant: Grant, method: str, day: date) -> None:
    if method not in grant.methods:
        raise _refuse(
            f"共享授权不含“{METHOD_LABELS[method]}”方式",
            "service_method_not_granted",
            method=method,
        )
    if grant.status == "revoked":
        raise _refuse("共享授权已撤销", "service_grant_revoked", status=grant.status)
    if grant.status == "suspended":
        raise _refuse("共享授权已暂停", "service_grant_suspended", status=grant.status)
    if day < grant.starts_on:
        raise _refuse(
            f"共享授权自{grant.starts_on}起生效",
            "service_grant_not_started",
            starts_on=str(grant.starts_on),
        )
    if day > grant.ends_on:
        raise _refuse(
            f"共享授权已于{grant.ends_on}到期", "service_grant_expired", ends_on=str(grant.ends_on)
        )


def _source(ctx: Context, grant: Grant, source_id: str | None) -> Source:
    sources = list(
        ctx.session.scalars(
            select(Source)
            .where(Source.entry_id == grant.entry_id, Source.mode == "physical")
            .order_by(Source.created_at, Source.id)
        )
    )
    if source_id is not None:
        sources = [source for source in sources if source.id == source_id]
    if not sources:
        raise NotFound("共享授权的目录下没有可调用的入库数据", code="service_resource_missing")
    if len(sources) > 1:
        raise InvalidInput(
            "该目录下有多个数据源，请指定 source_id",
            code="service_source_ambiguous",
            fields={"source_id": "必填"},
        )
    return sources[0]


@dataclass(frozen=True)
class Published:
    """What a call needs of a grant's catalog entry and source that is the same for
    every call: the source, the graded resource the decision reads, its columns
    and which of them are sensitive."""

    source: Source
    resource: GradedResource
    columns: list[ColumnSpec]
    kinds: dict[str, SensitiveKind | None]


PUBLISHED_CACHE = "sharing:service-published"
PUBLISHED_TTL_SECONDS = 1.0


class PublishedCache:
    """A node process's recent :class:`Published` snapshots, per entry and source.

    A running node's cache (govdata.caches), so that a stream of calls does not re-read the catalog
    entry, its published items, its sources and its holder on every call. A
    snapshot is used for :data:`PUBLISHED_TTL_SECONDS` at most, the same bound as
    the table version the services read: a republished entry (a new grade, new
    items) or a new source is seen within a second. The grant itself, the caller's
    roles and grants, quotas and the audit history are read on every call.
    """

    def __init__(self, ttl: float = PUBLISHED_TTL_SECONDS) -> None:
        self.ttl = ttl
        self._lock = threading.Lock()
        self._kept: dict[tuple[str, str | None], tuple[float, Published]] = {}

    def get(self, entry_id: str, source_id: str | None) -> Published | None:
        with self._lock:
            found = self._kept.get((entry_id, source_id))
        if found is None or time.monotonic() - found[0] >= self.ttl:
            return None
        return found[1]

    def keep(self, entry_id: str, source_id: str | None, published: Published) -> None:
        with self._lock:
            if len(self._kept) > MAX_PUBLISHED:
                self._kept.clear()
            self._kept[(entry_id, source_id)] = (time.monotonic(), published)


MAX_PUBLISHED = 4096


def published(ctx: Context, grant: Grant, source_id: str | None) -> Published:
    cache = node_cache(ctx.session, PUBLISHED_CACHE, PublishedCache)
    if cache is not None:
        found = cache.get(grant.entry_id, source_id)
        if found is not None:
            return found
    source = _source(ctx, grant, source_id)
    columns = declared_columns(source)
    snapshot = Published(
        source=source,
        resource=source_resource(ctx.session, source),
        columns=columns,
        kinds=sensitive_columns(ctx.session, source, columns),
    )
    if cache is not None:
        cache.keep(grant.entry_id, source_id, snapshot)
    return snapshot


KEPT_GRANTS = "sharing:called-grants"
KEPT_GRANTEES = "sharing:grantees"


def called_grant(session: Session, grant_id: str) -> Grant:
    """The grant a call names (by id or number), kept by a running node while the
    access generation stands (govdata.access_generation): suspending, revoking or
    changing it is seen by the next call. A kept grant is detached from the
    session that read it and never written through."""

    def load() -> Grant:
        grant = get_grant(session, grant_id)
        if node_cache(session, KEPT_GRANTS, GenerationCache) is not None:
            session.expunge(grant)
        return grant

    return kept(session, KEPT_GRANTS, grant_id, load)


def grantee_ref(session: Session, grant: Grant) -> OrgRef:
    """The grantee department's place in the organisation tree (kept like grants)."""
    return kept(
        session, KEPT_GRANTEES, grant.grantee_org_id, lambda: org_ref(session, grant.grantee_org_id)
    )


def prepare_call(ctx: Context, data: ServiceCall, method: str) -> Call:
    ctx.authorize_somewhere(CALL_PERMISSION)
    grant = called_grant(ctx.session, data.grant_id)
    ctx.authorize(CALL_PERMISSION, grantee_ref(ctx.session, grant))
    application_id, on_behalf = _application(ctx, grant, data)
    day = today()
    _check_state(grant, method, day)
    snapshot = published(ctx, grant, data.source_id)
    source = snapshot.source
    authorize_somewhere_to_read(ctx, DATA_PERMISSION)
    decision = authorize_read(ctx, DATA_PERMISSION, snapshot.resource, ReadKind.VALUES)
    left = remaining(ctx.session, grant, day)
    lake = LakeTable(ctx.services.lake, source.table_name)
    indexes = ctx.services.service_indexes
    version = indexes.current_version(lake)
    if version is None:
        raise NotFound("该数据源尚未归集入库", code="lake_table_not_found")
    encrypted = indexes.encrypted_columns(lake, version, encrypted_in)
    protection = (
        TableProtection(
            lake.name,
            encrypted,
            DataKeys(ctx.session, ctx.services.keystore).for_reading(purpose_of(lake.name)),
        )
        if encrypted
        else None
    )
    columns = snapshot.columns
    return Call(
        grant=grant,
        source=source,
        application_id=application_id,
        on_behalf=on_behalf,
        decision=decision,
        day=day,
        left=left,
        lake=lake,
        version=version,
        protection=protection,
        columns=columns,
        granted=granted_columns(grant, columns),
        kinds=snapshot.kinds,
    )


def record_service_refusal(ctx: Context, action: str, data: BaseModel, error: GovdataError) -> None:
    """Audit a refusal that is not a ``Forbidden`` (the registry audits those):
    quota, malformed key, unknown grant or resource."""
    if isinstance(error, Forbidden) or not ctx.actor.is_authenticated:
        return
    stand_in = Forbidden(error.message, code=error.error_code, fields=error.fields)
    survivors: list[Any] = record_refusal(ctx, action, data, stand_in)
    ctx.survivors.extend(survivors)
