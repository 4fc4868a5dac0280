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

Text fields hold words segmented in Python (:mod:`.tokenize`), joined by
spaces and split again by tantivy's whitespace tokenizer. Facets are raw
fast fields, counted by terms aggregations in the same searcher as the hits.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any, cast

import tantivy

from govdata.catalog.search.model import (
    FacetCount,
    FacetName,
    RegionLevel,
    SearchDocument,
    SearchHit,
    SearchQuery,
    SearchResult,
)
from govdata.catalog.search.tokenize import index_words, joined, query_words

_CURRENT = "CURRENT"
_GENERATIONS = "generations"
_WRITER_LOCK = "writer.lock"
_READERS = ".readers"
_WORDS = "words"  # the whitespace tokenizer of the segmented text fields

# Text fields searched by every query word, with their boosts.
_TEXT_FIELDS: tuple[tuple[str, float], ...] = (
    ("name", 3.0),
    ("provider_name", 1.5),
    ("items", 1.0),
    ("abstract", 1.0),
)
_RESOURCE_CODE_BOOST = 10.0
_REGION_LEVELS: tuple[RegionLevel, ...] = ("province", "city", "county")
_FACET_FIELDS: dict[FacetName, str] = {
    "department": "department",
    "classification": "classification",
    "share_type": "share_type",
    "open_type": "open_type",
    "grade": "grade",
    "update_cycle": "update_cycle",
}
# Per-segment candidates kept by a terms aggregation before merging; well
# above the number of departments, so that the counts returned are exact.
_FACET_SEGMENT_SIZE = 100_000
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


def region_level(code: str) -> RegionLevel:
    """The level of a GB/T 2260 division code: ``xx0000`` province, ``xxxx00`` city."""
    if code.endswith("0000"):
        return "province"
    if code.endswith("00"):
        return "city"
    return "county"


def _region_field(level: RegionLevel) -> str:
    return f"region_{level}"


def _schema() -> tantivy.Schema:
    builder = tantivy.SchemaBuilder()
    for raw in ("entry_id", "resource_code"):
        builder.add_text_field(raw, stored=True, tokenizer_name="raw", index_option="basic")
    builder.add_bytes_field("display", stored=True)
    for text, _boost in _TEXT_FIELDS:
        builder.add_text_field(text, tokenizer_name=_WORDS, index_option="freq")
    facet_fields = [*map(_region_field, _REGION_LEVELS), *_FACET_FIELDS.values()]
    for facet in facet_fields:
        builder.add_text_field(facet, fast=True, tokenizer_name="raw", index_option="basic")
    builder.add_text_field("classification_path", tokenizer_name="raw", index_option="basic")
    return builder.build()


def _prepare(index: tantivy.Index) -> tantivy.Index:
    # Tokenizers are not stored with the index: every opened index needs it.
    words = tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.whitespace())
    index.register_tokenizer(_WORDS, words.filter(tantivy.Filter.remove_long(120)).build())
    index.config_reader("manual")
    return index


def _classification_prefixes(code: str) -> list[str]:
    """类+项, then each longer level present (目, 细目): a filter may name any of them."""
    return [code[:length] for length in (3, 6, 9) if len(code) >= length]


def _document(doc: SearchDocument) -> tantivy.Document:
    out = tantivy.Document()
    out.add_text("entry_id", doc.entry_id)
    out.add_text("resource_code", doc.resource_code)
    display = json.dumps([doc.name, doc.provider_name], ensure_ascii=False)
    out.add_bytes("display", display.encode())
    out.add_text("name", joined(index_words(doc.name)))
    out.add_text("provider_name", joined(index_words(doc.provider_name)))
    # One line per item: jieba never joins words across a line break.
    out.add_text("items", joined(index_words("\n".join(doc.item_names))))
    out.add_text("abstract", joined(index_words(doc.abstract)))
    for level, code in zip(_REGION_LEVELS, doc.region_codes, strict=False):
        out.add_text(_region_field(level), code)
    out.add_text("department", doc.provider_id)
    out.add_text("classification", doc.classification_code[:3])
    for prefix in _classification_prefixes(doc.classification_code):
        out.add_text("classification_path", prefix)
    out.add_text("share_type", doc.share_type)
    out.add_text("open_type", doc.open_type)
    if doc.grade is not None:
        out.add_text("grade", doc.grade)
    out.add_text("update_cycle", doc.update_cycle)
    return out


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
        try:
            if not (path / "meta.json").exists():
                raise FileNotFoundError(path / "meta.json")
            self.index = _prepare(tantivy.Index.open(str(path)))
        except BaseException:
            self._lease.close()
            raise
        self.schema = self.index.schema
        self.commit_stamp = _stamp(path / "meta.json")

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
        """Delete every generation but the live one that no reader holds (best effort)."""
        with contextlib.suppress(OSError):
            for path in sorted(self._generations.iterdir()):
                if path.name == self._current_name() or not path.is_dir():
                    continue
                try:
                    lease = _lease(path, fcntl.LOCK_EX)
                except OSError:
                    continue  # a reader, or a rebuild in progress, holds it
                try:
                    # Read again under the lock: CURRENT may have moved to it.
                    if path.name != self._current_name():
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
        index = _prepare(tantivy.Index(_schema(), path=str(path), reuse=False))
        threads = max(1, min(4, os.cpu_count() or 1))
        writer = index.writer(heap_size=_BUILD_HEAP_BYTES, num_threads=threads)
        count = 0
        try:
            for document in documents:
                writer.add_document(_document(document))
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

        def apply(writer: tantivy.IndexWriter) -> None:
            for document in batch:
                writer.delete_documents_by_term("entry_id", document.entry_id)
                writer.add_document(_document(document))

        self._update(apply)
        return len(batch)

    def delete(self, entry_ids: Iterable[str]) -> int:
        """Remove documents by entry id from the live generation."""
        ids = list(entry_ids)

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

    def search(self, query: SearchQuery) -> SearchResult:
        generation = self._live()
        schema = generation.schema
        words = query_words(query.text)
        matcher = _matcher(schema, words, query.filters)
        searcher = generation.index.searcher()
        found = searcher.search(matcher, limit=max(query.limit, 1), offset=max(query.offset, 0))
        hits = [_hit(searcher, score, address) for score, address in found.hits]
        return SearchResult(
            total=cast(Any, found).count,  # the stubs do not declare ``count``
            hits=hits[: max(query.limit, 0)],
            facets=_facet_counts(searcher, matcher, query),
            terms=words,
        )


def _matcher(
    schema: tantivy.Schema,
    words: Sequence[str],
    filters: dict[FacetName, tuple[str, ...]],
) -> tantivy.Query:
    """Every word in some text field (or the resource code), and every filter."""
    clauses: list[tuple[tantivy.Occur, tantivy.Query]] = []
    for word in words:
        alternatives = [
            tantivy.Query.boost_query(
                tantivy.Query.term_query(schema, field, word, index_option="freq"), boost
            )
            for field, boost in _TEXT_FIELDS
        ]
        code = tantivy.Query.term_query(schema, "resource_code", word, index_option="basic")
        alternatives.append(tantivy.Query.boost_query(code, _RESOURCE_CODE_BOOST))
        either = [(tantivy.Occur.Should, alternative) for alternative in alternatives]
        clauses.append((tantivy.Occur.Must, tantivy.Query.boolean_query(either)))
    for facet, values in filters.items():
        if values:
            # Filters narrow the result without changing its ranking.
            accepted = tantivy.Query.const_score_query(_filter(schema, facet, values), 0.0)
            clauses.append((tantivy.Occur.Must, accepted))
    if not clauses:
        return tantivy.Query.all_query()
    return tantivy.Query.boolean_query(clauses)


def _filter(schema: tantivy.Schema, facet: FacetName, values: tuple[str, ...]) -> tantivy.Query:
    if facet == "region":
        by_level: dict[RegionLevel, list[str]] = {}
        for code in values:
            by_level.setdefault(region_level(code), []).append(code)
        levels = [
            (
                tantivy.Occur.Should,
                tantivy.Query.term_set_query(schema, _region_field(level), codes),
            )
            for level, codes in by_level.items()
        ]
        return tantivy.Query.boolean_query(levels)
    if facet == "classification":
        return tantivy.Query.term_set_query(schema, "classification_path", list(values))
    if facet not in _FACET_FIELDS:
        raise ValueError(f"未知的分面：{facet}")
    return tantivy.Query.term_set_query(schema, _FACET_FIELDS[facet], list(values))


def _facet_field(facet: FacetName, level: RegionLevel) -> str:
    if facet == "region":
        return _region_field(level)
    if facet not in _FACET_FIELDS:
        raise ValueError(f"未知的分面：{facet}")
    return _FACET_FIELDS[facet]


def _facet_counts(
    searcher: tantivy.Searcher, matcher: tantivy.Query, query: SearchQuery
) -> dict[str, list[FacetCount]]:
    if not query.facets or query.facet_size <= 0:
        return {facet: [] for facet in query.facets}
    aggregations = {
        facet: {
            "terms": {
                "field": _facet_field(facet, query.region_level),
                "size": query.facet_size,
                "segment_size": max(_FACET_SEGMENT_SIZE, query.facet_size),
            }
        }
        for facet in query.facets
    }
    counted = searcher.aggregate(matcher, aggregations)
    return {
        facet: [
            FacetCount(value=str(bucket["key"]), count=int(bucket["doc_count"]))
            for bucket in counted.get(facet, {}).get("buckets", [])
        ]
        for facet in query.facets
    }


def _hit(searcher: tantivy.Searcher, score: float, address: tantivy.DocAddress) -> SearchHit:
    stored = searcher.doc(address)
    name, provider_name = json.loads(cast(bytes, stored.get_first("display")))
    return SearchHit(
        entry_id=str(stored.get_first("entry_id")),
        resource_code=str(stored.get_first("resource_code")),
        name=name,
        provider_name=provider_name,
        score=float(score),
    )
