"""One person one file, end to end through the actions: three sources loaded by the
real runner, linked into profiles, found, read with the source of every attribute,
masked by audience, recorded, refused without the right, and rebuilt stably."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from govdata.access.grants import AccessGrant, StaticGrants
from govdata.actions import ActionRegistry, Context
from govdata.db import utcnow
from govdata.errors import Forbidden
from govdata.events import EventRecord
from govdata.grades import Grade
from govdata.orgs.models import Organisation
from govdata.services import Services
from tests.aggregation.conftest import POPULATION_HEADER, Run, write_csv
from tests.catalog.conftest import region_department
from tests.factories import context_for, user_actor
from tests.profiles.journey import (
    HOME,
    LI_SI,
    LI_SI_PHONE,
    NEW_HOME,
    SOURCES,
    WANG_FANG,
    Loaded,
    crowd_lines,
    load_sources,
)

As = Callable[..., Context]


@pytest.fixture
def as_user(agg_operator: Context, agg_services: Services) -> As:
    def make(username: str, *grants: AccessGrant) -> Context:
        ctx = context_for(agg_operator, user_actor(agg_operator.session, username))
        return replace(ctx, services=replace(agg_services, grants=StaticGrants(grants)))

    return make


@pytest.fixture
def authority(agg_operator: Context) -> Organisation:
    return region_department(agg_operator.session, "政务服务与数据管理局")


@pytest.fixture
def loaded(as_provider: Run, run_now: Callable[..., Any], inbox: Path, entry_id: str) -> Loaded:
    return load_sources(as_provider, run_now, inbox, entry_id)


def build(registry: ActionRegistry, as_user: As, org: Organisation, loaded: Loaded) -> Any:
    reviewer = as_user("reviewer")
    data = {
        "kind": "person",
        "organisation_id": org.id,
        "source_ids": list(loaded.sources.values()),
    }
    out = registry.run("profile_build", reviewer, data)
    reviewer.session.commit()
    return out


def li_si(registry: ActionRegistry, ctx: Context) -> str:
    hits = registry.run("profile_search", ctx, {"id_number": LI_SI}).hits
    assert len(hits) == 1
    return str(hits[0].id)


@pytest.fixture
def built(registry: ActionRegistry, as_user: As, authority: Organisation, loaded: Loaded) -> Any:
    return build(registry, as_user, authority, loaded)


def test_three_sources_link_into_one_profile_per_person(built: Any) -> None:
    assert built.records == 3 + 2 + 1 + 3 * 300
    assert built.keyless == 2  # 汪芳 without an identity number, 李四 with a mistyped one
    assert built.linked_probabilistically == 2
    assert built.profiles == built.created == 3 + 300


def test_a_profile_is_found_by_identity_number_and_by_name(
    registry: ActionRegistry, as_user: As, built: Any
) -> None:
    reviewer = as_user("reviewer")
    by_number = registry.run("profile_search", reviewer, {"id_number": LI_SI}).hits
    by_name = registry.run("profile_search", reviewer, {"name": "李四"}).hits
    assert [hit.id for hit in by_number] == [hit.id for hit in by_name]
    assert by_number[0].records == 3
    fang = registry.run("profile_search", reviewer, {"id_number": WANG_FANG}).hits
    assert fang[0].records == 2  # the keyless, mistyped 汪芳 joined her


def test_the_golden_record_names_the_source_of_every_attribute(
    registry: ActionRegistry, as_user: As, built: Any, loaded: Loaded
) -> None:
    provider = as_user("provider")
    profile = registry.run("profile_get", provider, {"id": li_si(registry, provider)})
    golden = profile.golden
    assert (golden["id_number"].value, golden["id_number"].source_name) == (LI_SI, "户籍人口")
    # 户籍人口 has no phone for him: the next source supplies it.
    assert (golden["phone"].value, golden["phone"].source_name) == (LI_SI_PHONE, "社保参保")
    # The most authoritative source wins over the newer address, which stays a candidate.
    assert (golden["address"].value, golden["address"].source_name) == (HOME, "户籍人口")
    addresses = {c.value: c for c in profile.candidates if c.attribute == "address"}
    assert addresses[NEW_HOME].source_name == "不动产登记"
    assert not addresses[NEW_HOME].chosen
    assert addresses[NEW_HOME].updated_at is not None
    assert all(c.source_version for c in profile.candidates)
    assert {r.source_name: r.method for r in profile.records} == {
        "户籍人口": "exact",
        "社保参保": "exact",
        "不动产登记": "probabilistic",
    }
    assert set(SOURCES) == {r.source_name for r in profile.records}


def test_the_provider_reads_clear_values_and_a_consumer_with_a_grant_masked_ones(
    registry: ActionRegistry, as_user: As, built: Any, entry_id: str, market: Organisation
) -> None:
    provider = as_user("provider")
    profile_id = li_si(registry, provider)
    clear = registry.run("profile_get", provider, {"id": profile_id})
    assert (clear.audience, clear.masked) == ("owner", {})

    consumer = as_user("consumer")
    org = region_department(consumer.session, "人力资源和社会保障厅")
    grant = AccessGrant(
        id="grant-people",
        holder_id=market.id,
        grantee_id=org.id,
        resource_id=entry_id,
        ceiling=Grade.IMPORTANT,
        expires_at=utcnow() + timedelta(days=30),
    )
    granted = as_user("consumer", grant)
    masked = registry.run("profile_get", granted, {"id": profile_id})
    assert masked.audience == "consumer"
    assert masked.masked["id_number"] == "partial"
    number = masked.golden["id_number"].value
    assert number is not None
    assert number != LI_SI
    assert (number[:6], number[-4:]) == (LI_SI[:6], LI_SI[-4:])
    assert masked.golden["id_number"].source_name == "户籍人口"
    assert granted.decisions[-1].grant_id == grant.id


def test_a_profile_read_is_recorded(registry: ActionRegistry, as_user: As, built: Any) -> None:
    reviewer = as_user("reviewer")
    profile_id = li_si(registry, reviewer)
    registry.run("profile_get", reviewer, {"id": profile_id})
    event = reviewer.session.scalars(
        select(EventRecord).where(
            EventRecord.name == "aggregation:data:read", EventRecord.subject_id == profile_id
        )
    ).one()
    assert (event.actor_name, event.data["mode"], event.data["rows"]) == ("reviewer", "profile", 3)
    assert event.data["audience"] == "authority"
    search = reviewer.session.scalars(
        select(EventRecord).where(EventRecord.data["mode"].as_string() == "profile-search")
    ).first()
    assert search is not None
    assert LI_SI not in str(search.data["where"])  # looked-up numbers are pseudonymised


def test_a_caller_without_profile_read_or_a_grant_is_refused(
    registry: ActionRegistry, as_user: As, built: Any
) -> None:
    profile_id = li_si(registry, as_user("reviewer"))
    with pytest.raises(Forbidden):
        registry.run("profile_get", as_user("consumer"), {"id": profile_id})
    found = registry.run("profile_search", as_user("consumer"), {"id_number": LI_SI})
    assert found.hits == []


def test_a_rebuild_after_a_new_load_keeps_the_profile_ids(
    registry: ActionRegistry,
    as_user: As,
    authority: Organisation,
    loaded: Loaded,
    built: Any,
    inbox: Path,
    run_now: Callable[..., Any],
) -> None:
    reviewer = as_user("reviewer")
    before = {number: li_si(registry, reviewer) for number in (LI_SI,)}
    fang_before = registry.run("profile_search", reviewer, {"id_number": WANG_FANG}).hits[0].id
    # 社保参保 reloads with 李四's phone changed.
    rows = [row.replace(LI_SI_PHONE, "13987654321") for row in SOURCES["社保参保"]]
    write_csv(inbox, "people-2.csv", [POPULATION_HEADER, *rows, *crowd_lines()])
    assert run_now(loaded.sources["社保参保"]).status == "succeeded"

    again = build(registry, as_user, authority, loaded)

    assert again.created == 0
    assert again.merged == []
    assert {LI_SI: li_si(registry, reviewer)} == before
    profile = registry.run("profile_get", reviewer, {"id": before[LI_SI]})
    phones = {c.value for c in profile.candidates if c.attribute == "phone"}
    assert len(phones) == 2  # the new number from 社保参保, the old one from 不动产登记
    assert registry.run("profile_search", reviewer, {"id_number": WANG_FANG}).hits[0].id == (
        fang_before
    )
