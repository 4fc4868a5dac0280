"""Every benchmark runs end to end with tiny sizes, so that none of them rots."""

from __future__ import annotations

from bench import bench_action_layer


def test_the_action_layer_benchmark_runs_and_reports_ratios() -> None:
    results = bench_action_layer.main(["--calls", "20", "--repeats", "1"])
    assert results["direct_us"] > 0
    assert results["registry_ratio"] > 0
    assert results["http_ratio"] > 0
