"""Scratch databases for tests: a SQLite file, or a fresh PostgreSQL database.

Set ``GOVDATA_TEST_DATABASE_URL`` to a PostgreSQL server URL to target PostgreSQL.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

TEST_DATABASE_ENV = "GOVDATA_TEST_DATABASE_URL"


def create_scratch_database(server_url: str) -> str:
    """A new, empty PostgreSQL database on the given server; returns its URL."""
    url = make_url(server_url)
    name = f"govdata_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return url.set(database=name).render_as_string(hide_password=False)


def drop_scratch_database(database_url: str) -> None:
    url = make_url(database_url)
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(
            text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = :name AND pid <> pg_backend_pid()"
            ),
            {"name": url.database},
        )
        connection.execute(text(f'DROP DATABASE IF EXISTS "{url.database}"'))
    admin.dispose()


def scratch_database_url(tmp_dir: Path) -> Iterator[str]:
    """A fresh database of the kind this run targets."""
    server = os.environ.get(TEST_DATABASE_ENV)
    if not server:
        yield f"sqlite:///{tmp_dir / 'govdata-test.sqlite3'}"
        return
    url = create_scratch_database(server)
    try:
        yield url
    finally:
        drop_scratch_database(url)
