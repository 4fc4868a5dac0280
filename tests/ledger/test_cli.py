"""Specification of `govdata ledger …` on a node of the test's own (SQLite file)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import update

from govdata.db import Database
from govdata.ledger import append_many
from govdata.ledger.models import LedgerLeaf
from govdata.nodes.keys import load_node_key
from tests.conftest import Invoke
from tests.ledger.factories import ledger_entries


@pytest.fixture
def node_db(govdata: Invoke, database_file: Path) -> Database:
    """The node's database after `govdata db upgrade`, with 40 entries committed."""
    assert govdata("db", "upgrade").exit_code == 0
    database = Database.from_url(f"sqlite:///{database_file}")
    with database.transaction() as session:
        append_many(session, ledger_entries(0, 40))
    yield database
    database.dispose()


@pytest.fixture
def signed(govdata: Invoke, node_db: Database, tmp_path: Path) -> Path:
    """Two checkpoints (at 40 and 65 entries); returns the first, saved as a file."""
    first = tmp_path / "checkpoint-40.json"
    assert govdata("ledger", "checkpoint", "--output", str(first)).exit_code == 0
    with node_db.transaction() as session:
        append_many(session, ledger_entries(100, 25))
    assert govdata("ledger", "checkpoint").exit_code == 0
    return first


@pytest.fixture
def export(govdata: Invoke, signed: Path, tmp_path: Path) -> Path:
    path = tmp_path / "ledger-export.jsonl"
    result = govdata("ledger", "export", str(path))
    assert result.exit_code == 0, result.output
    assert "已导出 65 条条目、2 个检查点" in result.output
    return path


def fingerprint(tmp_path: Path) -> str:
    key = load_node_key(tmp_path / "keys")
    assert key is not None
    return key.fingerprint


def test_checkpoint_signs_the_ledger_and_says_so_in_chinese(
    govdata: Invoke, node_db: Database, tmp_path: Path
) -> None:
    result = govdata("ledger", "checkpoint", "--output", str(tmp_path / "cp.json"))

    assert result.exit_code == 0
    assert "已签发检查点：40 条" in result.output
    saved = json.loads((tmp_path / "cp.json").read_text(encoding="utf-8"))
    assert saved["tree_size"] == 40
    assert saved["key_fingerprint"] == fingerprint(tmp_path)


def test_verify_passes_on_a_good_export(govdata: Invoke, export: Path, tmp_path: Path) -> None:
    result = govdata(
        "ledger", "verify", "--export", str(export), "--key-fingerprint", fingerprint(tmp_path)
    )

    assert result.exit_code == 0, result.output
    assert "校验通过" in result.output
    assert "65 条条目、2 个检查点" in result.output


def test_verify_without_a_pinned_key_warns_that_the_key_came_from_the_file(
    govdata: Invoke, export: Path
) -> None:
    result = govdata("ledger", "verify", "--export", str(export))

    assert result.exit_code == 0
    assert "未指定 --key-fingerprint" in result.output


def test_verify_fails_on_a_tampered_export_naming_what_failed(
    govdata: Invoke, export: Path
) -> None:
    text = export.read_text(encoding="utf-8")
    export.write_text(text.replace("人口基础信息7", "人口基础信息8", 1), encoding="utf-8")

    result = govdata("ledger", "verify", "--export", str(export))

    assert result.exit_code == 1
    assert "校验失败" in result.output
    assert "条目7的内容与记录的叶哈希不符" in result.output
    assert "检查点#1（40条）的根哈希与按条目重算的结果不符" in result.output


def test_verify_fails_on_a_rolled_back_export_against_a_kept_checkpoint(
    govdata: Invoke, export: Path, tmp_path: Path
) -> None:
    kept = tmp_path / "kept.json"
    assert govdata("ledger", "checkpoint", "--output", str(kept)).exit_code == 0
    lines = export.read_text(encoding="utf-8").splitlines(keepends=True)
    header = json.loads(lines[0]) | {"tree_size": 40}
    rolled_back = [json.dumps(header) + "\n", lines[1], *lines[3:43]]
    export.write_text("".join(rolled_back), encoding="utf-8")

    result = govdata("ledger", "verify", "--export", str(export), "--trusted-checkpoint", str(kept))

    assert result.exit_code == 1
    assert "账本被截断或回滚" in result.output


def test_verify_fails_when_the_export_is_not_signed_by_the_pinned_key(
    govdata: Invoke, export: Path
) -> None:
    result = govdata("ledger", "verify", "--export", str(export), "--key-fingerprint", "ab" * 32)

    assert result.exit_code == 1
    assert "未被认可的公钥" in result.output


def test_verify_refuses_a_file_that_is_not_an_export(govdata: Invoke, tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("hello\n", encoding="utf-8")

    result = govdata("ledger", "verify", "--export", str(path))

    assert result.exit_code == 1
    assert "校验失败" in result.output


def test_proof_prints_json_that_verifies_offline(
    govdata: Invoke, signed: Path, tmp_path: Path
) -> None:
    result = govdata("ledger", "proof", "--index", "12", "--since-size", "40")
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["leaf_index"] == 12
    assert document["tree_size"] == 65
    proof = tmp_path / "proof.json"
    proof.write_text(result.stdout, encoding="utf-8")

    verified = govdata(
        "ledger", "verify", "--proof", str(proof), "--trusted-checkpoint", str(signed)
    )

    assert verified.exit_code == 0, verified.output
    assert "校验通过" in verified.output


def test_verify_rejects_a_forged_proof(govdata: Invoke, signed: Path, tmp_path: Path) -> None:
    document = json.loads(govdata("ledger", "proof", "--index", "12").stdout)
    document["entry"] = document["entry"].replace("人口基础信息12", "人口基础信息13")
    proof = tmp_path / "forged.json"
    proof.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")

    result = govdata("ledger", "verify", "--proof", str(proof))

    assert result.exit_code == 1
    assert "包含性证明不成立" in result.output


def test_proof_of_an_entry_no_checkpoint_covers_is_refused(
    govdata: Invoke, node_db: Database
) -> None:
    result = govdata("ledger", "proof", "--index", "3")

    assert result.exit_code == 1
    assert "ledger_no_checkpoint" in result.output


def test_verify_checks_the_live_database(govdata: Invoke, signed: Path) -> None:
    result = govdata("ledger", "verify")

    assert result.exit_code == 0, result.output
    assert "本节点数据库中的账本" in result.output


def test_verify_fails_on_a_tampered_live_database(
    govdata: Invoke, signed: Path, node_db: Database
) -> None:
    with node_db.transaction() as session:
        session.execute(update(LedgerLeaf).where(LedgerLeaf.leaf_index == 5).values(actor="nobody"))

    result = govdata("ledger", "verify")

    assert result.exit_code == 1
    assert "校验失败" in result.output
