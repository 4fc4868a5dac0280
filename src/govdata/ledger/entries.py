"""Ledger entries and their canonical encoding (the bytes a leaf hash covers).

An entry is encoded as one JSON object, UTF-8, with keys sorted by code
point, no insignificant whitespace and no escapes beyond the required ones
(``"``, ``\\``, and control characters below U+0020, the last as ``\\b \\f \\n
\\r \\t`` or ``\\u00xx`` in lower-case hex)::

    {"actor":…,"body":{…},"kind":…,"subjects":[…],"time":"2026-01-02T03:04:05.000006Z","v":1}

Values in ``body`` are objects, arrays, strings, booleans, null and integers
in the signed 64-bit range. Floating-point numbers are refused: their text
form differs between languages, so amounts go in as strings or integers of
the smallest unit. See docs/ledger.md.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from govdata.db import utcnow
from govdata.ledger.errors import LedgerEntryInvalid

ENCODING_VERSION = 1
KIND_PATTERN = re.compile(r"[a-z][a-z0-9_]*(:[a-z][a-z0-9_]*){1,3}")
TIME_PATTERN = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{6}Z")
MAX_KIND = 60
MAX_SUBJECT = 64
MAX_SUBJECTS = 32
MAX_ACTOR = 200
MAX_DEPTH = 32
INT64 = 1 << 63


class EntryKind(StrEnum):
    """Kinds the platform records; areas may add their own ``area:subject:action``."""

    CATALOG_PUBLISHED = "catalog:entry:published"
    CATALOG_WITHDRAWN = "catalog:entry:withdrawn"
    APPROVAL_DECIDED = "sharing:approval:decided"
    GRANT_ISSUED = "sharing:grant:issued"
    GRANT_REVOKED = "sharing:grant:revoked"
    DELIVERY_MADE = "sharing:delivery:made"
    ACCESS_DECIDED = "security:access:decided"
    SECURITY_EVENT = "security:event:recorded"


@dataclass(frozen=True, slots=True)
class LedgerEntry:
    """One thing that happened, as the ledger records it.

    ``subject_ids`` name the objects concerned (catalog entry, grant, request
    ids...), the first being the main one; ``body`` holds the facts an auditor
    needs, as a JSON object.
    """

    kind: str
    subject_ids: tuple[str, ...]
    actor: str
    body: Mapping[str, Any] = field(default_factory=dict)
    recorded_at: datetime = field(default_factory=utcnow)


def encode_entry(entry: LedgerEntry) -> bytes:
    """The canonical bytes of ``entry``; raises :class:`LedgerEntryInvalid` if it has none."""
    _check_header(entry)
    if not isinstance(entry.body, Mapping):
        raise LedgerEntryInvalid(fields={"body": "必须是 JSON 对象"})
    document = {
        "actor": str.__str__(entry.actor),
        "body": _plain_body(entry.body),
        "kind": str.__str__(entry.kind),
        "subjects": [str.__str__(subject) for subject in entry.subject_ids],
        "time": format_time(entry.recorded_at),
        "v": ENCODING_VERSION,
    }
    text = json.dumps(document, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:
        raise LedgerEntryInvalid("条目含有无法编码的字符（孤立的代理码位）") from None


def decode_entry(data: bytes) -> LedgerEntry:
    """The entry whose canonical bytes are ``data``; refuses anything not canonical."""
    try:
        document = json.loads(data.decode("utf-8"))
        if set(document) != {"actor", "body", "kind", "subjects", "time", "v"}:
            raise ValueError("unexpected keys")  # noqa: TRY301 (one handler for every defect)
        if document["v"] != ENCODING_VERSION:
            raise ValueError("unknown version")  # noqa: TRY301
        entry = LedgerEntry(
            kind=document["kind"],
            subject_ids=tuple(document["subjects"]),
            actor=document["actor"],
            body=document["body"],
            recorded_at=parse_time(document["time"]),
        )
    except (ValueError, TypeError, AttributeError, UnicodeDecodeError):
        raise LedgerEntryInvalid("条目不是有效的规范编码") from None
    if encode_entry(entry) != data:
        raise LedgerEntryInvalid("条目不是规范编码（键序、空白、转义或时间格式不符）")
    return entry


def format_time(moment: datetime) -> str:
    """``YYYY-MM-DDTHH:MM:SS.ffffffZ`` in UTC, always with six fraction digits."""
    if moment.tzinfo is None:
        raise LedgerEntryInvalid(fields={"recorded_at": "必须带时区（UTC）"})
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"


def parse_time(text: str) -> datetime:
    """The inverse of :func:`format_time`; raises ValueError on any other form."""
    if not isinstance(text, str) or not TIME_PATTERN.fullmatch(text):
        raise ValueError("time must be YYYY-MM-DDTHH:MM:SS.ffffffZ")
    return datetime.fromisoformat(text[:-1]).replace(tzinfo=UTC)


def _check_header(entry: LedgerEntry) -> None:
    problems: dict[str, str] = {}
    if not isinstance(entry.kind, str) or len(entry.kind) > MAX_KIND:
        problems["kind"] = f"必须是不超过{MAX_KIND}个字符的字符串"
    elif not KIND_PATTERN.fullmatch(entry.kind):
        problems["kind"] = "格式应为“领域:对象:动作”，小写字母、数字和下划线"
    if not isinstance(entry.actor, str) or not entry.actor or len(entry.actor) > MAX_ACTOR:
        problems["actor"] = f"必须是1到{MAX_ACTOR}个字符的字符串"
    subjects: Sequence[Any] = entry.subject_ids
    if isinstance(subjects, str) or not isinstance(subjects, Sequence):
        problems["subject_ids"] = "必须是字符串序列"
    elif not 1 <= len(subjects) <= MAX_SUBJECTS:
        problems["subject_ids"] = f"须有1到{MAX_SUBJECTS}个对象编号"
    elif any(not isinstance(s, str) or not 1 <= len(s) <= MAX_SUBJECT for s in subjects):
        problems["subject_ids"] = f"每个对象编号须为1到{MAX_SUBJECT}个字符"
    elif len(set(subjects)) != len(subjects):
        problems["subject_ids"] = "对象编号不能重复"
    if not isinstance(entry.recorded_at, datetime) or entry.recorded_at.tzinfo is None:
        problems["recorded_at"] = "必须是带时区的时间"
    if problems:
        raise LedgerEntryInvalid(fields=problems)


class _BadValue(Exception):
    """A value with no canonical JSON form; the path to it is filled in on the way out."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message
        self.steps: list[str] = []


def _plain_body(body: Mapping[str, Any]) -> dict[str, Any]:
    try:
        plain: dict[str, Any] = _plain(body, 0)
    except _BadValue as bad:
        path = "body" + "".join(reversed(bad.steps))
        raise LedgerEntryInvalid(fields={path: bad.message}) from None
    return plain


def _plain(value: Any, depth: int) -> Any:
    """``value`` as plain JSON types (subclasses of str, int, dict... made exact)."""
    exact = type(value)
    if exact is str or exact is bool or value is None:  # the common case, checked first
        return value
    if isinstance(value, bool):
        return bool(value)
    if isinstance(value, str):
        return str.__str__(value)
    if isinstance(value, int):
        if not -INT64 <= value < INT64:
            raise _BadValue("整数超出64位有符号整数范围")
        return int(value)
    if isinstance(value, float):
        raise _BadValue("不接受浮点数，请改用字符串或最小单位的整数")
    if depth >= MAX_DEPTH:
        raise _BadValue(f"嵌套超过{MAX_DEPTH}层")
    if isinstance(value, Mapping):
        return _plain_object(value, depth + 1)
    if isinstance(value, (list, tuple)):
        return _plain_array(value, depth + 1)
    raise _BadValue(f"不支持的类型：{type(value).__name__}")


def _plain_object(value: Mapping[Any, Any], depth: int) -> dict[str, Any]:
    plain = {}
    for key, item in value.items():
        if not isinstance(key, str):
            raise _BadValue("对象的键必须是字符串")
        try:
            plain[str.__str__(key)] = _plain(item, depth)
        except _BadValue as bad:
            bad.steps.append(f".{key}")
            raise
    return plain


def _plain_array(value: Sequence[Any], depth: int) -> list[Any]:
    items = []
    for number, item in enumerate(value):
        try:
            items.append(_plain(item, depth))
        except _BadValue as bad:
            bad.steps.append(f"[{number}]")
            raise
    return items
