"""The two kinds of profile: people (人口) and legal persons (法人).

A kind names its key column (exact linking), its attributes, how a record is
prepared for probabilistic linking (derived columns in DuckDB SQL), and the
Splink comparisons and blocking rules. Chinese names are compared character by
character: DuckDB's string distances count UTF-8 bytes, so one changed
character of a name would otherwise cost up to three edits.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import pyarrow as pa
import splink.comparison_level_library as cll
import splink.comparison_library as cl
from splink import block_on

from govdata.profiles.keys import valid_credit_codes, valid_id_numbers

# Names longer than this many characters are compared on their first characters only.
NAME_POSITIONS = 10


class Kind(StrEnum):
    PERSON = "person"
    ENTERPRISE = "enterprise"


def _differing_characters(column: str) -> str:
    """SQL: how many positions hold different characters (for names of equal length)."""
    terms = " + ".join(
        f'CASE WHEN substr("{column}_l", {i}, 1) <> substr("{column}_r", {i}, 1) THEN 1 ELSE 0 END'
        for i in range(1, NAME_POSITIONS + 1)
    )
    return f"({terms})"


def chinese_name_comparison(column: str) -> cl.CustomComparison:
    """Exact; one character different (a typo or a homophone); same characters but one
    more or one fewer; else."""
    same_length = f'length("{column}_l") = length("{column}_r")'
    one_apart = (
        f'abs(length("{column}_l") - length("{column}_r")) = 1 AND '
        f'(starts_with("{column}_l", "{column}_r") OR starts_with("{column}_r", "{column}_l"))'
    )
    return cl.CustomComparison(
        output_column_name=column,
        comparison_levels=[
            cll.NullLevel(column),
            cll.ExactMatchLevel(column),
            cll.CustomLevel(
                f"{same_length} AND {_differing_characters(column)} = 1",
                label_for_charts="one character differs",
            ),
            cll.CustomLevel(one_apart, label_for_charts="one character more or fewer"),
            cll.ElseLevel(),
        ],
    )


def _exact(column: str) -> cl.ExactMatch:
    return cl.ExactMatch(column)


def _division(column: str) -> cl.CustomComparison:
    return cl.CustomComparison(
        output_column_name=column,
        comparison_levels=[
            cll.NullLevel(column),
            cll.ExactMatchLevel(column),
            cll.CustomLevel(
                f'substr("{column}_l", 1, 4) = substr("{column}_r", 1, 4)',
                label_for_charts="same prefecture",
            ),
            cll.ElseLevel(),
        ],
    )


def _address(column: str) -> cl.CustomComparison:
    return cl.CustomComparison(
        output_column_name=column,
        comparison_levels=[
            cll.NullLevel(column),
            cll.ExactMatchLevel(column),
            cll.JaroWinklerLevel(column, 0.9),
            cll.ElseLevel(),
        ],
    )


def _birth_date(column: str) -> cl.CustomComparison:
    return cl.CustomComparison(
        output_column_name=column,
        comparison_levels=[
            cll.NullLevel(column),
            cll.ExactMatchLevel(column),
            cll.DamerauLevenshteinLevel(column, 1),
            cll.ElseLevel(),
        ],
    )


@dataclass(frozen=True)
class KindSpec:
    kind: Kind
    key_column: str
    key_label: str  # in Chinese, for messages
    attributes: tuple[str, ...]  # the key column first
    validate: Callable[[pa.Array | pa.ChunkedArray], pa.Array]
    prepare_sql: str  # SELECT list over the records table (uid, attributes)
    comparisons: Callable[[], list[Any]]
    blocking_rules: Callable[[], list[Any]]
    training_rules: Callable[[], list[Any]]


def _person_comparisons() -> list[Any]:
    return [
        chinese_name_comparison("name"),
        _birth_date("birth_date"),
        _exact("sex"),
        _division("division_code"),
        _address("address"),
        _exact("phone"),
    ]


def _enterprise_comparisons() -> list[Any]:
    return [
        chinese_name_comparison("name"),
        chinese_name_comparison("legal_representative"),
        _division("division_code"),
        _address("address"),
        _exact("phone"),
    ]


PERSON_ATTRIBUTES = (
    "id_number", "name", "sex", "birth_date", "division_code", "address", "phone",
)  # fmt: skip
ENTERPRISE_ATTRIBUTES = (
    "credit_code", "name", "legal_representative", "division_code", "address", "phone",
)  # fmt: skip

PERSON_ATTRIBUTES = (
    "id_number", "name", "sex", "birth_date", "division_code", "address", "phone",
)  # fmt: skip
ENTERPRISE_ATTRIBUTES = (
    "credit_code", "name", "legal_representative", "division_code", "address", "phone",
)  # fmt: skip

PERSON = KindSpec(
    kind=Kind.PERSON,
    key_column="id_number",
    key_label="公民身份号码",
    attributes=PERSON_ATTRIBUTES,
    validate=valid_id_numbers,
    prepare_sql=(
        "uid AS unique_id, name, substr(name, 1, 1) AS surname, birth_date, "
        "substr(birth_date, 1, 4) AS birth_year, sex, division_code, address, phone"
    ),
    comparisons=_person_comparisons,
    blocking_rules=lambda: [
        block_on("birth_date", "surname"),
        block_on("phone"),
        block_on("name", "birth_year"),
    ],
    training_rules=lambda: [block_on("birth_date", "surname"), block_on("phone")],
)

ENTERPRISE = KindSpec(
    kind=Kind.ENTERPRISE,
    key_column="credit_code",
    key_label="统一社会信用代码",
    attributes=ENTERPRISE_ATTRIBUTES,
    validate=valid_credit_codes,
    prepare_sql=(
        "uid AS unique_id, name, substr(name, 1, 4) AS name_start, legal_representative, "
        "division_code, address, phone"
    ),
    comparisons=_enterprise_comparisons,
    blocking_rules=lambda: [
        block_on("name"),
        block_on("legal_representative", "division_code"),
        block_on("phone"),
        block_on("name_start", "division_code"),
    ],
    training_rules=lambda: [block_on("name"), block_on("legal_representative")],
)

KINDS = {Kind.PERSON: PERSON, Kind.ENTERPRISE: ENTERPRISE}
