"""What the action layer costs on top of the work it wraps.

Baseline: the action function called directly with an already-validated input.
Measured: the same read through ``ActionRegistry.run`` (input validation,
authorisation, the audit of the check) and through the HTTP API in-process
over ASGI (middleware, routing, authentication, a unit of work, JSON).
Printed as ratios to the baseline.

    .venv/bin/python -m bench.bench_action_layer --calls 2000
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import select

from govdata.actions import Context
from govdata.app import create_app
from govdata.areas import build_policy, build_registry
from govdata.authz import system_actor
from govdata.db import Database
from govdata.demo import load_demo
from govdata.migrate import upgrade
from govdata.nodes.services import ensure_self_node
from govdata.orgs.actions import organisation_show
from govdata.orgs.models import Organisation
from govdata.orgs.schemas import OrganisationId
from govdata.services import build_services
from govdata.settings import Settings


def timed(calls: int, repeats: int, *works: Callable[[], object]) -> list[float]:
    """Median seconds per call of each of ``works``, timed in alternation (one run
    of each per round, ``repeats`` rounds) after one untimed round to warm caches,
    so that drift in the machine's speed touches all of them alike."""
    runs: list[list[float]] = [[] for _ in works]
    for round_number in range(repeats + 1):
        for index, work in enumerate(works):
            started = time.perf_counter()
            for _ in range(calls):
                work()
            if round_number:
                runs[index].append((time.perf_counter() - started) / calls)
    return [statistics.median(samples) for samples in runs]


async def timed_http(app: Any, path: str, calls: int, repeats: int) -> float:
    """Median seconds per GET, through the ASGI app in-process (no sockets)."""
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
        (await client.get(path)).raise_for_status()
        runs = []
        for _ in range(repeats):
            started = time.perf_counter()
            for _ in range(calls):
                await client.get(path)
            runs.append((time.perf_counter() - started) / calls)
    return statistics.median(runs)


def main(argv: list[str] | None = None) -> dict[str, float]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=2000, help="calls per timed run")
    parser.add_argument("--repeats", type=int, default=5, help="timed runs; the median counts")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(data_dir=Path(tmp), database_url=None, log_level="WARNING")
        database = Database.from_url(settings.effective_database_url)
        upgrade(database.engine)
        with database.transaction() as session:
            ensure_self_node(session, settings)
        registry = build_registry()
        services = build_services(settings)
        with database.transaction() as session:
            ctx = Context(session, system_actor("bench"), build_policy(), settings, services)
            load_demo(ctx, lambda name, data: registry.run(name, ctx, data))

        with database.transaction() as session:
            ctx = Context(session, system_actor("bench"), build_policy(), settings, services)
            org_id = session.scalars(select(Organisation.id).limit(1)).one()
            validated = OrganisationId(id=org_id)
            direct, through_registry = timed(
                args.calls,
                args.repeats,
                lambda: organisation_show(ctx, validated),
                lambda: registry.run("organisation_show", ctx, {"id": org_id}),
            )
        app = create_app(settings, database)
        # Its own thread and event loop: the caller may already be running one.
        with ThreadPoolExecutor(max_workers=1) as pool:
            through_http = pool.submit(
                asyncio.run,
                timed_http(app, f"/api/v1/organisations/{org_id}", args.calls, args.repeats),
            ).result()
        database.dispose()

    results = {
        "direct_us": direct * 1e6,
        "registry_us": through_registry * 1e6,
        "http_us": through_http * 1e6,
        "registry_ratio": through_registry / direct,
        "http_ratio": through_http / direct,
    }
    print(f"baseline: action function called directly   {results['direct_us']:9.1f} µs/call")
    print(
        f"through ActionRegistry.run                   {results['registry_us']:9.1f} µs/call"
        f"  ratio {results['registry_ratio']:.2f}"
    )
    print(
        f"through GET /api/v1/organisations/{{id}}       {results['http_us']:9.1f} µs/call"
        f"  ratio {results['http_ratio']:.2f}"
    )
    return results


if __name__ == "__main__":
    main()
