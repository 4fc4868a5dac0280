"""Building a library version from the current versions of its member sources.

Each member's table is read at its current version, its columns mapped onto
the library's columns and cast to the library's types, and the members are
stacked. Where several members hold the same key, the one with the lowest
priority number wins (then the latest ``updated_at``, when the library has
one). Every row keeps where it came from (``_gd_source_id``,
``_gd_source_version``), and the commit records every member's version, so a
library version can always be traced back to the loads it was built from.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, NamedTuple

import duckdb
import pyarrow as pa
import pyarrow.dataset as pads
from sqlalchemy import Row, select
from sqlalchemy.orm import Session

from govdata.aggregation.columns import ColumnSpec, ColumnType, arrow_type
from govdata.aggregation.loading import LoadFailed, LoadOutcome, commit_overwrite
from govdata.aggregation.models import Library, LibraryMember, Run, Source
from govdata.lake.protection import TableProtection, protection_for_reading, protection_for_writing
from govdata.lake.tables import LakeTable
from govdata.settings import Settings

if TYPE_CHECKING:
    from govdata.services import Services

SOURCE_COLUMN = "_gd_source_id"
VERSION_COLUMN = "_gd_source_version"


def library_columns(library: Library) -> list[ColumnSpec]:
    return [ColumnSpec.model_validate(column) for column in library.columns]


def library_schema(library: Library) -> pa.Schema:
    fields = [pa.field(c.name, arrow_type(c)) for c in library_columns(library)]
    fields += [pa.field(SOURCE_COLUMN, pa.string()), pa.field(VERSION_COLUMN, pa.int64())]
    return pa.schema(fields)


def _sql_type(column: ColumnSpec) -> str:
    match column.type:
        case ColumnType.STRING:
            return "VARCHAR"
        case ColumnType.INTEGER:
            return "BIGINT"
        case ColumnType.DECIMAL:
            return f"DECIMAL({column.precision},{column.scale})"
        case ColumnType.DATE:
            return "DATE"
        case ColumnType.TIMESTAMP:
            return "TIMESTAMP"
        case ColumnType.BOOLEAN:
            return "BOOLEAN"


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


class _MemberInput(NamedTuple):
    source_id: str
    lake: LakeTable
    version: int
    member: LibraryMember
    # Members' encrypted columns are decrypted as they are read (X4).
    protection: TableProtection | None


def _member_inputs(
    session: Session, services: Services, members: Sequence[Row[LibraryMember, Source]]
) -> list[_MemberInput]:
    inputs = []
    for member, source in members:
        lake = LakeTable(services.lake, source.table_name)
        version = lake.version() if lake.exists() else None
        if version is None:
            raise LoadFailed(f"成员数据源“{source.name}”尚未归集入库", code="library_member_empty")
        protection = protection_for_reading(session, services.keystore, lake, version)
        inputs.append(_MemberInput(source.id, lake, version, member, protection))
    return inputs


def _decrypting(dataset: pads.Dataset, protection: TableProtection) -> pa.RecordBatchReader:
    """The dataset's rows, read once, with the encrypted columns in plain text."""
    return pa.RecordBatchReader.from_batches(
        protection.plain_schema(dataset.schema),
        (protection.decrypt_batch(batch) for batch in dataset.to_batches()),
    )


def build_plan(
    session: Session, settings: Settings, services: Services, run: Run
) -> Callable[[], LoadOutcome]:
    """What executing a library build run does (called by the runner)."""
    library = session.get(Library, run.library_id)
    assert library is not None  # noqa: S101 (foreign key)
    members = session.execute(
        select(LibraryMember, Source)
        .join(Source, Source.id == LibraryMember.source_id)
        .where(LibraryMember.library_id == library.id)
        .order_by(LibraryMember.priority, LibraryMember.created_at)
    ).all()
    if not members:
        raise LoadFailed("该库还没有成员数据源", code="library_has_no_members")
    columns = library_columns(library)
    schema = library_schema(library)
    keys = list(library.key_columns)
    table_uri = services.lake.table_uri(library.table_name)
    storage_options = services.lake.storage_options()
    inputs = _member_inputs(session, services, members)
    protection = protection_for_writing(
        session,
        services.keystore,
        library.table_name,
        [column.name for column in columns if column.is_encrypted],
    )
    stored_schema = schema if protection is None else protection.stored_schema(schema)
    run_id = run.id
    has_updated = any(c.name == "updated_at" for c in columns)

    def batches(connection: duckdb.DuckDBPyConnection) -> Iterator[pa.Table]:
        selects = []
        for index, (source_id, lake, version, member, opened) in enumerate(inputs):
            name = f"member_{index}"
            dataset = lake.dataset(version)
            connection.register(name, dataset if opened is None else _decrypting(dataset, opened))
            present = set(dataset.schema.names)
            parts = []
            for column in columns:
                mapped = member.mapping.get(column.name, column.name)
                value = _quoted(mapped) if mapped in present else "NULL"
                parts.append(f"TRY_CAST({value} AS {_sql_type(column)}) AS {_quoted(column.name)}")
            parts.append(f"'{source_id}' AS {SOURCE_COLUMN}")
            parts.append(f"CAST({version} AS BIGINT) AS {VERSION_COLUMN}")
            parts.append(f"CAST({member.priority} AS INTEGER) AS _gd_priority")
            selects.append(f"SELECT {', '.join(parts)} FROM {name}")  # noqa: S608
        stacked = " UNION ALL ".join(selects)
        order = "_gd_priority" + (', "updated_at" DESC NULLS LAST' if has_updated else "")
        partition = ", ".join(_quoted(k) for k in keys)
        chosen = ", ".join(_quoted(name) for name in schema.names)
        query = (
            f"SELECT {chosen} FROM ({stacked}) WHERE "  # noqa: S608
            + " AND ".join(f"{_quoted(k)} IS NOT NULL" for k in keys)
            + f" QUALIFY row_number() OVER (PARTITION BY {partition} ORDER BY {order}) = 1"
        )
        reader = connection.sql(query).to_arrow_reader(256_000)
        for batch in reader:
            rows = pa.Table.from_batches([batch]).cast(schema)
            yield rows if protection is None else protection.encrypt(rows)

    def work() -> LoadOutcome:
        connection = duckdb.connect()
        try:
            member_versions = {item.source_id: item.version for item in inputs}

            def metadata(rows: int, checksum: str) -> dict[str, str]:
                return {
                    "govdata.operation": "library_build",
                    "govdata.run_id": run_id,
                    "govdata.library": library.code,
                    "govdata.members": json.dumps(member_versions, sort_keys=True),
                    "govdata.rows_written": str(rows),
                    "govdata.checksum": checksum,
                    "govdata.checksum_scope": "version",
                } | ({} if protection is None else protection.commit_metadata())

            version, rows, checksum = commit_overwrite(
                table_uri,
                storage_options=storage_options,
                schema=stored_schema,
                batches=batches(connection),
                metadata=metadata,
                run_id=run_id,
            )
        finally:
            connection.close()
        return LoadOutcome(
            version=version,
            rows_read=rows,
            rows_written=rows,
            rows_quarantined=0,
            checksum=checksum,
            checksum_scope="version",
            reason_counts={},
            inserted=rows,
        )

    return work
