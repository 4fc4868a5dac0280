"""A writer to be killed: ``python slow_writer.py LAKE_ROOT TABLE READY_FILE``.

It overwrites the people table from a streamed reader, holding the writer lock.
Once Parquet files of this write are on disk (and so before the commit), it
creates READY_FILE and stops in the middle of its stream, waiting to be killed.
Used by ``test_killed_writer.py``.
"""

from __future__ import annotations

import secrets
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa

from govdata.lake.location import LocalLocation
from govdata.lake.locks import writer_lock
from govdata.lake.tables import LakeTable
from tests.lake.factories import PEOPLE_SCHEMA

BATCH_ROWS = 20_000
MAX_BATCHES = 2_000


def batch(number: int) -> pa.RecordBatch:
    start = number * BATCH_ROWS
    arrays = [
        pa.array(range(start, start + BATCH_ROWS), pa.int64()),
        # Random text, so that files grow as fast as rows are written.
        pa.array([secrets.token_hex(16) for _ in range(BATCH_ROWS)]),
        *(pa.nulls(BATCH_ROWS, field.type) for field in list(PEOPLE_SCHEMA)[2:]),
    ]
    return pa.record_batch(arrays, schema=PEOPLE_SCHEMA)


def main(root: Path, name: str, ready: Path) -> None:
    location = LocalLocation(root)
    table = LakeTable(location, name)
    directory = Path(table.uri)
    committed = set(directory.glob("*.parquet"))

    def batches() -> Iterator[pa.RecordBatch]:
        for number in range(MAX_BATCHES):
            yield batch(number)
            if set(directory.glob("*.parquet")) - committed:
                ready.write_text("uncommitted files are on disk\n")
                time.sleep(600)

    with writer_lock(location, name):
        reader = pa.RecordBatchReader.from_batches(PEOPLE_SCHEMA, batches())
        table.write(reader, mode="overwrite", metadata={}, target_file_size=1 << 20)


if __name__ == "__main__":
    main(Path(sys.argv[1]), sys.argv[2], Path(sys.argv[3]))
