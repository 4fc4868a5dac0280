"""The catalog's full-text index (tantivy), kept as swappable generations.

The index is a rebuildable copy of the database. ``root`` holds::

    CURRENT                 the name of the live generation (replaced atomically)
    writer.lock             held by whoever writes (rebuild, upsert, delete)
    generations/<name>/     one complete tantivy index per generation
        .readers            held shared by every reader of the generation

A rebuild writes a brand-new generation and then points ``CURRENT`` at it, so
readers never see a half-built index; every search first checks (two
``stat`` calls) whether ``CURRENT`` or the live generation's commit changed
and, if so, moves on. A generation is deleted only once nobody holds its
``.readers`` lock, by whichever writer or reader next notices it is stale.

What goes into a generation and how a query reads it is in :mod:`.mapping`.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any, cast

import tantivy

from govdata.catalog.search import mapping
from govdata.catalog.search.model import SearchDocument, SearchQuery, SearchResult
from govdata.catalog.search.tokenize import query_words

_CURRENT = "CURRENT"
_GENERATIONS = "generations"
_WRITER_LOCK = "writer.lock"
_READERS = ".readers"
_BUILD_HEAP_BYTES = 512_000_000
_UPDATE_HEAP_BYTES = 50_000_000
_PROGRESS_EVERY = 10_000
_OPEN_ATTEMPTS = 5


class SearchIndexError(Exception):
    """Base of the index's own failures (not caused by the query)."""


class IndexMissing(SearchIndexError):
    def __init__(self, root: Path) -> None:
        super().__init__(f"目录检索索引尚未建立（{root}），请运行 govdata catalog reindex 重建索引")


class IndexBusy(SearchIndexError):
    def __init__(self, root: Path) -> None:
        super().__init__(f"另一个进程正在写入目录检索索引（{root}），请稍后重试")


@dataclass(frozen=True)
class BuildStats:
    documents: int
    seconds: float
    directory: Path
    size_bytes: int


def _is_lock_busy(error: ValueError) -> bool:
    return "LockBusy" in str(error)


def _stamp(path: Path) -> tuple[int, int, int] | None:
    """Changes whenever the file is replaced or rewritten."""
    try:
        status = path.stat()
    except FileNotFoundError:
        return None
    return (status.st_ino, status.st_mtime_ns, status.st_size)


def _directory_size(path: Path) -> int:
    return sum(child.stat().st_size for child in path.rglob("*") if child.is_file())


def _lease(generation: Path, mode: int) -> IO[bytes]:
    """Lock a generation's ``.readers`` file (shared to read, exclusive to delete)."""
    handle = (generation / _READERS).open("ab")
    try:
        fcntl.flock(handle.fileno(), mode | fcntl.LOCK_NB)
    except OSError:
        handle.close()
        raise
    return handle


class _Generation:
    """One opened generation, leased shared for as long as it is open."""

    def __init__(self, path: Path) -> None:
        self.name = path.name
        self.path = path
        self._lease = _lease(path, fcntl.LOCK_SH)
        # Before opening: a commit in between then costs one needless reload,
        # rather than going unseen.
        self.commit_stamp = _stamp(path / "meta.json")
        try:
            # A ValueError if the generation has just been deleted.
            self.index = mapping.prepare(tantivy.Index.open(str(path)))
        except BaseException:
            self._lease.close()
            raise
        self.schema = self.index.schema

    def refresh(self) -> None:
        """Reload the searcher if a writer (in any process) committed since."""
        stamp = _stamp(self.path / "meta.json")
        if stamp != self.commit_stamp:
            self.commit_stamp = stamp
            self.index.reload()

    def close(self) -> None:
        self._lease.close()


class CatalogIndex:
    """Search and maintenance of the catalog index under ``root``.

    One instance per process is meant to be shared: writes are serialised by
    an in-process lock, and a writer in another process makes them fail with
    :class:`IndexBusy` instead of waiting.
    """

    def __init__(self, root: Path) -> None:
        self.root = root
        self._write_lock = threading.Lock()
        self._open_lock = threading.Lock()
        self._generation: _Generation | None = None
        self._current_stamp: tuple[int, int, int] | None = None
        self._counters: ThreadPoolExecutor | None = None

    # ---- generations -------------------------------------------------------

    @property
    def _current_file(self) -> Path:
        return self.root / _CURRENT

    @property
    def _generations(self) -> Path:
        return self.root / _GENERATIONS

    def _current_name(self) -> str | None:
        try:
            name = self._current_file.read_text(encoding="utf-8").strip()
        except FileNotFoundError:
            return None
        return name or None

    def exists(self) -> bool:
        name = self._current_name()
        return name is not None and (self._generations / name / "meta.json").exists()

    def _live(self) -> _Generation:
        """The live generation, moving to a new one if ``CURRENT`` changed."""
        stamp = _stamp(self._current_file)
        generation = self._generation
        if stamp is None:
            raise IndexMissing(self.root)
        if generation is not None and stamp == self._current_stamp:
            generation.refresh()
            return generation
        with self._open_lock:
            for _attempt in range(_OPEN_ATTEMPTS):
                stamp = _stamp(self._current_file)
                name = self._current_name()
                if stamp is None or name is None:
                    raise IndexMissing(self.root)
                current = self._generation
                if current is not None and current.name == name:
                    self._current_stamp = stamp
                    current.refresh()
                    return current
                try:
                    opened = _Generation(self._generations / name)
                except (OSError, ValueError):
                    # Replaced and deleted between reading CURRENT and opening it.
                    time.sleep(0.01)
                    continue
                self._generation, self._current_stamp = opened, stamp
                if current is not None:
                    current.close()
                    self._collect_garbage()
                return opened
        raise IndexMissing(self.root)

    def _collect_garbage(self) -> None:
        """Delete the generations older than the live one that no reader holds (best
        effort). Names are creation times, so one being built is never older."""
        current = self._current_name()
        if current is None:
            return
        with contextlib.suppress(OSError):
            for path in sorted(self._generations.iterdir()):
                if path.name >= current or not path.is_dir():
                    continue
                try:
                    lease = _lease(path, fcntl.LOCK_EX)
                except OSError:
                    continue  # a reader holds it
                try:
                    shutil.rmtree(path, ignore_errors=True)
                finally:
                    lease.close()

    def _point_to(self, name: str) -> None:
        temporary = self.root / f"{_CURRENT}.{os.getpid()}.tmp"
        with temporary.open("w", encoding="utf-8") as handle:
            handle.write(name + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        temporary.replace(self._current_file)
        with contextlib.suppress(OSError):
            directory = os.open(self.root, os.O_RDONLY)
            try:
                os.fsync(directory)
            finally:
                os.close(directory)

    def _new_generation(self) -> tuple[Path, IO[bytes]]:
        self._generations.mkdir(parents=True, exist_ok=True)
        while True:
            name = f"{datetime.now(UTC):%Y%m%dT%H%M%S%fZ}-{os.getpid()}"
            path = self._generations / name
            try:
                path.mkdir()
            except FileExistsError:
                continue
            # Leased from the start so that no one collects it while it is built.
            return path, _lease(path, fcntl.LOCK_SH)

    @contextlib.contextmanager
    def _writing(self) -> Iterator[None]:
        """The one writer: in-process lock, then the cross-process lock file."""
        with self._write_lock:
            self.root.mkdir(parents=True, exist_ok=True)
            handle = (self.root / _WRITER_LOCK).open("ab")
            try:
                try:
                    fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    raise IndexBusy(self.root) from None
                yield
            finally:
                handle.close()

    # ---- writing -----------------------------------------------------------

    def rebuild(
        self,
        documents: Iterable[SearchDocument],
        *,
        progress: Callable[[int], None] | None = None,
    ) -> BuildStats:
        """Build a new generation from ``documents`` (unique entry ids) and swap it in."""
        started = time.perf_counter()
        with self._writing():
            path, build_lease = self._new_generation()
            try:
                count = self._build(path, documents, progress)
                self._point_to(path.name)
            except BaseException:
                shutil.rmtree(path, ignore_errors=True)
                raise
            finally:
                build_lease.close()
        with contextlib.suppress(IndexMissing):
            self._live()  # move this instance's readers on now
        self._collect_garbage()
        return BuildStats(
            documents=count,
            seconds=time.perf_counter() - started,
            directory=path,
            size_bytes=_directory_size(path),
        )

    @staticmethod
    def _build(
        path: Path,
        documents: Iterable[SearchDocument],
        progress: Callable[[int], None] | None,
    ) -> int:
        index = mapping.prepare(tantivy.Index(mapping.schema(), path=str(path), reuse=False))
        threads = max(1, min(4, os.cpu_count() or 1))
        writer = index.writer(heap_size=_BUILD_HEAP_BYTES, num_threads=threads)
        count = 0
        try:
            for document in documents:
                writer.add_document(mapping.document(document))
                count += 1
                if progress is not None and count % _PROGRESS_EVERY == 0:
                    progress(count)
            writer.commit()
        except BaseException:
            writer.rollback()
            raise
        finally:
            writer.wait_merging_threads()
        if progress is not None:
            progress(count)
        return count

    def upsert(self, documents: Iterable[SearchDocument]) -> int:
        """Add or replace documents (by entry id) in the live generation."""
        batch = list(documents)
        if not batch:
            return 0

        def apply(writer: tantivy.IndexWriter) -> None:
            for document in batch:
                writer.delete_documents_by_term("entry_id", document.entry_id)
                writer.add_document(mapping.document(document))

        self._update(apply)
        return len(batch)

    def delete(self, entry_ids: Iterable[str]) -> int:
        """Remove documents by entry id from the live generation."""
        ids = list(entry_ids)
        if not ids:
            return 0

        def apply(writer: tantivy.IndexWriter) -> None:
            for entry_id in ids:
                writer.delete_documents_by_term("entry_id", entry_id)

        self._update(apply)
        return len(ids)

    def _update(self, apply: Callable[[tantivy.IndexWriter], None]) -> None:
        with self._writing():
            generation = self._live()
            try:
                writer = generation.index.writer(heap_size=_UPDATE_HEAP_BYTES, num_threads=1)
            except ValueError as error:
                if _is_lock_busy(error):
                    raise IndexBusy(self.root) from error
                raise
            try:
                apply(writer)
                writer.commit()
            except BaseException:
                writer.rollback()
                raise
            finally:
                writer.wait_merging_threads()
            generation.refresh()

    # ---- reading -----------------------------------------------------------

    def document_count(self) -> int:
        return self._live().index.searcher().num_docs

    def close(self) -> None:
        """Release this instance's hold on its generation (it reopens on next use)."""
        with self._open_lock:
            if self._generation is not None:
                self._generation.close()
            self._generation, self._current_stamp = None, None
            counters, self._counters = self._counters, None
        if counters is not None:
            counters.shutdown(wait=True)

    def search(self, query: SearchQuery) -> SearchResult:
        """Hits ranked by score, the exact total, and the requested facets' counts.

        The facets are counted on other threads while this one ranks the hits
        (tantivy releases the GIL), all from the same searcher. Without query
        words ranking is cheap, and this thread counts a share of the facets too.
        """
        generation = self._live()
        words = query_words(query.text)
        matcher = mapping.matcher(generation.schema, words, query.filters)
        searcher = generation.index.searcher()
        shares = self._counter_threads + (0 if words else 1)
        groups = mapping.facet_groups(query.facets, shares)
        mine = groups.pop() if len(groups) > self._counter_threads else ()
        counting = [
            self._facet_counters().submit(mapping.facet_counts, searcher, matcher, query, group)
            for group in groups
        ]
        found = searcher.search(matcher, limit=max(query.limit, 1), offset=max(query.offset, 0))
        hits = [mapping.hit(searcher, score, address) for score, address in found.hits]
        counted = mapping.facet_counts(searcher, matcher, query, mine) if mine else {}
        for future in counting:
            counted.update(future.result())
        return SearchResult(
            total=cast(Any, found).count,  # the stubs do not declare ``count``
            hits=hits[: max(query.limit, 0)],
            facets={facet: counted.get(facet, []) for facet in query.facets},
            terms=words,
        )

    # One core ranks the hits; the others count facets.
    _counter_threads = max(1, min(3, (os.cpu_count() or 2) - 1))

    def _facet_counters(self) -> ThreadPoolExecutor:
        with self._open_lock:
            if self._counters is None:
                self._counters = ThreadPoolExecutor(
                    self._counter_threads, thread_name_prefix="catalog-facets"
                )
            return self._counters
