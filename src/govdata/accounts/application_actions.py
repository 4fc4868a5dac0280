"""Actions on applications (calling systems) and their API keys."""

from __future__ import annotations

import secrets
from datetime import timedelta

from sqlalchemy import select

from govdata.accounts.events import (
    ApiKeyIssuedEvent,
    ApiKeyRevokedEvent,
    ApplicationActivityChanged,
    ApplicationRegistered,
)
from govdata.accounts.models import ApiKey, Application
from govdata.accounts.queries import application_out, get_application, get_org
from govdata.accounts.schemas import (
    ActiveState,
    ApiKeyCreate,
    ApiKeyIssued,
    ApiKeyRevoke,
    ApplicationCreate,
    ApplicationId,
    ApplicationOut,
    ApplicationQuery,
)
from govdata.accounts.services import assignments_of
from govdata.actions import ActionSet, Context
from govdata.authz import Role
from govdata.db import new_id, utcnow
from govdata.errors import Conflict, NotFound
from govdata.events import record_event
from govdata.orgs.models import Organisation
from govdata.orgs.scopes import scoped_listing

actions = ActionSet("accounts.applications")


def _authorize_acting_as(ctx: Context, app: Application) -> list[str]:
    """A key lets its holder act as the application: whoever issues one (or
    switches the application back on) must hold every role the application has.
    Returns the ids of those role assignments."""
    held = []
    for assignment, org in assignments_of(ctx.session, application_id=app.id):
        ctx.authorize_delegation(Role(assignment.role), org.ref, subtree=assignment.include_subtree)
        held.append(assignment.id)
    return held


@actions.register(
    "application_create",
    ApplicationCreate,
    example={"name": "示例应用", "organisation_id": "00000000-0000-0000-0000-000000000000"},
    summary="Register an application (a calling system) of an organisation.",
)
def application_create(ctx: Context, data: ApplicationCreate) -> ApplicationOut:
    ctx.authorize_somewhere("accounts:application:create")
    org = get_org(ctx, data.organisation_id)
    ctx.authorize("accounts:application:create", org.ref)
    if ctx.session.scalar(
        select(Application.id).where(
            Application.organisation_id == org.id, Application.name == data.name
        )
    ):
        raise Conflict(
            f"“{org.name}”已登记名为“{data.name}”的应用",
            code="application_exists",
            fields={"name": "名称重复"},
        )
    app = Application(
        id=new_id(),
        name=data.name,
        organisation_id=org.id,
        description=data.description,
        is_active=True,
        created_by=ctx.actor.id,
    )
    ctx.session.add(app)
    ctx.session.flush()
    record_event(
        ctx, ApplicationRegistered(subject_id=app.id, app_name=app.name, organisation_id=org.id)
    )
    return application_out(ctx, app)


@actions.register(
    "application_list",
    ApplicationQuery,
    example={},
    summary="Applications the caller may see, optionally of one organisation's subtree.",
    read_only=True,
)
def application_list(ctx: Context, data: ApplicationQuery) -> list[ApplicationOut]:
    query = (
        select(Application)
        .join(Organisation, Organisation.id == Application.organisation_id)
        .order_by(Application.name)
    )
    query = scoped_listing(ctx, query, "accounts:application:read", data.organisation_id)
    return [application_out(ctx, app) for app in ctx.session.scalars(query)]


@actions.register(
    "application_show",
    ApplicationId,
    example={"id": "00000000-0000-0000-0000-000000000000"},
    summary="One application with its keys (never their secrets).",
    read_only=True,
)
def application_show(ctx: Context, data: ApplicationId) -> ApplicationOut:
    ctx.authorize_somewhere("accounts:application:read")
    app = get_application(ctx, data.id)
    ctx.authorize("accounts:application:read", get_org(ctx, app.organisation_id).ref)
    return application_out(ctx, app)


@actions.register(
    "api_key_create",
    ApiKeyCreate,
    example={"application_id": "00000000-0000-0000-0000-000000000000"},
    summary="Issue an HMAC key for an application; the secret is returned once.",
)
def api_key_create(ctx: Context, data: ApiKeyCreate) -> ApiKeyIssued:
    ctx.authorize_somewhere("accounts:application:manage_keys")
    app = get_application(ctx, data.application_id)
    ctx.authorize("accounts:application:manage_keys", get_org(ctx, app.organisation_id).ref)
    assignment_ids = _authorize_acting_as(ctx, app)
    key_id = "gk_" + secrets.token_hex(12)
    secret = secrets.token_urlsafe(32)
    expires_at = utcnow() + timedelta(days=data.valid_days) if data.valid_days else None
    ctx.session.add(
        ApiKey(
            key_id=key_id,
            application_id=app.id,
            secret_ciphertext=ctx.services.secretbox.seal(
                secret.encode("utf-8"), key_id.encode("ascii")
            ),
            expires_at=expires_at,
            assignment_ids=assignment_ids,
        )
    )
    record_event(ctx, ApiKeyIssuedEvent(subject_id=key_id, application_id=app.id))
    return ApiKeyIssued(key_id=key_id, secret=secret, expires_at=expires_at)


@actions.register(
    "api_key_revoke",
    ApiKeyRevoke,
    example={"key_id": "gk_000000000000000000000000"},
    summary="Revoke an API key at once.",
)
def api_key_revoke(ctx: Context, data: ApiKeyRevoke) -> dict[str, str]:
    ctx.authorize_somewhere("accounts:application:manage_keys")
    key = ctx.session.get(ApiKey, data.key_id)
    if key is None:
        raise NotFound("API密钥不存在", fields={"key_id": data.key_id})
    app = get_application(ctx, key.application_id)
    ctx.authorize("accounts:application:manage_keys", get_org(ctx, app.organisation_id).ref)
    if key.revoked_at is None:
        key.revoked_at = utcnow()
        record_event(ctx, ApiKeyRevokedEvent(subject_id=key.key_id, application_id=app.id))
    return {"key_id": key.key_id, "status": "revoked"}


@actions.register(
    "application_set_active",
    ActiveState,
    example={"id": "00000000-0000-0000-0000-000000000000", "active": False},
    summary="Stop an application's keys from working, or let them work again.",
)
def application_set_active(ctx: Context, data: ActiveState) -> ApplicationOut:
    ctx.authorize_somewhere("accounts:application:manage_keys")
    app = get_application(ctx, data.id)
    ctx.authorize("accounts:application:manage_keys", get_org(ctx, app.organisation_id).ref)
    if data.active:
        _authorize_acting_as(ctx, app)
    if app.is_active != data.active:
        app.is_active = data.active
        record_event(ctx, ApplicationActivityChanged(subject_id=app.id, active=data.active))
    return application_out(ctx, app)
