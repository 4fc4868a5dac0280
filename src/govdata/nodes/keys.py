"""The node's signing key pair.

The private key lives in ``<data_dir>/keys/node-signing.pem`` (mode 0600);
the public half is stored in the ``nodes`` table and published by the API.
Ed25519 is used today; the algorithm is recorded with the key and with
every signature so that SM2 can be added beside it.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

ED25519 = "ed25519"
KEY_FILE = "node-signing.pem"


@dataclass(frozen=True)
class NodeKey:
    algorithm: str
    private_key: Ed25519PrivateKey

    @property
    def public_key_pem(self) -> str:
        return (
            self.private_key.public_key()
            .public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            )
            .decode("ascii")
        )

    @property
    def fingerprint(self) -> str:
        return public_key_fingerprint(self.public_key_pem)

    def sign(self, message: bytes) -> bytes:
        return self.private_key.sign(message)


def public_key_fingerprint(public_key_pem: str) -> str:
    key = serialization.load_pem_public_key(public_key_pem.encode("ascii"))
    raw = key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return hashlib.sha256(raw).hexdigest()


def verify_signature(public_key_pem: str, algorithm: str, message: bytes, signature: bytes) -> bool:
    if algorithm != ED25519:
        raise ValueError(f"unsupported signature algorithm: {algorithm}")
    key = serialization.load_pem_public_key(public_key_pem.encode("ascii"))
    if not isinstance(key, Ed25519PublicKey):
        raise TypeError("public key is not an Ed25519 key")
    try:
        key.verify(signature, message)
    except InvalidSignature:
        return False
    return True


def load_node_key(keys_dir: Path) -> NodeKey | None:
    """The node key, or None when the key file does not exist."""
    path = keys_dir / KEY_FILE
    if not path.exists():
        return None
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise TypeError(f"{path} does not hold an Ed25519 private key")
    return NodeKey(ED25519, key)


def load_or_create_node_key(keys_dir: Path) -> NodeKey:
    """Read the node key, generating it (once) if the file does not exist."""
    existing = load_node_key(keys_dir)
    if existing is not None:
        return existing
    path = keys_dir / KEY_FILE
    keys_dir.mkdir(parents=True, exist_ok=True)
    keys_dir.chmod(0o700)
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    # O_EXCL: two processes starting at once must not both write a key.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(pem)
    return NodeKey(ED25519, key)
