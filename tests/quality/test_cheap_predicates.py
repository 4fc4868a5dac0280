"""The cheaper SQL shapes of built-in rules give the verdicts of the plain forms
they replace: the whole phone pattern (DuckDB's RE2 and Python's ``re``), patterns
as GLOBs, ``trim`` for blank text, and decimal length bounds."""

from __future__ import annotations

import re

import duckdb
import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from govdata.quality.compile import (
    MOBILE_PATTERN,
    PHONE_PATTERN,
    _between,
    _whole,
    glob_for,
    literal,
    not_blank_sql,
    pattern_sql,
    phone_sql,
)


def verdicts(values: list[str | None], expressions: list[str]) -> list[tuple[object, ...]]:
    connection = duckdb.connect(":memory:")
    try:
        connection.register(
            "t", pa.table({"n": pa.array(range(len(values)), pa.int64()), "v": values})
        )
        select = ", ".join(expressions)
        return connection.execute(f"SELECT {select} FROM t ORDER BY n").fetchall()  # noqa: S608 (test)
    finally:
        connection.close()


PHONE_CHARS = "0123456789+- x１eE._\t "


@st.composite
def near_phones(draw: st.DrawFn) -> str:
    """Phone-like text: real shapes, then characters changed, added or removed."""
    shape = draw(
        st.sampled_from(
            ["1{a}{d9}", "0{d2}-{d8}", "0{d3}{d7}", "+86 1{a}{d9}", "86-0{d2}-{d8}-{d3}", "{any}"]
        )
    )
    digits = st.text("0123456789", min_size=9, max_size=9)
    text = shape.format(
        a=draw(st.sampled_from("0123456789")),
        d9=draw(digits),
        d2=draw(digits)[:2],
        d3=draw(digits)[:3],
        d7=draw(digits)[:7],
        d8=draw(digits)[:8],
        any=draw(st.text(PHONE_CHARS, max_size=16)),
    )
    for _ in range(draw(st.integers(0, 2))):
        position = draw(st.integers(0, len(text)))
        action = draw(st.sampled_from(["insert", "replace", "delete"]))
        char = draw(st.sampled_from(PHONE_CHARS))
        if action == "insert":
            text = text[:position] + char + text[position:]
        elif position < len(text):
            text = text[:position] + (char if action == "replace" else "") + text[position + 1 :]
    return text


@settings(max_examples=80, deadline=None)
@given(st.lists(near_phones(), min_size=1, max_size=60))
def test_the_phone_check_is_the_whole_pattern(values: list[str]) -> None:
    found = verdicts(
        values, [phone_sql('"v"'), f'regexp_full_match("v", {literal(PHONE_PATTERN)})']
    )
    python = [re.fullmatch(PHONE_PATTERN, value) is not None for value in values]
    assert [row[0] for row in found] == [row[1] for row in found] == python


def test_the_phone_check_on_known_numbers() -> None:
    values = ["13800138000", "12345678901", "138001380", "010-12345678", "+86 13912345678", ""]
    assert [row[0] for row in verdicts(values, [phone_sql('"v"')])] == [
        True,
        False,
        False,
        True,
        True,
        False,
    ]


PATTERN_ATOMS = ["1", "a", "Z", "[0-9]", "[3-9]", "[A-Z]", "[a-fx]", "[0-9A-Fa-f]", "[b-b]"]
TEXT_CHARS = "0123456789abcfxyzABFZ-_[]*?.\u00e9\uff11\u4e00 \n"


@st.composite
def simple_patterns(draw: st.DrawFn) -> str:
    """Patterns that :func:`glob_for` turns into a GLOB."""
    atoms = draw(st.lists(st.sampled_from(PATTERN_ATOMS), min_size=1, max_size=4))
    return "".join(a + draw(st.sampled_from(["", "", "{1}", "{2}", "{3}"])) for a in atoms)


@st.composite
def texts_near(draw: st.DrawFn, pattern: str) -> str:
    """Texts the pattern matches (a character per atom), then changed a little."""
    text = ""
    for atom in re.findall(r"(\[[^\]]+\]|.)(?:\{(\d+)\})?", pattern):
        members, count = atom[0], int(atom[1] or 1)
        choices = [c for c in map(chr, range(32, 127)) if re.fullmatch(members, c)]
        text += "".join(draw(st.sampled_from(choices)) for _ in range(count))
    for _ in range(draw(st.integers(0, 2))):
        position = draw(st.integers(0, len(text)))
        char = draw(st.sampled_from(TEXT_CHARS))
        action = draw(st.sampled_from(["insert", "replace", "delete"]))
        if action == "insert":
            text = text[:position] + char + text[position:]
        elif position < len(text):
            text = text[:position] + (char if action == "replace" else "") + text[position + 1 :]
    return text


@settings(max_examples=80, deadline=None)
@given(st.data())
def test_a_simple_pattern_as_a_glob_is_the_regular_expression(data: st.DataObject) -> None:
    pattern = data.draw(simple_patterns())
    assert glob_for(pattern) is not None
    values = data.draw(
        st.lists(texts_near(pattern) | st.text(TEXT_CHARS, max_size=8), min_size=1, max_size=30)
    )
    found = verdicts(
        [*values, None],
        [pattern_sql('"v"', pattern), f'regexp_full_match("v", {literal(pattern)})'],
    )
    python = [re.fullmatch(pattern, value) is not None for value in values]
    assert [row[0] for row in found] == [row[1] for row in found] == [*python, None]


def test_only_fixed_sequences_of_ascii_classes_become_globs() -> None:
    assert glob_for(MOBILE_PATTERN) == "1[3-9]" + "[0-9]" * 9
    assert glob_for("[A-Z]{2}x") == "[A-Z][A-Z]x"
    for pattern in ["", "a.b", "a+", "a*", "a?", "[^0-9]", "[0-9]{1,3}", "a|b", "(ab)", "\\d"]:
        assert glob_for(pattern) is None, pattern
    for pattern in ["[9-0]", "[0-z]", "[a-Z]", "[a-c-e]", "x{0}", "[-a]", "é", "[0-9]{100}"]:
        assert glob_for(pattern) is None, pattern
    assert pattern_sql('"v"', "a+") == "regexp_full_match(\"v\", 'a+')"


BLANK_CHARS = [" ", "\t", "\n", "\u3000", "\u00a0", "!", "~", "\x7f", "\x20", "a", "一", "\u9fff"]
BLANK_CHARS += ["\ua000", "\u4dff", "é", "😀", "\x00", "\x1f", "0"]


@settings(max_examples=80, deadline=None)
@given(st.lists(st.text(st.sampled_from(BLANK_CHARS) | st.characters(), max_size=4), max_size=40))
def test_the_blank_check_agrees_with_trim(values: list[str]) -> None:
    found = verdicts([*values, None], [not_blank_sql('"v"'), "trim(\"v\") <> ''"])
    assert [row[0] for row in found] == [row[1] for row in found]


@given(
    st.lists(st.text(max_size=25), max_size=30),
    st.sampled_from([0, 1, 2, 2.0, 20, 20.0, 2.5, "3", 1e20]),
    st.sampled_from([None, 2, 20.0, 19.5, "20"]),
)
@settings(max_examples=40, deadline=None)
def test_whole_length_bounds_keep_the_verdicts(
    values: list[str], low: float | str, high: float | str | None
) -> None:
    old = _between('length("v")', low, high, numeric=True)
    new = _between('length("v")', _whole(low), _whole(high), numeric=True)
    found = verdicts(values, [old, new])
    assert [row[0] for row in found] == [row[1] for row in found]
