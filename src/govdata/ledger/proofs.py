"""Inclusion and consistency proofs (RFC 9162 §2.1.3 and §2.1.4).

Generating a proof is planning which tree ranges it consists of (pure
arithmetic on sizes, below) and then folding the stored hashes of each
range's complete subtrees (:func:`assemble`). Verifying needs only the proof,
the sizes and the hashes it is checked against.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from govdata.ledger.hashing import node_hash
from govdata.ledger.tree import NodeId, fold, range_nodes, split_point

Range = tuple[int, int]


def inclusion_ranges(index: int, size: int) -> list[Range]:
    """The ranges whose hashes make the inclusion proof of leaf ``index``, leaf upwards."""
    if not 0 <= index < size:
        raise ValueError("leaf index outside the tree")
    ranges: list[Range] = []
    start, end = 0, size
    while end - start > 1:
        middle = start + split_point(end - start)
        if index < middle:
            ranges.append((middle, end))
            end = middle
        else:
            ranges.append((start, middle))
            start = middle
    ranges.reverse()
    return ranges


def consistency_ranges(old_size: int, new_size: int) -> list[Range]:
    """The ranges whose hashes make the consistency proof from ``old_size`` to ``new_size``."""
    if not 0 < old_size <= new_size:
        raise ValueError("consistency needs 0 < old size <= new size")
    ranges: list[Range] = []
    start, end = 0, new_size
    # Whether [start, end) is still a subtree the old tree's root is made of
    # (RFC 9162's "b"): then the verifier knows its hash already.
    old_root_here = True
    while old_size - start != end - start:
        middle = start + split_point(end - start)
        if old_size <= middle:
            ranges.append((middle, end))
            end = middle
        else:
            ranges.append((start, middle))
            start = middle
            old_root_here = False
    if not old_root_here:
        ranges.append((start, end))
    ranges.reverse()
    return ranges


def nodes_of(ranges: Iterable[Range]) -> set[NodeId]:
    """Every stored hash the ranges need."""
    return {node for start, end in ranges for node in range_nodes(start, end)}


def assemble(ranges: Sequence[Range], hashes: Mapping[NodeId, bytes]) -> list[bytes]:
    return [fold([hashes[node] for node in range_nodes(start, end)]) for start, end in ranges]


def _shift_while_even(first: int, second: int) -> tuple[int, int]:
    while first and not first & 1:
        first >>= 1
        second >>= 1
    return first, second


def root_from_inclusion(leaf: bytes, index: int, size: int, path: Sequence[bytes]) -> bytes | None:
    """The root ``path`` leads to from ``leaf`` at ``index``, or None if it cannot be a path
    of a tree of ``size`` leaves (RFC 9162 §2.1.3.2)."""
    if not 0 <= index < size:
        return None
    position, last = index, size - 1
    result = leaf
    for sibling in path:
        if last == 0:
            return None
        if position & 1 or position == last:
            result = node_hash(sibling, result)
            if not position & 1:
                position, last = _shift_while_even(position, last)
        else:
            result = node_hash(result, sibling)
        position >>= 1
        last >>= 1
    return result if last == 0 else None


def verify_inclusion(
    leaf: bytes, index: int, size: int, path: Sequence[bytes], root: bytes
) -> bool:
    """Whether ``path`` proves that ``leaf`` is entry ``index`` of the tree ``(size, root)``."""
    return root_from_inclusion(leaf, index, size, path) == root


def verify_consistency(
    old_size: int, old_root: bytes, new_size: int, new_root: bytes, path: Sequence[bytes]
) -> bool:
    """Whether ``path`` proves that tree ``(old_size, old_root)`` is a prefix of
    ``(new_size, new_root)`` (RFC 9162 §2.1.4.2)."""
    if not 0 < old_size <= new_size:
        return False
    if old_size == new_size:
        return not path and old_root == new_root
    if not path:
        return False
    proof = list(path)
    if old_size & (old_size - 1) == 0:  # the old tree is one complete subtree
        proof.insert(0, old_root)
    position, last = old_size - 1, new_size - 1
    while position & 1:
        position >>= 1
        last >>= 1
    old_result = new_result = proof[0]
    for sibling in proof[1:]:
        if last == 0:
            return False
        if position & 1 or position == last:
            old_result = node_hash(sibling, old_result)
            new_result = node_hash(sibling, new_result)
            if not position & 1:
                position, last = _shift_while_even(position, last)
        else:
            new_result = node_hash(new_result, sibling)
        position >>= 1
        last >>= 1
    return last == 0 and old_result == old_root and new_result == new_root
