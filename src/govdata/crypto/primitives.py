"""SM3 hashing, HMAC-SM3 and SM4-GCM, through the ``cryptography`` package.

``cryptography`` ships its own OpenSSL, which has SM3 and SM4 (GCM included);
the functions here are thin and typed so that callers never touch the hazmat
layer. :class:`Sm4Gcm` has the shape of ``cryptography``'s ``AESGCM``
(``encrypt(nonce, data, associated)`` returns ciphertext followed by the
16-byte tag) so the two can be swapped and compared.
"""

from __future__ import annotations

import hmac as stdlib_hmac
import os

from cryptography.exceptions import InvalidTag, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives import hmac as crypto_hmac
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from govdata.crypto.errors import (
    DecryptionFailed,
    InvalidKeyMaterial,
    NationalCryptoUnavailable,
)

SM3_DIGEST_SIZE = 32
SM4_KEY_SIZE = 16
GCM_NONCE_SIZE = 12
GCM_TAG_SIZE = 16


def sm3(data: bytes) -> bytes:
    """The SM3 digest (GB/T 32905-2016) of ``data``: 32 bytes."""
    digest = hashes.Hash(hashes.SM3())
    digest.update(data)
    return digest.finalize()


def sm3_hex(data: bytes) -> str:
    return sm3(data).hex()


def hmac_sm3(key: bytes, data: bytes) -> bytes:
    """HMAC (RFC 2104) with SM3 as the hash: 32 bytes."""
    mac = crypto_hmac.HMAC(key, hashes.SM3())
    mac.update(data)
    return mac.finalize()


def verify_hmac_sm3(key: bytes, data: bytes, tag: bytes) -> bool:
    """Whether ``tag`` is the HMAC-SM3 of ``data`` under ``key`` (constant-time compare)."""
    return stdlib_hmac.compare_digest(hmac_sm3(key, data), tag)


class Sm4Gcm:
    """SM4 in Galois/Counter Mode (GB/T 32907-2016 with NIST SP 800-38D; RFC 8998).

    128-bit keys, 96-bit nonces, 128-bit tags. A nonce must never repeat under
    one key; :meth:`seal` draws a random one and stores it with the ciphertext.
    """

    def __init__(self, key: bytes) -> None:
        if len(key) != SM4_KEY_SIZE:
            raise InvalidKeyMaterial("SM4 密钥必须为 16 字节")
        self._algorithm = algorithms.SM4(key)

    @staticmethod
    def generate_key() -> bytes:
        return os.urandom(SM4_KEY_SIZE)

    def encrypt(self, nonce: bytes, data: bytes, associated: bytes | None) -> bytes:
        """Ciphertext followed by the 16-byte tag; ``associated`` is authenticated only."""
        encryptor = Cipher(self._algorithm, modes.GCM(nonce)).encryptor()
        if associated:
            encryptor.authenticate_additional_data(associated)
        body = encryptor.update(data) + encryptor.finalize()
        return body + encryptor.tag

    def decrypt(self, nonce: bytes, data: bytes, associated: bytes | None) -> bytes:
        """The plaintext of :meth:`encrypt`'s output; DecryptionFailed if anything changed."""
        if len(data) < GCM_TAG_SIZE:
            raise DecryptionFailed("密文过短，不是有效的 SM4-GCM 密文")
        body, tag = data[:-GCM_TAG_SIZE], data[-GCM_TAG_SIZE:]
        decryptor = Cipher(self._algorithm, modes.GCM(nonce, tag)).decryptor()
        if associated:
            decryptor.authenticate_additional_data(associated)
        try:
            return decryptor.update(body) + decryptor.finalize()
        except InvalidTag:
            raise DecryptionFailed() from None

    def seal(self, plaintext: bytes, associated: bytes | None = None) -> bytes:
        """``nonce | ciphertext | tag`` with a fresh random nonce."""
        nonce = os.urandom(GCM_NONCE_SIZE)
        return nonce + self.encrypt(nonce, plaintext, associated)

    def open(self, sealed: bytes, associated: bytes | None = None) -> bytes:
        if len(sealed) < GCM_NONCE_SIZE + GCM_TAG_SIZE:
            raise DecryptionFailed("密文过短，不是有效的 SM4-GCM 密文")
        return self.decrypt(sealed[:GCM_NONCE_SIZE], sealed[GCM_NONCE_SIZE:], associated)


def check_sm3_and_sm4() -> None:
    """Raise NationalCryptoUnavailable unless SM3 and SM4-GCM both work here."""
    try:
        sm3(b"")
        Sm4Gcm(bytes(SM4_KEY_SIZE)).encrypt(bytes(GCM_NONCE_SIZE), b"", None)
    except UnsupportedAlgorithm as error:
        raise NationalCryptoUnavailable(
            "当前 cryptography 所带的 OpenSSL 不支持 SM3 或 SM4-GCM"
        ) from error
