"""Encryption of small secrets at rest (API key secrets, later connection strings).

AES-256-GCM with a node master key kept in ``<data_dir>/keys/master.key``
(mode 0600). Each ciphertext is ``version byte | 12-byte nonce | ciphertext``;
the version byte lets the security area introduce key rotation and an
external key store without touching stored rows it cannot read.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

MASTER_KEY_FILE = "master.key"
_VERSION = b"\x01"


class SecretBox:
    def __init__(self, key: bytes) -> None:
        if len(key) != 32:
            raise ValueError("master key must be 32 bytes")
        self._aead = AESGCM(key)

    @classmethod
    def from_keys_dir(cls, keys_dir: Path) -> SecretBox:
        """Open the node's master key; it is never created here (see create_in)."""
        path = keys_dir / MASTER_KEY_FILE
        if not path.exists():
            raise FileNotFoundError(
                f"master key {path} is missing: register the node with `govdata db upgrade` "
                "or restore the keys directory from backup"
            )
        return cls(path.read_bytes())

    @staticmethod
    def create_in(keys_dir: Path) -> None:
        """Write a new master key unless one exists (first registration of a node)."""
        keys_dir.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(keys_dir / MASTER_KEY_FILE, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            return  # another process created it first
        with os.fdopen(fd, "wb") as handle:
            handle.write(AESGCM.generate_key(bit_length=256))

    @staticmethod
    def fingerprint_in(keys_dir: Path) -> str | None:
        """SHA-256 of the master key file, or None if there is none (reads only)."""
        path = keys_dir / MASTER_KEY_FILE
        if not path.exists():
            return None
        return hashlib.sha256(path.read_bytes()).hexdigest()

    def seal(self, plaintext: bytes, associated: bytes = b"") -> bytes:
        nonce = os.urandom(12)
        return _VERSION + nonce + self._aead.encrypt(nonce, plaintext, associated)

    def open(self, sealed: bytes, associated: bytes = b"") -> bytes:
        if sealed[:1] != _VERSION:
            raise ValueError("unknown secret format version")
        return self._aead.decrypt(sealed[1:13], sealed[13:], associated)
