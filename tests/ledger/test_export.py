"""Specification of the export file and its offline audit, and of proof documents.

The offline verifier must catch every change an intermediary could make to
an export or a proof: edited, deleted, reordered or truncated entries,
altered checkpoints and proofs from another log.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session

from govdata.ledger import append_many, sign_checkpoint, tree_size
from govdata.ledger.audit import AuditReport
from govdata.ledger.checkpoints import Checkpoint
from govdata.ledger.documents import audit_export, audit_proof, build_proof, write_export
from govdata.ledger.errors import LedgerDocumentInvalid, LedgerNoCheckpoint
from govdata.ledger.hashing import leaf_hash
from govdata.nodes.keys import SM2_SM3, NodeKey, load_or_create_node_key
from tests.ledger.factories import ORIGIN, ledger_entries, node_key

Lines = list[dict[str, Any]]


@pytest.fixture
def key() -> NodeKey:
    return node_key()


@pytest.fixture
def checkpoints(session: Session, key: NodeKey) -> list[Checkpoint]:
    signed = []
    for batch, count in enumerate((10, 25, 30)):
        append_many(session, ledger_entries(batch * 100, count))
        signed.append(sign_checkpoint(session, key, ORIGIN))
    return signed


@pytest.fixture
def export(session: Session, checkpoints: list[Checkpoint], tmp_path: Path) -> Path:
    path = tmp_path / "ledger.jsonl"
    with path.open("w", encoding="utf-8") as handle:
        write_export(session, handle, origin=ORIGIN)
    return path


def read_lines(path: Path) -> Lines:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def write_lines(path: Path, lines: Lines) -> None:
    path.write_text(
        "".join(json.dumps(line, ensure_ascii=False) + "\n" for line in lines), encoding="utf-8"
    )


def entry_lines(lines: Lines) -> Lines:
    return [line for line in lines if line.get("type") == "entry"]


def audited(path: Path, **options: Any) -> AuditReport:
    return audit_export(path, **options)


def test_an_export_holds_a_header_every_checkpoint_and_every_entry(
    session: Session, export: Path, key: NodeKey, checkpoints: list[Checkpoint]
) -> None:
    header, *rest = read_lines(export)

    assert header["format"] == "govdata-ledger-export"
    assert header["tree_size"] == tree_size(session) == len(entry_lines(rest))
    assert key.fingerprint in {k["fingerprint"] for k in header["public_keys"]}
    assert [line["type"] for line in rest[: len(checkpoints)]] == ["checkpoint"] * len(checkpoints)


def test_an_untouched_export_verifies_offline(export: Path, key: NodeKey) -> None:
    report = audited(export, accepted_keys=[key.fingerprint])

    assert report.ok, report.failures


def test_an_edited_entry_in_an_export_is_detected(export: Path) -> None:
    lines = read_lines(export)
    target = entry_lines(lines)[-30]
    target["entry"] = target["entry"].replace("人口", "法人")
    write_lines(export, lines)

    assert {"entry_modified", "checkpoint_root_mismatch"} <= audited(export).codes()


def test_an_edited_entry_with_a_matching_leaf_hash_is_detected(export: Path) -> None:
    lines = read_lines(export)
    target = entry_lines(lines)[-30]
    target["entry"] = target["entry"].replace("人口", "法人")
    target["leaf_hash"] = leaf_hash(target["entry"].encode()).hex()
    write_lines(export, lines)

    assert "checkpoint_root_mismatch" in audited(export).codes()


def test_a_deleted_entry_in_an_export_is_detected(export: Path) -> None:
    lines = read_lines(export)
    lines.remove(entry_lines(lines)[-40])
    write_lines(export, lines)

    assert {"entry_missing", "size_mismatch"} <= audited(export).codes()


def test_reordered_entry_lines_in_an_export_are_detected(export: Path) -> None:
    lines = read_lines(export)
    first, second = lines.index(entry_lines(lines)[-5]), lines.index(entry_lines(lines)[-4])
    lines[first], lines[second] = lines[second], lines[first]
    write_lines(export, lines)

    assert "entry_out_of_order" in audited(export).codes()


def test_swapped_entry_contents_under_unchanged_indices_are_detected(export: Path) -> None:
    lines = read_lines(export)
    a, b = entry_lines(lines)[-5], entry_lines(lines)[-4]
    a["entry"], b["entry"] = b["entry"], a["entry"]
    a["leaf_hash"], b["leaf_hash"] = b["leaf_hash"], a["leaf_hash"]
    write_lines(export, lines)

    assert "checkpoint_root_mismatch" in audited(export).codes()


def test_an_export_truncated_below_a_checkpoint_is_detected(export: Path) -> None:
    lines = read_lines(export)
    lines = lines[:-20]
    lines[0]["tree_size"] -= 20
    write_lines(export, lines)

    assert "checkpoint_beyond_log" in audited(export).codes()


def test_a_rolled_back_export_passes_alone_but_fails_against_a_kept_checkpoint(
    export: Path, checkpoints: list[Checkpoint]
) -> None:
    lines = read_lines(export)
    kept = [
        line
        for line in lines
        if line.get("type") != "checkpoint" or line["tree_size"] <= checkpoints[1].tree_size
    ]
    kept = [
        line
        for line in kept
        if line.get("type") != "entry" or line["index"] < checkpoints[1].tree_size
    ]
    kept[0]["tree_size"] = checkpoints[1].tree_size
    write_lines(export, kept)
    assert audited(export).ok

    report = audited(export, trusted=[checkpoints[2]])

    assert "checkpoint_beyond_log" in report.codes()


def test_an_altered_checkpoint_in_an_export_fails_its_signature(export: Path) -> None:
    lines = read_lines(export)
    checkpoint = next(line for line in lines if line.get("type") == "checkpoint")
    checkpoint["root_hash"] = "00" * 32
    write_lines(export, lines)

    assert "checkpoint_signature_invalid" in audited(export).codes()


def test_an_export_re_signed_with_another_key_fails_when_the_key_is_pinned(
    session: Session, tmp_path: Path, key: NodeKey
) -> None:
    append_many(session, ledger_entries(0, 5))
    sign_checkpoint(session, node_key(), ORIGIN)
    path = tmp_path / "other.jsonl"
    with path.open("w", encoding="utf-8") as handle:
        write_export(session, handle, origin=ORIGIN)

    assert "checkpoint_key_untrusted" in audited(path, accepted_keys=[key.fingerprint]).codes()


@pytest.mark.parametrize(
    "damage",
    [
        lambda text: "",
        lambda text: "[]\n" + text,
        lambda text: text.replace('"govdata-ledger-export"', '"something-else"'),
        lambda text: text + "{broken\n",
        lambda text: text + '{"type":"checkpoint"}\n',
    ],
    ids=["empty", "not-an-object", "wrong-format", "broken-line", "checkpoint-after-entries"],
)
def test_a_file_that_is_not_a_valid_export_is_refused(export: Path, damage: Any) -> None:
    export.write_text(damage(export.read_text(encoding="utf-8")), encoding="utf-8")

    with pytest.raises(LedgerDocumentInvalid) as refused:
        audit_export(export)

    assert refused.value.error_code == "ledger_document_invalid"


# --- inclusion proof documents -----------------------------------------------------


def test_a_proof_document_verifies_offline(
    session: Session, checkpoints: list[Checkpoint], key: NodeKey
) -> None:
    document = json.loads(json.dumps(build_proof(session, checkpoints[1].tree_size - 1)))

    report = audit_proof(document, accepted_keys=[key.fingerprint])

    assert report.ok, report.failures


@pytest.mark.parametrize(
    "forge",
    [
        lambda d: d.update(entry=d["entry"].replace("人口", "法人")),
        lambda d: d.update(leaf_index=d["leaf_index"] + 1),
        lambda d: d["inclusion_path"].__setitem__(0, "00" * 32),
        lambda d: d["inclusion_path"].pop(),
        lambda d: d["checkpoint"].update(root_hash="11" * 32),
        lambda d: d.update(tree_size=d["tree_size"] - 1),
    ],
    ids=["entry", "index", "path-hash", "path-short", "checkpoint-root", "size"],
)
def test_a_forged_proof_document_is_rejected(
    session: Session, checkpoints: list[Checkpoint], forge: Any
) -> None:
    document = json.loads(json.dumps(build_proof(session, checkpoints[0].tree_size - 3)))
    forge(document)

    assert not audit_proof(document).ok


def test_a_proof_carries_consistency_from_a_checkpoint_its_holder_trusts(
    session: Session, checkpoints: list[Checkpoint]
) -> None:
    old = checkpoints[0]
    with_consistency = build_proof(session, 2, since_size=old.tree_size)
    without = build_proof(session, 2)

    assert audit_proof(with_consistency, trusted=[old]).ok
    assert "consistency_missing" in audit_proof(without, trusted=[old]).codes()


def test_a_proof_from_a_rewritten_log_is_inconsistent_with_a_kept_checkpoint(
    session: Session, checkpoints: list[Checkpoint], key: NodeKey
) -> None:
    old = checkpoints[1]
    document = build_proof(session, 2, since_size=old.tree_size)
    forked_old = replace(old, root_hash=bytes(32))
    forked_old = replace(forked_old, signature=key.sign(forked_old.signed_message()))

    assert "checkpoint_inconsistent" in audit_proof(document, trusted=[forked_old]).codes()


def test_a_proof_older_than_a_kept_checkpoint_is_reported_as_a_rollback(
    session: Session, checkpoints: list[Checkpoint], key: NodeKey
) -> None:
    document = build_proof(session, 2)
    append_many(session, ledger_entries(0, 1))
    newer = sign_checkpoint(session, key, ORIGIN)

    assert "checkpoint_rolled_back" in audit_proof(document, trusted=[newer]).codes()


def test_no_proof_is_given_for_an_entry_no_checkpoint_covers(
    session: Session, checkpoints: list[Checkpoint]
) -> None:
    append_many(session, ledger_entries(0, 1))

    with pytest.raises(LedgerNoCheckpoint) as refused:
        build_proof(session, tree_size(session) - 1)

    assert refused.value.error_code == "ledger_no_checkpoint"


@pytest.mark.parametrize(
    "public_key",
    ["not a key", "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n"],
    ids=["garbage", "truncated-pem"],
)
def test_a_checkpoint_with_an_unreadable_key_fails_without_crashing(
    export: Path, public_key: str
) -> None:
    lines = read_lines(export)
    checkpoint = next(line for line in lines if line.get("type") == "checkpoint")
    checkpoint["public_key"] = public_key
    write_lines(export, lines)

    assert "checkpoint_signature_invalid" in audited(export).codes()


def test_checkpoints_signed_with_an_sm2_node_key_verify(session: Session, tmp_path: Path) -> None:
    sm2_key = load_or_create_node_key(tmp_path / "keys", SM2_SM3)
    append_many(session, ledger_entries(0, 7))
    checkpoint = sign_checkpoint(session, sm2_key, ORIGIN)
    path = tmp_path / "sm2.jsonl"
    with path.open("w", encoding="utf-8") as handle:
        write_export(session, handle, origin=ORIGIN)

    assert checkpoint.signature_algorithm == SM2_SM3
    assert checkpoint.problem() is None
    assert audited(path).ok
