"""Listing only what the caller may see, decided in SQL from the caller's grants."""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Select, false, or_

from govdata.actions import Context
from govdata.orgs.actions import get_organisation
from govdata.orgs.models import Organisation

QueryT = TypeVar("QueryT", bound=Select[*tuple[Any, ...]])


def visible_organisations(ctx: Context, permission: str) -> ColumnElement[bool] | None:
    """A condition on ``Organisation`` matching where the caller holds ``permission``;
    None when the caller holds it over the whole node."""
    roles = ctx.policy.get(permission).roles
    conditions: list[ColumnElement[bool]] = []
    for grant in ctx.actor.effective_grants():
        if grant.role not in roles:
            continue
        if grant.organisation_id is None:
            return None
        conditions.append(Organisation.id == grant.organisation_id)
        if grant.include_subtree:
            conditions.append(Organisation.path.startswith(grant.organisation_path))
    return or_(*conditions) if conditions else false()


def scoped_listing(
    ctx: Context, query: QueryT, permission: str, organisation_id: str | None
) -> QueryT:
    """Restrict ``query`` (already joined to ``Organisation``) to what the caller
    may see, and to one organisation's subtree when ``organisation_id`` is given.
    Authorises: the caller must hold the permission somewhere, or at that
    organisation."""
    if organisation_id is None:
        ctx.authorize_somewhere(permission)
    else:
        org = get_organisation(ctx, organisation_id, field="organisation_id")
        ctx.authorize(permission, org.ref)
        query = query.where(Organisation.path.startswith(org.path))
    visible = visible_organisations(ctx, permission)
    return query if visible is None else query.where(visible)
