"""The ledger benchmark runs end to end with tiny sizes, so that it cannot rot."""

from __future__ import annotations

from pathlib import Path

from bench import bench_ledger


def test_the_ledger_benchmark_runs_and_reports_ratios(tmp_path: Path) -> None:
    results = bench_ledger.main(
        [
            "--entries",
            "1500",
            "--batch",
            "500",
            "--repeats",
            "1",
            "--proof-entries",
            "3000",
            "--samples",
            "30",
            "--workdir",
            str(tmp_path),
        ]
    )

    assert results["appends_per_second"] > 0
    assert results["append_ratio"] > 0
    assert results["proof_entries"] == 3000
    assert 0 < results["proof_p50_ms"] <= results["proof_p95_ms"] <= results["proof_max_ms"]
    assert results["proof_ratio_p50"] > 0
    assert not list(tmp_path.glob("*.sqlite3"))  # nothing left behind without --keep
