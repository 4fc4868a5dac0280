"""Actions on people and their roles."""

from __future__ import annotations

from sqlalchemy import delete, select

from govdata.accounts.events import (
    PasswordChanged,
    RoleGranted,
    RoleRevoked,
    UserActivityChanged,
    UserCreated,
)
from govdata.accounts.models import LoginSession, RoleAssignment, User
from govdata.accounts.passwords import hash_password, password_problems, verify_password
from govdata.accounts.queries import (
    assignment_out,
    get_application,
    get_org,
    get_user,
    user_out,
)
from govdata.accounts.schemas import (
    ActiveState,
    AssignmentId,
    PasswordChange,
    RoleAssignmentOut,
    RoleGrantInput,
    UserCreate,
    UserId,
    UserOut,
    UserQuery,
)
from govdata.accounts.services import assignments_of
from govdata.actions import ActionSet, Context
from govdata.authz import ASSIGNABLE_ROLES, ROLE_LABELS, Role
from govdata.db import new_id
from govdata.errors import Conflict, InvalidInput, NotFound
from govdata.events import record_event
from govdata.orgs.models import Organisation
from govdata.orgs.scopes import scoped_listing

actions = ActionSet("accounts")


def _grantee_org(ctx: Context, user_id: str | None, application_id: str | None) -> Organisation:
    """The organisation the person or application holding a role belongs to."""
    if user_id is not None:
        return get_org(ctx, get_user(ctx, user_id).organisation_id)
    return get_org(ctx, get_application(ctx, application_id or "").organisation_id)


def _grant(ctx: Context, data: RoleGrantInput) -> RoleAssignment:
    """Grant a role: the caller must manage roles both where the grantee belongs
    and where the role applies, and hold the role there over the same reach."""
    ctx.authorize_somewhere("accounts:role:grant")
    org = get_org(ctx, data.organisation_id)
    ctx.authorize("accounts:role:grant", org.ref)
    grantee = _grantee_org(ctx, data.user_id, data.application_id)
    ctx.authorize("accounts:role:grant", grantee.ref)
    if data.role not in ASSIGNABLE_ROLES:
        raise InvalidInput(f"角色“{ROLE_LABELS[data.role]}”不能授予", fields={"role": "不可授予"})
    ctx.authorize_delegation(data.role, org.ref, subtree=data.include_subtree)
    existing = ctx.session.scalar(
        select(RoleAssignment).where(
            RoleAssignment.user_id.is_(None)
            if data.user_id is None
            else RoleAssignment.user_id == data.user_id,
            RoleAssignment.application_id.is_(None)
            if data.application_id is None
            else RoleAssignment.application_id == data.application_id,
            RoleAssignment.role == data.role.value,
            RoleAssignment.organisation_id == org.id,
        )
    )
    if existing is not None:
        raise Conflict("该角色已经授予", code="role_already_granted")
    assignment = RoleAssignment(
        id=new_id(),
        user_id=data.user_id,
        application_id=data.application_id,
        role=data.role.value,
        organisation_id=org.id,
        include_subtree=data.include_subtree,
        granted_by=ctx.actor.name,
    )
    ctx.session.add(assignment)
    ctx.session.flush()
    record_event(
        ctx,
        RoleGranted(
            subject_id=assignment.id,
            role=assignment.role,
            organisation_id=org.id,
            include_subtree=assignment.include_subtree,
            user_id=data.user_id,
            application_id=data.application_id,
        ),
    )
    return assignment


@actions.register(
    "user_create",
    UserCreate,
    example={
        "username": "example",
        "display_name": "示例",
        "organisation_id": "00000000-0000-0000-0000-000000000000",
        "password": "Example-Passw0rd",
    },
    summary="Create a person's account in an organisation, optionally with roles.",
)
def user_create(ctx: Context, data: UserCreate) -> UserOut:
    ctx.authorize_somewhere("accounts:user:create")
    org = get_org(ctx, data.organisation_id)
    ctx.authorize("accounts:user:create", org.ref)
    problems = password_problems(data.password.get_secret_value(), data.username)
    if problems:
        raise InvalidInput(
            "密码强度不足", code="weak_password", fields={"password": "；".join(problems)}
        )
    if ctx.session.scalar(select(User.id).where(User.username == data.username)):
        raise Conflict(
            f"用户名“{data.username}”已被使用",
            code="username_taken",
            fields={"username": "已被使用"},
        )
    user = User(
        id=new_id(),
        username=data.username,
        display_name=data.display_name,
        organisation_id=org.id,
        password_hash=hash_password(data.password.get_secret_value()),
        is_active=True,
        failed_logins=0,
    )
    ctx.session.add(user)
    ctx.session.flush()
    record_event(
        ctx, UserCreated(subject_id=user.id, username=user.username, organisation_id=org.id)
    )
    for spec in data.roles:
        _grant(
            ctx,
            RoleGrantInput(
                user_id=user.id,
                role=spec.role,
                organisation_id=spec.organisation_id,
                include_subtree=spec.include_subtree,
            ),
        )
    return user_out(ctx, user)


@actions.register(
    "user_show",
    UserId,
    example={"id": "00000000-0000-0000-0000-000000000000"},
    summary="One account with its roles.",
    read_only=True,
)
def user_show(ctx: Context, data: UserId) -> UserOut:
    if ctx.actor.kind == "user" and ctx.actor.id == data.id:
        ctx.authorize("accounts:user:read_self")
        user = get_user(ctx, data.id)
    else:
        ctx.authorize_somewhere("accounts:user:read")
        user = get_user(ctx, data.id)
        ctx.authorize("accounts:user:read", get_org(ctx, user.organisation_id).ref)
    return user_out(ctx, user)


@actions.register(
    "user_list",
    UserQuery,
    example={},
    summary="Accounts the caller may see, optionally of one organisation's subtree.",
    read_only=True,
)
def user_list(ctx: Context, data: UserQuery) -> list[UserOut]:
    query = (
        select(User)
        .join(Organisation, Organisation.id == User.organisation_id)
        .order_by(User.username)
    )
    query = scoped_listing(ctx, query, "accounts:user:read", data.organisation_id)
    return [user_out(ctx, user) for user in ctx.session.scalars(query)]


@actions.register(
    "role_grant",
    RoleGrantInput,
    example={
        "user_id": "00000000-0000-0000-0000-000000000000",
        "role": "auditor",
        "organisation_id": "00000000-0000-0000-0000-000000000000",
    },
    summary="Grant a role at an organisation to a person or an application.",
)
def role_grant(ctx: Context, data: RoleGrantInput) -> RoleAssignmentOut:
    assignment = _grant(ctx, data)
    return assignment_out(assignment, get_org(ctx, assignment.organisation_id))


@actions.register(
    "role_revoke",
    AssignmentId,
    example={"id": "00000000-0000-0000-0000-000000000000"},
    summary="Withdraw a role assignment.",
)
def role_revoke(ctx: Context, data: AssignmentId) -> dict[str, str]:
    ctx.authorize_somewhere("accounts:role:grant")
    assignment = ctx.session.get(RoleAssignment, data.id)
    if assignment is None:
        raise NotFound("角色授权不存在", fields={"id": data.id})
    org = get_org(ctx, assignment.organisation_id)
    ctx.authorize("accounts:role:grant", org.ref)
    grantee = _grantee_org(ctx, assignment.user_id, assignment.application_id)
    ctx.authorize("accounts:role:grant", grantee.ref)
    ctx.authorize_delegation(Role(assignment.role), org.ref, subtree=assignment.include_subtree)
    if ctx.actor.kind == "user" and assignment.user_id == ctx.actor.id:
        raise InvalidInput("不能撤销自己的角色，请由其他管理员操作", code="cannot_revoke_own_role")
    record_event(
        ctx,
        RoleRevoked(
            subject_id=assignment.id,
            role=assignment.role,
            organisation_id=assignment.organisation_id,
        ),
    )
    ctx.session.delete(assignment)
    ctx.session.flush()
    return {"id": data.id, "status": "revoked"}


@actions.register(
    "password_change",
    PasswordChange,
    example={"current_password": "Old-Passw0rd!", "new_password": "New-Passw0rd!x"},
    summary="Change the caller's own password.",
)
def password_change(ctx: Context, data: PasswordChange) -> dict[str, str]:
    ctx.authorize("accounts:password:change")
    if ctx.actor.kind != "user" or ctx.actor.id is None:
        raise InvalidInput("只有个人账号可以修改密码")
    user = get_user(ctx, ctx.actor.id)
    if not verify_password(user.password_hash, data.current_password.get_secret_value()):
        raise InvalidInput(
            "当前密码不正确", code="wrong_password", fields={"current_password": "不正确"}
        )
    problems = password_problems(data.new_password.get_secret_value(), user.username)
    if problems:
        raise InvalidInput(
            "密码强度不足", code="weak_password", fields={"new_password": "；".join(problems)}
        )
    user.password_hash = hash_password(data.new_password.get_secret_value())
    # Whoever held a session with the old password loses it; so does the caller.
    ctx.session.execute(delete(LoginSession).where(LoginSession.user_id == user.id))
    record_event(ctx, PasswordChanged(subject_id=user.id))
    return {"status": "changed", "sessions": "ended"}


@actions.register(
    "user_set_active",
    ActiveState,
    example={"id": "00000000-0000-0000-0000-000000000000", "active": False},
    summary="Disable an account (ending its sessions) or enable it again.",
)
def user_set_active(ctx: Context, data: ActiveState) -> UserOut:
    ctx.authorize_somewhere("accounts:user:manage")
    user = get_user(ctx, data.id)
    ctx.authorize("accounts:user:manage", get_org(ctx, user.organisation_id).ref)
    if not data.active and ctx.actor.kind == "user" and ctx.actor.id == user.id:
        raise InvalidInput("不能停用自己的账号", code="cannot_disable_self")
    # Switching an account off takes its roles away, switching it on hands them
    # out again: either needs the reach to grant and withdraw every one of them.
    for assignment, org in assignments_of(ctx.session, user_id=user.id):
        ctx.authorize("accounts:role:grant", org.ref)
        ctx.authorize_delegation(Role(assignment.role), org.ref, subtree=assignment.include_subtree)
    if user.is_active != data.active:
        user.is_active = data.active
        if not data.active:
            ctx.session.execute(delete(LoginSession).where(LoginSession.user_id == user.id))
        record_event(ctx, UserActivityChanged(subject_id=user.id, active=data.active))
    return user_out(ctx, user)
