"""Specification of data keys: per purpose, versioned, stored wrapped.

Rotating the master key re-wraps the data keys and leaves every ciphertext
readable; rotating a data key leaves older versions for reading.
"""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pytest
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from govdata.caches import NODE_CACHES, NodeCaches
from govdata.crypto import datakeys
from govdata.crypto.datakeys import (
    ACTIVE,
    DECRYPT_ONLY,
    DataKeys,
    key_status,
    missing_master_versions,
    rewrap_data_keys,
    rotate_master_key,
)
from govdata.crypto.errors import DataKeyMissing, DecryptionFailed, KeyStoreMissing
from govdata.crypto.fields import decrypt_column, encrypt_column
from govdata.crypto.keystore import LocalKeyStore, MemoryKeyStore, ensure_master_key
from govdata.crypto.models import DataKey
from govdata.errors import InvalidInput

PURPOSE = "lake:population"
IDS = pa.array(["150102199001011234", None, "15010219851231002X"])


@pytest.fixture
def store() -> MemoryKeyStore:
    store = MemoryKeyStore()
    ensure_master_key(store)
    return store


def rows(session: Session, purpose: str = PURPOSE) -> list[DataKey]:
    query = select(DataKey).where(DataKey.purpose == purpose).order_by(DataKey.version)
    return list(session.scalars(query))


def encrypt(keys: datakeys.DataKeySet) -> pa.Array:
    return encrypt_column(IDS, keys, table="population", column="id_number")


def decrypt(values: pa.Array, keys: datakeys.DataKeySet) -> pa.Array:
    return decrypt_column(values, keys, table="population", column="id_number")


def test_first_write_creates_version_one_stored_only_wrapped(
    session: Session, store: MemoryKeyStore
) -> None:
    keys = DataKeys(session, store).for_writing(PURPOSE)

    [row] = rows(session)
    assert (keys.active_version, row.version, row.state) == (1, 1, ACTIVE)
    assert row.algorithm == "sm4-gcm"
    assert row.master_key_version == 1
    assert len(keys.active_key) == 16
    assert keys.active_key not in row.wrapped_key


def test_another_session_reads_the_same_key(session: Session, store: MemoryKeyStore) -> None:
    written = DataKeys(session, store).for_writing(PURPOSE)

    read = DataKeys(session, store).for_reading(PURPOSE)

    assert read.keys == written.keys
    assert repr(read.active_key) not in repr(read)


def test_purposes_have_keys_of_their_own(session: Session, store: MemoryKeyStore) -> None:
    one = DataKeys(session, store).for_writing("lake:population")
    two = DataKeys(session, store).for_writing("lake:enterprises")

    assert one.active_key != two.active_key


def test_writes_reserve_values_on_the_active_key(session: Session, store: MemoryKeyStore) -> None:
    keys = DataKeys(session, store)

    keys.for_writing(PURPOSE, values=1000)
    keys.for_writing(PURPOSE, values=500)

    [row] = rows(session)
    assert row.values_encrypted == 1500


def test_a_key_near_its_nonce_limit_is_rotated_before_use(
    session: Session, store: MemoryKeyStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(datakeys, "MAX_VALUES_PER_KEY", 1000)
    keys = DataKeys(session, store)
    keys.for_writing(PURPOSE, values=900)

    after = keys.for_writing(PURPOSE, values=200)

    assert after.active_version == 2
    assert [(row.state, row.values_encrypted) for row in rows(session)] == [
        (DECRYPT_ONLY, 900),
        (ACTIVE, 200),
    ]


def test_rotating_a_data_key_keeps_older_ciphertexts_readable(
    session: Session, store: MemoryKeyStore
) -> None:
    keys = DataKeys(session, store)
    before = encrypt(keys.for_writing(PURPOSE))

    assert keys.rotate(PURPOSE) == 2

    current = keys.for_reading(PURPOSE)
    after = encrypt(current)
    assert current.active_version == 2
    assert [row.state for row in rows(session)] == [DECRYPT_ONLY, ACTIVE]
    assert decrypt(before, current).equals(IDS)
    assert decrypt(after, current).equals(IDS)
    assert after[0].as_py()[1:5] == (2).to_bytes(4, "big")


def test_rotating_the_master_key_rewraps_and_leaves_data_readable(
    session: Session, store: MemoryKeyStore
) -> None:
    keys = DataKeys(session, store)
    encrypted = encrypt(keys.for_writing(PURPOSE))
    keys.rotate(PURPOSE)
    old_blobs = [row.wrapped_key for row in rows(session)]

    version, rewrapped = rotate_master_key(session, store)

    assert (version, rewrapped) == (2, 2)
    assert [row.master_key_version for row in rows(session)] == [2, 2]
    assert [row.wrapped_key for row in rows(session)] != old_blobs
    store.forget(1)  # the old master key is no longer needed by the database
    assert decrypt(encrypted, DataKeys(session, store).for_reading(PURPOSE)).equals(IDS)


def test_a_second_master_rotation_only_moves_keys_not_yet_moved(
    session: Session, store: MemoryKeyStore
) -> None:
    DataKeys(session, store).for_writing(PURPOSE)
    rotate_master_key(session, store)

    assert rewrap_data_keys(session, store, store) == 0


def test_keys_move_from_one_store_to_another(
    session: Session, store: MemoryKeyStore, tmp_path: Path
) -> None:
    keys = DataKeys(session, store).for_writing(PURPOSE)
    target = LocalKeyStore(tmp_path)
    ensure_master_key(target)

    assert rewrap_data_keys(session, store, target) == 1

    assert DataKeys(session, target).for_reading(PURPOSE).keys == keys.keys


def test_a_lost_master_key_stops_reading_with_key_store_missing(
    session: Session, store: MemoryKeyStore
) -> None:
    DataKeys(session, store).for_writing(PURPOSE)
    store.create_version()
    store.forget(1)

    with pytest.raises(KeyStoreMissing) as raised:
        DataKeys(session, store).for_reading(PURPOSE)
    assert raised.value.error_code == "master_key_missing"


def test_a_failed_master_rotation_leaves_the_keys_as_they_were(
    session: Session, store: MemoryKeyStore
) -> None:
    DataKeys(session, store).for_writing(PURPOSE)
    store.create_version()
    store.forget(1)

    with pytest.raises(KeyStoreMissing):
        rotate_master_key(session, store)

    assert [row.master_key_version for row in rows(session)] == [1]


def test_writing_without_any_master_key_is_refused(session: Session) -> None:
    with pytest.raises(KeyStoreMissing):
        DataKeys(session, MemoryKeyStore()).for_writing(PURPOSE)


def test_another_master_key_cannot_unwrap_the_data_keys(
    session: Session, store: MemoryKeyStore
) -> None:
    DataKeys(session, store).for_writing(PURPOSE)
    impostor = MemoryKeyStore()
    ensure_master_key(impostor)

    with pytest.raises(DecryptionFailed) as raised:
        DataKeys(session, impostor).for_reading(PURPOSE)
    assert raised.value.error_code == "master_key_mismatch"


def test_a_wrapped_key_copied_to_another_purpose_does_not_unwrap(
    session: Session, store: MemoryKeyStore
) -> None:
    keys = DataKeys(session, store)
    keys.for_writing("lake:population")
    keys.for_writing("lake:enterprises")
    [source], [target] = rows(session, "lake:population"), rows(session, "lake:enterprises")
    target.wrapped_key = source.wrapped_key
    session.flush()

    with pytest.raises(DecryptionFailed):
        DataKeys(session, store).for_reading("lake:enterprises")


def test_reading_a_purpose_without_keys_is_data_key_missing(
    session: Session, store: MemoryKeyStore
) -> None:
    with pytest.raises(DataKeyMissing) as raised:
        DataKeys(session, store).for_reading("lake:nothing")
    assert raised.value.fields == {"purpose": "lake:nothing"}


@pytest.mark.parametrize("purpose", ["", "Lake:Upper", "lake population", "a#1", "x" * 129])
def test_a_malformed_purpose_is_invalid_input(
    session: Session, store: MemoryKeyStore, purpose: str
) -> None:
    with pytest.raises(InvalidInput):
        DataKeys(session, store).for_writing(purpose)


def test_status_lists_master_versions_and_data_keys_without_secrets(
    session: Session, store: MemoryKeyStore
) -> None:
    keys = DataKeys(session, store)
    keys.for_writing(PURPOSE, values=3)
    keys.rotate(PURPOSE)
    rotate_master_key(session, store)

    status = key_status(session, store)

    assert status.store == "memory"
    assert status.master_versions == [1, 2]
    assert status.current_master_version == 2
    assert [(k.version, k.state, k.master_key_version) for k in status.data_keys] == [
        (1, DECRYPT_ONLY, 2),
        (2, ACTIVE, 2),
    ]
    assert status.data_keys[0].values_encrypted == 3
    assert status.data_keys_by_master_version() == {2: 2}


def test_losing_an_old_master_key_fails_only_the_values_it_protects(
    session: Session, store: MemoryKeyStore
) -> None:
    keys = DataKeys(session, store)
    old = encrypt(keys.for_writing(PURPOSE))
    store.create_version()
    keys.rotate(PURPOSE)  # version 2, wrapped under master key 2
    new = encrypt(keys.for_reading(PURPOSE))
    store.forget(1)

    current = DataKeys(session, store).for_reading(PURPOSE)

    assert decrypt(new, current).equals(IDS)
    with pytest.raises(KeyStoreMissing) as raised:
        decrypt(old, current)
    assert raised.value.error_code == "master_key_missing"


def test_a_master_rotation_is_refused_while_a_needed_master_key_is_missing(
    session: Session, store: MemoryKeyStore
) -> None:
    DataKeys(session, store).for_writing(PURPOSE)
    store.create_version()
    store.forget(1)

    with pytest.raises(KeyStoreMissing) as raised:
        rotate_master_key(session, store)

    assert raised.value.fields == {"master_versions": "1"}
    assert store.versions() == [2]  # no new master key was made


def test_missing_master_versions_lists_what_rows_need_and_the_store_lacks(
    session: Session, store: MemoryKeyStore
) -> None:
    DataKeys(session, store).for_writing(PURPOSE)

    assert missing_master_versions(session, store) == []
    assert missing_master_versions(session, MemoryKeyStore()) == [1]


# --- the node's cache (lent to a running node's units of work) -------------------------


def cached_session(session: Session, cache: datakeys.DataKeyCache) -> Session:
    caches = NodeCaches()
    caches.get(datakeys.KEY_CACHE, lambda: cache)
    session.info[NODE_CACHES] = caches
    return session


def test_a_lent_cache_answers_reads_without_the_database_until_it_expires(
    session: Session, store: MemoryKeyStore
) -> None:
    written = DataKeys(session, store).for_writing(PURPOSE)
    cache = datakeys.DataKeyCache(ttl=60.0)
    cached_session(session, cache)
    DataKeys(session, store).for_reading(PURPOSE)
    session.execute(delete(DataKey).where(DataKey.purpose == PURPOSE))

    again = DataKeys(session, store).for_reading(PURPOSE)
    cache.ttl = 0.0

    assert again.active_key == written.active_key
    with pytest.raises(DataKeyMissing):
        DataKeys(session, store).for_reading(PURPOSE)


def test_a_rotation_in_this_process_is_seen_at_once(
    session: Session, store: MemoryKeyStore
) -> None:
    cached_session(session, datakeys.DataKeyCache(ttl=60.0))
    first = DataKeys(session, store).for_writing(PURPOSE)

    rotated = DataKeys(session, store).rotate(PURPOSE)

    assert DataKeys(session, store).for_writing(PURPOSE).active_version == rotated
    assert DataKeys(session, store).for_reading(PURPOSE).keys[first.active_version] == (
        first.active_key
    )


def test_reserving_encryptions_always_reads_and_counts_in_the_database(
    session: Session, store: MemoryKeyStore
) -> None:
    cached_session(session, datakeys.DataKeyCache(ttl=60.0))
    DataKeys(session, store).for_writing(PURPOSE)

    DataKeys(session, store).for_writing(PURPOSE, values=500)

    row = session.scalars(select(DataKey).where(DataKey.purpose == PURPOSE)).one()
    assert row.values_encrypted == 500
