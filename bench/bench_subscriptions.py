"""Subscription latency: from a committed version to the subscriber holding its batch.

One node on this machine (SQLite metadata database, local lake). The demo
population of ``--rows`` people (``bench.population_data``, UTF-8, clean) is the
source of a published population entry; a consumer department applies for it
with ``subscription``, the holder approves (ID number hashed, name and address
partly masked, no division scope). Each repeat then changes the address of
``--changed`` more people in the source file and commits the new version through
the real runner (``execute_run``: the loader's full load, and the outbox row
written in the transaction that records the run's success), while the node's
dispatcher loop (``DispatcherThread``, every ``--dispatch-seconds``, the node's
default 5 s) turns committed versions into change batches. Measured per repeat:
the time from the commit (the outbox row's ``committed_at``) until the
subscriber holds the batch of that version:

* ``outbox``: a consumer pulling (``subscription_pull`` every ``--poll``
  seconds, then ``subscription_ack``);
* ``nats``: the dispatcher publishing to NATS JetStream and a consumer fetching
  from its durable pull consumer (``NatsSubscriber``) and acknowledging.

Target: every latency ≤ 60 s after the commit.

    .venv/bin/python -m bench.bench_subscriptions --rows 200000 --changed 2000 --repeats 3
"""

from __future__ import annotations

import argparse
import shutil
import sys
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

# pyarrow ships no type information; the override-proof form of the ignore.
import pyarrow as pa  # type: ignore[import-untyped, unused-ignore]
import pyarrow.compute as pc  # type: ignore[import-untyped, unused-ignore]
import pyarrow.csv as pacsv  # type: ignore[import-untyped, unused-ignore]
from sqlalchemy import select

from bench import population_data
from bench.bench_services import ITEMS, POPULATION_COLUMNS, population_columns
from govdata.accounts.models import User
from govdata.accounts.services import actor_for_user
from govdata.actions import ActionRegistry, Context
from govdata.aggregation.runner import execute_run
from govdata.areas import build_policy, build_registry
from govdata.authz import Actor, PolicyTable, system_actor
from govdata.db import Database
from govdata.demo import load_demo
from govdata.migrate import upgrade
from govdata.nodes.services import ensure_self_node
from govdata.orgs.models import Organisation
from govdata.services import Services, build_services
from govdata.settings import Settings
from govdata.sharing.delivery_models import CommittedVersion
from govdata.sharing.subscriptions import DispatcherThread
from govdata.sharing.terms import today
from govdata.sharing.transports import NatsSubscriber

TARGET_SECONDS = 60.0
WAIT_LIMIT_SECONDS = 180.0
CHANGE_MARK = "（已迁居）"


class Node:
    """The benchmark's node: database, registry, policy, services and the people."""

    def __init__(self, workdir: Path, dispatch_seconds: float) -> None:
        self.workdir = workdir
        self.settings = Settings(
            data_dir=workdir / "node",
            database_url=f"sqlite:///{workdir / 'node.sqlite3'}",
            log_level="WARNING",
            job_runner="none",
            scheduler_enabled=False,
            subscription_dispatch_seconds=dispatch_seconds,
        )
        self.settings.data_dir.mkdir(parents=True, exist_ok=True)
        self.db = Database.from_url(self.settings.effective_database_url)
        upgrade(self.db.engine)
        with self.db.transaction() as session:
            ensure_self_node(session, self.settings)
        self.registry: ActionRegistry = build_registry()
        self.policy: PolicyTable = build_policy()
        self.services: Services = build_services(self.settings)
        self.actors: dict[str, Actor] = {}

    def run(
        self, actor: Actor, name: str, data: dict[str, Any], settings: Settings | None = None
    ) -> Any:
        """One action in its own transaction."""
        with self.db.transaction() as session:
            ctx = Context(session, actor, self.policy, settings or self.settings, self.services)
            return self.registry.run(name, ctx, data)

    def as_(self, username: str) -> Actor:
        return self.actors[username]


def _load_people(node: Node) -> None:
    with node.db.transaction() as session:
        operator = Context(
            session, system_actor("bench"), node.policy, node.settings, node.services
        )
        load_demo(operator, lambda name, data: node.registry.run(name, operator, data))
        for username in ("provider", "reviewer", "consumer"):
            user = session.scalars(select(User).where(User.username == username)).one()
            node.actors[username] = actor_for_user(session, user)


def build_grant(node: Node) -> dict[str, str]:
    """Publish the entry, register its source, load version 1, apply and approve."""
    _load_people(node)
    provider, reviewer, consumer = node.as_("provider"), node.as_("reviewer"), node.as_("consumer")
    with node.db.transaction() as session:
        market = session.scalars(
            select(Organisation).where(Organisation.name.like("%市场监督管理局"))
        ).first()
        assert market is not None  # noqa: S101
        market_id = market.id
    system = node.run(
        provider, "system_register", {"organisation_id": market_id, "name": "户籍系统"}
    )
    entry = node.run(
        provider,
        "entry_create",
        {
            "organisation_id": market_id,
            "name": "户籍人口信息",
            "classification_code": "102001",
            "resource_code": "102001/000902",
            "abstract": "户籍人口基本信息，用于身份核验和政务服务。",
            "format_category": "database",
            "format_detail": "KingbaseES",
            "items": ITEMS,
            "share_type": "conditional",
            "share_conditions": "履职需要的部门可申请",
            "share_methods": ["interface"],
            "open_type": "none",
            "update_cycle": "daily",
            "related_codes": [],
            "resources": [
                {"name": "人口表", "kind": "table", "location": "hz.people", "system_id": system.id}
            ],
        },
    )
    node.run(provider, "entry_submit", {"id": entry.id})
    node.run(reviewer, "entry_review", {"id": entry.id, "decision": "publish"})
    source = node.run(
        provider,
        "source_register",
        {
            "entry_id": entry.id,
            "name": "户籍人口",
            "kind": "csv",
            "location": "people.csv",
            "options": {"encoding": "utf-8"},
            "columns": [c.model_dump(mode="json") for c in population_columns()],
            "key_columns": ["id_number"],
        },
    )
    applied = node.run(
        consumer,
        "share_apply",
        {
            "entry_id": entry.id,
            "purpose": "办理社会保险待遇资格认证",
            "legal_basis": "《中华人民共和国社会保险法》",
            "fields": ["公民身份号码", "姓名", "户籍地行政区划代码", "住址"],
            "ends_on": str(today().replace(year=today().year + 1)),
            "methods": ["subscription"],
        },
    )
    decided = node.run(
        provider,
        "share_review",
        {
            "id": applied.id,
            "decision": "approve",
            "fields": [
                {"name": "公民身份号码", "strategy": "hash"},
                {"name": "姓名", "strategy": "partial"},
                {"name": "户籍地行政区划代码"},
                {"name": "住址", "strategy": "partial"},
            ],
        },
    )
    return {"source_id": source.id, "grant_id": str(decided.grant_id)}


class Population:
    """The source file: the generated people, with the first ``n`` addresses changed."""

    def __init__(self, node: Node, rows: int) -> None:
        generated = node.workdir / "generated.csv"
        population_data.generate(generated, rows, encoding="utf-8", dirty=0.0)
        options = pacsv.ConvertOptions(column_types=dict.fromkeys(POPULATION_COLUMNS, pa.string()))
        self.table = pacsv.read_csv(generated, convert_options=options)
        generated.unlink()
        self.inbox = node.settings.data_dir / "inbox"
        self.inbox.mkdir(parents=True, exist_ok=True)

    def write(self, changed: int) -> None:
        """Write the file with the first ``changed`` people moved (their address marked)."""
        table = self.table
        if changed:
            moved = pa.array([i < changed for i in range(table.num_rows)])
            address = table.column("address")
            marked = pc.binary_join_element_wise(address, pa.scalar(CHANGE_MARK), "")
            table = table.set_column(
                table.schema.get_field_index("address"),
                "address",
                pc.if_else(moved, marked, address),
            )
        target = self.inbox / "people.csv"
        staging = self.inbox / "people.csv.part"
        pacsv.write_csv(table, staging)
        staging.replace(target)


def commit_version(node: Node, source_id: str) -> tuple[int, datetime]:
    """A run through the real runner; the version and its outbox row's commit time."""
    queued = node.run(node.as_("provider"), "run_start", {"source_id": source_id})
    run = execute_run(queued.id, node.settings, node.db, node.services)
    if run.status != "succeeded" or run.version is None:
        raise RuntimeError(f"the run did not succeed: {run.status} {run.error_code}")
    with node.db.transaction() as session:
        committed = session.scalars(
            select(CommittedVersion).where(CommittedVersion.run_id == run.id)
        ).one()
        return int(run.version), committed.committed_at


def _wait(receive: Callable[[], dict[str, Any] | None], version: int) -> dict[str, Any]:
    deadline = time.monotonic() + WAIT_LIMIT_SECONDS
    while time.monotonic() < deadline:
        batch = receive()
        if batch is not None and int(batch["to_version"]) >= version:
            return batch
    raise RuntimeError(f"no batch of version {version} within {WAIT_LIMIT_SECONDS:.0f} s")


def _outbox_receiver(node: Node, subscription_id: str, poll: float) -> Callable[[], Any]:
    consumer = node.as_("consumer")

    def receive() -> dict[str, Any] | None:
        pulled = node.run(consumer, "subscription_pull", {"id": subscription_id})
        if pulled.batch is None:
            time.sleep(poll)
            return None
        node.run(
            consumer, "subscription_ack", {"id": subscription_id, "sequence": pulled.batch.sequence}
        )
        body: dict[str, Any] = pulled.batch.model_dump()
        return body

    return receive


def _nats_receiver(node: Node, subscription_id: str, settings: Settings) -> Callable[[], Any]:
    subscriber = NatsSubscriber(settings.nats_url, settings.node_code, subscription_id)

    def receive() -> dict[str, Any] | None:
        batches = subscriber.fetch(ack=True, timeout=1.0, limit=10)
        return batches[-1] if batches else None

    return receive


def measure(
    node: Node,
    population: Population,
    ids: dict[str, str],
    transport: str,
    *,
    args: argparse.Namespace,
    moved: list[int],
) -> list[dict[str, Any]]:
    """Subscribe with ``transport``, then ``repeats`` commits each awaited by the consumer."""
    settings = node.settings.model_copy(update={"subscription_transport": transport})
    consumer = node.as_("consumer")
    subscription = node.run(
        consumer, "subscription_create", {"grant_id": ids["grant_id"]}, settings
    )
    receive = (
        _nats_receiver(node, subscription.id, settings)
        if transport == "nats"
        else _outbox_receiver(node, subscription.id, args.poll)
    )
    dispatcher = DispatcherThread(node.db, settings, node.services)
    dispatcher.start()
    samples = []
    try:
        for _ in range(args.repeats):
            moved[0] += args.changed
            population.write(moved[0])
            version, committed_at = commit_version(node, ids["source_id"])
            batch = _wait(receive, version)
            held = time.time()
            latency = held - committed_at.timestamp()
            counts = batch["counts"]
            samples.append({"version": version, "seconds": latency, "counts": counts})
            print(
                f"{transport:<6} version {version}: {latency:6.2f} s after the commit "
                f"(batch {counts})",
                flush=True,
            )
    finally:
        dispatcher.stop()
        node.run(consumer, "subscription_cancel", {"id": subscription.id}, settings)
    return samples


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--rows", type=int, default=200_000, help="people in the source")
    parser.add_argument("--changed", type=int, default=2000, help="people moved per version")
    parser.add_argument("--repeats", type=int, default=3, help="versions per transport")
    parser.add_argument("--transport", choices=("outbox", "nats", "both"), default="both")
    parser.add_argument("--dispatch-seconds", type=float, default=5.0, help="dispatcher period")
    parser.add_argument("--poll", type=float, default=0.5, help="outbox consumer's pull period")
    parser.add_argument("--workdir", type=Path, default=Path("var/bench/subscriptions"))
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)

    if args.workdir.exists():
        shutil.rmtree(args.workdir)
    args.workdir.mkdir(parents=True)
    node = Node(args.workdir, args.dispatch_seconds)
    started = time.perf_counter()
    ids = build_grant(node)
    population = Population(node, args.rows)
    population.write(0)
    first, _ = commit_version(node, ids["source_id"])
    print(
        f"{args.rows:,} people loaded as version {first} "
        f"(set-up {time.perf_counter() - started:.1f} s); {args.changed:,} move per version",
        flush=True,
    )
    transports = ["outbox", "nats"] if args.transport == "both" else [args.transport]
    moved = [0]
    results: dict[str, Any] = {"rows": args.rows, "changed": args.changed}
    try:
        for transport in transports:
            samples = measure(node, population, ids, transport, args=args, moved=moved)
            worst = max(s["seconds"] for s in samples)
            results[transport] = {"latencies": [s["seconds"] for s in samples], "max": worst}
            results[f"{transport}_samples"] = samples
            verdict = "met" if worst <= TARGET_SECONDS else "NOT met"
            print(
                f"{transport:<6} max {worst:.2f} s (target ≤ {TARGET_SECONDS:.0f} s: {verdict})",
                flush=True,
            )
    finally:
        node.db.dispose()
    return results


if __name__ == "__main__":
    main()
