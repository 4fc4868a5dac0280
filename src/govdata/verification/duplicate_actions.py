"""Duplicate collection scans: starting one and listing what scans found.

A scan runs in the request (synchronously) over the physical sources named, or
every loaded physical source of a department within the organisation's subtree,
each pinned to its current version. Only pairs of sources held by different
departments are compared. A scan keeps column names and overlap measures, never
values. A failure is kept on a failed scan with its reason and no pairs.
"""

from __future__ import annotations

import duckdb
import pyarrow as pa
from sqlalchemy import select

from govdata.actions import ActionSet, Context
from govdata.aggregation.columns import Check
from govdata.aggregation.models import Source
from govdata.aggregation.store import declared_columns, org_ref
from govdata.db import utcnow
from govdata.errors import GovdataError, InvalidInput, NotFound
from govdata.events import record_event
from govdata.lake.tables import LakeTable
from govdata.orgs.models import Organisation
from govdata.verification.duplicates import ScanColumn, ScanTable, scan
from govdata.verification.events import DuplicateScanFinished
from govdata.verification.models import DuplicatePair, DuplicateScan
from govdata.verification.permissions import READ, RUN
from govdata.verification.schemas import (
    ColumnMatch,
    DuplicateListQuery,
    DuplicatePairOut,
    DuplicateScanOut,
    DuplicateScanStart,
)
from govdata.verification.tables import plain_reader

actions = ActionSet("verification-duplicates")

IDENTIFIER_CHECKS = frozenset({Check.ID_NUMBER, Check.CREDIT_CODE})


def _candidates(ctx: Context, org: Organisation, data: DuplicateScanStart) -> list[Source]:
    if data.source_ids is not None:
        sources = []
        for source_id in data.source_ids:
            source = ctx.session.get(Source, source_id)
            if source is None:
                raise NotFound("数据源不存在", code="source_not_found", fields={"id": source_id})
            if source.mode != "physical":
                raise InvalidInput(
                    f"数据源“{source.name}”为逻辑接入，没有入库数据可比对",
                    fields={"source_ids": source.id},
                )
            sources.append(source)
        return sources
    return list(
        ctx.session.scalars(
            select(Source)
            .join(Organisation, Organisation.id == Source.organisation_id)
            .where(
                Source.mode == "physical",
                Organisation.path.startswith(org.path),
            )
            .order_by(Source.id)
        )
    )


def _label(column: dict[str, object]) -> str:
    label = column.get("label")
    return label if isinstance(label, str) else ""


def _execute(
    ctx: Context, scan_row: DuplicateScan, sources: list[Source], data: DuplicateScanStart
) -> int:
    tables: list[ScanTable] = []
    for source, item in zip(sources, scan_row.inputs, strict=True):
        lake = LakeTable(ctx.services.lake, source.table_name)
        version = item["version"]
        present = lake.schema(version).names
        declared = declared_columns(source)
        labels = {spec.name: spec.label or "" for spec in declared}
        # Rows are identified by the declared keys, or else by identifier columns.
        keys = list(source.key_columns) or [
            spec.name for spec in declared if spec.check in IDENTIFIER_CHECKS
        ]
        names = [name for name in present if name in labels]
        reader = plain_reader(
            ctx.session,
            ctx.services.keystore,
            ctx.services.lake,
            table_name=source.table_name,
            version=version,
            columns=names,
        )
        tables.append(
            ScanTable(
                organisation_id=source.organisation_id,
                reader=reader,
                columns=[ScanColumn(name, labels[name]) for name in names],
                key_columns=keys,
            )
        )
    pairs = scan(
        tables,
        threshold=data.threshold,
        match_score=data.match_score,
        sketch_size=data.sketch_size,
    )
    for pair in pairs:
        a, b = scan_row.inputs[pair.a], scan_row.inputs[pair.b]
        ctx.session.add(
            DuplicatePair(
                scan_id=scan_row.id,
                source_a=a["source_id"],
                version_a=a["version"],
                source_b=b["source_id"],
                version_b=b["version"],
                column_match_ratio=pair.column_match_ratio,
                mean_value_jaccard=pair.mean_value_jaccard,
                row_overlap=pair.row_overlap,
                matches=[
                    {
                        "column_a": m.column_a,
                        "column_b": m.column_b,
                        "name_similarity": m.name_similarity,
                        "value_jaccard": m.value_jaccard,
                        "key": m.key,
                    }
                    for m in pair.matches
                ],
            )
        )
    ctx.session.flush()
    return len(pairs)


@actions.register(
    "duplicate_scan",
    DuplicateScanStart,
    example={"organisation_id": "<organisation id>"},
    summary="Find sources of different departments whose columns and values substantially "
    "overlap (synchronous); returns the scan with each pair's overlap measures.",
)
def duplicate_scan(ctx: Context, data: DuplicateScanStart) -> DuplicateScanOut:
    ctx.authorize_somewhere(RUN)
    org = ctx.session.get(Organisation, data.organisation_id)
    if org is None:
        raise NotFound("机构不存在", code="organisation_not_found")
    ctx.authorize(RUN, org.ref)
    sources = _candidates(ctx, org, data)
    for source in sources:  # the scan reads each source's data inside the platform
        ctx.authorize(RUN, org_ref(ctx.session, source.organisation_id))
    inputs = []
    for source in sources:
        version = LakeTable(ctx.services.lake, source.table_name).version()
        if version is None:
            if data.source_ids is not None:
                raise NotFound(
                    f"数据源“{source.name}”尚未归集入库",
                    code="lake_table_not_found",
                    fields={"source_ids": source.id},
                )
            continue
        inputs.append(
            {
                "source_id": source.id,
                "name": source.name,
                "organisation_id": source.organisation_id,
                "version": version,
            }
        )
    loaded = {item["source_id"] for item in inputs}
    sources = [source for source in sources if source.id in loaded]
    scan_row = DuplicateScan(
        organisation_id=org.id,
        params={
            "threshold": data.threshold,
            "match_score": data.match_score,
            "sketch_size": data.sketch_size,
        },
        inputs=inputs,
        status="running",
        requested_by=ctx.actor.name,
        started_at=utcnow(),
    )
    ctx.session.add(scan_row)
    ctx.session.flush()
    found = 0
    try:
        with ctx.session.begin_nested():
            found = _execute(ctx, scan_row, sources, data)
    except GovdataError as error:
        scan_row.status, scan_row.error_code = "failed", error.error_code
        scan_row.error_message = error.message
        found = 0
    except (duckdb.Error, pa.ArrowException) as error:
        scan_row.status, scan_row.error_code = "failed", "duplicate_scan_failed"
        scan_row.error_message = f"检测执行失败：{type(error).__name__}"
        found = 0
    else:
        scan_row.status = "succeeded"
    scan_row.pairs_found = found
    scan_row.finished_at = utcnow()
    ctx.session.flush()
    record_event(
        ctx,
        DuplicateScanFinished(
            subject_id=scan_row.id,
            organisation_id=org.id,
            status=scan_row.status,
            sources=len(inputs),
            pairs=found,
            error_code=scan_row.error_code,
        ),
    )
    return _out(ctx, scan_row)


def _out(ctx: Context, scan_row: DuplicateScan) -> DuplicateScanOut:
    by_id = {item["source_id"]: item for item in scan_row.inputs}
    pairs = ctx.session.scalars(
        select(DuplicatePair)
        .where(DuplicatePair.scan_id == scan_row.id)
        .order_by(DuplicatePair.column_match_ratio.desc(), DuplicatePair.id)
    )
    return DuplicateScanOut(
        id=scan_row.id,
        organisation_id=scan_row.organisation_id,
        status=scan_row.status,
        params=dict(scan_row.params),
        sources=len(scan_row.inputs),
        pairs=[
            DuplicatePairOut(
                source_a=pair.source_a,
                name_a=by_id[pair.source_a]["name"],
                organisation_a=by_id[pair.source_a]["organisation_id"],
                version_a=pair.version_a,
                source_b=pair.source_b,
                name_b=by_id[pair.source_b]["name"],
                organisation_b=by_id[pair.source_b]["organisation_id"],
                version_b=pair.version_b,
                column_match_ratio=pair.column_match_ratio,
                mean_value_jaccard=pair.mean_value_jaccard,
                row_overlap=pair.row_overlap,
                matches=[ColumnMatch.model_validate(match) for match in pair.matches],
            )
            for pair in pairs
        ],
        requested_by=scan_row.requested_by,
        started_at=scan_row.started_at,
        finished_at=scan_row.finished_at,
        error_code=scan_row.error_code,
        error_message=scan_row.error_message,
    )


@actions.register(
    "duplicate_list",
    DuplicateListQuery,
    example={},
    summary="Duplicate collection scans the caller may see, newest first, with their pairs.",
    read_only=True,
)
def duplicate_list(ctx: Context, data: DuplicateListQuery) -> list[DuplicateScanOut]:
    ctx.authorize_somewhere(READ)
    if data.organisation_id is not None:
        ctx.authorize(READ, org_ref(ctx.session, data.organisation_id))
    query = (
        select(DuplicateScan, Organisation)
        .join(Organisation, Organisation.id == DuplicateScan.organisation_id)
        .order_by(DuplicateScan.started_at.desc(), DuplicateScan.id)
    )
    if data.organisation_id is not None:
        query = query.where(DuplicateScan.organisation_id == data.organisation_id)
    scans = [
        row
        for row, org in ctx.session.execute(query.limit(data.limit * 4)).all()
        if ctx.can(READ, org.ref)
    ][: data.limit]
    return [_out(ctx, row) for row in scans]
