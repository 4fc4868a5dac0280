"""Specification of tamper detection: every way of changing the stored ledger is caught.

The ledger is built in the suite's rolled-back session, with signed
checkpoints along the way, then changed behind its back with plain SQL and
audited the way ``govdata ledger verify`` audits the live database.
"""

from __future__ import annotations

from dataclasses import replace

import pytest
from sqlalchemy import delete, insert, update
from sqlalchemy.orm import Session

from govdata.ledger import append_many, sign_checkpoint, stored_checkpoints, tree_size
from govdata.ledger.audit import AuditReport, audit_database
from govdata.ledger.checkpoints import Checkpoint
from govdata.ledger.hashing import leaf_hash
from govdata.ledger.models import (
    HEAD_ID,
    LedgerCheckpoint,
    LedgerHead,
    LedgerLeaf,
    LedgerNode,
    LedgerSubject,
)
from govdata.ledger.store import get_leaf
from govdata.ledger.tree import leaf_position, node_position, nodes_formed_by
from govdata.nodes.keys import NodeKey
from tests.ledger.factories import ORIGIN, ledger_entries, node_key


@pytest.fixture
def key() -> NodeKey:
    return node_key()


@pytest.fixture
def checkpoints(session: Session, key: NodeKey) -> list[Checkpoint]:
    """About 100 new entries with a checkpoint after each of four batches."""
    signed = []
    for batch, count in enumerate((13, 30, 21, 36)):
        append_many(session, ledger_entries(batch * 100, count))
        signed.append(sign_checkpoint(session, key, ORIGIN))
    return signed


def audit(session: Session, **options: object) -> AuditReport:
    return audit_database(session, **options)  # type: ignore[arg-type]


def set_leaf(session: Session, index: int, **values: object) -> None:
    session.execute(update(LedgerLeaf).where(LedgerLeaf.leaf_index == index).values(**values))


def test_an_untouched_ledger_verifies(session: Session, checkpoints: list[Checkpoint]) -> None:
    report = audit(session)

    assert report.ok, report.failures
    assert report.entries == tree_size(session)
    assert report.checkpoints >= len(checkpoints)


def test_a_modified_entry_is_detected_by_its_leaf_hash(
    session: Session, checkpoints: list[Checkpoint]
) -> None:
    index = checkpoints[1].tree_size - 5
    entry = get_leaf(session, index).entry
    set_leaf(session, index, entry=entry.replace("人口".encode(), "法人".encode()))

    report = audit(session)

    assert not report.ok
    assert "entry_modified" in report.codes()
    assert "checkpoint_root_mismatch" in report.codes()


def test_a_modified_entry_with_a_recomputed_leaf_hash_breaks_the_signed_roots(
    session: Session, checkpoints: list[Checkpoint]
) -> None:
    index = checkpoints[0].tree_size - 1
    forged = get_leaf(session, index).entry.replace("人口".encode(), "法人".encode())
    set_leaf(session, index, entry=forged, leaf_hash=leaf_hash(forged))

    report = audit(session)

    assert {"checkpoint_root_mismatch", "checkpoint_inconsistent"} <= report.codes()
    assert "node_mismatch" in report.codes() or index == 0


def test_a_deleted_entry_is_detected(session: Session, checkpoints: list[Checkpoint]) -> None:
    index = checkpoints[2].tree_size - 10
    session.execute(delete(LedgerLeaf).where(LedgerLeaf.leaf_index == index))

    report = audit(session)

    assert {"entry_missing", "size_mismatch", "checkpoint_root_mismatch"} <= report.codes()


def test_reordered_entries_are_detected(session: Session, checkpoints: list[Checkpoint]) -> None:
    first, second = checkpoints[1].tree_size - 3, checkpoints[1].tree_size - 2
    a, b = get_leaf(session, first), get_leaf(session, second)
    set_leaf(session, first, entry=b.entry, leaf_hash=b.leaf_hash)
    set_leaf(session, second, entry=a.entry, leaf_hash=a.leaf_hash)

    report = audit(session)

    assert {"checkpoint_root_mismatch", "node_mismatch"} <= report.codes()


def roll_back_to(session: Session, size: int) -> None:
    """What an intruder with database access would do to undo the last entries."""
    session.execute(delete(LedgerLeaf).where(LedgerLeaf.leaf_index >= size))
    session.execute(delete(LedgerSubject).where(LedgerSubject.leaf_index >= size))
    session.execute(delete(LedgerNode).where(LedgerNode.position >= leaf_position(size)))
    session.execute(update(LedgerHead).where(LedgerHead.id == HEAD_ID).values(tree_size=size))


def test_a_log_rolled_back_and_rewritten_fails_checkpoint_consistency(
    session: Session, key: NodeKey, checkpoints: list[Checkpoint]
) -> None:
    roll_back_to(session, checkpoints[2].tree_size - 4)
    append_many(session, ledger_entries(900, 50))  # a different history...
    sign_checkpoint(session, key, ORIGIN)  # ...signed with the node's own key

    report = audit(session)

    assert {"checkpoint_root_mismatch", "checkpoint_inconsistent"} <= report.codes()


def test_a_rolled_back_log_with_its_checkpoints_removed_fails_against_a_checkpoint_held_outside(
    session: Session, checkpoints: list[Checkpoint]
) -> None:
    size = checkpoints[1].tree_size
    roll_back_to(session, size)
    session.execute(delete(LedgerCheckpoint).where(LedgerCheckpoint.tree_size > size))
    assert audit(session).ok  # on its own the truncated log looks fine...

    report = audit(session, trusted=[checkpoints[-1]])

    assert "checkpoint_beyond_log" in report.codes()  # ...but not to an auditor who kept one


def test_a_log_rewritten_after_a_checkpoint_held_outside_is_inconsistent_with_it(
    session: Session, key: NodeKey, checkpoints: list[Checkpoint]
) -> None:
    size = checkpoints[1].tree_size
    roll_back_to(session, size - 1)
    session.execute(delete(LedgerCheckpoint).where(LedgerCheckpoint.tree_size >= size))
    append_many(session, ledger_entries(700, 80))
    sign_checkpoint(session, key, ORIGIN)
    assert audit(session).ok

    report = audit(session, trusted=[checkpoints[1]])

    assert {"checkpoint_root_mismatch", "checkpoint_inconsistent"} <= report.codes()


def test_a_checkpoint_with_a_forged_root_fails_its_signature(
    session: Session, checkpoints: list[Checkpoint]
) -> None:
    session.execute(
        update(LedgerCheckpoint)
        .where(LedgerCheckpoint.tree_size == checkpoints[0].tree_size)
        .values(tree_size=checkpoints[0].tree_size + 1)
    )

    report = audit(session)

    assert "checkpoint_signature_invalid" in report.codes()


def test_a_checkpoint_signed_by_another_key_is_not_accepted(
    session: Session, key: NodeKey, checkpoints: list[Checkpoint]
) -> None:
    sign_checkpoint(session, node_key(), ORIGIN)

    report = audit(session, accepted_keys=[key.fingerprint])

    assert "checkpoint_key_untrusted" in report.codes()


def test_two_checkpoints_of_one_size_with_different_roots_are_a_fork(
    session: Session, key: NodeKey, checkpoints: list[Checkpoint]
) -> None:
    honest = checkpoints[0]
    forked = replace(honest, root_hash=bytes(32))
    forked = replace(forked, signature=key.sign(forked.signed_message()))
    session.execute(
        insert(LedgerCheckpoint).values(
            {
                name: getattr(forked, name)
                for name in (
                    "origin",
                    "tree_size",
                    "root_hash",
                    "signed_at",
                    "hash_algorithm",
                    "signature_algorithm",
                    "key_fingerprint",
                    "public_key_pem",
                    "signature",
                )
            }
        )
    )

    report = audit(session)

    assert {"checkpoint_fork", "checkpoint_rolled_back"} <= report.codes()


def test_rows_added_past_the_head_are_detected(
    session: Session, checkpoints: list[Checkpoint]
) -> None:
    size = tree_size(session)
    session.execute(insert(LedgerNode).values(position=leaf_position(size) + 5, hash=bytes(32)))

    report = audit(session)

    assert "node_extra" in report.codes()


def test_a_changed_interior_node_is_detected(
    session: Session, checkpoints: list[Checkpoint]
) -> None:
    level, index = nodes_formed_by(checkpoints[1].tree_size // 8 * 8 - 1)[-1]
    session.execute(
        update(LedgerNode)
        .where(LedgerNode.position == node_position(level, index))
        .values(hash=bytes(32))
    )

    report = audit(session)

    assert report.codes() == {"node_mismatch"}


def test_entries_after_the_last_checkpoint_are_reported_as_not_yet_signed(
    session: Session, checkpoints: list[Checkpoint]
) -> None:
    append_many(session, ledger_entries(5000, 3))

    report = audit(session)

    assert report.ok
    assert any("3条条目尚无签名覆盖" in note for note in report.notes)


def test_the_stored_checkpoints_verify_and_come_back_in_signing_order(
    session: Session, checkpoints: list[Checkpoint]
) -> None:
    stored = stored_checkpoints(session)[-len(checkpoints) :]

    assert stored == checkpoints
    assert all(checkpoint.problem() is None for checkpoint in stored)


def test_query_columns_that_disagree_with_the_entry_are_detected(
    session: Session, checkpoints: list[Checkpoint]
) -> None:
    set_leaf(session, checkpoints[0].tree_size - 2, actor="李四")
    session.execute(
        delete(LedgerSubject).where(
            LedgerSubject.leaf_index == checkpoints[1].tree_size - 2,
            LedgerSubject.subject_id == "org-nmg-gat",
        )
    )

    report = audit(session)

    assert report.codes() == {"entry_columns_modified"}
    assert report.failure_count == 2
