"""Specification of signers and verifiers: the algorithm goes with every signature."""

from __future__ import annotations

import hashlib

import pytest

from govdata.crypto.errors import InvalidKeyMaterial, UnsupportedAlgorithm
from govdata.crypto.signing import (
    ED25519,
    SIGNATURE_ALGORITHMS,
    SM2_SM3,
    Signature,
    Signer,
    Verifier,
    generate_signer,
    public_key_der,
    public_key_fingerprint,
    sign,
    signer_from_pem,
    verifier_from_pem,
    verify,
)

MESSAGE = "目录变更 · 150000 · 版本 3".encode()
algorithms = pytest.mark.parametrize("algorithm", SIGNATURE_ALGORITHMS)


@algorithms
def test_a_signer_and_its_verifier_satisfy_the_protocols(algorithm: str) -> None:
    signer = generate_signer(algorithm)
    verifier = verifier_from_pem(signer.public_key_pem, algorithm)

    assert isinstance(signer, Signer)
    assert isinstance(verifier, Verifier)
    assert signer.algorithm == verifier.algorithm == algorithm


@algorithms
def test_a_signature_records_its_algorithm_and_verifies(algorithm: str) -> None:
    signer = generate_signer(algorithm)

    signature = sign(signer, MESSAGE)

    assert signature.algorithm == algorithm
    assert verify(verifier_from_pem(signer.public_key_pem, algorithm), MESSAGE, signature)


@algorithms
def test_a_signature_of_another_message_does_not_verify(algorithm: str) -> None:
    signer = generate_signer(algorithm)
    verifier = verifier_from_pem(signer.public_key_pem, algorithm)

    assert not verify(verifier, MESSAGE + b"!", sign(signer, MESSAGE))


def test_a_signature_claiming_another_algorithm_does_not_verify() -> None:
    signer = generate_signer(SM2_SM3)
    signature = sign(signer, MESSAGE)
    relabelled = Signature(ED25519, signature.value)

    assert not verify(verifier_from_pem(signer.public_key_pem, SM2_SM3), MESSAGE, relabelled)


@algorithms
def test_signature_text_round_trips(algorithm: str) -> None:
    signature = sign(generate_signer(algorithm), MESSAGE)

    text = signature.encode()

    assert text.startswith(f"{algorithm}:")
    assert Signature.decode(text) == signature


@pytest.mark.parametrize("text", ["sm2:AAAA", "AAAA", ":AAAA", "rsa-sha256:AAAA"])
def test_signature_text_with_an_unknown_algorithm_is_refused(text: str) -> None:
    with pytest.raises(UnsupportedAlgorithm) as raised:
        Signature.decode(text)
    assert raised.value.error_code == "unsupported_algorithm"


def test_signature_text_that_is_not_base64_is_refused() -> None:
    with pytest.raises(InvalidKeyMaterial):
        Signature.decode("ed25519:不是base64")


@algorithms
def test_a_private_key_pem_is_read_back_with_its_algorithm(algorithm: str) -> None:
    signer = generate_signer(algorithm)

    again = signer_from_pem(signer.private_pem())

    assert again.algorithm == algorithm
    assert again.public_key_pem == signer.public_key_pem


def test_a_pem_that_is_no_key_is_refused() -> None:
    with pytest.raises(InvalidKeyMaterial):
        signer_from_pem(b"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n")


def test_an_unknown_algorithm_cannot_be_generated_or_verified() -> None:
    with pytest.raises(UnsupportedAlgorithm):
        generate_signer("rsa")
    with pytest.raises(UnsupportedAlgorithm):
        verifier_from_pem(generate_signer().public_key_pem, "sm2")


@pytest.mark.parametrize(("made", "claimed"), [(ED25519, SM2_SM3), (SM2_SM3, ED25519)])
def test_a_public_key_of_the_other_algorithm_is_refused(made: str, claimed: str) -> None:
    with pytest.raises(InvalidKeyMaterial):
        verifier_from_pem(generate_signer(made).public_key_pem, claimed)


@algorithms
def test_fingerprint_is_sha256_of_the_der_public_key(algorithm: str) -> None:
    pem = generate_signer(algorithm).public_key_pem

    assert public_key_fingerprint(pem) == hashlib.sha256(public_key_der(pem)).hexdigest()
    assert public_key_der(pem)[:1] == b"\x30"
