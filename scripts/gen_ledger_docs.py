"""Regenerate the event → ledger entry tables in docs/ledger.md from the mapping.

The tables sit between two markers in the page; the prose around them is written
by hand. ``tests/ledger/test_recording.py`` fails when the page and
:mod:`govdata.ledger.recording` disagree.

    .venv/bin/python scripts/gen_ledger_docs.py          # rewrite the tables
    .venv/bin/python scripts/gen_ledger_docs.py --check  # exit 1 when out of date
"""

from __future__ import annotations

import sys
from pathlib import Path

from govdata.generated_docs import END, begin_marker, replace_section, run
from govdata.ledger.recording import LEDGERED, NOT_LEDGERED, RESERVED_KINDS

PAGE = Path(__file__).resolve().parent.parent / "docs" / "ledger.md"
BEGIN = begin_marker("scripts/gen_ledger_docs.py")


def render() -> str:
    """The generated part of the page, markers included."""
    lines = [
        BEGIN,
        "",
        "| event | entry kind | what | further subjects (event fields) |",
        "| --- | --- | --- | --- |",
    ]
    for name, rule in sorted(LEDGERED.items()):
        links = ", ".join(f"`{link}`" for link in rule.links) or "—"
        lines.append(f"| `{name}` | `{rule.kind}` | {rule.what} | {links} |")
    lines += ["", "Not ledgered, and why:", "", "| event | reason |", "| --- | --- |"]
    lines += [f"| `{name}` | {reason} |" for name, reason in sorted(NOT_LEDGERED.items())]
    lines += ["", "Kinds no event produces yet:", "", "| entry kind | why |", "| --- | --- |"]
    lines += [f"| `{kind}` | {why} |" for kind, why in sorted(RESERVED_KINDS.items())]
    lines += ["", END]
    return "\n".join(lines)


def updated(page: str) -> str:
    """``page`` with its generated section replaced by :func:`render`."""
    return replace_section(page, BEGIN, render())


def main(argv: list[str] | None = None) -> int:
    return run(
        argv,
        description=__doc__.splitlines()[0] if __doc__ else "",
        page=PAGE,
        script="scripts/gen_ledger_docs.py",
        updated=updated,
    )


if __name__ == "__main__":
    sys.exit(main())
