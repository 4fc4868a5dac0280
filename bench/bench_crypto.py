"""What the national algorithms cost next to their international counterparts.

In one run, on the same data: SM4-GCM against AES-256-GCM on one large
buffer and as field-level encryption of a column (one AEAD operation per
value, the same 33-byte layout); SM2 against Ed25519 signatures; SM3
against SHA-256. Ratios are national / international time (above 1 means
the national algorithm is slower). Medians of ``--repeats`` timed runs.

The same column is also encrypted and decrypted deterministically (SM4-SIV,
format 2, vectorised over whole chunks); its line gives the speed-up over the
per-value SM4-GCM line (SM4-GCM time / SM4-SIV time).

    .venv/bin/python -m bench.bench_crypto --megabytes 64 --rows 1000000
"""

from __future__ import annotations

import argparse
import os
import statistics
import struct
import time
from collections.abc import Callable

import pyarrow as pa
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from govdata.crypto.datakeys import DataKeySet
from govdata.crypto.fields import associated_data, decrypt_column, encrypt_column
from govdata.crypto.libcrypto import version_text
from govdata.crypto.primitives import Sm4Gcm
from govdata.crypto.sm2 import Sm2PrivateKey


def median_seconds(repeats: int, *works: Callable[[], object]) -> list[float]:
    """Median wall time of each of ``works``, timed in alternation (one run of each
    per round, ``repeats`` rounds) after one untimed round, so that other load on
    the machine touches the national and the international side alike."""
    samples: list[list[float]] = [[] for _ in works]
    for round_number in range(repeats + 1):
        for index, work in enumerate(works):
            started = time.perf_counter()
            work()
            if round_number:
                samples[index].append(time.perf_counter() - started)
    return [statistics.median(runs) for runs in samples]


def id_numbers(rows: int) -> pa.Array:
    """Synthetic 18-character resident ID numbers, one in fifty missing."""
    return pa.array(
        [
            None if i % 50 == 0 else f"150102{19500101 + i % 500000:08d}{i % 10000:04d}"
            for i in range(rows)
        ],
        pa.string(),
    )


def aes_field_encrypt(values: pa.Array, key: bytes, associated: bytes) -> pa.Array:
    """The baseline: the same per-value layout with AES-256-GCM (AESGCM one-shot)."""
    aead = AESGCM(key)
    header = struct.pack(">BI", 1, 1)
    bound = associated + header
    sealed: list[bytes | None] = []
    for value in values.to_pylist():
        if value is None:
            sealed.append(None)
            continue
        nonce = os.urandom(12)
        sealed.append(header + nonce + aead.encrypt(nonce, value.encode(), bound))
    return pa.array(sealed, pa.binary())


def bulk(megabytes: int, repeats: int) -> dict[str, float]:
    data = os.urandom(megabytes * 1024 * 1024)
    nonce = os.urandom(12)
    sm4, aes = Sm4Gcm(Sm4Gcm.generate_key()), AESGCM(AESGCM.generate_key(256))
    sm4_s, aes_s = median_seconds(
        repeats,
        lambda: sm4.encrypt(nonce, data, b"bench"),
        lambda: aes.encrypt(nonce, data, b"bench"),
    )
    size = len(data) / 1e6
    return {
        "sm4_gcm_mb_s": size / sm4_s,
        "aes256_gcm_mb_s": size / aes_s,
        "bulk_ratio": sm4_s / aes_s,
    }


def fields(rows: int, repeats: int) -> dict[str, float]:
    values = id_numbers(rows)
    keys = DataKeySet("bench", 1, {1: Sm4Gcm.generate_key()})
    table, column = "population", "id_number"

    def encrypt(deterministic: bool) -> pa.Array:
        return encrypt_column(values, keys, table=table, column=column, deterministic=deterministic)

    def decrypt(sealed: pa.Array) -> pa.Array:
        return decrypt_column(sealed, keys, table=table, column=column)

    encrypted = encrypt(False)
    if not decrypt(encrypted).equals(values):
        raise RuntimeError("field encryption did not round-trip")
    deterministic = encrypt(True)
    if not decrypt(deterministic).equals(values):
        raise RuntimeError("deterministic field encryption did not round-trip")
    aes_key = AESGCM.generate_key(256)
    associated = associated_data(table, column)
    encrypt_s, aes_s, decrypt_s, siv_encrypt_s, siv_decrypt_s = median_seconds(
        repeats,
        lambda: encrypt(False),
        lambda: aes_field_encrypt(values, aes_key, associated),
        lambda: decrypt(encrypted),
        lambda: encrypt(True),
        lambda: decrypt(deterministic),
    )
    plain_mb = values.nbytes / 1e6
    return {
        "field_siv_encrypt_rows_s": rows / siv_encrypt_s,
        "field_siv_encrypt_mb_s": plain_mb / siv_encrypt_s,
        "field_siv_decrypt_rows_s": rows / siv_decrypt_s,
        "field_siv_decrypt_mb_s": plain_mb / siv_decrypt_s,
        "field_siv_encrypt_speedup": encrypt_s / siv_encrypt_s,
        "field_siv_decrypt_speedup": decrypt_s / siv_decrypt_s,
        "field_encrypt_rows_s": rows / encrypt_s,
        "field_encrypt_mb_s": plain_mb / encrypt_s,
        "field_decrypt_rows_s": rows / decrypt_s,
        "field_decrypt_mb_s": plain_mb / decrypt_s,
        "field_aes_rows_s": rows / aes_s,
        "field_ratio": encrypt_s / aes_s,
    }


def signatures(operations: int, repeats: int) -> dict[str, float]:
    message = "目录变更记录 · 150000 · 第 3 版".encode() * 4
    sm2 = Sm2PrivateKey.generate()
    sm2_public = sm2.public_key()
    sm2_signature = sm2.sign(message)
    ed = Ed25519PrivateKey.generate()
    ed_public = ed.public_key()
    ed_signature = ed.sign(message)

    def times(action: Callable[[], object]) -> Callable[[], None]:
        def run() -> None:
            for _ in range(operations):
                action()

        return run

    sm2_sign, ed_sign, sm2_verify, ed_verify = median_seconds(
        repeats,
        times(lambda: sm2.sign(message)),
        times(lambda: ed.sign(message)),
        times(lambda: sm2_public.verify(sm2_signature, message)),
        times(lambda: ed_public.verify(ed_signature, message)),
    )
    return {
        "sm2_sign_s": operations / sm2_sign,
        "ed25519_sign_s": operations / ed_sign,
        "sign_ratio": sm2_sign / ed_sign,
        "sm2_verify_s": operations / sm2_verify,
        "ed25519_verify_s": operations / ed_verify,
        "verify_ratio": sm2_verify / ed_verify,
    }


def digests(megabytes: int, repeats: int) -> dict[str, float]:
    data = os.urandom(megabytes * 1024 * 1024)

    def digest_with(algorithm: hashes.HashAlgorithm) -> Callable[[], bytes]:
        def run() -> bytes:
            digest = hashes.Hash(algorithm)
            digest.update(data)
            return digest.finalize()

        return run

    sm3_s, sha_s = median_seconds(repeats, digest_with(hashes.SM3()), digest_with(hashes.SHA256()))
    size = len(data) / 1e6
    return {"sm3_mb_s": size / sm3_s, "sha256_mb_s": size / sha_s, "digest_ratio": sm3_s / sha_s}


def main(argv: list[str] | None = None) -> dict[str, float]:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--megabytes", type=int, default=64, help="buffer size for bulk runs")
    parser.add_argument("--rows", type=int, default=1_000_000, help="rows in the column")
    parser.add_argument("--signatures", type=int, default=2000, help="signatures per timed run")
    parser.add_argument("--repeats", type=int, default=3, help="timed runs; the median counts")
    args = parser.parse_args(argv)
    results = {
        **bulk(args.megabytes, args.repeats),
        **fields(args.rows, args.repeats),
        **signatures(args.signatures, args.repeats),
        **digests(args.megabytes, args.repeats),
    }
    print(f"SM2 through {version_text()}")
    print(
        f"bulk AEAD   SM4-GCM {results['sm4_gcm_mb_s']:8.0f} MB/s   "
        f"AES-256-GCM {results['aes256_gcm_mb_s']:8.0f} MB/s   "
        f"ratio {results['bulk_ratio']:.1f}"
    )
    print(
        f"field enc   SM4-GCM {results['field_encrypt_rows_s']:8.0f} rows/s "
        f"({results['field_encrypt_mb_s']:.1f} MB/s)   "
        f"AES-256-GCM {results['field_aes_rows_s']:8.0f} rows/s   "
        f"ratio {results['field_ratio']:.2f}"
    )
    print(
        f"field dec   SM4-GCM {results['field_decrypt_rows_s']:8.0f} rows/s "
        f"({results['field_decrypt_mb_s']:.1f} MB/s)"
    )
    print(
        f"field enc   SM4-SIV {results['field_siv_encrypt_rows_s']:8.0f} rows/s "
        f"({results['field_siv_encrypt_mb_s']:.1f} MB/s)   "
        f"deterministic, {results['field_siv_encrypt_speedup']:.1f}x the SM4-GCM line"
    )
    print(
        f"field dec   SM4-SIV {results['field_siv_decrypt_rows_s']:8.0f} rows/s "
        f"({results['field_siv_decrypt_mb_s']:.1f} MB/s)   "
        f"deterministic, {results['field_siv_decrypt_speedup']:.1f}x the SM4-GCM line"
    )
    print(
        f"sign        SM2     {results['sm2_sign_s']:8.0f} /s     "
        f"Ed25519     {results['ed25519_sign_s']:8.0f} /s     ratio {results['sign_ratio']:.1f}"
    )
    print(
        f"verify      SM2     {results['sm2_verify_s']:8.0f} /s     "
        f"Ed25519     {results['ed25519_verify_s']:8.0f} /s     "
        f"ratio {results['verify_ratio']:.1f}"
    )
    print(
        f"digest      SM3     {results['sm3_mb_s']:8.0f} MB/s   "
        f"SHA-256     {results['sha256_mb_s']:8.0f} MB/s   ratio {results['digest_ratio']:.1f}"
    )
    return results


if __name__ == "__main__":
    main()
