"""The masking benchmark runs end to end with tiny sizes, so that it cannot rot."""

from __future__ import annotations

from bench import bench_masking


def test_the_masking_benchmark_runs_and_reports_throughput_against_its_baselines() -> None:
    results = bench_masking.main(
        ["--rows", "3000", "--repeats", "1", "--loop-rows", "500", "--pseudonym-rows", "50"]
    )
    assert results["rows"] == 3000
    for column in ("id_number", "mobile", "name"):
        measured = results[column]
        assert measured["masked_rows_per_s"] > 0
        assert measured["ratio_to_copy"] > 0
        assert measured["speedup_over_loop"] > 0
    assert results["pseudonym_values_per_s"] > 0
    assert results["detect_rows_per_s"] > 0
