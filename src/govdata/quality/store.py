"""Resources, rule sets and runs of the quality area, and what a run is evaluated against."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy import select
from sqlalchemy.orm import Session

from govdata.actions import Context
from govdata.aggregation.columns import ColumnSpec
from govdata.aggregation.models import Library, Source
from govdata.aggregation.store import declared_columns
from govdata.catalog.models import CatalogEntry, EntryVersion
from govdata.crypto.keystore import KeyStore
from govdata.db import utcnow
from govdata.errors import NotFound
from govdata.lake.location import StorageLocation
from govdata.lake.protection import protection_for_reading
from govdata.lake.query import _strings_as_views
from govdata.lake.tables import LakeTable
from govdata.libraries.build import library_columns
from govdata.orgs.models import Division
from govdata.quality.compile import FAR_FUTURE, EvaluationContext
from govdata.quality.dimensions import DIMENSION_LABELS, SUB_INDICATORS, Dimension
from govdata.quality.models import QualityRuleResult, QualityRuleSet, QualityRun
from govdata.quality.rules import DivisionCheck, RuleKind, RuleSetSpec, dump_rule_set_yaml
from govdata.quality.schemas import QualityRunOut, RuleResultOut, RuleSetOut

# The age a version may reach before it is late, by the entry's update cycle.
CYCLE_DAYS = {
    "realtime": 1,
    "daily": 1,
    "weekly": 7,
    "monthly": 31,
    "quarterly": 92,
    "semiannual": 183,
    "annual": 366,
}


@dataclass(frozen=True)
class Resource:
    kind: str  # source | library
    id: str
    name: str
    organisation_id: str
    entry_id: str | None
    table_name: str
    key_columns: list[str]
    columns: list[ColumnSpec]
    source: Source | None = None
    library: Library | None = None

    @property
    def source_id(self) -> str | None:
        return self.id if self.kind == "source" else None

    @property
    def library_id(self) -> str | None:
        return self.id if self.kind == "library" else None


def source_resource_of(source: Source) -> Resource:
    return Resource(
        kind="source",
        id=source.id,
        name=source.name,
        organisation_id=source.organisation_id,
        entry_id=source.entry_id,
        table_name=source.table_name,
        key_columns=list(source.key_columns),
        columns=declared_columns(source),
        source=source,
    )


def library_resource_of(library: Library) -> Resource:
    return Resource(
        kind="library",
        id=library.id,
        name=library.name,
        organisation_id=library.organisation_id,
        entry_id=None,
        table_name=library.table_name,
        key_columns=list(library.key_columns),
        columns=library_columns(library),
        library=library,
    )


def find_resource(session: Session, source_id: str | None, library_id: str | None) -> Resource:
    if source_id is not None:
        source = session.get(Source, source_id)
        if source is None:
            raise NotFound("数据源不存在", code="source_not_found")
        return source_resource_of(source)
    library = session.get(Library, library_id) if library_id else None
    if library is None:
        raise NotFound("库不存在", code="library_not_found")
    return library_resource_of(library)


def rule_set_of(session: Session, resource: Resource) -> QualityRuleSet | None:
    column = QualityRuleSet.source_id if resource.kind == "source" else QualityRuleSet.library_id
    return session.scalar(select(QualityRuleSet).where(column == resource.id))


def spec_of(rule_set: QualityRuleSet) -> RuleSetSpec:
    return RuleSetSpec.model_validate(rule_set.spec)


def rule_set_out(rule_set: QualityRuleSet) -> RuleSetOut:
    spec = spec_of(rule_set)
    return RuleSetOut(
        id=rule_set.id,
        source_id=rule_set.source_id,
        library_id=rule_set.library_id,
        organisation_id=rule_set.organisation_id,
        number=rule_set.number,
        key_columns=list(spec.key_columns),
        rules=[rule.model_dump(mode="json", exclude_defaults=True) for rule in spec.rules],
        yaml=dump_rule_set_yaml(spec),
        updated_at=rule_set.updated_at,
        updated_by=rule_set.updated_by,
    )


def get_run(session: Session, run_id: str) -> QualityRun:
    run = session.get(QualityRun, run_id)
    if run is None:
        raise NotFound("质量检查记录不存在", code="quality_run_not_found")
    return run


def results_of(session: Session, run_ids: Iterable[str]) -> dict[str, list[QualityRuleResult]]:
    ids = list(run_ids)
    found: dict[str, list[QualityRuleResult]] = defaultdict(list)
    if not ids:
        return found
    for result in session.scalars(
        select(QualityRuleResult)
        .where(QualityRuleResult.run_id.in_(ids))
        .order_by(QualityRuleResult.run_id, QualityRuleResult.position)
    ):
        found[result.run_id].append(result)
    return found


def dimension_scores(results: Iterable[QualityRuleResult]) -> dict[str, tuple[int, int]]:
    """(evaluated, passed) per dimension."""
    sums: dict[str, tuple[int, int]] = {}
    for result in results:
        evaluated, passed = sums.get(result.dimension, (0, 0))
        sums[result.dimension] = (evaluated + result.evaluated, passed + result.passed)
    return sums


def ratio(passed: int, evaluated: int) -> float | None:
    return None if evaluated == 0 else passed / evaluated


def run_out(run: QualityRun, results: list[QualityRuleResult], *, detail: bool) -> QualityRunOut:
    dims = {d: ratio(p, e) for d, (e, p) in dimension_scores(results).items()}
    return QualityRunOut(
        id=run.id,
        source_id=run.source_id,
        library_id=run.library_id,
        organisation_id=run.organisation_id,
        entry_id=run.entry_id,
        rule_set_number=run.rule_set_number,
        status=run.status,
        lake_version=run.lake_version,
        rows_evaluated=run.rows_evaluated,
        evaluated=run.evaluated,
        passed=run.passed,
        score=run.score,
        dimensions=dims,
        error_code=run.error_code,
        error_message=run.error_message,
        requested_by=run.requested_by,
        started_at=run.started_at,
        finished_at=run.finished_at,
        results=[result_out(r) for r in results] if detail else [],
    )


def result_out(result: QualityRuleResult) -> RuleResultOut:
    dimension = Dimension(result.dimension)
    return RuleResultOut(
        rule_code=result.rule_code,
        rule_name=result.rule_name,
        kind=result.kind,
        dimension=result.dimension,
        dimension_label=DIMENSION_LABELS[dimension],
        sub_indicator=result.sub_indicator,
        sub_indicator_label=SUB_INDICATORS[dimension].get(result.sub_indicator, ""),
        columns=list(result.columns),
        evaluated=result.evaluated,
        passed=result.passed,
        failed=result.failed,
        score=result.score,
        failures_kept=result.failures_kept,
    )


# -- what a run is evaluated against -----------------------------------------------


def update_cycle_days(session: Session, entry_id: str | None) -> int | None:
    if entry_id is None:
        return None
    entry = session.get(CatalogEntry, entry_id)
    if entry is None or entry.published_number is None:
        return None
    cycle = session.scalar(
        select(EntryVersion.update_cycle).where(
            EntryVersion.entry_id == entry.id, EntryVersion.number == entry.published_number
        )
    )
    return CYCLE_DAYS.get(str(cycle)) if cycle else None


def _needs_divisions(spec: RuleSetSpec) -> bool:
    for rule in spec.rules:
        if rule.kind in (RuleKind.ID_NUMBER, RuleKind.DIVISION_CODE) and (
            rule.division_check != DivisionCheck.STRUCTURE
        ):
            return True
    return False


def division_table(session: Session) -> pa.Table:
    rows = session.execute(select(Division.code, Division.valid_to)).all()
    return pa.table(
        {
            "code": pa.array([code for code, _ in rows], pa.string()),
            "valid_until": pa.array([valid_to or FAR_FUTURE for _, valid_to in rows], pa.date32()),
            "current": pa.array([valid_to is None for _, valid_to in rows], pa.bool_()),
        }
    )


def reference_values(
    session: Session, key_store: KeyStore, location: StorageLocation, library: Library, column: str
) -> pa.Table | None:
    """The distinct values of a library column (plain text), or None if it is not built
    or has no such column."""
    lake = LakeTable(location, library.table_name)
    if not lake.exists():
        return None
    version = lake.version()
    dataset = _strings_as_views(lake.dataset(version))
    if column not in dataset.schema.names:
        return None
    values = dataset.to_table(columns=[column]).column(column)
    distinct = pc.unique(values.combine_chunks() if values.num_chunks else values)
    table = pa.table({column: distinct})
    protection = protection_for_reading(session, key_store, lake, version)
    if protection is not None:
        table = protection.decrypt(table)
    return pa.table({"v": table.column(column).cast(pa.string())})


def evaluation_context(
    ctx: Context, resource: Resource, spec: RuleSetSpec, lake: LakeTable, version: int
) -> EvaluationContext:
    now = utcnow()
    references: dict[tuple[str, str], pa.Table] = {}
    for rule in spec.rules:
        if rule.kind != RuleKind.REFERENCE:
            continue
        assert rule.library is not None and rule.library_column is not None  # noqa: S101
        library = ctx.session.scalar(select(Library).where(Library.code == rule.library))
        if library is None:
            continue
        values = reference_values(
            ctx.session, ctx.services.keystore, ctx.services.lake, library, rule.library_column
        )
        if values is not None:
            references[(rule.library, rule.library_column)] = values
    return EvaluationContext(
        today=now.date(),
        now=now,
        commit_time=lake.version_info(version).timestamp,
        default_max_age_days=update_cycle_days(ctx.session, resource.entry_id),
        divisions=division_table(ctx.session) if _needs_divisions(spec) else None,
        references=references,
    )
