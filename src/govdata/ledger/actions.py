"""Actions of the ledger: search entries, one entry with its proof, checkpoints, consistency.

Reading the ledger never writes (the actions are read-only). Entries are
shown decoded from their canonical bytes, the bytes the leaf hash covers, so
what a reader sees is exactly what the proofs prove.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, func, select

from govdata.actions import ActionSet, Context
from govdata.ledger.checkpoints import latest_checkpoint
from govdata.ledger.documents import build_proof
from govdata.ledger.entries import decode_entry, format_time
from govdata.ledger.errors import LedgerNoCheckpoint
from govdata.ledger.models import LedgerLeaf, LedgerSubject
from govdata.ledger.schemas import (
    CheckpointOut,
    ConsistencyOut,
    ConsistencyQuery,
    LedgerEntriesPage,
    LedgerEntriesQuery,
    LedgerEntryOut,
    LedgerEntryProof,
    LedgerIndex,
    NoInput,
)
from govdata.ledger.store import consistency_proof, get_leaf, root_hash, tree_size

actions = ActionSet("ledger")

READ = "ledger:read"


def entry_out(index: int, leaf_hash: bytes, data: bytes) -> LedgerEntryOut:
    entry = decode_entry(data)
    return LedgerEntryOut(
        index=index,
        kind=entry.kind,
        subject_ids=list(entry.subject_ids),
        actor=entry.actor,
        recorded_at=format_time(entry.recorded_at),
        body=dict(entry.body),
        leaf_hash=leaf_hash.hex(),
    )


def _filtered(data: LedgerEntriesQuery, columns: Any) -> Select[Any]:
    query = select(columns).select_from(LedgerLeaf)
    if data.subject_id is not None:
        query = query.join(LedgerSubject, LedgerSubject.leaf_index == LedgerLeaf.leaf_index).where(
            LedgerSubject.subject_id == data.subject_id
        )
    if data.kind is not None:
        query = query.where(LedgerLeaf.kind == data.kind)
    if data.since is not None:
        query = query.where(LedgerLeaf.recorded_at >= data.since)
    if data.until is not None:
        query = query.where(LedgerLeaf.recorded_at < data.until)
    return query


@actions.register(
    "ledger_entries",
    LedgerEntriesQuery,
    example={"subject_id": "<run, source, catalog entry or event id>"},
    summary="Search the tamper-evident ledger by subject id, kind and time, newest first.",
    read_only=True,
)
def ledger_entries(ctx: Context, data: LedgerEntriesQuery) -> LedgerEntriesPage:
    ctx.authorize(READ)
    size = tree_size(ctx.session)
    checkpoint = latest_checkpoint(ctx.session)
    total = ctx.session.scalar(_filtered(data, func.count()).where(LedgerLeaf.leaf_index < size))
    rows = ctx.session.execute(
        _filtered(data, LedgerLeaf)
        .where(LedgerLeaf.leaf_index < size)
        .order_by(LedgerLeaf.leaf_index.desc())
        .offset(data.offset)
        .limit(data.limit)
    ).scalars()
    return LedgerEntriesPage(
        tree_size=size,
        checkpoint_size=None if checkpoint is None else checkpoint.tree_size,
        total=total or 0,
        entries=[entry_out(row.leaf_index, row.leaf_hash, row.entry) for row in rows],
    )


@actions.register(
    "ledger_entry",
    LedgerIndex,
    example={"index": 0},
    summary="One ledger entry with its inclusion proof against the latest signed checkpoint "
    "(a proof file for `govdata ledger verify --proof`).",
    read_only=True,
)
def ledger_entry(ctx: Context, data: LedgerIndex) -> LedgerEntryProof:
    ctx.authorize(READ)
    leaf = get_leaf(ctx.session, data.index)
    checkpoint = latest_checkpoint(ctx.session)
    covered = checkpoint is not None and data.index < checkpoint.tree_size
    return LedgerEntryProof(
        entry=entry_out(leaf.index, leaf.leaf_hash, leaf.entry),
        covered=covered,
        proof=build_proof(ctx.session, data.index) if covered else None,
    )


@actions.register(
    "ledger_checkpoint_latest",
    NoInput,
    example={},
    summary="The latest signed checkpoint (tree size, root hash, signature, public key).",
    read_only=True,
)
def ledger_checkpoint_latest(ctx: Context, data: NoInput) -> CheckpointOut:
    ctx.authorize(READ)
    checkpoint = latest_checkpoint(ctx.session)
    if checkpoint is None:
        raise LedgerNoCheckpoint("账本尚未签发检查点")
    return CheckpointOut(tree_size=checkpoint.tree_size, checkpoint=checkpoint.to_json())


@actions.register(
    "ledger_consistency",
    ConsistencyQuery,
    example={"from_size": 1},
    summary="The consistency proof that the ledger of from_size entries is a prefix of the "
    "one of to_size (default: the latest checkpoint's size).",
    read_only=True,
)
def ledger_consistency(ctx: Context, data: ConsistencyQuery) -> ConsistencyOut:
    ctx.authorize(READ)
    to_size = data.to_size
    if to_size is None:
        checkpoint = latest_checkpoint(ctx.session)
        if checkpoint is None:
            raise LedgerNoCheckpoint("账本尚未签发检查点，请指定 to_size")
        to_size = checkpoint.tree_size
    path = consistency_proof(ctx.session, data.from_size, to_size)
    return ConsistencyOut(
        from_size=data.from_size,
        to_size=to_size,
        from_root=root_hash(ctx.session, data.from_size).hex(),
        to_root=root_hash(ctx.session, to_size).hex(),
        path=[value.hex() for value in path],
    )
