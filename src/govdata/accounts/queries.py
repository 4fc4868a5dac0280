"""Read helpers shared by the accounts actions (plain data out, never ORM rows)."""

from __future__ import annotations

from sqlalchemy import select

from govdata.accounts.models import ApiKey, Application, RoleAssignment, User
from govdata.accounts.schemas import ApiKeyOut, ApplicationOut, RoleAssignmentOut, UserOut
from govdata.accounts.services import assignments_of
from govdata.actions import Context
from govdata.authz import ROLE_LABELS, Role
from govdata.errors import NotFound
from govdata.orgs.actions import get_organisation
from govdata.orgs.models import Organisation


def get_user(ctx: Context, user_id: str) -> User:
    user = ctx.session.get(User, user_id)
    if user is None:
        raise NotFound("用户不存在", fields={"id": user_id})
    return user


def get_application(ctx: Context, app_id: str) -> Application:
    app = ctx.session.get(Application, app_id)
    if app is None:
        raise NotFound("应用不存在", fields={"id": app_id})
    return app


def get_org(ctx: Context, org_id: str) -> Organisation:
    return get_organisation(ctx, org_id, field="organisation_id")


def assignment_out(assignment: RoleAssignment, org: Organisation) -> RoleAssignmentOut:
    role = Role(assignment.role)
    return RoleAssignmentOut(
        id=assignment.id,
        role=role,
        role_label=ROLE_LABELS[role],
        organisation_id=org.id,
        organisation_name=org.name,
        include_subtree=assignment.include_subtree,
    )


def user_out(ctx: Context, user: User) -> UserOut:
    org = get_org(ctx, user.organisation_id)
    return UserOut(
        id=user.id,
        username=user.username,
        display_name=user.display_name,
        organisation_id=user.organisation_id,
        organisation_name=org.name,
        is_active=user.is_active,
        roles=[assignment_out(a, o) for a, o in assignments_of(ctx.session, user_id=user.id)],
        created_at=user.created_at,
    )


def application_out(ctx: Context, app: Application) -> ApplicationOut:
    org = get_org(ctx, app.organisation_id)
    keys = ctx.session.scalars(
        select(ApiKey).where(ApiKey.application_id == app.id).order_by(ApiKey.created_at)
    )
    return ApplicationOut(
        id=app.id,
        name=app.name,
        organisation_id=app.organisation_id,
        organisation_name=org.name,
        description=app.description,
        is_active=app.is_active,
        keys=[
            ApiKeyOut(
                key_id=k.key_id,
                created_at=k.created_at,
                expires_at=k.expires_at,
                revoked_at=k.revoked_at,
                last_used_at=k.last_used_at,
            )
            for k in keys
        ],
        roles=[assignment_out(a, o) for a, o in assignments_of(ctx.session, application_id=app.id)],
        created_at=app.created_at,
    )
