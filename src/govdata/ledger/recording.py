"""Which domain events the ledger records, and how (requirement X5).

Every area records its events through :func:`govdata.events.record_event`,
inside the caller's transaction. For the events named in :data:`LEDGERED`
that function also queues a ledger entry; the queued entries are appended
when the transaction commits, after everything else in it has been flushed
(:func:`queue_entry`). Appending last is what the ledger asks of its callers:
the lock on the ledger head row is then the last lock the transaction takes,
so two transactions can never hold it and a row the other one wants (no
deadlock on PostgreSQL), and it is held only for the commit itself.

Every event name must be classified: either ledgered (here, with the entry
kind and the event fields that name further objects) or in
:data:`NOT_LEDGERED` with the reason. A test walks every event class and
fails on one that is in neither table; docs/ledger.md shows the table.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import event, inspect
from sqlalchemy.orm import Session

from govdata.ledger.entries import MAX_SUBJECT, MAX_SUBJECTS, EntryKind, LedgerEntry, encode_entry
from govdata.ledger.store import append_many

if TYPE_CHECKING:
    from govdata.events import EventRecord


@dataclass(frozen=True, slots=True)
class Ledgered:
    """How one event is recorded: the entry kind, what it is, and which of the
    event's fields name further objects (indexed as subjects after the event's own)."""

    kind: str
    what: str
    links: tuple[str, ...] = ()


LEDGERED: Mapping[str, Ledgered] = {
    # Catalog changes and their approval (the review decision).
    "catalog:entry:published": Ledgered(
        EntryKind.CATALOG_PUBLISHED, "目录审核通过并发布", ("organisation_id",)
    ),
    "catalog:entry:returned": Ledgered("catalog:entry:returned", "目录审核退回"),
    # Where aggregated data comes from, and every version it produced.
    "aggregation:source:registered": Ledgered(
        "aggregation:source:registered", "登记数据源", ("entry_id", "organisation_id")
    ),
    "aggregation:source:changed": Ledgered("aggregation:source:changed", "修改数据源"),
    "aggregation:run:finished": Ledgered(
        "aggregation:run:finished", "归集任务结束（数据版本）", ("source_id", "library_id")
    ),
    # Data-access decisions: every read of stored or logical data, of a library,
    # of a manifest or of a run's quarantine, with the grade, the relation and the
    # grant that allowed it.
    "aggregation:data:read": Ledgered(
        EntryKind.ACCESS_DECIDED,
        "数据读取（分级授权决定）",
        ("source_id", "library_id", "grant_id", "run_id"),
    ),
    # Profiles (A6): which sources a build linked, and how many profiles it made or merged.
    "profiles:build:finished": Ledgered(
        "profiles:build:finished", "建立或更新一人一档、一企一档", ("organisation_id",)
    ),
    # Objections (G6): every step, so that who answered, late or in time, and who was
    # found responsible can always be shown.
    "objections:objection:filed": Ledgered(
        "objections:objection:filed", "提出数据异议", ("source_id", "holder_id", "reporter_org_id")
    ),
    "objections:objection:answered": Ledgered(
        "objections:objection:answered", "答复数据异议（更正或驳回）", ("source_id", "holder_id")
    ),
    "objections:objection:accepted": Ledgered(
        "objections:objection:accepted", "接受异议答复", ("reporter_org_id",)
    ),
    "objections:objection:disputed": Ledgered(
        "objections:objection:disputed", "不接受异议答复", ("reporter_org_id",)
    ),
    "objections:objection:escalated": Ledgered(
        "objections:objection:escalated", "督办数据异议", ("holder_id",)
    ),
    "objections:objection:resolved": Ledgered(
        "objections:objection:resolved", "裁决数据异议并定责", ("holder_id", "reporter_org_id")
    ),
    # Sharing (S1, S5): every application, its decision (with the legal ground of a
    # refusal), every grant issued (by approval or data return) and every change to it.
    "sharing:application:submitted": Ledgered(
        "sharing:application:submitted", "提出共享申请", ("entry_id", "holder_id", "consumer_id")
    ),
    "sharing:application:decided": Ledgered(
        EntryKind.APPROVAL_DECIDED,
        "共享申请审核决定（同意或依法定事由拒绝）",
        ("entry_id", "holder_id", "consumer_id", "grant_id"),
    ),
    "sharing:application:escalated": Ledgered(
        "sharing:application:escalated", "督办逾期未审核的共享申请", ("holder_id",)
    ),
    "sharing:grant:issued": Ledgered(
        EntryKind.GRANT_ISSUED,
        "签发共享授权（字段、脱敏、范围、期限、配额）",
        ("entry_id", "holder_id", "grantee_id", "application_id"),
    ),
    "sharing:grant:suspended": Ledgered(
        "sharing:grant:suspended", "暂停共享授权", ("entry_id", "grantee_id")
    ),
    "sharing:grant:resumed": Ledgered(
        "sharing:grant:resumed", "恢复共享授权", ("entry_id", "grantee_id")
    ),
    "sharing:grant:renewed": Ledgered(
        "sharing:grant:renewed", "共享授权续期", ("entry_id", "grantee_id")
    ),
    "sharing:grant:revoked": Ledgered(
        EntryKind.GRANT_REVOKED, "撤销共享授权", ("entry_id", "holder_id", "grantee_id")
    ),
    "sharing:return:issued": Ledgered(
        "sharing:return:issued", "数据回流（属地返还）", ("holder_id",)
    ),
    "sharing:grounds:changed": Ledgered("sharing:grounds:changed", "维护拒绝共享的法定事由清单"),
    # Deliveries of the query and verification services (S2, S3): which application,
    # under which grant, which data version and how many rows.
    "sharing:delivery:served": Ledgered(
        EntryKind.DELIVERY_MADE,
        "共享接口交付（查询或核验）",
        ("entry_id", "holder_id", "grantee_id", "application_id", "source_id"),
    ),
    # Bulk deliveries and subscriptions (S3, S4): who received which version under
    # which grant, how many rows and their checksums; subscriptions' lifecycle.
    "sharing:delivery:made": Ledgered(
        EntryKind.DELIVERY_MADE,
        "批量交付（文件或接收方数据库）",
        ("grant_id", "entry_id", "grantee_id", "source_id"),
    ),
    "sharing:delivery:failed": Ledgered(
        "sharing:delivery:failed", "批量交付失败（已交付部分）", ("grant_id",)
    ),
    "sharing:batch:delivered": Ledgered(
        EntryKind.DELIVERY_MADE,
        "订阅变更批次交付",
        ("subscription_id", "grant_id", "grantee_id"),
    ),
    "sharing:subscription:created": Ledgered(
        "sharing:subscription:created", "订阅共享数据", ("grant_id", "grantee_id", "source_id")
    ),
    "sharing:subscription:cancelled": Ledgered(
        "sharing:subscription:cancelled", "取消订阅", ("grant_id", "grantee_id")
    ),
    "sharing:subscription:stalled": Ledgered(
        "sharing:subscription:stalled", "订阅方长时间未确认（标记）", ("grant_id", "grantee_id")
    ),
    # Verification (G3): which source is authoritative for which field decides
    # how every conflict is resolved.
    "verification:authority:changed": Ledgered(
        "verification:authority:changed", "指定权威数据来源", ("organisation_id",)
    ),
    # Security events: who holds which power, and the credentials that carry it.
    "accounts:user:created": Ledgered(EntryKind.SECURITY_EVENT, "创建用户", ("organisation_id",)),
    "accounts:user:activity_changed": Ledgered(EntryKind.SECURITY_EVENT, "启用或停用用户"),
    "accounts:password:changed": Ledgered(EntryKind.SECURITY_EVENT, "修改密码"),
    "accounts:role:granted": Ledgered(
        EntryKind.SECURITY_EVENT,
        "授予角色",
        ("organisation_id", "user_id", "application_id"),
    ),
    "accounts:role:revoked": Ledgered(EntryKind.SECURITY_EVENT, "撤销角色", ("organisation_id",)),
    "accounts:application:created": Ledgered(
        EntryKind.SECURITY_EVENT, "登记应用", ("organisation_id",)
    ),
    "accounts:application:activity_changed": Ledgered(EntryKind.SECURITY_EVENT, "启用或停用应用"),
    "accounts:api_key:created": Ledgered(
        EntryKind.SECURITY_EVENT, "签发接口密钥", ("application_id",)
    ),
    "accounts:api_key:revoked": Ledgered(
        EntryKind.SECURITY_EVENT, "吊销接口密钥", ("application_id",)
    ),
    # An auditor's decision on a blocked high-risk operation (release or confirm).
    "audit:alert:reviewed": Ledgered(
        EntryKind.SECURITY_EVENT, "审计告警复核（放行或确认）", ("actor_id", "holder_id")
    ),
}

NOT_LEDGERED: Mapping[str, str] = {
    "elements:element:defined": "reference definitions (like the division table); kept in the "
    "events table with who changed them",
    "catalog:entry:drafted": "working drafts change freely; only review decisions count",
    "catalog:entry:submitted": "a request for review; its decision is ledgered",
    "catalog:system:registered": "an inventory record; the catalog entries listing its resources "
    "are ledgered when published",
    "catalog:obligation:opened": "deadline bookkeeping derived from other records",
    "catalog:obligation:fulfilled": "settled by a publication, which is ledgered",
    "aggregation:run:requested": "an intention; the run's outcome and version are ledgered",
    "accounts:session:created": "logins are high-volume authentication records kept in the "
    "events table; the powers they use (roles, keys) are ledgered",
    "accounts:session:refused": "failed logins can be produced by anyone at will and would let "
    "them grow the ledger; kept in the events table and the audit search",
    "orgs:organisation:created": "directory maintenance; the roles giving power over an "
    "organisation are ledgered",
    "orgs:division:edition_applied": "reference code table import (national standard data)",
    "quality:rules:changed": "governance configuration; every run keeps a snapshot of the "
    "rules it evaluated",
    "quality:run:finished": "a measurement of a version that is itself ledgered; the results "
    "are kept with the run, and opening failing rows is a ledgered data read",
    "verification:run:finished": "a comparison of versions that are themselves ledgered; the "
    "counts are kept with the run, and opening its conflicts is a ledgered data read",
    "verification:duplicates:finished": "overlap measures and column names of ledgered "
    "versions; no values are kept or returned",
    "sharing:delivery:started": "an intention; the delivery made (or failed) is ledgered",
    "sharing:batch:acknowledged": "the consumer's receipt; the batch delivered is ledgered and "
    "the acknowledged version is kept with the subscription",
}

# Kinds the ledger knows that no stored event produces yet.
RESERVED_KINDS: Mapping[str, str] = {
    EntryKind.CATALOG_WITHDRAWN: "catalog withdrawal is not implemented yet",
}

_PENDING = "govdata.ledger.pending"


def ledger_entry_for(record: EventRecord) -> LedgerEntry | None:
    """The entry recording ``record``, or None when its event is not ledgered.

    The body holds the event's own fields plus the event id (the link back to
    the events table), the request id and who acted, so an auditor can answer
    who did or received what, when and under which decision from the entry alone.
    """
    rule = LEDGERED.get(record.name)
    if rule is None:
        return None
    data: dict[str, Any] = dict(record.data)
    subjects = [record.subject_id]
    for link in rule.links:
        value = data.get(link)
        if isinstance(value, str) and value and value not in subjects:
            subjects.append(value)
    subjects.append(record.id)
    subjects = [s[:MAX_SUBJECT] for s in dict.fromkeys(subjects)][:MAX_SUBJECTS]
    body = {
        "event": record.name,
        "event_id": record.id,
        "what": rule.what,
        "request_id": record.request_id,
        "actor": {"kind": record.actor_kind, "id": record.actor_id, "name": record.actor_name},
        "data": data,
    }
    return LedgerEntry(
        kind=str(rule.kind),
        subject_ids=tuple(subjects),
        actor=record.actor_name[:200] or "-",
        body=body,
        recorded_at=record.occurred_at,
    )


def queue_entry(session: Session, record: EventRecord, entry: LedgerEntry) -> None:
    """Append ``entry`` when ``session`` commits, if ``record`` is still part of it.

    The entry is encoded now, so a body the ledger cannot hold fails the action
    that recorded it rather than its commit. An event rolled back with a
    savepoint has left the session by commit time and its entry is dropped.
    """
    encode_entry(entry)
    pending: list[tuple[EventRecord, LedgerEntry]] = session.info.setdefault(_PENDING, [])
    pending.append((record, entry))
    if not event.contains(session, "before_commit", _append_pending):
        event.listen(session, "before_commit", _append_pending)
        event.listen(session, "after_rollback", _drop_pending)


def _append_pending(session: Session) -> None:
    if session.in_nested_transaction():
        # A savepoint ending: the entries wait for the transaction's own commit,
        # so that savepoints written together (govdata.web.group_commit) append
        # together, and one rolled back drops only its own.
        return
    pending: list[tuple[EventRecord, LedgerEntry]] = session.info.pop(_PENDING, [])
    if not pending:
        return
    # Everything else first: the head lock must be the transaction's last lock.
    session.flush()
    kept = [entry for record, entry in pending if _still_there(session, record)]
    append_many(session, kept)


def _still_there(session: Session, record: EventRecord) -> bool:
    state = inspect(record)
    return state.session_id == session.hash_key and state.persistent


def _drop_pending(session: Session) -> None:
    session.info.pop(_PENDING, None)


def ledgered_kinds() -> dict[str, list[str]]:
    """Entry kind → the event names recorded under it (for docs and the portal)."""
    kinds: dict[str, list[str]] = {}
    for name, rule in LEDGERED.items():
        kinds.setdefault(str(rule.kind), []).append(name)
    return kinds
