"""Specification of `govdata keys`: status, init, rotations and the public key export."""

from __future__ import annotations

import shutil
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from govdata.crypto.datakeys import DataKeys
from govdata.crypto.keystore import LocalKeyStore
from govdata.crypto.models import DataKey
from govdata.crypto.signing import SM2_SM3, public_key_fingerprint
from govdata.crypto.sm2 import Sm2PublicKey
from govdata.nodes.keys import load_node_key, load_or_create_node_key
from tests.conftest import Invoke


def test_registering_the_node_creates_the_first_master_key(govdata: Invoke, tmp_path: Path) -> None:
    result = govdata("keys", "status")

    assert result.exit_code == 0, result.output
    assert "当前 v1" in result.output
    assert "节点签名密钥：ed25519" in result.output
    assert (tmp_path / "keys" / "master-keys" / "v000001.key").is_file()


def test_status_without_a_master_key_says_so(govdata: Invoke, tmp_path: Path) -> None:
    govdata("keys", "status")  # registers the node
    shutil.rmtree(tmp_path / "keys" / "master-keys")

    result = govdata("keys", "status")

    assert result.exit_code == 0, result.output
    assert "尚无主密钥" in result.output


def test_init_creates_the_first_master_key_once(govdata: Invoke, tmp_path: Path) -> None:
    govdata("keys", "status")  # registers the node, which creates v1
    shutil.rmtree(tmp_path / "keys" / "master-keys")

    first = govdata("keys", "init")
    second = govdata("keys", "init")

    assert first.exit_code == 0, first.output
    assert "主密钥 v1 已创建" in first.output
    assert "主密钥 v1 已存在" in second.output
    assert (tmp_path / "keys" / "master-keys" / "v000001.key").is_file()


def test_rotate_master_without_a_master_key_fails_with_its_code(
    govdata: Invoke, tmp_path: Path
) -> None:
    govdata("keys", "status")
    shutil.rmtree(tmp_path / "keys" / "master-keys")

    result = govdata("keys", "rotate-master")

    assert result.exit_code == 1
    assert "key_store_missing" in result.output


def test_rotations_show_up_in_status(govdata: Invoke, tmp_path: Path, cli_db: Session) -> None:
    govdata("keys", "init")

    data_key = govdata("keys", "rotate-data-key", "lake:population")
    master = govdata("keys", "rotate-master")
    status = govdata("keys", "status")

    assert data_key.exit_code == 0, data_key.output
    assert "已轮换为 v1" in data_key.output
    assert master.exit_code == 0, master.output
    assert "主密钥已轮换为 v2，重新封装数据密钥 1 个" in master.output
    assert "当前 v2" in status.output
    assert "lake:population" in status.output
    [row] = cli_db.scalars(select(DataKey)).all()
    assert (row.purpose, row.version, row.master_key_version) == ("lake:population", 1, 2)
    keys = DataKeys(cli_db, LocalKeyStore(tmp_path / "keys")).for_reading("lake:population")
    assert keys.active_version == 1


def test_rotate_data_key_refuses_a_malformed_purpose(govdata: Invoke) -> None:
    govdata("keys", "init")

    result = govdata("keys", "rotate-data-key", "Not A Purpose")

    assert result.exit_code == 1
    assert "invalid_input" in result.output


def test_export_public_prints_the_node_public_key(govdata: Invoke, tmp_path: Path) -> None:
    result = govdata("keys", "export-public")

    key = load_node_key(tmp_path / "keys")
    assert key is not None
    assert result.exit_code == 0, result.output
    assert result.output == key.public_key_pem


def test_export_public_writes_der_to_a_file(govdata: Invoke, tmp_path: Path) -> None:
    target = tmp_path / "node.der"

    result = govdata("keys", "export-public", "--format", "der", "--output", str(target))

    key = load_node_key(tmp_path / "keys")
    assert key is not None
    assert result.exit_code == 0, result.output
    assert target.read_bytes()[:1] == b"\x30"
    assert key.fingerprint in result.output.replace("\n", "")
    assert public_key_fingerprint(key.public_key_pem) == key.fingerprint


def test_export_public_of_der_needs_a_file(govdata: Invoke) -> None:
    assert govdata("keys", "export-public", "--format", "der").exit_code == 2


def test_an_sm2_node_exports_an_sm2_key(govdata: Invoke, tmp_path: Path) -> None:
    load_or_create_node_key(tmp_path / "keys", SM2_SM3)
    target = tmp_path / "node.pem"

    result = govdata("keys", "export-public", "--output", str(target))

    assert result.exit_code == 0, result.output
    assert "sm2-sm3" in result.output
    Sm2PublicKey.from_pem(target.read_text())


def test_init_is_refused_when_data_keys_need_a_lost_master_key(
    govdata: Invoke, tmp_path: Path
) -> None:
    govdata("keys", "init")
    govdata("keys", "rotate-data-key", "lake:population")
    (tmp_path / "keys" / "master-keys" / "v000001.key").unlink()

    result = govdata("keys", "init")

    assert result.exit_code == 1
    assert "master_key_missing" in result.output
    assert not (tmp_path / "keys" / "master-keys" / "v000001.key").exists()
