"""Scheduled runs: each tick reaps dead runs and queues the sources that are due.

``govdata serve`` ticks in a background thread (``scheduler_enabled``);
``govdata aggregation worker`` ticks in the foreground and also starts runs
left queued. A due source with a run still active is skipped until the next
time its schedule fires, so a slow load never piles up behind itself.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import TYPE_CHECKING

from sqlalchemy import select

from govdata.actions import Context
from govdata.aggregation.models import Run, Source
from govdata.aggregation.run_actions import queue_run
from govdata.aggregation.runner import reap_stale_runs
from govdata.aggregation.schedule import next_run
from govdata.authz import PolicyTable, system_actor
from govdata.db import Database, utcnow
from govdata.errors import GovdataError
from govdata.ledger.scheduling import checkpoint_if_grown
from govdata.settings import Settings

if TYPE_CHECKING:
    from govdata.services import Services

log = logging.getLogger(__name__)

TICK_SECONDS = 30.0


def tick(db: Database, settings: Settings, services: Services) -> list[str]:
    """Reap dead runs, queue due sources; returns the ids of the runs queued."""
    queued: list[str] = []
    with db.transaction() as session:
        reaped = reap_stale_runs(session, settings)
        if reaped:
            log.warning("marked %d run(s) interrupted: %s", len(reaped), ", ".join(reaped))
        ctx = Context(
            session=session,
            actor=system_actor("scheduler"),
            policy=PolicyTable(()),
            settings=settings,
            services=services,
        )
        now = utcnow()
        due = session.scalars(
            select(Source)
            .where(
                Source.state == "active",
                Source.mode == "physical",
                Source.next_run_at.is_not(None),
                Source.next_run_at <= now,
            )
            .with_for_update()
        ).all()
        for source in due:
            assert source.schedule is not None  # noqa: S101 (next_run_at implies a schedule)
            source.next_run_at = next_run(source.schedule, now)
            try:
                run = queue_run(
                    ctx, source, trigger="schedule", strategy=source.strategy, retry_of=None
                )
            except GovdataError as error:
                log.info("scheduled run of %s skipped: %s", source.id, error.message)
                continue
            queued.append(run.id)
    return queued


def queued_runs(db: Database) -> list[str]:
    with db.transaction() as session:
        return list(
            session.scalars(select(Run.id).where(Run.status == "queued").order_by(Run.created_at))
        )


class SchedulerThread:
    """Ticks every ``TICK_SECONDS`` until stopped (used by ``govdata serve``); signs a
    ledger checkpoint every ``ledger_checkpoint_seconds`` when the ledger has grown."""

    def __init__(self, db: Database, settings: Settings, services: Services) -> None:
        self.db = db
        self.settings = settings
        self.services = services
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="govdata-scheduler", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def _loop(self) -> None:
        every = self.settings.ledger_checkpoint_seconds
        next_checkpoint = time.monotonic() + every
        while not self._stop.is_set():
            try:
                tick(self.db, self.settings, self.services)
            except Exception:  # the loop must survive a bad tick; it is logged
                log.exception("scheduler tick failed")
            if every and time.monotonic() >= next_checkpoint:
                next_checkpoint = time.monotonic() + every
                self.checkpoint()
            self._stop.wait(TICK_SECONDS)

    def checkpoint(self) -> None:
        try:
            signed = checkpoint_if_grown(self.db, self.settings)
        except Exception:  # a failed checkpoint is retried next time; it is logged
            log.exception("ledger checkpoint failed")
            return
        if signed is not None:
            log.info("signed ledger checkpoint at size %d", signed.tree_size)
