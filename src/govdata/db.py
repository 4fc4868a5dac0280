"""The metadata database: SQLite by default, PostgreSQL in production.

The caller owns the transaction: a web request, a CLI command or a job opens a
session with :meth:`Database.transaction`, runs actions in it and commits once.
Actions never commit.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any, ClassVar

from sqlalchemy import JSON, DateTime, MetaData, create_engine, event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

from govdata.errors import Conflict

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {dict[str, Any]: JSON}


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite drops the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)


def new_id() -> str:
    return str(uuid.uuid4())


def _configure_sqlite(engine: Engine) -> None:
    # pysqlite's own transaction handling breaks SAVEPOINT semantics; hand the
    # BEGIN to SQLAlchemy and turn on the pragmas a real database would have.
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    # IMMEDIATE takes the write lock up front: SQLite has one writer, and a
    # deferred transaction that reads and then writes fails with "database is
    # locked" instead of waiting when another writer got there first. Probes
    # that only read ask for a deferred BEGIN (see READ_ONLY).
    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        mode = conn.get_execution_options().get("sqlite_begin", "IMMEDIATE")
        conn.exec_driver_sql(f"BEGIN {mode}")


# Execution options for a connection that will only read (no SQLite write lock).
READ_ONLY = {"sqlite_begin": "DEFERRED"}


class WriteInReadOnlyUnit(RuntimeError):
    """A unit of work declared read-only tried to change data: a programming error."""


_WRITING_STATEMENT = re.compile(
    r"^\s*(INSERT|UPDATE|DELETE|REPLACE|MERGE|UPSERT|CREATE|DROP|ALTER|TRUNCATE)\b",
    re.IGNORECASE,
)


def forbid_writes(session: Session, connection: Connection) -> Callable[[], None]:
    """Make ``session`` refuse any flush, and its ``connection`` any statement that
    writes (ORM or textual SQL). Returns the function that lifts the ban, to be
    called when the unit of work ends (a test's connection outlives it)."""

    def on_flush(flushing: Session, _context: Any, _instances: Any) -> None:
        if flushing.new or flushing.dirty or flushing.deleted:
            raise WriteInReadOnlyUnit("a read-only unit of work tried to write")

    def on_cursor_execute(_conn: Any, _cursor: Any, statement: str, *_rest: Any) -> None:
        if _WRITING_STATEMENT.match(statement):
            raise WriteInReadOnlyUnit("a read-only unit of work tried to write")

    event.listen(session, "before_flush", on_flush)
    event.listen(connection, "before_cursor_execute", on_cursor_execute)

    def lift() -> None:
        event.remove(session, "before_flush", on_flush)
        event.remove(connection, "before_cursor_execute", on_cursor_execute)

    return lift


# Connections kept open: a serving node runs units of work in up to 40 worker
# threads (the web server's thread pool) plus the group committer; a smaller pool
# would open and close a connection for every request beyond it.
POOL_SIZE = 16
POOL_OVERFLOW = 32


def make_engine(url: str) -> Engine:
    pool = {"pool_size": POOL_SIZE, "max_overflow": POOL_OVERFLOW}
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False}, **pool)
        _configure_sqlite(engine)
        return engine
    return create_engine(url, pool_pre_ping=True, **pool)


class Database:
    """An engine and the session factory bound to it (or to one connection)."""

    def __init__(self, engine: Engine, bind: Engine | Connection | None = None) -> None:
        self.engine = engine
        self.url = engine.url.render_as_string(hide_password=False)
        # Bound to a connection (tests), each unit of work is a SAVEPOINT inside
        # the connection's transaction, so the test can roll everything back.
        self.sessionmaker: sessionmaker[Session] = sessionmaker(
            bind=bind if bind is not None else engine,
            expire_on_commit=False,
            join_transaction_mode="create_savepoint",
        )

    @classmethod
    def from_url(cls, url: str) -> Database:
        return cls(make_engine(url))

    @classmethod
    def bound_to(cls, connection: Connection) -> Database:
        return cls(connection.engine, bind=connection)

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """One unit of work: commit when the block succeeds, roll back otherwise.

        A unique or foreign key constraint the checks in the actions did not see
        coming (two identical requests at the same moment) is a Conflict, not a 500.
        """
        session = self.sessionmaker()
        try:
            yield session
            session.commit()
        except IntegrityError:
            session.rollback()
            raise Conflict("与现有数据冲突（可能有相同的请求同时提交），请刷新后重试") from None
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    def dispose(self) -> None:
        self.engine.dispose()
