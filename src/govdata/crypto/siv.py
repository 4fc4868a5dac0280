"""SIV (RFC 5297): deterministic authenticated encryption over any 128-bit block cipher.

SIV is S2V (a CMAC-based PRF over a vector of strings: the associated data
strings, then the plaintext) giving the 16-byte synthetic IV ``V``, followed by
CTR mode with the counter ``Q`` = ``V`` with bits 63 and 31 cleared. The output
is ``V || C`` with ``C`` exactly as long as the plaintext. The same plaintext
and associated data always give the same output: equality of plaintexts is
visible, nothing else is (RFC 5297 §1.3.2, deterministic authenticated
encryption).

The block cipher is given as an *ECB function* (many 16-byte blocks in, the
same number out), so the construction runs unchanged with AES (which lets the
tests check it against RFC 5297's vectors and ``cryptography``'s ``AESSIV``)
and with SM4 (GB/T 32907-2016), which is what the lake uses
(:meth:`Siv.for_sm4_data_key`).

Two paths compute the same thing:

- :meth:`Siv.encrypt_groups` / :meth:`Siv.decrypt_groups` take many values at
  once, as matrices of equal-length values (one matrix per length). All block
  cipher work is done by a handful of large ECB calls: CMAC processes block
  position ``j`` of every value that has a ``j``-th block in one call, and the
  CTR key stream of every value is produced in one call. The per-value work
  is numpy arithmetic over whole arrays.
- :meth:`Siv.encrypt` / :meth:`Siv.decrypt` handle one value in plain Python,
  block by block: the reference for the vectorised path, and what single
  literals use.
"""

from __future__ import annotations

import hmac as stdlib_hmac
import os
import sys
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from numpy.typing import NDArray

from govdata.crypto.errors import DecryptionFailed, InvalidKeyMaterial
from govdata.crypto.primitives import SM4_KEY_SIZE, hmac_sm3

BLOCK: Final = 16
"""Bytes in a block (and in the synthetic IV)."""
MAX_ASSOCIATED: Final = 126
"""RFC 5297 §7: S2V takes at most 127 strings, the plaintext being the last one."""
MAC_LABEL: Final = b"govdata/siv/mac"
CTR_LABEL: Final = b"govdata/siv/ctr"

Bytes = NDArray[np.uint8]
Array = NDArray[Any]
Ecb = Callable[[bytes | Bytes], bytes]
"""Encrypts a whole number of 16-byte blocks, each on its own (ECB)."""

_MASK_128 = (1 << 128) - 1
_ZERO_BLOCK = bytes(BLOCK)
# RFC 5297 §2.6: Q = V bitand (1^64 || 0^1 || 1^31 || 0^1 || 1^31).
_COUNTER_MASK = np.frombuffer(b"\xff" * 8 + b"\x7f\xff\xff\xff" * 2, dtype=np.uint8)
_COUNTER_MASK_INT = int.from_bytes(_COUNTER_MASK.tobytes(), "big")
_LITTLE_ENDIAN = sys.byteorder == "little"


def ecb_function(algorithm: algorithms.AES | algorithms.SM4) -> Ecb:
    """An ECB function for a ``cryptography`` 128-bit block cipher with its key.

    Each call uses a fresh encryptor (a few microseconds), so one function
    may be called from several threads at once.
    """

    def encrypt(blocks: bytes | Bytes) -> bytes:
        data = blocks if isinstance(blocks, bytes) else blocks.data
        # ECB is the raw block cipher here: CMAC and CTR are built on it.
        return Cipher(algorithm, modes.ECB()).encryptor().update(data)  # noqa: S305

    return encrypt


def _usable_cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not on Linux
        return os.cpu_count() or 1


_POOL: list[ThreadPoolExecutor] = []
_POOL_LOCK = threading.Lock()


def _pool() -> ThreadPoolExecutor:
    with _POOL_LOCK:
        if not _POOL:
            _POOL.append(ThreadPoolExecutor(max_workers=3, thread_name_prefix="govdata-ecb"))
        return _POOL[0]


def double(block: bytes) -> bytes:
    """Multiplication by x in GF(2^128) (RFC 4493 §2.3, RFC 5297 §2.3: ``dbl``)."""
    value = int.from_bytes(block, "big") << 1
    if value >> 128:
        value = (value & _MASK_128) ^ 0x87
    return value.to_bytes(BLOCK, "big")


def _xor(left: bytes, right: bytes) -> bytes:
    return (int.from_bytes(left, "big") ^ int.from_bytes(right, "big")).to_bytes(len(left), "big")


def _padded_to(data: bytes, size: int) -> bytes:
    """``data || 10*`` to ``size`` bytes."""
    return data + b"\x80" + bytes(size - 1 - len(data))


def _padded(last: bytes) -> bytes:
    """``last || 10*`` to a whole block (RFC 5297 §2.1 ``pad``)."""
    return last + b"\x80" + bytes(BLOCK - 1 - len(last))


def derive_sm4_keys(data_key: bytes) -> tuple[bytes, bytes]:
    """The S2V (MAC) key and the CTR key for an SM4 data key, by HMAC-SM3 with two labels.

    The data key itself is never used directly by SIV, so its use for SM4-GCM
    (format 1) and for SIV (format 2) cannot interfere.
    """
    if len(data_key) != SM4_KEY_SIZE:
        raise InvalidKeyMaterial("SM4 数据密钥必须为 16 字节")
    mac_key = hmac_sm3(data_key, MAC_LABEL)[:SM4_KEY_SIZE]
    ctr_key = hmac_sm3(data_key, CTR_LABEL)[:SM4_KEY_SIZE]
    return mac_key, ctr_key


@dataclass(frozen=True)
class S2vPrefix:
    """S2V's state ``D`` after the associated data strings, and ``dbl(D)``.

    The associated data of a column is the same for all its values, so this is
    computed once (:meth:`Siv.prefix`) and reused for each value.
    """

    state: bytes
    doubled: bytes


class Siv:
    """SIV with the S2V key's cipher ``mac`` and the CTR key's cipher ``ctr`` (ECB functions).

    The many-value methods split their rows into up to ``threads`` parts
    (default: the usable CPUs, at most 4) of at least ``rows_per_thread``
    rows and process the parts at once: ``cryptography`` and numpy release
    the interpreter lock during their large operations.
    """

    def __init__(
        self, mac: Ecb, ctr: Ecb, *, threads: int | None = None, rows_per_thread: int = 65536
    ) -> None:
        self._mac = mac
        self._ctr = ctr
        self._threads = max(1, min(4, _usable_cpus())) if threads is None else max(1, threads)
        self._rows_per_thread = max(1, rows_per_thread)
        subkey = mac(_ZERO_BLOCK)
        self._k1 = double(subkey)
        self._k2 = double(self._k1)
        self._k1_array = np.frombuffer(self._k1, dtype=np.uint8)
        self._k2_array = np.frombuffer(self._k2, dtype=np.uint8)

    @classmethod
    def for_sm4_data_key(cls, data_key: bytes) -> Siv:
        """SM4-SIV with keys derived from a 16-byte data key (:func:`derive_sm4_keys`)."""
        mac_key, ctr_key = derive_sm4_keys(data_key)
        return cls(ecb_function(algorithms.SM4(mac_key)), ecb_function(algorithms.SM4(ctr_key)))

    @classmethod
    def for_aes_key(cls, key: bytes) -> Siv:
        """AES-SIV as RFC 5297 defines it: the first half of ``key`` for S2V, the second for CTR.

        ``key`` is 32, 48 or 64 bytes (AES-SIV-CMAC-256, -384, -512).
        """
        if len(key) not in (32, 48, 64):
            raise InvalidKeyMaterial("AES-SIV 密钥必须为 32、48 或 64 字节")
        half = len(key) // 2
        return cls(
            ecb_function(algorithms.AES(key[:half])), ecb_function(algorithms.AES(key[half:]))
        )

    # -- one value at a time (the reference) ---------------------------------------------

    def cmac(self, message: bytes) -> bytes:
        """CMAC (RFC 4493) of ``message`` under the S2V key, one block cipher call per block."""
        blocks = max(1, -(-len(message) // BLOCK))
        last = message[(blocks - 1) * BLOCK :]
        complete = len(last) == BLOCK
        last = _xor(last, self._k1) if complete else _xor(_padded(last), self._k2)
        state = _ZERO_BLOCK
        for index in range(blocks - 1):
            block = message[index * BLOCK : (index + 1) * BLOCK]
            state = self._mac(_xor(state, block))
        return self._mac(_xor(state, last))

    def prefix(self, associated: Sequence[bytes]) -> S2vPrefix:
        """S2V over the associated data strings (RFC 5297 §2.4, all but the last string)."""
        if len(associated) > MAX_ASSOCIATED:
            raise ValueError(f"SIV 的关联数据最多 {MAX_ASSOCIATED} 项")
        state = self.cmac(_ZERO_BLOCK)
        for string in associated:
            state = _xor(double(state), self.cmac(bytes(string)))
        return S2vPrefix(state, double(state))

    def s2v(self, prefix: S2vPrefix, plaintext: bytes) -> bytes:
        """The synthetic IV of ``plaintext``: S2V's last step after ``prefix``."""
        if len(plaintext) >= BLOCK:
            cut = len(plaintext) - BLOCK
            final = plaintext[:cut] + _xor(plaintext[cut:], prefix.state)
        else:
            final = _xor(prefix.doubled, _padded(plaintext))
        return self.cmac(final)

    def _key_stream(self, synthetic_iv: bytes, length: int) -> bytes:
        counter = int.from_bytes(synthetic_iv, "big") & _COUNTER_MASK_INT
        blocks = b"".join(
            ((counter + index) & _MASK_128).to_bytes(BLOCK, "big")
            for index in range(-(-length // BLOCK))
        )
        return self._ctr(blocks)[:length] if blocks else b""

    def encrypt(self, plaintext: bytes, associated: Sequence[bytes] = ()) -> bytes:
        """``V || C`` for one value (the per-value reference path)."""
        return self.seal(self.prefix(associated), plaintext)

    def seal(self, prefix: S2vPrefix, plaintext: bytes) -> bytes:
        """``V || C`` for one value after an already computed :meth:`prefix`."""
        synthetic_iv = self.s2v(prefix, plaintext)
        return synthetic_iv + _xor(plaintext, self._key_stream(synthetic_iv, len(plaintext)))

    def decrypt(self, sealed: bytes, associated: Sequence[bytes] = ()) -> bytes:
        """The plaintext of :meth:`encrypt`'s output; DecryptionFailed if anything changed."""
        if len(sealed) < BLOCK:
            raise DecryptionFailed("密文过短，不是有效的 SIV 密文")
        synthetic_iv, body = sealed[:BLOCK], sealed[BLOCK:]
        plaintext = _xor(body, self._key_stream(synthetic_iv, len(body)))
        if not stdlib_hmac.compare_digest(
            self.s2v(self.prefix(associated), plaintext), synthetic_iv
        ):
            raise DecryptionFailed()
        return plaintext

    # -- many values at once ------------------------------------------------------------

    def encrypt_groups(
        self, prefix: S2vPrefix, groups: Sequence[Bytes]
    ) -> list[tuple[Bytes, Bytes]]:
        """``(V, C)`` for each matrix of plaintexts (one value per row, all of one length).

        ``V`` is ``(rows, 16)``, ``C`` has the shape of the plaintexts.
        """
        matrices: list[tuple[Array, ...]] = [(_matrix(group),) for group in groups]

        def work(part: list[tuple[Array, ...]]) -> list[tuple[Array, ...]]:
            plaintexts = [matrix for (matrix,) in part]
            synthetic_ivs = self._s2v_groups(prefix, plaintexts)
            streams = self._key_streams(synthetic_ivs, [matrix.shape[1] for matrix in plaintexts])
            return [
                (synthetic_iv, np.bitwise_xor(matrix, stream))
                for synthetic_iv, matrix, stream in zip(
                    synthetic_ivs, plaintexts, streams, strict=True
                )
            ]

        return [(result[0], result[1]) for result in self._split(work, matrices)]

    def decrypt_groups(
        self, prefix: S2vPrefix, groups: Sequence[tuple[Bytes, Bytes]]
    ) -> list[tuple[Bytes, NDArray[np.bool_]]]:
        """``(plaintexts, failed)`` for each ``(V, C)`` pair of matrices.

        ``failed`` marks the rows whose recomputed synthetic IV differs from
        ``V``: those rows' plaintexts must not be used. Every row is checked in
        full (an OR over all byte differences), with no early exit.
        """
        synthetic_ivs = [_matrix(synthetic_iv) for synthetic_iv, _ in groups]
        bodies = [_matrix(body) for _, body in groups]
        for synthetic_iv, body in zip(synthetic_ivs, bodies, strict=True):
            if synthetic_iv.shape != (body.shape[0], BLOCK):
                raise ValueError("V must have one 16-byte row per ciphertext")

        def work(part: list[tuple[Array, ...]]) -> list[tuple[Array, ...]]:
            synthetic_ivs = [synthetic_iv for synthetic_iv, _ in part]
            bodies = [body for _, body in part]
            streams = self._key_streams(synthetic_ivs, [body.shape[1] for body in bodies])
            plaintexts = [
                np.bitwise_xor(body, stream) for body, stream in zip(bodies, streams, strict=True)
            ]
            expected = self._s2v_groups(prefix, plaintexts)
            results: list[tuple[Array, ...]] = []
            for plaintext, synthetic_iv, recomputed in zip(
                plaintexts, synthetic_ivs, expected, strict=True
            ):
                difference = np.bitwise_xor(synthetic_iv, recomputed)
                results.append((plaintext, np.bitwise_or.reduce(difference, axis=1) != 0))
            return results

        pairs: list[tuple[Array, ...]] = list(zip(synthetic_ivs, bodies, strict=True))
        return [(result[0], result[1]) for result in self._split(work, pairs)]

    def _split(
        self,
        work: Callable[[list[tuple[Array, ...]]], list[tuple[Array, ...]]],
        groups: list[tuple[Array, ...]],
    ) -> list[tuple[Array, ...]]:
        """``work(groups)``, run on row ranges of the groups at once and joined back in order."""
        total = sum(group[0].shape[0] for group in groups)
        parts = max(1, min(self._threads, total // self._rows_per_thread))
        if parts == 1:
            return work(groups)
        pieces = []
        for part in range(parts):
            piece = []
            for group in groups:
                rows = group[0].shape[0]
                start, end = rows * part // parts, rows * (part + 1) // parts
                piece.append(tuple(array[start:end] for array in group))
            pieces.append(piece)
        pool = _pool()
        futures = [pool.submit(work, piece) for piece in pieces[1:]]
        results = [work(pieces[0]), *(future.result() for future in futures)]
        return [
            tuple(
                np.concatenate([result[index][column] for result in results])
                for column in range(len(results[0][index]))
            )
            for index in range(len(groups))
        ]

    def encrypt_many(
        self, values: Sequence[bytes], associated: Sequence[bytes] = ()
    ) -> list[bytes]:
        """``V || C`` for each value, through the vectorised path (values grouped by length)."""
        groups = _by_length(values)
        sealed = self.encrypt_groups(
            self.prefix(associated),
            [
                np.frombuffer(b"".join(values[i] for i in rows), np.uint8).reshape(len(rows), -1)
                if length
                else np.empty((len(rows), 0), np.uint8)
                for length, rows in groups
            ],
        )
        out: list[bytes] = [b""] * len(values)
        for (_, rows), (synthetic_ivs, bodies) in zip(groups, sealed, strict=True):
            joined = np.concatenate([synthetic_ivs, bodies], axis=1)
            for position, row in enumerate(rows):
                out[row] = joined[position].tobytes()
        return out

    def decrypt_many(
        self, sealed: Sequence[bytes], associated: Sequence[bytes] = ()
    ) -> list[bytes]:
        """The plaintexts of :meth:`encrypt_many`'s output.

        DecryptionFailed names the first value that fails.
        """
        short = [index for index, value in enumerate(sealed) if len(value) < BLOCK]
        if short:
            raise DecryptionFailed(f"第 {short[0]} 项密文过短", fields={"row": str(short[0])})
        groups = _by_length(sealed)
        pairs: list[tuple[Bytes, Bytes]] = []
        for _, rows in groups:
            matrix = np.frombuffer(b"".join(sealed[i] for i in rows), np.uint8)
            matrix = matrix.reshape(len(rows), -1)
            pairs.append((matrix[:, :BLOCK], matrix[:, BLOCK:]))
        opened = self.decrypt_groups(self.prefix(associated), pairs)
        failed = [
            rows[int(position)]
            for (_, rows), (_, bad) in zip(groups, opened, strict=True)
            for position in np.flatnonzero(bad)[:1]
        ]
        if failed:
            row = min(failed)
            raise DecryptionFailed(f"第 {row} 项认证失败", fields={"row": str(row)})
        out: list[bytes] = [b""] * len(sealed)
        for (_, rows), (plaintexts, _) in zip(groups, opened, strict=True):
            for position, row in enumerate(rows):
                out[row] = plaintexts[position].tobytes()
        return out

    # -- the vectorised pieces ----------------------------------------------------------

    def _cmac_blocks(self, prefix: S2vPrefix, plaintexts: Bytes) -> Bytes:
        """The blocks CMAC runs over for S2V's last string, ``(rows, blocks, 16)``.

        Everything that is the same for every row (``D`` or ``dbl(D)``, the
        padding, K1 or K2) is one constant row, applied with one XOR.
        """
        rows, length = plaintexts.shape
        if length < BLOCK:
            # T = dbl(D) xor pad(Sn): one complete block, so K1 too.
            constant = _xor(_padded(bytes(length)), _xor(prefix.doubled, self._k1))
        else:
            # T = Sn xorend D, then CMAC's own padding and K1 or K2 on the last block.
            size = -(-length // BLOCK) * BLOCK
            complete = length == size
            tail = bytes(length - BLOCK) + prefix.state
            tail = tail if complete else _padded_to(tail, size)
            last_key = bytes(size - BLOCK) + (self._k1 if complete else self._k2)
            constant = _xor(tail, last_key)
        padded = np.empty((rows, len(constant)), dtype=np.uint8)
        padded[:, :length] = plaintexts
        padded[:, length:] = 0
        np.bitwise_xor(padded, np.frombuffer(constant, dtype=np.uint8), out=padded)
        return padded.reshape(rows, len(constant) // BLOCK, BLOCK)

    def _s2v_groups(self, prefix: S2vPrefix, groups: Sequence[Bytes]) -> list[Bytes]:
        """The synthetic IV of every row of every group, ``(rows, 16)`` per group.

        CMAC is CBC-MAC over the prepared blocks: the groups are ordered by
        their number of blocks (most first), so the values that have a block
        at position ``j`` are a prefix of the running state, and each position
        is one ECB call over all of them.
        """
        prepared = [self._cmac_blocks(prefix, group) for group in groups]
        order = sorted(range(len(prepared)), key=lambda index: -prepared[index].shape[1])
        starts: dict[int, int] = {}
        total = 0
        for index in order:
            starts[index] = total
            total += prepared[index].shape[0]
        state = np.zeros((total, BLOCK), dtype=np.uint8)
        position = 0
        while total:
            active = [index for index in order if prepared[index].shape[1] > position]
            if not active:
                break
            blocks = [prepared[index][:, position, :] for index in active]
            count = sum(block.shape[0] for block in blocks)
            chained = np.bitwise_xor(
                blocks[0] if len(blocks) == 1 else np.concatenate(blocks), state[:count]
            )
            state[:count] = np.frombuffer(self._mac(chained), dtype=np.uint8).reshape(count, BLOCK)
            position += 1
        return [
            state[starts[index] : starts[index] + prepared[index].shape[0]]
            for index in range(len(prepared))
        ]

    def _key_streams(self, synthetic_ivs: Sequence[Bytes], lengths: Sequence[int]) -> list[Bytes]:
        """CTR key streams, ``(rows, length)`` per group, from one ECB call over every counter."""
        counters = [
            counter_blocks(np.bitwise_and(synthetic_iv, _COUNTER_MASK), -(-length // BLOCK))
            for synthetic_iv, length in zip(synthetic_ivs, lengths, strict=True)
        ]
        joined = (
            counters[0]
            if len(counters) == 1
            else np.concatenate([counter.reshape(-1) for counter in counters])
            if counters
            else np.empty(0, dtype=np.uint8)
        )
        stream = np.frombuffer(self._ctr(joined) if joined.size else b"", dtype=np.uint8)
        streams: list[Bytes] = []
        offset = 0
        for counter, length in zip(counters, lengths, strict=True):
            rows = counter.shape[0]
            chunk = stream[offset : offset + counter.size].reshape(rows, counter.shape[1])
            streams.append(chunk[:, :length])
            offset += counter.size
        return streams


def counter_blocks(start: Bytes, blocks: int) -> Bytes:
    """CTR's counter blocks ``Q + 0, Q + 1, ...``, ``(rows, blocks * 16)`` for ``Q`` ``(rows, 16)``.

    Big-endian 128-bit addition modulo 2^128, on two 64-bit halves with the carry.
    """
    rows = start.shape[0]
    halves = np.ascontiguousarray(start).view(np.uint64)  # (rows, 2): high, low (big-endian)
    counters = np.repeat(halves, blocks, axis=0).reshape(rows, blocks, 2)
    first_low = _from_big_endian(halves[:, 1])
    low = np.add.outer(first_low, np.arange(blocks, dtype=np.uint64))
    carried = np.less(low, first_low[:, None])
    counters[:, :, 1] = _to_big_endian(low)
    if carried.any():
        high = _from_big_endian(np.ascontiguousarray(counters[:, :, 0]))
        counters[:, :, 0] = _to_big_endian(high + carried.astype(np.uint64))
    return counters.view(np.uint8).reshape(rows, blocks * BLOCK)


def _from_big_endian(words: NDArray[np.uint64]) -> NDArray[np.uint64]:
    """Big-endian 64-bit words (read as native ones) as their numbers."""
    return words.byteswap() if _LITTLE_ENDIAN else words.copy()


def _to_big_endian(numbers: NDArray[np.uint64]) -> NDArray[np.uint64]:
    """Numbers as big-endian 64-bit words, in place."""
    return numbers.byteswap(inplace=True) if _LITTLE_ENDIAN else numbers


def _matrix(values: Bytes) -> Bytes:
    if values.ndim != 2 or values.dtype != np.uint8:
        raise ValueError("expected a 2-dimensional uint8 array")
    return values


def _by_length(values: Sequence[bytes]) -> list[tuple[int, list[int]]]:
    groups: dict[int, list[int]] = {}
    for index, value in enumerate(values):
        groups.setdefault(len(value), []).append(index)
    return sorted(groups.items())
