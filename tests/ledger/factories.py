"""Ledger entries and keys for the tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from govdata.ledger.entries import EntryKind, LedgerEntry
from govdata.nodes.keys import ED25519, NodeKey

ORIGIN = "govdata/150000"
START = datetime(2026, 11, 21, 9, 0, tzinfo=UTC)


def ledger_entry(number: int, *, subject: str | None = None) -> LedgerEntry:
    return LedgerEntry(
        kind=EntryKind.CATALOG_PUBLISHED,
        subject_ids=(subject or f"entry-{number}", "org-nmg-gat"),
        actor="张三（内蒙古自治区公安厅）",
        body={"name": f"人口基础信息{number}", "version": number, "fields": ["姓名", "身份证号"]},
        recorded_at=START + timedelta(seconds=number),
    )


def ledger_entries(start: int, count: int) -> list[LedgerEntry]:
    return [ledger_entry(number) for number in range(start, start + count)]


def node_key() -> NodeKey:
    return NodeKey(ED25519, Ed25519PrivateKey.generate())
