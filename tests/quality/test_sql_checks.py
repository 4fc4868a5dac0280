"""The citizen ID check as DuckDB SQL gives the NumPy reference's verdicts
(:func:`govdata.quality.vectorized.id_number_ok`), value for value."""

from __future__ import annotations

from datetime import date

import duckdb
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from govdata.quality.sql_checks import division_table, id_number_sql
from govdata.quality.vectorized import DIVISION_CHECKS, DivisionIndex, id_number_ok
from tests.quality.test_validators import divisions, id_number
from tests.quality.test_vectorized import INDEX, TODAY, messy_ids


def sql_verdicts(
    values: list[str | None], check: str, index: DivisionIndex = INDEX, today: date = TODAY
) -> list[bool | None]:
    connection = duckdb.connect(":memory:")
    try:
        connection.register(
            "t", pa.table({"n": pa.array(range(len(values)), pa.int64()), "v": values})
        )
        connection.register("gd_div", division_table(index))
        found = id_number_sql("0", '"v"', division_check=check, today=today, divisions="gd_div")
        rows = "SELECT * FROM t"
        for layer in found.layers:
            rows = f"SELECT *, {', '.join(layer)} FROM ({rows})"  # noqa: S608 (test)
        query = (
            f"SELECT {found.verdict} FROM ({rows}) AS p "  # noqa: S608 (test)
            f"{' '.join(found.joins)} ORDER BY p.n"
        )
        return [row[0] for row in connection.execute(query).fetchall()]
    finally:
        connection.close()


def reference(
    values: list[str | None], check: str, index: DivisionIndex = INDEX, today: date = TODAY
) -> list[bool | None]:
    verdicts: list[bool | None] = id_number_ok(
        pa.array(values, pa.string()), index, check, today
    ).to_pylist()
    return verdicts


@pytest.mark.parametrize("check", DIVISION_CHECKS)
def test_the_sql_check_agrees_with_the_reference_on_messy_values(check: str) -> None:
    values = messy_ids(5_000, seed=11)
    assert sql_verdicts(values, check) == reference(values, check)


BODY_CHARACTERS = st.sampled_from("0123456789Xx a:/_١１é中")


@st.composite
def near_ids(draw: st.DrawFn) -> str | None:
    """Mostly well-formed IDs (real check digits, edge dates) with random damage."""
    if draw(st.integers(0, 30)) == 0:
        return None
    prefix = draw(st.sampled_from(["150102", "152100", "150199", "810000", "820000", "910000"]))
    year = draw(st.sampled_from([1799, 1800, 1900, 2000, 2024, 2025, 2026, 2027]))
    month, day = draw(st.integers(0, 13)), draw(st.integers(0, 32))
    body = f"{prefix}{year:04d}{month:02d}{day:02d}{draw(st.integers(0, 999)):03d}"
    value = id_number(body) if draw(st.booleans()) else body + draw(st.sampled_from("0123X9x"))
    damage = draw(st.lists(st.tuples(st.integers(0, 18), BODY_CHARACTERS), max_size=2))
    for position, character in damage:
        value = value[:position] + character + value[position + 1 :]
    return value


@settings(max_examples=60, deadline=None)
@given(st.lists(near_ids(), min_size=1, max_size=60), st.sampled_from(DIVISION_CHECKS))
def test_the_sql_check_agrees_with_the_reference_on_generated_values(
    values: list[str | None], check: str
) -> None:
    assert sql_verdicts(values, check) == reference(values, check)


def test_leap_days_month_ends_and_the_birth_date_bounds() -> None:
    bodies = [
        "15010220000229123",  # a leap day
        "15010219000229123",  # 1900 is not a leap year
        "15010220240431123",  # April has 30 days
        "15010220241231123",
        "15010217991231123",  # before 1800
        "15010218000101123",
        "15010220260601123",  # today
        "15010220260602123",  # tomorrow
    ]
    values: list[str | None] = [id_number(body) for body in bodies]
    assert sql_verdicts(values, "structure") == [True, False, False, True, False, True, True, False]
    assert sql_verdicts(values, "structure") == reference(values, "structure")


def test_provinces_past_the_mask_and_editions_without_an_end() -> None:
    index = DivisionIndex.of(divisions(("820000", None), ("150102", date(1995, 1, 1))))
    values: list[str | None] = [
        id_number("82000019900307123"),
        id_number("81000019900307123"),
        id_number("91000019900307123"),
        id_number("15010219900307123"),
        id_number("15010219960307123"),
    ]
    for check in DIVISION_CHECKS:
        assert sql_verdicts(values, check, index) == reference(values, check, index), check
