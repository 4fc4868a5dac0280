"""The shape of the ledger's Merkle tree (RFC 9162 §2.1) and how it is stored.

A tree of ``n`` leaves splits at ``k``, the largest power of two smaller than
``n``: the left subtree holds leaves ``[0, k)`` and is complete, the right one
holds ``[k, n)`` and is split the same way. Every range that appears in that
recursion starts at a multiple of the largest power of two not above its
size, so it is a run of *complete aligned subtrees*, one per set bit of its
size, largest first. Those are the only hashes ever stored.

A complete subtree is named ``(level, index)``: the ``2**level`` leaves from
``index * 2**level``. Interior ones (``level >= 1``) are stored under their
*post-order position*, the order in which appends create them::

    i = (index + 1) * 2**level - 1          # the last leaf under the node
    position(level, index) = 2*i - popcount(i) + level

so appending only ever adds rows at the end of the table (leaf ``i`` itself
would sit at ``2*i - popcount(i)``; leaves live in their own table).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from govdata.ledger.hashing import empty_root, node_hash

NodeId = tuple[int, int]
"""``(level, index)`` of a complete aligned subtree; level 0 is a leaf."""

OnNode = Callable[[int, int, bytes], None]
"""Called with ``(level, index, hash)`` for each interior node a builder forms."""


def split_point(size: int) -> int:
    """The largest power of two strictly smaller than ``size`` (``size >= 2``)."""
    return 1 << ((size - 1).bit_length() - 1)


def leaf_position(index: int) -> int:
    return 2 * index - index.bit_count()


def node_position(level: int, index: int) -> int:
    last_leaf = ((index + 1) << level) - 1
    return leaf_position(last_leaf) + level


def range_nodes(start: int, end: int) -> list[NodeId]:
    """The complete aligned subtrees that make up the tree range ``[start, end)``."""
    nodes: list[NodeId] = []
    at = start
    remaining = end - start
    while remaining:
        level = remaining.bit_length() - 1
        if at & ((1 << level) - 1):
            raise ValueError(f"[{start}, {end}) is not a range of the tree")
        nodes.append((level, at >> level))
        at += 1 << level
        remaining -= 1 << level
    return nodes


def fold(hashes: Sequence[bytes]) -> bytes:
    """The hash of a range from its complete subtrees' hashes, left to right.

    ``fold([a, b, c]) = node_hash(a, node_hash(b, c))``: the right edge of an
    RFC 9162 tree nests to the right.
    """
    if not hashes:
        return empty_root()
    result = hashes[-1]
    for left in reversed(hashes[:-1]):
        result = node_hash(left, result)
    return result


def nodes_formed_by(leaf_index: int) -> list[NodeId]:
    """The interior nodes that become complete when leaf ``leaf_index`` is appended."""
    size = leaf_index + 1
    return [(level, (size >> level) - 1) for level in range(1, _trailing_zeros(size) + 1)]


def _trailing_zeros(value: int) -> int:
    return (value & -value).bit_length() - 1


class TreeBuilder:
    """Grows a tree leaf by leaf holding only its right edge (one hash per set bit).

    Start it empty, or at ``size`` with the hashes of ``range_nodes(0, size)``.
    """

    __slots__ = ("_edge", "size")

    def __init__(self, size: int = 0, edge: Sequence[bytes] = ()) -> None:
        if len(edge) != size.bit_count():
            raise ValueError("the right edge needs one hash per set bit of the size")
        self.size = size
        self._edge = list(edge)

    def push(self, leaf: bytes, on_node: OnNode | None = None) -> None:
        edge = self._edge
        index = self.size
        merged = leaf
        level = 0
        while index >> level & 1:
            merged = node_hash(edge.pop(), merged)
            level += 1
            if on_node is not None:
                on_node(level, (index >> level), merged)
        edge.append(merged)
        self.size = index + 1

    def root(self) -> bytes:
        return fold(self._edge)

    def edge(self) -> list[bytes]:
        return list(self._edge)
