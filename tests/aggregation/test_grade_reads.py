"""Access by grade through the real actions (X2).

The demo provider's department (市场监督管理局) publishes three entries graded core,
important and general data level 2, and loads one source for each (with a
quarantined row). The demo accounts then read them: the provider officer at the
holder, the reviewer, administrator and auditor over the region's subtree, and the
consumer officer of another department through hand-made access grants.
Every action that ``tests/test_grade_policy.py`` says reads graded data has a probe
here that shows it both serving and refusing by grade.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from govdata.access.enforce import actor_grants
from govdata.access.grants import AccessGrant, StaticGrants
from govdata.access.policy import ReadKind, Relation, decide
from govdata.accounts.models import Application
from govdata.actions import ActionRegistry, Context
from govdata.aggregation.models import Source
from govdata.catalog.grading import metadata_resource
from govdata.catalog.models import CatalogEntry
from govdata.catalog.store import get_entry, published_version
from govdata.db import Database, new_id, utcnow
from govdata.errors import Forbidden, GovdataError, NotFound
from govdata.events import EventRecord
from govdata.grades import Grade
from govdata.orgs.models import Organisation
from govdata.services import Services
from govdata.sharing.models import Grant
from govdata.sharing.terms import today
from tests.aggregation.conftest import (
    CLEAN_ROWS,
    POPULATION_HEADER,
    Run,
    population_columns,
    write_csv,
)
from tests.catalog.conftest import entry_data, publish, region_department
from tests.factories import anonymous, context_for, user_actor
from tests.test_grade_policy import EXPECTATIONS, Reads

BAD_ROW = "150102199003071231,赵六,1,1990-03-07,150102,某地,13800000000,2024-01-04 00:00:00"
CLEAN_ID = "150102199003071237"
GRADES = {"core": "102001/000301", "important": "102001/000302", "general_2": "102001/000303"}


@dataclass(frozen=True)
class Graded:
    """Per grade: the entry id, its source id and the source's finished run id."""

    entries: dict[str, str]
    sources: dict[str, str]
    runs: dict[str, str]
    holder: Organisation


@pytest.fixture
def graded(
    as_provider: Run,
    as_reviewer: Run,
    market: Organisation,
    inbox: Path,
    run_now: Callable[..., Any],
) -> Graded:
    system = as_provider("system_register", {"organisation_id": market.id, "name": "分级测试系统"})
    location = write_csv(inbox, "graded.csv", [POPULATION_HEADER, *CLEAN_ROWS, BAD_ROW])
    entries, sources, runs = {}, {}, {}
    for grade, code in GRADES.items():
        item = {"name": "公民身份号码", "data_type": "C", "length": 18, "grade": grade}
        data = entry_data(
            market.id, system.id, code=code, name=f"分级测试（{grade}）", items=[item]
        )
        entries[grade] = publish(as_provider, as_reviewer, data | {"open_type": "none"})
        source = as_provider(
            "source_register",
            {
                "entry_id": entries[grade],
                "name": f"分级测试源（{grade}）",
                "kind": "csv",
                "location": location,
                "columns": population_columns(),
                "max_bad_ratio": 0.5,
            },
        )
        sources[grade] = source.id
        run = run_now(source.id)
        assert (run.status, run.rows_quarantined) == ("succeeded", 1)
        runs[grade] = run.id
    return Graded(entries, sources, runs, market)


As = Callable[..., Context]


@pytest.fixture
def as_user(agg_operator: Context, agg_services: Services) -> As:
    """A context of a demo account, optionally with access grants handed in."""

    def make(username: str, *grants: AccessGrant) -> Context:
        ctx = context_for(agg_operator, user_actor(agg_operator.session, username))
        return replace(ctx, services=replace(agg_services, grants=StaticGrants(grants)))

    return make


def read(registry: ActionRegistry, ctx: Context, name: str, data: dict[str, Any]) -> Any:
    return registry.run(name, ctx, data)


def refused(registry: ActionRegistry, ctx: Context, name: str, data: dict[str, Any]) -> Forbidden:
    with pytest.raises(Forbidden) as caught:
        registry.run(name, ctx, data)
    return caught.value


def consumer_org(ctx: Context) -> Organisation:
    return region_department(ctx.session, "人力资源和社会保障厅")


def grant_for(
    graded: Graded, grantee: Organisation, grade: str, ceiling: Grade, *, days: int = 30
) -> AccessGrant:
    return AccessGrant(
        id=f"grant-{grade}-{ceiling.value}",
        holder_id=graded.holder.id,
        grantee_id=grantee.id,
        resource_id=graded.entries[grade],
        ceiling=ceiling,
        expires_at=utcnow() + timedelta(days=days),
    )


# --- the journeys of the issue ---------------------------------------------------------


def test_a_reviewer_over_the_region_reads_important_data_of_a_department_but_not_core(
    registry: ActionRegistry, graded: Graded, as_user: As
) -> None:
    reviewer = as_user("reviewer")

    page = read(registry, reviewer, "data_read", {"source_id": graded.sources["important"]})
    assert page.total == 3
    assert reviewer.decisions[-1].relation is Relation.SUBTREE

    error = refused(registry, reviewer, "data_read", {"source_id": graded.sources["core"]})
    assert error.error_code == "grade_forbidden"
    assert error.http_status == 403
    assert "核心数据" in error.message
    assert error.fields == {"grade": "core", "ceiling": "important", "relation": "subtree"}


def test_the_provider_officer_reads_its_own_core_data(
    registry: ActionRegistry, graded: Graded, as_user: As
) -> None:
    provider = as_user("provider")
    page = read(registry, provider, "data_read", {"source_id": graded.sources["core"]})
    assert page.total == 3
    event = provider.session.scalars(
        select(EventRecord)
        .where(EventRecord.name == "aggregation:data:read")
        .order_by(EventRecord.occurred_at.desc())
    ).first()
    assert event is not None
    assert event.data["grade"] == "core"
    assert event.data["relation"] == "own"


def test_an_auditor_is_refused_important_data_and_reads_general_data_level_2(
    registry: ActionRegistry, graded: Graded, as_user: As
) -> None:
    auditor = as_user("auditor")
    error = refused(registry, auditor, "data_read", {"source_id": graded.sources["important"]})
    assert error.error_code == "grade_forbidden"
    assert "重要数据" in error.message
    assert "一般数据（2级）" in error.message
    assert read(registry, auditor, "data_read", {"source_id": graded.sources["general_2"]}).total
    # Metadata stays open to the auditor, whatever the grade.
    assert read(registry, auditor, "entry_show", {"id": graded.entries["core"]}).published


def test_the_platform_administrator_reads_general_data_only_up_to_level_2(
    registry: ActionRegistry, graded: Graded, as_user: As
) -> None:
    admin = as_user("admin")
    assert read(registry, admin, "data_read", {"source_id": graded.sources["general_2"]}).total
    error = refused(registry, admin, "quarantine_page", {"run_id": graded.runs["important"]})
    assert error.error_code == "grade_forbidden"


def test_a_consumer_with_a_grant_reads_up_to_its_ceiling_and_not_after_it_expires(
    registry: ActionRegistry, graded: Graded, as_user: As
) -> None:
    org = consumer_org(as_user("consumer"))
    source = {"source_id": graded.sources["important"]}

    without = refused(registry, as_user("consumer"), "data_read", source)
    assert without.error_code == "forbidden"

    within = grant_for(graded, org, "important", Grade.IMPORTANT)
    consumer = as_user("consumer", within)
    assert read(registry, consumer, "data_read", source).total == 3
    decision = consumer.decisions[-1]
    assert (decision.relation, decision.grant_id) == (Relation.GRANTED, within.id)

    below = grant_for(graded, org, "important", Grade.GENERAL_4)
    error = refused(registry, as_user("consumer", below), "data_read", source)
    assert error.error_code == "grade_forbidden"
    assert error.fields["ceiling"] == "general_4"

    expired = grant_for(graded, org, "important", Grade.IMPORTANT, days=-1)
    error = refused(registry, as_user("consumer", expired), "data_read", source)
    assert error.error_code == "grant_expired"
    assert "到期" in error.message


def test_core_data_leaves_its_holder_only_with_a_grant(
    registry: ActionRegistry, graded: Graded, as_user: As
) -> None:
    org = consumer_org(as_user("consumer"))
    consumer = as_user("consumer", grant_for(graded, org, "core", Grade.CORE))
    assert read(registry, consumer, "data_read", {"source_id": graded.sources["core"]}).total
    # A grant for one entry opens no other.
    error = refused(registry, consumer, "data_read", {"source_id": graded.sources["general_2"]})
    assert error.error_code == "forbidden"


def test_the_grade_of_a_revision_in_progress_counts_when_it_is_higher(
    registry: ActionRegistry, graded: Graded, as_user: As, market: Organisation
) -> None:
    provider = as_user("provider")
    entry = graded.entries["important"]
    read(registry, provider, "entry_revise", {"id": entry})
    shown = read(registry, provider, "entry_show", {"id": entry})
    assert shown.working is not None
    data = entry_data(market.id, shown.working.resources[0].system_id, code=GRADES["important"])
    del data["organisation_id"]
    item = {"name": "公民身份号码", "data_type": "C", "length": 18, "grade": "core"}
    read(registry, provider, "entry_update", {"id": entry, **data, "items": [item]})

    error = refused(
        registry, as_user("reviewer"), "data_read", {"source_id": graded.sources["important"]}
    )
    assert error.fields["grade"] == "core"


# --- lists agree with the decision ------------------------------------------------------


def visible_codes(registry: ActionRegistry, ctx: Context) -> set[str]:
    page = read(registry, ctx, "entry_export", {"page_size": 1000})
    return {entry.resource_code for entry in page.entries} & set(GRADES.values())


def decided_codes(ctx: Context) -> set[str]:
    codes = set()
    for code in GRADES.values():
        entry_id = ctx.session.scalar(
            select(CatalogEntry.id).where(CatalogEntry.resource_code == code)
        )
        assert entry_id is not None
        entry, provider = get_entry(ctx.session, entry_id)
        version = published_version(ctx.session, entry)
        assert version is not None
        resource = metadata_resource(entry, provider, [version])
        if decide(ctx.actor, resource, ReadKind.METADATA, actor_grants(ctx), utcnow()).allowed:
            codes.add(code)
    return codes


def test_the_exported_catalog_lists_exactly_the_entries_the_decision_allows(
    registry: ActionRegistry, graded: Graded, as_user: As, agg_operator: Context
) -> None:
    org = consumer_org(agg_operator)
    callers = {
        "provider": as_user("provider"),
        "reviewer": as_user("reviewer"),
        "auditor": as_user("auditor"),
        "consumer": as_user("consumer"),
        "consumer with a core grant": as_user(
            "consumer", grant_for(graded, org, "core", Grade.CORE)
        ),
        "anonymous": anonymous(agg_operator),
        "operator": agg_operator,
    }
    for name, ctx in callers.items():
        assert visible_codes(registry, ctx) == decided_codes(ctx), name
    assert GRADES["core"] not in visible_codes(registry, callers["consumer"])
    assert GRADES["core"] in visible_codes(registry, callers["consumer with a core grant"])


# --- every graded read, serving and refusing -------------------------------------------

Probe = Callable[[ActionRegistry, Graded, As], None]


def _show_probe(name: str, data: Callable[[Graded], dict[str, Any]]) -> Probe:
    """The holder's provider officer reads the core entry's description; a member
    of another department (the consumer) is refused it."""

    def probe(registry: ActionRegistry, graded: Graded, as_user: As) -> None:
        provider = as_user("provider")
        read(registry, provider, name, data(graded))
        assert provider.decisions[-1].kind is ReadKind.METADATA
        error = refused(registry, as_user("consumer"), name, data(graded))
        assert error.error_code == "grade_forbidden"
        assert read(registry, as_user("consumer"), name, data(graded) | important(graded))

    return probe


def important(graded: Graded) -> dict[str, str]:
    return {"id": graded.entries["important"]}


def _revised(registry: ActionRegistry, graded: Graded, as_user: As) -> None:
    """Version 2 of the core and the important entries, for comparing."""
    for grade in ("core", "important"):
        entry = graded.entries[grade]
        read(registry, as_user("provider"), "entry_revise", {"id": entry})
        read(registry, as_user("provider"), "entry_submit", {"id": entry})
        read(registry, as_user("reviewer"), "entry_review", {"id": entry, "decision": "publish"})


def _compare_probe(registry: ActionRegistry, graded: Graded, as_user: As) -> None:
    _revised(registry, graded, as_user)
    _show_probe("entry_compare", lambda g: {"id": g.entries["core"], "number": 2})(
        registry, graded, as_user
    )


def _values_probe(name: str, data: Callable[[Graded, str], dict[str, Any]]) -> Probe:
    """The holder's provider officer reads core data; the reviewer over the region
    (who holds the action's permission there) is refused it by grade."""

    def probe(registry: ActionRegistry, graded: Graded, as_user: As) -> None:
        provider = as_user("provider")
        read(registry, provider, name, data(graded, "core"))
        assert provider.decisions[-1].kind is ReadKind.VALUES
        assert provider.decisions[-1].grade is Grade.CORE
        reviewer = as_user("reviewer")
        error = refused(registry, reviewer, name, data(graded, "core"))
        assert error.error_code == "grade_forbidden"
        read(registry, reviewer, name, data(graded, "important"))

    return probe


def _version_list_probe(registry: ActionRegistry, graded: Graded, as_user: As) -> None:
    """Commit metadata: every role that may follow runs in scope reads it at any grade."""
    for username in ("provider", "reviewer", "auditor", "admin"):
        ctx = as_user(username)
        assert read(registry, ctx, "version_list", {"id": graded.sources["core"]}).versions
        assert ctx.decisions[-1].kind is ReadKind.METADATA


def _entry_check_probe(registry: ActionRegistry, graded: Graded, as_user: As) -> None:
    """Conformance of an entry reads its items as entry_show does: by the entry's grade."""
    provider = as_user("provider")
    report = read(registry, provider, "element_check_entry", {"entry_id": graded.entries["core"]})
    assert report.matched == 1  # its one item, 公民身份号码, is a national element
    assert provider.decisions[-1].kind is ReadKind.METADATA
    consumer = as_user("consumer")
    error = refused(registry, consumer, "element_check_entry", {"entry_id": graded.entries["core"]})
    assert error.error_code == "grade_forbidden"
    read(registry, consumer, "element_check_entry", {"entry_id": graded.entries["important"]})


def _lineage_probe(registry: ActionRegistry, graded: Graded, as_user: As) -> None:
    """A table's lineage is its description: read in scope at any grade, refused outside."""
    for username in ("provider", "reviewer", "auditor"):
        ctx = as_user(username)
        graph = read(registry, ctx, "lineage_graph", {"source_id": graded.sources["core"]})
        assert {node.kind for node in graph.nodes} == {"origin", "job", "table"}
        assert ctx.decisions[-1].kind is ReadKind.METADATA
    refused(registry, as_user("consumer"), "lineage_graph", {"source_id": graded.sources["core"]})


def _entry_list_probe(registry: ActionRegistry, graded: Graded, as_user: As) -> None:
    """Insiders list their scope's entries at every grade."""
    for username in ("provider", "reviewer"):
        page = read(registry, as_user(username), "entry_list", {"limit": 100})
        assert GRADES["core"] in {entry.resource_code for entry in page.entries}


def _export_probe(registry: ActionRegistry, graded: Graded, as_user: As) -> None:
    assert GRADES["core"] in visible_codes(registry, as_user("provider"))
    assert visible_codes(registry, as_user("consumer")) == {
        GRADES["important"],
        GRADES["general_2"],
    }


def _search_probe(registry: ActionRegistry, graded: Graded, as_user: As) -> None:
    consumer = as_user("consumer")
    consumer.services.search.sync(Database.bound_to(consumer.session.connection()))
    found = read(registry, consumer, "catalog_search", {"q": "分级测试"})
    assert {hit.resource_code for hit in found.hits} == {
        GRADES["important"],
        GRADES["general_2"],
    }
    assert {facet.value for facet in found.facets["grade"]} == {"important", "general_2"}
    assert not any(facet.selected for facet in found.facets["grade"])


def _library_probe(registry: ActionRegistry, graded: Graded, as_user: As) -> None:
    """A library's parts keep their holders and grades: the reviewer reads a library
    of important and general data, and one holding core data only with a grant."""
    reviewer = as_user("reviewer")
    authority = region_department(reviewer.session, "政务服务与数据管理局")

    def library(code: str, grades: tuple[str, ...]) -> str:
        made = read(
            registry,
            reviewer,
            "library_create",
            {
                "organisation_id": authority.id,
                "kind": "base",
                "code": code,
                "name": f"人口基础库（{code}）",
                "standard": "population",
            },
        )
        for grade in grades:
            member = {"library_id": made.id, "source_id": graded.sources[grade]}
            read(registry, reviewer, "library_add_member", member)
        read(registry, reviewer, "library_build", {"id": made.id})
        reviewer.session.commit()
        return str(made.id)

    mixed = library("graded_mixed", ("important", "general_2"))
    with_core = library("graded_core", ("core", "general_2"))
    page = read(registry, reviewer, "library_read", {"library_id": mixed})
    assert page.total == 3
    assert reviewer.decisions[-1].grade is Grade.IMPORTANT
    error = refused(registry, reviewer, "library_read", {"library_id": with_core})
    assert (error.error_code, error.fields["grade"]) == ("grade_forbidden", "core")
    region = reviewer.session.get(Organisation, reviewer.actor.grants[0].organisation_id)
    assert region is not None
    granted = as_user("reviewer", grant_for(graded, region, "core", Grade.CORE))
    assert read(registry, granted, "library_read", {"library_id": with_core}).total == 3


def _quality_failures_probe(registry: ActionRegistry, graded: Graded, as_user: As) -> None:
    """Failing rows of a quality run are the source's values, decided like a data read."""
    provider = as_user("provider")
    runs: dict[str, str] = {}
    rules = {
        "key_columns": ["id_number"],
        "rules": [{"code": "named", "kind": "not_null", "column": "name"}],
    }
    for grade in ("core", "important"):
        source_id = graded.sources[grade]
        read(registry, provider, "quality_rules_set", {"source_id": source_id, "rules": rules})
        runs[grade] = read(registry, provider, "quality_run_start", {"source_id": source_id}).id
    _values_probe("quality_failures", lambda g, grade: {"run_id": runs[grade]})(
        registry, graded, as_user
    )


LI_SI = "150102199003071237"


def _profiles(registry: ActionRegistry, graded: Graded, as_user: As) -> dict[str, tuple[str, str]]:
    """Person profiles built by the reviewer from the graded sources: at the data
    authority from the core and general sources, at the region from the important
    and general ones. Per set: the organisation and 李四's profile."""
    reviewer = as_user("reviewer")
    authority = region_department(reviewer.session, "政务服务与数据管理局")
    region = reviewer.session.get(Organisation, reviewer.actor.grants[0].organisation_id)
    assert region is not None
    built = {}
    for name, org, grades in (
        ("core", authority, ("core", "general_2")),
        ("important", region, ("important", "general_2")),
    ):
        sources = [graded.sources[grade] for grade in grades]
        build = {"kind": "person", "organisation_id": org.id, "source_ids": sources}
        assert read(registry, reviewer, "profile_build", build).profiles == 3
        hits = read(
            registry,
            as_user("provider"),
            "profile_search",
            {"id_number": LI_SI, "organisation_id": org.id},
        ).hits
        assert len(hits) == 1
        built[name] = (org.id, hits[0].id)
    reviewer.session.commit()
    return built


def _profile_get_probe(registry: ActionRegistry, graded: Graded, as_user: As) -> None:
    """The holder's provider officer reads a profile built from its core data, in
    clear; the reviewer over the region (who holds profile:read) is refused it by
    grade and reads the profile built from important and general data, masked."""
    profiles = _profiles(registry, graded, as_user)
    provider = as_user("provider")
    mine = read(registry, provider, "profile_get", {"id": profiles["core"][1]})
    assert (mine.golden["id_number"].value, mine.audience, mine.masked) == (LI_SI, "owner", {})
    assert {record.source_id for record in mine.records} == {
        graded.sources["core"],
        graded.sources["general_2"],
    }
    assert provider.decisions[-1].kind is ReadKind.VALUES
    assert provider.decisions[-1].grade is Grade.CORE
    reviewer = as_user("reviewer")
    error = refused(registry, reviewer, "profile_get", {"id": profiles["core"][1]})
    assert (error.error_code, error.fields["grade"]) == ("grade_forbidden", "core")
    shown = read(registry, reviewer, "profile_get", {"id": profiles["important"][1]})
    assert reviewer.decisions[-1].grade is Grade.IMPORTANT
    assert shown.audience == "authority"
    assert shown.golden["id_number"].value == LI_SI[:6] + "*" * 8 + LI_SI[-4:]


def _profile_search_probe(registry: ActionRegistry, graded: Graded, as_user: As) -> None:
    """Searching reads the names of the profiles found: decided on their sources."""
    profiles = _profiles(registry, graded, as_user)
    provider = as_user("provider")
    criteria = {"id_number": LI_SI, "organisation_id": profiles["core"][0]}
    found = read(registry, provider, "profile_search", criteria)
    assert [(hit.id, hit.name) for hit in found.hits] == [(profiles["core"][1], "李四")]
    assert provider.decisions[-1].grade is Grade.CORE
    reviewer = as_user("reviewer")
    error = refused(registry, reviewer, "profile_search", criteria)
    assert (error.error_code, error.fields["grade"]) == ("grade_forbidden", "core")
    criteria["organisation_id"] = profiles["important"][0]
    found = read(registry, reviewer, "profile_search", criteria)
    assert [hit.id for hit in found.hits] == [profiles["important"][1]]
    assert reviewer.decisions[-1].grade is Grade.IMPORTANT


def _verification_conflicts_probe(registry: ActionRegistry, graded: Graded, as_user: As) -> None:
    """Conflicts hold the values of every input: the reviewer reads those of a run over
    important and general data, is refused a run over core data, and reads it with a grant."""
    reviewer = as_user("reviewer")
    region = reviewer.session.get(Organisation, reviewer.actor.grants[0].organisation_id)
    assert region is not None

    def run(grades: tuple[str, str]) -> str:
        tables = [
            {"source_id": graded.sources[grade], "fields": {"address": "address"}}
            for grade in grades
        ]
        started = read(
            registry,
            reviewer,
            "verification_run_start",
            {
                "organisation_id": region.id,
                "subject_kind": "person",
                "key": "id_number",
                "tables": tables,
            },
        )
        assert started.status == "succeeded"
        return str(started.id)

    mixed, with_core = run(("important", "general_2")), run(("core", "general_2"))
    assert read(registry, reviewer, "verification_conflicts", {"run_id": mixed}).total == 0
    assert reviewer.decisions[-1].grade is Grade.IMPORTANT
    error = refused(registry, reviewer, "verification_conflicts", {"run_id": with_core})
    assert (error.error_code, error.fields["grade"]) == ("grade_forbidden", "core")
    granted = as_user("reviewer", grant_for(graded, region, "core", Grade.CORE))
    read(registry, granted, "verification_conflicts", {"run_id": with_core})
    assert granted.decisions[-1].grade is Grade.CORE


def _service_probe(name: str, payload: Callable[[str, str], dict[str, Any]]) -> Probe:
    """A consumer officer calls a service (on behalf of its application) under a stored
    grant of the core entry: refused by grade when the grant's ceiling is important,
    served when it is core."""

    def probe(registry: ActionRegistry, graded: Graded, as_user: As) -> None:
        session = as_user("consumer").session
        org = consumer_org(as_user("consumer"))
        app = Application(id=new_id(), name="分级探针应用", organisation_id=org.id)
        source = session.get(Source, graded.sources["core"])
        assert source is not None
        source.key_columns = ["id_number"]
        session.add(app)
        for ceiling in (Grade.IMPORTANT, Grade.CORE):
            session.add(
                Grant(
                    id=f"grant-core-{ceiling.value}",
                    number=f"SQ-PROBE-{ceiling.value}",
                    origin="application",
                    entry_id=graded.entries["core"],
                    holder_org_id=graded.holder.id,
                    grantee_org_id=org.id,
                    ceiling=ceiling.value,
                    fields=[
                        {"name": "公民身份号码", "strategy": "hash"},
                        {"name": "姓名", "strategy": "partial"},
                    ],
                    division_codes=[],
                    application_ids=[],
                    methods=["query", "verify"],
                    starts_on=today(),
                    ends_on=today() + timedelta(days=30),
                    calls_per_day=10,
                    rows_per_call=10,
                    rows_per_day=100,
                    created_by="probe",
                )
            )
        session.flush()
        low = as_user("consumer", grant_for(graded, org, "core", Grade.IMPORTANT))
        error = refused(registry, low, name, payload("grant-core-important", app.id))
        assert error.error_code == "grade_forbidden"
        high = as_user("consumer", grant_for(graded, org, "core", Grade.CORE))
        read(registry, high, name, payload("grant-core-core", app.id))
        assert high.decisions[-1].kind is ReadKind.VALUES
        assert high.decisions[-1].grade is Grade.CORE

    return probe


def _stored_grant(graded: Graded, ctx: Context, grade: str) -> str:
    """A stored grant of the consumer department to ``grade``'s entry, ceiling important."""
    from govdata.sharing.models import Grant  # noqa: PLC0415
    from govdata.sharing.terms import today  # noqa: PLC0415

    grant = Grant(
        number=f"SQ-PROBE-{grade}",
        origin="application",
        entry_id=graded.entries[grade],
        holder_org_id=graded.holder.id,
        grantee_org_id=consumer_org(ctx).id,
        ceiling=Grade.IMPORTANT.value,
        fields=[{"name": "公民身份号码", "strategy": "hash"}],
        division_codes=[],
        application_ids=[],
        methods=["bulk", "subscription"],
        starts_on=today(),
        ends_on=today() + timedelta(days=30),
        calls_per_day=100,
        rows_per_call=100,
        rows_per_day=1000,
        status="active",
        created_by="test",
    )
    ctx.session.add(grant)
    ctx.session.flush()
    return grant.id


def _grant_probe(name: str, data: Callable[[Context, str, str], dict[str, Any]]) -> Probe:
    """Under a grant whose ceiling is important: the consumer receives important data and
    is refused core data by grade."""

    def probe(registry: ActionRegistry, graded: Graded, as_user: As) -> None:
        consumer = as_user("consumer")
        for grade, allowed in (("important", True), ("core", False)):
            grant_id = _stored_grant(graded, consumer, grade)
            try:
                registry.run(name, consumer, data(consumer, grant_id, grade))
            except GovdataError as error:
                assert error.error_code == ("delivery_not_ready" if allowed else "grade_forbidden")
            assert consumer.decisions[-1].kind is ReadKind.VALUES
            assert consumer.decisions[-1].allowed is allowed

    return probe


def _delivery_of(ctx: Context, grant_id: str, grade: str) -> dict[str, Any]:
    from govdata.sharing.delivery_models import BulkDelivery  # noqa: PLC0415

    delivery = BulkDelivery(
        grant_id=grant_id,
        source_id=_source_of(ctx, grant_id),
        grantee_org_id=consumer_org(ctx).id,
        target="files",
        where={},
        version=0,
        status="queued",
        parts_total=0,
        parts_done=0,
        rows=0,
        columns=[],
        masked={},
        requested_by="test",
    )
    ctx.session.add(delivery)
    ctx.session.flush()
    return {"id": delivery.id, "name": "manifest.json"}


def _source_of(ctx: Context, grant_id: str) -> str:
    from govdata.aggregation.models import Source  # noqa: PLC0415
    from govdata.sharing.models import Grant  # noqa: PLC0415

    grant = ctx.session.get(Grant, grant_id)
    assert grant is not None
    source_id = ctx.session.scalar(select(Source.id).where(Source.entry_id == grant.entry_id))
    assert source_id is not None
    return source_id


def _subscription_of(ctx: Context, grant_id: str, grade: str) -> dict[str, Any]:
    from govdata.sharing.delivery_models import Subscription  # noqa: PLC0415

    subscription = Subscription(
        grant_id=grant_id,
        source_id=_source_of(ctx, grant_id),
        grantee_org_id=consumer_org(ctx).id,
        transport="outbox",
        status="active",
        status_note="",
        start_version=0,
        batched_version=0,
        acked_version=0,
        next_sequence=1,
        created_by="test",
    )
    ctx.session.add(subscription)
    ctx.session.flush()
    return {"id": subscription.id}


PROBES: dict[str, Probe] = {
    "delivery_start": _grant_probe("delivery_start", lambda ctx, g, grade: {"grant_id": g}),
    "delivery_file": _grant_probe("delivery_file", _delivery_of),
    "subscription_pull": _grant_probe("subscription_pull", _subscription_of),
    "entry_show": _show_probe("entry_show", lambda g: {"id": g.entries["core"]}),
    "entry_version_show": _show_probe(
        "entry_version_show", lambda g: {"id": g.entries["core"], "number": 1}
    ),
    "entry_compare": _compare_probe,
    "entry_list": _entry_list_probe,
    "entry_export": _export_probe,
    "catalog_search": _search_probe,
    "data_read": _values_probe("data_read", lambda g, grade: {"source_id": g.sources[grade]}),
    "version_manifest": _values_probe(
        "version_manifest", lambda g, grade: {"source_id": g.sources[grade]}
    ),
    "quarantine_page": _values_probe("quarantine_page", lambda g, grade: {"run_id": g.runs[grade]}),
    "version_list": _version_list_probe,
    "lineage_graph": _lineage_probe,
    "element_check_entry": _entry_check_probe,
    "element_check_source": _values_probe(
        "element_check_source", lambda g, grade: {"source_id": g.sources[grade]}
    ),
    "library_read": _library_probe,
    "quality_failures": _quality_failures_probe,
    "profile_get": _profile_get_probe,
    "profile_search": _profile_search_probe,
    "verification_conflicts": _verification_conflicts_probe,
    "service_query": _service_probe(
        "service_query", lambda grant, app: {"grant_id": grant, "application_id": app}
    ),
    "service_verify": _service_probe(
        "service_verify",
        lambda grant, app: {
            "grant_id": grant,
            "application_id": app,
            "values": {"id_number": CLEAN_ID, "name": "李四"},
        },
    ),
}


def test_every_action_that_reads_graded_data_has_a_probe() -> None:
    reading = {name for name, spec in EXPECTATIONS.items() if isinstance(spec, Reads)}
    assert set(PROBES) == reading


@pytest.mark.parametrize("name", sorted(PROBES))
def test_a_graded_read_serves_and_refuses_by_grade(
    name: str, registry: ActionRegistry, graded: Graded, as_user: As
) -> None:
    PROBES[name](registry, graded, as_user)


def test_anonymous_callers_learn_nothing_of_a_closed_entry(
    registry: ActionRegistry, graded: Graded, agg_operator: Context
) -> None:
    with pytest.raises(NotFound):
        registry.run("entry_show", anonymous(agg_operator), {"id": graded.entries["core"]})


def test_a_refusal_is_a_govdata_error_with_a_stable_shape(
    registry: ActionRegistry, graded: Graded, as_user: As
) -> None:
    error: GovdataError = refused(
        registry, as_user("auditor"), "quarantine_page", {"run_id": graded.runs["core"]}
    )
    assert error.to_dict()["error"]["code"] == "grade_forbidden"
    assert set(error.to_dict()["error"]["fields"]) == {"grade", "ceiling", "relation"}


# --- masking by audience (X3): same rows, different views -----------------------------
# The id_number column carries the GB 11643 check and phone the phone check: both are
# sensitive, whatever the catalog item says.


def _ids(page: Any) -> list[str]:
    return [row["id_number"] for row in page.rows]


def test_the_holder_reads_clear_values(
    registry: ActionRegistry, graded: Graded, as_user: As
) -> None:
    page = read(registry, as_user("provider"), "data_read", {"source_id": graded.sources["core"]})

    assert page.audience == "owner"
    assert page.masked == {}
    assert all("*" not in value for value in _ids(page))


def test_the_authority_over_the_region_sees_id_numbers_partially_masked(
    registry: ActionRegistry, graded: Graded, as_user: As
) -> None:
    source = {"source_id": graded.sources["important"]}
    clear = _ids(read(registry, as_user("provider"), "data_read", source))

    page = read(registry, as_user("reviewer"), "data_read", source)

    assert page.audience == "authority"
    assert page.masked == {"id_number": "partial", "phone": "partial"}
    masked = _ids(page)
    assert [value[:6] + value[-4:] for value in masked] == [v[:6] + v[-4:] for v in clear]
    assert all(value[6:14] == "*" * 8 for value in masked)
    # Columns that are not sensitive come back as they are.
    assert [row["name"] for row in page.rows] == [
        row["name"] for row in read(registry, as_user("provider"), "data_read", source).rows
    ]


def test_a_consumer_under_a_grant_reads_masked_values_and_the_read_records_it(
    registry: ActionRegistry, graded: Graded, as_user: As
) -> None:
    consumer = as_user("consumer")
    grant = grant_for(graded, consumer_org(consumer), "important", Grade.IMPORTANT)
    reader = as_user("consumer", grant)

    page = read(registry, reader, "data_read", {"source_id": graded.sources["important"]})

    assert page.audience == "consumer"
    assert all(value[6:14] == "*" * 8 for value in _ids(page))
    event = reader.session.scalars(
        select(EventRecord)
        .where(EventRecord.name == "aggregation:data:read")
        .order_by(EventRecord.occurred_at.desc())
    ).first()
    assert event is not None
    assert event.data["audience"] == "consumer"
    assert event.data["masked"] == {"id_number": "partial", "phone": "partial"}
