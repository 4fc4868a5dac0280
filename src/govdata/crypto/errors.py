"""The errors of the crypto package, each with a stable code.

The platform refuses to serve data it cannot protect: a missing key store, a
missing data key, a wrong key and a tampered ciphertext all stop the work
with one of these instead of returning something unprotected or wrong.
"""

from __future__ import annotations

from typing import ClassVar

from govdata.errors import GovdataError


class CryptoError(GovdataError):
    """Base of every crypto failure."""

    status: ClassVar[int] = 500
    code: ClassVar[str] = "crypto_error"
    default_message: ClassVar[str] = "加密处理失败"


class KeyStoreMissing(CryptoError):
    """No master key (key encryption key) can be read: the store or a version is gone."""

    status = 503
    code = "key_store_missing"
    default_message = "密钥库缺失或不可用，平台拒绝读写受保护的数据，请从备份恢复密钥目录"


class DataKeyMissing(CryptoError):
    """A ciphertext names a data key that the database does not hold."""

    status = 503
    code = "data_key_missing"
    default_message = "数据密钥不存在，无法解密受保护的数据"


class DecryptionFailed(CryptoError):
    """Authentication failed: the key is wrong or the ciphertext was changed."""

    code = "decryption_failed"
    default_message = "数据解密失败：密钥不符或密文已被篡改"


class UnsupportedAlgorithm(CryptoError, ValueError):
    """An algorithm name that this node does not implement."""

    status = 422
    code = "unsupported_algorithm"
    default_message = "不支持的密码算法"


class InvalidKeyMaterial(CryptoError, ValueError):
    """Key bytes or PEM text that cannot be parsed as the expected kind of key."""

    status = 422
    code = "invalid_key"
    default_message = "密钥格式无效"


class NationalCryptoUnavailable(CryptoError):
    """This machine's OpenSSL lacks SM2 (or SM3/SM4): the national algorithms cannot run."""

    status = 503
    code = "national_crypto_unavailable"
    default_message = "本机的 OpenSSL 不支持国密算法（SM2/SM3/SM4），请安装 OpenSSL 3 或铜锁"
