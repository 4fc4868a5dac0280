"""The action layer: the only way to read or change state.

Every entry point (API route, portal page, CLI command, job, peer node) calls
``registry.run(name, ctx, data)``. An action is a function
``noun_verb(ctx, data) -> plain data`` that validates nothing itself (its input
model does), authorises itself with ``ctx.authorize`` and never commits.
The registry refuses to return the result of an action that did not authorise.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Self, TypeVar

from pydantic import BaseModel, ValidationError
from sqlalchemy import event
from sqlalchemy.orm import Session

from govdata.access.policy import Decision
from govdata.authz import ROLE_LABELS, Actor, OrgRef, PolicyTable, Role
from govdata.errors import Forbidden, GovdataError, InvalidInput
from govdata.services import Services
from govdata.settings import Settings

InputT = TypeVar("InputT", bound=BaseModel)
ActionFunc = Callable[["Context", Any], Any]
# Told of every refusal (``Forbidden``) an action raised; returns the records that
# must outlive the action's rolled-back transaction (govdata.audit.refusals).
RefusalRecorder = Callable[["Context", str, BaseModel, Forbidden], list[Any]]
DeferredWrite = Callable[["Context"], None]


class BatchedWrite:
    """A deferred write that can be made together with the same kind of write of
    other calls: a group committer (govdata.web.group_commit) hands all of a
    batch's writes of one class to :meth:`write_batch` at once (one statement
    for all, say). ``write_batch`` makes them all or raises; then each call's
    writes are made again on their own, through ``__call__`` (which records a
    refusal as the single write would)."""

    def __call__(self, ctx: Context) -> None:
        type(self).write_batch(ctx.session, [self])

    @classmethod
    def write_batch(cls, session: Session, writes: Sequence[Self]) -> None:
        raise NotImplementedError


class AuthorizationNotChecked(RuntimeError):
    """An action returned without calling ``ctx.authorize``: a programming error."""


@dataclass
class Context:
    """What every action receives: the caller's session, actor and node."""

    session: Session
    actor: Actor
    policy: PolicyTable
    settings: Settings
    services: Services
    request_id: str | None = None
    checks: list[str] = field(default_factory=list)
    # Grade decisions of the reads made so far (govdata.access.enforce).
    decisions: list[Decision] = field(default_factory=list)
    # Where the request came from (the client's address), for the audit trail (X6).
    client_address: str | None = None
    # Records that must be kept whether or not the action succeeds (audit alerts,
    # refused attempts). With ``defer_survivors`` the unit of work writes them in a
    # short transaction of their own once the action's transaction has ended; else
    # they join the caller's session (tests and scripts that own the session).
    survivors: list[Any] = field(default_factory=list)
    defer_survivors: bool = False
    # Writes an action that reads hands on to be made after it (``write_after``):
    # with ``defer_writes`` the unit of work makes them in a write transaction of
    # its own, possibly shared with other requests' (govdata.web.group_commit); else
    # the registry makes them in the caller's session when the action returns.
    deferred_writes: list[DeferredWrite] = field(default_factory=list)
    defer_writes: bool = False

    def authorize(self, permission: str, target: OrgRef | None = None) -> None:
        """Allow or raise ``Forbidden``/``Unauthenticated``; recorded either way."""
        self.checks.append(permission)
        self.policy.check(self.actor, permission, target)

    def authorize_somewhere(self, permission: str) -> None:
        """The caller must hold the permission at some organisation.

        Used before looking up the object an action touches (so that callers
        without the role learn nothing, not even whether it exists) and for
        lists filtered row by row with :meth:`can`.
        """
        self.checks.append(permission)
        self.policy.check(self.actor, permission, anywhere=True)

    def authorize_delegation(self, role: Role, target: OrgRef, *, subtree: bool) -> None:
        """Refuse to hand on a role the caller does not hold over the same reach."""
        self.checks.append("accounts:role:grant")
        if not self.policy.may_delegate(self.actor, role, target, subtree=subtree):
            raise Forbidden(
                f"不能授出本人不具备的权限：{ROLE_LABELS[role]}"
                + ("（含下级）" if subtree else ""),
                code="delegation_refused",
                fields={"role": role.value},
            )

    def can(self, permission: str, target: OrgRef | None = None) -> bool:
        """A decision without raising, for filtering lists. It is not an
        authorisation check: an action must still call an ``authorize*`` method."""
        return self.policy.is_allowed(self.actor, permission, target)

    def write_after(self, write: DeferredWrite) -> None:
        """Make ``write`` once the action has returned, before its result is given
        to anyone. ``write`` receives a context like this one whose session is the
        writing transaction's; a ``GovdataError`` it raises fails the call (nothing
        it returned is delivered). Only for actions registered ``writes_later``."""
        self.deferred_writes.append(write)

    def after_commit(self, callback: Callable[[], None]) -> None:
        """Run ``callback`` once the caller's transaction has committed."""

        def _fire(_session: Session) -> None:
            callback()

        event.listen(self.session, "after_commit", _fire, once=True)


@dataclass(frozen=True)
class ActionSpec:
    name: str
    func: ActionFunc
    input_model: type[BaseModel]
    example: dict[str, Any]
    summary: str
    read_only: bool = False
    writes_later: bool = False


class ReadOnlyActionWrote(RuntimeError):
    """An action declared read-only changed the session: a programming error."""


class ActionSet:
    """The actions of one area, collected by decorator and composed by the app."""

    def __init__(self, area: str) -> None:
        self.area = area
        self.specs: list[ActionSpec] = []

    def register(
        self,
        name: str,
        input_model: type[InputT],
        *,
        example: dict[str, Any],
        summary: str,
        read_only: bool = False,
        writes_later: bool = False,
    ) -> Callable[[Callable[[Context, InputT], Any]], Callable[[Context, InputT], Any]]:
        """Register an action. ``read_only`` actions run in a transaction that
        does not take the embedded database's write lock, and may not write.
        ``writes_later`` actions read like those and hand what they must record
        to ``ctx.write_after`` (the services, whose every call is recorded)."""
        if read_only and writes_later:
            raise ValueError(f"{name}: an action is read-only or writes later, not both")

        def decorate(func: Callable[[Context, InputT], Any]) -> Callable[[Context, InputT], Any]:
            self.specs.append(
                ActionSpec(name, func, input_model, example, summary, read_only, writes_later)
            )
            return func

        return decorate


_ERROR_LABELS = {
    "missing": "必填",
    "string_too_short": "过短",
    "string_too_long": "过长",
    "string_pattern_mismatch": "格式不正确",
    "string_type": "应为字符串",
    "int_parsing": "应为整数",
    "int_type": "应为整数",
    "bool_parsing": "应为布尔值",
    "bool_type": "应为布尔值",
    "enum": "不是允许的取值",
    "literal_error": "不是允许的取值",
    "extra_forbidden": "不允许的字段",
    "dict_type": "应为对象",
    "model_type": "应为对象",
    "list_type": "应为数组",
}


def validation_fields(exc: ValidationError) -> dict[str, str]:
    fields: dict[str, str] = {}
    for err in exc.errors():
        loc = ".".join(str(part) for part in err["loc"]) or "body"
        label = _ERROR_LABELS.get(err["type"])
        message = str(err["msg"])
        if err["type"] == "value_error":
            message = message.removeprefix("Value error, ")
        fields[loc] = f"{label}（{message}）" if label else message
    return fields


class ActionRegistry:
    def __init__(
        self, action_sets: Iterable[ActionSet], *, on_refusal: RefusalRecorder | None = None
    ) -> None:
        self._on_refusal = on_refusal
        self._specs: dict[str, ActionSpec] = {}
        for action_set in action_sets:
            for spec in action_set.specs:
                if spec.name in self._specs:
                    raise ValueError(f"action registered twice: {spec.name}")
                self._specs[spec.name] = spec

    def names(self) -> list[str]:
        return sorted(self._specs)

    def get(self, name: str) -> ActionSpec:
        try:
            return self._specs[name]
        except KeyError:
            raise LookupError(f"unknown action: {name}") from None

    def run(self, name: str, ctx: Context, data: dict[str, Any] | BaseModel | None = None) -> Any:
        spec = self.get(name)
        raw = data.model_dump() if isinstance(data, BaseModel) else (data or {})
        try:
            payload = spec.input_model.model_validate(raw)
        except ValidationError as exc:
            raise InvalidInput(fields=validation_fields(exc)) from None
        checks_before = len(ctx.checks)
        try:
            result = spec.func(ctx, payload)
        except Forbidden as refused:
            if self._on_refusal is not None and ctx.actor.is_authenticated:
                ctx.survivors.extend(self._on_refusal(ctx, name, payload, refused))
            keep_survivors(ctx)
            raise
        except GovdataError:
            keep_survivors(ctx)
            raise
        if len(ctx.checks) == checks_before:
            raise AuthorizationNotChecked(f"action {name} returned without authorising")
        if spec.read_only and (ctx.session.new or ctx.session.dirty or ctx.session.deleted):
            raise ReadOnlyActionWrote(f"read-only action {name} changed the session")
        if ctx.deferred_writes and not spec.writes_later:
            raise ReadOnlyActionWrote(f"action {name} deferred writes without writes_later")
        if not ctx.defer_writes:
            try:
                make_deferred_writes(ctx)
            except GovdataError:
                keep_survivors(ctx)
                raise
        keep_survivors(ctx)
        return result

    def is_read_only(self, name: str) -> bool:
        return self.get(name).read_only

    def writes_later(self, name: str) -> bool:
        return self.get(name).writes_later


def make_deferred_writes(ctx: Context) -> None:
    """Make the writes ``ctx`` deferred, in order, in its own session."""
    writes, ctx.deferred_writes = list(ctx.deferred_writes), []
    for write in writes:
        write(ctx)


def keep_survivors(ctx: Context) -> None:
    """Hand the records that outlive the action to the caller's session, unless the
    unit of work writes them itself after the action's transaction."""
    if ctx.defer_survivors or not ctx.survivors:
        return
    ctx.session.add_all(ctx.survivors)
    ctx.survivors.clear()
