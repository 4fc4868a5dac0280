"""Signed requests from applications (HMAC-SHA256, replays refused).

A request carries four headers:

* ``X-Govdata-Key``: the key id;
* ``X-Govdata-Timestamp``: Unix seconds; refused when further than the
  configured skew from the server clock;
* ``X-Govdata-Nonce``: 16 to 64 characters, never reused with the same key;
* ``X-Govdata-Signature``: hex HMAC-SHA256 of the canonical string (sent in
  lowercase; compared without regard to case).

The canonical string is the lines ``METHOD``, ``PATH``, ``QUERY`` (as sent),
``TIMESTAMP``, ``NONCE`` and the hex SHA-256 of the body, joined by ``\\n``.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

KEY_HEADER = "x-govdata-key"
TIMESTAMP_HEADER = "x-govdata-timestamp"
NONCE_HEADER = "x-govdata-nonce"
SIGNATURE_HEADER = "x-govdata-signature"
SIGNED_HEADERS = (KEY_HEADER, TIMESTAMP_HEADER, NONCE_HEADER, SIGNATURE_HEADER)


def canonical_string(
    method: str, path: str, query: str, *, timestamp: str, nonce: str, body: bytes
) -> str:
    return "\n".join(
        [method.upper(), path, query, timestamp, nonce, hashlib.sha256(body).hexdigest()]
    )


def sign(secret: str, canonical: str) -> str:
    return hmac.new(secret.encode("utf-8"), canonical.encode("utf-8"), hashlib.sha256).hexdigest()


def signatures_match(expected: str, given: str) -> bool:
    # Headers may carry any Latin-1 text; compare bytes so odd input is simply a mismatch.
    return hmac.compare_digest(expected.encode("utf-8"), given.strip().lower().encode("utf-8"))


def signed_request_headers(
    key_id: str,
    secret: str,
    *,
    method: str,
    path: str,
    query: str = "",
    body: bytes = b"",
    timestamp: int,
    nonce: str | None = None,
) -> dict[str, str]:
    """Headers a client sends; used by the Python client and the tests."""
    nonce = nonce or secrets.token_hex(16)
    canonical = canonical_string(
        method, path, query, timestamp=str(timestamp), nonce=nonce, body=body
    )
    return {
        "X-Govdata-Key": key_id,
        "X-Govdata-Timestamp": str(timestamp),
        "X-Govdata-Nonce": nonce,
        "X-Govdata-Signature": sign(secret, canonical),
    }
