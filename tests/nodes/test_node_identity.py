"""Specification of the node's identity: its signing key and its own row.

The key pair is generated once into ``<data_dir>/keys`` (private, mode 0600)
and reused; the node's row records the public half, and a node whose key file
or code no longer matches its stored identity refuses to start.
"""

from __future__ import annotations

import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import func, select

from govdata.db import Database, make_engine
from govdata.migrate import upgrade
from govdata.nodes.keys import (
    ED25519,
    KEY_FILE,
    load_or_create_node_key,
    public_key_fingerprint,
    verify_signature,
)
from govdata.nodes.models import Node
from govdata.nodes.services import NodeIdentityError, ensure_self_node
from govdata.secretbox import MASTER_KEY_FILE
from govdata.settings import NodeLevel, Settings
from tests.databases import scratch_database_url

MESSAGE = "节点签名测试 · 150000".encode()


# --- the key pair -------------------------------------------------------------------


def test_first_load_creates_a_private_key_file_readable_only_by_its_owner(
    tmp_path: Path,
) -> None:
    keys_dir = tmp_path / "keys"

    load_or_create_node_key(keys_dir)

    key_file = keys_dir / KEY_FILE
    assert key_file.is_file()
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert stat.S_IMODE(keys_dir.stat().st_mode) == 0o700


def test_key_file_holds_an_unencrypted_ed25519_private_key(tmp_path: Path) -> None:
    key = load_or_create_node_key(tmp_path)

    loaded = serialization.load_pem_private_key((tmp_path / KEY_FILE).read_bytes(), None)
    assert isinstance(loaded, Ed25519PrivateKey)
    assert key.algorithm == ED25519


def test_second_load_returns_the_same_key_without_rewriting_the_file(tmp_path: Path) -> None:
    first = load_or_create_node_key(tmp_path)
    written = (tmp_path / KEY_FILE).read_bytes()

    second = load_or_create_node_key(tmp_path)

    assert second.fingerprint == first.fingerprint
    assert second.public_key_pem == first.public_key_pem
    assert (tmp_path / KEY_FILE).read_bytes() == written
    assert sorted(p.name for p in tmp_path.iterdir()) == [KEY_FILE]


def test_different_key_directories_get_different_keys(tmp_path: Path) -> None:
    one = load_or_create_node_key(tmp_path / "a")
    two = load_or_create_node_key(tmp_path / "b")

    assert one.fingerprint != two.fingerprint


def test_fingerprint_is_the_sha256_hex_of_the_public_key(tmp_path: Path) -> None:
    key = load_or_create_node_key(tmp_path)

    assert len(key.fingerprint) == 64
    assert all(c in "0123456789abcdef" for c in key.fingerprint)
    assert key.fingerprint == public_key_fingerprint(key.public_key_pem)


def test_public_key_pem_holds_no_private_material(tmp_path: Path) -> None:
    key = load_or_create_node_key(tmp_path)

    assert key.public_key_pem.startswith("-----BEGIN PUBLIC KEY-----")
    assert "PRIVATE" not in key.public_key_pem


# --- signatures ---------------------------------------------------------------------


def test_signature_verifies_with_the_public_key(tmp_path: Path) -> None:
    key = load_or_create_node_key(tmp_path)

    signature = key.sign(MESSAGE)

    assert verify_signature(key.public_key_pem, ED25519, MESSAGE, signature) is True


def test_signature_fails_for_a_changed_message(tmp_path: Path) -> None:
    key = load_or_create_node_key(tmp_path)
    signature = key.sign(MESSAGE)

    assert verify_signature(key.public_key_pem, ED25519, MESSAGE + b"!", signature) is False


def test_signature_fails_for_a_changed_signature(tmp_path: Path) -> None:
    key = load_or_create_node_key(tmp_path)
    signature = bytearray(key.sign(MESSAGE))
    signature[0] ^= 0x01

    assert verify_signature(key.public_key_pem, ED25519, MESSAGE, bytes(signature)) is False


def test_signature_fails_with_another_nodes_public_key(tmp_path: Path) -> None:
    signer = load_or_create_node_key(tmp_path / "signer")
    other = load_or_create_node_key(tmp_path / "other")

    signature = signer.sign(MESSAGE)

    assert verify_signature(other.public_key_pem, ED25519, MESSAGE, signature) is False


def test_unknown_signature_algorithm_is_refused(tmp_path: Path) -> None:
    key = load_or_create_node_key(tmp_path)

    with pytest.raises(ValueError, match="unsupported"):
        verify_signature(key.public_key_pem, "sm2", MESSAGE, key.sign(MESSAGE))


# --- the node's own row -------------------------------------------------------------


@pytest.fixture
def database(tmp_path: Path) -> Iterator[Database]:
    """A freshly migrated scratch database (SQLite, or PostgreSQL when configured)."""
    (tmp_path / "db").mkdir()
    urls = scratch_database_url(tmp_path / "db")
    engine = make_engine(next(urls))
    upgrade(engine)
    try:
        yield Database(engine)
    finally:
        engine.dispose()
        urls.close()


def node_settings(tmp_path: Path, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "data_dir": tmp_path / "data",
        "node_code": "150000",
        "node_name": "内蒙古自治区政务大数据平台",
        "node_level": NodeLevel.PROVINCIAL,
        "parent_node_code": "100000",
    }
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


def register(database: Database, settings: Settings) -> None:
    with database.transaction() as session:
        ensure_self_node(session, settings)


def self_nodes(database: Database) -> list[Node]:
    with database.sessionmaker() as session:
        return list(session.scalars(select(Node).where(Node.is_self.is_(True))))


def test_first_start_registers_this_node_from_settings(database: Database, tmp_path: Path) -> None:
    settings = node_settings(tmp_path)

    register(database, settings)

    [node] = self_nodes(database)
    key = load_or_create_node_key(settings.keys_dir)
    assert node.is_self is True
    assert node.code == "150000"
    assert node.name == "内蒙古自治区政务大数据平台"
    assert node.level == "provincial"
    assert node.parent_code == "100000"
    assert node.key_algorithm == ED25519
    assert node.key_fingerprint == key.fingerprint
    assert node.public_key_pem == key.public_key_pem
    assert node.created_at is not None


def test_first_start_generates_the_key_in_the_data_directory(
    database: Database, tmp_path: Path
) -> None:
    settings = node_settings(tmp_path)

    register(database, settings)

    assert (settings.keys_dir / KEY_FILE).is_file()


def test_registering_again_is_idempotent(database: Database, tmp_path: Path) -> None:
    settings = node_settings(tmp_path)
    register(database, settings)
    [before] = self_nodes(database)

    register(database, settings)

    [after] = self_nodes(database)
    assert after.code == before.code
    assert after.key_fingerprint == before.key_fingerprint
    assert after.created_at == before.created_at
    with database.sessionmaker() as session:
        assert session.scalar(select(func.count()).select_from(Node)) == 1


def test_registering_again_follows_changed_name_level_and_parent(
    database: Database, tmp_path: Path
) -> None:
    register(database, node_settings(tmp_path))

    register(
        database,
        node_settings(
            tmp_path,
            node_name="呼和浩特市政务大数据平台",
            node_level=NodeLevel.CITY,
            parent_node_code=None,
        ),
    )

    [node] = self_nodes(database)
    assert node.name == "呼和浩特市政务大数据平台"
    assert node.level == "city"
    assert node.parent_code is None


def test_start_is_refused_when_the_key_file_was_replaced(
    database: Database, tmp_path: Path
) -> None:
    settings = node_settings(tmp_path)
    register(database, settings)
    [registered] = self_nodes(database)
    (settings.keys_dir / KEY_FILE).unlink()
    replacement = load_or_create_node_key(settings.keys_dir)
    assert replacement.fingerprint != registered.key_fingerprint

    with pytest.raises(NodeIdentityError, match="签名密钥与本节点登记的公钥不一致"):
        register(database, settings)

    [node] = self_nodes(database)
    assert node.key_fingerprint == registered.key_fingerprint


def test_start_is_refused_when_the_node_code_changed(database: Database, tmp_path: Path) -> None:
    register(database, node_settings(tmp_path))

    with pytest.raises(NodeIdentityError, match="150000"):
        register(database, node_settings(tmp_path, node_code="150100"))

    [node] = self_nodes(database)
    assert node.code == "150000"


def test_refused_start_changes_nothing(database: Database, tmp_path: Path) -> None:
    register(database, node_settings(tmp_path))

    with pytest.raises(RuntimeError):
        register(
            database,
            node_settings(tmp_path, node_code="150100", node_name="改名不应生效"),
        )

    [node] = self_nodes(database)
    assert node.name == "内蒙古自治区政务大数据平台"


def test_a_missing_key_file_is_refused_and_no_new_key_is_written(
    database: Database, tmp_path: Path
) -> None:
    settings = node_settings(tmp_path)
    register(database, settings)
    (settings.keys_dir / KEY_FILE).unlink()

    with pytest.raises(NodeIdentityError, match="签名密钥文件缺失"):
        register(database, settings)

    assert not (settings.keys_dir / KEY_FILE).exists()


def test_a_missing_master_key_is_refused_and_not_regenerated(
    database: Database, tmp_path: Path
) -> None:
    settings = node_settings(tmp_path)
    register(database, settings)
    (settings.keys_dir / MASTER_KEY_FILE).unlink()

    with pytest.raises(NodeIdentityError, match="主密钥文件缺失"):
        register(database, settings)

    assert not (settings.keys_dir / MASTER_KEY_FILE).exists()


def test_a_swapped_master_key_is_refused(database: Database, tmp_path: Path) -> None:
    settings = node_settings(tmp_path)
    register(database, settings)
    (settings.keys_dir / MASTER_KEY_FILE).write_bytes(bytes(32))

    with pytest.raises(NodeIdentityError, match="不是本节点登记的主密钥"):
        register(database, settings)


def test_the_public_url_setting_is_recorded_as_the_nodes_address(
    database: Database, tmp_path: Path
) -> None:
    register(database, node_settings(tmp_path))
    register(database, node_settings(tmp_path, public_url="https://data.nmg.example"))

    [node] = self_nodes(database)
    assert node.base_url == "https://data.nmg.example"
