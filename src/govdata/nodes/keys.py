"""The node's signing key pair.

The private key lives in ``<data_dir>/keys/node-signing.pem`` (unencrypted
PKCS#8, mode 0600); the public half is stored in the ``nodes`` table and
published by the API. Ed25519 is the default; SM2 with SM3 (``sm2-sm3``) is
chosen when the key is first generated. The algorithm is recorded with the
key and with every signature, and it is read back from the key file itself,
so a node keeps the algorithm it was registered with.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from govdata.crypto.signing import (
    ED25519,
    SIGNATURE_ALGORITHMS,
    SM2_SM3,
    Ed25519Signer,
    Sm2Signer,
    generate_signer,
    signer_from_pem,
    verifier_from_pem,
)
from govdata.crypto.signing import public_key_fingerprint as _fingerprint
from govdata.crypto.sm2 import Sm2PrivateKey

__all__ = [
    "ED25519",
    "KEY_FILE",
    "SM2_SM3",
    "NodeKey",
    "load_node_key",
    "load_or_create_node_key",
    "public_key_fingerprint",
    "verify_signature",
]

KEY_FILE = "node-signing.pem"


@dataclass(frozen=True)
class NodeKey:
    """The node's private key; a :class:`govdata.crypto.signing.Signer`."""

    algorithm: str
    private_key: Ed25519PrivateKey | Sm2PrivateKey

    @property
    def _signer(self) -> Ed25519Signer | Sm2Signer:
        if isinstance(self.private_key, Sm2PrivateKey):
            return Sm2Signer(self.private_key)
        return Ed25519Signer(self.private_key)

    @property
    def public_key_pem(self) -> str:
        return self._signer.public_key_pem

    @property
    def fingerprint(self) -> str:
        return public_key_fingerprint(self.public_key_pem)

    def sign(self, message: bytes) -> bytes:
        return self._signer.sign(message)


def public_key_fingerprint(public_key_pem: str) -> str:
    """SHA-256 (hex) of the DER public key, Ed25519 or SM2."""
    return _fingerprint(public_key_pem)


def verify_signature(public_key_pem: str, algorithm: str, message: bytes, signature: bytes) -> bool:
    """Whether ``signature`` is valid for ``message`` under the key and algorithm.

    ValueError for an unknown algorithm or a key of another algorithm.
    """
    if algorithm not in SIGNATURE_ALGORITHMS:
        raise ValueError(f"unsupported signature algorithm: {algorithm}")
    return verifier_from_pem(public_key_pem, algorithm).verify(message, signature)


def _node_key(signer: Ed25519Signer | Sm2Signer) -> NodeKey:
    return NodeKey(signer.algorithm, signer.private_key)


def load_node_key(keys_dir: Path) -> NodeKey | None:
    """The node key, or None when the key file does not exist."""
    path = keys_dir / KEY_FILE
    if not path.exists():
        return None
    return _node_key(signer_from_pem(path.read_bytes()))


def load_or_create_node_key(keys_dir: Path, algorithm: str = ED25519) -> NodeKey:
    """Read the node key, generating it (once) if the file does not exist.

    ``algorithm`` (``ed25519`` or ``sm2-sm3``) is used only when generating;
    an existing key keeps its own algorithm.
    """
    existing = load_node_key(keys_dir)
    if existing is not None:
        return existing
    signer = generate_signer(algorithm)
    path = keys_dir / KEY_FILE
    keys_dir.mkdir(parents=True, exist_ok=True)
    keys_dir.chmod(0o700)
    # O_EXCL: two processes starting at once must not both write a key.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(signer.private_pem())
    return _node_key(signer)
