"""The access generation: a counter that moves with every change to what decides
who may call and read.

A running node keeps, per process, what it derived from the rows that decide
access (an API key and its application's roles, a grant, an organisation, the
grants a caller's departments hold), so that a stream of service calls does not
read them on every call. Each kept value is stamped with the generation it was
read under. Any write to those rows, through the ORM (a flush) or through an
``INSERT``/``UPDATE``/``DELETE`` statement on the session, adds one to the counter as
that transaction's last write, when it commits; a call reads the counter (one
primary-key read) and uses a kept value only if it was stamped with the current
generation. So a revoked key, a
suspended grant or a removed role is seen by the very next call after the
transaction that changed it commits, as if nothing were kept.

Tables are watched once registered (:func:`watch`, by the areas that own them).
Writes that change no access (an API key's last use) pass the execution option
``{ACCESS_NEUTRAL: True}``. Writes made outside a session (raw connections,
migrations) do not move the counter: they are not how a running node changes
access.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

from sqlalchemy import BigInteger, Integer, Table, event, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column
from sqlalchemy.orm.session import ORMExecuteState
from sqlalchemy.sql.dml import UpdateBase

from govdata.caches import node_cache
from govdata.db import Base

GENERATION_ID = 1
ACCESS_NEUTRAL = "govdata_access_neutral"
_INFO_KEY = "govdata.access_generation"
_BUMPED_KEY = "govdata.access_generation.moved"
T = TypeVar("T")


class AccessGeneration(Base):
    """The one row whose ``value`` moves with every change to watched tables."""

    __tablename__ = "access_generation"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    value: Mapped[int] = mapped_column(BigInteger)


_TABLE: Table = AccessGeneration.__table__  # type: ignore[assignment]
_READ = select(_TABLE.c.value).where(_TABLE.c.id == GENERATION_ID)
_BUMP = update(_TABLE).where(_TABLE.c.id == GENERATION_ID).values(value=_TABLE.c.value + 1)
_watched: set[str] = set()
_watched_classes: set[type[Any]] = set()


def watch(*models: type[Any]) -> None:
    """Writes to these mapped classes' tables move the generation."""
    for model in models:
        _watched_classes.add(model)
        _watched.add(model.__table__.name)


def current(session: Session) -> int:
    """The generation this transaction sees (read once per transaction)."""
    found = session.info.get(_INFO_KEY)
    if isinstance(found, int):
        return found
    value = session.connection().execute(_READ).scalar_one()
    session.info[_INFO_KEY] = int(value)
    return int(value)


def _changed(session: Session) -> None:
    """Watched rows changed in this transaction: the generation moves at its commit,
    and nothing it reads is kept meanwhile."""
    session.info.pop(_INFO_KEY, None)
    session.info[_BUMPED_KEY] = True


@event.listens_for(Session, "before_commit")
def _move_at_commit(session: Session) -> None:
    # The commit's own flush comes after this hook: flush first, so that every change
    # is known. The generation row is locked last (on PostgreSQL until the commit), as
    # the ledger head is, so that two transactions never wait on each other through it.
    session.flush()
    if session.info.get(_BUMPED_KEY):
        session.connection().execute(_BUMP)


@event.listens_for(Session, "before_flush")
def _on_flush(session: Session, _context: Any, _instances: Any) -> None:
    added_or_removed = (*session.new, *session.deleted)
    if any(type(obj) in _watched_classes for obj in added_or_removed) or any(
        type(obj) in _watched_classes and session.is_modified(obj) for obj in session.dirty
    ):
        _changed(session)


@event.listens_for(Session, "do_orm_execute")
def _on_execute(state: ORMExecuteState) -> None:
    if not (state.is_insert or state.is_update or state.is_delete):
        return
    statement = state.statement
    if (
        isinstance(statement, UpdateBase)
        and getattr(statement.table, "name", None) in _watched
        and not state.execution_options.get(ACCESS_NEUTRAL)
    ):
        _changed(state.session)


@event.listens_for(Session, "after_transaction_end")
def _forget(session: Session, transaction: Any) -> None:
    if transaction.parent is None:
        session.info.pop(_INFO_KEY, None)
        session.info.pop(_BUMPED_KEY, None)


class GenerationCache:
    """Values derived from watched tables, each kept with the generation it was
    read under and used only while that generation is current."""

    def __init__(self, limit: int = 4096) -> None:
        self.limit = limit
        self._lock = threading.Lock()
        self._kept: dict[Hashable, tuple[int, object]] = {}

    def get(self, generation: int, key: Hashable) -> object | None:
        with self._lock:
            found = self._kept.get(key)
        if found is None or found[0] != generation:
            return None
        return found[1]

    def keep(self, generation: int, key: Hashable, value: object) -> None:
        with self._lock:
            if len(self._kept) >= self.limit:
                self._kept.clear()
            self._kept[key] = (generation, value)


def kept(session: Session, name: str, key: Hashable, load: Callable[[], T]) -> T:
    """``load()``'s value for ``key`` in the node's cache ``name``: kept from an
    earlier call while the generation has not moved, else loaded (and kept).
    Outside a running node (no caches lent) it is simply loaded."""
    cache = node_cache(session, name, GenerationCache)
    if cache is None or session.info.get(_BUMPED_KEY):
        return load()
    generation = current(session)
    found = cache.get(generation, key)
    if found is not None:
        return found  # type: ignore[return-value]
    value = load()
    if not session.info.get(_BUMPED_KEY):
        # Not kept when this transaction changed watched rows (its flush may
        # come with the load): what it reads may never be committed.
        cache.keep(generation, key, value)
    return value
