"""Reading the trail: which events an auditor may see, and why each happened.

An event concerns the organisations it names (see decision 0011): the holder of
the data read (the source's or library's organisation), an organisation named in
its data, and the organisation of the person or application who acted. An auditor
sees it when the role covers any of them.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sqlalchemy import Select, or_, select
from sqlalchemy.orm import Session

from govdata.accounts.models import Application, User
from govdata.actions import Context
from govdata.aggregation.models import Library, Source
from govdata.audit.history import DATA_READ, REQUEST_REFUSED
from govdata.audit.lookups import LookupMatcher
from govdata.audit.schemas import AuditQuery, AuditRow
from govdata.authz import NODE_ROOT, OrgRef
from govdata.events import EventRecord
from govdata.orgs.models import Organisation

SCAN_BATCH = 500
SCAN_LIMIT = 50_000

RELATION_WORDS = {
    "own": "本机构",
    "subtree": "下级机构",
    "granted": "经授权",
    "member": "本节点登录用户",
    "public": "公众",
}


class Scope:
    """The organisations of events, resolved once per search."""

    def __init__(self, ctx: Context, permission: str) -> None:
        self.ctx = ctx
        self.permission = permission
        session = ctx.session
        rows = session.execute(select(Organisation.id, Organisation.path)).all()
        self.paths: dict[str, str] = {str(org_id): str(path) for org_id, path in rows}
        self._sources: dict[str, str | None] = {}
        self._libraries: dict[str, str | None] = {}
        self._actors: dict[tuple[str, str], str | None] = {}

    def _lookup(self, cache: dict[str, str | None], model: Any, key: str) -> str | None:
        if key not in cache:
            found = self.ctx.session.get(model, key)
            cache[key] = found.organisation_id if found is not None else None
        return cache[key]

    def actor_org(self, kind: str, actor_id: str | None) -> str | None:
        if actor_id is None or kind not in {"user", "application"}:
            return None
        key = (kind, actor_id)
        if key not in self._actors:
            model: Any = User if kind == "user" else Application
            found = self.ctx.session.get(model, actor_id)
            self._actors[key] = found.organisation_id if found is not None else None
        return self._actors[key]

    def organisations(self, record: EventRecord) -> set[str]:
        data = record.data
        found: set[str | None] = {self.actor_org(record.actor_kind, record.actor_id)}
        for key in ("organisation_id", "holder_id", "actor_organisation_id"):
            value = data.get(key)
            if isinstance(value, str):
                found.add(value)
        raw_targets = data.get("targets")
        targets: dict[str, Any] = raw_targets if isinstance(raw_targets, dict) else {}
        for bag in (data, targets):
            source_id = bag.get("source_id")
            if isinstance(source_id, str):
                found.add(self._lookup(self._sources, Source, source_id))
            library_id = bag.get("library_id")
            if isinstance(library_id, str):
                found.add(self._lookup(self._libraries, Library, library_id))
        if record.subject_id in self.paths:
            found.add(record.subject_id)
        return {org for org in found if org is not None and org in self.paths}

    def covers(self, organisation_id: str | None) -> bool:
        if organisation_id is None or organisation_id not in self.paths:
            # Only an auditor over the whole node sees what concerns no organisation.
            return self.ctx.can(self.permission, NODE_ROOT)
        ref = OrgRef(id=organisation_id, path=self.paths[organisation_id])
        return self.ctx.can(self.permission, ref)

    def sees(self, record: EventRecord) -> bool:
        organisations = self.organisations(record)
        if not organisations:
            return self.covers(None)
        return any(self.covers(org) for org in organisations)


def reason_of(record: EventRecord) -> str:
    """Why it happened, in words: the decision that allowed a read, the code that
    refused a request, the alert that released it, the auditor's note."""
    data = record.data
    if record.name == DATA_READ:
        parts = [f"允许：{RELATION_WORDS.get(str(data.get('relation')), '未记录关系')}"]
        if data.get("grade"):
            parts.append(f"等级 {data['grade']}")
        if data.get("grant_id"):
            parts.append(f"授权 {data['grant_id']}")
        if data.get("audit_release"):
            parts.append(f"告警放行 {data['audit_release']}")
        return "；".join(parts)
    if record.name == REQUEST_REFUSED:
        return f"拒绝：{data.get('code')}"
    if record.name == "audit:alert:reviewed":
        return f"告警 {data.get('number')} {data.get('decision')}：{data.get('note')}"
    return ""


def audit_row(record: EventRecord) -> AuditRow:
    data = record.data
    version = data.get("version")
    rows = data.get("rows")
    client = data.get("client_address")
    return AuditRow(
        id=record.id,
        occurred_at=record.occurred_at,
        name=record.name,
        actor_kind=record.actor_kind,
        actor_id=record.actor_id,
        actor_name=record.actor_name,
        request_id=record.request_id,
        client_address=client if isinstance(client, str) else None,
        subject_id=record.subject_id,
        version=version if isinstance(version, int) else None,
        rows=rows if isinstance(rows, int) else None,
        reason=reason_of(record),
        data=data,
    )


def base_query(data: AuditQuery) -> Select[EventRecord]:
    query = select(EventRecord)
    if data.actor:
        query = query.where(
            or_(EventRecord.actor_name == data.actor, EventRecord.actor_id == data.actor)
        )
    if data.actor_kind:
        query = query.where(EventRecord.actor_kind == data.actor_kind)
    if data.action:
        prefix = data.action.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        query = query.where(EventRecord.name.like(f"{prefix}%", escape="\\"))
    if data.start:
        query = query.where(EventRecord.occurred_at >= data.start)
    if data.end:
        query = query.where(EventRecord.occurred_at <= data.end)
    return query.order_by(EventRecord.occurred_at.desc(), EventRecord.id)


def matches(
    row: AuditRow, record: EventRecord, data: AuditQuery, looked_up: LookupMatcher | None = None
) -> bool:
    if looked_up is not None and not looked_up.matches(record.data.get("where")):
        return False
    if data.client_address and row.client_address != data.client_address:
        return False
    if data.reason and data.reason not in row.reason:
        return False
    if data.source_id and data.source_id not in {
        record.subject_id,
        record.data.get("source_id"),
        record.data.get("library_id"),
    }:
        return False
    return data.version is None or row.version == data.version


def scan(session: Session, data: AuditQuery) -> Iterator[EventRecord]:
    query = base_query(data)
    for start in range(0, SCAN_LIMIT, SCAN_BATCH):
        batch = list(session.scalars(query.offset(start).limit(SCAN_BATCH)))
        yield from batch
        if len(batch) < SCAN_BATCH:
            return


def search(ctx: Context, data: AuditQuery, permission: str) -> tuple[list[AuditRow], bool]:
    """Matching rows the auditor may see, newest first, and whether more follow."""
    scope = Scope(ctx, permission)
    wanted = data.offset + data.limit
    found: list[AuditRow] = []
    looked_up = LookupMatcher(ctx, data.looked_up) if data.looked_up else None
    for record in scan(ctx.session, data):
        row = audit_row(record)
        if not matches(row, record, data, looked_up) or not scope.sees(record):
            continue
        found.append(row)
        if len(found) > wanted:
            break
    return found[data.offset : wanted], len(found) > wanted
