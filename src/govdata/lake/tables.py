"""One lake table: a Delta Lake table written with ``deltalake`` (decisions 0003, 0008).

Every write is one Delta commit, so a reader sees the whole of a version or none
of it, and a writer killed half-way leaves the previous version as it was (its
Parquet files are orphans no version lists). Every version stays readable:
retention is raised to ``RETENTION_DAYS`` so neither log cleanup nor ``VACUUM``
removes what audit and deliveries still cite.

Tables are created with the properties in ``TABLE_PROPERTIES`` and never with
partition columns. With deletion vectors and column mapping off, the Parquet files
a version lists *are* that version, with the logical column names, which is what
lets Spark or any Parquet reader read it from a file list alone
(:mod:`govdata.lake.manifest`). Each write checks that this still holds.

One writer per table: callers hold :func:`govdata.lake.locks.writer_lock` around
writes; a commit that loses a race anyway fails with ``lake_write_conflict``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal, TypeAlias
from urllib.parse import unquote

import pyarrow as pa
import pyarrow.dataset as pads
import pyarrow.fs as pafs
from deltalake import CommitProperties, DeltaTable, write_deltalake
from deltalake.exceptions import CommitFailedError, DeltaError, TableNotFoundError

from govdata.errors import Conflict, InvalidInput, NotFound
from govdata.lake.location import LocalLocation, StorageLocation, validate_table_name

RETENTION_DAYS = 3650
CHECKPOINT_INTERVAL = 20

TABLE_PROPERTIES: Mapping[str, str] = {
    "delta.logRetentionDuration": f"interval {RETENTION_DAYS} days",
    "delta.deletedFileRetentionDuration": f"interval {RETENTION_DAYS} days",
    "delta.enableDeletionVectors": "false",
    "delta.columnMapping.mode": "none",
    "delta.checkpointInterval": str(CHECKPOINT_INTERVAL),
}
# Table features that would make a version's file list stop being the version.
FORBIDDEN_FEATURES = frozenset({"deletionVectors", "columnMapping"})

# Keys Delta writes into a commit's info itself; custom metadata may not use them.
COMMIT_INFO_KEYS = frozenset(
    {
        "timestamp",
        "operation",
        "operationParameters",
        "operationMetrics",
        "readVersion",
        "isolationLevel",
        "isBlindAppend",
        "engineInfo",
        "clientVersion",
        "userId",
        "userName",
        "userMetadata",
        "txnId",
        "inCommitTimestamp",
        "version",
    }
)

WriteMode = Literal["overwrite", "append"]
LakeData: TypeAlias = pa.Table | pa.RecordBatchReader

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class VersionInfo:
    version: int
    timestamp: datetime  # aware, UTC
    operation: str  # Delta's: WRITE, MERGE, CREATE TABLE, ...
    metadata: dict[str, str]  # the custom commit metadata given to write/merge


@dataclass(frozen=True)
class MergeResult:
    version: int  # unchanged when the merge changed nothing (no commit is made)
    inserted: int
    updated: int
    deleted: int
    unchanged: int  # source rows whose key matched a row with equal values


@dataclass(frozen=True)
class DataFile:
    uri: str  # absolute: a local path, or s3://...
    path: str  # relative to the table directory
    size: int
    rows: int | None  # from the add action's statistics, when present


@dataclass(frozen=True)
class VersionSnapshot:
    version: int
    schema: pa.Schema
    delta_types: dict[str, str]  # column name → Delta type (long, decimal(18,2), ...)
    files: list[DataFile]
    properties: dict[str, str]

    @property
    def rows(self) -> int | None:
        """Total rows from the file statistics; None if a file has none."""
        counts = [data_file.rows for data_file in self.files]
        if any(count is None for count in counts):
            return None
        return sum(count for count in counts if count is not None)


class LakeTable:
    """One Delta table in a :class:`~govdata.lake.location.StorageLocation`."""

    def __init__(self, location: StorageLocation, name: str) -> None:
        self.location = location
        self.name = validate_table_name(name)
        self.uri = location.table_uri(self.name)

    def __repr__(self) -> str:
        return f"LakeTable({self.location.describe()!r}, {self.name!r})"

    # -- opening ---------------------------------------------------------------------

    def _open(self, version: int | None = None) -> DeltaTable:
        if version is not None and version < 0:
            raise _version_not_found(version)
        options = self.location.storage_options()
        try:
            return DeltaTable(self.uri, version=version, storage_options=options)
        except TableNotFoundError:
            raise NotFound(
                "数据表不存在", code="lake_table_not_found", fields={"table": self.name}
            ) from None
        except DeltaError as error:
            if version is not None and version > self._open().version():
                raise _version_not_found(version) from error
            raise

    def _open_if_exists(self) -> DeltaTable | None:
        try:
            return self._open()
        except NotFound:
            return None

    def exists(self) -> bool:
        return DeltaTable.is_deltatable(self.uri, self.location.storage_options())

    def version(self) -> int | None:
        """The current version, or None if the table does not exist yet."""
        table = self._open_if_exists()
        return None if table is None else table.version()

    def schema(self, version: int | None = None) -> pa.Schema:
        return _arrow_schema(self._open(version))

    def properties(self) -> dict[str, str]:
        return dict(self._open().metadata().configuration)

    # -- writing ---------------------------------------------------------------------

    def write(
        self,
        data: LakeData,
        *,
        mode: WriteMode,
        metadata: Mapping[str, str],
        evolve_schema: bool = False,
        target_file_size: int | None = None,
    ) -> int:
        """Write ``data`` as one new version and return its number.

        ``overwrite`` replaces the rows, ``append`` adds to them; either creates the
        table. A ``RecordBatchReader`` is streamed: memory stays bounded however many
        rows it yields. Data whose schema differs from the table's is refused with
        ``lake_schema_mismatch`` unless ``evolve_schema``: an overwrite then replaces
        the schema, an append adds the new columns (older rows read them as null).
        Versions written before keep their own schema.
        """
        if mode not in ("overwrite", "append"):
            raise ValueError(f"unknown write mode {mode!r}")
        reader = _as_reader(data)
        commit = _commit_properties(metadata)
        existing = self._open_if_exists()
        with _commit_errors(self.name):
            if existing is None:
                write_deltalake(
                    self.uri,
                    reader,
                    mode=mode,
                    configuration=dict(TABLE_PROPERTIES),
                    storage_options=self.location.storage_options(),
                    commit_properties=commit,
                    target_file_size=target_file_size,
                )
                written = self._open()
                _ensure_created_as_required(written, self.name)
            else:
                _ensure_portable(existing, self.name)
                schema_mode: Literal["overwrite", "merge"] | None = None
                if _schema_differences(_arrow_schema(existing), reader.schema):
                    if not evolve_schema:
                        raise _schema_mismatch(self.name, _arrow_schema(existing), reader.schema)
                    schema_mode = "overwrite" if mode == "overwrite" else "merge"
                write_deltalake(
                    existing,
                    reader,
                    mode=mode,
                    schema_mode=schema_mode,
                    commit_properties=commit,
                    target_file_size=target_file_size,
                )
                written = existing
        _ensure_portable(written, self.name)
        return written.version()

    def merge(
        self,
        data: LakeData,
        *,
        keys: Sequence[str],
        metadata: Mapping[str, str],
        delete_missing: bool = False,
        changed_only: bool = True,
        evolve_schema: bool = False,
    ) -> MergeResult:
        """Upsert ``data`` by ``keys`` in one commit.

        Rows whose key is new are inserted; rows whose key exists replace the stored
        row (with ``changed_only``, only when some other column differs, nulls
        compared as values). With ``delete_missing`` the rows whose key is absent
        from ``data`` are deleted: ``data`` is then the whole new content, as in
        change detection on a full snapshot. Keys must be unique within ``data``
        and may not be null (``lake_duplicate_keys``, ``lake_null_key``): this is
        checked for a ``Table``; a streamed reader is the caller's to guarantee
        (Delta itself still refuses two source rows changing one stored row). A
        table that does not exist yet is created with every row inserted.
        """
        _check_keys(keys, data.schema, "data")
        if isinstance(data, pa.Table):
            _check_unique_keys(data, keys, self.name)
        reader = _as_reader(data)
        source_schema = reader.schema
        commit = _commit_properties(metadata)
        existing = self._open_if_exists()
        if existing is None:
            counted = _CountingReader(reader)
            version = self.write(counted.reader(), mode="append", metadata=metadata)
            return MergeResult(version, counted.rows, 0, 0, 0)
        _ensure_portable(existing, self.name)
        target_schema = _arrow_schema(existing)
        _check_keys(keys, target_schema, "table")
        differences = _schema_differences(target_schema, source_schema)
        if differences and not evolve_schema:
            raise _schema_mismatch(self.name, target_schema, source_schema)
        predicate = " AND ".join(f"t.{_quoted(key)} = s.{_quoted(key)}" for key in keys)
        builder = existing.merge(
            reader,
            predicate,
            source_alias="s",
            target_alias="t",
            merge_schema=bool(differences),
            commit_properties=commit,
        )
        values = [name for name in source_schema.names if name not in keys]
        if not changed_only:
            builder = builder.when_matched_update_all()
        elif values:
            builder = builder.when_matched_update_all(
                predicate=_changed_predicate(values, set(target_schema.names))
            )
        builder = builder.when_not_matched_insert_all()
        if delete_missing:
            builder = builder.when_not_matched_by_source_delete()
        with _commit_errors(self.name):
            metrics = builder.execute()
        _ensure_portable(existing, self.name)
        inserted = int(metrics.get("num_target_rows_inserted", 0))
        updated = int(metrics.get("num_target_rows_updated", 0))
        deleted = int(metrics.get("num_target_rows_deleted", 0))
        source_rows = int(metrics.get("num_source_rows", 0))
        return MergeResult(
            version=existing.version(),
            inserted=inserted,
            updated=updated,
            deleted=deleted,
            unchanged=max(source_rows - inserted - updated, 0),
        )

    # -- reading ---------------------------------------------------------------------

    def history(self, limit: int | None = None) -> list[VersionInfo]:
        """Committed versions, newest first."""
        return [_version_info(commit) for commit in self._open().history(limit)]

    def version_info(self, version: int) -> VersionInfo:
        table = self._open()
        current = table.version()
        if not 0 <= version <= current:
            raise _version_not_found(version)
        commits = table.history(current - version + 1)
        info = _version_info(commits[-1])
        if info.version != version:
            raise _version_not_found(version)
        return info

    def snapshot(self, version: int | None = None) -> VersionSnapshot:
        """Schema, files and properties of one version, from a single log read."""
        table = self._open(version)
        uris = {_file_name(uri): uri for uri in table.file_uris()}
        actions = pa.table(table.get_add_actions(flatten=True))
        files = [
            DataFile(
                uri=uris.get(_file_name(path), f"{self.uri.rstrip('/')}/{path}"),
                path=path,
                size=int(size),
                rows=None if rows is None else int(rows),
            )
            for path, size, rows in zip(
                actions.column("path").to_pylist(),
                actions.column("size_bytes").to_pylist(),
                actions.column("num_records").to_pylist(),
                strict=True,
            )
        ]
        return VersionSnapshot(
            version=table.version(),
            schema=_arrow_schema(table),
            delta_types={f.name: _delta_type_name(f.type) for f in table.schema().fields},
            files=files,
            properties=dict(table.metadata().configuration),
        )

    def dataset(self, version: int | None = None) -> pads.Dataset:
        """The version's rows as an Arrow dataset (read lazily, in parallel)."""
        table = self._open(version)
        if isinstance(self.location, LocalLocation):
            # Arrow's own file system reads local files about twice as fast as
            # deltalake's Python file-system bridge.
            local = pafs.SubTreeFileSystem(self.uri, pafs.LocalFileSystem())
            return table.to_pyarrow_dataset(filesystem=local)
        return table.to_pyarrow_dataset()

    def file_uris(self, version: int | None = None) -> list[str]:
        return list(self._open(version).file_uris())

    def count(self, version: int | None = None) -> int:
        rows = self.snapshot(version).rows
        if rows is not None:
            return rows
        return int(self.dataset(version).count_rows())

    # -- maintenance -----------------------------------------------------------------

    def vacuum(self, *, dry_run: bool = True) -> list[str]:
        """Files no version within the retention period needs; deleted unless ``dry_run``.

        The retention is the table's ``delta.deletedFileRetentionDuration``
        (``RETENTION_DAYS``) and cannot be shortened here. Files of killed writes
        are unreferenced too and go once they are older than the retention.
        """
        table = self._open()
        return list(
            table.vacuum(
                dry_run=dry_run,
                enforce_retention_duration=True,
                full=True,
                commit_properties=CommitProperties(custom_metadata={"govdata.operation": "vacuum"}),
            )
        )


# -- helpers -----------------------------------------------------------------------------


def _version_not_found(version: int) -> NotFound:
    return NotFound(
        "数据版本不存在", code="lake_version_not_found", fields={"version": str(version)}
    )


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _as_reader(data: LakeData) -> pa.RecordBatchReader:
    if isinstance(data, pa.Table):
        return data.to_reader()
    if isinstance(data, pa.RecordBatchReader):
        return data
    raise TypeError("lake data must be a pyarrow Table or RecordBatchReader")


def _commit_properties(metadata: Mapping[str, str]) -> CommitProperties:
    custom: dict[str, Any] = {}
    for key, value in metadata.items():
        if not isinstance(key, str) or not isinstance(value, str):
            raise TypeError("commit metadata keys and values must be strings")
        if key in COMMIT_INFO_KEYS:
            raise ValueError(f"commit metadata key {key!r} is reserved by Delta")
        custom[key] = value
    return CommitProperties(custom_metadata=custom)


@contextmanager
def _commit_errors(table: str) -> Iterator[None]:
    """Turns a lost commit race into ``Conflict`` and duplicate merge keys into ``InvalidInput``."""
    try:
        yield
    except CommitFailedError as error:
        raise Conflict(
            "数据表已被另一个任务修改，本次写入未生效",
            code="lake_write_conflict",
            fields={"table": table},
        ) from error
    except DeltaError as error:
        if "multiple source rows" not in str(error):
            raise
        raise InvalidInput(
            "合并的数据中有主键重复的行", code="lake_duplicate_keys", fields={"table": table}
        ) from error


def _arrow_schema(table: DeltaTable) -> pa.Schema:
    return pa.schema(table.schema().to_arrow())


def _normalised(data_type: pa.DataType) -> pa.DataType:
    if pa.types.is_large_string(data_type) or pa.types.is_string_view(data_type):
        return pa.string()
    if pa.types.is_large_binary(data_type) or pa.types.is_binary_view(data_type):
        return pa.binary()
    return data_type


def _schema_differences(table: pa.Schema, data: pa.Schema) -> list[str]:
    """Columns that differ by presence or type (nullability and order do not count)."""
    stored = {f.name: _normalised(f.type) for f in table}
    given = {f.name: _normalised(f.type) for f in data}
    differences = [f"缺少列 {name}" for name in stored if name not in given]
    differences += [f"新增列 {name}" for name in given if name not in stored]
    differences += [
        f"列 {name} 的类型由 {stored[name]} 变为 {given[name]}"
        for name in given
        if name in stored and stored[name] != given[name]
    ]
    return differences


def _schema_mismatch(table: str, stored: pa.Schema, given: pa.Schema) -> Conflict:
    details = "；".join(_schema_differences(stored, given))
    return Conflict(
        f"数据的表结构与数据表不一致（{details}）",
        code="lake_schema_mismatch",
        fields={"table": table},
    )


def _check_keys(keys: Sequence[str], schema: pa.Schema, where: str) -> None:
    if isinstance(keys, str) or not keys:
        raise ValueError("merge needs at least one key column (a sequence of names)")
    missing = [key for key in keys if key not in schema.names]
    if missing:
        raise InvalidInput(
            f"主键列不存在：{', '.join(missing)}",
            code="lake_key_missing",
            fields={"keys": ", ".join(missing), "in": where},
        )


def _check_unique_keys(data: pa.Table, keys: Sequence[str], table: str) -> None:
    keyed = data.select(list(keys))
    for name in keys:
        if keyed.column(name).null_count:
            raise InvalidInput(
                f"合并的数据中主键列“{name}”有空值", code="lake_null_key", fields={"table": table}
            )
    repeated = keyed.group_by(list(keys)).aggregate([([], "count_all")])
    if repeated.num_rows != data.num_rows:
        raise InvalidInput(
            "合并的数据中有主键重复的行", code="lake_duplicate_keys", fields={"table": table}
        )


def _changed_predicate(values: Sequence[str], stored: set[str]) -> str:
    """True when a matched row differs in any non-key column; nulls compare as values."""
    checks = [
        f"(t.{_quoted(name)} IS DISTINCT FROM s.{_quoted(name)})"
        if name in stored
        else f"(s.{_quoted(name)} IS NOT NULL)"  # a column the merge adds: null is no change
        for name in values
    ]
    return " OR ".join(checks)


def _ensure_portable(table: DeltaTable, name: str) -> None:
    """Refuse a table whose file list would not be its content (decision 0003)."""
    protocol = table.protocol()
    features = set(protocol.reader_features or []) | set(protocol.writer_features or [])
    configuration = table.metadata().configuration
    problems = sorted(features & FORBIDDEN_FEATURES)
    if table.metadata().partition_columns:
        problems.append("partitionColumns")
    if configuration.get("delta.enableDeletionVectors", "false").lower() != "false":
        problems.append("delta.enableDeletionVectors")
    if configuration.get("delta.columnMapping.mode", "none").lower() != "none":
        problems.append("delta.columnMapping.mode")
    if problems:
        raise Conflict(
            "数据表启用了平台不支持的 Delta 特性：" + "、".join(problems),
            code="lake_table_incompatible",
            fields={"table": name},
        )


def _ensure_created_as_required(table: DeltaTable, name: str) -> None:
    """A new table must carry every property in ``TABLE_PROPERTIES``, as given."""
    configuration = table.metadata().configuration
    wrong = sorted(
        key for key, value in TABLE_PROPERTIES.items() if configuration.get(key) != value
    )
    if wrong:
        raise Conflict(
            "新建的数据表缺少平台要求的属性：" + "、".join(wrong),
            code="lake_table_incompatible",
            fields={"table": name},
        )


def _version_info(commit: Mapping[str, Any]) -> VersionInfo:
    return VersionInfo(
        version=int(commit["version"]),
        timestamp=_EPOCH + timedelta(milliseconds=int(commit.get("timestamp", 0))),
        operation=str(commit.get("operation", "")),
        metadata={
            key: value
            for key, value in commit.items()
            if key not in COMMIT_INFO_KEYS and isinstance(value, str)
        },
    )


def _file_name(uri_or_path: str) -> str:
    return unquote(uri_or_path.rstrip("/").rsplit("/", 1)[-1])


def _delta_type_name(data_type: object) -> str:
    name = getattr(data_type, "type", None)
    return name if isinstance(name, str) else str(data_type)


class _CountingReader:
    """Passes a reader's batches through, counting the rows."""

    def __init__(self, source: pa.RecordBatchReader) -> None:
        self.source = source
        self.rows = 0

    def _batches(self) -> Iterator[pa.RecordBatch]:
        for batch in self.source:
            self.rows += batch.num_rows
            yield batch

    def reader(self) -> pa.RecordBatchReader:
        return pa.RecordBatchReader.from_batches(self.source.schema, self._batches())
