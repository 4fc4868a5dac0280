"""The comparison engine on crafted tables: counts, normalisation, samples, resolution."""

from __future__ import annotations

import datetime

import pyarrow as pa

from govdata.verification.compare import TableData, compare
from govdata.verification.normalise import normalise_text


def table(rows: dict[str, list[object]], fields: dict[str, str]) -> TableData:
    data = pa.table(rows)
    return TableData(data.to_reader(), "id", fields)


def test_full_width_spaced_and_half_width_addresses_agree() -> None:
    a = table({"id": ["1"], "addr": ["北京市朝阳区建国路１号　Ａ座"]}, {"address": "addr"})
    b = table({"id": ["1"], "addr": ["  北京市朝阳区建国路1号  A座 "]}, {"address": "addr"})

    result = compare([a, b], ["address"], {}, sample_limit=10).fields[0]

    assert (result.compared, result.agreeing, result.conflicting) == (1, 1, 0)


def test_dates_in_different_forms_agree_and_a_date_column_compares_as_iso() -> None:
    a = table(
        {"id": ["1", "2", "3"], "d": ["1990/3/7", "1990年3月7日", "19900307"]}, {"birth": "d"}
    )
    day = datetime.date(1990, 3, 7)
    b = table({"id": ["1", "2", "3"], "d": [day, day, day]}, {"birth": "d"})

    result = compare([a, b], ["birth"], {}, sample_limit=10).fields[0]

    assert (result.agreeing, result.conflicting) == (3, 0)
    assert normalise_text("2024年1月2日") == "2024-01-02"


def test_counts_are_exact_per_field_and_missing_means_fewer_than_two_values() -> None:
    a = table({"id": ["1", "2", "3", "4"], "v": ["x", "y", "z", None]}, {"f": "v"})
    b = table({"id": ["1", "2", "5"], "v": ["x", "Y2", "q"]}, {"f": "v"})
    c = table({"id": ["1", "2"], "v": ["x", "y"]}, {"f": "v"})

    comparison = compare([a, b, c], ["f"], {"f": 2}, sample_limit=10)
    result = comparison.fields[0]

    assert comparison.keys_total == 5
    assert (result.keys, result.compared, result.agreeing, result.conflicting) == (5, 2, 1, 1)
    assert (result.missing, result.resolved) == (3, 1)
    [conflict] = result.conflicts
    assert conflict.key == "2"
    assert conflict.values == {0: "y", 1: "Y2", 2: "y"}
    assert conflict.resolved == "y"


def test_the_sample_is_bounded_but_the_counts_are_not() -> None:
    ids = [str(n) for n in range(50)]
    a = table({"id": ids, "v": ["a"] * 50}, {"f": "v"})
    b = table({"id": ids, "v": ["b"] * 50}, {"f": "v"})

    result = compare([a, b], ["f"], {"f": None}, sample_limit=7).fields[0]

    assert result.conflicting == 50
    assert len(result.conflicts) == 7
    assert all(conflict.resolved is None for conflict in result.conflicts)


def test_keys_are_normalised_before_joining() -> None:
    a = table({"id": ["11010519491231002x "], "v": ["a"]}, {"f": "v"})
    b = table({"id": ["11010519491231002X"], "v": ["a"]}, {"f": "v"})

    result = compare([a, b], ["f"], {}, sample_limit=10).fields[0]

    assert (result.keys, result.agreeing) == (1, 1)


def test_a_table_holding_two_values_for_one_key_makes_it_a_conflict() -> None:
    a = table({"id": ["1", "1"], "v": ["a", "b"]}, {"f": "v"})
    b = table({"id": ["1"], "v": ["a"]}, {"f": "v"})

    result = compare([a, b], ["f"], {}, sample_limit=10).fields[0]

    assert result.conflicting == 1
    assert result.conflicts[0].values[0] == "a | b"
