"""`govdata aggregation …`: sources, runs with live progress, quarantine, versions.

Every command goes through the aggregation actions as the local operator.
``run`` executes the load in the foreground and shows rows read, written and
quarantined, the rate and the time left; ``execute`` is what a run process
started by the server calls; ``worker`` schedules and starts runs without
the web server.
"""

from __future__ import annotations

import csv
import json
import shutil
import signal
import time
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.live import Live
from rich.markup import escape
from rich.table import Table
from sqlalchemy import or_, select

from govdata.actions import Context
from govdata.aggregation.loading import LoadProgress
from govdata.aggregation.runner import execute_run
from govdata.aggregation.scheduler import TICK_SECONDS, queued_runs, tick
from govdata.aggregation.schemas import FILE_KINDS, QuarantinePage, RunOut, SourceOut
from govdata.aggregation.sources.base import SourceSpec
from govdata.aggregation.sources.registry import open_reader
from govdata.aggregation.store import inbox_path
from govdata.catalog.models import CatalogEntry
from govdata.cli_support import as_operator, console, err_console, fail, load_settings, prepare_node
from govdata.db import Database
from govdata.errors import GovdataError
from govdata.services import build_services
from govdata.settings import Settings

aggregation_app = typer.Typer(
    help="Aggregation: data sources, load runs, quarantine, versions and Spark export.",
    no_args_is_help=True,
)

Run = Any


def _operate(settings: Settings, db: Database, work: Any) -> Any:
    try:
        return as_operator(settings, db, work)
    except GovdataError as error:
        fail(error)


def _entry_id(ctx: Context, entry: str) -> str:
    found = ctx.session.scalar(
        select(CatalogEntry.id).where(
            or_(CatalogEntry.id == entry, CatalogEntry.resource_code == entry)
        )
    )
    if found is None:
        err_console.print(f"[red]错误[/red] 没有目录“{escape(entry)}”（资源代码或编号）")
        raise typer.Exit(code=1)
    return found


def _options(pairs: list[str]) -> dict[str, Any]:
    options: dict[str, Any] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep:
            err_console.print(f"[red]错误[/red] 选项应写作 键=值：{escape(pair)}")
            raise typer.Exit(code=2)
        try:
            options[key] = json.loads(value)
        except ValueError:
            options[key] = value
    return options


def _columns(columns_file: Path | None, standard: str | None, mapping: list[str]) -> list[Any]:
    if columns_file is not None:
        data = json.loads(columns_file.read_text(encoding="utf-8-sig"))
        return list(data)
    if standard is None:
        err_console.print(
            "[red]错误[/red] 请用 --columns 给出列定义，或用 --standard 采用基础库标准"
        )
        raise typer.Exit(code=2)
    from govdata.libraries.standards import get_standard  # noqa: PLC0415 (optional path)

    sources = dict(item.split("=", 1) for item in mapping)
    return [
        column.model_dump(mode="json") | {"source": sources.get(column.name)}
        for column in get_standard(standard).columns
    ]


def _present_at_source(
    settings: Settings, kind: str, location: str, options: dict[str, Any], declared: list[Any]
) -> list[Any]:
    """The standard's columns that the source has (a standard is wider than most sources);
    its key and required columns must all be there."""
    path = str(inbox_path(settings, location)) if kind in FILE_KINDS else location
    try:
        with open_reader(SourceSpec(kind=kind, location=path, options=options), limit=1) as reader:  # type: ignore[arg-type]
            present = set(reader.columns)
    except GovdataError as error:
        fail(error)
    kept = [c for c in declared if (c.get("source") or c["name"]) in present]
    missing = [c["name"] for c in declared if c.get("required") and c not in kept]
    if missing:
        err_console.print(f"[red]错误[/red] 数据源缺少标准的必填列：{escape('、'.join(missing))}")
        raise typer.Exit(code=1)
    console.print(
        f"采用标准中数据源具备的 {len(kept)} 列（共 {len(declared)} 列）："
        + escape("、".join(c["name"] for c in kept))
    )
    return kept


@aggregation_app.command("inbox-add")
def inbox_add(
    path: Annotated[Path, typer.Argument(help="A source file to place in the inbox.", exists=True)],
    name: Annotated[str | None, typer.Option("--as", help="Name in the inbox.")] = None,
) -> None:
    """Copy a file into the node's inbox, where file sources are read from."""
    settings = load_settings()
    target = settings.inbox_dir / (name or path.name)
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(path, target)
    console.print(f"已放入收件目录：{escape(str(target.relative_to(settings.inbox_dir)))}")


@aggregation_app.command("add-source")
def add_source(
    entry: Annotated[str, typer.Option(help="Catalog entry: resource code or id.")],
    name: Annotated[str, typer.Option(help="Source name.")],
    kind: Annotated[str, typer.Option(help="csv, xlsx, json, jsonl, parquet, sql or http.")],
    location: Annotated[
        str, typer.Option(help="Inbox file name, SQLAlchemy URL, or first page URL.")
    ],
    columns: Annotated[
        Path | None, typer.Option(help="JSON file with the declared columns.", exists=True)
    ] = None,
    standard: Annotated[
        str | None, typer.Option(help="Declare a base library's standard columns (population...).")
    ] = None,
    map_: Annotated[
        list[str],
        typer.Option("--map", help="column=source column, with --standard (repeatable)."),
    ] = [],  # noqa: B006 (typer reads the default; never mutated)
    option: Annotated[
        list[str], typer.Option(help="Reader option key=value (repeatable), e.g. table=people.")
    ] = [],  # noqa: B006
    mode: Annotated[str, typer.Option(help="physical or logical.")] = "physical",
    strategy: Annotated[str, typer.Option(help="full, incremental or change_detection.")] = "full",
    key: Annotated[list[str], typer.Option(help="Key column (repeatable).")] = [],  # noqa: B006
    updated: Annotated[str | None, typer.Option(help="Update timestamp column.")] = None,
    drift: Annotated[str, typer.Option(help="Schema drift policy: fail or evolve.")] = "fail",
    max_bad: Annotated[float, typer.Option(help="Largest share of bad rows (0-1).")] = 0.05,
    schedule: Annotated[str | None, typer.Option(help="Cron schedule, Beijing time.")] = None,
) -> None:
    """Register a data source for a catalog entry."""
    settings = load_settings()
    db = prepare_node(settings)
    declared = _columns(columns, standard, map_)
    if standard is not None:
        declared = _present_at_source(settings, kind, location, _options(option), declared)

    def work(ctx: Context, run: Any) -> SourceOut:
        data = {
            "entry_id": _entry_id(ctx, entry),
            "name": name,
            "kind": kind,
            "mode": mode,
            "location": location,
            "options": _options(option),
            "columns": declared,
            "strategy": strategy,
            "key_columns": key,
            "updated_column": updated,
            "drift_policy": drift,
            "max_bad_ratio": max_bad,
            "schedule": schedule,
        }
        result: SourceOut = run("source_register", data)
        return result

    source = _operate(settings, db, work)
    console.print(f"已登记数据源 {escape(source.name)}：{source.id}（表 {source.table_name}）")


@aggregation_app.command("sources")
def list_sources() -> None:
    """List the sources with their current version and last run."""
    settings = load_settings()
    db = prepare_node(settings)
    sources: list[SourceOut] = _operate(
        settings, db, lambda _ctx, run: run("source_list", {"limit": 500})
    )
    table = Table(title=f"数据源（{len(sources)}）")
    for column in ("编号", "名称", "部门", "类型", "方式", "策略", "版本", "最近任务"):
        table.add_column(column)
    for source in sources:
        last = source.last_run
        table.add_row(
            source.id,
            source.name,
            source.organisation_name,
            source.kind,
            source.mode,
            source.strategy,
            "" if source.current_version is None else str(source.current_version),
            "" if last is None else f"{last.status} {last.finished_at or ''}",
        )
    console.print(table)


def _progress_table(progress: LoadProgress, started: float) -> Table:
    elapsed = max(time.monotonic() - started, 0.001)
    rate = progress.rows_read / elapsed
    table = Table.grid(padding=(0, 2))
    left = "—"
    if progress.bytes_total and progress.bytes_read:
        remaining = (progress.bytes_total - progress.bytes_read) * elapsed / progress.bytes_read
        left = f"{max(remaining, 0):.0f} 秒"
        share = f"{progress.bytes_read / progress.bytes_total:.0%}"
    else:
        share = "—"
    table.add_row("阶段", progress.phase, "进度", share)
    table.add_row("已读取", f"{progress.rows_read:,}", "已写入", f"{progress.rows_written:,}")
    table.add_row("已隔离", f"{progress.rows_quarantined:,}", "速率", f"{rate:,.0f} 行/秒")
    table.add_row("已用时", f"{elapsed:.0f} 秒", "预计剩余", left)
    return table


def _show_run(run: RunOut) -> None:
    colour = {"succeeded": "green", "failed": "red", "interrupted": "yellow"}.get(run.status, "")
    console.print(f"任务 {run.id}：[{colour or 'white'}]{run.status}[/]")
    console.print(
        f"读取 {run.rows_read:,} 行，写入 {run.rows_written:,} 行，隔离 {run.rows_quarantined:,} 行"
        + (
            f"；新增 {run.rows_inserted:,}、更新 {run.rows_updated:,}、删除 {run.rows_deleted:,}"
            if run.strategy != "full"
            else ""
        )
    )
    if run.version is not None:
        console.print(f"数据版本 {run.version}，校验和 {run.checksum}")
    if run.reason_counts:
        reasons = "，".join(f"{code} {count}" for code, count in run.reason_counts.items())
        console.print(f"隔离原因：{escape(reasons)}")
    if run.error_code:
        console.print(f"[red]失败原因[/red] {escape(run.error_message or '')} ({run.error_code})")


@aggregation_app.command("run")
def run_now(
    source_id: Annotated[str, typer.Argument(help="Source id.")],
    strategy: Annotated[
        str | None, typer.Option(help="Override the strategy for this run (e.g. full).")
    ] = None,
) -> None:
    """Load a source now, in the foreground, with live progress."""
    settings = load_settings()
    db = prepare_node(settings)
    services = build_services(settings)
    data: dict[str, Any] = {"source_id": source_id}
    if strategy:
        data["strategy"] = strategy
    queued: RunOut = _queue_without_dispatch(settings, db, "run_start", data)
    _execute_with_progress(settings, db, services, queued.id)


def _queue_without_dispatch(
    settings: Settings, db: Database, action: str, data: dict[str, Any]
) -> RunOut:
    def work(ctx: Context, run: Any) -> RunOut:
        ctx.services.jobs.mode = "none"
        result: RunOut = run(action, data)
        return result

    result: RunOut = _operate(settings, db, work)
    return result


def _execute_with_progress(settings: Settings, db: Database, services: Any, run_id: str) -> None:
    started = time.monotonic()
    with Live(_progress_table(LoadProgress(), started), console=err_console) as live:

        def show(progress: LoadProgress) -> None:
            live.update(_progress_table(progress, started))

        finished = execute_run(run_id, settings, db, services, on_progress=show)
    result: RunOut = _operate(settings, db, lambda _ctx, run: run("run_get", {"id": finished.id}))
    _show_run(result)
    if result.status != "succeeded":
        raise typer.Exit(code=1)


@aggregation_app.command("retry")
def retry(run_id: Annotated[str, typer.Argument(help="A failed or interrupted run.")]) -> None:
    """Retry a failed or interrupted run, in the foreground."""
    settings = load_settings()
    db = prepare_node(settings)
    services = build_services(settings)
    queued = _queue_without_dispatch(settings, db, "run_retry", {"id": run_id})
    _execute_with_progress(settings, db, services, queued.id)


@aggregation_app.command("execute", hidden=True)
def execute(run_id: Annotated[str, typer.Argument(help="A queued run.")]) -> None:
    """Execute one queued run (what the server's run processes call)."""
    settings = load_settings()
    db = prepare_node(settings)
    finished = execute_run(run_id, settings, db, build_services(settings))
    raise typer.Exit(code=0 if finished.status == "succeeded" else 1)


@aggregation_app.command("runs")
def runs(
    source_id: Annotated[str | None, typer.Argument(help="Only this source's runs.")] = None,
    limit: Annotated[int, typer.Option(help="How many.")] = 20,
) -> None:
    """Run history, newest first."""
    settings = load_settings()
    db = prepare_node(settings)
    query: dict[str, Any] = {"limit": limit}
    if source_id:
        query["source_id"] = source_id
    found: list[RunOut] = _operate(settings, db, lambda _ctx, run: run("run_list", query))
    table = Table(title="归集任务")
    for column in ("编号", "状态", "触发", "策略", "读取", "写入", "隔离", "版本", "开始", "原因"):
        table.add_column(column)
    for item in found:
        table.add_row(
            item.id,
            item.status,
            item.trigger,
            item.strategy,
            f"{item.rows_read:,}",
            f"{item.rows_written:,}",
            f"{item.rows_quarantined:,}",
            "" if item.version is None else str(item.version),
            str(item.started_at or ""),
            item.error_code or "",
        )
    console.print(table)


@aggregation_app.command("quarantine")
def quarantine(
    run_id: Annotated[str, typer.Argument(help="Run id.")],
    out: Annotated[
        Path | None, typer.Option(help="Write every quarantined row to this CSV (UTF-8 BOM).")
    ] = None,
    limit: Annotated[int, typer.Option(help="Rows to show.")] = 20,
) -> None:
    """Show, or download as CSV, the rows a run quarantined and why."""
    settings = load_settings()
    db = prepare_node(settings)
    if out is None:
        page: QuarantinePage = _operate(
            settings, db, lambda _c, run: run("quarantine_page", {"run_id": run_id, "limit": limit})
        )
        table = Table(title=f"隔离数据（共 {page.total} 行）")
        for column in ("行号", "原因", "原始内容"):
            table.add_column(column)
        for row in page.rows:
            raw = row.get("_gd_raw") or json.dumps(
                {k: v for k, v in row.items() if not k.startswith("_gd_")}, ensure_ascii=False
            )
            table.add_row(str(row["_gd_row"]), row["_gd_reasons"] or "", raw[:120])
        console.print(table)
        return
    written = write_quarantine_csv(settings, db, run_id, out)
    console.print(f"已写出 {written} 行到 {escape(str(out))}")


def write_quarantine_csv(settings: Settings, db: Database, run_id: str, out: Path) -> int:
    """Every quarantined row, spreadsheet-safe (formula-looking text is quoted)."""
    written = 0
    offset = 0
    with out.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        header_done = False
        while True:
            start = offset

            def page_at(_ctx: Context, run: Any, at: int = start) -> QuarantinePage:
                result: QuarantinePage = run(
                    "quarantine_page", {"run_id": run_id, "offset": at, "limit": 1000}
                )
                return result

            page: QuarantinePage = _operate(settings, db, page_at)
            if not header_done:
                writer.writerow(["行号", "原因代码", "原因", "原始行", *page.columns[4:]])
                header_done = True
            for row in page.rows:
                values = [row.get(name) for name in page.columns]
                writer.writerow([_cell(value) for value in values])
            written += len(page.rows)
            offset += len(page.rows)
            if not page.rows or offset >= page.total:
                return written


def _cell(value: object) -> str:
    text = "" if value is None else str(value)
    if text[:1] in {"=", "+", "-", "@", "\t", "\r"}:
        return "'" + text
    return text


@aggregation_app.command("versions")
def versions(source_id: Annotated[str, typer.Argument(help="Source id.")]) -> None:
    """Every version of a source's table with its commit metadata."""
    settings = load_settings()
    db = prepare_node(settings)
    found = _operate(settings, db, lambda _c, run: run("version_list", {"id": source_id}))
    table = Table(title=f"数据版本（表 {found.table_name}）")
    for column in ("版本", "时间", "操作", "任务", "读取", "写入", "隔离", "校验和"):
        table.add_column(column)
    for item in found.versions:
        meta = item.metadata
        table.add_row(
            str(item.version),
            item.timestamp.isoformat(timespec="seconds"),
            meta.get("govdata.operation", item.operation),
            meta.get("govdata.run_id", ""),
            meta.get("govdata.rows_read", ""),
            meta.get("govdata.rows_written", ""),
            meta.get("govdata.rows_quarantined", ""),
            meta.get("govdata.checksum", ""),
        )
    console.print(table)


@aggregation_app.command("read")
def read(
    source_id: Annotated[str, typer.Argument(help="Source id.")],
    version: Annotated[int | None, typer.Option(help="Version (default: latest).")] = None,
    where: Annotated[list[str], typer.Option(help="column=value filter (repeatable).")] = [],  # noqa: B006
    limit: Annotated[int, typer.Option(help="Rows.")] = 20,
) -> None:
    """Read rows of a version (physical) or from the source (logical); the read is recorded."""
    settings = load_settings()
    db = prepare_node(settings)
    query: dict[str, Any] = {
        "source_id": source_id,
        "where": dict(item.split("=", 1) for item in where),
        "limit": limit,
    }
    if version is not None:
        query["version"] = version
    page = _operate(settings, db, lambda _c, run: run("data_read", query))
    table = Table(title=f"版本 {page.version}" if page.version is not None else "逻辑接入")
    for column in page.columns:
        table.add_column(column)
    for row in page.rows:
        table.add_row(*["" if row.get(c) is None else str(row.get(c)) for c in page.columns])
    console.print(table)
    if page.total is not None:
        console.print(f"共 {page.total} 行符合条件")
    if page.masked:
        how = {"partial": "部分遮蔽", "suppress": "屏蔽"}
        listed = "、".join(f"{name}（{how.get(kind, kind)}）" for name, kind in page.masked.items())
        console.print(f"按读取身份（{page.audience}）脱敏的敏感列：{listed}")


@aggregation_app.command("manifest")
def manifest(
    source_id: Annotated[str, typer.Argument(help="Source id.")],
    out: Annotated[Path, typer.Option(help="Where to write the JSON manifest.")],
    version: Annotated[int | None, typer.Option(help="Version (default: latest).")] = None,
) -> None:
    """Export a version's Parquet file list for an external Spark cluster."""
    settings = load_settings()
    db = prepare_node(settings)
    query: dict[str, Any] = {"source_id": source_id}
    if version is not None:
        query["version"] = version
    found = _operate(settings, db, lambda _c, run: run("version_manifest", query))
    out.write_text(json.dumps(found, ensure_ascii=False, indent=2, default=str), encoding="utf-8")
    console.print(
        f"版本 {found.get('version')}：{len(found.get('files', []))} 个文件，"
        f"{found.get('total_rows')} 行，校验和 {found.get('checksum')} → {escape(str(out))}"
    )


@aggregation_app.command("worker")
def worker(
    once: Annotated[bool, typer.Option("--once", help="One tick, then exit.")] = False,
) -> None:
    """Schedule due sources and execute queued runs, without the web server."""
    settings = load_settings()
    db = prepare_node(settings)
    services = build_services(settings)
    services.jobs.mode = "none"
    stopping = False

    def stop(_signum: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, stop)
    while not stopping:
        tick(db, settings, services)
        for run_id in queued_runs(db):
            finished = execute_run(run_id, settings, db, services)
            console.print(f"任务 {finished.id}：{finished.status}")
        if once:
            return
        time.sleep(TICK_SECONDS)
