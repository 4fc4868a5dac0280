"""Bulk delivery (S3): one version of a granted table, as files or into the grantee's
own database, in resumable parts.

A delivery is planned as parts: row ranges of the version's Parquet files, at most
``delivery_part_rows`` rows each (only the row groups a range overlaps are read).
Each part is read, decrypted, restricted to the grant (fields, masking, division
scope, the extract's filter) and written out; then its state is committed in a
transaction of its own. A delivery interrupted midway (process killed, database
target down) therefore continues at the first part not done when it is run
again; a part written but not yet recorded is simply written again (files are
replaced atomically, rows in a target table carry their part number and are
replaced by part).

Files: ``part-NNNNN.csv`` (UTF-8 with BOM, opens in Excel) and
``part-NNNNN.parquet`` for each part, each with its SHA-256 and SM3 digest, and
``manifest.json`` listing every file with its rows and digests, the version, the
grant and the row checksum (govdata-row-md5-sum/1) of everything delivered.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import os
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.dataset as pads
import pyarrow.parquet as pq
import sqlalchemy as sa
from sqlalchemy import select
from sqlalchemy.orm import Session

from govdata.actions import Context
from govdata.authz import PolicyTable, system_actor
from govdata.crypto.primitives import sm3_hex
from govdata.db import Database, utcnow
from govdata.errors import GovdataError, InvalidInput, NotFound
from govdata.events import record_event
from govdata.lake.checksum import CHECKSUM_ALGORITHM, Checksum
from govdata.lake.tables import LakeTable
from govdata.lineage.emitting import announce_delivery
from govdata.services import Services
from govdata.settings import Settings
from govdata.sharing.delivery_events import DeliveryFailed, DeliveryMade
from govdata.sharing.delivery_models import BulkDelivery, DeliveryPart
from govdata.sharing.granted_data import (
    GrantedTable,
    as_granted,
    granted_table,
    plain_rows,
    reading_protection,
    refuse_unless_usable,
    system_decision,
)
from govdata.sharing.models import Grant

log = logging.getLogger(__name__)

MANIFEST_FORMAT = "govdata-bulk-delivery"
MANIFEST_NAME = "manifest.json"
PART_COLUMN = "_govdata_part"
BOM = b"\xef\xbb\xbf"


@dataclass(frozen=True)
class PartPlan:
    file_path: str
    row_start: int
    row_end: int  # exclusive


def _fragments(lake: LakeTable, version: int) -> Iterator[pads.ParquetFileFragment]:
    dataset = lake.dataset(version)
    for fragment in dataset.get_fragments():
        assert isinstance(fragment, pads.ParquetFileFragment)  # noqa: S101 (Delta is Parquet)
        yield fragment


def plan_parts(lake: LakeTable, version: int, part_rows: int) -> list[PartPlan]:
    """Row ranges of at most ``part_rows`` rows, file by file (one empty part if none)."""
    parts: list[PartPlan] = []
    for fragment in sorted(_fragments(lake, version), key=lambda f: f.path):
        rows = fragment.metadata.num_rows
        parts.extend(
            PartPlan(fragment.path, start, min(start + part_rows, rows))
            for start in range(0, rows, part_rows)
        )
    return parts or [PartPlan("", 0, 0)]


def _read_part(granted: GrantedTable, version: int, part: DeliveryPart) -> pa.Table:
    """The part's rows: only the row groups overlapping its range are read."""
    columns = granted.stored_columns()
    schema = granted.lake.schema(version)
    if not part.file_path:
        return schema.empty_table().select(columns)
    for fragment in _fragments(granted.lake, version):
        if fragment.path != part.file_path:
            continue
        metadata = fragment.metadata
        groups, first, offset = [], None, 0
        for index in range(metadata.num_row_groups):
            size = metadata.row_group(index).num_rows
            if offset < part.row_end and offset + size > part.row_start:
                groups.append(index)
                first = offset if first is None else first
            offset += size
        subset = fragment.subset(row_group_ids=groups)
        table = subset.to_table(schema=schema, columns=columns)
        start = part.row_start - (first or 0)
        return table.slice(start, part.row_end - part.row_start)
    raise NotFound("交付所依据的数据文件不存在", code="delivery_file_missing")


# -- files ---------------------------------------------------------------------------------


def digests(data: bytes) -> dict[str, str]:
    return {"sha256": hashlib.sha256(data).hexdigest(), "sm3": sm3_hex(data)}


def _write_atomically(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(prefix=".part-", dir=path.parent)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
        Path(temporary).replace(path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def csv_bytes(table: pa.Table) -> bytes:
    sink = io.BytesIO()
    sink.write(BOM)
    pacsv.write_csv(table, sink)
    return sink.getvalue()


def parquet_bytes(table: pa.Table) -> bytes:
    sink = io.BytesIO()
    pq.write_table(table, sink)
    return sink.getvalue()


def delivery_dir(settings: Settings, delivery_id: str) -> Path:
    return settings.deliveries_dir / delivery_id


def _write_files(directory: Path, number: int, table: pa.Table) -> list[dict[str, Any]]:
    files = []
    for suffix, data in (("csv", csv_bytes(table)), ("parquet", parquet_bytes(table))):
        name = f"part-{number:05d}.{suffix}"
        _write_atomically(directory / name, data)
        files.append({"name": name, "rows": table.num_rows, "size": len(data), **digests(data)})
    return files


# -- a database of the grantee's ------------------------------------------------------------


_SQL_TYPES: tuple[
    tuple[Callable[[pa.DataType], bool], Callable[[], sa.types.TypeEngine[Any]]], ...
] = (
    (pa.types.is_boolean, sa.Boolean),
    (pa.types.is_integer, sa.BigInteger),
    (pa.types.is_floating, sa.Float),
    (pa.types.is_date, sa.Date),
    (pa.types.is_timestamp, sa.DateTime),
)


def _sql_type(data_type: pa.DataType) -> sa.types.TypeEngine[Any]:
    if pa.types.is_decimal(data_type):
        return sa.Numeric(data_type.precision, data_type.scale)
    for matches, make in _SQL_TYPES:
        if matches(data_type):
            return make()
    return sa.Text()


def _target_table(schema: pa.Schema, name: str) -> sa.Table:
    metadata = sa.MetaData()
    return sa.Table(
        name,
        metadata,
        sa.Column(PART_COLUMN, sa.Integer, nullable=False, index=True),
        *(sa.Column(field.name, _sql_type(field.type)) for field in schema),
    )


def write_to_database(url: str, name: str, number: int, table: pa.Table) -> None:
    """Replace part ``number``'s rows in the grantee's table (created on first use)."""
    engine = sa.create_engine(url)
    try:
        target = _target_table(table.schema, name)
        with engine.begin() as connection:
            target.create(connection, checkfirst=True)
            connection.execute(sa.delete(target).where(target.c[PART_COLUMN] == number))
            rows = [{PART_COLUMN: number, **row} for row in table.to_pylist()]
            if rows:
                connection.execute(sa.insert(target), rows)
    except sa.exc.SQLAlchemyError as error:
        raise InvalidInput(
            f"写入接收方数据库失败：{type(error).__name__}",
            code="delivery_target_failed",
            fields={"database_url": "无法写入"},
        ) from None
    finally:
        engine.dispose()


# -- running a delivery --------------------------------------------------------------------


def system_context(session: Session, settings: Settings, services: Services) -> Context:
    return Context(
        session=session,
        actor=system_actor("sharing-delivery"),
        policy=PolicyTable(()),
        settings=settings,
        services=services,
    )


def open_target_url(services: Services, delivery: BulkDelivery) -> str:
    assert delivery.target_url is not None  # noqa: S101 (database targets have one)
    return services.secretbox.open(
        bytes.fromhex(delivery.target_url), delivery.id.encode()
    ).decode()


def seal_target_url(services: Services, delivery_id: str, url: str) -> str:
    return services.secretbox.seal(url.encode(), delivery_id.encode()).hex()


def _run_part(ctx: Context, delivery: BulkDelivery, grant: Grant, part: DeliveryPart) -> None:
    granted = granted_table(ctx.session, ctx.services.lake, grant)
    protection = reading_protection(ctx, granted, delivery.version)
    plain = plain_rows(_read_part(granted, delivery.version, part), protection, delivery.where)
    page = as_granted(ctx, granted, system_decision(grant), plain, delivery.where)
    table = page.table
    checksum = Checksum()
    try:
        checksum.add_batch(table)
        part.checksum = checksum.hexdigest()
    finally:
        checksum.close()
    if delivery.target == "files":
        part.files = _write_files(delivery_dir(ctx.settings, delivery.id), part.number, table)
    else:
        assert delivery.target_table is not None  # noqa: S101
        write_to_database(
            open_target_url(ctx.services, delivery), delivery.target_table, part.number, table
        )
        part.files = []
    part.rows = table.num_rows
    part.status = "done"
    part.finished_at = utcnow()
    delivery.parts_done += 1
    delivery.columns = table.schema.names
    delivery.masked = page.masked


def run_delivery(
    db: Database,
    settings: Settings,
    services: Services,
    delivery_id: str,
    *,
    after_part: Callable[[int], None] | None = None,
) -> str:
    """Run (or resume) a delivery to its end; returns its status.

    Each part commits on its own; ``after_part`` is told each part number once it
    committed (tests interrupt a delivery with it).
    """
    with db.transaction() as session:
        delivery = session.get(BulkDelivery, delivery_id, with_for_update=True)
        if delivery is None:
            raise NotFound("批量交付不存在", code="delivery_not_found")
        if delivery.status in ("succeeded", "failed"):
            return delivery.status
        first_start = delivery.started_at is None
        delivery.status = "running"
        delivery.started_at = delivery.started_at or utcnow()
        pending = list(
            session.scalars(
                select(DeliveryPart.number)
                .where(DeliveryPart.delivery_id == delivery_id, DeliveryPart.status != "done")
                .order_by(DeliveryPart.number)
            )
        )
    if first_start:  # a resumed delivery is the same OpenLineage run, started once
        announce_delivery(db, settings, delivery_id, ending=False)
    try:
        for number in pending:
            with db.transaction() as session:
                ctx = system_context(session, settings, services)
                delivery = _locked(session, delivery_id)
                grant = session.get(Grant, delivery.grant_id)
                assert grant is not None  # noqa: S101 (foreign key)
                refuse_unless_usable(grant, "bulk")
                part = session.scalar(
                    select(DeliveryPart).where(
                        DeliveryPart.delivery_id == delivery_id, DeliveryPart.number == number
                    )
                )
                assert part is not None  # noqa: S101
                _run_part(ctx, delivery, grant, part)
            if after_part is not None:
                after_part(number)
    except GovdataError as error:
        with db.transaction() as session:
            delivery = _locked(session, delivery_id)
            delivery.status = "failed"
            delivery.finished_at = utcnow()
            delivery.error_code = error.error_code
            delivery.error_message = error.message
            record_event(
                system_context(session, settings, services),
                DeliveryFailed(
                    subject_id=delivery.id,
                    grant_id=delivery.grant_id,
                    error_code=error.error_code,
                    parts_done=delivery.parts_done,
                ),
            )
        announce_delivery(db, settings, delivery_id, ending=True)
        return "failed"
    with db.transaction() as session:
        status = _finish(system_context(session, settings, services), _locked(session, delivery_id))
    announce_delivery(db, settings, delivery_id, ending=True)
    return status


def _locked(session: Session, delivery_id: str) -> BulkDelivery:
    delivery = session.get(BulkDelivery, delivery_id, with_for_update=True)
    assert delivery is not None  # noqa: S101 (checked when the run began)
    return delivery


def _finish(ctx: Context, delivery: BulkDelivery) -> str:
    parts = list(
        ctx.session.scalars(
            select(DeliveryPart)
            .where(DeliveryPart.delivery_id == delivery.id)
            .order_by(DeliveryPart.number)
        )
    )
    total = Checksum()
    for part in parts:
        total = total.combine(Checksum.from_hexdigest(part.checksum or "0", part.rows))
    grant = ctx.session.get(Grant, delivery.grant_id)
    assert grant is not None  # noqa: S101
    delivery.rows = sum(part.rows for part in parts)
    delivery.checksum = total.hexdigest()
    if delivery.target == "files":
        manifest = build_manifest(delivery, grant, parts)
        data = (json.dumps(manifest, ensure_ascii=False, indent=2) + "\n").encode()
        _write_atomically(delivery_dir(ctx.settings, delivery.id) / MANIFEST_NAME, data)
        found = digests(data)
        delivery.manifest_sha256, delivery.manifest_sm3 = found["sha256"], found["sm3"]
    delivery.status = "succeeded"
    delivery.finished_at = utcnow()
    record_event(
        ctx,
        DeliveryMade(
            subject_id=delivery.id,
            grant_id=grant.id,
            entry_id=grant.entry_id,
            source_id=delivery.source_id,
            grantee_id=delivery.grantee_org_id,
            requested_by=delivery.requested_by,
            target=delivery.target,
            target_table=delivery.target_table,
            version=delivery.version,
            rows=delivery.rows,
            columns=list(delivery.columns),
            masked=dict(delivery.masked),
            where=dict(delivery.where),
            checksum=delivery.checksum,
            manifest_sha256=delivery.manifest_sha256,
            manifest_sm3=delivery.manifest_sm3,
        ),
    )
    return delivery.status


def build_manifest(
    delivery: BulkDelivery, grant: Grant, parts: list[DeliveryPart]
) -> dict[str, Any]:
    return {
        "format": MANIFEST_FORMAT,
        "format_version": 1,
        "delivery_id": delivery.id,
        "grant_id": grant.id,
        "grant_number": grant.number,
        "entry_id": grant.entry_id,
        "grantee_org_id": delivery.grantee_org_id,
        "version": delivery.version,
        "where": delivery.where,
        "columns": list(delivery.columns),
        "masked": dict(delivery.masked),
        "division_column": grant.division_column,
        "division_codes": list(grant.division_codes),
        "total_rows": delivery.rows,
        "checksum": delivery.checksum,
        "checksum_algorithm": CHECKSUM_ALGORITHM,
        "files": [file for part in parts for file in part.files],
        "parts": [
            {"number": part.number, "rows": part.rows, "checksum": part.checksum} for part in parts
        ],
    }


def unfinished_deliveries(db: Database) -> list[str]:
    """Deliveries queued or left running (interrupted), oldest first."""
    with db.transaction() as session:
        return list(
            session.scalars(
                select(BulkDelivery.id)
                .where(BulkDelivery.status.in_(("queued", "running")))
                .order_by(BulkDelivery.created_at)
            )
        )
