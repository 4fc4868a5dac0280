"""Specification of the tree, the proofs and their verifiers (RFC 9162 §2.1, SM3)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from govdata.ledger.hashing import empty_root, leaf_hash, node_hash
from govdata.ledger.proofs import (
    assemble,
    consistency_ranges,
    inclusion_ranges,
    nodes_of,
    root_from_inclusion,
    verify_consistency,
    verify_inclusion,
)
from govdata.ledger.tree import (
    NodeId,
    TreeBuilder,
    leaf_position,
    node_position,
    nodes_formed_by,
    range_nodes,
)
from tests.ledger.reference import mth, path, proof, reference_leaf, sm3


def leaves(size: int, salt: str = "") -> list[bytes]:
    return [reference_leaf(f"{salt}entry {i}".encode()) for i in range(size)]


def stored(hashes: list[bytes], wanted: set[NodeId]) -> dict[NodeId, bytes]:
    """What the store would hold for each complete subtree, computed the naive way."""
    return {
        (level, index): mth(hashes[index << level : (index + 1) << level])
        for level, index in wanted
    }


def inclusion(hashes: list[bytes], index: int, size: int) -> list[bytes]:
    ranges = inclusion_ranges(index, size)
    return assemble(ranges, stored(hashes, nodes_of(ranges)))


def consistency(hashes: list[bytes], old: int, new: int) -> list[bytes]:
    ranges = consistency_ranges(old, new)
    return assemble(ranges, stored(hashes, nodes_of(ranges)))


def flipped(value: bytes) -> bytes:
    return bytes([value[0] ^ 1]) + value[1:]


# --- hashing -----------------------------------------------------------------------


def test_sm3_is_the_gbt_32905_function() -> None:
    # The "abc" example of GB/T 32905-2016, appendix A.1.
    assert sm3(b"abc").hex() == ("66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0")


def test_leaf_and_node_hashes_are_prefixed_sm3() -> None:
    assert leaf_hash(b"abc") == sm3(b"\x00abc")
    assert node_hash(b"L" * 32, b"R" * 32) == sm3(b"\x01" + b"L" * 32 + b"R" * 32)


def test_the_empty_tree_root_is_the_hash_of_nothing() -> None:
    assert empty_root() == sm3(b"") == TreeBuilder().root()


# --- tree shape and storage positions ----------------------------------------------


@given(st.integers(min_value=1, max_value=300))
def test_the_builder_root_matches_the_reference_at_every_size(size: int) -> None:
    hashes = leaves(size)
    builder = TreeBuilder()
    for value in hashes:
        builder.push(value)
    assert builder.root() == mth(hashes)


@given(st.integers(min_value=0, max_value=200), st.integers(min_value=0, max_value=60))
def test_a_builder_resumed_from_the_right_edge_continues_the_same_tree(
    size: int, more: int
) -> None:
    hashes = leaves(size + more)
    edge = stored(hashes, set(range_nodes(0, size)))
    builder = TreeBuilder(size, [edge[node] for node in range_nodes(0, size)])
    for value in hashes[size:]:
        builder.push(value)
    assert builder.root() == mth(hashes)


def test_post_order_positions_number_leaves_and_nodes_in_creation_order() -> None:
    created = []
    for index in range(1000):
        created.append(leaf_position(index))
        created.extend(node_position(level, node) for level, node in nodes_formed_by(index))
    assert created == list(range(len(created)))


def test_the_builder_reports_each_interior_node_once_when_it_becomes_complete() -> None:
    hashes = leaves(37)
    formed: list[tuple[int, int, bytes]] = []
    builder = TreeBuilder()
    for value in hashes:
        builder.push(value, lambda level, index, h: formed.append((level, index, h)))
    expected = [node for index in range(37) for node in nodes_formed_by(index)]
    assert [(level, index) for level, index, _ in formed] == expected
    assert all(h == stored(hashes, {(lv, ix)})[(lv, ix)] for lv, ix, h in formed)


def test_a_range_that_is_not_part_of_the_tree_is_refused() -> None:
    with pytest.raises(ValueError, match="not a range"):
        range_nodes(1, 3)


# --- proofs against the naive reference --------------------------------------------


@pytest.mark.parametrize("size", [*range(1, 34), 63, 64, 65, 127, 128, 129, 1000])
def test_every_inclusion_proof_equals_the_reference_and_verifies(size: int) -> None:
    hashes = leaves(size)
    root = mth(hashes)
    for index in range(size):
        audit_path = inclusion(hashes, index, size)
        assert audit_path == path(index, hashes)
        assert verify_inclusion(hashes[index], index, size, audit_path, root)


@pytest.mark.parametrize("new", [*range(1, 34), 64, 65, 100])
def test_every_consistency_proof_equals_the_reference_and_verifies(new: int) -> None:
    hashes = leaves(new)
    for old in range(1, new + 1):
        consistency_path = consistency(hashes, old, new)
        assert consistency_path == proof(old, hashes)
        assert verify_consistency(old, mth(hashes[:old]), new, mth(hashes), consistency_path)


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_proofs_at_random_sizes_match_the_reference(data: st.DataObject) -> None:
    size = data.draw(st.integers(min_value=1, max_value=5000), label="size")
    index = data.draw(st.integers(min_value=0, max_value=size - 1), label="index")
    old = data.draw(st.integers(min_value=1, max_value=size), label="old")
    hashes = leaves(size)
    root = mth(hashes)

    audit_path = inclusion(hashes, index, size)
    consistency_path = consistency(hashes, old, size)

    assert audit_path == path(index, hashes)
    assert verify_inclusion(hashes[index], index, size, audit_path, root)
    assert consistency_path == proof(old, hashes)
    assert verify_consistency(old, mth(hashes[:old]), size, root, consistency_path)


# --- forged inclusion proofs -------------------------------------------------------

SIZE = 21
HASHES = leaves(SIZE)
ROOT = mth(HASHES)


@pytest.mark.parametrize("index", [0, 6, 15, 16, 20])
def test_an_inclusion_proof_with_any_hash_altered_is_rejected(index: int) -> None:
    audit_path = inclusion(HASHES, index, SIZE)
    for position in range(len(audit_path)):
        forged = [*audit_path]
        forged[position] = flipped(forged[position])
        assert not verify_inclusion(HASHES[index], index, SIZE, forged, ROOT)


def test_an_inclusion_proof_for_another_leaf_is_rejected() -> None:
    audit_path = inclusion(HASHES, 6, SIZE)
    assert not verify_inclusion(HASHES[7], 6, SIZE, audit_path, ROOT)
    assert not verify_inclusion(reference_leaf(b"forged"), 6, SIZE, audit_path, ROOT)


def test_an_inclusion_proof_moved_to_another_index_is_rejected() -> None:
    audit_path = inclusion(HASHES, 6, SIZE)
    for index in (5, 7, 14):
        assert not verify_inclusion(HASHES[6], index, SIZE, audit_path, ROOT)


def test_an_inclusion_proof_claimed_for_a_tree_of_another_shape_is_rejected() -> None:
    audit_path = inclusion(HASHES, 6, SIZE)
    for size in (7, 8, 16, 33, 64):
        assert not verify_inclusion(HASHES[6], 6, size, audit_path, ROOT)


def test_an_inclusion_proof_verifies_only_against_the_root_of_its_own_tree() -> None:
    # Sizes 17 to 32 give the same path shape for leaf 6; the signed checkpoint
    # is what binds a size to its root, and a smaller tree has another root.
    audit_path = inclusion(HASHES, 6, SIZE)
    assert not verify_inclusion(HASHES[6], 6, SIZE - 1, audit_path, mth(HASHES[: SIZE - 1]))


def test_an_inclusion_proof_with_hashes_added_or_removed_is_rejected() -> None:
    audit_path = inclusion(HASHES, 6, SIZE)
    assert not verify_inclusion(HASHES[6], 6, SIZE, audit_path[:-1], ROOT)
    assert not verify_inclusion(HASHES[6], 6, SIZE, [*audit_path, ROOT], ROOT)
    assert not verify_inclusion(HASHES[6], 6, SIZE, [], ROOT)


def test_an_inclusion_proof_against_another_root_is_rejected() -> None:
    audit_path = inclusion(HASHES, 6, SIZE)
    assert not verify_inclusion(HASHES[6], 6, SIZE, audit_path, mth(leaves(SIZE, "other")))


def test_an_index_outside_the_tree_has_no_proof() -> None:
    assert root_from_inclusion(HASHES[0], SIZE, SIZE, []) is None
    assert root_from_inclusion(HASHES[0], -1, SIZE, []) is None
    with pytest.raises(ValueError, match="outside"):
        inclusion_ranges(SIZE, SIZE)


def test_a_single_leaf_tree_is_its_own_proof() -> None:
    assert verify_inclusion(HASHES[0], 0, 1, [], HASHES[0])


# --- forged consistency proofs: rewritten or rolled-back logs ----------------------


def test_a_consistency_proof_with_any_hash_altered_is_rejected() -> None:
    consistency_path = consistency(HASHES, 7, SIZE)
    for position in range(len(consistency_path)):
        forged = [*consistency_path]
        forged[position] = flipped(forged[position])
        assert not verify_consistency(7, mth(HASHES[:7]), SIZE, ROOT, forged)


def test_a_log_rewritten_after_an_old_checkpoint_is_not_consistent_with_it() -> None:
    rewritten = [*HASHES[:10], *leaves(SIZE - 10, "rewritten")]
    for old in (11, 12, 16):
        honest_old_root = mth(HASHES[:old])
        forged = consistency(rewritten, old, SIZE)
        assert not verify_consistency(old, honest_old_root, SIZE, mth(rewritten), forged)


def test_a_consistency_proof_needs_the_sizes_it_was_made_for() -> None:
    consistency_path = consistency(HASHES, 7, SIZE)
    old_root = mth(HASHES[:7])
    assert not verify_consistency(6, old_root, SIZE, ROOT, consistency_path)
    assert not verify_consistency(7, old_root, 16, ROOT, consistency_path)
    assert not verify_consistency(7, old_root, SIZE - 1, mth(HASHES[:-1]), consistency_path)
    assert not verify_consistency(SIZE, ROOT, 7, old_root, consistency_path)
    assert not verify_consistency(0, old_root, SIZE, ROOT, consistency_path)


def test_equal_sizes_are_consistent_only_with_an_empty_proof_and_the_same_root() -> None:
    assert verify_consistency(SIZE, ROOT, SIZE, ROOT, [])
    assert not verify_consistency(SIZE, ROOT, SIZE, mth(leaves(SIZE, "x")), [])
    assert not verify_consistency(SIZE, ROOT, SIZE, ROOT, [ROOT])


def test_an_empty_consistency_proof_between_different_sizes_is_rejected() -> None:
    assert not verify_consistency(8, mth(HASHES[:8]), SIZE, ROOT, [])


def test_consistency_proofs_are_only_defined_from_a_non_empty_tree() -> None:
    with pytest.raises(ValueError, match="consistency"):
        consistency_ranges(0, 5)
