"""Who is calling: a signed application request, a portal session, or nobody."""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request

from govdata.accounts.services import (
    SignedCall,
    authenticate_session_token,
    consume_nonce,
    verify_signed_request,
)
from govdata.accounts.signing import SIGNED_HEADERS
from govdata.authz import ANONYMOUS, Actor
from govdata.db import READ_ONLY
from govdata.errors import Forbidden, Unauthenticated
from govdata.web.runtime import runtime_of

SESSION_COOKIE = "govdata_session"
CSRF_HEADER = "x-csrf-token"
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


@dataclass(frozen=True)
class Caller:
    actor: Actor
    session_token: str | None = None
    csrf_token: str | None = None

    @property
    def via_cookie(self) -> bool:
        return self.session_token is not None


async def authenticate(request: Request, body: bytes, *, allow_signed: bool = True) -> Caller:
    """Identify the caller; signed requests consume their nonce in their own
    transaction so that a failed request cannot be replayed. The portal passes
    ``allow_signed=False``: its forms are for people, and a signature there
    would not cover the form body; the services check signatures themselves
    (govdata.sharing.service_api), consuming the nonce with the call's records."""
    rt = runtime_of(request)
    headers = {k.lower(): v for k, v in request.headers.items()}
    if allow_signed and any(h in headers for h in SIGNED_HEADERS):

        def check() -> SignedCall:
            with rt.db.transaction() as session:
                rt.lend_caches(session)
                signed = check_signature(session, request, headers, body)
                consume_nonce(session, signed)
                return signed

        signed = await run_in_threadpool(check)
        return Caller(actor=signed.actor)
    token = request.cookies.get(SESSION_COOKIE)
    if token:

        def lookup() -> Caller | None:
            with rt.db.transaction() as session:
                session.connection(execution_options=READ_ONLY)
                found = authenticate_session_token(session, token)
                if found is None:
                    return None
                actor, login = found
                return Caller(actor=actor, session_token=token, csrf_token=login.csrf_token)

        caller = await run_in_threadpool(lookup)
        if caller is not None:
            return caller
    return Caller(actor=ANONYMOUS)


def check_signature(
    session: Session, request: Request, headers: dict[str, str], body: bytes
) -> SignedCall:
    """The request's signature checked (``headers`` lower-cased), without writing:
    its nonce is the caller's to consume."""
    rt = runtime_of(request)
    return verify_signed_request(
        session,
        rt.services.secretbox,
        headers=headers,
        method=request.method,
        path=request.url.path,
        query=request.url.query,
        body=body,
        max_skew=timedelta(seconds=rt.settings.signature_max_skew_seconds),
    )


def require_csrf(request: Request, caller: Caller, submitted: str | None) -> None:
    """Cookie-authenticated writes must echo the session's CSRF token."""
    if request.method not in UNSAFE_METHODS or not caller.via_cookie:
        return
    expected = caller.csrf_token or ""
    if not submitted or not hmac.compare_digest(submitted.encode(), expected.encode()):
        raise Forbidden("CSRF校验失败，请刷新页面后重试", code="csrf_failed")


def require_signed_in(caller: Caller) -> None:
    if not caller.actor.is_authenticated:
        raise Unauthenticated()
