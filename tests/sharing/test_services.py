"""The query service (S2) and the verification service (S3): a registered application
of the grantee department, calling with a signed request, receives only what its
grant allows; every refusal has a stable code and is audited; every delivery is
counted against the grant's quota and ledgered."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from govdata.access_generation import current
from govdata.accounts.models import ApiKey, Application
from govdata.accounts.services import SignedCall, actor_for_application, consume_nonce, signing_key
from govdata.accounts.signing import signed_request_headers
from govdata.actions import ActionRegistry, Context
from govdata.app import create_app
from govdata.caches import NODE_CACHES, NodeCaches
from govdata.db import Database, utcnow
from govdata.errors import Forbidden, InvalidInput, NotFound, RateLimited
from govdata.events import EventRecord
from govdata.ledger import decode_entry, entries_about, get_leaf
from govdata.ledger.entries import EntryKind
from govdata.orgs.models import Organisation
from govdata.services import Services
from govdata.settings import Settings
from govdata.sharing.models import Grant
from govdata.sharing.quotas import QuotaBatchRefused, QuotaUse, consume, consume_together, used
from govdata.sharing.service_calls import (
    PUBLISHED_CACHE,
    PublishedCache,
    called_grant,
    published,
)
from govdata.sharing.service_models import QuotaCounter
from govdata.sharing.store import get_grant
from govdata.sharing.terms import today
from tests.aggregation.conftest import Run
from tests.factories import context_for
from tests.sharing.test_sharing import ID_LI, ID_ZHANG, application

QUERY = "/api/v1/services/query"
VERIFY = "/api/v1/services/verify"
JSON = {"Content-Type": "application/json"}


@dataclass(frozen=True)
class Caller:
    application_id: str
    key_id: str
    secret: str
    grant_id: str
    ctx: Context


def register_application(
    registry: ActionRegistry, agg_operator: Context, consumer: Context, name: str
) -> tuple[str, str, str]:
    org_id = consumer.actor.organisation_id
    app = registry.run("application_create", consumer, {"name": name, "organisation_id": org_id})
    registry.run(
        "role_grant",
        agg_operator,
        {"application_id": app.id, "role": "consumer_officer", "organisation_id": org_id},
    )
    issued = registry.run("api_key_create", consumer, {"application_id": app.id})
    return app.id, issued.key_id, issued.secret


def app_context(agg_operator: Context, application_id: str, key_id: str) -> Context:
    session = agg_operator.session
    app = session.get(Application, application_id)
    key = session.get(ApiKey, key_id)
    assert app is not None and key is not None
    return context_for(agg_operator, actor_for_application(session, app, key))


@pytest.fixture
def caller(
    registry: ActionRegistry,
    agg_operator: Context,
    consumer: Context,
    as_consumer: Run,
    as_provider: Run,
    source: Any,
    conditional_entry: str,
) -> Caller:
    """The consumer's application, whitelisted on a grant for query and verification
    with the ID number hashed and the name partly masked."""
    app_id, key_id, secret = register_application(
        registry, agg_operator, consumer, "社保待遇认证系统"
    )
    applied = as_consumer(
        "share_apply",
        application(conditional_entry, methods=["query", "verify"], application_ids=[app_id]),
    )
    decided = as_provider(
        "share_review",
        {
            "id": applied.id,
            "decision": "approve",
            "fields": [
                {"name": "公民身份号码", "strategy": "hash"},
                {"name": "姓名", "strategy": "partial"},
                {"name": "户籍地行政区划代码"},
                {"name": "住址", "strategy": "clear"},
            ],
            "quotas": {"calls_per_day": 5, "rows_per_call": 10, "rows_per_day": 20},
        },
    )
    return Caller(
        app_id, key_id, secret, decided.grant_id, app_context(agg_operator, app_id, key_id)
    )


def call(registry: ActionRegistry, caller: Caller, name: str, **data: Any) -> Any:
    return registry.run(name, caller.ctx, {"grant_id": caller.grant_id} | data)


def ledger_kinds(ctx: Context, subject_id: str) -> list[str]:
    ctx.session.commit()
    return [
        decode_entry(get_leaf(ctx.session, i).entry).kind
        for i in entries_about(ctx.session, subject_id)
    ]


def set_grant(ctx: Context, grant_id: str, **values: Any) -> None:
    ctx.session.execute(update(Grant).where(Grant.id == grant_id).values(**values))
    ctx.session.expire_all()


def refusals(ctx: Context) -> list[dict[str, Any]]:
    ctx.session.commit()
    return [
        record.data
        for record in ctx.session.scalars(
            select(EventRecord).where(EventRecord.name == "audit:request:refused")
        )
    ]


def deliveries(ctx: Context) -> list[EventRecord]:
    ctx.session.commit()
    return list(
        ctx.session.scalars(
            select(EventRecord).where(EventRecord.name == "sharing:delivery:served")
        )
    )


# --- the query service --------------------------------------------------------------


def test_a_key_lookup_returns_only_the_granted_fields_masked_as_granted(
    registry: ActionRegistry, caller: Caller
) -> None:
    page = call(registry, caller, "service_query", key=ID_LI)

    assert page.columns == ["id_number", "name", "division_code", "address"]
    assert page.masked == {"id_number": "hash", "name": "partial"}
    [row] = page.rows
    assert row["id_number"] != ID_LI and len(row["id_number"]) >= 32
    assert row["name"] != "李四" and row["name"].startswith("李")
    assert row["division_code"] == "150102" and "phone" not in row
    assert page.total == 1


def test_a_filtered_page_counts_and_pages_only_rows_in_the_division_scope(
    registry: ActionRegistry, caller: Caller, agg_operator: Context
) -> None:
    set_grant(
        agg_operator, caller.grant_id, division_column="division_code", division_codes=["150100"]
    )

    first = call(registry, caller, "service_query", limit=1)
    second = call(registry, caller, "service_query", limit=1, offset=1)

    assert first.total == second.total == 2
    assert {first.rows[0]["division_code"], second.rows[0]["division_code"]} == {"150102", "150104"}


def test_a_key_outside_the_division_scope_is_not_found(
    registry: ActionRegistry, caller: Caller, agg_operator: Context
) -> None:
    set_grant(
        agg_operator, caller.grant_id, division_column="division_code", division_codes=["150100"]
    )

    page = call(registry, caller, "service_query", key=ID_ZHANG)

    assert page.total == 0 and page.rows == []


def test_every_delivery_is_recorded_with_the_grant_version_and_rows_and_ledgered(
    registry: ActionRegistry, caller: Caller
) -> None:
    page = call(registry, caller, "service_query", key=ID_LI)

    record = caller.ctx.session.get(EventRecord, page.delivery_id)
    assert record is not None and record.name == "sharing:delivery:served"
    assert record.actor_kind == "application" and record.actor_id == caller.application_id
    assert record.data["grant_id"] == caller.grant_id and record.data["rows"] == 1
    assert record.data["version"] == page.version and record.data["service"] == "query"
    assert ID_LI not in json.dumps(record.data)
    assert record.data["where"]["id_number"].startswith("sm3:")
    assert EntryKind.DELIVERY_MADE in ledger_kinds(caller.ctx, caller.grant_id)


def test_a_malformed_id_number_is_refused_and_audited(
    registry: ActionRegistry, caller: Caller
) -> None:
    with pytest.raises(InvalidInput) as caught:
        call(registry, caller, "service_query", key="150102199003071230")

    assert caught.value.error_code == "service_key_malformed"
    assert [r["code"] for r in refusals(caller.ctx)] == ["service_key_malformed"]


def test_filtering_by_a_field_that_was_not_granted_is_refused(
    registry: ActionRegistry, caller: Caller
) -> None:
    with pytest.raises(Forbidden) as caught:
        call(registry, caller, "service_query", where={"phone": "13912345678"})

    assert caught.value.error_code == "grant_field_not_granted"


def test_more_rows_per_call_than_granted_is_refused(
    registry: ActionRegistry, caller: Caller
) -> None:
    with pytest.raises(InvalidInput) as caught:
        call(registry, caller, "service_query", limit=11)

    assert caught.value.error_code == "service_quota_rows_per_call"


# --- the verification service -------------------------------------------------------


def test_verification_answers_match_per_field_and_never_returns_values(
    registry: ActionRegistry, caller: Caller
) -> None:
    result = call(
        registry,
        caller,
        "service_verify",
        values={
            "id_number": ID_LI,
            "name": "李四",
            "address": "内蒙古自治区呼和浩特市新城区中山路9号",
        },
    )

    verdicts = {v.name: (v.match, v.score) for v in result.fields}
    assert result.found
    assert verdicts["id_number"] == (True, None) and verdicts["name"] == (True, None)
    assert verdicts["address"][0] is False and 0.8 < (verdicts["address"][1] or 0) < 1
    dumped = result.model_dump_json()
    assert "中山路8号" not in dumped and "李四" not in dumped


def test_verifying_a_wrong_name_is_no_match(registry: ActionRegistry, caller: Caller) -> None:
    result = call(registry, caller, "service_verify", values={"id_number": ID_LI, "name": "王五"})

    assert result.found and [(v.name, v.match) for v in result.fields] == [
        ("id_number", True),
        ("name", False),
    ]


def test_verifying_an_unknown_person_is_not_found(registry: ActionRegistry, caller: Caller) -> None:
    result = call(
        registry,
        caller,
        "service_verify",
        values={"id_number": "150102199003071253", "name": "李四"},
    )

    assert not result.found and not any(v.match for v in result.fields)


def test_verification_needs_the_key_column(registry: ActionRegistry, caller: Caller) -> None:
    with pytest.raises(InvalidInput) as caught:
        call(registry, caller, "service_verify", values={"name": "李四", "address": "某地"})

    assert caught.value.error_code == "service_key_required"


# --- the grant decides ----------------------------------------------------------------


def test_an_application_not_on_the_whitelist_is_refused_and_audited(
    registry: ActionRegistry, caller: Caller, agg_operator: Context, consumer: Context
) -> None:
    other_id, key_id, _ = register_application(registry, agg_operator, consumer, "另一个系统")
    other = Caller(
        other_id, key_id, "", caller.grant_id, app_context(agg_operator, other_id, key_id)
    )

    with pytest.raises(Forbidden) as caught:
        call(registry, other, "service_query", key=ID_LI)

    assert caught.value.error_code == "service_application_not_allowed"
    agg_operator.session.add_all(other.ctx.survivors)
    assert "service_application_not_allowed" in [r["code"] for r in refusals(agg_operator)]


def test_a_method_not_granted_is_refused(
    registry: ActionRegistry, caller: Caller, agg_operator: Context
) -> None:
    set_grant(agg_operator, caller.grant_id, methods=["query"])

    with pytest.raises(Forbidden) as caught:
        call(registry, caller, "service_verify", values={"id_number": ID_LI, "name": "李四"})

    assert caught.value.error_code == "service_method_not_granted"


@pytest.mark.parametrize(
    ("values", "code"),
    [
        ({"status": "suspended"}, "service_grant_suspended"),
        ({"status": "revoked"}, "service_grant_revoked"),
        ({"starts_on": today() + timedelta(days=3)}, "service_grant_not_started"),
        ({"ends_on": today() - timedelta(days=1)}, "service_grant_expired"),
    ],
)
def test_a_grant_that_is_not_live_allows_no_call(
    registry: ActionRegistry,
    caller: Caller,
    agg_operator: Context,
    values: dict[str, Any],
    code: str,
) -> None:
    set_grant(agg_operator, caller.grant_id, **values)

    with pytest.raises(Forbidden) as caught:
        call(registry, caller, "service_query", key=ID_LI)

    assert caught.value.error_code == code


def test_calls_per_day_are_counted_and_the_next_call_is_refused(
    registry: ActionRegistry, caller: Caller
) -> None:
    for _ in range(5):
        call(registry, caller, "service_verify", values={"id_number": ID_LI, "name": "李四"})

    with pytest.raises(RateLimited) as caught:
        call(registry, caller, "service_query", key=ID_LI)

    assert caught.value.error_code == "service_quota_calls"
    counter = caller.ctx.session.get(QuotaCounter, (caller.grant_id, today()))
    assert counter is not None and (counter.calls, counter.rows) == (5, 5)


def test_rows_per_day_bound_the_page_and_then_refuse(
    registry: ActionRegistry, caller: Caller, agg_operator: Context
) -> None:
    set_grant(agg_operator, caller.grant_id, rows_per_day=4)

    first = call(registry, caller, "service_query", limit=3)
    second = call(registry, caller, "service_query", limit=3)
    with pytest.raises(RateLimited) as caught:
        call(registry, caller, "service_query", limit=1)

    assert (len(first.rows), second.limit, len(second.rows)) == (3, 1, 1)
    assert caught.value.error_code == "service_quota_rows"


def test_an_officer_calls_on_behalf_of_an_application_and_the_record_says_so(
    registry: ActionRegistry, caller: Caller, consumer: Context
) -> None:
    page = registry.run(
        "service_query",
        consumer,
        {"grant_id": caller.grant_id, "application_id": caller.application_id, "key": ID_LI},
    )

    record = consumer.session.get(EventRecord, page.delivery_id)
    assert record is not None and record.actor_kind == "user"
    assert record.data["application_id"] == caller.application_id and record.data["on_behalf"]


def test_an_officer_must_name_an_application(
    registry: ActionRegistry, caller: Caller, consumer: Context
) -> None:
    with pytest.raises(InvalidInput) as caught:
        registry.run("service_query", consumer, {"grant_id": caller.grant_id, "key": ID_LI})

    assert caught.value.error_code == "service_application_required"


def test_an_unknown_grant_is_not_found(registry: ActionRegistry, caller: Caller) -> None:
    with pytest.raises(NotFound):
        registry.run("service_query", caller.ctx, {"grant_id": "no-such-grant", "key": ID_LI})


# --- over HTTP, signed ----------------------------------------------------------------


@pytest.fixture
def http(
    agg_settings: Settings, db: Database, agg_services: Services, caller: Caller
) -> TestClient:
    caller.ctx.session.commit()
    return TestClient(create_app(agg_settings, db, agg_services))


def signed_post(
    client: TestClient, caller: Caller, path: str, payload: dict[str, Any], **overrides: Any
) -> Any:
    body = json.dumps(payload).encode()
    headers = signed_request_headers(
        overrides.pop("key_id", caller.key_id),
        overrides.pop("secret", caller.secret),
        method="POST",
        path=path,
        body=body,
        timestamp=overrides.pop("timestamp", int(time.time())),
        nonce=overrides.pop("nonce", None),
    )
    return client.post(path, content=body, headers=JSON | headers)


def test_a_signed_query_call_returns_the_granted_fields(http: TestClient, caller: Caller) -> None:
    response = signed_post(http, caller, QUERY, {"grant_id": caller.grant_id, "key": ID_LI})

    assert response.status_code == 200, response.text
    assert response.json()["masked"] == {"id_number": "hash", "name": "partial"}


def test_a_replayed_signed_call_is_refused_and_audited(http: TestClient, caller: Caller) -> None:
    payload = {"grant_id": caller.grant_id, "values": {"id_number": ID_LI, "name": "李四"}}
    first = signed_post(http, caller, VERIFY, payload, nonce="n" * 32)
    again = signed_post(http, caller, VERIFY, payload, nonce="n" * 32)

    assert first.status_code == 200 and first.json()["found"] is True
    assert again.status_code == 401 and again.json()["error"]["code"] == "signature_replayed"
    recorded = [r for r in refusals(caller.ctx) if r["action"] == "service_verify"]
    assert [(r["code"], r["targets"]["key_id"]) for r in recorded] == [
        ("signature_replayed", caller.key_id)
    ]


def test_a_refused_signed_call_uses_up_its_nonce_too(http: TestClient, caller: Caller) -> None:
    malformed = {"grant_id": caller.grant_id, "key": "not-an-id-number"}
    refused = signed_post(http, caller, QUERY, malformed, nonce="m" * 32)
    again = signed_post(http, caller, QUERY, malformed, nonce="m" * 32)

    assert refused.json()["error"]["code"] == "service_key_malformed"
    assert again.status_code == 401 and again.json()["error"]["code"] == "signature_replayed"


def test_a_call_refused_for_its_quota_after_reading_delivers_nothing_and_uses_its_nonce(
    http: TestClient, caller: Caller
) -> None:
    payload = {"grant_id": caller.grant_id, "values": {"id_number": ID_LI, "name": "李四"}}
    for _ in range(5):
        assert signed_post(http, caller, VERIFY, payload).status_code == 200
    over = signed_post(http, caller, VERIFY, payload, nonce="q" * 32)
    again = signed_post(http, caller, VERIFY, payload, nonce="q" * 32)

    assert over.status_code == 429 and "found" not in over.json()
    assert again.json()["error"]["code"] == "signature_replayed"
    assert len(deliveries(caller.ctx)) == 5


def test_a_skewed_signature_is_refused(http: TestClient, caller: Caller) -> None:
    response = signed_post(
        http,
        caller,
        QUERY,
        {"grant_id": caller.grant_id, "key": ID_LI},
        timestamp=int(time.time()) - 3600,
    )

    assert response.status_code == 401 and response.json()["error"]["code"] == "signature_expired"


def test_a_wrong_secret_is_refused(http: TestClient, caller: Caller) -> None:
    response = signed_post(
        http, caller, QUERY, {"grant_id": caller.grant_id, "key": ID_LI}, secret="x" * 40
    )

    assert response.status_code == 401 and response.json()["error"]["code"] == "signature_invalid"


def test_quota_exhaustion_over_http_is_429_with_its_code(http: TestClient, caller: Caller) -> None:
    payload = {"grant_id": caller.grant_id, "values": {"id_number": ID_LI, "name": "李四"}}
    codes = [signed_post(http, caller, VERIFY, payload).status_code for _ in range(6)]

    last = signed_post(http, caller, VERIFY, payload)
    assert codes == [200] * 5 + [429]
    assert last.json()["error"]["code"] == "service_quota_calls"


def test_the_services_are_described_in_openapi(http: TestClient) -> None:
    paths = http.get("/api/v1/openapi.json").json()["paths"]

    for path in (QUERY, VERIFY):
        operation = paths[path]["post"]
        assert "requestBody" in operation and "4XX" in operation["responses"]
        assert "service_quota_calls" in operation["description"]


def test_a_running_node_reads_an_entry_and_its_source_once_a_second_not_per_call(
    caller: Caller,
) -> None:
    session = caller.ctx.session
    caches = NodeCaches()
    session.info[NODE_CACHES] = caches
    try:
        grant = get_grant(session, caller.grant_id)
        first = published(caller.ctx, grant, None)
        again = published(caller.ctx, grant, None)
        caches.get(PUBLISHED_CACHE, PublishedCache).ttl = 0.0
        later = published(caller.ctx, grant, None)
    finally:
        session.info.pop(NODE_CACHES)

    assert again is first
    assert later is not first and later.source.id == first.source.id


def test_calls_counted_together_are_all_counted_or_none_and_then_each_on_its_own(
    caller: Caller,
) -> None:
    session = caller.ctx.session
    grant, day = get_grant(session, caller.grant_id), today()  # 5 calls, 20 rows a day
    uses = [QuotaUse(grant, day, 2, None) for _ in range(3)]

    consume_together(session, uses)
    with pytest.raises(QuotaBatchRefused), session.begin_nested():
        consume_together(session, uses)  # 6 calls > 5: none of them counted
    assert used(session, grant.id, day) == (3, 6)

    consume(session, grant, day, 2, None)
    consume(session, grant, day, 2, None)
    with pytest.raises(RateLimited) as refused:
        consume(session, grant, day, 2, None)
    assert refused.value.error_code == "service_quota_calls"
    assert used(session, grant.id, day) == (5, 10)


# --- what a running node keeps between calls ---------------------------------------------


@pytest.fixture
def node_caches(caller: Caller) -> Iterator[NodeCaches]:
    """The caller's session lent a running node's caches."""
    session = caller.ctx.session
    session.commit()  # what the fixtures wrote is committed: values read now may be kept
    caches = NodeCaches()
    session.info[NODE_CACHES] = caches
    yield caches
    session.info.pop(NODE_CACHES)


def test_a_kept_grant_is_used_until_the_access_generation_moves(
    registry: ActionRegistry, caller: Caller, agg_operator: Context, node_caches: NodeCaches
) -> None:
    session = caller.ctx.session
    first = called_grant(session, caller.grant_id)
    before = current(session)

    assert called_grant(session, caller.grant_id) is first
    set_grant(agg_operator, caller.grant_id, status="suspended")
    assert current(session) == before  # moved by the commit, as its last write
    session.commit()

    assert current(session) == before + 1
    assert called_grant(session, caller.grant_id).status == "suspended"
    with pytest.raises(Forbidden) as refused:
        call(registry, caller, "service_query", key=ID_LI)
    assert refused.value.error_code == "service_grant_suspended"


def test_revoking_a_kept_key_is_seen_by_its_next_signed_call(
    registry: ActionRegistry,
    caller: Caller,
    consumer: Context,
    services: Services,
    node_caches: NodeCaches,
) -> None:
    session = caller.ctx.session
    kept_key = signing_key(session, services.secretbox, caller.key_id)
    assert kept_key is not None and not kept_key.revoked
    assert signing_key(session, services.secretbox, caller.key_id) is kept_key

    registry.run("api_key_revoke", consumer, {"key_id": caller.key_id})
    session.commit()

    again = signing_key(session, services.secretbox, caller.key_id)
    assert again is not None and again.revoked


def test_marking_a_keys_last_use_and_unwatched_writes_leave_the_generation(
    caller: Caller, services: Services, node_caches: NodeCaches
) -> None:
    session = caller.ctx.session
    before = current(session)
    signed = SignedCall(
        actor=caller.ctx.actor,
        key_id=caller.key_id,
        nonce="n" * 32,
        nonce_expires_at=utcnow() + timedelta(minutes=5),
        last_used_at=None,
    )

    consume_nonce(session, signed)  # marks the key's last use
    session.add(QuotaCounter(grant_id=caller.grant_id, day=today(), calls=0, rows=0))
    session.commit()

    assert current(session) == before
    assert session.get(ApiKey, caller.key_id).last_used_at is not None  # type: ignore[union-attr]


def test_renaming_an_organisation_moves_the_generation(caller: Caller, consumer: Context) -> None:
    session = caller.ctx.session
    before = current(session)
    organisation = session.get(Organisation, consumer.actor.organisation_id)
    assert organisation is not None

    organisation.name = f"{organisation.name}（更名）"
    session.commit()

    assert current(session) == before + 1


def test_nothing_is_kept_from_a_transaction_that_changed_access_rows(
    caller: Caller, agg_operator: Context, node_caches: NodeCaches
) -> None:
    session = caller.ctx.session
    undone = session.begin_nested()
    set_grant(agg_operator, caller.grant_id, status="suspended")
    assert called_grant(session, caller.grant_id).status == "suspended"
    undone.rollback()
    # Another change commits and moves the generation to where the undone one had it.
    set_grant(agg_operator, caller.grant_id, calls_per_day=7)
    session.commit()

    grant = called_grant(session, caller.grant_id)
    assert (grant.status, grant.calls_per_day) == ("active", 7)
