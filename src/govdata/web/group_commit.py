"""Group commit of the writes that record service calls.

A service call (query, verification) reads in a transaction that takes no write
lock and hands what it must record (the quota it uses, its delivery event, the
ledger entry) to ``ctx.write_after``. The node's :class:`GroupCommitter` makes
those writes for many concurrent calls in one write transaction, from one
thread: all the calls' writes together, the ledger entries of the whole batch
appended at once, one commit; if any call's writes refuse or fail, that attempt
is undone and the batch written again with each call in a savepoint of its own,
so that a refusal undoes only its own call. Every caller waits until the
transaction holding its writes has committed, so no answer leaves the node
before its record is durable; a call whose writes are refused (its quota ran
out in the meantime) gets that refusal and nothing it read is delivered.

Batching costs a lone call nothing (a batch of one is written at once) and, under
load, turns one write transaction per call into one per batch: on the embedded
database, whose writes are serialised, this is the difference between calls
queueing for the write lock one at a time and a few transactions doing the same
work (docs/decisions/0014-group-commit-of-service-records.md).

A database bound to one connection (the tests' rolled-back transaction) cannot be
written from another thread; there the writes are made in the caller's thread.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Iterator
from concurrent.futures import Future
from contextlib import contextmanager
from dataclasses import dataclass, field, replace

from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from govdata.actions import BatchedWrite, Context, DeferredWrite
from govdata.db import Database
from govdata.errors import GovdataError

log = logging.getLogger(__name__)

MAX_BATCH = 128
STOP_WAIT_SECONDS = 10.0
# How long a batch waits for calls that are still reading (see ``expecting``).
GATHER_SECONDS = 0.004


@dataclass
class _Calls:
    """The deferred writes of one call and the future its caller waits on."""

    ctx: Context
    writes: list[DeferredWrite]
    done: Future[None] = field(default_factory=Future)


class GroupCommitter:
    """Makes deferred writes in shared transactions, from a thread of its own."""

    def __init__(
        self, db: Database, *, max_batch: int = MAX_BATCH, gather_seconds: float = GATHER_SECONDS
    ) -> None:
        self.db = db
        self.max_batch = max_batch
        self.gather_seconds = gather_seconds
        self._expected = 0
        self._queue: queue.Queue[_Calls | None] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._stopped = False
        self.batches = 0
        self.calls = 0

    @property
    def inline(self) -> bool:
        """Whether writes are made in the caller's thread (one shared connection)."""
        return not isinstance(self.db.sessionmaker.kw.get("bind"), Engine)

    def write(self, ctx: Context, writes: list[DeferredWrite]) -> None:
        """Make ``writes`` for the call ``ctx`` and return once they are committed;
        raises what they raised (a refusal) or what failed the transaction."""
        if not writes:
            return
        calls = _Calls(ctx, writes)
        if self.inline or not self._running():
            self._write_batch([calls])
        else:
            self._queue.put(calls)
        calls.done.result()

    @contextmanager
    def expecting(self) -> Iterator[None]:
        """Around a call that will hand writes to :meth:`write` once it has read:
        while such calls are still reading, a batch waits for them (at most
        ``gather_seconds``), so that under load calls share transactions instead
        of each paying for one; a lone call is written at once."""
        with self._lock:
            self._expected += 1
        try:
            yield
        finally:
            with self._lock:
                self._expected -= 1

    def _still_reading(self, batch_size: int) -> bool:
        with self._lock:
            return self._expected > batch_size

    def queued(self) -> int:
        """Calls waiting for the next batch."""
        return self._queue.qsize()

    def stop(self) -> None:
        """Write what is queued, then end the thread."""
        with self._lock:
            self._stopped = True
            thread = self._thread
        if thread is not None:
            self._queue.put(None)
            thread.join(STOP_WAIT_SECONDS)

    def _running(self) -> bool:
        with self._lock:
            if self._stopped:
                return False
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._loop, name="govdata-group-commit", daemon=True
                )
                self._thread.start()
            return True

    def _loop(self) -> None:
        while True:
            first = self._queue.get()
            if first is None:
                return
            batch = [first]
            stopping = False
            deadline = time.monotonic() + self.gather_seconds
            while len(batch) < self.max_batch:
                try:
                    more = self._queue.get_nowait()
                except queue.Empty:
                    wait = deadline - time.monotonic()
                    if wait <= 0 or not self._still_reading(len(batch)):
                        break
                    try:
                        more = self._queue.get(timeout=wait)
                    except queue.Empty:
                        break
                if more is None:
                    stopping = True
                    break
                batch.append(more)
            self._write_batch(batch)
            if stopping:
                return

    def _write_batch(self, batch: list[_Calls]) -> None:
        if len(batch) == 1:
            self._write_alone(batch[0])
            return
        if self._write_plainly(batch):
            return
        refusals: dict[int, GovdataError] = {}
        try:
            with self.db.transaction() as session:
                for n, calls in enumerate(batch):
                    error = _write_one(session, calls)
                    if error is not None:
                        refusals[n] = error
        except Exception:  # noqa: BLE001 (each caller gets its own failure)
            # One call's writes may have failed them all: each alone, then.
            log.warning("group commit of %d calls failed, writing each alone", len(batch))
            for calls in batch:
                self._write_alone(calls)
            return
        self._done(batch, refusals)

    def _write_alone(self, calls: _Calls) -> None:
        """One call's writes in a transaction of their own: committed, or undone with
        the refusal or failure handed to the caller."""
        try:
            with self.db.transaction() as session:
                ctx = replace(calls.ctx, session=session, deferred_writes=[])
                for write in calls.writes:
                    write(ctx)
        except Exception as failure:  # noqa: BLE001 (the caller gets it)
            self.batches += 1
            self.calls += 1
            calls.done.set_exception(failure)
            return
        self._done([calls], {})

    def _write_plainly(self, batch: list[_Calls]) -> bool:
        """The common case first: every call's writes in one transaction without
        savepoints, writes of one :class:`~govdata.actions.BatchedWrite` class made
        for all the calls at once. Any refusal or failure undoes the attempt, and
        the batch is written call by call in savepoints instead; refusals the
        attempt audited are forgotten, as the second pass audits them again."""
        audited = [len(calls.ctx.survivors) for calls in batch]
        try:
            with self.db.transaction() as session:
                together: dict[type[BatchedWrite], list[BatchedWrite]] = {}
                for calls in batch:
                    ctx = replace(calls.ctx, session=session, deferred_writes=[])
                    for write in calls.writes:
                        if isinstance(write, BatchedWrite):
                            together.setdefault(type(write), []).append(write)
                        else:
                            write(ctx)
                for kind, writes in together.items():
                    kind.write_batch(session, writes)
        except Exception:  # noqa: BLE001 (written again, call by call)
            for calls, mark in zip(batch, audited, strict=True):
                del calls.ctx.survivors[mark:]
            return False
        self._done(batch, {})
        return True

    def _done(self, batch: list[_Calls], refusals: dict[int, GovdataError]) -> None:
        self.batches += 1
        self.calls += len(batch)
        for n, calls in enumerate(batch):
            if n in refusals:
                calls.done.set_exception(refusals[n])
            else:
                calls.done.set_result(None)


def _write_one(session: Session, calls: _Calls) -> GovdataError | None:
    """One call's writes in a savepoint; a refusal undoes only them."""
    ctx: Context = replace(calls.ctx, session=session, deferred_writes=[])
    try:
        with session.begin_nested():
            for write in calls.writes:
                write(ctx)
    except GovdataError as refusal:
        return refusal
    return None
