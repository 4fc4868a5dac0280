"""One writer per table (convention 7, decision 0003).

On a local lake the writer holds an exclusive ``flock`` on
``<root>/_locks/<table>.lock`` for as long as it writes. The lock belongs to the
open file, so the kernel releases it when the process ends, however it ends: a
killed loader never leaves a table locked. A second writer, in this process or any
other on the machine, is refused at once rather than queued.

On S3 there is no shared file system to lock on, and ``writer_lock`` does nothing.
Writers are then kept apart by the job claim in the metadata database (one run per
table is claimed at a time) and, should two ever race, by Delta's conditional
commit: the log entry for a version can be created only once, so the loser's
commit fails with ``lake_write_conflict`` and nothing of it becomes visible.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager

from govdata.errors import Conflict
from govdata.lake.location import LocalLocation, StorageLocation, validate_table_name


@contextmanager
def writer_lock(location: StorageLocation, name: str) -> Iterator[None]:
    """Hold the right to write table ``name``; ``Conflict(lake_table_busy)`` if taken."""
    validate_table_name(name)
    if not isinstance(location, LocalLocation):
        yield
        return
    path = location.lock_path(name)
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise Conflict(
                "该数据表正由另一个任务写入", code="lake_table_busy", fields={"table": name}
            ) from None
        # The holder's pid, for whoever looks at a busy table; the file is never
        # removed, because unlinking a locked file lets a second writer lock a new one.
        os.ftruncate(descriptor, 0)
        os.write(descriptor, f"{os.getpid()}\n".encode())
        try:
            yield
        finally:
            fcntl.flock(descriptor, fcntl.LOCK_UN)
    finally:
        os.close(descriptor)
