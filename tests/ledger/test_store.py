"""Specification of appending to the stored ledger and reading proofs from it.

Runs in the suite's rolled-back session (SQLite, or PostgreSQL with
GOVDATA_TEST_DATABASE_URL). The ledger may already hold entries other areas
recorded, so sizes are taken relative to where each test starts.
"""

from __future__ import annotations

import pytest
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from govdata.db import Database
from govdata.ledger import (
    append,
    append_many,
    consistency_proof,
    entries_about,
    get_leaf,
    inclusion_proof,
    root_hash,
    tree_size,
    verify_consistency,
    verify_inclusion,
)
from govdata.ledger.entries import encode_entry
from govdata.ledger.errors import (
    LedgerEntryInvalid,
    LedgerEntryNotFound,
    LedgerSizeInvalid,
    LedgerTampered,
)
from govdata.ledger.models import LedgerLeaf, LedgerNode, LedgerSubject
from govdata.ledger.proofs import inclusion_ranges, nodes_of
from govdata.ledger.store import iter_leaves
from govdata.ledger.tree import node_position
from tests.ledger.factories import ledger_entries, ledger_entry
from tests.ledger.reference import mth, path, proof, reference_leaf


def all_leaf_hashes(session: Session) -> list[bytes]:
    return [leaf.leaf_hash for leaf in iter_leaves(session, 0, tree_size(session))]


def row_counts(session: Session) -> tuple[int, ...]:
    return tuple(
        session.scalar(select(func.count()).select_from(model)) or 0
        for model in (LedgerLeaf, LedgerNode, LedgerSubject)
    )


def test_appends_take_consecutive_indices(session: Session) -> None:
    start = tree_size(session)

    first = append(session, ledger_entry(1))
    batch = append_many(session, ledger_entries(2, 5))
    last = append(session, ledger_entry(7))

    assert first == start
    assert batch == range(start + 1, start + 6)
    assert last == start + 6
    assert tree_size(session) == start + 7


def test_an_empty_batch_appends_nothing(session: Session) -> None:
    start = tree_size(session)
    assert append_many(session, []) == range(start, start)
    assert tree_size(session) == start


def test_the_stored_leaf_is_the_canonical_encoding_and_its_hash(session: Session) -> None:
    index = append(session, ledger_entry(1))

    leaf = get_leaf(session, index)

    assert leaf.entry == encode_entry(ledger_entry(1))
    assert leaf.leaf_hash == reference_leaf(leaf.entry)


def test_the_root_at_every_size_matches_the_reference(session: Session) -> None:
    start = tree_size(session)
    append_many(session, ledger_entries(0, 40))
    hashes = all_leaf_hashes(session)

    for size in range(max(start, 1), start + 41):
        assert root_hash(session, size) == mth(hashes[:size])


def test_stored_proofs_equal_the_reference_and_verify(session: Session) -> None:
    start = tree_size(session)
    for batch in range(7):  # batches of uneven sizes exercise resuming the right edge
        append_many(session, ledger_entries(batch * 20, 3 + batch * 5))
    hashes = all_leaf_hashes(session)
    end = len(hashes)

    for size in sorted({start + 1, start + 2, start + 17, start + 64, end}):
        root = root_hash(session, size)
        for index in range(size):
            audit_path = inclusion_proof(session, index, size)
            assert audit_path == path(index, hashes[:size])
            assert verify_inclusion(hashes[index], index, size, audit_path, root)
    for old in range(1, end + 1):
        consistency_path = consistency_proof(session, old, end)
        assert consistency_path == proof(old, hashes)
        old_root, new_root = root_hash(session, old), root_hash(session)
        assert verify_consistency(old, old_root, end, new_root, consistency_path)


def test_entries_about_a_subject_are_found_by_its_id(session: Session) -> None:
    first = append(session, ledger_entry(1, subject="grant-77"))
    append(session, ledger_entry(2))
    third = append(session, ledger_entry(3, subject="grant-77"))

    assert entries_about(session, "grant-77") == [first, third]
    assert entries_about(session, "org-nmg-gat")[-3:] == [first, first + 1, third]


def test_appends_in_a_transaction_that_rolls_back_leave_no_trace(db: Database) -> None:
    with db.transaction() as session:
        before = (tree_size(session), row_counts(session))

    with pytest.raises(RuntimeError), db.transaction() as session:
        append_many(session, ledger_entries(0, 50))
        assert tree_size(session) == before[0] + 50
        raise RuntimeError("the change being recorded failed")

    with db.transaction() as session:
        assert (tree_size(session), row_counts(session)) == before
        assert append(session, ledger_entry(1)) == before[0]


def test_appends_in_a_rolled_back_savepoint_leave_no_trace(session: Session) -> None:
    before = (tree_size(session), row_counts(session))

    nested = session.begin_nested()
    append_many(session, ledger_entries(0, 9))
    nested.rollback()

    assert (tree_size(session), row_counts(session)) == before


def test_an_invalid_entry_in_a_batch_writes_nothing(session: Session) -> None:
    before = (tree_size(session), row_counts(session))
    bad = ledger_entry(3)
    object.__setattr__(bad, "body", {"amount": 1.5})

    with pytest.raises(LedgerEntryInvalid):
        append_many(session, [ledger_entry(1), ledger_entry(2), bad])

    assert (tree_size(session), row_counts(session)) == before


def test_proofs_outside_the_tree_are_refused_with_stable_codes(session: Session) -> None:
    append_many(session, ledger_entries(0, 3))
    size = tree_size(session)

    with pytest.raises(LedgerEntryNotFound) as missing:
        inclusion_proof(session, size)
    with pytest.raises(LedgerSizeInvalid) as too_big:
        inclusion_proof(session, 0, size + 1)
    with pytest.raises(LedgerSizeInvalid):
        consistency_proof(session, 0, size)
    with pytest.raises(LedgerSizeInvalid):
        root_hash(session, size + 1)

    assert missing.value.error_code == "ledger_entry_not_found"
    assert too_big.value.error_code == "ledger_size_invalid"


def test_a_proof_that_needs_a_deleted_node_reports_tampering(session: Session) -> None:
    append_many(session, ledger_entries(0, 8))
    size = tree_size(session)
    needed = nodes_of(inclusion_ranges(size - 1, size))
    level, index = max(needed)
    session.execute(delete(LedgerNode).where(LedgerNode.position == node_position(level, index)))

    with pytest.raises(LedgerTampered) as tampered:
        inclusion_proof(session, size - 1, size)

    assert tampered.value.error_code == "ledger_tampered"
