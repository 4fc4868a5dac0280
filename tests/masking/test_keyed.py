"""HMAC-SM3 and the keyed permutation behind pseudonyms."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives import hashes
from hypothesis import given
from hypothesis import strategies as st

from govdata.masking.keyed import KeyedPermutation, KeyedPrf, keyed_hash

KEY = b"0123456789abcdef0123456789abcdef"


def sm3(data: bytes) -> bytes:
    digest = hashes.Hash(hashes.SM3())
    digest.update(data)
    return digest.finalize()


def test_sm3_is_the_hash_of_the_national_standard() -> None:
    # GB/T 32905-2016, example 1.
    expected = "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"
    assert sm3(b"abc").hex() == expected


def test_the_keyed_hash_is_hmac_over_sm3() -> None:
    # HMAC (RFC 2104) written out by hand over SM3's 64-byte block.
    block = KEY.ljust(64, b"\0")
    message = len(b"hash").to_bytes(4, "big") + b"hash" + len(b"x").to_bytes(4, "big") + b"x"
    inner = sm3(bytes(b ^ 0x36 for b in block) + message)
    expected = sm3(bytes(b ^ 0x5C for b in block) + inner).hex()
    assert keyed_hash(KeyedPrf(KEY), "x") == expected


def test_the_keyed_hash_can_be_shortened() -> None:
    assert keyed_hash(KeyedPrf(KEY), "x", 16) == keyed_hash(KeyedPrf(KEY), "x")[:16]


def test_a_short_key_is_refused() -> None:
    with pytest.raises(ValueError, match="至少应为16字节"):
        KeyedPrf(b"short")


def test_a_keyed_permutation_is_a_bijection_on_its_domain() -> None:
    permutation = KeyedPermutation(KeyedPrf(KEY), "test", 7, 11)
    images = [permutation.forward(number) for number in range(77)]
    assert sorted(images) == list(range(77))


@given(st.integers(0, 365 * 500 - 1), st.binary(min_size=16, max_size=32))
def test_backward_undoes_forward(number: int, key: bytes) -> None:
    permutation = KeyedPermutation(KeyedPrf(key), "cohort", 365, 500)
    assert permutation.backward(permutation.forward(number)) == number


def test_different_tweaks_give_different_permutations() -> None:
    prf = KeyedPrf(KEY)
    first = [KeyedPermutation(prf, "a", 10, 10).forward(n) for n in range(100)]
    second = [KeyedPermutation(prf, "b", 10, 10).forward(n) for n in range(100)]
    assert first != second


def test_inputs_outside_the_domain_are_refused() -> None:
    permutation = KeyedPermutation(KeyedPrf(KEY), "t", 3, 3)
    with pytest.raises(ValueError, match="定义域"):
        permutation.forward(9)
    with pytest.raises(ValueError, match="定义域"):
        permutation.backward(-1)
