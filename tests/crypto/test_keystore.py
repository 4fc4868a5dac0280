"""Specification of key stores: versioned master keys behind wrap and unwrap.

Every implementation passes the same contract; the local store's files,
permissions and failure modes are specified after it.
"""

from __future__ import annotations

import stat
from collections.abc import Callable
from pathlib import Path

import pytest

from govdata.crypto.errors import DecryptionFailed, KeyStoreMissing
from govdata.crypto.keystore import (
    KeyStore,
    LocalKeyStore,
    MemoryKeyStore,
    WrappedKey,
    current_version,
    ensure_master_key,
)

DATA_KEY = bytes(range(16))
CONTEXT = b"lake:population#1"
StoreFactory = Callable[[Path], KeyStore]


@pytest.fixture(params=["local", "memory"])
def make_store(request: pytest.FixtureRequest) -> StoreFactory:
    if request.param == "local":
        return LocalKeyStore
    return lambda _path: MemoryKeyStore()


# --- the contract ---------------------------------------------------------------------


def test_a_store_satisfies_the_protocol(make_store: StoreFactory, tmp_path: Path) -> None:
    assert isinstance(make_store(tmp_path), KeyStore)


def test_a_new_store_has_no_master_key(make_store: StoreFactory, tmp_path: Path) -> None:
    store = make_store(tmp_path)

    assert store.versions() == []
    with pytest.raises(KeyStoreMissing) as raised:
        current_version(store)
    assert raised.value.error_code == "key_store_missing"
    assert raised.value.http_status == 503


def test_wrapping_without_a_master_key_is_refused(make_store: StoreFactory, tmp_path: Path) -> None:
    with pytest.raises(KeyStoreMissing):
        make_store(tmp_path).wrap(DATA_KEY, CONTEXT)


def test_ensure_master_key_creates_version_one_once(
    make_store: StoreFactory, tmp_path: Path
) -> None:
    store = make_store(tmp_path)

    assert ensure_master_key(store) == 1
    assert ensure_master_key(store) == 1
    assert store.versions() == [1]


def test_wrap_then_unwrap_returns_the_key(make_store: StoreFactory, tmp_path: Path) -> None:
    store = make_store(tmp_path)
    ensure_master_key(store)

    wrapped = store.wrap(DATA_KEY, CONTEXT)

    assert wrapped.master_version == 1
    assert DATA_KEY not in wrapped.blob
    assert store.unwrap(wrapped, CONTEXT) == DATA_KEY


def test_new_versions_count_up_and_become_current(make_store: StoreFactory, tmp_path: Path) -> None:
    store = make_store(tmp_path)
    ensure_master_key(store)

    assert store.create_version() == 2
    assert store.create_version() == 3
    assert store.versions() == [1, 2, 3]
    assert store.wrap(DATA_KEY, CONTEXT).master_version == 3


def test_a_key_wrapped_under_an_old_version_still_unwraps(
    make_store: StoreFactory, tmp_path: Path
) -> None:
    store = make_store(tmp_path)
    ensure_master_key(store)
    old = store.wrap(DATA_KEY, CONTEXT)

    store.create_version()

    assert store.unwrap(old, CONTEXT) == DATA_KEY


def test_a_wrapped_key_does_not_unwrap_in_another_context(
    make_store: StoreFactory, tmp_path: Path
) -> None:
    store = make_store(tmp_path)
    ensure_master_key(store)
    wrapped = store.wrap(DATA_KEY, CONTEXT)

    with pytest.raises(DecryptionFailed) as raised:
        store.unwrap(wrapped, b"lake:other#1")
    assert raised.value.error_code == "master_key_mismatch"


def test_a_wrapped_key_relabelled_with_another_version_does_not_unwrap(
    make_store: StoreFactory, tmp_path: Path
) -> None:
    store = make_store(tmp_path)
    ensure_master_key(store)
    wrapped = store.wrap(DATA_KEY, CONTEXT)
    store.create_version()

    with pytest.raises(DecryptionFailed):
        store.unwrap(WrappedKey(2, wrapped.blob), CONTEXT)


def test_a_version_the_store_never_had_is_reported_missing(
    make_store: StoreFactory, tmp_path: Path
) -> None:
    store = make_store(tmp_path)
    ensure_master_key(store)

    with pytest.raises(KeyStoreMissing) as raised:
        store.unwrap(WrappedKey(7, b"\x00" * 44), CONTEXT)
    assert raised.value.error_code == "master_key_missing"
    assert raised.value.fields == {"master_version": "7"}


def test_the_description_names_no_secret(make_store: StoreFactory, tmp_path: Path) -> None:
    store = make_store(tmp_path)
    ensure_master_key(store)

    assert store.description in {"memory", f"local:{tmp_path / 'master-keys'}"}


# --- the local store ------------------------------------------------------------------


def test_local_master_keys_are_16_byte_files_readable_only_by_the_owner(tmp_path: Path) -> None:
    store = LocalKeyStore(tmp_path)

    ensure_master_key(store)

    path = store.path_of(1)
    assert path == tmp_path / "master-keys" / "v000001.key"
    assert len(path.read_bytes()) == 16
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700


def test_a_second_process_sees_the_same_keys(tmp_path: Path) -> None:
    first = LocalKeyStore(tmp_path)
    ensure_master_key(first)
    wrapped = first.wrap(DATA_KEY, CONTEXT)

    assert LocalKeyStore(tmp_path).unwrap(wrapped, CONTEXT) == DATA_KEY


def test_a_version_number_taken_meanwhile_is_skipped(tmp_path: Path) -> None:
    store = LocalKeyStore(tmp_path)
    ensure_master_key(store)
    # Another process wrote version 2 between our listing and our write.
    store.path_of(2).write_bytes(bytes(16))
    listing = store.versions
    store.versions = lambda: [1]  # type: ignore[method-assign]

    assert store.create_version() == 3

    store.versions = listing  # type: ignore[method-assign]
    assert store.versions() == [1, 2, 3]


def test_other_files_in_the_directory_are_ignored(tmp_path: Path) -> None:
    store = LocalKeyStore(tmp_path)
    ensure_master_key(store)
    (tmp_path / "master-keys" / "README").write_text("backup me")
    (tmp_path / "master-keys" / "v1.key").write_bytes(bytes(16))

    assert store.versions() == [1]


def test_a_deleted_master_key_file_is_reported_missing(tmp_path: Path) -> None:
    store = LocalKeyStore(tmp_path)
    ensure_master_key(store)
    wrapped = store.wrap(DATA_KEY, CONTEXT)
    store.create_version()
    store.path_of(1).unlink()

    with pytest.raises(KeyStoreMissing, match="第 1 版缺失") as raised:
        LocalKeyStore(tmp_path).unwrap(wrapped, CONTEXT)
    assert raised.value.error_code == "master_key_missing"


def test_a_replaced_master_key_file_is_reported_as_a_mismatch(tmp_path: Path) -> None:
    store = LocalKeyStore(tmp_path)
    ensure_master_key(store)
    wrapped = store.wrap(DATA_KEY, CONTEXT)
    store.path_of(1).write_bytes(bytes(16))

    with pytest.raises(DecryptionFailed) as raised:
        LocalKeyStore(tmp_path).unwrap(wrapped, CONTEXT)
    assert raised.value.error_code == "master_key_mismatch"


def test_a_truncated_master_key_file_is_reported_corrupt(tmp_path: Path) -> None:
    store = LocalKeyStore(tmp_path)
    ensure_master_key(store)
    store.path_of(1).write_bytes(b"short")

    with pytest.raises(KeyStoreMissing) as raised:
        LocalKeyStore(tmp_path).wrap(DATA_KEY, CONTEXT)
    assert raised.value.error_code == "master_key_corrupt"


def test_a_forgotten_memory_key_is_reported_missing() -> None:
    store = MemoryKeyStore()
    ensure_master_key(store)
    wrapped = store.wrap(DATA_KEY, CONTEXT)
    store.create_version()

    store.forget(1)

    with pytest.raises(KeyStoreMissing):
        store.unwrap(wrapped, CONTEXT)
