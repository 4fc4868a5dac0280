"""Column masks give exactly the per-value masks, on every path and slice."""

from __future__ import annotations

import pyarrow as pa
import pytest
from hypothesis import given
from hypothesis import strategies as st

from govdata.masking.columns import (
    FEW_VALUES,
    map_unique,
    mask_email_column,
    mask_middle_column,
    mask_name_column,
    suppressed_column,
)
from govdata.masking.partial import mask_email, mask_middle, mask_name
from tests.masking.factories import chinese_names, id_numbers, mobiles

ascii_values = st.lists(st.one_of(st.none(), st.text("0123456789X", max_size=20)), max_size=40)
any_values = st.lists(st.one_of(st.none(), st.text(max_size=12)), max_size=40)
mask_chars = st.sampled_from(["*", "#", "＊", "●"])


def expected_middle(
    values: list[str | None], prefix: int, suffix: int, char: str
) -> list[str | None]:
    return [None if v is None else mask_middle(v, prefix, suffix, char) for v in values]


@given(ascii_values, st.integers(0, 8), st.integers(0, 8), mask_chars)
def test_position_masks_of_ascii_columns_equal_the_value_masks(
    values: list[str | None], prefix: int, suffix: int, char: str
) -> None:
    masked = mask_middle_column(pa.array(values, pa.string()), prefix, suffix, char)
    assert masked.to_pylist() == expected_middle(values, prefix, suffix, char)


@given(any_values, st.integers(0, 5), st.integers(0, 5), mask_chars)
def test_position_masks_of_any_text_equal_the_value_masks(
    values: list[str | None], prefix: int, suffix: int, char: str
) -> None:
    masked = mask_middle_column(pa.array(values, pa.string()), prefix, suffix, char)
    assert masked.to_pylist() == expected_middle(values, prefix, suffix, char)


@given(st.lists(id_numbers(), min_size=1, max_size=30), st.integers(0, 10), st.integers(0, 10))
def test_a_sliced_column_of_equal_widths_is_masked_like_its_values(
    numbers: list[str], start: int, length: int
) -> None:
    sliced = pa.array(numbers).slice(start, length)
    masked = mask_middle_column(sliced, 6, 4)
    assert masked.to_pylist() == expected_middle(sliced.to_pylist(), 6, 4, "*")


@given(st.lists(st.one_of(st.none(), mobiles()), max_size=30), st.integers(0, 9))
def test_a_sliced_column_with_nulls_is_masked_like_its_values(
    numbers: list[str | None], start: int
) -> None:
    sliced = pa.array(numbers, pa.string()).slice(start)
    masked = mask_middle_column(sliced, 3, 4)
    assert masked.to_pylist() == expected_middle(sliced.to_pylist(), 3, 4, "*")
    assert masked.null_count == sliced.null_count


def test_hidden_bytes_do_not_survive_in_the_result_buffers() -> None:
    masked = mask_middle_column(pa.array(["13812345678", "13987654321"]), 3, 4)
    data = masked.buffers()[2].to_pybytes()
    assert b"1234" not in data
    assert b"8765" not in data


def test_a_column_of_many_widths_falls_back_to_compute_kernels() -> None:
    values: list[str | None] = ["1" * width for width in range(100)]
    masked = mask_middle_column(pa.array(values), 2, 2)
    assert masked.to_pylist() == expected_middle(values, 2, 2, "*")


def test_an_empty_column_stays_empty() -> None:
    assert mask_middle_column(pa.array([], pa.string()), 3, 4).to_pylist() == []


def test_a_numeric_column_is_masked_as_text() -> None:
    masked = mask_middle_column(pa.array([13812345678, None]), 3, 4)
    assert masked.to_pylist() == ["138****5678", None]


@given(
    st.lists(st.one_of(st.none(), chinese_names(), st.text(max_size=5)), max_size=30), mask_chars
)
def test_name_masks_of_a_column_equal_the_value_masks(values: list[str | None], char: str) -> None:
    masked = mask_name_column(pa.array(values, pa.string()), char)
    assert masked.to_pylist() == [None if v is None else mask_name(v, char) for v in values]


@given(st.lists(st.one_of(st.none(), st.emails(), st.text("ab@.c中", max_size=8)), max_size=30))
def test_email_masks_of_a_column_equal_the_value_masks(values: list[str | None]) -> None:
    masked = mask_email_column(pa.array(values, pa.string()))
    assert masked.to_pylist() == [None if v is None else mask_email(v) for v in values]


def test_map_unique_calls_the_function_once_per_distinct_value() -> None:
    calls: list[str] = []

    def upper(value: str) -> str:
        calls.append(value)
        return value.upper()

    result = map_unique(pa.array(["a", "b", "a", None, "a"]), upper)
    assert result.to_pylist() == ["A", "B", "A", None, "A"]
    assert sorted(calls) == ["a", "b"]


@pytest.mark.parametrize("replacement", [None, "***"])
def test_a_suppressed_column_holds_only_the_replacement(replacement: str | None) -> None:
    assert suppressed_column(3, replacement).to_pylist() == [replacement] * 3


@given(st.lists(st.one_of(st.none(), st.text(max_size=8)), min_size=1, max_size=FEW_VALUES))
def test_a_few_values_are_mapped_as_a_long_column_maps_them(values: list[str | None]) -> None:
    def marked(text: str) -> str:
        return f"<{text[::-1]}>"

    padded = values * (FEW_VALUES // len(values) + 1)  # longer than FEW_VALUES: the kernels
    few = map_unique(pa.chunked_array([pa.array(values, pa.string())]), marked)
    many = map_unique(pa.array(padded, pa.string()), marked)

    assert few.to_pylist() == many.to_pylist()[: len(values)]
    assert few.to_pylist() == [None if v is None else marked(v) for v in values]
