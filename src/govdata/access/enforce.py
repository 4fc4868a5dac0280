"""What actions call to read graded data.

A read first passes the permission check (``ctx.authorize``) as every action does,
then the grade decision of :mod:`govdata.access.policy`. The decision is appended
to ``ctx.decisions`` either way (actions that record a read event copy it there);
a refusal raises :class:`~govdata.errors.Forbidden` with the decision's reason as
its code (``grade_forbidden`` or ``grant_expired``) and a message naming the grade.
"""

from __future__ import annotations

from collections.abc import Sequence

from govdata.access.grants import AccessGrant
from govdata.access.permissions import GRANT_PERMISSION
from govdata.access.policy import Decision, GradedResource, ReadKind, decide_all
from govdata.actions import Context
from govdata.db import utcnow
from govdata.errors import Forbidden
from govdata.grades import GRADE_LABELS

UNGRADED_LABEL = "未定级数据（按核心数据对待）"


def actor_grants(ctx: Context) -> tuple[AccessGrant, ...]:
    """The access grants given to the organisations where the caller holds a role."""
    organisations = {g.organisation_id for g in ctx.actor.grants if g.organisation_id is not None}
    if not organisations:
        return ()
    return tuple(ctx.services.grants.grants_to(ctx.session, organisations))


def authorize_somewhere_to_read(ctx: Context, permission: str) -> None:
    """Before looking data up: the caller holds ``permission`` somewhere, or is a role
    that reads through access grants (which the holder's scope cannot show)."""
    policy, actor = ctx.policy, ctx.actor
    if not policy.holds_anywhere(actor, permission) and policy.holds_anywhere(
        actor, GRANT_PERMISSION
    ):
        ctx.authorize_somewhere(GRANT_PERMISSION)
    else:
        ctx.authorize_somewhere(permission)


def authorize_holder(
    ctx: Context, permission: str, resource: GradedResource, grants: Sequence[AccessGrant]
) -> None:
    """The scope check of a read: ``permission`` at the holder, as before grades
    existed; or, for a caller outside that scope with a grant naming this data,
    the right to read through grants (the grade decision then checks the grant)."""
    named = any(
        grant.resource_id == resource.resource_id and grant.holder_id == resource.holder.id
        for grant in grants
    )
    if named and not ctx.can(permission, resource.holder):
        ctx.authorize(GRANT_PERMISSION)
    else:
        ctx.authorize(permission, resource.holder)


def require_grade(
    ctx: Context,
    resources: Sequence[GradedResource],
    kind: ReadKind,
    grants: Sequence[AccessGrant] | None = None,
) -> Decision:
    """Decide by grade, record the decision, refuse unless allowed."""
    if grants is None:
        grants = actor_grants(ctx)
    decision = decide_all(ctx.actor, resources, kind, grants, utcnow())
    ctx.decisions.append(decision)
    if not decision.allowed:
        raise refusal(decision)
    return decision


def authorize_read(
    ctx: Context, permission: str, resource: GradedResource, kind: ReadKind
) -> Decision:
    """The whole check of one read: scope (or grant), then grade."""
    grants = actor_grants(ctx)
    authorize_holder(ctx, permission, resource, grants)
    return require_grade(ctx, [resource], kind, grants)


def refusal(decision: Decision) -> Forbidden:
    what = GRADE_LABELS[decision.grade] if decision.grade else UNGRADED_LABEL
    fields = {
        "grade": decision.grade.value if decision.grade else "ungraded",
        "ceiling": decision.ceiling.value if decision.ceiling else "",
        "relation": decision.relation.value if decision.relation else "",
    }
    if decision.reason == "grant_expired":
        return Forbidden(f"共享授权已到期，不能再读取{what}", code="grant_expired", fields=fields)
    limit = f"（当前账号最高可读取{GRADE_LABELS[decision.ceiling]}）" if decision.ceiling else ""
    return Forbidden(
        f"当前账号无权读取{what}{limit}；如确需使用，请向数据持有部门申请共享授权",
        code="grade_forbidden",
        fields=fields,
    )
