"""Deliveries in the lineage graph (G5 with S2–S4): from a source's table, through each
bulk delivery, the service calls summed up and each subscription, to the grantee
department under its grant; shown only to those who may follow the grant."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from govdata.actions import ActionRegistry, Context
from govdata.authz import Role
from govdata.db import Database
from govdata.events import record_event
from govdata.lineage.deliveries import BULK_SHOWN
from govdata.lineage.delivery_nodes import version_ranges
from govdata.lineage.layout import layer_of, layout
from govdata.services import Services
from govdata.settings import Settings
from govdata.sharing.bulk import run_delivery
from govdata.sharing.models import Grant
from govdata.sharing.service_events import ServiceDelivered
from govdata.sharing.subscriptions import dispatch
from tests.aggregation.conftest import CLEAN_ROWS, POPULATION_HEADER, Run, write_csv
from tests.catalog.conftest import region_department
from tests.factories import context_for, department, make_user, user_actor
from tests.sharing.delivery_fixtures import approve
from tests.sharing.test_data_return import returning
from tests.sharing.test_services import app_context, register_application
from tests.sharing.test_sharing import ID_LI

CONSUMER_DEPARTMENT = "人力资源和社会保障厅"


def nodes_of(graph: Any, kind: str) -> list[Any]:
    return [node for node in graph.nodes if node.kind == kind]


def edges_of(graph: Any) -> set[tuple[str, str, str]]:
    return {(edge.source, edge.target, edge.label) for edge in graph.edges}


@pytest.fixture
def deliver(consumer: Context, db: Database, agg_settings: Settings, agg_services: Services) -> Any:
    """Commit what was started, then run the bulk delivery to its end."""

    def run(delivery_id: str) -> str:
        consumer.session.commit()
        status = run_delivery(db, agg_settings, agg_services, delivery_id)
        consumer.session.expire_all()
        return status

    return run


@pytest.fixture
def reload(
    inbox: Path, source: Any, run_now: Callable[..., Any], consumer: Context
) -> Callable[[], int]:
    """Load the source again (a new version of its table); returns the version."""

    def load() -> int:
        consumer.session.commit()
        write_csv(inbox, "people.csv", [POPULATION_HEADER, *CLEAN_ROWS])
        run = run_now(source.id)
        assert run.status == "succeeded"
        return int(run.version)

    return load


def test_a_bulk_delivery_runs_from_the_table_version_it_read_to_the_grantee(
    as_consumer: Run, as_provider: Run, source: Any, conditional_entry: str, deliver: Any
) -> None:
    grant_id = approve(as_consumer, as_provider, conditional_entry, ["bulk"])
    started = as_consumer("delivery_start", {"grant_id": grant_id})
    assert deliver(started.id) == "succeeded"

    graph = as_provider("lineage_graph", {"source_id": source.id})

    (grant,) = nodes_of(graph, "grant")
    (bulk,) = nodes_of(graph, "delivery")
    table = f"table:{source.table_name}"
    assert grant.label.endswith(CONSUMER_DEPARTMENT)
    assert "批量交付" in grant.detail and grant.delivery.grant_id == grant_id
    assert grant.delivery.methods == ["bulk"] and grant.delivery.status == "active"
    assert bulk.id == f"delivery:bulk:{started.id}" and bulk.label == "批量交付"
    assert (bulk.delivery.version, bulk.delivery.rows) == (started.version, 2)
    assert (bulk.delivery.target, bulk.delivery.status) == ("files", "succeeded")
    assert "已完成" in bulk.detail and "文件" in bulk.detail
    assert bulk.href == f"/sharing/deliveries/{started.id}"
    assert edges_of(graph) >= {
        (table, bulk.id, f"版本 {started.version}"),
        (bulk.id, grant.id, ""),
    }


def test_a_grant_with_nothing_delivered_yet_is_linked_to_the_table_as_such(
    as_consumer: Run, as_provider: Run, source: Any, conditional_entry: str
) -> None:
    grant_id = approve(as_consumer, as_provider, conditional_entry, ["bulk", "subscription"])

    graph = as_provider("lineage_graph", {"source_id": source.id})

    assert nodes_of(graph, "delivery") == []
    assert (f"table:{source.table_name}", f"grant:{grant_id}", "尚未交付") in edges_of(graph)


def test_service_calls_are_one_node_per_grant_with_counts_rows_and_last_call(
    registry: ActionRegistry,
    agg_operator: Context,
    consumer: Context,
    as_consumer: Run,
    as_provider: Run,
    source: Any,
    conditional_entry: str,
) -> None:
    app_id, key_id, _secret = register_application(registry, agg_operator, consumer, "社保认证")
    grant_id = approve(
        as_consumer,
        as_provider,
        conditional_entry,
        ["query", "verify"],
        application_ids=[app_id],
    )
    app = app_context(agg_operator, app_id, key_id)
    pages = [
        registry.run("service_query", app, {"grant_id": grant_id, "key": ID_LI}) for _ in range(3)
    ]
    registry.run(
        "service_verify",
        app,
        {"grant_id": grant_id, "values": {"id_number": ID_LI, "name": "李四"}},
    )

    graph = as_provider("lineage_graph", {"source_id": source.id})

    (service,) = nodes_of(graph, "delivery")
    facts = service.delivery
    assert service.id == f"delivery:service:{grant_id}:{source.id}"
    assert service.label == "查询核验服务"
    assert (facts.calls, facts.calls_by_service) == (4, {"query": 3, "verify": 1})
    # Each query returned one row; the verification counts the one record it compared.
    assert facts.rows == sum(page.total for page in pages) + 1
    assert facts.versions == [pages[0].version]
    assert facts.last_at is not None and "调用 4 次（查询 3、核验 1）" in service.detail
    table = f"table:{source.table_name}"
    assert (table, service.id, f"版本 {pages[0].version}") in edges_of(graph)
    assert (service.id, f"grant:{grant_id}", "") in edges_of(graph)


def test_many_calls_over_many_versions_are_summed_up_in_the_database(
    registry: ActionRegistry,
    agg_operator: Context,
    as_consumer: Run,
    as_provider: Run,
    source: Any,
    conditional_entry: str,
) -> None:
    grant_id = approve(as_consumer, as_provider, conditional_entry, ["query"])
    grant = agg_operator.session.get(Grant, grant_id)
    assert grant is not None
    versions = [1, 2, 3, 5] * 50
    for version in versions:  # what the query service records for each call it answers
        record_event(agg_operator, served(grant, source.id, version, rows=2))

    graph = as_provider("lineage_graph", {"source_id": source.id})

    (service,) = nodes_of(graph, "delivery")
    assert (service.delivery.calls, service.delivery.rows) == (200, 400)
    assert service.delivery.versions == [1, 2, 3, 5]
    assert (f"table:{source.table_name}", service.id, "版本 1–3、5") in edges_of(graph)


def served(grant: Grant, source_id: str, version: int, *, rows: int) -> ServiceDelivered:
    return ServiceDelivered(
        subject_id=grant.id,
        service="query",
        grant_id=grant.id,
        entry_id=grant.entry_id,
        holder_id=grant.holder_org_id,
        grantee_id=grant.grantee_org_id,
        application_id="00000000-0000-0000-0000-00000000a991",
        on_behalf=False,
        source_id=source_id,
        version=version,
        where={},
        fields=["division_code"],
        masked={},
        rows=rows,
        client_address=None,
        audit_release=None,
    )


def test_a_subscription_shows_the_versions_delivered_and_acknowledged(
    db: Database,
    agg_settings: Settings,
    agg_services: Services,
    as_consumer: Run,
    as_provider: Run,
    consumer: Context,
    source: Any,
    conditional_entry: str,
    reload: Callable[[], int],
) -> None:
    grant_id = approve(as_consumer, as_provider, conditional_entry, ["subscription"])
    subscription = as_consumer("subscription_create", {"grant_id": grant_id})
    newer = reload()
    dispatch(db, agg_settings, agg_services)
    consumer.session.expire_all()
    batch = as_consumer("subscription_pull", {"id": subscription.id}).batch
    assert batch is not None

    pulled = as_provider("lineage_graph", {"source_id": source.id})
    as_consumer("subscription_ack", {"id": subscription.id, "sequence": batch.sequence})
    acked = as_provider("lineage_graph", {"source_id": source.id})

    (before,) = nodes_of(pulled, "delivery")
    (after,) = nodes_of(acked, "delivery")
    assert before.label == "数据订阅" and before.delivery.transport == "outbox"
    assert (before.delivery.delivered_version, before.delivery.batches) == (newer, 1)
    assert before.delivery.acked_version == newer - 1
    assert after.delivery.acked_version == newer
    assert f"已送达至版本 {newer}" in after.detail
    assert (f"table:{source.table_name}", after.id, f"至版本 {newer}") in edges_of(acked)


def test_only_the_newest_bulk_deliveries_are_shown_one_by_one_the_rest_summed_up(
    as_consumer: Run, as_provider: Run, source: Any, conditional_entry: str
) -> None:
    grant_id = approve(as_consumer, as_provider, conditional_entry, ["bulk"])
    for _ in range(BULK_SHOWN + 2):
        as_consumer("delivery_start", {"grant_id": grant_id})

    graph = as_provider("lineage_graph", {"source_id": source.id})

    deliveries = nodes_of(graph, "delivery")
    singles = [n for n in deliveries if n.delivery.method == "bulk"]
    (earlier,) = [n for n in deliveries if n.delivery.method == "bulk_earlier"]
    assert len(singles) == BULK_SHOWN
    assert earlier.delivery.deliveries == 2 and earlier.label == "更早的批量交付"
    assert "共 2 次" in earlier.detail


def test_a_reader_sees_only_the_grants_it_may_follow_and_learns_nothing_of_others(
    registry: ActionRegistry,
    agg_operator: Context,
    as_consumer: Run,
    as_provider: Run,
    source: Any,
    conditional_entry: str,
) -> None:
    ours = approve(as_consumer, as_provider, conditional_entry, ["bulk"])
    hohhot = department(agg_operator.session, "呼和浩特市市场监督管理局")
    (theirs,) = as_provider(
        "share_return",
        returning(conditional_entry, level=None, department_name=None, department_ids=[hohhot.id]),
    ).grants
    # An officer of the consumer department who also administers the platform: it sees
    # the table's lineage, but follows only its own department's grants.
    consumer_department = region_department(agg_operator.session, CONSUMER_DEPARTMENT)
    officer = make_user(
        registry, agg_operator, "dual-role", consumer_department, Role.CONSUMER_OFFICER
    )
    admin_grant = next(
        g for g in user_actor(agg_operator.session, "admin").grants if g.role == Role.PLATFORM_ADMIN
    )
    registry.run(
        "role_grant",
        agg_operator,
        {
            "user_id": officer.id,
            "role": Role.PLATFORM_ADMIN.value,
            "organisation_id": admin_grant.organisation_id,
            "include_subtree": admin_grant.include_subtree,
        },
    )
    dual = context_for(agg_operator, user_actor(agg_operator.session, "dual-role"))
    admin = context_for(agg_operator, user_actor(agg_operator.session, "admin"))

    holder_view = as_provider("lineage_graph", {"source_id": source.id})
    grantee_view = registry.run("lineage_graph", dual, {"source_id": source.id})
    admin_view = registry.run("lineage_graph", admin, {"source_id": source.id})

    assert {n.id for n in nodes_of(holder_view, "grant")} == {f"grant:{ours}", f"grant:{theirs.id}"}
    assert [n.id for n in nodes_of(grantee_view, "grant")] == [f"grant:{ours}"]
    assert theirs.id not in grantee_view.model_dump_json()
    assert theirs.number not in grantee_view.model_dump_json()
    assert hohhot.name not in grantee_view.model_dump_json()
    assert nodes_of(admin_view, "grant") == []  # no sharing:read: no grant at all


def test_a_librarys_graph_shows_the_deliveries_of_its_member_tables(
    as_consumer: Run,
    as_provider: Run,
    as_reviewer: Run,
    agg_operator: Context,
    source: Any,
    conditional_entry: str,
    deliver: Any,
) -> None:
    grant_id = approve(as_consumer, as_provider, conditional_entry, ["bulk"])
    started = as_consumer("delivery_start", {"grant_id": grant_id})
    deliver(started.id)
    region = region_department(agg_operator.session, "政务服务与数据管理局")
    library = as_reviewer(
        "library_create",
        {
            "organisation_id": region.id,
            "kind": "base",
            "code": "population",
            "name": "人口基础库",
            "standard": "population",
        },
    )
    as_reviewer("library_add_member", {"library_id": library.id, "source_id": source.id})

    graph = as_reviewer("lineage_graph", {"library_id": library.id})

    assert (
        f"table:{source.table_name}",
        f"delivery:bulk:{started.id}",
        f"版本 {started.version}",
    ) in edges_of(graph)
    assert [n.id for n in nodes_of(graph, "grant")] == [f"grant:{grant_id}"]


def test_deliveries_are_drawn_right_of_their_table_and_grantees_right_of_them(
    as_consumer: Run, as_provider: Run, source: Any, conditional_entry: str, deliver: Any
) -> None:
    grant_id = approve(as_consumer, as_provider, conditional_entry, ["bulk"])
    deliver(as_consumer("delivery_start", {"grant_id": grant_id}).id)

    drawing = layout(as_provider("lineage_graph", {"source_id": source.id}))

    x_of = {box.node.kind: box.x for box in drawing.boxes}
    assert x_of["table"] < x_of["delivery"] < x_of["grant"]
    assert {box.node.kind: layer_of(box.node) for box in drawing.boxes}["grant"] == 4
    assert [line.label for line in drawing.lines if line.label] == ["版本 1"]


@pytest.mark.parametrize(
    ("versions", "text"),
    [([], ""), ([3], "3"), ([1, 2, 3], "1–3"), ([5, 1, 2, 3, 7, 8, 2], "1–3、5、7–8")],
)
def test_versions_read_are_written_as_ranges(versions: list[int], text: str) -> None:
    assert version_ranges(versions) == text
