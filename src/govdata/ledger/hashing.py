"""The ledger's hash: SM3 (GB/T 32905), with RFC 9162's domain separation.

``leaf_hash(entry) = SM3(0x00 || entry)`` and
``node_hash(left, right) = SM3(0x01 || left || right)``. The prefix bytes keep
a leaf from ever being passed off as an interior node (second pre-image).

Creating a ``cryptography`` hash object costs more than hashing a short
message; the module keeps one context per prefix with the prefix already
absorbed and copies it for every hash (measured: about 1.1 µs per node hash
against 1.6–2.2 µs for a fresh object).
"""

from __future__ import annotations

from collections.abc import Iterable

from cryptography.hazmat.primitives import hashes

HASH_ALGORITHM = "sm3"
HASH_SIZE = 32

_leaf_context = hashes.Hash(hashes.SM3())
_leaf_context.update(b"\x00")
_node_context = hashes.Hash(hashes.SM3())
_node_context.update(b"\x01")


def leaf_hash(entry: bytes) -> bytes:
    context = _leaf_context.copy()
    context.update(entry)
    return context.finalize()


def leaf_hashes(entries: Iterable[bytes]) -> list[bytes]:
    """The leaf hashes of many entries (one bound method look-up for the batch)."""
    copy = _leaf_context.copy
    out = []
    for entry in entries:
        context = copy()
        context.update(entry)
        out.append(context.finalize())
    return out


def node_hash(left: bytes, right: bytes) -> bytes:
    context = _node_context.copy()
    context.update(left + right)
    return context.finalize()


def empty_root() -> bytes:
    """The root of the empty tree: the hash of no bytes at all (RFC 9162 §2.1.1)."""
    context = hashes.Hash(hashes.SM3())
    return context.finalize()
