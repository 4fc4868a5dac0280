"""Data keys: one random SM4 key per purpose and version, stored wrapped.

Envelope encryption: a value is encrypted under a data key, the data key is
encrypted ("wrapped") under a master key held by the :class:`KeyStore`.
Rotating the master key re-wraps every data key (a few bytes each) and
leaves the encrypted data alone. Rotating a data key makes a new version
active for new writes; ciphertexts record the version they were made with,
so older versions keep decrypting what they encrypted.

The caller owns the transaction: nothing here commits.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from govdata.caches import node_cache
from govdata.crypto.errors import DataKeyMissing, KeyStoreMissing
from govdata.crypto.keystore import KeyStore, WrappedKey, current_version
from govdata.crypto.models import DataKey
from govdata.crypto.primitives import Sm4Gcm
from govdata.db import utcnow
from govdata.errors import InvalidInput

ACTIVE = "active"
DECRYPT_ONLY = "decrypt_only"
DATA_KEY_ALGORITHM = "sm4-gcm"
# With random 96-bit nonces, SP 800-38D §8.3 allows 2**32 encryptions per key;
# a data key is retired at half of that.
MAX_VALUES_PER_KEY = 2**31
PURPOSE = re.compile(r"^[a-z0-9][a-z0-9_.:/-]{0,127}$")


@dataclass(frozen=True)
class DataKeySet:
    """The unwrapped data keys of one purpose: the active one and every older one."""

    purpose: str
    active_version: int
    keys: Mapping[int, bytes] = field(repr=False)

    @property
    def active_key(self) -> bytes:
        return self.keys[self.active_version]


@dataclass(frozen=True)
class DataKeyInfo:
    """What status output shows about one data key (never the key)."""

    purpose: str
    version: int
    state: str
    algorithm: str
    master_key_version: int
    values_encrypted: int


@dataclass(frozen=True)
class KeyStatus:
    store: str
    master_versions: list[int]
    data_keys: list[DataKeyInfo]

    @property
    def current_master_version(self) -> int | None:
        return self.master_versions[-1] if self.master_versions else None

    def data_keys_by_master_version(self) -> dict[int, int]:
        counts: dict[int, int] = {}
        for info in self.data_keys:
            counts[info.master_key_version] = counts.get(info.master_key_version, 0) + 1
        return counts


def check_purpose(purpose: str) -> str:
    if not PURPOSE.match(purpose):
        raise InvalidInput(
            "密钥用途只能由小写字母、数字和 _.:/- 组成，最长 128 个字符",
            fields={"purpose": purpose[:140]},
        )
    return purpose


def _context(purpose: str, version: int) -> bytes:
    return f"{purpose}#{version}".encode("ascii")


class _UnwrappedOnUse(Mapping[int, bytes]):
    """Data key versions, each unwrapped when first needed.

    A lost master key then fails only the values that need a key it wrapped
    (with its own error), not the whole column. Needs no session.
    """

    def __init__(
        self,
        key_store: KeyStore,
        wrapped: dict[int, WrappedKey],
        purpose: str,
        cache: dict[tuple[str, int, int, bytes], bytes],
    ) -> None:
        self._key_store = key_store
        self._wrapped = wrapped
        self._purpose = purpose
        self._cache = cache

    def __getitem__(self, version: int) -> bytes:
        wrapped = self._wrapped[version]
        # Keyed by the wrapped bytes too: a cache that outlives a session never
        # answers for a row that was rolled back or re-wrapped differently.
        known = (self._purpose, version, wrapped.master_version, wrapped.blob)
        key = self._cache.get(known)
        if key is None:
            key = self._key_store.unwrap(wrapped, _context(self._purpose, version))
            self._cache[known] = key
        return key

    def __iter__(self) -> Iterator[int]:
        return iter(sorted(self._wrapped))

    def __len__(self) -> int:
        return len(self._wrapped)


@dataclass(frozen=True)
class _KeyRow:
    """What a key set needs of one data key row, detached from any session."""

    version: int
    state: str
    master_key_version: int
    wrapped_key: bytes


KEY_CACHE = "crypto:data-keys"
KEY_ROWS_TTL_SECONDS = 1.0


class DataKeyCache:
    """A node process's recently read data key rows and unwrapped keys.

    A running node's cache (govdata.caches), so that a steady stream of service calls does not
    read the same few key rows from the database for every call. Rows are kept
    for :data:`KEY_ROWS_TTL_SECONDS`: a rotation made by another process is seen
    within that time (one made by this process at once); writers that reserve
    encryptions (``for_writing`` with ``values``) always read the database.
    """

    def __init__(self, ttl: float = KEY_ROWS_TTL_SECONDS) -> None:
        self.ttl = ttl
        self._lock = threading.Lock()
        self._rows: dict[str, tuple[float, tuple[_KeyRow, ...]]] = {}
        self.unwrapped: dict[tuple[str, int, int, bytes], bytes] = {}

    def rows(self, purpose: str) -> tuple[_KeyRow, ...] | None:
        with self._lock:
            found = self._rows.get(purpose)
        if found is None or time.monotonic() - found[0] >= self.ttl:
            return None
        return found[1]

    def keep(self, purpose: str, rows: Sequence[DataKey | _KeyRow]) -> tuple[_KeyRow, ...]:
        kept = tuple(
            _KeyRow(row.version, row.state, row.master_key_version, row.wrapped_key) for row in rows
        )
        with self._lock:
            self._rows[purpose] = (time.monotonic(), kept)
        return kept

    def forget(self, purpose: str) -> None:
        with self._lock:
            self._rows.pop(purpose, None)


class DataKeys:
    """The data keys in one session; unwrapped keys are kept for its lifetime
    (or the node's, when its unit of work lends it a :class:`DataKeyCache`)."""

    def __init__(self, session: Session, key_store: KeyStore) -> None:
        self.session = session
        self.key_store = key_store
        self._cache = node_cache(session, KEY_CACHE, DataKeyCache)
        self._unwrapped: dict[tuple[str, int, int, bytes], bytes] = (
            self._cache.unwrapped if self._cache is not None else {}
        )

    def for_writing(self, purpose: str, values: int = 0) -> DataKeySet:
        """The keys of ``purpose`` with one active for ``values`` new encryptions.

        Creates the first version on first use, and a new version when the
        active one would pass :data:`MAX_VALUES_PER_KEY`.
        """
        check_purpose(purpose)
        if not values:
            cached = self._cached_rows(purpose)
            if cached is not None and any(row.state == ACTIVE for row in cached):
                return self._key_set(purpose, cached)
        rows = self._rows(purpose)
        active = next((row for row in reversed(rows) if row.state == ACTIVE), None)
        if active is None or active.values_encrypted + values > MAX_VALUES_PER_KEY:
            active = self._add_version(purpose)
            rows = self._rows(purpose)
        if values:
            active.values_encrypted += values
            self.session.flush()
        return self._key_set(purpose, self._remember(purpose, rows))

    def for_reading(self, purpose: str) -> DataKeySet:
        """Every version of ``purpose``, unwrapped; DataKeyMissing when it has none."""
        check_purpose(purpose)
        cached = self._cached_rows(purpose)
        if cached is None:
            cached = self._remember(purpose, self._rows(purpose))
        return self._key_set(purpose, cached)

    def _cached_rows(self, purpose: str) -> Sequence[DataKey | _KeyRow] | None:
        return self._cache.rows(purpose) if self._cache is not None else None

    def _remember(
        self, purpose: str, rows: Sequence[DataKey | _KeyRow]
    ) -> Sequence[DataKey | _KeyRow]:
        return self._cache.keep(purpose, rows) if self._cache is not None else rows

    def _key_set(self, purpose: str, rows: Sequence[DataKey | _KeyRow]) -> DataKeySet:
        active = [row.version for row in rows if row.state == ACTIVE]
        if not rows or not active:
            raise DataKeyMissing(
                f"用途 {purpose} 没有数据密钥，无法解密", fields={"purpose": purpose}
            )
        keys = _UnwrappedOnUse(
            self.key_store,
            {row.version: WrappedKey(row.master_key_version, row.wrapped_key) for row in rows},
            purpose,
            self._unwrapped,
        )
        _ = keys[active[-1]]  # a wrong or missing key store fails here, not mid-column
        return DataKeySet(purpose, active[-1], keys)

    def rotate(self, purpose: str) -> int:
        """Make a new version of ``purpose`` active; older versions stay for reading."""
        check_purpose(purpose)
        return self._add_version(purpose).version

    def _rows(self, purpose: str) -> list[DataKey]:
        query = select(DataKey).where(DataKey.purpose == purpose).order_by(DataKey.version)
        return list(self.session.scalars(query))

    def _add_version(self, purpose: str) -> DataKey:
        if self._cache is not None:
            self._cache.forget(purpose)
        latest = self.session.scalar(
            select(func.max(DataKey.version)).where(DataKey.purpose == purpose)
        )
        version = (latest or 0) + 1
        key = Sm4Gcm.generate_key()
        wrapped = self.key_store.wrap(key, _context(purpose, version))
        for row in self._rows(purpose):
            row.state = DECRYPT_ONLY
        row = DataKey(
            purpose=purpose,
            version=version,
            algorithm=DATA_KEY_ALGORITHM,
            state=ACTIVE,
            master_key_version=wrapped.master_version,
            wrapped_key=wrapped.blob,
            values_encrypted=0,
        )
        self.session.add(row)
        self.session.flush()
        self._unwrapped[(purpose, version, wrapped.master_version, wrapped.blob)] = key
        return row


def rewrap_data_keys(session: Session, source: KeyStore, target: KeyStore) -> int:
    """Re-wrap every data key under ``target``'s current master key; how many moved.

    With ``source`` and ``target`` the same store this finishes a master key
    rotation; with two stores it moves the keys, for example from the local
    store to a KMS. Rows already under the target version are left alone.
    """
    target_version = current_version(target)
    moved = 0
    for row in session.scalars(select(DataKey).order_by(DataKey.purpose, DataKey.version)):
        if source is target and row.master_key_version == target_version:
            continue
        context = _context(row.purpose, row.version)
        key = source.unwrap(WrappedKey(row.master_key_version, row.wrapped_key), context)
        wrapped = target.wrap(key, context)
        row.master_key_version = wrapped.master_version
        row.wrapped_key = wrapped.blob
        row.wrapped_at = utcnow()
        moved += 1
    session.flush()
    return moved


def rotate_master_key(session: Session, key_store: KeyStore) -> tuple[int, int]:
    """Create a new master key version and re-wrap every data key under it.

    Returns the new version and the number of data keys re-wrapped. The
    encrypted data is not touched. Older master key versions are still
    needed to read database backups taken before the rotation.
    """
    check_master_keys_present(session, key_store)
    version = key_store.create_version()
    return version, rewrap_data_keys(session, key_store, key_store)


def missing_master_versions(session: Session, key_store: KeyStore) -> list[int]:
    """Master key versions that data keys were wrapped with but the store lacks."""
    used = session.scalars(select(DataKey.master_key_version).distinct())
    present = set(key_store.versions())
    return sorted(version for version in used if version not in present)


def check_master_keys_present(session: Session, key_store: KeyStore) -> None:
    """KeyStoreMissing unless every master key version the data keys need is there.

    Checked before a new master key is made, so that a new key never takes the
    number of a lost one that rows still name: restoring the lost key from a
    backup must stay possible.
    """
    missing = missing_master_versions(session, key_store)
    if missing:
        listed = "、".join(f"v{version}" for version in missing)
        raise KeyStoreMissing(
            f"密钥库（{key_store.description}）缺少数据密钥所需的主密钥 {listed}，请先从备份恢复",
            code="master_key_missing",
            fields={"master_versions": ",".join(str(version) for version in missing)},
        )


def key_status(session: Session, key_store: KeyStore) -> KeyStatus:
    rows = session.scalars(select(DataKey).order_by(DataKey.purpose, DataKey.version))
    return KeyStatus(
        store=key_store.description,
        master_versions=key_store.versions(),
        data_keys=[
            DataKeyInfo(
                purpose=row.purpose,
                version=row.version,
                state=row.state,
                algorithm=row.algorithm,
                master_key_version=row.master_key_version,
                values_encrypted=row.values_encrypted,
            )
            for row in rows
        ],
    )
