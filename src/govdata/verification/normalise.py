"""Normalisation of values before they are compared, as DuckDB SQL expressions.

Two departments write the same fact differently: surrounding blanks, full-width
letters and digits (全角), runs of spaces, dates as 2024/1/2, 2024年1月2日 or
20240102. Every value is cast to text, full-width characters (U+FF01–U+FF5E and
the ideographic space) become their half-width forms, it is trimmed and its
runs of white space collapse to one space; text that reads as a date becomes
ISO 8601 (``YYYY-MM-DD``); an empty result is missing. Date and timestamp
columns are written in ISO form by the cast itself. Keys are also upper-cased
(an identity number's check character ``x`` is ``X``).
"""

from __future__ import annotations

import re

FULL_WIDTH = "".join(chr(code) for code in range(0xFF01, 0xFF5F)) + "\u3000"
HALF_WIDTH = "".join(chr(code) for code in range(0x21, 0x7F)) + " "

_DATE = r"^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?$"
_COMPACT_DATE = r"^(\d{4})(0[1-9]|1[0-2])(0[1-9]|[12]\d|3[01])$"


def literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _date_part(expression: str, pattern: str, group: int) -> str:
    return f"lpad(regexp_extract({expression}, {literal(pattern)}, {group}), 2, '0')"


def normalised(column: str) -> str:
    """The SQL for the normalised text of ``column`` (a quoted name or expression)."""
    text = (
        f"nullif(trim(regexp_replace(translate(CAST({column} AS VARCHAR), "
        f"{literal(FULL_WIDTH)}, {literal(HALF_WIDTH)}), '\\s+', ' ', 'g')), '')"
    )
    dated = " || '-' || ".join(
        [f"regexp_extract(v, {literal(_DATE)}, 1)"]
        + [_date_part("v", _DATE, group) for group in (2, 3)]
    )
    compact = " || '-' || ".join(
        [f"regexp_extract(v, {literal(_COMPACT_DATE)}, 1)"]
        + [_date_part("v", _COMPACT_DATE, group) for group in (2, 3)]
    )
    # One text value, then the date forms; a lambda over a one-element list
    # names it once instead of repeating the whole expression.
    return (
        f"(list_transform([{text}], lambda v: CASE "
        f"WHEN regexp_matches(v, {literal(_DATE)}) THEN {dated} "
        f"WHEN regexp_matches(v, {literal(_COMPACT_DATE)}) THEN {compact} "
        f"ELSE v END))[1]"
    )


def normalised_key(column: str) -> str:
    return f"upper({normalised(column)})"


def normalise_text(value: str | None) -> str | None:
    """The same normalisation in Python (for tests and single values)."""
    if value is None:
        return None
    text = re.sub(r"\s+", " ", value.translate(str.maketrans(FULL_WIDTH, HALF_WIDTH)).strip())
    if not text:
        return None
    for pattern in (_DATE, _COMPACT_DATE):
        found = re.match(pattern, text)
        if found:
            year, month, day = found.groups()
            return f"{year}-{int(month):02d}-{int(day):02d}"
    return text
