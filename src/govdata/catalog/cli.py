"""`govdata catalog …`: bulk import and export, the search index, deadlines.

Every command runs the catalog actions as the local operator, in one unit of
work: an import either lands whole or not at all.
"""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, Literal

import typer
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table
from sqlalchemy import select

from govdata.actions import Context
from govdata.catalog.schemas import EntryOut
from govdata.catalog.transfer import (
    ImportPlan,
    RefusedRow,
    export_rows,
    plan_import,
    plan_import_json,
    write_csv,
    write_json,
    write_refusals,
    write_xlsx,
)
from govdata.cli_support import as_operator, console, err_console, fail, load_settings, prepare_node
from govdata.errors import GovdataError
from govdata.orgs.models import Organisation
from govdata.tabular import read_table

catalog_app = typer.Typer(
    help="The catalog: bulk import and export, the search index, deadlines.",
    no_args_is_help=True,
)

EXPORT_PAGE = 500
SHOWN_REFUSALS = 20


class FileKind(StrEnum):
    CSV = "csv"
    XLSX = "xlsx"
    JSON = "json"


class ImportState(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    PUBLISHED = "published"


class ImportAborted(Exception):
    """Raised inside the unit of work so that nothing of a refused import is kept."""

    def __init__(self, refused: list[RefusedRow]) -> None:
        super().__init__(f"{len(refused)} refusals")
        self.refused = refused


def _kind(path: Path, given: FileKind | None) -> FileKind:
    if given is not None:
        return given
    suffix = path.suffix.lower().lstrip(".")
    if suffix in {"csv", "txt"}:
        return FileKind.CSV
    if suffix in {"xlsx", "xls"}:
        return FileKind.XLSX
    if suffix == "json":
        return FileKind.JSON
    err_console.print(f"[red]错误[/red] 无法从扩展名判断文件类型：{escape(path.name)}，请用 --kind")
    raise typer.Exit(code=2)


def _progress() -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=err_console,
        transient=False,
    )


def _show_refusals(refused: list[RefusedRow], report: Path) -> None:
    table = Table(title=f"被拒绝的行（共 {len(refused)} 处，完整清单见 {report}）")
    for column in ("行号", "资源代码", "列", "原因"):
        table.add_column(column)
    for row in refused[:SHOWN_REFUSALS]:
        table.add_row(str(row.row), row.resource_code, row.column, row.reason)
    err_console.print(table)


@catalog_app.command("import")
def catalog_import(
    path: Annotated[Path, typer.Argument(help="CSV, Excel (.xlsx) or JSON file.", exists=True)],
    kind: Annotated[
        FileKind | None, typer.Option(help="File type (default: by extension).")
    ] = None,
    encoding: Annotated[
        str | None, typer.Option(help="CSV encoding (default: detected; UTF-8 or GB18030/GBK).")
    ] = None,
    sheet: Annotated[str | None, typer.Option(help="Excel sheet (default: the first).")] = None,
    state: Annotated[
        ImportState, typer.Option(help="Leave the entries as drafts, submit them, or publish them.")
    ] = ImportState.DRAFT,
    accept_valid: Annotated[
        bool,
        typer.Option(
            "--accept-valid", help="Import the valid entries even when other rows are refused."
        ),
    ] = False,
    report: Annotated[
        Path | None,
        typer.Option(help="Where to write the refused rows (default: <file>.refused.csv)."),
    ] = None,
) -> None:
    """Import catalog entries in bulk: all of them or none (see docs/catalog.md for the format)."""
    settings = load_settings()
    db = prepare_node(settings)
    file_kind = _kind(path, kind)
    report_path = report or path.with_name(path.name + ".refused.csv")
    try:
        if file_kind is FileKind.JSON:
            try:
                data: Any = json.loads(path.read_text(encoding="utf-8-sig"))
            except (ValueError, UnicodeDecodeError) as exc:
                err_console.print(f"[red]错误[/red] JSON文件无法解析：{escape(str(exc))}")
                raise typer.Exit(code=1) from None
            source: Any = data
        else:
            table_kind: Literal["csv", "xlsx"] = "csv" if file_kind is FileKind.CSV else "xlsx"
            source = read_table(path, kind=table_kind, encoding=encoding, sheet=sheet)
        outcome = as_operator(
            settings,
            db,
            lambda ctx, run: _import(
                ctx, run, kind=file_kind, source=source, state=state, accept_valid=accept_valid
            ),
        )
    except GovdataError as error:
        fail(error)
    except ImportAborted as aborted:
        plan, imported, refused = None, 0, aborted.refused
    else:
        plan, imported, refused = outcome
    if refused:
        write_refusals(refused, report_path)
        _show_refusals(refused, report_path)
    if plan is None:
        err_console.print(
            "[red]未导入任何目录[/red]：请修正被拒绝的行后重新导入，或使用 --accept-valid"
        )
        raise typer.Exit(code=1)
    console.print(f"已导入 {imported} 条目录（状态：{state.value}），拒绝 {len(refused)} 处")


def _import(
    ctx: Context,
    run: Any,
    *,
    kind: FileKind,
    source: Any,
    state: ImportState,
    accept_valid: bool,
) -> tuple[ImportPlan, int, list[RefusedRow]]:
    def lookup(credit_code: str) -> str | None:
        return ctx.session.scalar(
            select(Organisation.id).where(Organisation.credit_code == credit_code)
        )

    plan = (
        plan_import_json(source, lookup) if kind is FileKind.JSON else plan_import(source, lookup)
    )
    refused = list(plan.refused)
    imported = 0
    with _progress() as progress:
        task = progress.add_task("导入目录", total=len(plan.entries))
        for planned in plan.entries:
            try:
                with ctx.session.begin_nested():
                    created = run("entry_create", planned.payload)
                    if state is not ImportState.DRAFT:
                        run("entry_submit", {"id": created.id})
                    if state is ImportState.PUBLISHED:
                        run("entry_review", {"id": created.id, "decision": "publish"})
                imported += 1
            except GovdataError as error:
                details = error.fields or {"": error.message}
                refused.extend(
                    RefusedRow(planned.rows[0], planned.resource_code, field, problem)
                    for field, problem in details.items()
                )
            progress.advance(task)
    if refused and not accept_valid:
        raise ImportAborted(refused)
    return plan, imported, refused


@catalog_app.command("export")
def catalog_export(
    path: Annotated[Path, typer.Argument(help="File to write: .csv, .xlsx or .json.")],
    kind: Annotated[
        FileKind | None, typer.Option(help="File type (default: by extension).")
    ] = None,
) -> None:
    """Export the published catalog (CSV/Excel: one row per information item; JSON: full)."""
    settings = load_settings()
    db = prepare_node(settings)
    file_kind = _kind(path, kind)

    def collect(_ctx: Context, run: Any) -> list[EntryOut]:
        entries: list[EntryOut] = []
        first = run("entry_export", {"page": 1, "page_size": EXPORT_PAGE})
        with _progress() as progress:
            task = progress.add_task("导出目录", total=first.total)
            page = first
            while True:
                entries.extend(page.entries)
                progress.advance(task, len(page.entries))
                if len(entries) >= page.total or not page.entries:
                    break
                page = run("entry_export", {"page": page.page + 1, "page_size": EXPORT_PAGE})
        return entries

    try:
        entries = as_operator(settings, db, collect)
    except GovdataError as error:
        fail(error)
    if file_kind is FileKind.JSON:
        write_json(entries, path)
    elif file_kind is FileKind.XLSX:
        write_xlsx(export_rows(entries), path)
    else:
        write_csv(export_rows(entries), path)
    console.print(f"已导出 {len(entries)} 条已发布目录到 {path}")


@catalog_app.command("reindex")
def catalog_reindex() -> None:
    """Rebuild the search index from the database and swap it in atomically."""
    settings = load_settings()
    db = prepare_node(settings)
    try:
        out = as_operator(settings, db, lambda _ctx, run: run("catalog_reindex", {}))
    except GovdataError as error:
        fail(error)
    console.print(
        f"检索索引已重建：{out.documents} 条目录，用时 {out.seconds:.2f} 秒，"
        f"{out.size_bytes / 1_048_576:.1f} MiB"
    )


@catalog_app.command("deadlines")
def catalog_deadlines(
    on: Annotated[str | None, typer.Option(help="Judge as of this day (YYYY-MM-DD).")] = None,
) -> None:
    """Registrations and updates owed within 20 working days: overdue and due soon first."""
    settings = load_settings()
    db = prepare_node(settings)
    data = {"on": on} if on else {}
    try:
        report = as_operator(settings, db, lambda _ctx, run: run("catalog_deadlines", data))
    except GovdataError as error:
        fail(error)
    console.print(
        f"{report.judged_on}：已逾期 {report.overdue}，即将到期 {report.due_soon}，"
        f"未到期 {report.on_time}"
    )
    table = Table()
    for column in ("部门", "事项", "起算日", "截止日", "剩余工作日", "状态"):
        table.add_column(column)
    labels = {"overdue": "已逾期", "due_soon": "即将到期", "on_time": "未到期"}
    # Overdue first; an unknown count (overdue in an uncovered year) counts as most overdue.
    for o in sorted(
        report.obligations,
        key=lambda o: (o.working_days_left is not None, o.working_days_left or 0),
    ):
        table.add_row(
            o.organisation_name,
            o.subject,
            str(o.started_on),
            str(o.due_on),
            "—" if o.working_days_left is None else str(o.working_days_left),
            labels.get(o.state, o.state),
        )
    console.print(table)
