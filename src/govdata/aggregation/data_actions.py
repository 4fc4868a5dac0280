"""Reading aggregated data: a stored version, or the source itself (logical access).

Both paths pass the same authorisation (``aggregation:data:read`` over the
provider department, or an access grant) and the same grade decision (the grade
of the source's catalog entry, X2), and both are recorded (``aggregation:data:read``
events naming the version, the filter, the number of rows returned and the
decision), so an audit can tell who received what, when, and why it was allowed.
"""

from __future__ import annotations

from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from govdata.access.enforce import (
    authorize_read,
    authorize_somewhere_to_read,
    require_grade,
)
from govdata.access.policy import Decision, ReadKind
from govdata.actions import ActionSet, Context
from govdata.aggregation.columns import ColumnSpec, encrypted_names
from govdata.aggregation.convert import BatchConverter
from govdata.aggregation.grading import record_read, source_resource
from govdata.aggregation.masked_reads import mask_page, sensitive_columns
from govdata.aggregation.models import Source
from govdata.aggregation.schemas import (
    DataPage,
    DataQuery,
    ManifestQuery,
    SourceRef,
    VersionList,
    VersionOut,
)
from govdata.aggregation.sources.registry import open_reader
from govdata.aggregation.store import declared_columns, get_source, org_ref, reader_spec
from govdata.audit.guard import ReadAttempt, guard_read
from govdata.audit.lookups import recorded_where
from govdata.errors import InvalidInput, NotFound
from govdata.lake.manifest import file_manifest
from govdata.lake.protection import read_decrypted
from govdata.lake.tables import LakeTable
from govdata.sharing.reads import restrict_to_grant

actions = ActionSet("aggregation-data")


def lake_table(ctx: Context, table_name: str) -> LakeTable:
    return LakeTable(ctx.services.lake, table_name)


def _authorized_source(ctx: Context, source_id: str) -> tuple[Source, Decision]:
    """The source whose data the caller may read: in scope or by grant, and by grade."""
    authorize_somewhere_to_read(ctx, "aggregation:data:read")
    source = get_source(ctx, source_id)
    resource = source_resource(ctx.session, source)
    return source, authorize_read(ctx, "aggregation:data:read", resource, ReadKind.VALUES)


def _check_names(columns: list[ColumnSpec], names: list[str], field: str) -> None:
    known = {column.name for column in columns}
    unknown = [name for name in names if name not in known]
    if unknown:
        raise InvalidInput(f"没有这些列：{'、'.join(unknown)}", fields={field: "、".join(unknown)})


def jsonable(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Values as JSON can carry them: decimals and dates as text."""
    return [
        {
            key: value if value is None or isinstance(value, bool | int | str) else str(value)
            for key, value in row.items()
        }
        for row in rows
    ]


def _logical_rows(ctx: Context, source: Source, data: DataQuery) -> tuple[list[str], pa.Table]:
    columns = declared_columns(source)
    by_name = {column.name: column for column in columns}
    wanted = data.offset + data.limit
    spec = reader_spec(ctx.settings, ctx.services.secretbox, source)
    source_where = {by_name[name].source_name: value for name, value in data.where.items()}
    converter = BatchConverter(columns)
    parts: list[pa.Table] = []
    found = 0
    with open_reader(spec, where=source_where or None, limit=wanted) as reader:
        for batch in reader.batches():
            good = converter.convert(batch).good
            if data.where and not reader.pushes_down:
                for name, value in data.where.items():
                    text = pc.cast(good.column(name), pa.string())
                    good = good.filter(pc.fill_null(pc.equal(text, value), False))
            parts.append(good)
            found += good.num_rows
            if found >= wanted:
                break
    table = pa.concat_tables(parts) if parts else converter.schema.empty_table()
    table = table.slice(data.offset, data.limit)
    names = data.columns or [column.name for column in columns]
    return names, table.select(names)


@actions.register(
    "data_read",
    DataQuery,
    example={"source_id": "<source id>", "where": {"id_number": "150102199001011234"}},
    summary="Rows of a source: from a stored version (physical; any past version) or "
    "queried at the source on demand (logical). Every read is recorded.",
)
def data_read(ctx: Context, data: DataQuery) -> DataPage:
    source, decision = _authorized_source(ctx, data.source_id)
    columns = declared_columns(source)
    _check_names(columns, list(data.where), "where")
    if data.columns:
        _check_names(columns, data.columns, "columns")
    total: int | None = None
    sensitive = sensitive_columns(ctx.session, source, columns)
    # Looked-up values of sensitive columns are recorded as keyed pseudonyms.
    recorded = recorded_where(ctx, data.where, {*sensitive, *encrypted_names(columns)})
    # Before any data is read or returned: the behaviour rules (X6).
    release = guard_read(
        ctx,
        ReadAttempt(
            action="data_read",
            subject_id=source.id,
            holder_id=source.organisation_id,
            grade=decision.grade.value if decision.grade else None,
            rows=data.limit,
            version=data.version,
            where=recorded,
            offset=data.offset,
        ),
    )
    if source.mode == "logical":
        if data.version is not None:
            raise InvalidInput("逻辑接入的数据不入库，没有版本", fields={"version": "不适用"})
        names, table = _logical_rows(ctx, source, data)
        version = None
    else:
        lake = lake_table(ctx, source.table_name)
        if not lake.exists():
            raise NotFound("该数据源尚未归集入库", code="lake_table_not_found")
        version = data.version if data.version is not None else lake.version()
        table, total = read_decrypted(
            ctx.session,
            ctx.services.keystore,
            lake,
            version,
            columns=data.columns,
            where=data.where,
            limit=data.limit,
            offset=data.offset,
        )
        names = table.schema.names
    # Read under a stored grant: only its fields, rows and masking (govdata.sharing).
    page = restrict_to_grant(ctx, decision, columns, table, filtered_by=data.where, kinds=sensitive)
    if page is None:
        page = mask_page(table, sensitive, decision)
    else:
        names, total = page.table.schema.names, None
    rows = jsonable(page.table.to_pylist())
    record_read(
        ctx,
        decision,
        release=release,
        page=page,
        subject_id=source.id,
        source_id=source.id,
        library_id=None,
        mode=source.mode,
        version=version,
        where=recorded,
        rows=len(rows),
        purpose="query",
    )
    return DataPage(
        source_id=source.id,
        mode=source.mode,
        version=version,
        total=total,
        columns=names,
        rows=rows,
        audience=page.audience.value,
        masked=page.masked,
    )


@actions.register(
    "version_list",
    SourceRef,
    example={"id": "<source id>"},
    summary="Every committed version of a source's table with its commit metadata "
    "(run, source, row counts, checksum).",
    read_only=True,
)
def version_list(ctx: Context, data: SourceRef) -> VersionList:
    ctx.authorize_somewhere("aggregation:run:read")
    source = get_source(ctx, data.id)
    ctx.authorize("aggregation:run:read", org_ref(ctx.session, source.organisation_id))
    # Commit metadata only (counts, checksums, runs): a read of the data's description.
    require_grade(ctx, [source_resource(ctx.session, source)], ReadKind.METADATA)
    lake = lake_table(ctx, source.table_name)
    versions = (
        [
            VersionOut(
                version=info.version,
                timestamp=info.timestamp,
                operation=info.operation,
                metadata=info.metadata,
            )
            for info in lake.history()
        ]
        if lake.exists()
        else []
    )
    return VersionList(source_id=source.id, table_name=source.table_name, versions=versions)


@actions.register(
    "version_manifest",
    ManifestQuery,
    example={"source_id": "<source id>", "version": 1},
    summary="The Parquet file list of one version, for an external Spark cluster "
    "(with schema, row count and checksum).",
)
def version_manifest(ctx: Context, data: ManifestQuery) -> dict[str, Any]:
    source, decision = _authorized_source(ctx, data.source_id)
    lake = lake_table(ctx, source.table_name)
    if not lake.exists():
        raise NotFound("该数据源尚未归集入库", code="lake_table_not_found")
    version = data.version if data.version is not None else lake.version()
    assert version is not None  # noqa: S101 (the table exists)
    manifest = file_manifest(lake, version)
    release = guard_read(
        ctx,
        ReadAttempt(
            action="version_manifest",
            subject_id=source.id,
            holder_id=source.organisation_id,
            grade=decision.grade.value if decision.grade else None,
            rows=int(manifest.get("total_rows", 0)),
            version=version,
        ),
    )
    record_read(
        ctx,
        decision,
        release=release,
        subject_id=source.id,
        source_id=source.id,
        library_id=None,
        mode="manifest",
        version=version,
        where={},
        rows=int(manifest.get("total_rows", 0)),
        purpose="spark-export",
    )
    return manifest
