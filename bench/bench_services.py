"""Throughput and latency of the query and verification services over HTTP.

One run on this machine: the server in one process (uvicorn, one worker, the
node's real app plus one bare route), the load generator in another (Python,
keep-alive connections in threads). Against the demo population of ``--rows``
people (``bench.population_data``), converted by the loader's own converter,
encrypted like every lake write (ID and phone columns, SM4-SIV) and written as
one Delta version sorted by the ID number's stored value in row groups of 8,192
rows, registered as the source of a published population entry; a consumer
department applies, the holder approves with two fields masked, and the
consumer's application calls with its key.

Measured at the maximum (closed loop) in ``--rounds`` rounds of the three
endpoints back to back, each ratio taken within a round and the median round
reported (so that drifting machine speed moves both sides of a ratio alike);
then each at 80 % of its median maximum (paced, open loop, latency from each
request's scheduled time):

* ``bare``: ``GET /bench/bare?id=…``, the same keyed look-up through the same
  row-group index, decrypted, as JSON, with no governance (the practical limit);
* ``verify``: ``POST /api/v1/services/verify`` signed (ID number + name);
* ``query``: ``POST /api/v1/services/query`` signed, by ID number.

The governed calls include signature and nonce check, grant and quota check
(persisted counters), the grade decision, the audit rules, masking, the event
and the ledger append. Printed: requests per second, p50/p99, errors and the
ratios governed/bare.

    .venv/bin/python -m bench.bench_services --rows 5000000 --seconds 10 --rounds 3
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import secrets
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

# pyarrow ships no type information; the override-proof form of the ignore.
import pyarrow as pa  # type: ignore[import-untyped, unused-ignore]
import pyarrow.csv as pacsv  # type: ignore[import-untyped, unused-ignore]
from deltalake import CommitProperties, WriterProperties, write_deltalake
from sqlalchemy import select
from starlette.requests import Request

from bench import population_data
from govdata.accounts.models import User
from govdata.accounts.services import actor_for_user
from govdata.accounts.signing import canonical_string, sign
from govdata.actions import Context
from govdata.aggregation.columns import ColumnSpec, encrypted_names
from govdata.aggregation.convert import BatchConverter
from govdata.aggregation.sources.base import SourceBatch
from govdata.areas import build_policy, build_registry
from govdata.authz import Actor, system_actor
from govdata.db import Database
from govdata.demo import load_demo
from govdata.lake.protection import protection_for_writing
from govdata.lake.tables import TABLE_PROPERTIES, LakeTable
from govdata.libraries.standards import get_standard
from govdata.migrate import upgrade
from govdata.nodes.services import ensure_self_node
from govdata.orgs.models import Organisation
from govdata.services import build_services
from govdata.settings import Settings
from govdata.sharing.terms import today

ROW_GROUP_ROWS = 8192
KEYS_SAMPLED = 2000
POPULATION_COLUMNS = (
    "id_number", "name", "sex", "birth_date", "division_code", "address", "phone", "updated_at",
)  # fmt: skip
ITEMS = [
    {
        "name": "公民身份号码",
        "data_type": "C",
        "length": 18,
        "grade": "general_3",
        "sensitive": True,
    },
    {"name": "姓名", "data_type": "C", "length": 50, "grade": "general_3", "sensitive": True},
    {"name": "性别", "data_type": "C", "length": 1, "grade": "general_2"},
    {"name": "出生日期", "data_type": "D", "grade": "general_2"},
    {"name": "户籍地行政区划代码", "data_type": "C", "length": 6, "grade": "general_1"},
    {"name": "住址", "data_type": "C", "length": 200, "grade": "general_3", "sensitive": True},
    {"name": "联系电话", "data_type": "C", "length": 20, "grade": "general_3", "sensitive": True},
]


# --- the node ---------------------------------------------------------------------------


def node_settings(workdir: Path) -> Settings:
    return Settings(
        data_dir=workdir / "node",
        database_url=f"sqlite:///{workdir / 'node.sqlite3'}",
        log_level="WARNING",
    )


def _user(ctx: Context, username: str) -> Actor:
    user = ctx.session.scalars(select(User).where(User.username == username)).one()
    return actor_for_user(ctx.session, user)


def population_columns() -> list[ColumnSpec]:
    return [c for c in get_standard("population").columns if c.name in POPULATION_COLUMNS]


def write_population(lake: LakeTable, ctx: Context, csv_path: Path) -> int:
    """Convert, encrypt, sort by the stored ID number and write one Delta version."""
    columns = population_columns()
    converter = BatchConverter(columns)
    options = pacsv.ConvertOptions(column_types=dict.fromkeys(POPULATION_COLUMNS, pa.string()))
    raw = pacsv.read_csv(csv_path, convert_options=options)
    parts = []
    for batch in raw.to_batches(max_chunksize=200_000):
        numbers = pa.array(range(batch.num_rows), pa.int64())
        parts.append(converter.convert(SourceBatch(batch, numbers)).good)
    table = pa.concat_tables(parts)
    protection = protection_for_writing(
        ctx.session, ctx.services.keystore, lake.name, encrypted_names(columns)
    )
    assert protection is not None  # noqa: S101 (the population standard encrypts IDs)
    table = protection.encrypt(table).sort_by("id_number")
    write_deltalake(
        lake.uri,
        table,
        mode="overwrite",
        configuration=dict(TABLE_PROPERTIES),
        writer_properties=WriterProperties(max_row_group_size=ROW_GROUP_ROWS),
        commit_properties=CommitProperties(custom_metadata=protection.commit_metadata()),
    )
    return int(table.num_rows)


def build_node(workdir: Path, rows: int) -> dict[str, Any]:
    """Migrate, load the demo region, publish the population entry and its data,
    apply and approve, register the consumer's application and issue its key."""
    settings = node_settings(workdir)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    database = Database.from_url(settings.effective_database_url)
    upgrade(database.engine)
    with database.transaction() as session:
        ensure_self_node(session, settings)
    registry, policy, services = build_registry(), build_policy(), build_services(settings)
    csv_path = workdir / "population.csv"
    population_data.generate(csv_path, rows, encoding="utf-8", dirty=0.0)
    with database.transaction() as session:
        operator = Context(session, system_actor("bench"), policy, settings, services)
        load_demo(operator, lambda name, data: registry.run(name, operator, data))

        def as_(username: str) -> Callable[[str, dict[str, Any]], Any]:
            ctx = Context(session, _user(operator, username), policy, settings, services)
            return lambda name, data: registry.run(name, ctx, data)

        provider, reviewer, consumer = as_("provider"), as_("reviewer"), as_("consumer")
        market = session.scalars(
            select(Organisation).where(Organisation.name.like("%市场监督管理局"))
        ).first()
        assert market is not None  # noqa: S101
        system = provider("system_register", {"organisation_id": market.id, "name": "户籍系统"})
        entry = provider(
            "entry_create",
            {
                "organisation_id": market.id,
                "name": "户籍人口信息",
                "classification_code": "102001",
                "resource_code": "102001/000901",
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
                    {
                        "name": "人口表",
                        "kind": "table",
                        "location": "hz.people",
                        "system_id": system.id,
                    }
                ],
            },
        )
        provider("entry_submit", {"id": entry.id})
        reviewer("entry_review", {"id": entry.id, "decision": "publish"})
        inbox = settings.data_dir / "inbox"
        inbox.mkdir(parents=True, exist_ok=True)
        (inbox / "people.csv").write_text(",".join(POPULATION_COLUMNS) + "\n", encoding="utf-8")
        source = provider(
            "source_register",
            {
                "entry_id": entry.id,
                "name": "户籍人口",
                "kind": "csv",
                "location": "people.csv",
                "columns": [c.model_dump(mode="json") for c in population_columns()],
                "key_columns": ["id_number"],
            },
        )
        started = time.perf_counter()
        lake = LakeTable(services.lake, source.table_name)
        written = write_population(lake, operator, csv_path)
        load_seconds = time.perf_counter() - started
        consumer_org = session.get(Organisation, operator_org(operator, "consumer"))
        assert consumer_org is not None  # noqa: S101
        app = consumer(
            "application_create", {"name": "社保待遇认证系统", "organisation_id": consumer_org.id}
        )
        registry.run(
            "role_grant",
            operator,
            {
                "application_id": app.id,
                "role": "consumer_officer",
                "organisation_id": consumer_org.id,
            },
        )
        key = consumer("api_key_create", {"application_id": app.id})
        applied = consumer(
            "share_apply",
            {
                "entry_id": entry.id,
                "purpose": "办理社会保险待遇资格认证",
                "legal_basis": "《中华人民共和国社会保险法》",
                "fields": ["公民身份号码", "姓名", "性别", "户籍地行政区划代码", "住址"],
                "ends_on": str(today().replace(year=today().year + 1)),
                "methods": ["query", "verify"],
                "application_ids": [app.id],
            },
        )
        decided = provider(
            "share_review",
            {
                "id": applied.id,
                "decision": "approve",
                "fields": [
                    {"name": "公民身份号码", "strategy": "hash"},
                    {"name": "姓名", "strategy": "partial"},
                    {"name": "性别"},
                    {"name": "户籍地行政区划代码"},
                    {"name": "住址", "strategy": "partial"},
                ],
                "quotas": {
                    "calls_per_day": 10_000_000,
                    "rows_per_call": 10,
                    "rows_per_day": 1_000_000_000,
                },
            },
        )
    database.dispose()
    sample = pacsv.read_csv(
        csv_path,
        read_options=pacsv.ReadOptions(block_size=1 << 20),
        convert_options=pacsv.ConvertOptions(
            include_columns=["id_number", "name"],
            column_types={"id_number": pa.string(), "name": pa.string()},
        ),
    ).slice(0, min(rows, 200_000))
    step = max(1, sample.num_rows // KEYS_SAMPLED)
    people = [
        (sample.column("id_number")[i].as_py(), sample.column("name")[i].as_py())
        for i in range(0, sample.num_rows, step)
    ]
    csv_path.unlink()
    return {
        "rows": written,
        "load_seconds": load_seconds,
        "table": source.table_name,
        "grant_id": decided.grant_id,
        "key_id": key.key_id,
        "secret": key.secret,
        "people": people,
    }


def operator_org(ctx: Context, username: str) -> str:
    return _user(ctx, username).organisation_id or ""


# --- the server process -------------------------------------------------------------------


def serve(workdir: Path, port: int, table: str) -> None:
    """The node's app plus ``GET /bench/bare``: the same look-up, ungoverned."""
    import uvicorn  # noqa: PLC0415
    from starlette.responses import JSONResponse  # noqa: PLC0415

    from govdata.app import create_app  # noqa: PLC0415
    from govdata.crypto.datakeys import DataKeys  # noqa: PLC0415
    from govdata.lake.protection import TableProtection, purpose_of  # noqa: PLC0415
    from govdata.sharing.service_reads import stored_values  # noqa: PLC0415

    settings = node_settings(workdir)
    database = Database.from_url(settings.effective_database_url)
    services = build_services(settings)
    app = create_app(settings, database, services, settle_heap=True)  # as `govdata serve`
    lake = LakeTable(services.lake, table)
    with database.transaction() as session:
        keys = DataKeys(session, services.keystore).for_reading(purpose_of(table))
    protection = TableProtection(table, ("id_number", "phone"), keys)
    wanted = ["id_number", "name", "sex", "division_code", "address"]

    def bare(request: Request) -> JSONResponse:
        version = services.service_indexes.current_version(lake)
        assert version is not None  # noqa: S101
        index = services.service_indexes.index(lake, version, "id_number")
        values = stored_values(protection, "id_number", [request.query_params["id"]])
        found = protection.decrypt(index.lookup(values, wanted))
        return JSONResponse({"rows": found.to_pylist()})

    app.add_api_route("/bench/bare", bare, methods=["GET"], include_in_schema=False)
    uvicorn.run(app, host="127.0.0.1", port=port, log_config=None, access_log=False)


# --- the load generator process ---------------------------------------------------------------


def _request(
    target: str, person: tuple[str, str], job: dict[str, Any]
) -> tuple[str, str, bytes, dict[str, str]]:
    if target == "bare":
        return "GET", f"/bench/bare?id={person[0]}", b"", {}
    if target == "verify":
        path = "/api/v1/services/verify"
        payload: dict[str, Any] = {
            "grant_id": job["grant_id"],
            "values": {"id_number": person[0], "name": person[1]},
        }
    else:
        path = "/api/v1/services/query"
        payload = {"grant_id": job["grant_id"], "key": person[0]}
    body = json.dumps(payload).encode()
    timestamp, nonce = str(int(time.time())), secrets.token_hex(16)
    canonical = canonical_string("POST", path, "", timestamp=timestamp, nonce=nonce, body=body)
    headers = {
        "Content-Type": "application/json",
        "X-Govdata-Key": job["key_id"],
        "X-Govdata-Timestamp": timestamp,
        "X-Govdata-Nonce": nonce,
        "X-Govdata-Signature": sign(job["secret"], canonical),
    }
    return "POST", path, body, headers


def load(job: dict[str, Any]) -> dict[str, Any]:
    """Closed loop (``rate`` 0) or paced open loop at ``rate`` requests per second."""
    threads, seconds, rate = int(job["threads"]), float(job["seconds"]), float(job["rate"])
    people = [tuple(p) for p in job["people"]]
    latencies: list[list[float]] = [[] for _ in range(threads)]
    errors = [0] * threads
    start = time.perf_counter() + 0.2
    end = start + seconds

    def worker(n: int) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", int(job["port"]), timeout=30)
        i, interval = n, threads / rate if rate else 0.0
        scheduled = start + n * (interval / threads if interval else 0.0)
        while True:
            if interval:
                now = time.perf_counter()
                if scheduled > now:
                    time.sleep(scheduled - now)
                began = scheduled
                scheduled += interval
            else:
                began = time.perf_counter()
            if began >= end:
                break
            method, path, body, headers = _request(job["target"], people[i % len(people)], job)
            i += threads
            try:
                connection.request(method, path, body=body or None, headers=headers)
                response = connection.getresponse()
                response.read()
                ok = response.status == 200
            except (OSError, http.client.HTTPException):
                ok = False
                connection.close()
                connection = http.client.HTTPConnection("127.0.0.1", int(job["port"]), timeout=30)
            latencies[n].append(time.perf_counter() - began)
            if not ok:
                errors[n] += 1
        connection.close()

    pool = [threading.Thread(target=worker, args=(n,)) for n in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    samples = sorted(x for part in latencies for x in part)
    count = len(samples)

    def pct(p: float) -> float:
        return samples[min(count - 1, int(p * count))] * 1000 if count else 0.0

    return {
        "requests": count,
        "errors": sum(errors),
        "rps": count / seconds,
        "p50_ms": pct(0.50),
        "p99_ms": pct(0.99),
    }


def _run_load(job: dict[str, Any]) -> dict[str, Any]:
    """The load generator in a process of its own."""
    done = subprocess.run(
        [sys.executable, "-m", "bench.bench_services", "load"],
        input=json.dumps(job).encode(),
        capture_output=True,
        check=True,
    )
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def _wait_for(port: int, server: subprocess.Popen[bytes]) -> None:
    for _ in range(600):
        if server.poll() is not None:
            raise RuntimeError("the server process exited")
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
            connection.request("GET", "/healthz")
            if connection.getresponse().status == 200:
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("the server did not start")


def main(argv: list[str] | None = None) -> dict[str, Any]:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["serve"]:
        serve(Path(argv[1]), int(argv[2]), argv[3])
        return {}
    if argv[:1] == ["load"]:
        print(json.dumps(load(json.loads(sys.stdin.read()))))
        return {}
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--rows", type=int, default=5_000_000)
    parser.add_argument("--seconds", type=float, default=10.0, help="per measured phase")
    parser.add_argument(
        "--rounds", type=int, default=3, help="rounds of the three maxima (median reported)"
    )
    parser.add_argument("--threads", type=int, default=8, help="connections of the load generator")
    parser.add_argument("--port", type=int, default=18_765)
    parser.add_argument("--workdir", type=Path, default=Path("var/bench/services"))
    args = parser.parse_args(argv)

    args.workdir.mkdir(parents=True, exist_ok=True)
    for stale in ("node.sqlite3",):
        (args.workdir / stale).unlink(missing_ok=True)
    node = build_node(args.workdir, args.rows)
    env = os.environ | {"PYTHONHASHSEED": "0"}
    server = subprocess.Popen(  # noqa: S603
        [
            sys.executable,
            "-m",
            "bench.bench_services",
            "serve",
            str(args.workdir),
            str(args.port),
            node["table"],
        ],
        env=env,
    )
    results: dict[str, Any] = {"rows": node["rows"], "load_seconds": node["load_seconds"]}
    try:
        _wait_for(args.port, server)
        job = {
            "port": args.port,
            "threads": args.threads,
            "grant_id": node["grant_id"],
            "key_id": node["key_id"],
            "secret": node["secret"],
            "people": node["people"],
        }
        for target in TARGETS:
            _run_load(job | {"target": target, "seconds": 1.0, "rate": 0})  # warm up
        # Rounds of the three maxima back to back: each ratio compares phases a few
        # seconds apart, so that a machine whose speed drifts (other work on it)
        # moves both sides of a ratio alike. The median round is reported.
        rounds: list[dict[str, dict[str, Any]]] = [
            {
                target: _run_load(job | {"target": target, "seconds": args.seconds, "rate": 0})
                for target in TARGETS
            }
            for _ in range(args.rounds)
        ]
        results["rounds"] = [
            {target: measured["rps"] for target, measured in one.items()} for one in rounds
        ]
        for target in TARGETS:
            peak = median_by_rps([one[target] for one in rounds])
            paced = _run_load(
                job | {"target": target, "seconds": args.seconds, "rate": 0.8 * peak["rps"]}
            )
            results[target] = {"max": peak, "at_80": paced}
    finally:
        server.send_signal(signal.SIGINT)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
    for target in ("verify", "query"):
        ratios = sorted(
            one[target]["rps"] / one["bare"]["rps"] if one["bare"]["rps"] else 0.0 for one in rounds
        )
        results[f"{target}_ratios"] = ratios
        results[f"{target}_ratio"] = ratios[len(ratios) // 2]
    report(results)
    return results


TARGETS = ("bare", "verify", "query")


def median_by_rps(measured: list[dict[str, Any]]) -> dict[str, Any]:
    return sorted(measured, key=lambda one: float(one["rps"]))[len(measured) // 2]


def report(results: dict[str, Any]) -> None:
    print(f"population rows: {results['rows']:,} (written in {results['load_seconds']:.1f} s)")
    print(f"{'endpoint':<8} {'max rps':>9} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7}"
          f" | {'80% rps':>8} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7}")  # fmt: skip
    for target in ("bare", "verify", "query"):
        peak, paced = results[target]["max"], results[target]["at_80"]
        print(
            f"{target:<8} {peak['rps']:9.0f} {peak['p50_ms']:8.1f} {peak['p99_ms']:8.1f}"
            f" {peak['errors']:7d} | {paced['rps']:8.0f} {paced['p50_ms']:8.1f}"
            f" {paced['p99_ms']:8.1f} {paced['errors']:7d}"
        )
    for n, one in enumerate(results["rounds"], 1):
        print(f"round {n}: " + ", ".join(f"{target} {rps:.0f} rps" for target, rps in one.items()))
    for target in ("verify", "query"):
        every = ", ".join(f"{ratio:.2f}" for ratio in results[f"{target}_ratios"])
        print(
            f"{target} / bare throughput ratio: {results[f'{target}_ratio']:.2f} "
            f"(median of rounds: {every}; target ≥ 0.50)"
        )


if __name__ == "__main__":
    main()
