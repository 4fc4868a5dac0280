"""The crypto benchmark runs end to end with tiny sizes, so that it cannot rot."""

from __future__ import annotations

from bench import bench_crypto


def test_the_crypto_benchmark_runs_and_reports_ratios() -> None:
    results = bench_crypto.main(
        ["--megabytes", "1", "--rows", "300", "--signatures", "5", "--repeats", "1"]
    )

    for ratio in ("bulk_ratio", "field_ratio", "sign_ratio", "verify_ratio", "digest_ratio"):
        assert results[ratio] > 0
    assert results["field_encrypt_rows_s"] > 0
    assert results["field_decrypt_rows_s"] > 0
