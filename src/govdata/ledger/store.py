"""Appending to the ledger and reading proofs from it, inside the caller's transaction.

An append is part of the change it records: it runs in the caller's session,
never commits, and disappears with everything else if that transaction rolls
back. Appends are serialised by locking the single ``ledger_head`` row
(``SELECT ... FOR UPDATE`` on PostgreSQL; SQLite's write transaction is
already exclusive), so two transactions can never take the same index.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Table, bindparam, func, select, update
from sqlalchemy.orm import Session

from govdata.ledger.driver import LeafRow, hash_rows, head_size, insert_rows, leaf_row
from govdata.ledger.entries import LedgerEntry, encode_entry
from govdata.ledger.errors import LedgerEntryNotFound, LedgerSizeInvalid, LedgerTampered
from govdata.ledger.hashing import empty_root, leaf_hashes
from govdata.ledger.models import HEAD_ID, LedgerHead, LedgerLeaf, LedgerNode, LedgerSubject
from govdata.ledger.proofs import assemble, consistency_ranges, inclusion_ranges, nodes_of
from govdata.ledger.tree import NodeId, TreeBuilder, fold, leaf_position, node_position, range_nodes

# Parameters per IN (...) list: well under SQLite's and PostgreSQL's limits.
_IN_CHUNK = 500


@dataclass(frozen=True, slots=True)
class StoredLeaf:
    index: int
    leaf_hash: bytes
    entry: bytes


@dataclass(frozen=True, slots=True)
class IndexedColumns:
    """The copies of entry fields kept in columns for queries; they must agree with it."""

    kind: str
    actor: str
    recorded_at: datetime
    subject_ids: frozenset[str]


def append(session: Session, entry: LedgerEntry) -> int:
    """Record ``entry`` in the caller's transaction; returns its index."""
    return append_many(session, [entry]).start


# Statements made once: appends run them in every write transaction that records.
_HEAD: Table = LedgerHead.__table__  # type: ignore[assignment]
_LOCK_HEAD = select(_HEAD.c.tree_size).where(_HEAD.c.id == HEAD_ID).with_for_update()
_SET_SIZE = update(_HEAD).where(_HEAD.c.id == HEAD_ID).values(tree_size=bindparam("size"))


def append_many(session: Session, entries: Iterable[LedgerEntry]) -> range:
    """Record ``entries`` in order in the caller's transaction; returns their indices.

    Everything that can be computed before taking the lock (encoding, leaf
    hashes) is, so the lock is held for the reads and inserts only.
    """
    batch = list(entries)
    encoded = [encode_entry(entry) for entry in batch]
    hashes = leaf_hashes(encoded)
    size = lock_head(session)
    if not batch:
        return range(size, size)
    builder = TreeBuilder(size, right_edge(session, size))
    nodes: list[tuple[int, bytes]] = []

    def keep(level: int, index: int, value: bytes) -> None:
        nodes.append((node_position(level, index), value))

    leaf_rows: list[LeafRow] = []
    subject_rows: list[tuple[str, int]] = []
    for offset, (entry, data, leaf) in enumerate(zip(batch, encoded, hashes, strict=True)):
        index = size + offset
        builder.push(leaf, keep)
        leaf_rows.append((index, leaf, str(entry.kind), entry.actor, entry.recorded_at, data))
        subject_rows.extend((subject, index) for subject in entry.subject_ids)
    insert_rows(session.connection(), leaf_rows, nodes, subject_rows)
    session.connection().execute(_SET_SIZE, {"size": builder.size})
    return range(size, builder.size)


def lock_head(session: Session) -> int:
    """Lock the head row until the transaction ends; returns the current tree size."""
    size = session.connection().execute(_LOCK_HEAD).scalar()
    if size is None:
        raise LedgerTampered("账本头记录缺失，请检查数据库迁移是否完整")
    return int(size)


def tree_size(session: Session) -> int:
    """The number of entries the ledger holds, as this transaction sees it."""
    size = head_size(session.connection())
    if size is None:
        raise LedgerTampered("账本头记录缺失，请检查数据库迁移是否完整")
    return size


def read_hashes(session: Session, wanted: Iterable[NodeId]) -> dict[NodeId, bytes]:
    """The stored hashes of complete subtrees; a missing one means the store was tampered with."""
    leaves: dict[int, NodeId] = {}
    interior: dict[int, NodeId] = {}
    for node in wanted:
        level, index = node
        if level == 0:
            leaves[index] = node
        else:
            interior[node_position(level, index)] = node
    found: dict[NodeId, bytes] = {}
    connection = session.connection()
    leaf_keys, node_keys = sorted(leaves), sorted(interior)
    for at in range(0, max(len(leaf_keys), len(node_keys)), _IN_CHUNK):
        rows = hash_rows(connection, leaf_keys[at : at + _IN_CHUNK], node_keys[at : at + _IN_CHUNK])
        for kind, key, value in rows:
            found[interior[key] if kind else leaves[key]] = value
    if len(found) != len(leaves) + len(interior):
        missing = sorted((set(leaves.values()) | set(interior.values())) - set(found))
        raise LedgerTampered(
            "账本存储缺少哈希节点", fields={"nodes": ", ".join(map(str, missing[:10]))}
        )
    return found


def right_edge(session: Session, size: int) -> list[bytes]:
    """The hashes of the complete subtrees the tree of ``size`` leaves is made of."""
    nodes = range_nodes(0, size)
    hashes = read_hashes(session, nodes)
    return [hashes[node] for node in nodes]


def root_hash(session: Session, size: int | None = None) -> bytes:
    """The root of the tree of the first ``size`` entries (default: all of them)."""
    current = tree_size(session)
    size = current if size is None else size
    if not 0 <= size <= current:
        raise LedgerSizeInvalid(fields={"tree_size": f"应在0到{current}之间"})
    if size == 0:
        return empty_root()
    return fold(right_edge(session, size))


def inclusion_proof(session: Session, index: int, size: int | None = None) -> list[bytes]:
    """The audit path of entry ``index`` in the tree of ``size`` entries (default: all)."""
    current = tree_size(session)
    size = current if size is None else size
    if not 0 < size <= current:
        raise LedgerSizeInvalid(fields={"tree_size": f"应在1到{current}之间"})
    if not 0 <= index < size:
        raise LedgerEntryNotFound(fields={"index": f"应在0到{size - 1}之间"})
    ranges = inclusion_ranges(index, size)
    return assemble(ranges, read_hashes(session, nodes_of(ranges)))


def consistency_proof(session: Session, old_size: int, new_size: int | None = None) -> list[bytes]:
    """The proof that the tree of ``old_size`` entries is a prefix of the one of ``new_size``."""
    current = tree_size(session)
    new_size = current if new_size is None else new_size
    if not 0 < old_size <= new_size <= current:
        raise LedgerSizeInvalid(fields={"tree_size": f"须满足 0 < 旧规模 ≤ 新规模 ≤ {current}"})
    ranges = consistency_ranges(old_size, new_size)
    return assemble(ranges, read_hashes(session, nodes_of(ranges)))


def get_leaf(session: Session, index: int) -> StoredLeaf:
    row = leaf_row(session.connection(), index)
    if row is None:
        raise LedgerEntryNotFound(fields={"index": str(index)})
    return StoredLeaf(index, *row)


def iter_leaves(
    session: Session, start: int, end: int, chunk: int = 10_000
) -> Iterator[StoredLeaf]:
    """The stored leaves with indices in ``[start, end)``, in order (gaps are not filled)."""
    for low in range(start, end, chunk):
        rows = session.execute(
            select(LedgerLeaf.leaf_index, LedgerLeaf.leaf_hash, LedgerLeaf.entry)
            .where(LedgerLeaf.leaf_index >= low, LedgerLeaf.leaf_index < min(low + chunk, end))
            .order_by(LedgerLeaf.leaf_index)
        )
        for index, value, data in rows:
            yield StoredLeaf(index, value, data)


def indexed_columns(session: Session, start: int, end: int) -> dict[int, IndexedColumns]:
    """The query columns of the leaves in ``[start, end)`` and the subjects indexed for them."""
    subjects: dict[int, set[str]] = {}
    for subject_id, index in session.execute(
        select(LedgerSubject.subject_id, LedgerSubject.leaf_index).where(
            LedgerSubject.leaf_index >= start, LedgerSubject.leaf_index < end
        )
    ):
        subjects.setdefault(index, set()).add(subject_id)
    rows = session.execute(
        select(
            LedgerLeaf.leaf_index, LedgerLeaf.kind, LedgerLeaf.actor, LedgerLeaf.recorded_at
        ).where(LedgerLeaf.leaf_index >= start, LedgerLeaf.leaf_index < end)
    )
    return {
        index: IndexedColumns(kind, actor, moment, frozenset(subjects.get(index, ())))
        for index, kind, actor, moment in rows
    }


def stored_nodes(session: Session, first_leaf: int, end_leaf: int) -> dict[int, bytes]:
    """The interior nodes formed while leaves ``[first_leaf, end_leaf)`` were appended,
    by position (they are exactly the rows between those leaves' positions)."""
    rows = session.execute(
        select(LedgerNode.position, LedgerNode.hash).where(
            LedgerNode.position >= leaf_position(first_leaf),
            LedgerNode.position < leaf_position(end_leaf),
        )
    )
    return {row.position: row.hash for row in rows}


def count_nodes_from(session: Session, position: int) -> int:
    """How many interior node rows sit at or after ``position`` (none should, past the head)."""
    return (
        session.scalar(
            select(func.count(LedgerNode.position)).where(LedgerNode.position >= position)
        )
        or 0
    )


def count_leaves_from(session: Session, index: int) -> int:
    """How many leaf rows sit at or after ``index`` (none should, past the head)."""
    return (
        session.scalar(
            select(func.count(LedgerLeaf.leaf_index)).where(LedgerLeaf.leaf_index >= index)
        )
        or 0
    )


def entries_about(session: Session, subject_id: str) -> list[int]:
    """The indices of the entries that name ``subject_id``, oldest first."""
    return list(
        session.scalars(
            select(LedgerSubject.leaf_index)
            .where(LedgerSubject.subject_id == subject_id)
            .order_by(LedgerSubject.leaf_index)
        )
    )
