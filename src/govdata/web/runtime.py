"""What a running node holds: settings, database, actions, policy, backends."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from contextlib import nullcontext
from dataclasses import dataclass, field
from typing import Any, TypeVar

from prometheus_client import CollectorRegistry
from sqlalchemy.orm import Session
from starlette.requests import Request

from govdata.actions import ActionRegistry, Context, DeferredWrite
from govdata.authz import Actor, PolicyTable
from govdata.caches import NODE_CACHES, NodeCaches
from govdata.db import READ_ONLY, Database, forbid_writes
from govdata.services import Services
from govdata.settings import Settings
from govdata.web.group_commit import GroupCommitter

T = TypeVar("T")
log = logging.getLogger(__name__)


@dataclass
class Runtime:
    settings: Settings
    db: Database
    registry: ActionRegistry
    policy: PolicyTable
    services: Services
    metrics: CollectorRegistry
    committer: GroupCommitter = field(init=False)
    caches: NodeCaches = field(init=False)

    def __post_init__(self) -> None:
        self.committer = GroupCommitter(self.db)
        self.caches = NodeCaches()

    def lend_caches(self, session: Session) -> None:
        """A node serving on its own engine lends its sessions the process's
        caches (govdata.caches); on the tests' shared connection there are none."""
        if not self.committer.inline:
            session.info[NODE_CACHES] = self.caches

    def unit_of_work(
        self,
        actor: Actor,
        request_id: str | None,
        work: Callable[[Context], T],
        *,
        read_only: bool = False,
        writes_later: bool = False,
        client_address: str | None = None,
        identify: Callable[[Session], Actor] | None = None,
    ) -> T:
        """Run ``work`` in one transaction that commits only if it succeeds.

        ``read_only`` work does not take the embedded database's write lock,
        and any attempt of it to write is refused (``db.forbid_writes``).
        ``writes_later`` work reads the same way; the writes it defers
        (``ctx.write_after``) are made by the group committer once its
        transaction has ended, and the result is returned only when they are
        committed. Records the audit must keep either way (``ctx.survivors``:
        alerts, refused attempts) are written afterwards in a short transaction
        of their own. With ``identify`` the actor is whom it finds, in the same
        transaction (a signed service call's key and roles), not ``actor``.
        """
        survivors: list[Any] = []
        deferred: list[DeferredWrite] = []
        reads_only = read_only or writes_later
        gathering = self.committer.expecting() if writes_later else nullcontext()
        with gathering:
            try:
                with self.db.transaction() as session:
                    self.lend_caches(session)
                    lift_ban = (
                        forbid_writes(session, session.connection(execution_options=READ_ONLY))
                        if reads_only
                        else None
                    )
                    try:
                        ctx = Context(
                            session=session,
                            actor=actor if identify is None else identify(session),
                            policy=self.policy,
                            settings=self.settings,
                            services=self.services,
                            request_id=request_id,
                            client_address=client_address,
                            survivors=survivors,
                            defer_survivors=True,
                            deferred_writes=deferred,
                            defer_writes=writes_later,
                        )
                        result = work(ctx)
                    finally:
                        if lift_ban is not None:
                            lift_ban()
                if ctx.deferred_writes:
                    self.committer.write(ctx, ctx.deferred_writes)
            finally:
                self.keep_survivors(survivors)
        if not reads_only:
            self.after_commit()
        return result

    def keep_survivors(self, survivors: list[Any]) -> None:
        if not survivors:
            return
        try:
            with self.db.transaction() as session:
                session.add_all(survivors)
        except Exception:  # the caller's own outcome must not change because of this
            log.exception("audit records could not be written")

    def run_action(
        self,
        actor: Actor,
        request_id: str | None,
        name: str,
        data: Any,
        client_address: str | None = None,
        *,
        first_writes: Sequence[DeferredWrite] = (),
    ) -> Any:
        """Run one action in a unit of work. ``first_writes`` (an action that
        ``writes_later`` only) are made before the writes the action defers, in
        the same transaction: a signed service call's nonce."""
        if first_writes and not self.registry.writes_later(name):
            raise ValueError(f"{name} does not write later; it cannot take first writes")

        def work(ctx: Context) -> Any:
            ctx.deferred_writes.extend(first_writes)
            return self.registry.run(name, ctx, data)

        return self.unit_of_work(
            actor,
            request_id,
            work,
            read_only=self.registry.is_read_only(name),
            writes_later=self.registry.writes_later(name),
            client_address=client_address,
        )

    def prepare(self) -> None:
        """Before serving: bring the catalog search index up to date with the
        database (built from scratch when there is none)."""
        self.services.search.sync(self.db)

    def after_commit(self) -> None:
        """Work that follows a committed change: refresh the catalog search index."""
        if not self.services.search.pending:
            return
        try:
            self.services.search.sync(self.db)
        except Exception:  # the change is committed; the queue keeps the work
            log.exception("catalog search index sync failed; it will be retried")


def runtime_of(request: Request) -> Runtime:
    rt: Runtime = request.app.state.runtime
    return rt


def client_address_of(request: Request) -> str | None:
    """The address the request came from, as the server saw it (behind a proxy,
    the proxy's, unless the server is told to trust forwarded headers)."""
    return request.client.host if request.client else None


def request_id_of(request: Request) -> str | None:
    value = getattr(request.state, "request_id", None)
    return str(value) if value else None
