"""The generated population file is what the aggregation benchmarks rely on.

Generated once per module into a temporary directory (about 2,000 rows) and
read back with the csv module and govdata's own validators.
"""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from datetime import date, datetime
from pathlib import Path

import pytest

from bench import population_data as pop
from govdata.aggregation.convert import REASON_MESSAGES
from govdata.aggregation.vectorized import PHONE_PATTERN
from govdata.libraries.standards import get_standard
from govdata.orgs.codes import CodeError, check_division_code, check_id_number

ROWS = 2_000
DIRTY = 0.05
SEED = 3
PHONE = re.compile(PHONE_PATTERN)


def read_rows(path: Path, encoding: str = "gbk") -> tuple[list[str], list[list[str]]]:
    text = path.read_bytes().decode(encoding)  # strict: fails on any byte that is not GBK
    header, *rows = csv.reader(io.StringIO(text, newline=""))
    return header, rows


def defects(row: list[str]) -> list[str]:
    """The dirty kinds a row shows, judged by govdata's validators."""
    if len(row) != len(pop.HEADER):
        return ["ragged_row"]
    found = []
    id_number, name, _, birth_date, division_code, _, phone, _ = row
    if not name:
        found.append("empty_name")
    elif name.startswith(("=", "@")):
        found.append("formula_name")
    try:
        check_id_number(id_number)
    except CodeError as error:
        assert "校验码" in str(error)
        found.append("bad_check_digit")
    try:
        date.fromisoformat(birth_date)
    except ValueError:
        found.append("impossible_birth_date")
    try:
        check_division_code(division_code)
    except CodeError:
        found.append("non_numeric_division_code")
    if not PHONE.match(phone):
        found.append("short_phone")
    return found


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> pop.GeneratedStats:
    path = tmp_path_factory.mktemp("population") / "pop.csv"
    return pop.generate(path, ROWS, dirty=DIRTY, seed=SEED)


@pytest.fixture(scope="module")
def base_rows(base: pop.GeneratedStats) -> list[list[str]]:
    return read_rows(base.path)[1]


def test_the_file_is_gbk_with_the_ascii_header_the_population_library_maps(
    base: pop.GeneratedStats,
) -> None:
    header, rows = read_rows(base.path)
    assert header == list(pop.HEADER)
    assert len(rows) == ROWS == base.rows
    population = {column.name for column in get_standard("population").columns}
    assert set(header) <= population
    assert base.size_bytes == base.path.stat().st_size


def test_clean_rows_hold_valid_identity_numbers_that_agree_with_the_other_columns(
    base_rows: list[list[str]],
) -> None:
    counties = {county.code for county in pop.counties()}
    clean = [row for row in base_rows if not defects(row)]
    assert clean
    for id_number, name, sex, birth_date, division_code, address, phone, updated_at in clean:
        assert check_id_number(id_number) == id_number
        assert id_number[:6] in counties
        assert division_code in counties
        assert birth_date.replace("-", "") == id_number[6:14]
        assert sex == ("1" if int(id_number[16]) % 2 else "2")
        assert 1 <= len(name) <= 6
        assert address.startswith("内蒙古自治区")
        assert PHONE.match(phone)
        assert pop.UPDATED_FROM <= datetime.fromisoformat(updated_at) < pop.UPDATED_TO


def test_each_dirty_row_has_one_defect_and_the_counts_are_those_of_the_stats(
    base: pop.GeneratedStats, base_rows: list[list[str]]
) -> None:
    found = [defects(row) for row in base_rows]
    assert all(len(kinds) <= 1 for kinds in found)
    counted = Counter(kinds[0] for kinds in found if kinds)
    assert counted == Counter({kind: n for kind, n in base.dirty.items() if n})
    assert base.dirty == pop.dirty_counts(ROWS, DIRTY)
    assert base.dirty_rows == round(ROWS * DIRTY)
    assert base.clean_rows == sum(1 for kinds in found if not kinds)


def test_every_dirty_kind_is_present_and_maps_to_a_quarantine_reason(
    base: pop.GeneratedStats,
) -> None:
    assert set(base.dirty) == set(pop.DIRTY_KINDS)
    assert all(base.dirty[kind] > 0 for kind in pop.DIRTY_KINDS)
    assert set(base.expected_reasons()) <= set(REASON_MESSAGES)
    assert sum(base.expected_reasons().values()) == base.dirty_rows


def test_identity_numbers_are_unique(base_rows: list[list[str]]) -> None:
    ids = [row[0] for row in base_rows]
    assert len(ids) == len(set(ids))


def test_the_same_arguments_give_the_same_bytes_whatever_the_chunk_size(
    base: pop.GeneratedStats, tmp_path: Path
) -> None:
    again = pop.generate(tmp_path / "again.csv", ROWS, dirty=DIRTY, seed=SEED, chunk_rows=333)
    assert again.path.read_bytes() == base.path.read_bytes()
    other = pop.generate(tmp_path / "other.csv", 50, dirty=DIRTY, seed=SEED + 1)
    assert read_rows(other.path)[1][0] != read_rows(base.path)[1][0]


@pytest.mark.parametrize("encoding", ["utf-8", "gb18030"])
def test_other_encodings_hold_the_same_text(encoding: str, tmp_path: Path) -> None:
    gbk = pop.generate(tmp_path / "gbk.csv", 300, dirty=0.1, seed=SEED)
    other = pop.generate(tmp_path / f"{encoding}.csv", 300, encoding=encoding, dirty=0.1, seed=SEED)
    assert other.path.read_bytes().decode(encoding) == gbk.path.read_bytes().decode("gbk")


def test_changed_rows_update_clean_base_rows_and_add_new_ids(
    base_rows: list[list[str]], tmp_path: Path
) -> None:
    stats = pop.changed_rows(
        tmp_path / "delta.csv",
        base_rows=ROWS,
        rows=200,
        new_share=0.25,
        base_dirty=DIRTY,
        seed=SEED,
    )
    assert (stats.rows, stats.changed, stats.new) == (200, 150, 50)
    header, rows = read_rows(stats.path)
    assert header == list(pop.HEADER)
    assert not any(defects(row) for row in rows)
    before = {row[0]: row for row in base_rows if not defects(row)}
    every_base_id = {row[0] for row in base_rows}
    latest_base = max(datetime.fromisoformat(row[7]) for row in before.values())
    existing = [row for row in rows if row[0] in before]
    new = [row for row in rows if row[0] not in every_base_id]
    assert (len(existing), len(new)) == (stats.changed, stats.new)
    assert len({row[0] for row in rows}) == len(rows)
    for row in existing:
        old = before[row[0]]
        assert row[1:5] == old[1:5]  # name, sex, birth date, division code
        assert row[5] != old[5] or row[6] != old[6]
        assert datetime.fromisoformat(row[7]) > latest_base
    assert sum(row[5] != before[row[0]][5] for row in existing) == stats.address_changed
    assert sum(row[6] != before[row[0]][6] for row in existing) == stats.phone_changed


def test_the_command_writes_the_base_and_the_incremental_file(tmp_path: Path) -> None:
    results = pop.main(
        ["--rows", "100", "--out", str(tmp_path / "p.csv"), "--dirty", "0.1",
         "--changed", "10", "--changed-out", str(tmp_path / "d.csv"), "--encoding", "utf-8"]
    )  # fmt: skip
    assert results["rows"] == 100
    assert results["dirty_rows"] == 10
    assert (results["changed"], results["new"]) == (9, 1)
    assert len(read_rows(tmp_path / "d.csv", "utf-8")[1]) == 10
