"""Regenerate the base-library schema tables in docs/libraries.md from the standards.

The tables sit between two markers in the page; the prose around them is
written by hand. ``tests/libraries/test_standards.py`` fails when the page and
:mod:`govdata.libraries.standards` disagree.

    .venv/bin/python scripts/gen_library_docs.py          # rewrite the tables
    .venv/bin/python scripts/gen_library_docs.py --check  # exit 1 when out of date
"""

from __future__ import annotations

import sys
from pathlib import Path

from govdata.aggregation.columns import (
    CHECK_LABELS,
    DEFAULT_MAX_LENGTH,
    ColumnSpec,
    ColumnType,
)
from govdata.generated_docs import END, begin_marker, replace_section, run
from govdata.libraries.standards import STANDARDS, THEME_EXAMPLES, LibraryStandard

PAGE = Path(__file__).resolve().parent.parent / "docs" / "libraries.md"
BEGIN = begin_marker("scripts/gen_library_docs.py")


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _type(column: ColumnSpec) -> str:
    if column.type is ColumnType.DECIMAL:
        return f"decimal({column.precision},{column.scale})"
    if column.type is ColumnType.STRING and column.max_length != DEFAULT_MAX_LENGTH:
        return f"string(≤{column.max_length:,})"
    return column.type.value


def _check(column: ColumnSpec) -> str:
    if column.check is None:
        return ""
    return f"`{column.check.value}` {CHECK_LABELS[column.check]}"


def render_standard(standard: LibraryStandard) -> str:
    key = "、".join(f"`{name}`" for name in standard.key)
    lines = [
        f"### {standard.name} (`{standard.code}`)",
        "",
        standard.description,
        "",
        f"Record key: {key}.",
        "",
        "| column | 中文名 | type | required | check | notes |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for column in standard.columns:
        cells = [
            f"`{column.name}`",
            column.label,
            _type(column),
            "yes" if column.required else "",
            _check(column),
            standard.notes.get(column.name, ""),
        ]
        lines.append("| " + " | ".join(_cell(cell) for cell in cells) + " |")
    if standard.references:
        lines += ["", "Standards drawn on: " + "；".join(standard.references) + "。"]
    return "\n".join(lines)


def render() -> str:
    """The generated part of the page, markers included."""
    parts = [BEGIN, "", "## The base-library standards", ""]
    for standard in STANDARDS.values():
        parts += [render_standard(standard), ""]
    parts += [
        "## Theme examples",
        "",
        "| code | 名称 | 内容 |",
        "| --- | --- | --- |",
    ]
    parts += [
        f"| `{theme.code}` | {_cell(theme.name)} | {_cell(theme.description)} |"
        for theme in THEME_EXAMPLES
    ]
    parts += ["", END]
    return "\n".join(parts)


def updated(page: str) -> str:
    """``page`` with its generated section replaced by :func:`render`."""
    return replace_section(page, BEGIN, render())


def main(argv: list[str] | None = None) -> int:
    return run(
        argv,
        description=__doc__.splitlines()[0] if __doc__ else "",
        page=PAGE,
        script="scripts/gen_library_docs.py",
        updated=updated,
    )


if __name__ == "__main__":
    sys.exit(main())
