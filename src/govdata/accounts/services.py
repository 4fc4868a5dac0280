"""Authentication: who is calling, from a session cookie or a signed request."""

from __future__ import annotations

import hashlib
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Table, delete, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from govdata.access_generation import ACCESS_NEUTRAL, kept
from govdata.accounts.models import (
    ApiKey,
    Application,
    LoginSession,
    RoleAssignment,
    UsedNonce,
    User,
)
from govdata.accounts.signing import canonical_string, sign, signatures_match
from govdata.authz import Actor, Role, RoleGrant
from govdata.db import utcnow
from govdata.errors import Unauthenticated
from govdata.orgs.models import Organisation
from govdata.secretbox import SecretBox

_NONCE_PATTERN = re.compile(r"^[A-Za-z0-9_\-]{16,64}$")


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def assignments_of(
    session: Session, *, user_id: str | None = None, application_id: str | None = None
) -> list[tuple[RoleAssignment, Organisation]]:
    """The role assignments of one person or one application, with their organisations."""
    query = select(RoleAssignment, Organisation).join(
        Organisation, Organisation.id == RoleAssignment.organisation_id
    )
    if user_id is not None:
        query = query.where(RoleAssignment.user_id == user_id)
    else:
        query = query.where(RoleAssignment.application_id == application_id)
    return [(a, org) for a, org in session.execute(query.order_by(RoleAssignment.created_at))]


def _grants(
    session: Session,
    *,
    user_id: str | None,
    application_id: str | None,
    only: frozenset[str] | None = None,
) -> tuple[RoleGrant, ...]:
    return tuple(
        RoleGrant(Role(a.role), a.organisation_id, org.path, a.include_subtree)
        for a, org in assignments_of(session, user_id=user_id, application_id=application_id)
        if only is None or a.id in only
    )


def actor_for_user(session: Session, user: User) -> Actor:
    return Actor(
        kind="user",
        id=user.id,
        name=user.username,
        organisation_id=user.organisation_id,
        grants=_grants(session, user_id=user.id, application_id=None),
    )


def actor_for_application(session: Session, app: Application, key: ApiKey) -> Actor:
    """The application as one of its keys may act: with the roles it held when
    the key was issued and still holds. A role granted later reaches only keys
    issued later, by someone who could hand that role on."""
    return Actor(
        kind="application",
        id=app.id,
        name=app.name,
        organisation_id=app.organisation_id,
        grants=_grants(
            session,
            user_id=None,
            application_id=app.id,
            only=frozenset(key.assignment_ids),
        ),
    )


def authenticate_session_token(session: Session, token: str) -> tuple[Actor, LoginSession] | None:
    """The actor behind a portal session cookie, or None if it is not valid."""
    login = session.get(LoginSession, token_hash(token))
    if login is None or login.expires_at <= utcnow():
        return None
    user = session.get(User, login.user_id)
    if user is None or not user.is_active:
        return None
    return actor_for_user(session, user), login


@dataclass(frozen=True)
class SignedCall:
    """A signed request whose signature checked out: who calls, and the nonce it
    must consume (:func:`consume_nonce`) before anything is answered."""

    actor: Actor
    key_id: str
    nonce: str
    nonce_expires_at: datetime
    # When the key was last marked used (the mark is refreshed at most once a minute).
    last_used_at: datetime | None


def verify_signed_request(
    session: Session,
    secretbox: SecretBox,
    *,
    headers: dict[str, str],
    method: str,
    path: str,
    query: str,
    body: bytes,
    max_skew: timedelta,
    now: datetime | None = None,
) -> SignedCall:
    """Check an HMAC-signed request without writing anything: headers, timestamp
    skew, key, signature, key and application status. The nonce is not consumed."""
    now = now or utcnow()
    key_id = headers.get("x-govdata-key", "")
    timestamp = headers.get("x-govdata-timestamp", "")
    nonce = headers.get("x-govdata-nonce", "")
    signature = headers.get("x-govdata-signature", "")
    if not (key_id and timestamp and nonce and signature):
        raise Unauthenticated("签名请求缺少必需的请求头", code="signature_incomplete")
    try:
        signed_at = datetime.fromtimestamp(int(timestamp), tz=now.tzinfo)
    except (ValueError, OverflowError, OSError):
        raise Unauthenticated("签名时间戳格式错误", code="signature_invalid") from None
    if abs(now - signed_at) > max_skew:
        raise Unauthenticated("签名已过期或时间戳超出允许范围", code="signature_expired")
    if not _NONCE_PATTERN.match(nonce):
        raise Unauthenticated("签名随机数应为16至64位字母、数字、-或_", code="signature_invalid")
    holder = signing_key(session, secretbox, key_id)
    if holder is None:
        raise Unauthenticated("API密钥不存在", code="api_key_unknown")
    expected = sign(
        holder.secret,
        canonical_string(method, path, query, timestamp=timestamp, nonce=nonce, body=body),
    )
    if not signatures_match(expected, signature):
        raise Unauthenticated("请求签名不正确", code="signature_invalid")
    # Only a caller who holds the secret learns that the key was revoked.
    if holder.revoked or (holder.expires_at is not None and holder.expires_at <= now):
        raise Unauthenticated("API密钥已吊销或过期", code="api_key_revoked")
    if holder.actor is None:
        raise Unauthenticated("应用已停用", code="api_key_revoked")
    return SignedCall(
        actor=holder.actor,
        key_id=key_id,
        nonce=nonce,
        nonce_expires_at=signed_at + max_skew,
        last_used_at=holder.last_used_at,
    )


SIGNING_KEYS = "accounts:signing-keys"


@dataclass(frozen=True)
class SigningKey:
    """What checking a request signed with one key needs: its secret, status and
    the application it acts for (``actor`` None: the application is inactive)."""

    secret: str
    revoked: bool
    expires_at: datetime | None
    last_used_at: datetime | None
    actor: Actor | None


def signing_key(session: Session, secretbox: SecretBox, key_id: str) -> SigningKey | None:
    """The key ``key_id`` as a signature check needs it, or None if there is none.

    A running node keeps it per process while the access generation stands
    (govdata.access_generation): revoking the key, deactivating the application
    or changing its roles moves the generation, and the next call reads anew. The
    process that can decrypt every key's secret at any time keeps the decrypted
    secrets of keys in use in its memory."""

    def load() -> SigningKey | None:
        api_key = session.get(ApiKey, key_id)
        if api_key is None:
            return None
        app = session.get(Application, api_key.application_id)
        secret = secretbox.open(api_key.secret_ciphertext, key_id.encode("ascii"))
        return SigningKey(
            secret=secret.decode("utf-8"),
            revoked=api_key.revoked_at is not None,
            expires_at=api_key.expires_at,
            last_used_at=api_key.last_used_at,
            actor=actor_for_application(session, app, api_key)
            if app is not None and app.is_active
            else None,
        )

    return kept(session, SIGNING_KEYS, key_id, load)


USE_MARK_INTERVAL = timedelta(minutes=1)
# The last use this process marked per key (a kept SigningKey's own mark ages).
_marked: dict[str, datetime] = {}
MAX_MARKS = 10_000


def _mark_due(call: SignedCall, now: datetime) -> bool:
    marks = [m for m in (call.last_used_at, _marked.get(call.key_id)) if m is not None]
    return not marks or now - max(marks) >= USE_MARK_INTERVAL


SWEEP_INTERVAL_SECONDS = 60.0
_last_sweep = [-SWEEP_INTERVAL_SECONDS]


def consume_nonce(session: Session, call: SignedCall, *, now: datetime | None = None) -> None:
    """Record the call's nonce; ``signature_replayed`` when it was already used.

    One conditional insert (``ON CONFLICT DO NOTHING … RETURNING``): of two
    identical requests in flight, one inserts and the other is refused, and the
    caller's transaction stays usable. Expired nonces are swept, and the key's
    last use marked, at most once a minute rather than on every call.
    """
    consume_nonces(session, [call], now=now)


_NONCES: Table = UsedNonce.__table__  # type: ignore[assignment]
_NONCE_INSERTS = {
    name: dialect.insert(_NONCES).on_conflict_do_nothing().returning(_NONCES.c.nonce)
    for name, dialect in (("postgresql", postgresql), ("sqlite", sqlite))
}


def _nonce_insert(dialect_name: str) -> Any:
    """The insert of nonces not used yet, returning those inserted (made once)."""
    return _NONCE_INSERTS["postgresql" if dialect_name == "postgresql" else "sqlite"]


def consume_nonces(
    session: Session, calls: Sequence[SignedCall], *, now: datetime | None = None
) -> None:
    """Record the nonces of several calls in one statement; ``signature_replayed``
    (and none recorded, once the caller rolls back) if any was used already or
    appears twice among them."""
    now = now or utcnow()
    rows = [
        {"key_id": call.key_id, "nonce": call.nonce, "expires_at": call.nonce_expires_at}
        for call in calls
    ]
    connection = session.connection()
    inserted = connection.execute(_nonce_insert(connection.dialect.name), rows).all()
    if len(inserted) < len(rows):
        raise Unauthenticated("重复的请求（随机数已使用），已拒绝", code="signature_replayed")
    stale = {call.key_id for call in calls if _mark_due(call, now)}
    if stale:
        session.execute(
            update(ApiKey).where(ApiKey.key_id.in_(sorted(stale))).values(last_used_at=now),
            execution_options={ACCESS_NEUTRAL: True},
        )
        if len(_marked) > MAX_MARKS:
            _marked.clear()
        _marked.update(dict.fromkeys(stale, now))
    moment = time.monotonic()
    if moment - _last_sweep[0] >= SWEEP_INTERVAL_SECONDS:
        _last_sweep[0] = moment
        session.execute(delete(UsedNonce).where(UsedNonce.expires_at < now))
