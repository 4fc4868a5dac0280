"""A ctypes binding to the few functions of OpenSSL 3's ``libcrypto`` that SM2 needs.

The ``cryptography`` package has no SM2, and the maintained Python bindings
that do (tongsuopy, GmSSL's) are stale or need a C library Debian does not
ship. OpenSSL 3 itself has SM2 behind its generic EVP interface, and it is
already loaded in every CPython process that imports ``ssl`` or
``hashlib``, patched by the distribution. So this module declares the
prototypes of about thirty EVP, BIO and PEM functions (the same way
:mod:`govdata.aggregation.sources.iconv_decoding` binds ``iconv``) and
nothing more: all arithmetic runs inside OpenSSL, and ctypes releases the
interpreter lock for each call.

Every failure drains OpenSSL's per-thread error queue, which this library
shares with Python's ``ssl`` module, so no stale error is left behind.
"""

from __future__ import annotations

import ctypes
import ctypes.util
from dataclasses import dataclass

from govdata.crypto.errors import NationalCryptoUnavailable

_OPENSSL_3 = 0x30000000
_LIBRARY_NAMES = ("libcrypto.so.3", "libcrypto.3.dylib")

_p = ctypes.c_void_p
_pp = ctypes.POINTER(ctypes.c_void_p)
_int = ctypes.c_int
_char_p = ctypes.c_char_p

# Each function's return type and argument types, as ctypes needs them.
_PROTOTYPES: dict[str, tuple[object, list[object]]] = {
    "OpenSSL_version_num": (ctypes.c_ulong, []),
    "OpenSSL_version": (_char_p, [_int]),
    "ERR_get_error": (ctypes.c_ulong, []),
    "ERR_error_string_n": (None, [ctypes.c_ulong, _char_p, ctypes.c_size_t]),
    "ERR_clear_error": (None, []),
    "EVP_PKEY_CTX_new_from_name": (_p, [_p, _char_p, _char_p]),
    "EVP_PKEY_CTX_new": (_p, [_p, _p]),
    "EVP_PKEY_CTX_free": (None, [_p]),
    "EVP_PKEY_CTX_set1_id": (_int, [_p, _char_p, _int]),
    "EVP_PKEY_keygen_init": (_int, [_p]),
    "EVP_PKEY_generate": (_int, [_p, _pp]),
    "EVP_PKEY_free": (None, [_p]),
    "EVP_PKEY_is_a": (_int, [_p, _char_p]),
    "EVP_MD_CTX_new": (_p, []),
    "EVP_MD_CTX_free": (None, [_p]),
    "EVP_MD_CTX_set_pkey_ctx": (None, [_p, _p]),
    "EVP_sm3": (_p, []),
    "EVP_DigestSignInit": (_int, [_p, _pp, _p, _p, _p]),
    "EVP_DigestSign": (
        _int,
        [_p, _char_p, ctypes.POINTER(ctypes.c_size_t), _char_p, ctypes.c_size_t],
    ),
    "EVP_DigestVerifyInit": (_int, [_p, _pp, _p, _p, _p]),
    "EVP_DigestVerify": (_int, [_p, _char_p, ctypes.c_size_t, _char_p, ctypes.c_size_t]),
    "BIO_new_mem_buf": (_p, [_char_p, _int]),
    "BIO_new": (_p, [_p]),
    "BIO_s_mem": (_p, []),
    "BIO_ctrl": (ctypes.c_long, [_p, _int, ctypes.c_long, _p]),
    "BIO_free": (_int, [_p]),
    "PEM_read_bio_PrivateKey": (_p, [_p, _p, _p, _char_p]),
    "PEM_read_bio_PUBKEY": (_p, [_p, _p, _p, _char_p]),
    "PEM_write_bio_PKCS8PrivateKey": (_int, [_p, _p, _p, _char_p, _int, _p, _p]),
    "PEM_write_bio_PUBKEY": (_int, [_p, _p]),
    "i2d_PKCS8PrivateKey_bio": (_int, [_p, _p, _p, _char_p, _int, _p, _p]),
    "i2d_PUBKEY_bio": (_int, [_p, _p]),
    "d2i_PUBKEY": (_p, [_p, ctypes.POINTER(_char_p), ctypes.c_long]),
    "d2i_AutoPrivateKey": (_p, [_p, ctypes.POINTER(_char_p), ctypes.c_long]),
}

_BIO_CTRL_INFO = 3  # BIO_get_mem_data is the macro BIO_ctrl(bio, BIO_CTRL_INFO, 0, &data)


@dataclass(frozen=True)
class _Loaded:
    library: ctypes.CDLL | None
    problem: str


def _load() -> _Loaded:
    names = list(_LIBRARY_NAMES)
    found = ctypes.util.find_library("crypto")
    if found is not None:
        names.append(found)
    problems = []
    for name in names:
        try:
            library = ctypes.CDLL(name)
            for function, (restype, argtypes) in _PROTOTYPES.items():
                prototype = getattr(library, function)
                prototype.restype = restype
                prototype.argtypes = argtypes
        except (OSError, AttributeError) as error:
            problems.append(f"{name}: {error}")
            continue
        if library.OpenSSL_version_num() < _OPENSSL_3:
            problems.append(f"{name}: {library.OpenSSL_version(0).decode()} is older than 3.0")
            continue
        context = library.EVP_PKEY_CTX_new_from_name(None, b"SM2", None)
        if not context or not library.EVP_sm3():
            library.ERR_clear_error()
            problems.append(f"{name}: built without SM2/SM3")
            continue
        library.EVP_PKEY_CTX_free(context)
        return _Loaded(library, "")
    return _Loaded(None, "; ".join(problems) or "libcrypto not found")


_LOADED = _load()


def libcrypto() -> ctypes.CDLL:
    """The loaded library; NationalCryptoUnavailable when this machine has no usable one."""
    if _LOADED.library is None:
        raise NationalCryptoUnavailable(
            f"未找到支持 SM2 的 OpenSSL 3 libcrypto（{_LOADED.problem}）"
        )
    return _LOADED.library


def available() -> bool:
    return _LOADED.library is not None


def version_text() -> str:
    """OpenSSL's own version line, or why there is none."""
    if _LOADED.library is None:
        return f"unavailable: {_LOADED.problem}"
    text: bytes = _LOADED.library.OpenSSL_version(0)
    return text.decode("ascii", "replace")


def drain_errors() -> str:
    """OpenSSL's queued error strings for this thread (the queue is left empty)."""
    library = libcrypto()
    messages = []
    buffer = ctypes.create_string_buffer(256)
    while code := library.ERR_get_error():
        library.ERR_error_string_n(code, buffer, len(buffer))
        messages.append(buffer.value.decode("ascii", "replace"))
    return "; ".join(messages)


def bio_contents(bio: int) -> bytes:
    """The bytes written so far to a memory BIO."""
    data = ctypes.c_void_p()
    length = int(libcrypto().BIO_ctrl(bio, _BIO_CTRL_INFO, 0, ctypes.byref(data)))
    if length <= 0 or not data.value:
        return b""
    return ctypes.string_at(data.value, length)


def new_memory_bio() -> int:
    library = libcrypto()
    bio = library.BIO_new(library.BIO_s_mem())
    if not bio:
        raise MemoryError(drain_errors())
    return int(bio)


def free_bio(bio: int) -> None:
    libcrypto().BIO_free(bio)


def free_pkey(handle: int) -> None:
    """Release an ``EVP_PKEY``; safe at interpreter exit when the library is gone."""
    library = _LOADED.library
    if library is not None:
        library.EVP_PKEY_free(handle)
