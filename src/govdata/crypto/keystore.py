"""Versioned master keys (key encryption keys) that wrap the data keys.

A :class:`KeyStore` never hands a master key out: it wraps a data key under
its current master key and unwraps one under the version it was wrapped
with. That is exactly what an external KMS or HSM offers (an ``Encrypt`` and
a ``Decrypt`` call naming a key and its version), so a production adapter
implements the same four methods by calling the KMS; the database stores
only wrapped data keys and the master key version each one needs.

:class:`LocalKeyStore`, the default, keeps each version as a 16-byte SM4 key
in ``<keys_dir>/master-keys/v000001.key`` (files 0600, directory 0700),
next to the node's signing key and the secret box's ``master.key``; the
directory must be backed up with the database (see docs/crypto.md).
:class:`MemoryKeyStore` holds its keys in memory, for tests and tools.
"""

from __future__ import annotations

import os
import re
from abc import ABC, abstractmethod
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, runtime_checkable

from govdata.crypto.errors import DecryptionFailed, KeyStoreMissing
from govdata.crypto.primitives import SM4_KEY_SIZE, Sm4Gcm

MASTER_KEYS_DIR = "master-keys"
_FILE_NAME = re.compile(r"^v(\d{6})\.key$")
_WRAP_LABEL = b"govdata/master-key-wrap/1\x00"


@dataclass(frozen=True)
class WrappedKey:
    """A data key encrypted under one master key version."""

    master_version: int
    blob: bytes


@runtime_checkable
class KeyStore(Protocol):
    """Versioned master keys behind wrap and unwrap.

    ``context`` is authenticated with the key (the data key's purpose and
    version): a wrapped key copied onto another row does not unwrap.
    """

    @property
    def description(self) -> str:
        """Where the keys are, for status output (no secret in it)."""
        ...

    def versions(self) -> list[int]:
        """The master key versions present, ascending; empty before the first one."""
        ...

    def create_version(self) -> int:
        """Make a new master key the current one; returns its version."""
        ...

    def wrap(self, key: bytes, context: bytes) -> WrappedKey:
        """Encrypt ``key`` under the current master key (KeyStoreMissing if there is none)."""
        ...

    def unwrap(self, wrapped: WrappedKey, context: bytes) -> bytes:
        """The data key; KeyStoreMissing if its version is gone, DecryptionFailed if wrong."""
        ...


def current_version(store: KeyStore) -> int:
    """The newest master key version; KeyStoreMissing when the store holds none."""
    versions = store.versions()
    if not versions:
        raise KeyStoreMissing(
            f"密钥库中没有主密钥（{store.description}），"
            "请运行 govdata keys init 创建，或从备份恢复密钥目录"
        )
    return versions[-1]


def ensure_master_key(store: KeyStore) -> int:
    """Create the first master key unless the store has one; the current version."""
    versions = store.versions()
    return versions[-1] if versions else store.create_version()


def _associated(version: int, context: bytes) -> bytes:
    return _WRAP_LABEL + version.to_bytes(4, "big") + context


class _SymmetricKeyStore(ABC):
    """Master keys held as SM4 keys by this process; subclasses say where they live."""

    def __init__(self) -> None:
        self._ciphers: dict[int, Sm4Gcm] = {}

    @property
    @abstractmethod
    def description(self) -> str: ...

    @abstractmethod
    def versions(self) -> list[int]: ...

    @abstractmethod
    def _read(self, version: int) -> bytes | None: ...

    @abstractmethod
    def _write_new(self, version: int, key: bytes) -> bool:
        """Store ``key`` as ``version`` unless that version exists; whether it was stored."""

    def create_version(self) -> int:
        key = Sm4Gcm.generate_key()
        version = (self.versions() or [0])[-1] + 1
        while not self._write_new(version, key):
            version += 1  # another process took this number first
        return version

    def _cipher(self, version: int) -> Sm4Gcm:
        cipher = self._ciphers.get(version)
        if cipher is None:
            key = self._read(version)
            if key is None:
                raise KeyStoreMissing(
                    f"主密钥第 {version} 版缺失（{self.description}），请从备份恢复密钥目录",
                    code="master_key_missing",
                    fields={"master_version": str(version)},
                )
            if len(key) != SM4_KEY_SIZE:
                raise KeyStoreMissing(
                    f"主密钥第 {version} 版已损坏（{self.description}），请从备份恢复密钥目录",
                    code="master_key_corrupt",
                    fields={"master_version": str(version)},
                )
            cipher = self._ciphers[version] = Sm4Gcm(key)
        return cipher

    def wrap(self, key: bytes, context: bytes) -> WrappedKey:
        version = current_version(self)
        blob = self._cipher(version).seal(key, _associated(version, context))
        return WrappedKey(version, blob)

    def unwrap(self, wrapped: WrappedKey, context: bytes) -> bytes:
        cipher = self._cipher(wrapped.master_version)
        try:
            return cipher.open(wrapped.blob, _associated(wrapped.master_version, context))
        except DecryptionFailed:
            raise DecryptionFailed(
                f"主密钥第 {wrapped.master_version} 版无法解开数据密钥：密钥文件被替换或记录被篡改",
                code="master_key_mismatch",
                fields={"master_version": str(wrapped.master_version)},
            ) from None


class LocalKeyStore(_SymmetricKeyStore):
    """Master keys in files under ``<keys_dir>/master-keys``."""

    def __init__(self, keys_dir: Path) -> None:
        super().__init__()
        self.directory = keys_dir / MASTER_KEYS_DIR

    @property
    def description(self) -> str:
        return f"local:{self.directory}"

    def versions(self) -> list[int]:
        if not self.directory.is_dir():
            return []
        found = (_FILE_NAME.match(path.name) for path in self.directory.iterdir())
        return sorted(int(match.group(1)) for match in found if match)

    def path_of(self, version: int) -> Path:
        return self.directory / f"v{version:06d}.key"

    def _read(self, version: int) -> bytes | None:
        try:
            return self.path_of(version).read_bytes()
        except FileNotFoundError:
            return None

    def _write_new(self, version: int, key: bytes) -> bool:
        self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        try:
            fd = os.open(self.path_of(version), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            return False
        with os.fdopen(fd, "wb") as handle:
            handle.write(key)
            handle.flush()
            os.fsync(handle.fileno())
        # The new name must survive a crash too: losing a master key loses data.
        directory = os.open(self.directory, os.O_RDONLY)
        try:
            os.fsync(directory)
        finally:
            os.close(directory)
        return True


class MemoryKeyStore(_SymmetricKeyStore):
    """Master keys in this process's memory: for tests, gone when it exits."""

    def __init__(self) -> None:
        super().__init__()
        self._keys: dict[int, bytes] = {}

    @property
    def description(self) -> str:
        return "memory"

    def versions(self) -> list[int]:
        return sorted(self._keys)

    def forget(self, version: int) -> None:
        """Lose one master key (what a failed disk does to a local store)."""
        self._keys.pop(version, None)
        self._ciphers.pop(version, None)

    def _read(self, version: int) -> bytes | None:
        return self._keys.get(version)

    def _write_new(self, version: int, key: bytes) -> bool:
        if version in self._keys:
            return False
        self._keys[version] = key
        return True
