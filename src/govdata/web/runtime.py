"""What a running node holds: settings, database, actions, policy, backends."""

from __future__ import annotations

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
    ) -> T:
        """Run ``work`` in one transaction that commits only if it succeeds.

        ``read_only`` work does not take the embedded database's write lock,
        and any attempt of it to write is refused (``db.forbid_writes``).
        """
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
            )
            try:
                return work(ctx)
            finally:
                if lift_ban is not None:
                    lift_ban()

    def run_action(self, actor: Actor, request_id: str | None, name: str, data: Any) -> Any:
        return self.unit_of_work(
            actor,
            request_id,
            lambda ctx: self.registry.run(name, ctx, data),
            read_only=self.registry.is_read_only(name),
        )


def runtime_of(request: Request) -> Runtime:
    rt: Runtime = request.app.state.runtime
    return rt


def request_id_of(request: Request) -> str | None:
    value = getattr(request.state, "request_id", None)
    return str(value) if value else None
