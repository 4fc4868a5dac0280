"""Delivery and grant nodes of the lineage graph, downstream of a source's table (G5).

For each grant the reader may see: a ``grant`` node (the grantee department,
the grant's methods and status) and, between the table and it, one ``delivery``
node per bulk delivery shown, one for older bulk deliveries summed up, one for
the service calls summed up and one per subscription. The edge from the table
to a delivery is labelled with the table versions it delivered; a grant under
which nothing was delivered yet is linked to the table directly, labelled so.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from govdata.lineage.deliveries import (
    BulkFacts,
    EarlierBulk,
    GrantDeliveries,
    ServiceFacts,
    SubscriptionFacts,
)
from govdata.lineage.graph_model import Graph, Node
from govdata.lineage.schemas import LineageDelivery
from govdata.sharing.terms import METHOD_LABELS

GRANT_STATUS_LABELS = {"active": "有效", "suspended": "已暂停", "revoked": "已撤销"}
BULK_STATUS_LABELS = {
    "queued": "排队中",
    "running": "交付中",
    "succeeded": "已完成",
    "failed": "失败",
}
SUBSCRIPTION_STATUS_LABELS = {"active": "正常", "stalled": "长时间未确认", "cancelled": "已取消"}
SERVICE_LABELS = {"query": "查询", "verify": "核验"}
BEIJING = timedelta(hours=8)


def version_ranges(versions: Sequence[int]) -> str:
    """``[1, 2, 3, 5]`` → ``1–3、5``: versions read, however many, in a few characters."""
    ranges: list[tuple[int, int]] = []
    for version in sorted(set(versions)):
        if ranges and version == ranges[-1][1] + 1:
            ranges[-1] = (ranges[-1][0], version)
        else:
            ranges.append((version, version))
    return "、".join(str(a) if a == b else f"{a}–{b}" for a, b in ranges)


def beijing_time(moment: datetime) -> str:
    return f"{moment + BEIJING:%Y-%m-%d %H:%M}"


def _facts(found: GrantDeliveries, method: str, **values: object) -> LineageDelivery:
    grant = found.grant
    return LineageDelivery.model_validate(
        {
            "method": method,
            "grant_id": grant.id,
            "grant_number": grant.number,
            "grantee_org_id": grant.grantee_org_id,
            "grantee_name": found.grantee_name,
        }
        | values
    )


def _target_label(bulk: BulkFacts) -> str:
    if bulk.target == "files":
        return "文件（CSV、Parquet）"
    return f"接收方数据库表 {bulk.target_table}"


def _bulk_node(found: GrantDeliveries, bulk: BulkFacts) -> Node:
    status = BULK_STATUS_LABELS.get(bulk.status, bulk.status)
    return Node(
        f"delivery:bulk:{bulk.delivery_id}",
        "delivery",
        "批量交付",
        f"版本 {bulk.version}，{bulk.rows} 行，{_target_label(bulk)}，{status}",
        href=f"/sharing/deliveries/{bulk.delivery_id}",
        delivery=_facts(
            found,
            "bulk",
            delivery_id=bulk.delivery_id,
            status=bulk.status,
            target=bulk.target,
            target_table=bulk.target_table,
            version=bulk.version,
            versions=[bulk.version],
            rows=bulk.rows,
            last_at=bulk.at,
        ),
    )


def _earlier_node(found: GrantDeliveries, source_id: str, earlier: EarlierBulk) -> Node:
    return Node(
        f"delivery:bulk-earlier:{found.grant.id}:{source_id}",
        "delivery",
        "更早的批量交付",
        f"共 {earlier.count} 次，{earlier.rows} 行，最近 {beijing_time(earlier.last_at)}",
        href="/sharing/deliveries",
        delivery=_facts(
            found,
            "bulk_earlier",
            versions=earlier.versions,
            rows=earlier.rows,
            deliveries=earlier.count,
            last_at=earlier.last_at,
        ),
    )


def _service_node(found: GrantDeliveries, source_id: str, services: ServiceFacts) -> Node:
    by_service = "、".join(
        f"{SERVICE_LABELS.get(name, name)} {calls}"
        for name, calls in services.calls_by_service.items()
    )
    return Node(
        f"delivery:service:{found.grant.id}:{source_id}",
        "delivery",
        "查询核验服务",
        f"调用 {services.calls} 次（{by_service}），返回 {services.rows} 行，"
        f"最近 {beijing_time(services.last_at)}",
        delivery=_facts(
            found,
            "service",
            versions=services.versions,
            rows=services.rows,
            calls=services.calls,
            calls_by_service=services.calls_by_service,
            last_at=services.last_at,
        ),
    )


def _subscription_node(found: GrantDeliveries, subscription: SubscriptionFacts) -> Node:
    status = SUBSCRIPTION_STATUS_LABELS.get(subscription.status, subscription.status)
    delivered = (
        "尚无送达批次"
        if subscription.delivered_version is None
        else f"已送达至版本 {subscription.delivered_version}"
    )
    return Node(
        f"delivery:subscription:{subscription.subscription_id}",
        "delivery",
        "数据订阅",
        f"{delivered}，已确认至版本 {subscription.acked_version}，"
        f"{subscription.batches} 批（{status}）",
        href="/sharing/subscriptions",
        delivery=_facts(
            found,
            "subscription",
            delivery_id=subscription.subscription_id,
            status=subscription.status,
            transport=subscription.transport,
            version=subscription.batched_version,
            delivered_version=subscription.delivered_version,
            acked_version=subscription.acked_version,
            batches=subscription.batches,
            last_at=subscription.last_delivered_at,
        ),
    )


def _grant_node(found: GrantDeliveries) -> Node:
    grant = found.grant
    methods = "、".join(METHOD_LABELS.get(m, m) for m in grant.methods)
    status = GRANT_STATUS_LABELS.get(grant.status, grant.status)
    return Node(
        f"grant:{grant.id}",
        "grant",
        found.grantee_name or "接收部门",
        f"授权 {grant.number}：{methods}（{status}）",
        href="/sharing/grants",
        delivery=_facts(found, "grant", status=grant.status, methods=list(grant.methods)),
    )


def _versions_label(node: Node) -> str:
    facts = node.delivery
    if facts is None:
        return ""
    if facts.method == "subscription":
        delivered = facts.delivered_version
        return "尚无批次" if delivered is None else f"至版本 {delivered}"
    return f"版本 {version_ranges(facts.versions)}" if facts.versions else ""


def add_deliveries(
    graph: Graph, table: str, source_id: str, found: Sequence[GrantDeliveries]
) -> None:
    """Each grant's deliveries from the table node ``table`` (of source ``source_id``)."""
    for grant_deliveries in found:
        grantee = graph.add(_grant_node(grant_deliveries))
        nodes = [_bulk_node(grant_deliveries, bulk) for bulk in grant_deliveries.bulk]
        if grant_deliveries.earlier_bulk is not None:
            nodes.append(_earlier_node(grant_deliveries, source_id, grant_deliveries.earlier_bulk))
        if grant_deliveries.services is not None:
            nodes.append(_service_node(grant_deliveries, source_id, grant_deliveries.services))
        nodes.extend(
            _subscription_node(grant_deliveries, s) for s in grant_deliveries.subscriptions
        )
        if not nodes:
            graph.link(table, grantee, "尚未交付")
        for node in nodes:
            graph.link(table, graph.add(node), _versions_label(node))
            graph.link(node.id, grantee)
