"""Every benchmark runs end to end with tiny sizes, so that none of them rots.

The sizes are the smallest that still exercise every step and keep each assertion
meaningful (the profile linking still has records without an ID number to link).
"""

from __future__ import annotations

import socket
from pathlib import Path

from bench import (
    bench_action_layer,
    bench_aggregation,
    bench_profiles,
    bench_quality,
    bench_services,
    bench_subscriptions,
)


def test_the_action_layer_benchmark_runs_and_reports_ratios() -> None:
    results = bench_action_layer.main(["--calls", "20", "--repeats", "1"])
    assert results["direct_us"] > 0
    assert results["registry_ratio"] > 0
    assert results["http_ratio"] > 0


def test_the_aggregation_benchmark_runs_and_reports_ratios(tmp_path: Path) -> None:
    results = bench_aggregation.main(
        ["--rows", "4000", "--changed", "400", "--workdir", str(tmp_path), "--repeats", "2"]
    )
    assert len(results["load_seconds_all"]) == len(results["merge_seconds_all"]) == 2
    assert results["load"]["seconds"] == min(results["load_seconds_all"])
    assert results["load"]["rows_read"] == 4000
    assert results["load"]["rows_quarantined"] == 80
    assert results["merge"]["inserted"] + results["merge"]["updated"] == 400
    assert results["bare_merge"]["updated"] == results["merge"]["updated"]
    assert results["load_ratio"] > 0
    assert results["merge_ratio"] > 0
    assert results["encrypted_load"]["rows_written"] == results["load"]["rows_written"]
    assert results["encrypted_merge"]["inserted"] == results["merge"]["inserted"]
    assert results["encrypted_merge"]["updated"] == results["merge"]["updated"]
    assert results["encryption_load_overhead"] > 0


def test_the_profile_benchmark_runs_and_scores_the_linking() -> None:
    results = bench_profiles.main(["--people", "1000", "--repeats", "1"])
    assert results["records"] == 3000
    assert results["linked"]["valid_id"]["precision"] >= 0.99
    assert results["linked"]["overall"]["recall"] > results["baseline"]["overall"]["recall"]
    assert results["ids_unchanged_on_rerun"] == 3000
    assert results["link_ratio"] > 0


def test_the_quality_benchmark_runs_and_reports_the_ratio(tmp_path: Path) -> None:
    results = bench_quality.main(["--rows", "3000", "--repeats", "1", "--workdir", str(tmp_path)])
    assert results["rows"] == 3000
    assert results["ratio"] > 0
    assert len(results["detail"]["rules"]) == 16
    assert results["detail"]["rules"]["id_valid"]["failed"] > 0


def test_the_services_benchmark_runs_and_reports_ratios(tmp_path: Path) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    # Each measured phase sends at least one request per thread however short it is.
    arguments = ["--rows", "1000", "--seconds", "0.2", "--rounds", "2", "--threads", "2"]
    arguments += ["--port", str(port)]
    results = bench_services.main([*arguments, "--workdir", str(tmp_path)])
    assert results["rows"] == 1000
    for target in ("bare", "verify", "query"):
        assert results[target]["max"]["requests"] > 0
        assert results[target]["max"]["errors"] == 0
    assert results["verify_ratio"] > 0 and results["query_ratio"] > 0
    assert len(results["rounds"]) == len(results["verify_ratios"]) == 2
    assert results["verify_ratio"] in results["verify_ratios"]


def _nats_reachable() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 4222), timeout=1):
            return True
    except OSError:
        return False


def test_the_subscription_benchmark_measures_each_transport(tmp_path: Path) -> None:
    transport = "both" if _nats_reachable() else "outbox"
    arguments = ["--rows", "2000", "--changed", "50", "--repeats", "1", "--transport", transport]
    results = bench_subscriptions.main(
        [*arguments, "--dispatch-seconds", "0.2", "--poll", "0.1", "--workdir", str(tmp_path)]
    )
    measured = ["outbox", "nats"] if transport == "both" else ["outbox"]
    for name in measured:
        assert len(results[name]["latencies"]) == 1
        assert 0 < results[name]["max"] <= bench_subscriptions.TARGET_SECONDS
        assert results[f"{name}_samples"][0]["counts"]["updated"] == 50
