"""Specification of concurrent appends on committed data.

Each writer appends in its own transaction on its own connection. On
PostgreSQL (GOVDATA_TEST_DATABASE_URL) they really race and are held back by
the lock on the ledger head row; on SQLite the write transaction serialises
them. Either way no two entries share an index and the tree stays whole.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from govdata.db import Database
from govdata.ledger import append_many, tree_size
from govdata.ledger.audit import audit_database
from govdata.ledger.store import get_leaf
from govdata.migrate import upgrade
from tests.databases import scratch_database_url
from tests.ledger.factories import ledger_entries

WRITERS = 6
BATCHES = 8


@pytest.fixture
def committed(tmp_path: Path) -> Iterator[Database]:
    """A migrated scratch database whose transactions really commit."""
    for url in scratch_database_url(tmp_path):
        database = Database.from_url(url)
        upgrade(database.engine)
        yield database
        database.dispose()


def test_concurrent_appends_take_distinct_consecutive_indices(committed: Database) -> None:
    barrier = threading.Barrier(WRITERS)
    taken: list[range] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def writer(number: int) -> None:
        try:
            barrier.wait()
            for batch in range(BATCHES):
                with committed.transaction() as session:
                    first = 1000 * number + 10 * batch
                    indices = append_many(session, ledger_entries(first, 1 + batch % 3))
                with lock:
                    taken.append(indices)
        except BaseException as error:  # noqa: BLE001 (reported by the main thread)
            errors.append(error)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(WRITERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert errors == []
    indices = sorted(index for batch in taken for index in batch)
    assert indices == list(range(len(indices)))
    with committed.transaction() as session:
        assert tree_size(session) == len(indices)
        report = audit_database(session)
        assert report.ok, report.failures
        for batch in taken:  # each batch is contiguous: one writer's entries stay together
            numbers = {get_leaf(session, index).entry for index in batch}
            assert len(numbers) == len(batch)
