"""Secrets at rest: sealed with the node's master key, bound to their owner."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from cryptography.exceptions import InvalidTag

from govdata.secretbox import MASTER_KEY_FILE, SecretBox


def box(tmp_path: Path) -> SecretBox:
    SecretBox.create_in(tmp_path)
    return SecretBox.from_keys_dir(tmp_path)


def test_a_sealed_secret_opens_with_the_same_key_and_owner(tmp_path: Path) -> None:
    sealed = box(tmp_path).seal(b"api-secret", b"gk_1")
    assert b"api-secret" not in sealed
    assert box(tmp_path).open(sealed, b"gk_1") == b"api-secret"


def test_a_secret_moved_to_another_owner_does_not_open(tmp_path: Path) -> None:
    sealed = box(tmp_path).seal(b"api-secret", b"gk_1")
    with pytest.raises(InvalidTag):
        box(tmp_path).open(sealed, b"gk_2")


def test_sealing_twice_gives_different_ciphertexts(tmp_path: Path) -> None:
    secrets = box(tmp_path)
    assert secrets.seal(b"x", b"k") != secrets.seal(b"x", b"k")


def test_the_master_key_is_created_once_and_readable_only_by_its_owner(tmp_path: Path) -> None:
    SecretBox.create_in(tmp_path)
    first = (tmp_path / MASTER_KEY_FILE).read_bytes()
    SecretBox.create_in(tmp_path)
    assert (tmp_path / MASTER_KEY_FILE).read_bytes() == first
    assert stat.S_IMODE((tmp_path / MASTER_KEY_FILE).stat().st_mode) == 0o600


def test_opening_without_a_master_key_never_creates_one(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="restore"):
        SecretBox.from_keys_dir(tmp_path)
    assert not (tmp_path / MASTER_KEY_FILE).exists()


def test_an_unknown_format_version_is_refused(tmp_path: Path) -> None:
    sealed = box(tmp_path).seal(b"x")
    with pytest.raises(ValueError, match="version"):
        box(tmp_path).open(b"\x02" + sealed[1:])
