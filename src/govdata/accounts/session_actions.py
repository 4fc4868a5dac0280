"""Login and logout.

A refused login is returned, not raised: the failed-attempt counter and the
refusal event must be committed, and the adapter raises ``Unauthenticated``
only after the caller's transaction has been committed.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from pydantic import BaseModel
from sqlalchemy import delete, select

from govdata.accounts.events import LoginFailed, LoginSucceeded
from govdata.accounts.models import LoginSession, User
from govdata.accounts.passwords import DUMMY_HASH, hash_password, needs_rehash, verify_password
from govdata.accounts.queries import user_out
from govdata.accounts.schemas import LoginInput, LoginResult, LogoutInput
from govdata.accounts.services import token_hash
from govdata.actions import ActionSet, Context
from govdata.db import utcnow
from govdata.errors import Unauthenticated
from govdata.events import record_event

actions = ActionSet("accounts.sessions")


class LoginOutcome(BaseModel):
    result: LoginResult | None = None
    refusal_code: str | None = None
    refusal_message: str | None = None

    def raise_if_refused(self) -> LoginResult:
        if self.result is None:
            raise Unauthenticated(self.refusal_message, code=self.refusal_code)
        return self.result


def _refuse(
    ctx: Context, user: User | None, username: str, code: str, message: str
) -> LoginOutcome:
    record_event(
        ctx,
        LoginFailed(subject_id=user.id if user else "-", username=username, reason=code),
    )
    return LoginOutcome(refusal_code=code, refusal_message=message)


WRONG_CREDENTIALS = ("login_failed", "用户名或密码错误")
ACCOUNT_LOCKED = ("account_locked", "登录失败次数过多，账号已临时锁定，请稍后再试")
ACCOUNT_DISABLED = ("account_disabled", "账号已停用")


def _refusal(
    ctx: Context, user: User | None, *, password_ok: bool, now: datetime
) -> tuple[str, str] | None:
    """Why this login is refused (code, message), or None to let it in.

    A locked or disabled account gets the same answer whatever password is
    given, so that it cannot be used to test passwords. Only wrong passwords on
    an open account count towards the lock.
    """
    if user is None:
        return WRONG_CREDENTIALS
    if user.locked_until is not None and user.locked_until > now:
        return ACCOUNT_LOCKED
    if not user.is_active:
        return ACCOUNT_DISABLED
    if not password_ok:
        user.failed_logins += 1
        if user.failed_logins >= ctx.settings.max_login_failures:
            user.locked_until = now + timedelta(minutes=ctx.settings.login_lock_minutes)
            user.failed_logins = 0
        return WRONG_CREDENTIALS
    return None


@actions.register(
    "session_login",
    LoginInput,
    example={"username": "nobody", "password": "wrong-password"},
    summary="Check a username and password and open a portal session.",
)
def session_login(ctx: Context, data: LoginInput) -> LoginOutcome:
    ctx.authorize("accounts:session:create")
    now = utcnow()
    # The row lock makes concurrent attempts on one account count one after
    # another (PostgreSQL); SQLite transactions are serialised already.
    user = ctx.session.scalar(
        select(User).where(User.username == data.username.lower()).with_for_update()
    )
    password = data.password.get_secret_value()
    # Always pay for one hash, so the answer time does not tell which accounts exist.
    password_ok = verify_password(user.password_hash if user else DUMMY_HASH, password)
    refusal = _refusal(ctx, user, password_ok=password_ok, now=now)
    if user is None or refusal is not None:
        code, message = refusal or WRONG_CREDENTIALS
        return _refuse(ctx, user, user.username if user else data.username, code, message)
    user.failed_logins = 0
    user.locked_until = None
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    token = secrets.token_urlsafe(32)
    login = LoginSession(
        token_hash=token_hash(token),
        user_id=user.id,
        csrf_token=secrets.token_urlsafe(32),
        created_at=now,
        expires_at=now + timedelta(hours=ctx.settings.session_hours),
    )
    ctx.session.execute(
        delete(LoginSession).where(LoginSession.user_id == user.id, LoginSession.expires_at < now)
    )
    ctx.session.add(login)
    record_event(ctx, LoginSucceeded(subject_id=user.id, username=user.username))
    return LoginOutcome(
        result=LoginResult(
            token=token,
            csrf_token=login.csrf_token,
            expires_at=login.expires_at,
            user=user_out(ctx, user),
        )
    )


@actions.register(
    "session_logout",
    LogoutInput,
    example={"token": "not-a-token"},
    summary="End a portal session.",
)
def session_logout(ctx: Context, data: LogoutInput) -> dict[str, str]:
    ctx.authorize("accounts:session:delete")
    login = ctx.session.get(LoginSession, token_hash(data.token))
    if login is not None and login.user_id == ctx.actor.id:
        ctx.session.delete(login)
    return {"status": "logged_out"}
