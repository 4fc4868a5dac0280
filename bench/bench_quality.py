"""Quality rules: 16 rules in one scan against a bare DuckDB scan of the same columns.

Generates (with DuckDB SQL, deterministic) a Delta table of people: citizen
ID numbers with real check digits (about 2% wrong, and duplicates from the
random draw), names, sex codes, birth dates, division codes, mobiles,
unified social credit codes of employers (valid, with a few broken), incomes
and update times. Then measures, in the same process:

* **bare scan**: DuckDB reading the same columns of the same version (the
  version's Arrow dataset registered as a table) with ``count``/``min``/``max``
  of every column: the practical limit of reading the data at all.
* **quality run**: :func:`govdata.quality.engine.evaluate` of 16 rules (every
  built-in validator but references, plus two custom SQL consistency rules)
  over that version: one scan computing every rule, exact failure counts, up
  to 10,000 failing rows kept per rule. Target: ≤ 3× the bare scan.

    .venv/bin/python -m bench.bench_quality --rows 10000000 --repeats 3

Generated data goes to ``var/bench/quality`` (or ``--workdir``) and is never
committed; it is reused when it already has the requested number of rows.
"""

from __future__ import annotations

import argparse
import json
import shutil
import time
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from govdata.lake.location import LocalLocation
from govdata.lake.query import _strings_as_views
from govdata.lake.tables import LakeTable
from govdata.orgs.codes import make_credit_code, organisation_code_check_char
from govdata.quality.compile import FAR_FUTURE, ID_WEIGHTS, EvaluationContext
from govdata.quality.engine import evaluate
from govdata.quality.rules import RuleSetSpec, parse_rule_set

TARGET_RATIO = 3.0
COUNTIES = ("150102", "150103", "150104", "150105", "150121", "150202", "150203", "150302")
COLUMNS = (
    "id_number",
    "name",
    "sex",
    "birth_date",
    "division_code",
    "phone",
    "employer_code",
    "income",
    "updated_at",
)


def credit_codes(count: int) -> list[str]:
    codes = []
    for serial in range(count):
        org_body = f"MA{serial:06d}"
        org = org_body + organisation_code_check_char(org_body)
        codes.append(make_credit_code(f"91{COUNTIES[serial % len(COUNTIES)]}{org}"))
    return codes


def _generation_sql(rows: int) -> str:
    counties = ", ".join(f"'{c}'" for c in COUNTIES)
    employers = ", ".join(f"'{c}'" for c in credit_codes(997))
    total = " + ".join(
        f"(ascii(substr(body, {i + 1}, 1)) - 48) * {w}" for i, w in enumerate(ID_WEIGHTS)
    )
    check = f"((12 - ({total}) % 11) % 11)"
    digit = f"CASE WHEN {check} = 10 THEN 'X' ELSE CAST({check} AS VARCHAR) END"
    surnames = ", ".join(f"'{c}'" for c in "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗")
    given = ", ".join(f"'{c}'" for c in "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平")
    return f"""
    WITH base AS (SELECT i, hash(i) AS h FROM range({int(rows)}) t(i)),
    people AS (
      SELECT i, h,
        [{counties}][(h % 8)::INTEGER + 1] AS county,
        DATE '1940-01-01' + ((h >> 8) % 25000)::INTEGER AS born,
        ((h >> 24) % 1000)::INTEGER AS serial
      FROM base),
    bodies AS (
      SELECT *, county || strftime(born, '%Y%m%d') || lpad(CAST(serial AS VARCHAR), 3, '0')
        AS body FROM people)
    SELECT
      CASE WHEN h % 50 = 0 THEN body || CASE WHEN {digit} = '0' THEN '1' ELSE '0' END
           ELSE body || {digit} END AS id_number,
      CASE WHEN h % 997 = 0 THEN NULL ELSE
        [{surnames}][((h >> 12) % 20)::INTEGER + 1] || [{given}][((h >> 16) % 20)::INTEGER + 1]
      END AS name,
      CASE WHEN serial % 2 = 1 THEN '1' ELSE '2' END AS sex,
      CASE WHEN h % 331 = 0 THEN born + 1 ELSE born END AS birth_date,
      CASE WHEN h % 401 = 0 THEN '159999' ELSE county END AS division_code,
      CASE WHEN h % 211 = 0 THEN '2' || lpad(CAST((h >> 20) % 1000000000 AS VARCHAR), 10, '0')
           ELSE '1' || CAST(3 + (h >> 4) % 7 AS VARCHAR)
                || lpad(CAST((h >> 20) % 1000000000 AS VARCHAR), 9, '0') END AS phone,
      CASE WHEN h % 307 = 0 THEN 'BAD' || CAST(h % 1000 AS VARCHAR)
           ELSE [{employers}][((h >> 28) % 997)::INTEGER + 1] END AS employer_code,
      CAST((h >> 32) % 2000000 AS DOUBLE) / 10 - CASE WHEN h % 503 = 0 THEN 1000000 ELSE 0 END
        AS income,
      TIMESTAMP '2026-01-01 00:00:00' + INTERVAL (CAST((h >> 40) % 86400 AS BIGINT)) SECOND
        AS updated_at
    FROM bodies
    """  # noqa: S608 (generated from constants)


def generate(workdir: Path, rows: int) -> LakeTable:
    marker = workdir / "rows.json"
    lake = LakeTable(LocalLocation(workdir / "lake"), "quality_people")
    if marker.exists() and json.loads(marker.read_text())["rows"] == rows and lake.exists():
        return lake
    shutil.rmtree(workdir / "lake", ignore_errors=True)
    (workdir / "lake").mkdir(parents=True, exist_ok=True)
    connection = duckdb.connect(":memory:")
    try:
        reader = connection.sql(_generation_sql(rows)).to_arrow_reader(500_000)
        lake.write(reader, mode="overwrite", metadata={"generator": "bench_quality"})
    finally:
        connection.close()
    marker.write_text(json.dumps({"rows": rows}))
    return lake


RULES: dict[str, Any] = {
    "key_columns": ["id_number"],
    "rules": [
        {"code": "id_valid", "kind": "id_number", "column": "id_number"},
        {"code": "id_present", "kind": "not_null", "column": "id_number"},
        {"code": "id_unique", "kind": "unique", "column": "id_number"},
        {"code": "name_present", "kind": "not_null", "column": "name"},
        {"code": "name_length", "kind": "length", "column": "name", "min": 2, "max": 20},
        {"code": "sex_code", "kind": "enum", "column": "sex", "values": ["0", "1", "2", "9"]},
        {
            "code": "birth_range",
            "kind": "date",
            "column": "birth_date",
            "min": "1900-01-01",
            "max": "today",
        },
        {"code": "division_current", "kind": "division_code", "column": "division_code"},
        {"code": "phone_valid", "kind": "phone", "column": "phone"},
        {"code": "phone_mobile", "kind": "pattern", "column": "phone", "pattern": "1[3-9][0-9]{9}"},
        {"code": "employer_valid", "kind": "credit_code", "column": "employer_code"},
        {"code": "income_range", "kind": "range", "column": "income", "min": 0, "max": 10000000},
        {
            "code": "updated_recently",
            "kind": "freshness",
            "column": "updated_at",
            "max_age_days": 3650,
        },
        {"code": "fresh_version", "kind": "freshness", "max_age_days": 30},
        {
            "code": "birth_matches_id",
            "kind": "sql",
            "expression": "substr(id_number, 7, 8) = strftime(birth_date, '%Y%m%d')",
            "dimension": "consistency",
            "sub_indicator": "same_data",
        },
        {
            "code": "sex_matches_id",
            "kind": "sql",
            "expression": "try_cast(substr(id_number, 17, 1) AS INTEGER) % 2 = "
            "CASE sex WHEN '1' THEN 1 ELSE 0 END",
            "dimension": "consistency",
            "sub_indicator": "same_data",
        },
    ],
}


def rule_set() -> RuleSetSpec:
    return parse_rule_set(RULES)


def _context() -> EvaluationContext:
    now = datetime.now(UTC)
    divisions = pa.table(
        {
            "code": pa.array(list(COUNTIES), pa.string()),
            "valid_until": pa.array([FAR_FUTURE] * len(COUNTIES), pa.date32()),
            "current": pa.array([True] * len(COUNTIES), pa.bool_()),
        }
    )
    return EvaluationContext(today=date.today(), now=now, commit_time=now, divisions=divisions)  # noqa: DTZ011


def bare_scan(lake: LakeTable, version: int) -> tuple[float, int]:
    dataset = _strings_as_views(lake.dataset(version))
    aggregates = ", ".join(f'count("{c}"), min("{c}"), max("{c}")' for c in COLUMNS)
    connection = duckdb.connect(
        ":memory:", config={"enable_external_access": False, "autoload_known_extensions": False}
    )
    try:
        connection.register("gd_rows", dataset)
        started = time.perf_counter()
        row = connection.execute(f"SELECT count(*), {aggregates} FROM gd_rows").fetchall()[0]  # noqa: S608
        return time.perf_counter() - started, int(row[0])
    finally:
        connection.close()


def quality_run(lake: LakeTable, version: int) -> tuple[float, dict[str, Any]]:
    started = time.perf_counter()
    evaluation = evaluate(lake, version, rule_set(), key_columns=["id_number"], context=_context())
    seconds = time.perf_counter() - started
    return seconds, {
        "rows": evaluation.rows,
        "rules": {
            o.spec.code: {"evaluated": o.evaluated, "failed": o.failed, "kept": len(o.failures)}
            for o in evaluation.outcomes
        },
    }


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--workdir", type=Path, default=Path("var/bench/quality"))
    args = parser.parse_args(argv)
    args.workdir.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    lake = generate(args.workdir, args.rows)
    generated = time.perf_counter() - started
    version = lake.version()
    assert version is not None  # noqa: S101 (just written)
    bare: list[float] = []
    quality: list[float] = []
    detail: dict[str, Any] = {}
    for _ in range(args.repeats):  # alternate, so that both see the same cache state
        seconds, rows = bare_scan(lake, version)
        bare.append(seconds)
        seconds, detail = quality_run(lake, version)
        quality.append(seconds)
    ratio = min(quality) / min(bare)
    results = {
        "rows": rows,
        "generate_seconds": generated,
        "bare_seconds": min(bare),
        "bare_seconds_all": bare,
        "quality_seconds": min(quality),
        "quality_seconds_all": quality,
        "ratio": ratio,
        "target_ratio": TARGET_RATIO,
        "detail": detail,
    }
    print(f"rows: {rows:,}  rules: {len(RULES['rules'])}")
    print(f"bare DuckDB scan of the same columns: {min(bare):.3f} s (runs: {bare})")
    print(f"quality run (one scan, 16 rules):     {min(quality):.3f} s (runs: {quality})")
    verdict = "within" if ratio <= TARGET_RATIO else "OVER"
    print(f"ratio: {ratio:.2f}× ({verdict} the {TARGET_RATIO:.0f}× target)")
    for code, counts in detail["rules"].items():
        print(f"  {code:18s} failed {counts['failed']:>10,} of {counts['evaluated']:,}")
    return results


if __name__ == "__main__":
    main()
