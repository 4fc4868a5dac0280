"""Ledger speed: durable batched appends, and proofs in a very large ledger.

* **appends**: ``append_many`` in committed transactions of ``--batch``
  entries on SQLite (the embedded default, with the project's pragmas: WAL,
  ``synchronous=NORMAL``; ``--synchronous FULL`` fsyncs every commit),
  against inserting the same records into a plain table with the same
  columns in the same kind of transactions. Target: ≥ 20,000 appends/s.
* **proofs**: a ledger of ``--proof-entries`` entries is built directly
  (leaf rows and interior node rows bulk-inserted; subject rows are left
  out, proofs do not read them), then each sample fetches a random entry,
  generates its inclusion proof and a consistency proof from a random
  earlier checkpoint size to the full tree, and verifies both. Baseline:
  reading a random entry alone (the same driver-level primary-key read).
  Target: p95 ≤ 2 ms at 10,000,000.

    .venv/bin/python -m bench.bench_ledger --entries 200000 --proof-entries 10000000

The big ledger is kept in ``--workdir`` (default ``var/bench/ledger``) and
reused by later runs with the same ``--proof-entries``; generated data is
never committed.
"""

from __future__ import annotations

import argparse
import random
import sqlite3
import statistics
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import (
    JSON,
    Column,
    Integer,
    MetaData,
    String,
    Table,
    create_engine,
    event,
    insert,
)
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from govdata.db import READ_ONLY, Base, Database, UTCDateTime, make_engine
from govdata.ledger import (
    LedgerEntry,
    append_many,
    consistency_proof,
    encode_entry,
    get_leaf,
    inclusion_proof,
    root_hash,
    tree_size,
    verify_consistency,
    verify_inclusion,
)
from govdata.ledger.hashing import leaf_hash
from govdata.ledger.tree import TreeBuilder, node_position

TARGET_APPENDS_PER_SECOND = 20_000
TARGET_PROOF_P95_MS = 2.0
LEDGER_TABLES = ["ledger_head", "ledger_leaves", "ledger_nodes", "ledger_subjects"]
START = datetime(2026, 11, 21, 9, 0, tzinfo=UTC)
BUILD_CHUNK = 200_000
WARM_UP = 100

plain_metadata = MetaData()
plain_records = Table(
    "plain_records",
    plain_metadata,
    Column("id", Integer, primary_key=True),
    Column("kind", String(60)),
    Column("actor", String(200)),
    Column("recorded_at", UTCDateTime),
    Column("subject_ids", JSON),
    Column("body", JSON),
)


def check(condition: bool, message: str) -> None:
    if not condition:
        raise RuntimeError(message)


def sample_entry(number: int) -> LedgerEntry:
    return LedgerEntry(
        kind="sharing:delivery:made",
        subject_ids=(f"grant-{number // 7}", f"delivery-{number}"),
        actor="内蒙古自治区政务服务与数据管理局",
        body={
            "dataset": "人口基础信息",
            "rows": 1000 + number % 977,
            "channel": "api",
            "consumer": "自治区民政厅",
        },
        recorded_at=START,
    )


def database(path: Path, synchronous: str) -> Database:
    path.unlink(missing_ok=True)
    engine = make_engine(f"sqlite:///{path}")

    @event.listens_for(engine, "connect")
    def _durability(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.execute(f"PRAGMA synchronous={synchronous}")

    return Database(engine)


def time_ledger(db: Database, batches: list[list[LedgerEntry]]) -> float:
    Base.metadata.create_all(db.engine, tables=[Base.metadata.tables[t] for t in LEDGER_TABLES])
    started = time.perf_counter()
    for batch in batches:
        with db.transaction() as session:
            append_many(session, batch)
    return time.perf_counter() - started


def time_plain(db: Database, batches: list[list[LedgerEntry]]) -> float:
    plain_metadata.create_all(db.engine)
    started = time.perf_counter()
    for batch in batches:
        with db.transaction() as session:
            session.execute(
                insert(plain_records),
                [
                    {
                        "kind": entry.kind,
                        "actor": entry.actor,
                        "recorded_at": entry.recorded_at,
                        "subject_ids": list(entry.subject_ids),
                        "body": dict(entry.body),
                    }
                    for entry in batch
                ],
            )
    return time.perf_counter() - started


def bench_appends(args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    entries = [sample_entry(number) for number in range(args.entries)]
    batches = [entries[at : at + args.batch] for at in range(0, len(entries), args.batch)]
    ledger_runs, plain_runs = [], []
    for _ in range(args.repeats):  # in alternation, so drift touches both alike
        plain_db = database(workdir / "plain.sqlite3", args.synchronous)
        plain_runs.append(time_plain(plain_db, batches))
        plain_db.dispose()
        ledger_db = database(workdir / "appends.sqlite3", args.synchronous)
        ledger_runs.append(time_ledger(ledger_db, batches))
        with ledger_db.transaction() as session:
            size = tree_size(session)
            index = random.Random(1).randrange(size)  # noqa: S311 (not for security)
            proof = inclusion_proof(session, index)
            check(size == args.entries, "the ledger lost or gained entries")
            check(
                verify_inclusion(
                    get_leaf(session, index).leaf_hash, index, size, proof, root_hash(session)
                ),
                "an inclusion proof of the appended ledger did not verify",
            )
        ledger_db.dispose()
    for name in ("plain.sqlite3", "appends.sqlite3"):
        for suffix in ("", "-wal", "-shm"):
            (workdir / f"{name}{suffix}").unlink(missing_ok=True)
    ledger_seconds = statistics.median(ledger_runs)
    plain_seconds = statistics.median(plain_runs)
    return {
        "appends_per_second": args.entries / ledger_seconds,
        "plain_inserts_per_second": args.entries / plain_seconds,
        "append_ratio": ledger_seconds / plain_seconds,
        "append_seconds_all": ledger_runs,
        "plain_seconds_all": plain_runs,
    }


def entry_template() -> Callable[[int], bytes]:
    """Canonical entries differing in one integer, made by formatting (fast) and
    checked against :func:`encode_entry` (the real encoding)."""
    marker = 987654321

    def entry(number: int) -> LedgerEntry:
        return LedgerEntry("bench:entry:made", ("bench",), "bench", {"n": number}, START)

    before, after = encode_entry(entry(marker)).split(str(marker).encode())

    def make(number: int) -> bytes:
        return before + str(number).encode() + after

    for number in (0, 7, 123456):
        check(make(number) == encode_entry(entry(number)), "the entry template is not canonical")
    return make


def build_large_ledger(path: Path, size: int) -> float:
    """Bulk-build a ledger of ``size`` entries; returns the seconds it took."""
    started = time.perf_counter()
    path.unlink(missing_ok=True)
    schema_engine = create_engine(f"sqlite:///{path}")
    Base.metadata.create_all(schema_engine, tables=[Base.metadata.tables[t] for t in LEDGER_TABLES])
    schema_engine.dispose()
    make = entry_template()
    # SQLAlchemy's SQLite text form of the UTCDateTime column.
    recorded_at = START.strftime("%Y-%m-%d %H:%M:%S.%f")
    connection = sqlite3.connect(path)
    connection.execute("PRAGMA synchronous=OFF")
    connection.execute("PRAGMA journal_mode=MEMORY")
    builder = TreeBuilder()
    for low in range(0, size, BUILD_CHUNK):
        leaves: list[tuple[Any, ...]] = []
        nodes: list[tuple[int, bytes]] = []

        def keep(level: int, index: int, value: bytes) -> None:
            nodes.append((node_position(level, index), value))  # noqa: B023 (used at once)

        for number in range(low, min(low + BUILD_CHUNK, size)):
            data = make(number)
            value = leaf_hash(data)
            builder.push(value, keep)
            leaves.append((number, value, "bench:entry:made", "bench", recorded_at, data))
        connection.executemany(
            "INSERT INTO ledger_leaves (leaf_index, leaf_hash, kind, actor, recorded_at, entry)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            leaves,
        )
        connection.executemany("INSERT INTO ledger_nodes (position, hash) VALUES (?, ?)", nodes)
        connection.commit()
    connection.execute("UPDATE ledger_head SET tree_size = ?", (size,))
    connection.commit()
    connection.close()
    engine = make_engine(f"sqlite:///{path}")
    with Session(engine) as session:
        check(root_hash(session) == builder.root(), "the bulk-built tree disagrees with the store")
    engine.dispose()
    return time.perf_counter() - started


def existing_size(path: Path) -> int | None:
    if not path.exists():
        return None
    engine = make_engine(f"sqlite:///{path}")
    try:
        with Session(engine) as session:
            return tree_size(session)
    except Exception:  # noqa: BLE001 (an unusable leftover is simply rebuilt)
        return None
    finally:
        engine.dispose()


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


@contextmanager
def read_only_session(engine: Engine) -> Iterator[Session]:
    with (
        engine.connect().execution_options(**READ_ONLY) as connection,
        Session(bind=connection) as session,
    ):
        yield session


def bench_proofs(args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    path = workdir / f"proofs-{args.proof_entries}.sqlite3"
    build_seconds = None
    if not args.reuse or existing_size(path) != args.proof_entries:
        build_seconds = build_large_ledger(path, args.proof_entries)
    engine = make_engine(f"sqlite:///{path}")
    rng = random.Random(7)  # noqa: S311 (not for security)
    size = args.proof_entries
    measured, baseline = [], []
    with read_only_session(engine) as session:
        # A node serving proofs keeps its hashes in memory like any hot index: read
        # the node table once into the OS cache. Entries are left cold.
        warm_started = time.perf_counter()
        session.connection().exec_driver_sql("SELECT sum(length(hash)) FROM ledger_nodes").all()
        warm_seconds = time.perf_counter() - warm_started
        root = root_hash(session)
        old_roots = {m: root_hash(session, m) for m in {rng.randint(1, size) for _ in range(64)}}
        old_sizes = sorted(old_roots)
        for sample in range(args.samples + WARM_UP):
            index = rng.randrange(size)
            old = rng.choice(old_sizes)
            started = time.perf_counter()
            leaf = get_leaf(session, index)
            audit_path = inclusion_proof(session, index, size)
            included = verify_inclusion(leaf_hash(leaf.entry), index, size, audit_path, root)
            extension = consistency_proof(session, old, size)
            consistent = verify_consistency(old, old_roots[old], size, root, extension)
            middle = time.perf_counter()
            get_leaf(session, rng.randrange(size))
            ended = time.perf_counter()
            check(included, f"the inclusion proof of {index} did not verify")
            check(consistent, f"the consistency proof {old} -> {size} did not verify")
            if sample >= WARM_UP:
                measured.append((middle - started) * 1000)
                baseline.append((ended - middle) * 1000)
    engine.dispose()
    if not args.keep:
        path.unlink(missing_ok=True)
    return {
        "proof_entries": size,
        "build_seconds": build_seconds,
        "warm_seconds": warm_seconds,
        "proof_p50_ms": percentile(measured, 0.5),
        "proof_p95_ms": percentile(measured, 0.95),
        "proof_max_ms": max(measured),
        "lookup_p50_ms": percentile(baseline, 0.5),
        "lookup_p95_ms": percentile(baseline, 0.95),
        "proof_ratio_p50": percentile(measured, 0.5) / percentile(baseline, 0.5),
    }


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=200_000, help="entries appended per run")
    parser.add_argument("--batch", type=int, default=1000, help="entries per transaction")
    parser.add_argument("--repeats", type=int, default=3, help="append runs; the median counts")
    parser.add_argument("--synchronous", choices=["NORMAL", "FULL"], default="NORMAL")
    parser.add_argument(
        "--proof-entries", type=int, default=10_000_000, help="size of the proof ledger"
    )
    parser.add_argument("--samples", type=int, default=2000, help="timed proof samples")
    parser.add_argument("--workdir", type=Path, default=Path("var/bench/ledger"))
    parser.add_argument("--reuse", action="store_true", help="reuse a proof ledger of that size")
    parser.add_argument("--keep", action="store_true", help="keep the proof ledger afterwards")
    parser.add_argument("--part", choices=["all", "appends", "proofs"], default="all")
    args = parser.parse_args(argv)
    args.workdir.mkdir(parents=True, exist_ok=True)

    results: dict[str, Any] = {}
    if args.part in {"all", "appends"}:
        results |= bench_appends(args, args.workdir)
        report_appends(args, results)
    if args.part in {"all", "proofs"}:
        results |= bench_proofs(args, args.workdir)
        report_proofs(args, results)
    return results


def report_appends(args: argparse.Namespace, results: dict[str, Any]) -> None:
    print(
        f"baseline: plain-table inserts ({args.batch}/commit)  "
        f"{results['plain_inserts_per_second']:11,.0f} rows/s"
    )
    print(
        f"ledger append_many ({args.batch}/commit)          "
        f"{results['appends_per_second']:11,.0f} appends/s  "
        f"ratio {results['append_ratio']:.2f}× the plain insert time  "
        f"(target ≥ {TARGET_APPENDS_PER_SECOND:,}/s)"
    )


def report_proofs(args: argparse.Namespace, results: dict[str, Any]) -> None:
    if results["build_seconds"] is not None:
        print(
            f"built a ledger of {args.proof_entries:,} entries in {results['build_seconds']:.1f} s"
        )
    print(
        f"baseline: read one random entry          p50 {results['lookup_p50_ms']:.3f} ms"
        f"  p95 {results['lookup_p95_ms']:.3f} ms"
    )
    print(
        f"entry + inclusion + consistency proofs generated and verified:\n"
        f"                                         p50 {results['proof_p50_ms']:.3f} ms"
        f"  p95 {results['proof_p95_ms']:.3f} ms  max {results['proof_max_ms']:.3f} ms"
        f"  ratio p50 {results['proof_ratio_p50']:.1f}"
        f"  (target p95 ≤ {TARGET_PROOF_P95_MS} ms at {args.proof_entries:,} entries)"
    )
    print(f"  (node hashes read into the OS cache first: {results['warm_seconds']:.1f} s)")


if __name__ == "__main__":
    main()
