"""Specification of the ``govdata`` command line.

Every test runs the real Typer application in-process against its own data
directory and SQLite file, so commands see exactly what an operator would.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
import typer
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from typer.testing import Result

from govdata.accounts.models import RoleAssignment, User
from govdata.cli import app
from govdata.ledger import latest_checkpoint, tree_size
from govdata.migrate import head_revision
from govdata.nodes.keys import KEY_FILE
from govdata.orgs.models import Organisation
from govdata.settings import Settings
from tests.factories import STRONG_PASSWORD

Invoke = Callable[..., Result]

TOP_LEVEL_COMMANDS = (
    "serve",
    "db",
    "demo",
    "user",
    "org",
    "node",
    "calendar",
    "catalog",
    "aggregation",
    "ledger",
    "keys",
    "quality",
    "profiles",
    "sharing",
    "settings",
    "actions",
)


def command_paths() -> list[tuple[str, ...]]:
    """Every command and command group below the root, as argument tuples."""
    paths: list[tuple[str, ...]] = []

    def walk(command: object, prefix: tuple[str, ...]) -> None:
        # Typer vendors its own click; groups are recognised by their ``commands``.
        subcommands: dict[str, object] = getattr(command, "commands", None) or {}
        for name, sub in sorted(subcommands.items()):
            paths.append((*prefix, name))
            walk(sub, (*prefix, name))

    walk(typer.main.get_command(app), ())
    return paths


@pytest.fixture(autouse=True)
def _logging_restored(restore_logging: None) -> None:
    """Every command test restores the process's logging afterwards."""


@pytest.fixture
def with_demo(govdata: Invoke) -> None:
    result = govdata("demo")
    assert result.exit_code == 0, result.output


# --- help ---------------------------------------------------------------------------


def test_help_lists_every_top_level_command(govdata: Invoke) -> None:
    result = govdata("--help")

    assert result.exit_code == 0
    for command in TOP_LEVEL_COMMANDS:
        assert command in result.output, command


def test_running_without_arguments_shows_help(govdata: Invoke) -> None:
    result = govdata()

    assert "serve" in result.output
    assert "demo" in result.output


def test_every_command_is_known_to_the_help_walker() -> None:
    top_level = {path[0] for path in command_paths()}

    assert top_level == set(TOP_LEVEL_COMMANDS)
    assert ("db", "upgrade") in command_paths()
    assert ("user", "create") in command_paths()


@pytest.mark.parametrize("path", command_paths(), ids=" ".join)
def test_every_command_has_help(govdata: Invoke, path: tuple[str, ...]) -> None:
    result = govdata(*path, "--help")

    assert result.exit_code == 0, result.output
    assert "Usage" in result.output


# --- db -----------------------------------------------------------------------------


def test_db_upgrade_creates_the_database_and_prints_the_revision(
    govdata: Invoke,
    database_file: Path,
) -> None:
    assert not database_file.exists()

    result = govdata("db", "upgrade")

    assert result.exit_code == 0, result.output
    assert database_file.is_file()
    assert str(head_revision()) in result.output


def test_db_upgrade_creates_the_node_key(govdata: Invoke, tmp_path: Path) -> None:
    govdata("db", "upgrade")

    assert (Settings(data_dir=tmp_path).keys_dir / KEY_FILE).is_file()


def test_db_upgrade_twice_succeeds(govdata: Invoke) -> None:
    govdata("db", "upgrade")

    result = govdata("db", "upgrade")

    assert result.exit_code == 0, result.output
    assert str(head_revision()) in result.output


def test_db_current_reports_current_and_head(govdata: Invoke) -> None:
    govdata("db", "upgrade")

    result = govdata("db", "current")

    assert result.exit_code == 0, result.output
    assert f"current={head_revision()} head={head_revision()}" in result.output


def test_serve_refuses_an_unmigrated_database(govdata: Invoke) -> None:
    result = govdata("serve")

    assert result.exit_code == 1
    assert "govdata db upgrade" in result.output


# --- demo ---------------------------------------------------------------------------


def test_demo_loads_the_116_demo_regions(govdata: Invoke, cli_db: Session) -> None:
    result = govdata("demo")

    assert result.exit_code == 0, result.output
    assert "行政区域 116 个" in result.output
    regions = cli_db.scalar(
        select(func.count()).select_from(Organisation).where(Organisation.kind == "region")
    )
    assert regions == 116


def test_demo_lists_the_demo_accounts(govdata: Invoke) -> None:
    result = govdata("demo")

    for username in ("admin", "reviewer", "provider", "consumer", "auditor"):
        assert username in result.output


def test_demo_ends_with_a_signed_checkpoint_of_the_ledger(govdata: Invoke, cli_db: Session) -> None:
    result = govdata("demo")

    assert result.exit_code == 0, result.output
    assert "存证账本：已签发检查点" in result.output
    checkpoint = latest_checkpoint(cli_db)
    assert checkpoint is not None
    assert checkpoint.tree_size == tree_size(cli_db) > 0
    assert checkpoint.problem() is None


def test_demo_is_idempotent(govdata: Invoke, cli_db: Session) -> None:
    govdata("demo")

    result = govdata("demo")

    assert result.exit_code == 0, result.output
    assert "新增区划 0 条" in result.output
    assert "行政区域 0 个" in result.output
    assert "部门 0 个" in result.output
    assert "用户 0 个" in result.output
    regions = cli_db.scalar(
        select(func.count()).select_from(Organisation).where(Organisation.kind == "region")
    )
    assert regions == 116


# --- user ---------------------------------------------------------------------------


@pytest.mark.usefixtures("with_demo")
def test_user_create_creates_an_account_with_the_role(govdata: Invoke, cli_db: Session) -> None:
    result = govdata(
        "user", "create", "cli.auditor", "--org", "150000", "--role", "auditor",
        "--password", STRONG_PASSWORD,
    )  # fmt: skip

    assert result.exit_code == 0, result.output
    assert "cli.auditor" in result.output
    user = cli_db.scalar(select(User).where(User.username == "cli.auditor"))
    assert user is not None
    org = cli_db.get(Organisation, user.organisation_id)
    assert org is not None
    assert org.region_code == "150000"
    roles = cli_db.scalars(select(RoleAssignment.role).where(RoleAssignment.user_id == user.id))
    assert list(roles) == ["auditor"]


@pytest.mark.usefixtures("with_demo")
def test_user_create_refuses_a_weak_password(govdata: Invoke, cli_db: Session) -> None:
    result = govdata(
        "user", "create", "cli.weak", "--org", "150000", "--role", "auditor",
        "--password", "weak",
    )  # fmt: skip

    assert result.exit_code == 1
    assert "weak_password" in result.output
    assert cli_db.scalar(select(User).where(User.username == "cli.weak")) is None


@pytest.mark.usefixtures("with_demo")
def test_user_create_refuses_an_unknown_organisation(govdata: Invoke) -> None:
    result = govdata("user", "create", "cli.lost", "--org", "999999", "--password", STRONG_PASSWORD)

    assert result.exit_code == 1
    assert "not_found" in result.output


# --- org, node, settings, actions ---------------------------------------------------


@pytest.mark.usefixtures("with_demo")
def test_org_tree_prints_the_demo_regions(govdata: Invoke) -> None:
    result = govdata("org", "tree")

    assert result.exit_code == 0, result.output
    assert "内蒙古自治区" in result.output
    assert "呼和浩特市" in result.output


def test_node_show_prints_the_node_code_and_key_algorithm(govdata: Invoke) -> None:
    result = govdata("node", "show")

    assert result.exit_code == 0, result.output
    assert "code: 150000" in result.output
    assert "key_algorithm: ed25519" in result.output
    assert "-----BEGIN PUBLIC KEY-----" in result.output
    assert "PRIVATE KEY" not in result.output


def test_settings_lists_every_setting_by_environment_variable(govdata: Invoke) -> None:
    result = govdata("settings")

    assert result.exit_code == 0, result.output
    assert "GOVDATA_DATABASE_URL" in result.output
    for name in Settings.model_fields:
        assert f"GOVDATA_{name.upper()}" in result.output, name


def test_actions_lists_actions_and_permissions(govdata: Invoke) -> None:
    result = govdata("actions")

    assert result.exit_code == 0, result.output
    assert "user_create" in result.output
    assert "orgs:department:create" in result.output


def test_db_current_refuses_a_database_that_does_not_exist(
    govdata: Invoke, database_file: Path
) -> None:
    result = govdata("db", "current")

    assert result.exit_code == 1
    assert "govdata db upgrade" in result.output
    assert not database_file.exists()


def test_a_node_whose_key_file_is_gone_is_refused_without_a_traceback(
    govdata: Invoke, tmp_path: Path
) -> None:
    assert govdata("db", "upgrade").exit_code == 0
    (tmp_path / "keys" / KEY_FILE).unlink()

    result = govdata("node", "show")

    assert result.exit_code == 1
    assert "节点签名密钥文件缺失" in result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize("role", ["public", "member"])
def test_user_create_offers_only_assignable_roles(govdata: Invoke, role: str) -> None:
    result = govdata(
        "user",
        "create",
        "cli.role",
        "--org",
        "150000",
        "--role",
        role,
        "--password",
        STRONG_PASSWORD,
    )

    assert result.exit_code == 2
    assert "Invalid value" in result.output


@pytest.mark.usefixtures("with_demo")
def test_error_messages_with_brackets_are_printed_whole(govdata: Invoke) -> None:
    result = govdata("user", "create", "X", "--org", "150000", "--password", STRONG_PASSWORD)

    assert result.exit_code == 1
    assert "[a-z][a-z0-9_.\\-]{2,63}" in result.output


def test_a_division_edition_in_gb18030_is_imported_and_regions_added_top_down(
    govdata: Invoke, tmp_path: Path
) -> None:
    table = tmp_path / "hebei.csv"
    table.write_bytes(
        "code,name,level,parent_code\n"
        "100000,中华人民共和国,nation,\n"
        "130000,河北省,province,100000\n"
        "130100,石家庄市,prefecture,130000\n".encode("gb18030")
    )

    imported = govdata("org", "import-divisions", str(table), "--edition", "hebei-test")
    assert imported.exit_code == 0, imported.output
    assert "新增 3" in imported.output

    refused = govdata("org", "add-region", "130100")
    assert refused.exit_code == 1
    assert "parent_region_missing" in refused.output
    assert govdata("org", "add-region", "130000").exit_code == 0
    assert govdata("org", "add-region", "130100").exit_code == 0
    assert "石家庄市" in govdata("org", "tree").output


def test_importing_a_missing_division_file_fails_cleanly(govdata: Invoke, tmp_path: Path) -> None:
    result = govdata("org", "import-divisions", str(tmp_path / "nope.csv"), "--edition", "x")

    assert result.exit_code == 1
    assert "无法读取" in result.output


def test_calendar_deadline_counts_working_days_on_the_statutory_calendar(
    govdata: Invoke,
) -> None:
    result = govdata("calendar", "deadline", "2026-09-15", "--today", "2026-10-12")

    assert result.exit_code == 0, result.output
    assert "2026-10-19" in result.output
    assert "即将到期" in result.output


def test_calendar_refuses_a_year_it_does_not_cover(govdata: Invoke) -> None:
    result = govdata("calendar", "show", "2031")

    assert result.exit_code == 1
    assert "calendar_year_not_covered" in result.output
