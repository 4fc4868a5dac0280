"""The tables a run or scan reads: sources and libraries, their holders, grades,
sensitive columns, and their rows at a pinned version, decrypted as they stream."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import pyarrow as pa
from sqlalchemy.orm import Session

from govdata.access.policy import GradedResource
from govdata.aggregation.columns import ColumnSpec
from govdata.aggregation.grading import library_resources, source_resource
from govdata.aggregation.masked_reads import sensitive_by_checks, sensitive_columns
from govdata.aggregation.models import Library, Source
from govdata.aggregation.store import declared_columns
from govdata.crypto.keystore import KeyStore
from govdata.errors import InvalidInput, NotFound
from govdata.lake.location import StorageLocation
from govdata.lake.protection import protection_for_reading
from govdata.lake.tables import LakeTable
from govdata.libraries.build import library_columns
from govdata.masking.kinds import SensitiveKind

BATCH_ROWS = 65_536


@dataclass(frozen=True)
class Table:
    kind: str  # source | library
    id: str
    name: str
    organisation_id: str
    table_name: str
    key_columns: list[str]
    source: Source | None = None
    library: Library | None = None

    @property
    def ref(self) -> str:
        return f"{self.kind}:{self.id}"

    def columns(self) -> list[ColumnSpec]:
        if self.source is not None:
            return declared_columns(self.source)
        assert self.library is not None  # noqa: S101
        return library_columns(self.library)

    def resources(self, session: Session) -> list[GradedResource]:
        if self.source is not None:
            return [source_resource(session, self.source)]
        assert self.library is not None  # noqa: S101
        return library_resources(session, self.library)

    def sensitive(self, session: Session) -> dict[str, SensitiveKind | None]:
        if self.source is not None:
            return sensitive_columns(session, self.source, self.columns())
        return sensitive_by_checks(self.columns())


def find_table(session: Session, kind: str, table_id: str) -> Table:
    if kind == "source":
        source = session.get(Source, table_id)
        if source is None:
            raise NotFound("数据源不存在", code="source_not_found", fields={"source_id": table_id})
        return Table(
            "source",
            source.id,
            source.name,
            source.organisation_id,
            source.table_name,
            list(source.key_columns),
            source=source,
        )
    library = session.get(Library, table_id)
    if library is None:
        raise NotFound("库不存在", code="library_not_found", fields={"library_id": table_id})
    return Table(
        "library",
        library.id,
        library.name,
        library.organisation_id,
        library.table_name,
        list(library.key_columns),
        library=library,
    )


def pinned_version(lake: LakeTable, version: int | None, name: str) -> int:
    current = lake.version()
    if current is None:
        raise NotFound(
            f"“{name}”尚未归集入库，没有可比对的数据",
            code="lake_table_not_found",
            fields={"table": lake.name},
        )
    if version is None:
        return current
    if version > current:
        raise NotFound(
            f"“{name}”没有第 {version} 版数据",
            code="lake_version_not_found",
            fields={"version": str(version)},
        )
    return version


def check_columns(
    lake: LakeTable, version: int, name: str, key_column: str, columns: Sequence[str]
) -> None:
    """The key and the mapped columns exist in the pinned version's schema."""
    present = set(lake.schema(version).names)
    if key_column not in present:
        raise InvalidInput(
            f"“{name}”第 {version} 版没有比对键列“{key_column}”",
            code="verification_key_missing",
            fields={"key_column": key_column},
        )
    unknown = [column for column in columns if column not in present]
    if unknown:
        raise InvalidInput(
            f"“{name}”第 {version} 版没有这些列：{'、'.join(unknown)}",
            code="verification_unknown_column",
            fields={"columns": "、".join(unknown)},
        )


def plain_reader(
    session: Session,
    key_store: KeyStore,
    location: StorageLocation,
    *,
    table_name: str,
    version: int,
    columns: Sequence[str],
) -> pa.RecordBatchReader:
    """``columns`` of one version as a stream of batches, encrypted columns decrypted."""
    lake = LakeTable(location, table_name)
    dataset = lake.dataset(version)
    names = list(dict.fromkeys(columns))
    schema = pa.schema([dataset.schema.field(name) for name in names])
    protection = protection_for_reading(session, key_store, lake, version)
    if protection is None:
        return pa.RecordBatchReader.from_batches(
            schema, dataset.to_batches(columns=names, batch_size=BATCH_ROWS)
        )

    def batches() -> Iterator[pa.RecordBatch]:
        for batch in dataset.to_batches(columns=names, batch_size=BATCH_ROWS):
            yield protection.decrypt_batch(batch)

    return pa.RecordBatchReader.from_batches(protection.plain_schema(schema), batches())
