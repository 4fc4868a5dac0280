"""Authentication: who is calling, from a session cookie or a signed request."""

from __future__ import annotations

import hashlib
import re
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

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


def authenticate_signed_request(
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
) -> Actor:
    """Verify an HMAC-signed request and consume its nonce (see signing.py)."""
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
    api_key = session.get(ApiKey, key_id)
    if api_key is None:
        raise Unauthenticated("API密钥不存在", code="api_key_unknown")
    secret = secretbox.open(api_key.secret_ciphertext, key_id.encode("ascii")).decode("utf-8")
    expected = sign(
        secret,
        canonical_string(method, path, query, timestamp=timestamp, nonce=nonce, body=body),
    )
    if not signatures_match(expected, signature):
        raise Unauthenticated("请求签名不正确", code="signature_invalid")
    # Only a caller who holds the secret learns that the key was revoked.
    if api_key.revoked_at is not None or (
        api_key.expires_at is not None and api_key.expires_at <= now
    ):
        raise Unauthenticated("API密钥已吊销或过期", code="api_key_revoked")
    app = session.get(Application, api_key.application_id)
    if app is None or not app.is_active:
        raise Unauthenticated("应用已停用", code="api_key_revoked")
    _consume_nonce(session, key_id, nonce, signed_at + max_skew)
    api_key.last_used_at = now
    return actor_for_application(session, app, api_key)


def _consume_nonce(session: Session, key_id: str, nonce: str, expires_at: datetime) -> None:
    # The primary key makes the check race-free: of two identical requests in
    # flight, one insert fails. A savepoint keeps the caller's transaction usable.
    session.execute(delete(UsedNonce).where(UsedNonce.expires_at < utcnow()))
    try:
        with session.begin_nested():
            session.add(UsedNonce(key_id=key_id, nonce=nonce, expires_at=expires_at))
    except IntegrityError:
        raise Unauthenticated(
            "重复的请求（随机数已使用），已拒绝", code="signature_replayed"
        ) from None
