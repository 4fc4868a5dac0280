"""Keeping the search index a faithful copy of the published catalog.

Publishing writes an :class:`IndexQueueItem` in the same transaction; once it
commits, :meth:`SearchService.sync` turns the queued entries into documents
(or deletions) and applies them to the live index. ``rebuild`` makes a whole
new index generation from the database and swaps it in atomically, so the
index can always be thrown away and rebuilt.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

from sqlalchemy import delete, select
from sqlalchemy.orm import Session, selectinload

from govdata.catalog.models import CatalogEntry, EntryVersion, IndexQueueItem
from govdata.catalog.search.index import BuildStats, CatalogIndex, IndexBusy, IndexMissing
from govdata.catalog.search.model import SearchDocument
from govdata.catalog.store import entries_with_version
from govdata.db import Database
from govdata.errors import GovdataError
from govdata.orgs.codes import DivisionLevel, division_level
from govdata.orgs.models import Organisation

log = logging.getLogger(__name__)


class SearchIndexMissing(GovdataError):
    status = 503
    code = "search_index_missing"
    default_message = "目录检索索引尚未建立，请运行 govdata catalog reindex"


def region_chain(division_code: str) -> tuple[str, ...]:
    """(province, city, county) codes containing a division, as many as apply."""
    level = division_level(division_code)
    if level is DivisionLevel.NATION:
        return ()
    province = division_code[:2] + "0000"
    if level is DivisionLevel.PROVINCE:
        return (province,)
    city = division_code[:4] + "00"
    if level is DivisionLevel.PREFECTURE:
        return (province, city)
    return (province, city, division_code[:6])


def search_document(
    entry: CatalogEntry, version: EntryVersion, org: Organisation
) -> SearchDocument:
    return SearchDocument(
        entry_id=entry.id,
        resource_code=entry.resource_code,
        name=version.name,
        abstract=version.abstract,
        item_names=tuple(item.name for item in version.items),
        provider_id=org.id,
        provider_name=org.name,
        region_codes=region_chain(org.division_code),
        classification_code=version.classification_code,
        share_type=version.share_type,
        open_type=version.open_type,
        grade=version.grade,
        update_cycle=version.update_cycle,
        publish_date=version.publish_date,
    )


def _published(
    session: Session, entry_ids: list[str] | None, after: str | None, limit: int
) -> list[tuple[CatalogEntry, EntryVersion, Organisation]]:
    query = (
        entries_with_version("published")
        .options(selectinload(EntryVersion.items))
        .order_by(CatalogEntry.id)
        .limit(limit)
    )
    if entry_ids is not None:
        query = query.where(CatalogEntry.id.in_(entry_ids))
    if after is not None:
        query = query.where(CatalogEntry.id > after)
    return list(session.execute(query))


def all_documents(session: Session, batch: int = 2000) -> Iterator[SearchDocument]:
    """Every published entry as a document, in batches, from one consistent snapshot."""
    after: str | None = None
    while True:
        rows = _published(session, None, after, batch)
        if not rows:
            return
        yield from (search_document(e, v, o) for e, v, o in rows)
        after = rows[-1][0].id
        session.expunge_all()


class SearchService:
    """The node's catalog search: the index and the queue that feeds it."""

    def __init__(self, root: Path) -> None:
        self.index = CatalogIndex(root)
        self._pending = threading.Event()
        self._sync_lock = threading.Lock()

    @property
    def pending(self) -> bool:
        return self._pending.is_set()

    def request_sync(self) -> None:
        self._pending.set()

    def rebuild(
        self, session: Session, progress: Callable[[int], None] | None = None
    ) -> BuildStats:
        """A new index generation from the database, swapped in when complete.

        Queued entries stay queued: the next sync applies them again, which is
        harmless, so the rebuild itself never writes to the database.
        """
        with self._sync_lock:
            return self.index.rebuild(all_documents(session), progress=progress)

    def sync(self, db: Database) -> int:
        """Apply the queued entries to the index; returns how many were applied.

        A missing index is rebuilt; a busy one (another process writing) is left
        for the next sync, the queue keeping the work.
        """
        if not self.index.exists():
            with db.transaction() as session:
                self.rebuild(session)
        with self._sync_lock:
            self._pending.clear()
            with db.transaction() as session:
                queued = list(session.execute(select(IndexQueueItem.id, IndexQueueItem.entry_id)))
                if not queued:
                    return 0
                entry_ids = sorted({row.entry_id for row in queued})
                rows = _published(session, entry_ids, None, len(entry_ids))
                docs = [search_document(e, v, o) for e, v, o in rows]
            try:
                self.index.upsert(docs)
                gone = sorted(set(entry_ids) - {d.entry_id for d in docs})
                if gone:
                    self.index.delete(gone)
            except IndexBusy:
                log.warning("catalog index busy; %d queued entries wait", len(entry_ids))
                self._pending.set()
                return 0
            with db.transaction() as session:
                session.execute(
                    delete(IndexQueueItem).where(IndexQueueItem.id <= max(row.id for row in queued))
                )
            return len(entry_ids)

    def searcher(self) -> CatalogIndex:
        if not self.index.exists():
            raise SearchIndexMissing()
        return self.index


__all__ = ["IndexMissing", "SearchIndexMissing", "SearchService"]
