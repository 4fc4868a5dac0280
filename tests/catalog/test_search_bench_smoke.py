"""The catalog search benchmark runs end to end with tiny sizes, so that it cannot rot."""

from __future__ import annotations

from pathlib import Path

from bench import bench_catalog_search
from govdata.catalog.codes import parse_classification, parse_resource_code


def test_the_catalog_search_benchmark_runs_and_reports_ratios(tmp_path: Path) -> None:
    results = bench_catalog_search.main(["--smoke", "--data-dir", str(tmp_path)])
    assert results["entries"] == 300
    assert results["index_p50_ms"] > 0
    assert results["baseline_p50_ms"] > 0
    assert results["ratio_p95"] > 0
    assert results["mismatches"] == 0


def test_the_synthetic_catalog_has_valid_unique_codes() -> None:
    documents = list(bench_catalog_search.generate(2000, seed=7))
    codes = [document.resource_code for document in documents]
    assert len(set(codes)) == len(codes)
    for document in documents:
        parse_resource_code(document.resource_code)
        parse_classification(document.classification_code)
    average_items = sum(len(d.item_names) for d in documents) / len(documents)
    assert 5 <= average_items <= 9


def test_the_synthetic_catalog_is_deterministic() -> None:
    first = list(bench_catalog_search.generate(50, seed=7))
    assert first == list(bench_catalog_search.generate(50, seed=7))
