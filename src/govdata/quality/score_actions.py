"""Quality scores rolled up: resource → catalog entry → department → region, and history.

Each resource counts with its latest successful run. A score is conforming ÷
evaluated summed over the rules (and resources) it covers, so a rule over a
million rows weighs a million times more than a table-level rule; per-dimension
scores sum only that dimension's rules. Regions include their whole subtree.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from sqlalchemy import select

from govdata.actions import ActionSet, Context
from govdata.aggregation.models import Library, Source
from govdata.catalog.models import CatalogEntry, EntryVersion
from govdata.orgs.models import Organisation
from govdata.quality.models import QualityRuleResult, QualityRun
from govdata.quality.schemas import GroupScore, HistoryPoint, ResourceScore, ScoreQuery, ScoreReport
from govdata.quality.store import dimension_scores, ratio, results_of

actions = ActionSet("quality-scores")


class _Sums:
    def __init__(self) -> None:
        self.evaluated = 0
        self.passed = 0
        self.dimensions: dict[str, list[int]] = defaultdict(lambda: [0, 0])
        self.resources = 0

    def add(self, results: Iterable[QualityRuleResult]) -> None:
        self.resources += 1
        for dimension, (evaluated, passed) in dimension_scores(results).items():
            self.evaluated += evaluated
            self.passed += passed
            self.dimensions[dimension][0] += evaluated
            self.dimensions[dimension][1] += passed

    def group(self, group_id: str, name: str) -> GroupScore:
        return GroupScore(
            id=group_id,
            name=name,
            resources=self.resources,
            evaluated=self.evaluated,
            passed=self.passed,
            score=ratio(self.passed, self.evaluated),
            dimensions={d: ratio(p, e) for d, (e, p) in sorted(self.dimensions.items())},
        )


def _dims(results: Iterable[QualityRuleResult]) -> dict[str, float | None]:
    return {d: ratio(p, e) for d, (e, p) in sorted(dimension_scores(results).items())}


def _names(ctx: Context, runs: list[QualityRun]) -> dict[str, str]:
    source_ids = [r.source_id for r in runs if r.source_id]
    library_ids = [r.library_id for r in runs if r.library_id]
    names: dict[str, str] = {}
    if source_ids:
        names.update(
            (row[0], row[1])
            for row in ctx.session.execute(
                select(Source.id, Source.name).where(Source.id.in_(source_ids))
            )
        )
    if library_ids:
        names.update(
            (row[0], row[1])
            for row in ctx.session.execute(
                select(Library.id, Library.name).where(Library.id.in_(library_ids))
            )
        )
    return names


def _entry_names(ctx: Context, entry_ids: set[str]) -> dict[str, str]:
    if not entry_ids:
        return {}
    rows = ctx.session.execute(
        select(CatalogEntry.id, EntryVersion.name)
        .join(EntryVersion, EntryVersion.entry_id == CatalogEntry.id)
        .where(CatalogEntry.id.in_(entry_ids), EntryVersion.number == CatalogEntry.latest_number)
    ).all()
    return {row[0]: row[1] for row in rows}


@actions.register(
    "quality_scores",
    ScoreQuery,
    example={},
    summary="Quality scores per resource (latest successful run), rolled up per catalog "
    "entry, department and region, per GB/T 36344 dimension, with each resource's history.",
    read_only=True,
)
def quality_scores(ctx: Context, data: ScoreQuery) -> ScoreReport:
    ctx.authorize_somewhere("quality:read")
    query = (
        select(QualityRun, Organisation)
        .join(Organisation, Organisation.id == QualityRun.organisation_id)
        .where(QualityRun.status == "succeeded")
        .order_by(QualityRun.started_at.desc(), QualityRun.id)
    )
    if data.source_id is not None:
        query = query.where(QualityRun.source_id == data.source_id)
    if data.library_id is not None:
        query = query.where(QualityRun.library_id == data.library_id)
    if data.organisation_id is not None:
        scope = ctx.session.get(Organisation, data.organisation_id)
        if scope is None:
            return ScoreReport(resources=[], entries=[], departments=[], regions=[], history={})
        query = query.where(Organisation.path.startswith(scope.path))
    latest: dict[str, QualityRun] = {}
    history_runs: dict[str, list[QualityRun]] = defaultdict(list)
    orgs: dict[str, Organisation] = {}
    for run, org in ctx.session.execute(query).all():
        if not ctx.can("quality:read", org.ref):
            continue
        resource_id = run.source_id or run.library_id or ""
        orgs[org.id] = org
        latest.setdefault(resource_id, run)
        if len(history_runs[resource_id]) < data.history:
            history_runs[resource_id].append(run)
    all_runs = {run.id: run for runs in history_runs.values() for run in runs}
    all_runs.update({run.id: run for run in latest.values()})
    results = results_of(ctx.session, all_runs)
    names = _names(ctx, list(latest.values()))
    resources: list[ResourceScore] = []
    entries: dict[str, _Sums] = defaultdict(_Sums)
    departments: dict[str, _Sums] = defaultdict(_Sums)
    regions: dict[str, _Sums] = defaultdict(_Sums)
    for resource_id, run in latest.items():
        found = results.get(run.id, [])
        sums = _Sums()
        sums.add(found)
        resources.append(
            ResourceScore(
                kind="source" if run.source_id else "library",
                id=resource_id,
                name=names.get(resource_id, resource_id),
                organisation_id=run.organisation_id,
                entry_id=run.entry_id,
                run_id=run.id,
                version=run.lake_version,
                finished_at=run.finished_at,
                evaluated=sums.evaluated,
                passed=sums.passed,
                score=ratio(sums.passed, sums.evaluated),
                dimensions=_dims(found),
            )
        )
        if run.entry_id:
            entries[run.entry_id].add(found)
        departments[run.organisation_id].add(found)
        for ancestor in _region_ids(ctx, orgs[run.organisation_id]):
            regions[ancestor].add(found)
    entry_names = _entry_names(ctx, set(entries))
    region_orgs = {
        org.id: org
        for org in ctx.session.scalars(select(Organisation).where(Organisation.id.in_(regions)))
    }
    return ScoreReport(
        resources=sorted(resources, key=lambda r: r.name),
        entries=[s.group(i, entry_names.get(i, i)) for i, s in entries.items()],
        departments=[s.group(i, orgs[i].name) for i, s in departments.items()],
        regions=[s.group(i, region_orgs[i].name) for i, s in regions.items() if i in region_orgs],
        history={
            resource_id: [
                HistoryPoint(
                    run_id=run.id,
                    finished_at=run.finished_at,
                    version=run.lake_version,
                    score=run.score,
                    dimensions=_dims(results.get(run.id, [])),
                )
                for run in reversed(runs)
            ]
            for resource_id, runs in history_runs.items()
        },
    )


def _region_ids(ctx: Context, org: Organisation) -> list[str]:
    """The regions an organisation lies in: itself if a region, and every region above."""
    ids = [part for part in org.path.strip("/").split("/") if part]
    if not ids:
        return []
    return list(
        ctx.session.scalars(
            select(Organisation.id).where(Organisation.id.in_(ids), Organisation.kind == "region")
        )
    )
