"""Person profiles from three noisy sources: precision, recall and wall time (A6).

Generates three sources of ``--people`` people each (:mod:`bench.profile_data`:
missing and mistyped identity numbers, name typos, moved addresses, changed
phones), links them with :func:`govdata.profiles.linking.link` (exact on valid
identity numbers, then Splink on DuckDB for the rest), and scores the clusters
against the known truth with pairwise precision and recall, over the records
with a valid identity number and over all records. The baseline, measured in
the same run, links on valid identity numbers only (every other record stays
alone). Then stable profile IDs are assigned and golden records built, and a
second assignment with the same clusters checks that no ID changes.

    .venv/bin/python -m bench.bench_profiles --people 1000000 --repeats 1
"""

from __future__ import annotations

import argparse
import time
from typing import Any

import duckdb
import numpy as np

# pyarrow ships no type information; the override-proof form of the ignore.
import pyarrow as pa  # type: ignore[import-untyped, unused-ignore]

from bench.profile_data import generate
from govdata.profiles.golden import golden_records
from govdata.profiles.kinds import PERSON
from govdata.profiles.linking import LinkOptions, LinkResult, SourceBatch, link
from govdata.profiles.stable import ProfileState, assign_profile_ids


def pairwise_scores(
    predicted: np.ndarray[Any, Any], truth: np.ndarray[Any, Any]
) -> dict[str, float]:
    """Pairwise precision and recall of a clustering against the truth."""
    con = duckdb.connect()
    con.register("labels", pa.table({"p": predicted, "t": truth}))
    row = con.execute(
        """
        WITH cells AS (SELECT p, t, count(*) AS n FROM labels GROUP BY p, t),
             predicted AS (SELECT sum(n) AS n FROM cells GROUP BY p),
             truth AS (SELECT sum(n) AS n FROM cells GROUP BY t)
        SELECT (SELECT sum(n * (n - 1) / 2) FROM cells),
               (SELECT sum(n * (n - 1) / 2) FROM predicted),
               (SELECT sum(n * (n - 1) / 2) FROM truth)
        """
    ).fetchone()
    con.close()
    assert row is not None  # noqa: S101
    both, predicted_pairs, true_pairs = (float(value or 0) for value in row)
    return {
        "precision": both / predicted_pairs if predicted_pairs else 1.0,
        "recall": both / true_pairs if true_pairs else 1.0,
    }


def score(result: LinkResult, truth: np.ndarray[Any, Any]) -> dict[str, dict[str, float]]:
    cluster = result.records.column("cluster").to_numpy()
    valid = np.asarray(result.records.column("key").is_valid().to_numpy(zero_copy_only=False))
    return {
        "valid_id": pairwise_scores(cluster[valid], truth[valid]),
        "overall": pairwise_scores(cluster, truth),
    }


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--threshold", type=float, default=LinkOptions().threshold)
    args = parser.parse_args(argv)

    generated = generate(args.people, args.seed)
    print(
        f"generated {generated.rows:,} records of {args.people:,} people "
        f"in {generated.seconds:.1f} s"
    )
    batches = [
        SourceBatch(source.source_id, source.table, priority=source.priority, version=1)
        for source in generated.sources
    ]
    truth = np.concatenate([source.person for source in generated.sources])

    baseline_seconds: list[float] = []
    linked_seconds: list[float] = []
    baseline: LinkResult | None = None
    linked: LinkResult | None = None
    for _ in range(args.repeats):
        started = time.perf_counter()
        baseline = link(batches, PERSON, LinkOptions(probabilistic=False))
        baseline_seconds.append(time.perf_counter() - started)
        started = time.perf_counter()
        linked = link(batches, PERSON, LinkOptions(threshold=args.threshold))
        linked_seconds.append(time.perf_counter() - started)
    assert baseline is not None and linked is not None  # noqa: S101

    started = time.perf_counter()
    state = ProfileState.empty()
    first = assign_profile_ids(linked.records, state)
    again = assign_profile_ids(linked.records, first.state)
    stable_seconds = time.perf_counter() - started
    unchanged = int(
        np.sum(
            np.asarray(first.profile_ids.to_numpy(zero_copy_only=False))
            == np.asarray(again.profile_ids.to_numpy(zero_copy_only=False))
        )
    )
    started = time.perf_counter()
    golden = golden_records(linked.records, first.profile_ids, PERSON)
    golden_seconds = time.perf_counter() - started

    results: dict[str, Any] = {
        "people": args.people,
        "records": generated.rows,
        "keyless": int(linked.records.column("key").null_count),
        "pairs_scored": linked.pairs_scored,
        "clusters": linked.clusters,
        "baseline": score(baseline, truth),
        "linked": score(linked, truth),
        "baseline_seconds": min(baseline_seconds),
        "link_seconds": min(linked_seconds),
        "link_seconds_all": linked_seconds,
        "timings": linked.timings,
        "stable_seconds": stable_seconds,
        "ids_unchanged_on_rerun": unchanged,
        "golden_seconds": golden_seconds,
        "golden_values": golden.num_rows,
    }
    results["link_ratio"] = results["link_seconds"] / max(results["baseline_seconds"], 1e-9)
    total = results["link_seconds"] + stable_seconds + golden_seconds
    results["total_seconds"] = total
    for name in ("baseline", "linked"):
        for subset in ("valid_id", "overall"):
            s = results[name][subset]
            print(f"{name:8} {subset:8} precision {s['precision']:.5f} recall {s['recall']:.5f}")
    print(
        f"records {generated.rows:,} (keyless {results['keyless']:,}), "
        f"pairs scored {linked.pairs_scored:,}, profiles {linked.clusters:,}\n"
        f"exact-only baseline {results['baseline_seconds']:.1f} s; full linking "
        f"{results['link_seconds']:.1f} s (ratio {results['link_ratio']:.2f}; "
        + ", ".join(f"{k} {v:.1f} s" for k, v in linked.timings.items())
        + f"); stable IDs (two assignments) {stable_seconds:.1f} s; golden records "
        f"{golden_seconds:.1f} s; total {total:.1f} s; IDs unchanged on re-run "
        f"{unchanged:,}/{generated.rows:,}"
    )
    return results


if __name__ == "__main__":
    main()
