"""SM2 signatures (GB/T 32918-2016) with SM3, computed by OpenSSL 3's libcrypto.

Keys are exchanged as PKCS#8 (private) and SubjectPublicKeyInfo (public), PEM
or DER, which is what ``openssl genpkey -algorithm SM2`` writes and reads.
Signatures are the DER ``SEQUENCE { r, s }`` of GB/T 35276. The signer's
distinguishing identifier enters the signed hash (the ``Z`` value); unless
told otherwise both sides use the standard's default ``1234567812345678``,
which is also what ``openssl dgst -sm3 -sigopt distid:1234567812345678``
must be given to check one of these signatures.
"""

from __future__ import annotations

import ctypes
import weakref
from typing import Final

from govdata.crypto.errors import CryptoError, InvalidKeyMaterial
from govdata.crypto.libcrypto import (
    bio_contents,
    drain_errors,
    free_bio,
    free_pkey,
    libcrypto,
    new_memory_bio,
)

DEFAULT_DISTINGUISHING_ID: Final = b"1234567812345678"
# DER SEQUENCE of two INTEGERs of at most 33 bytes each.
MAX_SIGNATURE_SIZE: Final = 72


class _PKey:
    """Owns one ``EVP_PKEY`` and frees it when the Python object goes."""

    __slots__ = ("__weakref__", "handle")

    def __init__(self, handle: int | None, what: str) -> None:
        if not handle:
            detail = drain_errors()
            raise InvalidKeyMaterial(f"无法读取{what}：{detail or '格式无效'}")
        self.handle = int(handle)
        weakref.finalize(self, free_pkey, self.handle)
        if libcrypto().EVP_PKEY_is_a(self.handle, b"SM2") != 1:
            raise InvalidKeyMaterial(f"{what}不是 SM2 密钥")


def _as_bytes(data: bytes | str) -> bytes:
    return data.encode("ascii") if isinstance(data, str) else data


def _read_pem(data: bytes, reader: str, password: bytes | None) -> int | None:
    library = libcrypto()
    bio = library.BIO_new_mem_buf(data, len(data))
    if not bio:
        raise MemoryError(drain_errors())
    try:
        # A non-NULL passphrase stops OpenSSL from prompting on the terminal.
        handle: int | None = getattr(library, reader)(bio, None, None, password or b"")
    finally:
        free_bio(bio)
    return handle


def _write(pkey: _PKey, writer: str, *extra: object) -> bytes:
    library = libcrypto()
    bio = new_memory_bio()
    try:
        if getattr(library, writer)(bio, pkey.handle, *extra) != 1:
            raise CryptoError(f"SM2 密钥导出失败：{drain_errors()}")
        return bio_contents(bio)
    finally:
        free_bio(bio)


def _no_encryption() -> tuple[None, None, int, None, None]:
    return (None, None, 0, None, None)


class _DigestContext:
    """An ``EVP_MD_CTX`` set up for SM2 with SM3 and a distinguishing identifier."""

    def __init__(self, pkey: _PKey, distinguishing_id: bytes, *, verify: bool) -> None:
        library = libcrypto()
        self.library = library
        self.md = library.EVP_MD_CTX_new()
        self.pkey_ctx = library.EVP_PKEY_CTX_new(pkey.handle, None)
        if not self.md or not self.pkey_ctx:
            self.close()
            raise MemoryError(drain_errors())
        ok = (
            library.EVP_PKEY_CTX_set1_id(self.pkey_ctx, distinguishing_id, len(distinguishing_id))
            == 1
        )
        if ok:
            library.EVP_MD_CTX_set_pkey_ctx(self.md, self.pkey_ctx)
            init = library.EVP_DigestVerifyInit if verify else library.EVP_DigestSignInit
            ok = init(self.md, None, library.EVP_sm3(), None, pkey.handle) == 1
        if not ok:
            detail = drain_errors()
            self.close()
            raise CryptoError(f"SM2 初始化失败：{detail}")

    def close(self) -> None:
        # The MD context does not free a PKEY context given with set_pkey_ctx.
        if self.md:
            self.library.EVP_MD_CTX_free(self.md)
        if self.pkey_ctx:
            self.library.EVP_PKEY_CTX_free(self.pkey_ctx)
        self.md = self.pkey_ctx = None


class Sm2PublicKey:
    """An SM2 public key: verifies signatures."""

    __slots__ = ("_der", "_pkey")

    def __init__(self, pkey: _PKey) -> None:
        self._pkey = pkey
        self._der = _write(pkey, "i2d_PUBKEY_bio")

    @classmethod
    def from_pem(cls, data: bytes | str) -> Sm2PublicKey:
        pem = _as_bytes(data)
        return cls(_PKey(_read_pem(pem, "PEM_read_bio_PUBKEY", None), "SM2 公钥"))

    @classmethod
    def from_der(cls, data: bytes) -> Sm2PublicKey:
        pointer = ctypes.c_char_p(data)
        handle = libcrypto().d2i_PUBKEY(None, ctypes.byref(pointer), len(data))
        return cls(_PKey(handle, "SM2 公钥"))

    def der(self) -> bytes:
        """SubjectPublicKeyInfo, DER."""
        return self._der

    def pem(self) -> str:
        return _write(self._pkey, "PEM_write_bio_PUBKEY").decode("ascii")

    def verify(
        self,
        signature: bytes,
        message: bytes,
        *,
        distinguishing_id: bytes = DEFAULT_DISTINGUISHING_ID,
    ) -> bool:
        """Whether ``signature`` is this key's SM2-with-SM3 signature of ``message``."""
        context = _DigestContext(self._pkey, distinguishing_id, verify=True)
        try:
            result = context.library.EVP_DigestVerify(
                context.md, signature, len(signature), message, len(message)
            )
        finally:
            context.close()
        if result != 1:
            drain_errors()  # a malformed signature queues a decoding error
            return False
        return True

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Sm2PublicKey) and other._der == self._der

    def __hash__(self) -> int:
        return hash(self._der)


class Sm2PrivateKey:
    """An SM2 private key: signs, and exports itself and its public half."""

    __slots__ = ("_pkey", "_public")

    def __init__(self, pkey: _PKey) -> None:
        self._pkey = pkey
        self._public: Sm2PublicKey | None = None

    @classmethod
    def generate(cls) -> Sm2PrivateKey:
        library = libcrypto()
        context = library.EVP_PKEY_CTX_new_from_name(None, b"SM2", None)
        if not context:
            raise CryptoError(f"无法创建 SM2 密钥：{drain_errors()}")
        try:
            handle = ctypes.c_void_p()
            if (
                library.EVP_PKEY_keygen_init(context) != 1
                or library.EVP_PKEY_generate(context, ctypes.byref(handle)) != 1
            ):
                raise CryptoError(f"无法创建 SM2 密钥：{drain_errors()}")
        finally:
            library.EVP_PKEY_CTX_free(context)
        return cls(_PKey(handle.value, "新生成的 SM2 密钥"))

    @classmethod
    def from_pem(cls, data: bytes | str, password: bytes | None = None) -> Sm2PrivateKey:
        """A PKCS#8 (or OpenSSL's traditional EC) PEM private key; encrypted if password."""
        pem = _as_bytes(data)
        return cls(_PKey(_read_pem(pem, "PEM_read_bio_PrivateKey", password), "SM2 私钥"))

    @classmethod
    def from_der(cls, data: bytes) -> Sm2PrivateKey:
        pointer = ctypes.c_char_p(data)
        handle = libcrypto().d2i_AutoPrivateKey(None, ctypes.byref(pointer), len(data))
        return cls(_PKey(handle, "SM2 私钥"))

    def private_pem(self) -> bytes:
        """Unencrypted PKCS#8 PEM (``-----BEGIN PRIVATE KEY-----``)."""
        return _write(self._pkey, "PEM_write_bio_PKCS8PrivateKey", *_no_encryption())

    def private_der(self) -> bytes:
        """Unencrypted PKCS#8 DER."""
        return _write(self._pkey, "i2d_PKCS8PrivateKey_bio", *_no_encryption())

    def public_key(self) -> Sm2PublicKey:
        if self._public is None:
            self._public = Sm2PublicKey.from_der(_write(self._pkey, "i2d_PUBKEY_bio"))
        return self._public

    def sign(
        self,
        message: bytes,
        *,
        distinguishing_id: bytes = DEFAULT_DISTINGUISHING_ID,
    ) -> bytes:
        """The SM2-with-SM3 signature of ``message`` (DER; randomised, so never the same)."""
        context = _DigestContext(self._pkey, distinguishing_id, verify=False)
        try:
            signature = ctypes.create_string_buffer(MAX_SIGNATURE_SIZE)
            length = ctypes.c_size_t(MAX_SIGNATURE_SIZE)
            result = context.library.EVP_DigestSign(
                context.md, signature, ctypes.byref(length), message, len(message)
            )
            if result != 1:
                raise CryptoError(f"SM2 签名失败：{drain_errors()}")
        finally:
            context.close()
        return signature.raw[: length.value]
