"""Specification of SM2 node keys beside the default Ed25519 ones.

A node chooses SM2 when its key is first generated; the algorithm is read
back from the key file, recorded in the node's row and used to check every
signature. Nodes with Ed25519 keys are unaffected.
"""

from __future__ import annotations

import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from govdata.crypto.signing import SM2_SM3
from govdata.crypto.sm2 import Sm2PrivateKey
from govdata.db import Database, make_engine
from govdata.migrate import upgrade
from govdata.nodes.keys import (
    ED25519,
    KEY_FILE,
    load_node_key,
    load_or_create_node_key,
    public_key_fingerprint,
    verify_signature,
)
from govdata.nodes.models import Node
from govdata.nodes.services import ensure_self_node
from govdata.settings import NodeLevel, Settings
from tests.databases import scratch_database_url

MESSAGE = "节点签名测试 · 150000".encode()


def test_an_sm2_node_key_is_written_once_readable_only_by_its_owner(tmp_path: Path) -> None:
    key = load_or_create_node_key(tmp_path / "keys", SM2_SM3)

    path = tmp_path / "keys" / KEY_FILE
    assert key.algorithm == SM2_SM3
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert Sm2PrivateKey.from_pem(path.read_bytes()).public_key().pem() == key.public_key_pem


def test_an_existing_key_keeps_its_algorithm_whatever_is_asked(tmp_path: Path) -> None:
    first = load_or_create_node_key(tmp_path, SM2_SM3)

    again = load_or_create_node_key(tmp_path, ED25519)

    assert again.algorithm == SM2_SM3
    assert again.fingerprint == first.fingerprint


def test_the_default_is_still_ed25519(tmp_path: Path) -> None:
    assert load_or_create_node_key(tmp_path).algorithm == ED25519


def test_an_sm2_node_signature_verifies_under_sm2_sm3(tmp_path: Path) -> None:
    key = load_or_create_node_key(tmp_path, SM2_SM3)

    signature = key.sign(MESSAGE)

    assert verify_signature(key.public_key_pem, SM2_SM3, MESSAGE, signature) is True
    assert verify_signature(key.public_key_pem, SM2_SM3, MESSAGE + b"!", signature) is False


def test_an_sm2_signature_is_refused_when_checked_as_ed25519(tmp_path: Path) -> None:
    key = load_or_create_node_key(tmp_path, SM2_SM3)

    with pytest.raises(ValueError, match="Ed25519"):
        verify_signature(key.public_key_pem, ED25519, MESSAGE, key.sign(MESSAGE))


def test_the_sm2_fingerprint_follows_the_same_rule(tmp_path: Path) -> None:
    key = load_or_create_node_key(tmp_path, SM2_SM3)

    assert key.fingerprint == public_key_fingerprint(key.public_key_pem)
    assert len(key.fingerprint) == 64


def test_load_reads_an_sm2_key_written_by_someone_else(tmp_path: Path) -> None:
    external = Sm2PrivateKey.generate()
    (tmp_path / KEY_FILE).write_bytes(external.private_pem())

    key = load_node_key(tmp_path)

    assert key is not None
    assert key.algorithm == SM2_SM3
    assert key.public_key_pem == external.public_key().pem()


@pytest.fixture
def database(tmp_path: Path) -> Iterator[Database]:
    (tmp_path / "db").mkdir()
    urls = scratch_database_url(tmp_path / "db")
    engine = make_engine(next(urls))
    upgrade(engine)
    try:
        yield Database(engine)
    finally:
        engine.dispose()
        urls.close()


def test_a_node_registered_with_an_sm2_key_records_it_and_restarts(
    database: Database, tmp_path: Path
) -> None:
    settings = Settings(
        data_dir=tmp_path / "data",
        node_code="150000",
        node_name="内蒙古自治区政务大数据平台",
        node_level=NodeLevel.PROVINCIAL,
    )
    key = load_or_create_node_key(settings.keys_dir, SM2_SM3)

    for _ in range(2):  # registration, then an ordinary start
        with database.transaction() as session:
            ensure_self_node(session, settings)

    with database.sessionmaker() as session:
        node = session.scalars(select(Node).where(Node.is_self.is_(True))).one()
    assert node.key_algorithm == SM2_SM3
    assert node.key_fingerprint == key.fingerprint
    assert node.public_key_pem == key.public_key_pem
