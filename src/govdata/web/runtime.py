"""What a running node holds: settings, database, actions, policy, backends."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from prometheus_client import CollectorRegistry
from starlette.requests import Request

from govdata.actions import ActionRegistry, Context
from govdata.authz import Actor, PolicyTable
from govdata.db import READ_ONLY, Database, forbid_writes
from govdata.services import Services
from govdata.settings import Settings

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

    def unit_of_work(
        self,
        actor: Actor,
        request_id: str | None,
        work: Callable[[Context], T],
        *,
        read_only: bool = False,
        client_address: str | None = None,
    ) -> T:
        """Run ``work`` in one transaction that commits only if it succeeds.

        ``read_only`` work does not take the embedded database's write lock,
        and any attempt of it to write is refused (``db.forbid_writes``).
        Records the audit must keep either way (``ctx.survivors``: alerts,
        refused attempts) are written afterwards in a short transaction of their own.
        """
        survivors: list[Any] = []
        try:
            with self.db.transaction() as session:
                lift_ban = (
                    forbid_writes(session, session.connection(execution_options=READ_ONLY))
                    if read_only
                    else None
                )
                ctx = Context(
                    session=session,
                    actor=actor,
                    policy=self.policy,
                    settings=self.settings,
                    services=self.services,
                    request_id=request_id,
                    client_address=client_address,
                    survivors=survivors,
                    defer_survivors=True,
                )
                try:
                    result = work(ctx)
                finally:
                    if lift_ban is not None:
                        lift_ban()
        finally:
            self.keep_survivors(survivors)
        if not read_only:
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
    ) -> Any:
        return self.unit_of_work(
            actor,
            request_id,
            lambda ctx: self.registry.run(name, ctx, data),
            read_only=self.registry.is_read_only(name),
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
