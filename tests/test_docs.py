"""The README stays true to the code: commands and settings it names exist."""

from __future__ import annotations

import re
from pathlib import Path

import typer

from govdata.cli import app
from govdata.settings import Settings

README = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")


def cli_commands() -> set[str]:
    group = typer.main.get_group(app)
    names: set[str] = set()
    for name, command in group.commands.items():
        names.add(name)
        for sub in getattr(command, "commands", {}):
            names.add(f"{name} {sub}")
    return names


def test_every_command_the_readme_lists_exists() -> None:
    listed = set(
        re.findall(r"^govdata ([a-z]+(?: [a-z][a-z-]*)?)\s{2,}", README, flags=re.MULTILINE)
    )
    assert listed, "the README lists no commands"
    assert listed <= cli_commands()


def test_every_top_level_command_is_in_the_readme() -> None:
    top = {name for name in cli_commands() if " " not in name}
    mentioned = {name for name in top if f"govdata {name}" in README}
    assert mentioned == top


def test_every_setting_the_readme_names_exists() -> None:
    named = set(re.findall(r"`GOVDATA_([A-Z_]+)`", README))
    assert named
    assert {name.lower() for name in named} <= set(Settings.model_fields)


def test_the_readme_quick_start_is_two_make_targets_that_exist() -> None:
    makefile = (Path(__file__).parent.parent / "Makefile").read_text(encoding="utf-8")
    for target in ("run", "test"):
        assert f"make {target}" in README
        assert re.search(rf"^{target}:", makefile, flags=re.MULTILINE)
