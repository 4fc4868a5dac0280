"""Helpers of the bulk delivery and subscription tests: a grant carrying bulk and
subscription, limited to the Hohhot prefecture, with masked fields."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from govdata.sharing.terms import today
from tests.aggregation.conftest import Run

GRANTED_FIELDS = [
    {"name": "公民身份号码", "strategy": "hash"},
    {"name": "姓名", "strategy": "partial"},
    {"name": "户籍地行政区划代码"},
]


def approve(
    as_consumer: Run, as_provider: Run, entry_id: str, methods: list[str], **extra: Any
) -> str:
    """A grant of ``entry_id`` to the demo consumer with ``methods``; returns its id."""
    applied = as_consumer(
        "share_apply",
        {
            "entry_id": entry_id,
            "purpose": "办理社会保险待遇资格认证",
            "legal_basis": "《中华人民共和国社会保险法》",
            "fields": ["公民身份号码", "姓名", "性别", "户籍地行政区划代码"],
            "division_column": "division_code",
            "division_codes": ["150100"],
            "ends_on": str(today() + timedelta(days=365)),
            "methods": methods,
        }
        | extra,
    )
    decided = as_provider(
        "share_review", {"id": applied.id, "decision": "approve", "fields": GRANTED_FIELDS}
    )
    return str(decided.grant_id)
