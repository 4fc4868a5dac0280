"""The base-library standards are consistent, and docs/libraries.md shows them as they are."""

from __future__ import annotations

import re

import pytest
from scripts.gen_library_docs import PAGE, render, updated

from govdata.aggregation.columns import ColumnSpec
from govdata.errors import NotFound
from govdata.libraries.standards import STANDARDS, THEME_EXAMPLES, LibraryStandard, get_standard

ALL = pytest.mark.parametrize("standard", list(STANDARDS.values()), ids=list(STANDARDS))


def test_the_five_base_libraries_of_the_national_guide_are_defined() -> None:
    assert set(STANDARDS) == {
        "population",
        "legal_entity",
        "natural_resources",
        "economy",
        "e_licence",
    }
    assert all(code == standard.code for code, standard in STANDARDS.items())


@ALL
def test_every_key_column_exists_and_is_required(standard: LibraryStandard) -> None:
    assert standard.key
    for name in standard.key:
        assert standard.column(name).required, name


@ALL
def test_column_names_are_valid_and_unique(standard: LibraryStandard) -> None:
    names = [column.name for column in standard.columns]
    assert len(names) == len(set(names))
    for column in standard.columns:
        assert ColumnSpec.model_validate(column.model_dump()) == column
        assert column.label


@ALL
def test_labels_are_unique_within_a_library(standard: LibraryStandard) -> None:
    labels = [column.label for column in standard.columns]
    assert len(labels) == len(set(labels))


@ALL
def test_notes_describe_columns_the_library_has(standard: LibraryStandard) -> None:
    names = {column.name for column in standard.columns}
    assert set(standard.notes) <= names


@ALL
def test_every_library_has_an_updated_at_timestamp_to_prefer_the_latest_row(
    standard: LibraryStandard,
) -> None:
    assert standard.column("updated_at").type == "timestamp"


def test_the_population_library_checks_what_the_generated_population_file_holds() -> None:
    population = get_standard("population")
    assert population.key == ("id_number",)
    assert population.column("id_number").check == "id_number"
    assert population.column("sex").check == "sex"
    assert population.column("division_code").check == "division_code"
    assert population.column("phone").check == "phone"
    assert population.column("birth_date").type == "date"


def test_an_unknown_standard_is_not_found_with_a_stable_code() -> None:
    with pytest.raises(NotFound) as raised:
        get_standard("weather")
    assert raised.value.error_code == "library_standard_not_found"
    assert raised.value.http_status == 404


def test_theme_examples_have_unique_codes_a_library_may_take() -> None:
    codes = [theme.code for theme in THEME_EXAMPLES]
    assert len(codes) == len(set(codes))
    assert not set(codes) & set(STANDARDS)
    for theme in THEME_EXAMPLES:
        assert re.fullmatch(r"[a-z][a-z0-9_]{1,40}", theme.code)
        assert theme.name.endswith("主题库")
        assert theme.description


def test_the_docs_page_is_what_the_generator_writes() -> None:
    page = PAGE.read_text(encoding="utf-8")
    assert page == updated(page), "run: .venv/bin/python scripts/gen_library_docs.py"


def test_the_docs_page_lists_every_column_of_every_library() -> None:
    generated = render()
    for standard in STANDARDS.values():
        assert f"(`{standard.code}`)" in generated
        for column in standard.columns:
            assert f"| `{column.name}` | {column.label} |" in generated
