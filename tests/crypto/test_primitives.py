"""Specification of SM3, HMAC-SM3 and SM4-GCM.

Known-answer tests come from the standards: GB/T 32905-2016 (SM3, its two
examples) and RFC 8998 appendix A.1 (SM4-GCM). HMAC-SM3 is checked against
Python's ``hmac`` over the system OpenSSL's SM3, an implementation of its own.
"""

from __future__ import annotations

import hmac

import pytest
from hypothesis import given
from hypothesis import strategies as st

from govdata.crypto.errors import DecryptionFailed, InvalidKeyMaterial
from govdata.crypto.primitives import (
    GCM_NONCE_SIZE,
    GCM_TAG_SIZE,
    Sm4Gcm,
    check_sm3_and_sm4,
    hmac_sm3,
    sm3,
    sm3_hex,
    verify_hmac_sm3,
)

RFC8998_KEY = bytes.fromhex("0123456789ABCDEFFEDCBA9876543210")
RFC8998_NONCE = bytes.fromhex("00001234567800000000ABCD")
RFC8998_AAD = bytes.fromhex("FEEDFACEDEADBEEFFEEDFACEDEADBEEFABADDAD2")
RFC8998_PLAINTEXT = bytes.fromhex(
    "AAAAAAAAAAAAAAAABBBBBBBBBBBBBBBBCCCCCCCCCCCCCCCCDDDDDDDDDDDDDDDD"
    "EEEEEEEEEEEEEEEEFFFFFFFFFFFFFFFFEEEEEEEEEEEEEEEEAAAAAAAAAAAAAAAA"
)
RFC8998_CIPHERTEXT = bytes.fromhex(
    "17F399F08C67D5EE19D0DC9969C4BB7D5FD46FD3756489069157B282BB200735"
    "D82710CA5C22F0CCFA7CBF93D496AC15A56834CBCF98C397B4024A2691233B8D"
)
RFC8998_TAG = bytes.fromhex("83DE3541E4C2B58177E065A9BF7B62EC")


def test_the_national_algorithms_are_available_here() -> None:
    check_sm3_and_sm4()


# --- SM3 ------------------------------------------------------------------------------


def test_sm3_of_abc_is_the_standards_first_example() -> None:
    assert sm3_hex(b"abc") == ("66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0")


def test_sm3_of_sixteen_abcd_is_the_standards_second_example() -> None:
    assert sm3(b"abcd" * 16).hex() == (
        "debe9ff92275b8a138604889c18e5a4d6fdb70e5387e5765293dcba39c0c5732"
    )


def test_sm3_digest_is_32_bytes_even_for_empty_input() -> None:
    assert len(sm3(b"")) == 32


# --- HMAC-SM3 -------------------------------------------------------------------------


@given(key=st.binary(max_size=100), data=st.binary(max_size=300))
def test_hmac_sm3_agrees_with_python_hmac_over_the_system_openssl(key: bytes, data: bytes) -> None:
    assert hmac_sm3(key, data) == hmac.new(key, data, "sm3").digest()


def test_hmac_sm3_verifies_its_own_tag() -> None:
    tag = hmac_sm3(b"key", "社会信用代码".encode())

    assert verify_hmac_sm3(b"key", "社会信用代码".encode(), tag) is True


def test_hmac_sm3_refuses_a_tag_for_other_data_or_key() -> None:
    tag = hmac_sm3(b"key", b"data")

    assert verify_hmac_sm3(b"key", b"data!", tag) is False
    assert verify_hmac_sm3(b"other", b"data", tag) is False


# --- SM4-GCM --------------------------------------------------------------------------


def test_sm4_gcm_matches_the_rfc_8998_example() -> None:
    sealed = Sm4Gcm(RFC8998_KEY).encrypt(RFC8998_NONCE, RFC8998_PLAINTEXT, RFC8998_AAD)

    assert sealed == RFC8998_CIPHERTEXT + RFC8998_TAG


def test_sm4_gcm_decrypts_the_rfc_8998_example() -> None:
    plain = Sm4Gcm(RFC8998_KEY).decrypt(
        RFC8998_NONCE, RFC8998_CIPHERTEXT + RFC8998_TAG, RFC8998_AAD
    )

    assert plain == RFC8998_PLAINTEXT


@given(plaintext=st.binary(max_size=2000), associated=st.binary(max_size=50))
def test_seal_then_open_returns_the_plaintext(plaintext: bytes, associated: bytes) -> None:
    box = Sm4Gcm(bytes(range(16)))

    sealed = box.seal(plaintext, associated)

    assert len(sealed) == GCM_NONCE_SIZE + len(plaintext) + GCM_TAG_SIZE
    assert box.open(sealed, associated) == plaintext


def test_sealing_twice_gives_different_ciphertexts() -> None:
    box = Sm4Gcm(Sm4Gcm.generate_key())

    assert box.seal(b"same") != box.seal(b"same")


def test_a_changed_ciphertext_bit_is_refused() -> None:
    box = Sm4Gcm(Sm4Gcm.generate_key())
    sealed = bytearray(box.seal(b"150102199001011234"))
    sealed[15] ^= 0x01

    with pytest.raises(DecryptionFailed) as raised:
        box.open(bytes(sealed))
    assert raised.value.error_code == "decryption_failed"


def test_other_associated_data_is_refused() -> None:
    box = Sm4Gcm(Sm4Gcm.generate_key())
    sealed = box.seal(b"secret", b"table=a")

    with pytest.raises(DecryptionFailed):
        box.open(sealed, b"table=b")


def test_another_key_is_refused() -> None:
    sealed = Sm4Gcm(Sm4Gcm.generate_key()).seal(b"secret")

    with pytest.raises(DecryptionFailed):
        Sm4Gcm(Sm4Gcm.generate_key()).open(sealed)


def test_a_ciphertext_shorter_than_nonce_and_tag_is_refused() -> None:
    with pytest.raises(DecryptionFailed, match="过短"):
        Sm4Gcm(Sm4Gcm.generate_key()).open(b"\x00" * 27)


@pytest.mark.parametrize("size", [0, 15, 17, 32])
def test_an_sm4_key_must_be_16_bytes(size: int) -> None:
    with pytest.raises(InvalidKeyMaterial):
        Sm4Gcm(bytes(size))
