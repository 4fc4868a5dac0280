"""Specification of SM2 signatures through OpenSSL 3.

Signatures use SM3 and the default distinguishing identifier
``1234567812345678`` (GB/T 32918); they are checked in both directions
against the ``openssl`` command line when it is installed.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from govdata.crypto import libcrypto
from govdata.crypto.errors import InvalidKeyMaterial, NationalCryptoUnavailable
from govdata.crypto.libcrypto import available, version_text
from govdata.crypto.sm2 import DEFAULT_DISTINGUISHING_ID, Sm2PrivateKey, Sm2PublicKey

MESSAGE = "数据共享交换记录 · 150000".encode()
OPENSSL = shutil.which("openssl")
needs_openssl = pytest.mark.skipif(OPENSSL is None, reason="the openssl command is not installed")


@pytest.fixture(scope="module")
def key() -> Sm2PrivateKey:
    return Sm2PrivateKey.generate()


def openssl(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    assert OPENSSL is not None
    return subprocess.run(  # noqa: S603  (fixed arguments, no shell)
        [OPENSSL, *args], cwd=cwd, capture_output=True, text=True, check=False
    )


def test_libcrypto_with_sm2_is_found() -> None:
    assert available() is True
    assert version_text().startswith("OpenSSL 3")


# --- keys -----------------------------------------------------------------------------


def test_generated_keys_differ(key: Sm2PrivateKey) -> None:
    assert Sm2PrivateKey.generate().public_key() != key.public_key()


def test_private_key_round_trips_through_pkcs8_pem(key: Sm2PrivateKey) -> None:
    pem = key.private_pem()

    assert pem.startswith(b"-----BEGIN PRIVATE KEY-----")
    assert Sm2PrivateKey.from_pem(pem).public_key() == key.public_key()


def test_private_key_round_trips_through_pkcs8_der(key: Sm2PrivateKey) -> None:
    assert Sm2PrivateKey.from_der(key.private_der()).public_key() == key.public_key()


def test_public_key_round_trips_through_pem_and_der(key: Sm2PrivateKey) -> None:
    public = key.public_key()

    assert public.pem().startswith("-----BEGIN PUBLIC KEY-----")
    assert Sm2PublicKey.from_pem(public.pem()) == public
    assert Sm2PublicKey.from_der(public.der()) == public


def test_public_key_pem_holds_no_private_material(key: Sm2PrivateKey) -> None:
    assert "PRIVATE" not in key.public_key().pem()


def test_an_ed25519_key_is_not_taken_for_an_sm2_key() -> None:
    pem = Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )

    with pytest.raises(InvalidKeyMaterial, match="不是 SM2"):
        Sm2PrivateKey.from_pem(pem)


@pytest.mark.parametrize("garbage", [b"", b"not a key", b"-----BEGIN PUBLIC KEY-----\nAAAA\n"])
def test_garbage_is_refused_as_invalid_key(garbage: bytes) -> None:
    with pytest.raises(InvalidKeyMaterial) as raised:
        Sm2PublicKey.from_pem(garbage)
    assert raised.value.error_code == "invalid_key"


def test_garbage_der_is_refused() -> None:
    with pytest.raises(InvalidKeyMaterial):
        Sm2PrivateKey.from_der(b"\x30\x03\x02\x01\x00")


# --- signatures -----------------------------------------------------------------------


def test_a_signature_verifies_with_the_public_key(key: Sm2PrivateKey) -> None:
    signature = key.sign(MESSAGE)

    assert key.public_key().verify(signature, MESSAGE) is True


def test_signatures_are_randomised(key: Sm2PrivateKey) -> None:
    assert key.sign(MESSAGE) != key.sign(MESSAGE)


def test_a_signature_fails_for_a_changed_message(key: Sm2PrivateKey) -> None:
    assert key.public_key().verify(key.sign(MESSAGE), MESSAGE + b"!") is False


def test_a_signature_fails_with_another_key(key: Sm2PrivateKey) -> None:
    other = Sm2PrivateKey.generate()

    assert other.public_key().verify(key.sign(MESSAGE), MESSAGE) is False


def test_a_signature_fails_under_another_distinguishing_id(key: Sm2PrivateKey) -> None:
    signature = key.sign(MESSAGE, distinguishing_id=b"alice@150000")

    assert key.public_key().verify(signature, MESSAGE, distinguishing_id=b"alice@150000")
    assert not key.public_key().verify(signature, MESSAGE)


@pytest.mark.parametrize("signature", [b"", b"\x30\x00", b"\xff" * 80])
def test_a_malformed_signature_is_simply_invalid(key: Sm2PrivateKey, signature: bytes) -> None:
    assert key.public_key().verify(signature, MESSAGE) is False


def test_a_changed_signature_byte_fails(key: Sm2PrivateKey) -> None:
    signature = bytearray(key.sign(MESSAGE))
    signature[-1] ^= 0x01

    assert key.public_key().verify(bytes(signature), MESSAGE) is False


# --- the openssl command line agrees ----------------------------------------------------


@needs_openssl
def test_openssl_verifies_our_signature(key: Sm2PrivateKey, tmp_path: Path) -> None:
    (tmp_path / "message").write_bytes(MESSAGE)
    (tmp_path / "public.pem").write_text(key.public_key().pem())
    (tmp_path / "signature").write_bytes(key.sign(MESSAGE))
    distid = f"distid:{DEFAULT_DISTINGUISHING_ID.decode()}"

    dgst = openssl(
        "dgst", "-sm3", "-verify", "public.pem", "-sigopt", distid,
        "-signature", "signature", "message", cwd=tmp_path,
    )  # fmt: skip
    pkeyutl = openssl(
        "pkeyutl", "-verify", "-pubin", "-inkey", "public.pem", "-rawin", "-digest", "sm3",
        "-pkeyopt", distid, "-in", "message", "-sigfile", "signature", cwd=tmp_path,
    )  # fmt: skip

    assert dgst.returncode == 0, dgst.stderr
    assert "Verified OK" in dgst.stdout
    assert pkeyutl.returncode == 0, pkeyutl.stderr


@needs_openssl
def test_openssl_refuses_our_signature_of_another_message(
    key: Sm2PrivateKey, tmp_path: Path
) -> None:
    (tmp_path / "message").write_bytes(MESSAGE + b"!")
    (tmp_path / "public.pem").write_text(key.public_key().pem())
    (tmp_path / "signature").write_bytes(key.sign(MESSAGE))

    result = openssl(
        "dgst", "-sm3", "-verify", "public.pem", "-sigopt", "distid:1234567812345678",
        "-signature", "signature", "message", cwd=tmp_path,
    )  # fmt: skip

    assert result.returncode != 0


@needs_openssl
def test_we_verify_a_signature_made_by_openssl_with_its_own_key(tmp_path: Path) -> None:
    (tmp_path / "message").write_bytes(MESSAGE)
    assert openssl("genpkey", "-algorithm", "SM2", "-out", "key.pem", cwd=tmp_path).returncode == 0
    signed = openssl(
        "dgst", "-sm3", "-sign", "key.pem", "-sigopt", "distid:1234567812345678",
        "-out", "signature", "message", cwd=tmp_path,
    )  # fmt: skip
    assert signed.returncode == 0, signed.stderr

    key = Sm2PrivateKey.from_pem((tmp_path / "key.pem").read_bytes())
    signature = (tmp_path / "signature").read_bytes()

    assert key.public_key().verify(signature, MESSAGE) is True


@needs_openssl
def test_openssl_reads_our_private_key_as_sm2(key: Sm2PrivateKey, tmp_path: Path) -> None:
    (tmp_path / "key.pem").write_bytes(key.private_pem())

    result = openssl("pkey", "-in", "key.pem", "-pubout", cwd=tmp_path)

    assert result.returncode == 0, result.stderr
    assert result.stdout == key.public_key().pem()


def test_without_a_usable_libcrypto_sm2_is_refused_with_its_code(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(libcrypto, "_LOADED", libcrypto._Loaded(None, "built without SM2/SM3"))

    with pytest.raises(NationalCryptoUnavailable, match="built without SM2") as raised:
        Sm2PrivateKey.generate()
    assert raised.value.error_code == "national_crypto_unavailable"
    assert raised.value.http_status == 503
    assert libcrypto.available() is False
    assert libcrypto.version_text().startswith("unavailable")
