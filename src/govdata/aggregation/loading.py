"""One load: source reader → conversion and quarantine → one Delta commit.

The load never makes half a version visible:

* **Full** loads write their Parquet files straight into the table directory
  and then commit them, with the run's metadata (job, source, row counts,
  checksum), in a single Delta transaction that replaces the previous
  version's files. Until that commit the files are invisible (no version
  lists them); a load that fails or is killed leaves them as orphans that
  ``VACUUM`` removes, and the previous version untouched.
* **Incremental** (by key and update timestamp) and **change detection** (by
  key, the whole source compared with the table) loads stage the changed rows
  as Parquet under ``_gd_staging/<run>`` and apply them with one Delta merge.

Bad rows are counted against ``max_bad_ratio`` only at the end, when the
denominator is known; exceeding it fails the load before anything is
committed, and the quarantine stays readable so the provider can see why.
"""

from __future__ import annotations

import json
import queue
import shutil
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as pads
import pyarrow.parquet as pq
from deltalake import CommitProperties, DeltaTable, write_deltalake
from deltalake.exceptions import TableNotFoundError
from deltalake.transaction import AddAction, RemoveAction

from govdata.aggregation.columns import ColumnSpec, arrow_schema
from govdata.aggregation.convert import BatchConverter
from govdata.aggregation.sources.base import ReadProgress, SourceBatch, SourceReader
from govdata.errors import GovdataError
from govdata.lake.checksum import Checksum
from govdata.lake.protection import TableProtection, is_encrypted_type
from govdata.lake.tables import TABLE_PROPERTIES

Strategy = Literal["full", "incremental", "change_detection"]
DriftPolicy = Literal["fail", "evolve"]

ROWS_PER_FILE = 2_000_000
# Dictionary-encode a column when, in its first rows, at most half the values differ.
DICTIONARY_SAMPLE_ROWS = 50_000
DICTIONARY_DISTINCT_SHARE = 0.5
STAGING_DIR = "_gd_staging"


class LoadFailed(GovdataError):
    """A load that ran but must not commit (drift, too many bad rows, ...)."""

    status = 422
    code = "load_failed"
    default_message = "归集失败"


@dataclass(frozen=True)
class LoadPlan:
    table_uri: str
    columns: Sequence[ColumnSpec]
    strategy: Strategy
    run_id: str
    source_id: str
    source_description: str
    quarantine_dir: Path
    key_columns: Sequence[str] = ()
    updated_column: str | None = None
    watermark: Any = None
    drift_policy: DriftPolicy = "fail"
    max_bad_ratio: float = 0.05
    ignored_source_columns: Sequence[str] = ()
    storage_options: dict[str, str] | None = None
    # False for object storage: files are staged on local disk and handed to the
    # Delta writer, which uploads them and commits (decision 0009).
    write_in_place: bool = True
    # The columns stored encrypted and their keys (None: nothing is encrypted).
    protection: TableProtection | None = None

    def stored_schema(self, schema: pa.Schema) -> pa.Schema:
        return schema if self.protection is None else self.protection.stored_schema(schema)


@dataclass
class LoadProgress:
    rows_read: int = 0
    rows_written: int = 0
    rows_quarantined: int = 0
    bytes_read: int = 0
    bytes_total: int | None = None
    phase: str = "reading"


@dataclass(frozen=True)
class DriftChange:
    change: Literal["added", "missing"]
    column: str
    detail: str


@dataclass
class LoadOutcome:
    version: int | None
    rows_read: int
    rows_written: int
    rows_quarantined: int
    checksum: str
    checksum_scope: Literal["version", "changes"]
    reason_counts: dict[str, int]
    inserted: int = 0
    updated: int = 0
    deleted: int = 0
    columns: list[ColumnSpec] = field(default_factory=list)
    drift: list[DriftChange] = field(default_factory=list)
    watermark: Any = None
    duration_seconds: float = 0.0


ProgressCallback = Callable[[LoadProgress], None]


def detect_drift(plan: LoadPlan, source_columns: Sequence[str]) -> list[DriftChange]:
    declared = {column.source_name for column in plan.columns}
    present = set(source_columns)
    ignored = set(plan.ignored_source_columns)
    changes = [
        DriftChange(
            "missing", column.source_name, f"声明的列“{column.source_name}”在数据源中不存在"
        )
        for column in plan.columns
        if column.source_name not in present
    ]
    changes += [
        DriftChange("added", name, f"数据源出现未声明的新列“{name}”")
        for name in source_columns
        if name not in declared and name not in ignored
    ]
    return changes


def _evolved_columns(plan: LoadPlan, drift: Sequence[DriftChange]) -> list[ColumnSpec]:
    columns = list(plan.columns)
    taken = {column.name for column in columns}
    for change in drift:
        if change.change == "missing":
            column = next(c for c in columns if c.source_name == change.column)
            if column.required or column.name in plan.key_columns:
                raise LoadFailed(
                    f"必填列或主键列“{change.column}”在数据源中不存在，无法演进表结构",
                    code="schema_drift",
                )
            continue
        name = _column_name_for(change.column, taken)
        taken.add(name)
        columns.append(ColumnSpec(name=name, label=change.column[:100], source=change.column))
    return columns


def _column_name_for(source_name: str, taken: set[str]) -> str:
    base = "".join(ch if ch.isascii() and ch.isalnum() else "_" for ch in source_name.lower())
    base = base.strip("_")
    if not base or not base[0].isalpha():
        base = f"col_{base}" if base else "col"
    base = base[:55]
    candidate, number = base, 2
    while candidate in taken:
        candidate, number = f"{base}_{number}", number + 1
    return candidate


class _InBackground:
    """Feeds tables to ``work`` on a thread of its own, a few tables ahead at most.

    Conversion (Arrow compute), hashing (DuckDB) and Parquet encoding all release
    the GIL, so reading and converting the next batch overlaps with hashing and
    writing the previous one. An error on the thread is raised at the next
    ``put`` or at ``close``.
    """

    def __init__(self, work: Callable[[pa.Table], None], depth: int = 2) -> None:
        self._work = work
        self._queue: queue.Queue[pa.Table | None] = queue.Queue(maxsize=depth)
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="govdata-load-writer", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while (table := self._queue.get()) is not None:
            if self._error is not None:
                continue
            try:
                self._work(table)
            except BaseException as error:  # noqa: BLE001 (re-raised in the loading thread)
                self._error = error

    def put(self, table: pa.Table) -> None:
        if self._error is not None:
            self.close()
        self._queue.put(table)

    def close(self) -> None:
        if self._thread.is_alive():
            self._queue.put(None)
            self._thread.join()
        if self._error is not None:
            raise self._error


_DONE = object()


def _prefetched(batches: Iterator[SourceBatch], depth: int = 2) -> Iterator[SourceBatch]:
    """``batches`` read ahead on a thread of their own.

    Decoding (iconv, without the GIL) and CSV parsing (Arrow) of the next
    batches then overlap with converting this one. Errors of the reader are
    raised here, in order; closing the generator stops the reading thread.
    """
    handoff: queue.Queue[Any] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def pull() -> None:
        try:
            for batch in batches:
                while not stop.is_set():
                    try:
                        handoff.put(batch, timeout=0.1)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
            handoff.put(_DONE)
        except BaseException as error:  # noqa: BLE001 (re-raised in the loading thread)
            handoff.put(error)

    thread = threading.Thread(target=pull, name="govdata-load-reader", daemon=True)
    thread.start()
    try:
        while (item := handoff.get()) is not _DONE:
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        while thread.is_alive():
            try:
                handoff.get(timeout=0.1)
            except queue.Empty:
                continue
        thread.join()


class _QuarantineWriter:
    """Quarantined rows of one run as Parquet parts under the run's directory."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.parts = 0
        self.rows = 0

    def write(self, table: pa.Table) -> None:
        if table.num_rows == 0:
            return
        self.directory.mkdir(parents=True, exist_ok=True)
        self.parts += 1
        # Readers list part-*.parquet: a part appears only once it is complete.
        target = self.directory / f"part-{self.parts:05d}.parquet"
        partial = target.with_suffix(".partial")
        pq.write_table(table, partial)
        partial.replace(target)
        self.rows += table.num_rows


class _FileWriter:
    """Writes converted rows as Parquet data files and describes them for Delta."""

    def __init__(self, directory: Path, schema: pa.Schema, run_id: str) -> None:
        self.directory = directory
        self.schema = schema
        self.prefix = f"part-{run_id[:8]}-{uuid.uuid4().hex[:8]}"
        self.files: list[tuple[str, int]] = []
        self._writer: pq.ParquetWriter | None = None
        self._path: Path | None = None
        self._rows_in_file = 0
        self._dictionary_columns: list[str] | None = None

    def write(self, table: pa.Table) -> None:
        if table.num_rows == 0:
            return
        if self._writer is None:
            self.directory.mkdir(parents=True, exist_ok=True)
            self._path = self.directory / f"{self.prefix}-{len(self.files):05d}.parquet"
            if self._dictionary_columns is None:
                self._dictionary_columns = _repetitive_columns(table)
            self._writer = pq.ParquetWriter(
                self._path,
                self.schema,
                compression="lz4",
                use_dictionary=self._dictionary_columns,
            )
        self._writer.write_table(table, row_group_size=256_000)
        self._rows_in_file += table.num_rows
        if self._rows_in_file >= ROWS_PER_FILE:
            self._finish_file()

    def _finish_file(self) -> None:
        if self._writer is None or self._path is None:
            return
        self._writer.close()
        self.files.append((self._path.name, self._rows_in_file))
        self._writer, self._path, self._rows_in_file = None, None, 0

    def close(self) -> list[tuple[str, int]]:
        self._finish_file()
        return self.files

    def discard(self) -> None:
        if self._writer is not None:
            self._writer.close()
        if self._path is not None:
            self._path.unlink(missing_ok=True)
        for name, _ in self.files:
            (self.directory / name).unlink(missing_ok=True)


def _repetitive_columns(table: pa.Table) -> list[str]:
    """Columns worth dictionary encoding, judged on the first rows written.

    Dictionary encoding pays for columns with few distinct values (sex,
    division codes, dates); for ID numbers, names or addresses Parquet would
    build a dictionary only to give it up, which measured a quarter of the
    writing time on the population benchmark and larger files.
    """
    sample = table.slice(0, DICTIONARY_SAMPLE_ROWS)
    chosen = []
    for name in sample.column_names:
        column = sample.column(name)
        if pa.types.is_boolean(column.type):
            continue
        try:
            distinct = pc.count_distinct(column, mode="all").as_py()
        except pa.ArrowNotImplementedError:  # a type without a kernel: Parquet decides
            chosen.append(name)
            continue
        if distinct <= DICTIONARY_DISTINCT_SHARE * max(sample.num_rows, 1):
            chosen.append(name)
    return chosen


def _local_path(uri: str) -> Path:
    return Path(uri.removeprefix("file://"))


def _files_directory(plan: LoadPlan, *, merging: bool) -> Path:
    """Where a load writes its Parquet files: the table itself (full loads on a local
    lake), its staging area (merges), or a local temporary directory (object storage)."""
    if not plan.write_in_place:
        return Path(tempfile.mkdtemp(prefix=f"govdata-load-{plan.run_id[:8]}-"))
    table_dir = _local_path(plan.table_uri)
    return table_dir / STAGING_DIR / plan.run_id if merging else table_dir


def _newest(table: pa.Table, column: str | None, newest: Any) -> Any:
    """The highest value of the update column seen so far (the next watermark)."""
    if column is None:
        return newest
    top = pc.max(table.column(column)).as_py()
    return top if top is not None and (newest is None or top > newest) else newest


def _write_staged(
    plan: LoadPlan,
    directory: Path,
    files: list[tuple[str, int]],
    *,
    mode: Literal["overwrite", "append"],
    schema: pa.Schema,
    metadata: dict[str, str],
) -> int:
    """Object storage: one ``write_deltalake`` commit of the staged files' rows."""
    table = _open_table(plan.table_uri, plan.storage_options) or _create_table(
        plan.table_uri, plan.storage_options, schema, plan.run_id
    )
    # Columns added or gone, or a column starting or stopping being encrypted.
    stored = {field.name: is_encrypted_type(field.type) for field in _arrow_fields(table)}
    evolving = stored != {field.name: is_encrypted_type(field.type) for field in schema}
    dataset = pads.dataset([str(directory / name) for name, _ in files], format="parquet")
    write_deltalake(
        plan.table_uri,
        pa.RecordBatchReader.from_batches(schema, dataset.to_batches()),
        mode=mode,
        schema_mode=("overwrite" if mode == "overwrite" else "merge") if evolving else None,
        storage_options=plan.storage_options,
        commit_properties=CommitProperties(custom_metadata=metadata),
    )
    table.update_incremental()
    return table.version()


def _open_table(uri: str, storage_options: dict[str, str] | None) -> DeltaTable | None:
    try:
        return DeltaTable(uri, storage_options=storage_options)
    except TableNotFoundError:
        return None


def _create_table(
    uri: str, storage_options: dict[str, str] | None, schema: pa.Schema, run_id: str
) -> DeltaTable:
    return DeltaTable.create(
        uri,
        schema,
        configuration=dict(TABLE_PROPERTIES),
        storage_options=storage_options,
        commit_properties=CommitProperties(
            custom_metadata={"govdata.operation": "create", "govdata.run_id": run_id}
        ),
    )


def _commit(
    table: DeltaTable,
    table_dir: Path,
    files: list[tuple[str, int]],
    *,
    mode: Literal["overwrite", "append"],
    schema: pa.Schema,
    metadata: dict[str, str],
) -> int:
    """One Delta commit adding the files written (and, to overwrite, removing the rest)."""
    now_ms = int(time.time() * 1000)
    actions: list[AddAction | RemoveAction] = [
        AddAction(
            path=name,
            size=(table_dir / name).stat().st_size,
            partition_values={},
            modification_time=now_ms,
            data_change=True,
            stats=json.dumps({"numRecords": rows}),
        )
        for name, rows in files
    ]
    table.create_write_transaction(
        actions,
        mode=mode,
        schema=schema,
        commit_properties=CommitProperties(custom_metadata=metadata),
    )
    table.update_incremental()
    return table.version()


def _check_encryption_unchanged(table: DeltaTable, schema: pa.Schema) -> None:
    """A merge cannot change whether a column is stored encrypted: a full load must."""
    stored = {field.name: field.type for field in _arrow_fields(table)}
    changed = [
        field.name
        for field in schema
        if field.name in stored
        and is_encrypted_type(field.type) != is_encrypted_type(stored[field.name])
    ]
    if changed:
        raise LoadFailed(
            f"列“{'、'.join(changed)}”的加密存储设置已改变，增量归集无法合并，请先做一次全量归集",
            code="encryption_changed",
            fields={"columns": ",".join(changed)},
        )


def _arrow_fields(table: DeltaTable) -> pa.Schema:
    return pa.schema(table.schema().to_arrow())


def _metadata(plan: LoadPlan, outcome: LoadOutcome, operation: str) -> dict[str, str]:
    protection = {} if plan.protection is None else plan.protection.commit_metadata()
    return protection | {
        "govdata.operation": operation,
        "govdata.run_id": plan.run_id,
        "govdata.source_id": plan.source_id,
        "govdata.source": plan.source_description[:500],
        "govdata.strategy": plan.strategy,
        "govdata.rows_read": str(outcome.rows_read),
        "govdata.rows_written": str(outcome.rows_written),
        "govdata.rows_quarantined": str(outcome.rows_quarantined),
        "govdata.rows_inserted": str(outcome.inserted),
        "govdata.rows_updated": str(outcome.updated),
        "govdata.rows_deleted": str(outcome.deleted),
        "govdata.checksum": outcome.checksum,
        "govdata.checksum_scope": outcome.checksum_scope,
    }


def _watermark_mask(table: pa.Table, column: str, value: Any) -> pa.Array:
    return pc.fill_null(pc.greater(table.column(column), pa.scalar(value)), False)


def watermark_to_json(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime | date):
        return json.dumps(
            {"t": "datetime" if isinstance(value, datetime) else "date", "v": value.isoformat()}
        )
    if isinstance(value, Decimal):
        return json.dumps({"t": "decimal", "v": str(value)})
    return json.dumps({"t": "plain", "v": value})


def watermark_from_json(text: str | None) -> Any:
    if not text:
        return None
    data = json.loads(text)
    match data["t"]:
        case "datetime":
            return datetime.fromisoformat(data["v"])
        case "date":
            return date.fromisoformat(data["v"])
        case "decimal":
            return Decimal(data["v"])
        case _:
            return data["v"]


class Loader:
    """Runs one load plan against an open reader."""

    def __init__(
        self, plan: LoadPlan, reader: SourceReader, on_progress: ProgressCallback | None = None
    ) -> None:
        self.plan = plan
        self.reader = reader
        self.on_progress = on_progress or (lambda _progress: None)
        self.progress = LoadProgress()

    def _report(self, source_progress: ReadProgress, phase: str) -> None:
        self.progress.bytes_read = source_progress.bytes_read
        self.progress.bytes_total = source_progress.bytes_total
        self.progress.phase = phase
        self.on_progress(self.progress)

    def run(self) -> LoadOutcome:
        started = time.monotonic()
        plan = self.plan
        drift = detect_drift(plan, self.reader.columns)
        if drift and plan.drift_policy == "fail":
            details = "；".join(change.detail for change in drift)
            raise LoadFailed(f"数据源表结构变化（按约定应失败）：{details}", code="schema_drift")
        columns = _evolved_columns(plan, drift) if drift else list(plan.columns)
        existing = _open_table(plan.table_uri, plan.storage_options)
        merging = plan.strategy != "full" and existing is not None
        if merging and existing is not None:
            _check_encryption_unchanged(existing, plan.stored_schema(arrow_schema(columns)))
        outcome = self._stream(columns, existing, merging)
        outcome.drift = drift
        outcome.columns = columns
        outcome.duration_seconds = time.monotonic() - started
        return outcome

    def _batches(
        self, converter: BatchConverter, quarantine: _QuarantineWriter, counts: dict[str, int]
    ) -> Iterator[pa.Table]:
        plan = self.plan
        updated = plan.updated_column if plan.strategy == "incremental" else None
        for batch in _prefetched(self.reader.batches()):
            converted = converter.convert(batch)
            good = converted.good
            if updated is not None and plan.watermark is not None and not self.reader.pushes_down:
                good = good.filter(_watermark_mask(good, updated, plan.watermark))
            if converted.quarantined is not None:
                quarantine.write(converted.quarantined)
            for code, number in converted.reason_counts.items():
                counts[code] = counts.get(code, 0) + number
            self.progress.rows_read += batch.data.num_rows + len(batch.rejected)
            self.progress.rows_quarantined += converted.quarantined_rows
            self.progress.rows_written += good.num_rows
            self._report(self.reader.progress, "reading")
            yield good

    def _check_bad_ratio(self) -> None:
        read = self.progress.rows_read
        bad = self.progress.rows_quarantined
        if read and bad / read > self.plan.max_bad_ratio:
            raise LoadFailed(
                f"问题数据 {bad} 行，占读取的 {read} 行的 {bad / read:.2%}，"
                f"超过允许的 {self.plan.max_bad_ratio:.2%}；本次未写入，问题数据见隔离区",
                code="too_many_bad_rows",
            )

    def _stream(
        self, columns: list[ColumnSpec], existing: DeltaTable | None, merging: bool
    ) -> LoadOutcome:
        plan = self.plan
        schema = plan.stored_schema(arrow_schema(columns))
        converter = BatchConverter(columns)
        quarantine = _QuarantineWriter(plan.quarantine_dir)
        counts: dict[str, int] = {}
        checksum = Checksum()
        directory = _files_directory(plan, merging=merging)
        writer = _FileWriter(directory, schema, plan.run_id)
        newest: Any = None

        protection = plan.protection

        def keep(table: pa.Table) -> None:
            if protection is not None:
                table = protection.encrypt(table)
            checksum.add_batch(table)
            writer.write(table)

        background = _InBackground(keep)
        try:
            try:
                for good in self._batches(converter, quarantine, counts):
                    if good.num_rows:
                        newest = _newest(good, plan.updated_column, newest)
                        background.put(good)
            finally:
                background.close()
            files = writer.close()
            self._check_bad_ratio()
        except BaseException:
            writer.discard()
            raise
        outcome = LoadOutcome(
            version=None,
            rows_read=self.progress.rows_read,
            rows_written=self.progress.rows_written,
            rows_quarantined=self.progress.rows_quarantined,
            checksum=checksum.hexdigest(),
            checksum_scope="changes" if merging else "version",
            reason_counts=counts,
            watermark=newest if newest is not None else plan.watermark,
        )
        self._report(self.reader.progress, "committing")
        staged = merging or not plan.write_in_place
        try:
            if merging and existing is not None:
                self._merge(existing, directory, files, schema, outcome)
            else:
                outcome.inserted = outcome.rows_written
                self._commit_files(existing, directory, files, schema, outcome)
        finally:
            if staged:
                shutil.rmtree(directory, ignore_errors=True)
        return outcome

    def _commit_files(
        self,
        existing: DeltaTable | None,
        table_dir: Path,
        files: list[tuple[str, int]],
        schema: pa.Schema,
        outcome: LoadOutcome,
    ) -> None:
        plan = self.plan
        mode: Literal["overwrite", "append"] = "overwrite" if plan.strategy == "full" else "append"
        if not plan.write_in_place:
            outcome.version = _write_staged(
                plan,
                table_dir,
                files,
                mode=mode,
                schema=schema,
                metadata=_metadata(plan, outcome, mode),
            )
            return
        table = existing or _create_table(plan.table_uri, plan.storage_options, schema, plan.run_id)
        outcome.version = _commit(
            table,
            table_dir,
            files,
            mode=mode,
            schema=schema,
            metadata=_metadata(plan, outcome, mode),
        )

    def _merge(
        self,
        table: DeltaTable,
        directory: Path,
        files: list[tuple[str, int]],
        schema: pa.Schema,
        outcome: LoadOutcome,
    ) -> None:
        plan = self.plan
        if not plan.key_columns:
            raise LoadFailed("增量归集须声明主键列", code="key_required")
        if not files:
            outcome.version = None
            return
        source = _deduplicated(directory, [name for name, _ in files], plan)
        outcome.reason_counts["duplicate_key_superseded"] = (
            outcome.rows_written - source.num_rows
        ) or 0
        if not outcome.reason_counts["duplicate_key_superseded"]:
            del outcome.reason_counts["duplicate_key_superseded"]
        keys = list(plan.key_columns)
        values = [name for name in schema.names if name not in keys]
        predicate = " AND ".join(f't."{k}" = s."{k}"' for k in keys)
        changed = " OR ".join(f'NOT (t."{v}" <=> s."{v}")' for v in values) or None
        evolve = set(schema.names) != {f.name for f in table.schema().fields}
        operation = "merge"
        builder = table.merge(
            source=source,
            predicate=predicate,
            source_alias="s",
            target_alias="t",
            merge_schema=evolve,
            commit_properties=CommitProperties(custom_metadata=_metadata(plan, outcome, operation)),
        )
        builder = builder.when_matched_update_all(predicate=changed).when_not_matched_insert_all()
        if plan.strategy == "change_detection":
            builder = builder.when_not_matched_by_source_delete()
        metrics = builder.execute()
        outcome.inserted = int(metrics.get("num_target_rows_inserted", 0))
        outcome.updated = int(metrics.get("num_target_rows_updated", 0))
        outcome.deleted = int(metrics.get("num_target_rows_deleted", 0))
        table.update_incremental()
        outcome.version = table.version()


def _deduplicated(directory: Path, names: list[str], plan: LoadPlan) -> pa.Table:
    """The staged rows with one row per key: the latest by update time, else the last."""
    paths = [str(directory / name) for name in names]
    keys = ", ".join(f'"{k}"' for k in plan.key_columns)
    order = f'"{plan.updated_column}" DESC NULLS LAST, ' if plan.updated_column else ""
    dataset = pads.dataset(paths, format="parquet")
    connection = duckdb.connect()
    try:
        connection.register("staged", dataset)
        return connection.sql(
            f"SELECT * EXCLUDE (_gd_ord) FROM (SELECT *, row_number() OVER () AS _gd_ord "  # noqa: S608
            f"FROM staged) QUALIFY row_number() OVER (PARTITION BY {keys} "
            f"ORDER BY {order}_gd_ord DESC) = 1"
        ).to_arrow_table()
    finally:
        connection.close()


def commit_overwrite(
    table_uri: str,
    *,
    storage_options: dict[str, str] | None,
    schema: pa.Schema,
    batches: Iterator[pa.Table],
    metadata: Callable[[int, str], dict[str, str]],
    run_id: str,
) -> tuple[int, int, str]:
    """Write ``batches`` as the table's next version, replacing the previous one.

    ``metadata(rows, checksum)`` gives the commit metadata once the rows are
    known. Returns (version, rows, checksum). Used by library builds, whose
    rows are already typed.
    """
    table_dir = _local_path(table_uri)
    writer = _FileWriter(table_dir, schema, run_id)
    checksum = Checksum()
    rows = 0
    try:
        for batch in batches:
            checksum.add_batch(batch)
            rows += batch.num_rows
            writer.write(batch)
        files = writer.close()
    except BaseException:
        writer.discard()
        raise
    table = _open_table(table_uri, storage_options) or _create_table(
        table_uri, storage_options, schema, run_id
    )
    digest = checksum.hexdigest()
    version = _commit(
        table,
        table_dir,
        files,
        mode="overwrite",
        schema=schema,
        metadata=metadata(rows, digest),
    )
    return version, rows, digest
