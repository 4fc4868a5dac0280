"""The ledger's hot statements, as plain SQL handed to the driver.

A proof is a handful of primary-key reads and an append a few bulk inserts.
Through SQLAlchemy's statement layer (coercion, caching, expanding ``IN``
lists, per-row parameter processing) a point read costs 50–250 µs and an
inserted row 2–10 µs; the same SQL handed to the driver costs 10–25 µs and
under 2 µs (measured on SQLite). That difference is most of the proof and
append budgets. The SQL is fixed text with placeholders only: no value is
ever formatted into it. Column values that need conversion (the UTC time)
go through the column type's own bind processor.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.engine import Connection

from govdata.ledger.models import HEAD_ID, LedgerLeaf

_HEAD = "SELECT tree_size FROM ledger_head WHERE id = ?"
_LEAF = "SELECT leaf_hash, entry FROM ledger_leaves WHERE leaf_index = ?"
_LEAF_HASHES = "SELECT 0, leaf_index, leaf_hash FROM ledger_leaves WHERE leaf_index IN (@)"
_NODE_HASHES = "SELECT 1, position, hash FROM ledger_nodes WHERE position IN (@)"
_INSERT_LEAVES = (
    "INSERT INTO ledger_leaves (leaf_index, leaf_hash, kind, actor, recorded_at, entry)"
    " VALUES (?, ?, ?, ?, ?, ?)"
)
_INSERT_NODES = "INSERT INTO ledger_nodes (position, hash) VALUES (?, ?)"
_INSERT_SUBJECTS = "INSERT INTO ledger_subjects (subject_id, leaf_index) VALUES (?, ?)"

LeafRow = tuple[int, bytes, str, str, datetime, bytes]


def _sql(connection: Connection, template: str, count: int = 0) -> str:
    """``template`` with ``@`` expanded to ``count`` placeholders, in the driver's style."""
    text = template.replace("@", ",".join("?" * count))
    style = connection.dialect.paramstyle
    if style in {"format", "pyformat"}:
        return text.replace("?", "%s")
    if style != "qmark":  # pragma: no cover  (SQLite and psycopg are the supported drivers)
        raise NotImplementedError(f"unsupported parameter style: {style}")
    return text


def head_size(connection: Connection) -> int | None:
    value: Any = connection.exec_driver_sql(_sql(connection, _HEAD), (HEAD_ID,)).scalar()
    return None if value is None else int(value)


def hash_rows(
    connection: Connection, leaf_indices: Sequence[int], positions: Sequence[int]
) -> list[tuple[int, int, bytes]]:
    """``(0, leaf index, hash)`` and ``(1, node position, hash)`` rows, in one round trip."""
    parts = []
    if leaf_indices:
        parts.append(_sql(connection, _LEAF_HASHES, len(leaf_indices)))
    if positions:
        parts.append(_sql(connection, _NODE_HASHES, len(positions)))
    if not parts:
        return []
    rows = connection.exec_driver_sql(" UNION ALL ".join(parts), (*leaf_indices, *positions))
    return [(int(kind), int(key), bytes(value)) for kind, key, value in rows]


def leaf_row(connection: Connection, index: int) -> tuple[bytes, bytes] | None:
    """``(leaf hash, entry)`` of one leaf."""
    row = connection.exec_driver_sql(_sql(connection, _LEAF), (index,)).first()
    return None if row is None else (bytes(row[0]), bytes(row[1]))


def insert_rows(
    connection: Connection,
    leaves: list[LeafRow],
    nodes: list[tuple[int, bytes]],
    subjects: list[tuple[str, int]],
) -> None:
    """Insert one append's rows: leaves ``(index, hash, kind, actor, time, entry)``,
    nodes ``(position, hash)`` and subjects ``(subject id, leaf index)``."""
    convert = LedgerLeaf.__table__.c.recorded_at.type.bind_processor(connection.dialect)
    if convert is not None:
        leaves = [(i, h, k, a, convert(t), e) for i, h, k, a, t, e in leaves]
    for template, rows in (
        (_INSERT_LEAVES, leaves),
        (_INSERT_NODES, nodes),
        (_INSERT_SUBJECTS, subjects),
    ):
        if rows:
            connection.exec_driver_sql(_sql(connection, template), rows)
