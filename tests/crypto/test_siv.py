"""Specification of SIV (RFC 5297) over a 128-bit block cipher, vectorised with numpy.

Instantiated with AES the construction must be RFC 5297's AES-SIV exactly (its
appendix A vectors, ``cryptography``'s ``AESSIV``); instantiated with SM4 it
must round-trip, refuse any change, and the vectorised path (many values,
grouped by length, a few large ECB calls) must give what the per-value
reference path gives.
"""

from __future__ import annotations

import os

import numpy as np
import pytest
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESSIV
from cryptography.hazmat.primitives.cmac import CMAC
from hypothesis import given, settings
from hypothesis import strategies as st

from govdata.crypto.errors import DecryptionFailed, InvalidKeyMaterial
from govdata.crypto.primitives import hmac_sm3
from govdata.crypto.siv import (
    CTR_LABEL,
    MAC_LABEL,
    Siv,
    counter_blocks,
    derive_sm4_keys,
    double,
    ecb_function,
)

values_strategy = st.lists(st.binary(min_size=0, max_size=100), min_size=0, max_size=25)
associated_strategy = st.lists(st.binary(min_size=0, max_size=40), min_size=0, max_size=4)


def matrix(values: list[bytes]) -> np.ndarray:
    """Equal-length values as one ``(rows, length)`` matrix."""
    length = len(values[0])
    return np.frombuffer(b"".join(values), dtype=np.uint8).reshape(len(values), length)


# --- RFC 5297 with AES --------------------------------------------------------------------


def test_aes_instance_reproduces_rfc_5297_a1_deterministic_example() -> None:
    key = bytes.fromhex("fffefdfcfbfaf9f8f7f6f5f4f3f2f1f0f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff")
    associated = bytes.fromhex("101112131415161718191a1b1c1d1e1f2021222324252627")
    plaintext = bytes.fromhex("112233445566778899aabbccddee")
    expected = bytes.fromhex("85632d07c6e8f37f950acd320a2ecc93" + "40c02b9690c4dc04daef7f6afe5c")
    siv = Siv.for_aes_key(key)

    assert siv.encrypt(plaintext, [associated]) == expected
    assert siv.encrypt_many([plaintext], [associated]) == [expected]
    assert siv.decrypt(expected, [associated]) == plaintext
    assert siv.decrypt_many([expected], [associated]) == [plaintext]


def test_aes_instance_reproduces_rfc_5297_a2_example_with_several_associated_strings() -> None:
    key = bytes.fromhex("7f7e7d7c7b7a79787776757473727170404142434445464748494a4b4c4d4e4f")
    associated = [
        bytes.fromhex(
            "00112233445566778899aabbccddeeffdeaddadadeaddadaffeeddccbbaa99887766554433221100"
        ),
        bytes.fromhex("102030405060708090a0"),
        bytes.fromhex("09f911029d74e35bd84156c5635688c0"),  # the nonce, S2V's last AD string
    ]
    plaintext = bytes.fromhex(
        "7468697320697320736f6d6520706c61696e7465787420746f20656e63727970"
        "74207573696e67205349562d414553"
    )
    expected = bytes.fromhex(
        "7bdb6e3b432667eb06f4d14bff2fbd0f"
        "cb900f2fddbe404326601965c889bf17dba77ceb094fa663b7a3f748ba8af829"
        "ea64ad544a272e9c485b62a3fd5c0d"
    )
    siv = Siv.for_aes_key(key)

    assert siv.encrypt(plaintext, associated) == expected
    assert siv.encrypt_many([plaintext], associated) == [expected]


@settings(max_examples=60, deadline=None)
@given(
    key_size=st.sampled_from([32, 48, 64]),
    values=values_strategy,
    associated=associated_strategy,
)
def test_aes_instance_agrees_with_cryptography_aessiv_on_any_values(
    key_size: int, values: list[bytes], associated: list[bytes]
) -> None:
    key = os.urandom(key_size)
    reference = AESSIV(key)
    expected = [reference.encrypt(value, associated or None) for value in values]
    siv = Siv.for_aes_key(key)

    assert siv.encrypt_many(values, associated) == expected
    assert [siv.encrypt(value, associated) for value in values] == expected
    assert siv.decrypt_many(expected, associated) == values


def test_aes_keys_must_be_32_48_or_64_bytes() -> None:
    with pytest.raises(InvalidKeyMaterial):
        Siv.for_aes_key(bytes(16))


# --- the building blocks ------------------------------------------------------------------


def test_dbl_shifts_left_and_reduces_by_0x87_when_the_top_bit_falls_off() -> None:
    assert double(bytes(15) + b"\x01") == bytes(15) + b"\x02"
    assert double(b"\x80" + bytes(15)) == bytes(15) + b"\x87"
    assert double(b"\xff" * 16) == b"\xff" * 15 + b"\x79"


@pytest.mark.parametrize("cipher", ["aes", "sm4"])
@pytest.mark.parametrize("length", [0, 1, 15, 16, 17, 31, 32, 33, 100])
def test_cmac_equals_cryptography_cmac_for_complete_and_incomplete_last_blocks(
    cipher: str, length: int
) -> None:
    key = os.urandom(16)
    algorithm = algorithms.AES(key) if cipher == "aes" else algorithms.SM4(key)
    message = os.urandom(length)
    reference = CMAC(algorithm)
    reference.update(message)

    siv = Siv(ecb_function(algorithm), ecb_function(algorithm))

    assert siv.cmac(message) == reference.finalize()


def test_counters_add_as_128_bit_big_endian_numbers_with_carry_and_wrap() -> None:
    starts = np.frombuffer(
        bytes.fromhex("000000000000000affffffffffffffff" + "ff" * 16 + "00" * 16),
        dtype=np.uint8,
    ).reshape(3, 16)

    blocks = counter_blocks(starts, 3).reshape(3, 3, 16)

    for row in range(3):
        first = int.from_bytes(starts[row].tobytes(), "big")
        for step in range(3):
            expected = ((first + step) % 2**128).to_bytes(16, "big")
            assert blocks[row, step].tobytes() == expected


def test_counter_blocks_give_the_key_stream_of_standard_ctr_mode() -> None:
    key, start = os.urandom(16), b"\xff" * 16  # the 128-bit counter wraps after one block
    counters = counter_blocks(np.frombuffer(start, dtype=np.uint8).reshape(1, 16), 4)

    stream = ecb_function(algorithms.AES(key))(counters.reshape(-1))

    ctr = Cipher(algorithms.AES(key), modes.CTR(start)).encryptor()
    assert stream == ctr.update(bytes(64))


def test_rows_split_across_threads_give_what_one_thread_gives() -> None:
    mac, ctr = (
        ecb_function(algorithms.SM4(os.urandom(16))),
        ecb_function(algorithms.SM4(os.urandom(16))),
    )
    one = Siv(mac, ctr, threads=1)
    several = Siv(mac, ctr, threads=3, rows_per_thread=2)
    groups = [
        matrix([os.urandom(length) for _ in range(rows)])
        for length, rows in [(18, 7), (3, 2), (40, 5)]
    ]
    prefix = one.prefix([b"ad"])

    sealed = several.encrypt_groups(prefix, groups)

    for mine, theirs in zip(sealed, one.encrypt_groups(prefix, groups), strict=True):
        assert np.array_equal(mine[0], theirs[0]) and np.array_equal(mine[1], theirs[1])
    sealed[2][1][4, 0] ^= 1
    opened = several.decrypt_groups(prefix, sealed)
    assert [failed.tolist() for _, failed in opened] == [
        [False] * 7,
        [False] * 2,
        [False] * 4 + [True],
    ]
    assert np.array_equal(opened[0][0], groups[0])


def test_sm4_siv_keys_are_derived_with_hmac_sm3_and_distinct_labels() -> None:
    data_key = os.urandom(16)

    mac_key, ctr_key = derive_sm4_keys(data_key)

    assert mac_key == hmac_sm3(data_key, MAC_LABEL)[:16]
    assert ctr_key == hmac_sm3(data_key, CTR_LABEL)[:16]
    assert len({mac_key, ctr_key, data_key}) == 3
    with pytest.raises(InvalidKeyMaterial):
        derive_sm4_keys(bytes(32))


# --- SM4 -----------------------------------------------------------------------------------

SM4 = Siv.for_sm4_data_key(os.urandom(16))
AD = [b"govdata/field/1\x00 population name", b"\x02\x00\x00\x00\x01"]


@settings(max_examples=60, deadline=None)
@given(values=values_strategy, associated=associated_strategy)
def test_sm4_vectorised_path_equals_the_per_value_reference(
    values: list[bytes], associated: list[bytes]
) -> None:
    sealed = SM4.encrypt_many(values, associated)

    assert sealed == [SM4.encrypt(value, associated) for value in values]
    assert [len(item) for item in sealed] == [len(value) + 16 for value in values]
    assert SM4.decrypt_many(sealed, associated) == values
    assert [SM4.decrypt(item, associated) for item in sealed] == values


def test_sm4_siv_is_deterministic_and_keyed() -> None:
    other = Siv.for_sm4_data_key(os.urandom(16))

    assert SM4.encrypt(b"150102199001011234", AD) == SM4.encrypt(b"150102199001011234", AD)
    assert SM4.encrypt(b"150102199001011234", AD) != SM4.encrypt(b"150102199001011235", AD)
    assert SM4.encrypt(b"150102199001011234", AD) != other.encrypt(b"150102199001011234", AD)
    assert SM4.encrypt(b"x", AD) != SM4.encrypt(b"x", AD[:1])


@pytest.mark.parametrize("length", [0, 5, 16, 18, 40])
def test_sm4_siv_refuses_every_single_bit_change(length: int) -> None:
    sealed = SM4.encrypt(os.urandom(length), AD)
    changed = []
    for bit in range(len(sealed) * 8):
        flipped = bytearray(sealed)
        flipped[bit // 8] ^= 1 << (bit % 8)
        changed.append(bytes(flipped))

    opened = SM4.decrypt_groups(
        SM4.prefix(AD), [(matrix(changed)[:, :16], matrix(changed)[:, 16:])]
    )

    assert opened[0][1].all()
    for item in changed[:: max(1, len(changed) // 10)]:
        with pytest.raises(DecryptionFailed):
            SM4.decrypt(item, AD)


def test_sm4_siv_refuses_other_associated_data() -> None:
    sealed = SM4.encrypt(b"value", AD)

    with pytest.raises(DecryptionFailed):
        SM4.decrypt(sealed, [AD[0], b"\x02\x00\x00\x00\x02"])
    with pytest.raises(DecryptionFailed):
        SM4.decrypt_many([sealed], AD[:1])


def test_many_value_decryption_names_the_first_failing_value() -> None:
    sealed = SM4.encrypt_many([b"a" * 20, b"b", b"c" * 20, b"d"], AD)
    sealed[3] = sealed[3][:-1] + bytes([sealed[3][-1] ^ 1])
    sealed[2] = bytes([sealed[2][0] ^ 1]) + sealed[2][1:]

    with pytest.raises(DecryptionFailed) as raised:
        SM4.decrypt_many(sealed, AD)
    assert raised.value.fields == {"row": "2"}
    with pytest.raises(DecryptionFailed, match="过短"):
        SM4.decrypt_many([b"short"], AD)


def test_groups_of_several_lengths_share_the_ecb_calls_and_keep_their_rows() -> None:
    groups = [
        matrix([os.urandom(length) for _ in range(rows)])
        for length, rows in [(3, 5), (40, 2), (16, 4), (17, 3), (33, 1)]
    ]
    prefix = SM4.prefix(AD)

    sealed = SM4.encrypt_groups(prefix, groups)

    for group, (synthetic_ivs, bodies) in zip(groups, sealed, strict=True):
        for row in range(group.shape[0]):
            expected = SM4.seal(prefix, group[row].tobytes())
            assert synthetic_ivs[row].tobytes() + bodies[row].tobytes() == expected
    opened = SM4.decrypt_groups(prefix, sealed)
    for group, (plaintexts, failed) in zip(groups, opened, strict=True):
        assert np.array_equal(plaintexts, group)
        assert not failed.any()


def test_no_values_and_empty_groups_are_fine() -> None:
    prefix = SM4.prefix(AD)

    assert SM4.encrypt_many([], AD) == []
    assert SM4.decrypt_many([], AD) == []
    sealed = SM4.encrypt_groups(prefix, [np.empty((0, 7), dtype=np.uint8)])
    assert sealed[0][0].shape == (0, 16)
    assert sealed[0][1].shape == (0, 7)


def test_at_most_126_associated_data_strings() -> None:
    SM4.prefix([b"x"] * 126)
    with pytest.raises(ValueError, match="126"):
        SM4.prefix([b"x"] * 127)
