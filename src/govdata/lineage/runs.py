"""What each aggregation run read and wrote: datasets, versions and column origins.

One description serves both the OpenLineage events and the lineage graph of
the portal and API, so that they cannot disagree.

Dataset names follow OpenLineage's naming conventions where a source has one:
a file in the inbox is ``file`` / its name, a database table is
``<scheme>://<host>:<port>`` / ``<database>.<table>``, an HTTP API is
``<scheme>://<host>`` / its path. A sealed database connection (its URL holds a
password and is stored encrypted) is named by its kind and the source's id
only: lineage never carries a secret. Lake tables are
``<lake location>`` / ``<table name>``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.orm import Session

from govdata.aggregation.columns import ColumnSpec
from govdata.aggregation.models import Library, LibraryMember, Run, Source
from govdata.aggregation.store import declared_columns
from govdata.lake.location import StorageLocation
from govdata.lake.tables import LakeTable
from govdata.lineage.openlineage import ColumnOrigin, InputRef, RunLineage
from govdata.settings import Settings

FILE_KINDS = ("csv", "xlsx", "json", "jsonl", "parquet")
MEMBERS_METADATA = "govdata.members"


def lake_namespace(settings: Settings) -> str:
    uri = settings.effective_lake_uri
    return uri if "://" in uri else f"file://{uri}"


def source_dataset(source: Source) -> tuple[str, str]:
    """The (namespace, name) of the system a source reads."""
    if source.kind in FILE_KINDS:
        return "file", source.location
    if source.kind == "sql":
        table = str(source.options.get("table") or "query")
        if source.location_sealed:
            return "sql://sealed", f"{source.id}.{table}"
        try:
            url = make_url(source.location)
        except ArgumentError:
            return "sql", table
        port = f":{url.port}" if url.port else ""
        return f"{url.get_backend_name()}://{url.host or 'localhost'}{port}", (
            f"{url.database or ''}.{table}".lstrip(".")
        )
    parts = urlsplit(source.location)
    return f"{parts.scheme}://{parts.hostname or ''}", parts.path or "/"


def _origins(
    columns: Sequence[ColumnSpec], inputs: Sequence[tuple[str, str, dict[str, str]]]
) -> list[ColumnOrigin]:
    """Each column with the input columns it is read from (``inputs``: namespace,
    name and the mapping of output column → input column present there)."""
    return [
        ColumnOrigin(
            column=column.name,
            column_type=column.type.value,
            description=column.label,
            inputs=[
                (namespace, name, mapping[column.name])
                for namespace, name, mapping in inputs
                if column.name in mapping
            ],
        )
        for column in columns
    ]


def load_lineage(settings: Settings, run: Run, source: Source) -> RunLineage:
    namespace, name = source_dataset(source)
    columns = declared_columns(source)
    mapping = {column.name: column.source_name for column in columns}
    return RunLineage(
        run_id=run.id,
        job_name=f"aggregation.load.{source.table_name}",
        inputs=[InputRef(namespace, name)],
        output_namespace=lake_namespace(settings),
        output_name=source.table_name,
        columns=_origins(columns, [(namespace, name, mapping)]),
        transformation=f"归集（{run.strategy}）：类型转换与标准校验，问题行隔离",
    )


def member_versions(lake: LakeTable, version: int | None) -> dict[str, int]:
    """The member source versions a library version was built from (commit metadata)."""
    if version is None or not lake.exists():
        return {}
    text = lake.version_info(version).metadata.get(MEMBERS_METADATA)
    if not text:
        return {}
    loaded = json.loads(text)
    return {str(key): int(value) for key, value in loaded.items()}


def build_lineage(
    session: Session, settings: Settings, run: Run, library: Library, lake: LakeTable
) -> RunLineage:
    from govdata.libraries.build import library_columns  # noqa: PLC0415 (libraries build on lineage's inputs)

    members = session.execute(
        select(LibraryMember, Source)
        .join(Source, Source.id == LibraryMember.source_id)
        .where(LibraryMember.library_id == library.id)
        .order_by(LibraryMember.priority, LibraryMember.created_at)
    ).all()
    versions = member_versions(lake, run.version)
    namespace = lake_namespace(settings)
    inputs: list[InputRef] = []
    mappings: list[tuple[str, str, dict[str, str]]] = []
    columns = library_columns(library)
    for member, source in members:
        present = {column.name for column in declared_columns(source)}
        mapping = {column.name: member.mapping.get(column.name, column.name) for column in columns}
        mapped = {out: col for out, col in mapping.items() if col in present}
        inputs.append(InputRef(namespace, source.table_name, versions.get(source.id)))
        mappings.append((namespace, source.table_name, mapped))
    return RunLineage(
        run_id=run.id,
        job_name=f"library.build.{library.table_name}",
        inputs=inputs,
        output_namespace=namespace,
        output_name=library.table_name,
        columns=_origins(columns, mappings),
        transformation="建库：成员数据按优先级合并，同键取优先级最高者",
    )


def run_lineage(
    session: Session, settings: Settings, run: Run, location: StorageLocation
) -> RunLineage | None:
    """The lineage of a run (None if its source or library is gone)."""
    if run.library_id is not None:
        library = session.get(Library, run.library_id)
        if library is None:
            return None
        lake = LakeTable(location, library.table_name)
        return build_lineage(session, settings, run, library, lake)
    source = session.get(Source, run.source_id) if run.source_id else None
    return None if source is None else load_lineage(settings, run, source)
