"""A naive reference of RFC 9162's definitions, written straight from §2.1.

Every hash is recomputed from the leaves on every call, with a fresh SM3
object per hash rather than the ledger's own hashing module, so that the implementation
under test is checked against an independent one.
"""

from __future__ import annotations

from cryptography.hazmat.primitives import hashes


def sm3(data: bytes) -> bytes:
    digest = hashes.Hash(hashes.SM3())
    digest.update(data)
    return digest.finalize()


def reference_leaf(entry: bytes) -> bytes:
    return sm3(b"\x00" + entry)


def _largest_power_below(n: int) -> int:
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def mth(leaves: list[bytes]) -> bytes:
    """MTH(D[n]) over leaf hashes (the leaf hashing is done by the caller)."""
    if not leaves:
        return sm3(b"")
    if len(leaves) == 1:
        return leaves[0]
    k = _largest_power_below(len(leaves))
    return sm3(b"\x01" + mth(leaves[:k]) + mth(leaves[k:]))


def path(m: int, leaves: list[bytes]) -> list[bytes]:
    """PATH(m, D[n])."""
    if len(leaves) <= 1:
        return []
    k = _largest_power_below(len(leaves))
    if m < k:
        return [*path(m, leaves[:k]), mth(leaves[k:])]
    return [*path(m - k, leaves[k:]), mth(leaves[:k])]


def proof(m: int, leaves: list[bytes]) -> list[bytes]:
    """PROOF(m, D[n]) = SUBPROOF(m, D[n], true)."""
    return _subproof(m, leaves, complete=True)


def _subproof(m: int, leaves: list[bytes], *, complete: bool) -> list[bytes]:
    n = len(leaves)
    if m == n:
        return [] if complete else [mth(leaves)]
    k = _largest_power_below(n)
    if m <= k:
        return [*_subproof(m, leaves[:k], complete=complete), mth(leaves[k:])]
    return [*_subproof(m - k, leaves[k:], complete=False), mth(leaves[:k])]
