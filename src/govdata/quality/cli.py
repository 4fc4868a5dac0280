"""`govdata quality …`: declare rules from YAML, run checks, see scores and failing rows.

Every command goes through the quality actions as the local operator. A
resource is named as ``source:<id or name>`` or ``library:<id or code>``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table
from sqlalchemy import or_, select

from govdata.actions import Context
from govdata.aggregation.models import Library, Source
from govdata.cli_support import as_operator, console, err_console, fail, load_settings, prepare_node
from govdata.errors import GovdataError
from govdata.quality.dimensions import DIMENSION_LABELS, Dimension
from govdata.quality.schemas import QualityRunOut

quality_app = typer.Typer(
    help="Data quality: rules per resource (YAML), checks, scores and failing rows.",
    no_args_is_help=True,
)

ResourceArg = Annotated[
    str, typer.Argument(help="source:<id or name> or library:<id or code>, e.g. library:population")
]


def _operate(work: Any) -> Any:
    settings = load_settings()
    db = prepare_node(settings)
    try:
        return as_operator(settings, db, work)
    except GovdataError as error:
        fail(error)


def _resource(ctx: Context, name: str) -> dict[str, str]:
    kind, _, ident = name.partition(":")
    if kind == "source":
        found = ctx.session.scalar(
            select(Source.id).where(or_(Source.id == ident, Source.name == ident))
        )
        if found is not None:
            return {"source_id": found}
    elif kind == "library":
        found = ctx.session.scalar(
            select(Library.id).where(or_(Library.id == ident, Library.code == ident))
        )
        if found is not None:
            return {"library_id": found}
    err_console.print(f"[red]错误[/red] 没有资源“{escape(name)}”（source:… 或 library:…）")
    raise typer.Exit(code=1)


def _pct(score: float | None) -> str:
    return "—" if score is None else f"{score * 100:.2f}%"


def _print_run(run: QualityRunOut) -> None:
    status = {"succeeded": "[green]成功[/green]", "failed": "[red]失败[/red]"}.get(
        run.status, run.status
    )
    console.print(
        f"质量检查 {run.id}  {status}  版本 {run.lake_version}  行数 {run.rows_evaluated}  "
        f"得分 {_pct(run.score)}"
    )
    if run.error_code:
        console.print(f"[red]原因[/red] {escape(run.error_message or '')} ({run.error_code})")
    if run.results:
        table = Table()
        for column in ("规则", "维度", "指标", "评估", "通过", "不通过", "得分"):
            table.add_column(column)
        for result in run.results:
            table.add_row(
                escape(f"{result.rule_code} {result.rule_name}"),
                result.dimension_label,
                result.sub_indicator_label,
                str(result.evaluated),
                str(result.passed),
                str(result.failed),
                _pct(result.score),
            )
        console.print(table)


@quality_app.command("rules-set")
def rules_set(
    resource: ResourceArg,
    file: Annotated[Path, typer.Argument(help="The rules as YAML (see docs/quality.md).")],
) -> None:
    """Declare or revise a resource's rules from a YAML file."""
    text = file.read_text(encoding="utf-8-sig")
    out = _operate(
        lambda ctx, run: run("quality_rules_set", {**_resource(ctx, resource), "yaml": text})
    )
    console.print(f"已保存质量规则（第 {out.number} 版，{len(out.rules)} 条）")


@quality_app.command("rules-show")
def rules_show(resource: ResourceArg) -> None:
    """Print a resource's rules as YAML."""
    out = _operate(lambda ctx, run: run("quality_rules_get", _resource(ctx, resource)))
    console.print(escape(out.yaml), end="")


@quality_app.command("run")
def run_check(
    resource: ResourceArg,
    version: Annotated[
        int | None, typer.Option(help="Version to check (default: current).")
    ] = None,
) -> None:
    """Check a resource now and print the score per rule."""
    out = _operate(
        lambda ctx, run: run(
            "quality_run_start",
            {**_resource(ctx, resource), **({"version": version} if version is not None else {})},
        )
    )
    _print_run(out)
    if out.status != "succeeded":
        raise typer.Exit(code=1)


@quality_app.command("show")
def show(run_id: Annotated[str, typer.Argument(help="Quality run id.")]) -> None:
    """One quality run with its per-rule results."""
    _print_run(_operate(lambda ctx, run: run("quality_run_get", {"id": run_id})))


@quality_app.command("failures")
def failures(
    run_id: Annotated[str, typer.Argument(help="Quality run id.")],
    rule: Annotated[str | None, typer.Option(help="Only this rule's failing rows.")] = None,
    limit: Annotated[int, typer.Option(help="Rows to show.")] = 20,
    offset: Annotated[int, typer.Option(help="Rows to skip.")] = 0,
) -> None:
    """Failing rows of a run (keys, values, reason); recorded as a data read."""
    query: dict[str, Any] = {"run_id": run_id, "limit": limit, "offset": offset}
    if rule is not None:
        query["rule"] = rule
    page = _operate(lambda ctx, run: run("quality_failures", query))
    console.print(
        f"不通过 {page.total_failed} 行，保存 {page.total_kept} 行；显示 {len(page.rows)} 行"
    )
    for row in page.rows:
        console.print(
            f"{row.rule_code}  {escape(json.dumps(row.key, ensure_ascii=False))}  "
            f"{escape(json.dumps(row.values, ensure_ascii=False))}  {escape(row.reason)}"
        )


@quality_app.command("scores")
def scores(
    resource: Annotated[
        str | None, typer.Argument(help="source:… or library:… (default: every resource).")
    ] = None,
) -> None:
    """Scores per resource, catalog entry, department and region, per dimension."""

    def work(ctx: Context, run: Any) -> Any:
        return run("quality_scores", _resource(ctx, resource) if resource else {})

    report = _operate(work)
    dims = list(Dimension)
    for title, groups in (
        ("资源", report.resources),
        ("目录", report.entries),
        ("部门", report.departments),
        ("地区", report.regions),
    ):
        if not groups:
            continue
        table = Table(title=f"数据质量得分（按{title}）")
        table.add_column(title)
        table.add_column("总分")
        for dimension in dims:
            table.add_column(DIMENSION_LABELS[dimension])
        for group in groups:
            table.add_row(
                escape(group.name),
                _pct(group.score),
                *(_pct(group.dimensions.get(d.value)) for d in dims),
            )
        console.print(table)
    if not report.resources:
        console.print("尚无成功的质量检查")
