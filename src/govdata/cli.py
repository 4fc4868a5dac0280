"""The `govdata` command: thin adapters over the same actions as the API."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table
from rich.tree import Tree
from sqlalchemy.engine import make_url

from govdata.actions import Context
from govdata.aggregation.cli import aggregation_app
from govdata.areas import build_policy, build_registry
from govdata.authz import Role
from govdata.catalog.cli import catalog_app
from govdata.cli_support import (
    as_operator,
    check_node,
    console,
    err_console,
    fail,
    load_settings,
    prepare_node,
)
from govdata.crypto.cli import keys_app
from govdata.db import Database
from govdata.errors import GovdataError
from govdata.ledger.cli import ledger_app
from govdata.profiles.cli import profiles_app
from govdata.quality.cli import quality_app
from govdata.services import Services, build_services
from govdata.settings import Settings
from govdata.sharing.cli import sharing_app

app = typer.Typer(
    help="govdata: an integrated government data platform node (一体化政务大数据体系).",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
db_app = typer.Typer(help="Manage the metadata database schema.", no_args_is_help=True)
user_app = typer.Typer(help="Manage people's accounts.", no_args_is_help=True)
org_app = typer.Typer(
    help="Organisations: the tree, division editions, regions.", no_args_is_help=True
)
node_app = typer.Typer(help="This node's identity.", no_args_is_help=True)
calendar_app = typer.Typer(
    help="The statutory calendar of working days (holidays and make-up workdays).",
    no_args_is_help=True,
)
app.add_typer(db_app, name="db")
app.add_typer(user_app, name="user")
app.add_typer(org_app, name="org")
app.add_typer(node_app, name="node")
app.add_typer(calendar_app, name="calendar")
app.add_typer(catalog_app, name="catalog")
app.add_typer(aggregation_app, name="aggregation")
app.add_typer(ledger_app, name="ledger")
app.add_typer(keys_app, name="keys")
app.add_typer(quality_app, name="quality")
app.add_typer(profiles_app, name="profiles")
app.add_typer(sharing_app, name="sharing")


class AssignableRole(StrEnum):
    """The roles that can be granted (public and member are implicit)."""

    PLATFORM_ADMIN = Role.PLATFORM_ADMIN.value
    AUTHORITY_REVIEWER = Role.AUTHORITY_REVIEWER.value
    PROVIDER_OFFICER = Role.PROVIDER_OFFICER.value
    CONSUMER_OFFICER = Role.CONSUMER_OFFICER.value
    AUDITOR = Role.AUDITOR.value


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Create or migrate the database to the newest schema and register this node."""
    settings = load_settings()
    from govdata.migrate import current_revision

    db = prepare_node(settings)
    console.print(f"数据库已是最新版本：{current_revision(db.engine)}  ({_redacted(db.url)})")


@db_app.command("current")
def db_current() -> None:
    """Print the schema revision of the database."""
    from govdata.migrate import current_revision, head_revision

    settings = load_settings()
    _require_database(settings)
    db = Database.from_url(settings.effective_database_url)
    console.print(f"current={current_revision(db.engine)} head={head_revision()}")


def _require_database(settings: Settings) -> None:
    """An embedded database that does not exist yet is not created by a read."""
    url = make_url(settings.effective_database_url)
    if url.get_backend_name() == "sqlite" and url.database and not Path(url.database).exists():
        err_console.print(f"数据库不存在：{escape(url.database)}，请先运行 govdata db upgrade")
        raise typer.Exit(code=1)


def _redacted(url: str) -> str:
    return make_url(url).render_as_string(hide_password=True)


def _demo_aggregation(settings: Settings, db: Database) -> dict[str, str]:
    """Register the demo sources and library, then load and build them here."""
    from govdata.aggregation.demo import load_demo_aggregation, queue_demo_library_build
    from govdata.aggregation.runner import execute_run

    services = build_services(settings)
    services.jobs.mode = "none"
    registered = as_operator(settings, db, load_demo_aggregation, services=services)
    outcome: dict[str, str] = {}
    for run_id in registered["runs"]:
        finished = execute_run(run_id, settings, db, services)
        outcome[f"归集 {run_id[:8]}"] = (
            f"{finished.status}（写入 {finished.rows_written} 行，"
            f"隔离 {finished.rows_quarantined} 行）"
        )
    if registered["runs"]:
        build = as_operator(settings, db, queue_demo_library_build, services=services)
        if build is not None:
            finished = execute_run(build, settings, db, services)
            outcome["人口基础库"] = f"{finished.status}（{finished.rows_written} 人）"
            if finished.status == "succeeded":
                outcome.update(_demo_quality(settings, db, services))
        outcome.update(_demo_profiles(settings, db, services))
    return outcome


def _demo_profiles(settings: Settings, db: Database, services: Services) -> dict[str, str]:
    """Build one-person-one-file profiles from the three demo population sources."""
    from govdata.profiles.demo import load_demo_profiles

    built = as_operator(settings, db, load_demo_profiles, services=services)
    if not built:
        return {}
    return {
        "一人一档": f"{built['profiles']} 人（{built['records']} 条记录，"
        f"其中 {built['linked_probabilistically']} 条按概率匹配）"
    }


def _demo_quality(settings: Settings, db: Database, services: Services) -> dict[str, str]:
    """Set the demo quality rules on the built population library and run them once."""
    from govdata.quality.demo import load_demo_quality

    checked = as_operator(settings, db, load_demo_quality, services=services)
    if not checked:
        return {}
    score = "—" if checked["score"] is None else f"{checked['score'] * 100:.1f}"
    return {"数据质量": f"{score} 分（不符合规则 {checked['failed']} 行次）"}


@app.command()
def demo() -> None:
    """Load the demo region (内蒙古自治区, 12 盟市, 103 旗县), demo accounts and a demo
    catalog (8 entries: published, submitted, returned and draft)."""
    from govdata.catalog.demo import load_demo_catalog
    from govdata.demo import DEMO_ACCOUNTS, DEMO_PASSWORD, load_demo
    from govdata.ledger.scheduling import checkpoint_if_grown

    settings = load_settings()
    db = prepare_node(settings)
    try:
        created = as_operator(settings, db, load_demo)
        catalog = as_operator(settings, db, load_demo_catalog)
        aggregation = _demo_aggregation(settings, db)
        checkpoint = checkpoint_if_grown(db, settings)
    except GovdataError as error:
        fail(error)
    console.print(
        f"示范数据：新增区划 {created['divisions']} 条，行政区域 {created['regions']} 个，"
        f"部门 {created['departments']} 个，用户 {created['users']} 个"
    )
    console.print(
        f"示范目录：已发布 {catalog['published']} 条，待审核 {catalog['submitted']} 条，"
        f"已退回 {catalog['returned']} 条，草稿 {catalog['draft']} 条，"
        f"信息系统 {catalog['systems']} 个"
    )
    if aggregation:
        console.print(
            "示范归集：数据源 3 个（GBK 文件、部门系统数据库、社保 CSV），"
            + "；".join(f"{name}：{status}" for name, status in aggregation.items())
        )
    if checkpoint is not None:
        console.print(
            f"存证账本：已签发检查点，共 {checkpoint.tree_size} 条记录，"
            f"根哈希 {checkpoint.root_hash.hex()[:16]}…"
        )
    table = Table(title="示范账号（密码均为 " + DEMO_PASSWORD + "）")
    table.add_column("用户名")
    table.add_column("角色")
    for account in DEMO_ACCOUNTS:
        table.add_row(account.username, account.role.value)
    console.print(table)


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Address to bind (GOVDATA_HOST).")] = None,
    port: Annotated[int | None, typer.Option(help="Port to bind (GOVDATA_PORT).")] = None,
) -> None:
    """Run the web server (portal, /api/v1, /healthz, /metrics)."""
    import uvicorn

    from govdata.app import create_app
    from govdata.migrate import current_revision, head_revision

    settings = load_settings()
    _require_database(settings)
    db = Database.from_url(settings.effective_database_url)
    if current_revision(db.engine) != head_revision():
        err_console.print("[red]数据库结构不是最新版本[/red]，请先运行 govdata db upgrade")
        raise typer.Exit(code=1)
    check_node(settings, db)
    bind_host = host or settings.host
    bind_port = port or settings.port
    console.print(f"govdata 正在运行：http://{bind_host}:{bind_port}/")
    uvicorn.run(
        create_app(settings, db, settle_heap=True),
        host=bind_host,
        port=bind_port,
        log_config=None,
        access_log=False,  # govdata.access logs every request with its request id
        proxy_headers=True,
    )


@user_app.command("create")
def user_create(
    username: Annotated[str, typer.Argument(help="Lowercase login name.")],
    *,
    org: Annotated[str, typer.Option(help="Organisation: id, credit code or division code.")],
    display_name: Annotated[str, typer.Option(help="Name shown in the portal.")] = "",
    role: Annotated[
        list[AssignableRole] | None, typer.Option(help="Role to grant at --org (repeatable).")
    ] = None,
    subtree: Annotated[bool, typer.Option(help="Roles cover the organisation's subtree.")] = False,
    password: Annotated[
        str,
        typer.Option(
            prompt=True,
            hide_input=True,
            confirmation_prompt=True,
            envvar="GOVDATA_NEW_PASSWORD",
            help="Initial password.",
        ),
    ] = "",
) -> None:
    """Create a person's account (as the local operator)."""
    settings = load_settings()
    db = prepare_node(settings)

    def work(ctx: Context, run: Any) -> Any:
        found = run("organisation_find", {"key": org})
        return run(
            "user_create",
            {
                "username": username,
                "display_name": display_name or username,
                "organisation_id": found.id,
                "password": password,
                "roles": [
                    {"role": r.value, "organisation_id": found.id, "include_subtree": subtree}
                    for r in role or []
                ],
            },
        )

    try:
        user = as_operator(settings, db, work)
    except GovdataError as error:
        fail(error)
    console.print(f"已创建用户 {user.username}（{user.organisation_name}）")


@org_app.command("import-divisions")
def org_import_divisions(
    path: Annotated[Path, typer.Argument(help="CSV with code,name,level,parent_code[,...].")],
    *,
    edition: Annotated[str, typer.Option(help="Label of this edition, e.g. mca-2024.")],
    effective: Annotated[
        str | None, typer.Option(help="Date the edition takes effect (YYYY-MM-DD).")
    ] = None,
) -> None:
    """Apply an edition of the division table (UTF-8 or GB18030), keeping history."""
    from govdata.orgs.services import decode_table_text, division_rows_from_csv

    settings = load_settings()
    db = prepare_node(settings)
    try:
        rows = division_rows_from_csv(decode_table_text(path.read_bytes()))
    except (OSError, UnicodeDecodeError) as error:
        err_console.print(f"[red]无法读取[/red] {escape(str(path))}：{escape(str(error))}")
        raise typer.Exit(code=1) from None
    data: dict[str, Any] = {"edition": edition, "rows": rows}
    if effective:
        data["effective"] = effective
    try:
        result = as_operator(settings, db, lambda ctx, run: run("division_import", data))
    except GovdataError as error:
        fail(error)
    console.print(
        f"区划版本 {result.edition}：新增 {result.added}，变更 {result.changed}，"
        f"撤销 {result.withdrawn}，未变 {result.unchanged}"
    )


@org_app.command("add-region")
def org_add_region(
    division_code: Annotated[str, typer.Argument(help="GB/T 2260 code of the region.")],
) -> None:
    """Create the organisation of a region (its parent region must exist, except
    for a province, which roots a tree of this node)."""
    settings = load_settings()
    db = prepare_node(settings)
    try:
        org = as_operator(
            settings, db, lambda ctx, run: run("region_create", {"division_code": division_code})
        )
    except GovdataError as error:
        fail(error)
    console.print(f"已建立行政区域 {org.name}（{org.division_code}）")


@org_app.command("tree")
def org_tree(
    departments: Annotated[bool, typer.Option(help="Show departments too.")] = False,
) -> None:
    """Print the organisation tree."""
    settings = load_settings()
    db = prepare_node(settings)
    roots = as_operator(
        settings,
        db,
        lambda ctx, run: run("organisation_tree", {} if departments else {"kind": "region"}),
    )

    def add(branch: Tree, node: Any) -> None:
        label = f"{node.name} [dim]{node.credit_code or node.division_code}[/dim]"
        child = branch.add(label)
        for sub in node.children:
            add(child, sub)

    tree = Tree(settings.node_name)
    for root in roots:
        add(tree, root)
    console.print(tree)


@node_app.command("show")
def node_show() -> None:
    """Print this node's code, level and public key fingerprint."""
    settings = load_settings()
    db = prepare_node(settings)
    node = as_operator(settings, db, lambda ctx, run: run("node_show", {}))
    for key, value in node.model_dump().items():
        if key != "public_key_pem":
            console.print(f"{key}: {value}")
    console.print(node.public_key_pem)


def _calendar(settings: Settings) -> Any:
    from govdata.workdays.calendar import CalendarDataInvalid, StatutoryCalendar

    try:
        return StatutoryCalendar.load(settings.calendar_file)
    except (OSError, CalendarDataInvalid) as error:
        err_console.print(f"[red]节假日数据无效[/red] {escape(str(error))}")
        raise typer.Exit(code=1) from None


@calendar_app.command("show")
def calendar_show(
    year: Annotated[int, typer.Argument(help="Year, e.g. 2026.")],
) -> None:
    """List a year's holidays and make-up workdays, with the notice they come from."""
    settings = load_settings()
    try:
        arrangement = _calendar(settings).year(year)
    except GovdataError as error:
        fail(error)
    console.print(f"{year}年  来源：{arrangement.source}")
    console.print("放假：" + "、".join(d.isoformat() for d in sorted(arrangement.holidays)))
    console.print("调休上班：" + "、".join(d.isoformat() for d in sorted(arrangement.workdays)))


@calendar_app.command("deadline")
def calendar_deadline(
    start: Annotated[str, typer.Argument(help="Day the task started (YYYY-MM-DD).")],
    *,
    days: Annotated[int, typer.Option(min=1, help="Working days allowed.")] = 20,
    today: Annotated[
        str | None, typer.Option(help="Day to judge the status on (default: today, Beijing).")
    ] = None,
) -> None:
    """When a task started on START is due, and where it stands (20 working days by default)."""
    from datetime import date, datetime

    from govdata.orgs.services import BEIJING
    from govdata.workdays.deadlines import DEADLINE_STATE_LABELS, deadline_status

    settings = load_settings()
    try:
        started = date.fromisoformat(start)
        judged = date.fromisoformat(today) if today else datetime.now(BEIJING).date()
    except ValueError as error:
        err_console.print(f"[red]日期格式错误[/red] {escape(str(error))}")
        raise typer.Exit(code=1) from None
    try:
        status = deadline_status(_calendar(settings), started, judged, working_days=days)
    except GovdataError as error:
        fail(error)
    console.print(
        f"开始 {status.started}，{days}个工作日内，截止 {status.due}；"
        f"截至 {judged} 剩余 {status.working_days_left} 个工作日："
        f"{DEADLINE_STATE_LABELS[status.state]}"
    )


@app.command("settings")
def showload_settings() -> None:
    """List every setting with its environment variable, value and meaning."""
    settings = Settings()
    table = Table()
    for column in ("variable", "value", "meaning"):
        table.add_column(column)
    for name, field in Settings.model_fields.items():
        table.add_row(
            f"GOVDATA_{name.upper()}", str(getattr(settings, name)), field.description or ""
        )
    console.print(table)


@app.command("actions")
def list_actions() -> None:
    """List every action (the public API of the node) and the permissions table."""
    registry = build_registry()
    table = Table(title="actions")
    table.add_column("action")
    table.add_column("summary")
    for name in registry.names():
        table.add_row(name, registry.get(name).summary)
    console.print(table)
    perms = Table(title="permissions")
    for column in ("permission", "roles", "scoped", "description"):
        perms.add_column(column)
    for perm in build_policy().all():
        perms.add_row(
            perm.name,
            ", ".join(sorted(r.value for r in perm.roles)),
            "yes" if perm.scoped else "no",
            perm.description,
        )
    console.print(perms)


def main() -> None:
    app()
