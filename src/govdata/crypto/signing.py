"""Signers and verifiers for the node's signatures: Ed25519 or SM2 with SM3.

The algorithm travels with every key and every signature (``ed25519`` or
``sm2-sm3``), so a node can move to SM2 while the signatures it made with
Ed25519 still verify. :class:`Signature` is the recorded form: the algorithm
name and the signature bytes, written ``<algorithm>:<base64>`` in text.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from functools import lru_cache
from typing import Final, Protocol, runtime_checkable

from cryptography.exceptions import InvalidSignature
from cryptography.exceptions import UnsupportedAlgorithm as CryptographyUnsupported
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

from govdata.crypto.errors import InvalidKeyMaterial, UnsupportedAlgorithm
from govdata.crypto.sm2 import Sm2PrivateKey, Sm2PublicKey

ED25519: Final = "ed25519"
SM2_SM3: Final = "sm2-sm3"
SIGNATURE_ALGORITHMS: Final = (ED25519, SM2_SM3)


@runtime_checkable
class Signer(Protocol):
    """Something holding a private key that signs byte strings."""

    @property
    def algorithm(self) -> str: ...

    @property
    def public_key_pem(self) -> str: ...

    def sign(self, message: bytes) -> bytes: ...


@runtime_checkable
class Verifier(Protocol):
    """A public key that checks signatures made by the matching :class:`Signer`."""

    @property
    def algorithm(self) -> str: ...

    @property
    def public_key_pem(self) -> str: ...

    def verify(self, message: bytes, signature: bytes) -> bool: ...


@dataclass(frozen=True)
class Signature:
    """A signature with the name of the algorithm that made it."""

    algorithm: str
    value: bytes

    def encode(self) -> str:
        return f"{self.algorithm}:{base64.b64encode(self.value).decode('ascii')}"

    @classmethod
    def decode(cls, text: str) -> Signature:
        algorithm, separator, encoded = text.partition(":")
        if not separator or algorithm not in SIGNATURE_ALGORITHMS:
            raise UnsupportedAlgorithm(f"不支持的签名算法：{algorithm or text[:20]}")
        try:
            value = base64.b64decode(encoded, validate=True)
        except ValueError:  # binascii.Error, or text that is not ASCII
            raise InvalidKeyMaterial("签名不是有效的 Base64 文本") from None
        return cls(algorithm, value)


def sign(signer: Signer, message: bytes) -> Signature:
    """Sign ``message`` and record the algorithm with the signature."""
    return Signature(signer.algorithm, signer.sign(message))


def verify(verifier: Verifier, message: bytes, signature: Signature) -> bool:
    """False for a wrong signature, and for one made with another algorithm."""
    if signature.algorithm != verifier.algorithm:
        return False
    return verifier.verify(message, signature.value)


# --- Ed25519, through cryptography ----------------------------------------------------


class Ed25519Signer:
    algorithm: Final = ED25519

    def __init__(self, private_key: Ed25519PrivateKey) -> None:
        self.private_key = private_key

    @property
    def public_key_pem(self) -> str:
        return (
            self.private_key.public_key()
            .public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            )
            .decode("ascii")
        )

    def sign(self, message: bytes) -> bytes:
        return self.private_key.sign(message)

    def private_pem(self) -> bytes:
        return self.private_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )


class Ed25519Verifier:
    algorithm: Final = ED25519

    def __init__(self, public_key: Ed25519PublicKey) -> None:
        self.public_key = public_key

    @property
    def public_key_pem(self) -> str:
        return self.public_key.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        ).decode("ascii")

    def verify(self, message: bytes, signature: bytes) -> bool:
        try:
            self.public_key.verify(signature, message)
        except InvalidSignature:
            return False
        return True


# --- SM2 with SM3, through OpenSSL 3 -----------------------------------------------------


class Sm2Signer:
    """SM2 with SM3 and the default distinguishing identifier ``1234567812345678``."""

    algorithm: Final = SM2_SM3

    def __init__(self, private_key: Sm2PrivateKey) -> None:
        self.private_key = private_key

    @property
    def public_key_pem(self) -> str:
        return self.private_key.public_key().pem()

    def sign(self, message: bytes) -> bytes:
        return self.private_key.sign(message)

    def private_pem(self) -> bytes:
        return self.private_key.private_pem()


class Sm2Verifier:
    algorithm: Final = SM2_SM3

    def __init__(self, public_key: Sm2PublicKey) -> None:
        self.public_key = public_key

    @property
    def public_key_pem(self) -> str:
        return self.public_key.pem()

    def verify(self, message: bytes, signature: bytes) -> bool:
        return self.public_key.verify(signature, message)


# --- choosing by algorithm name, reading PEM ---------------------------------------------


def generate_signer(algorithm: str = ED25519) -> Ed25519Signer | Sm2Signer:
    if algorithm == ED25519:
        return Ed25519Signer(Ed25519PrivateKey.generate())
    if algorithm == SM2_SM3:
        return Sm2Signer(Sm2PrivateKey.generate())
    raise UnsupportedAlgorithm(f"不支持的签名算法：{algorithm}")


def signer_from_pem(pem: bytes) -> Ed25519Signer | Sm2Signer:
    """An unencrypted PKCS#8 private key of either algorithm; the algorithm is detected."""
    try:
        key = serialization.load_pem_private_key(pem, password=None)
    except (ValueError, TypeError, CryptographyUnsupported):
        # cryptography has no SM2 curve: OpenSSL 3 reads it (or says what is wrong).
        return Sm2Signer(Sm2PrivateKey.from_pem(pem))
    if isinstance(key, Ed25519PrivateKey):
        return Ed25519Signer(key)
    raise InvalidKeyMaterial("私钥既不是 Ed25519 也不是 SM2 密钥")


def verifier_from_pem(public_key_pem: str, algorithm: str) -> Ed25519Verifier | Sm2Verifier:
    """The verifier for a public key of the stated algorithm.

    UnsupportedAlgorithm for an unknown name; InvalidKeyMaterial when the key
    is not of that algorithm. Parsed verifiers are cached (they hold no secret).
    """
    if algorithm not in SIGNATURE_ALGORITHMS:
        raise UnsupportedAlgorithm(f"不支持的签名算法：{algorithm}")
    return _cached_verifier(public_key_pem, algorithm)


@lru_cache(maxsize=256)
def _cached_verifier(public_key_pem: str, algorithm: str) -> Ed25519Verifier | Sm2Verifier:
    if algorithm == SM2_SM3:
        return Sm2Verifier(Sm2PublicKey.from_pem(public_key_pem))
    try:
        key = serialization.load_pem_public_key(public_key_pem.encode("ascii"))
    except (ValueError, CryptographyUnsupported):
        raise InvalidKeyMaterial("公钥不是有效的 Ed25519 公钥") from None
    if not isinstance(key, Ed25519PublicKey):
        raise InvalidKeyMaterial("公钥不是 Ed25519 公钥")
    return Ed25519Verifier(key)


def public_key_der(public_key_pem: str) -> bytes:
    """The DER SubjectPublicKeyInfo of an Ed25519 or SM2 public key in PEM."""
    try:
        key = serialization.load_pem_public_key(public_key_pem.encode("ascii"))
    except (ValueError, CryptographyUnsupported):
        return Sm2PublicKey.from_pem(public_key_pem).der()
    return key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def public_key_fingerprint(public_key_pem: str) -> str:
    """SHA-256 (hex) of the DER public key: the same rule for both algorithms."""
    return hashlib.sha256(public_key_der(public_key_pem)).hexdigest()
