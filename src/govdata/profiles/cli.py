"""`govdata profiles …`: build person and enterprise profiles, find and show them.

Every command goes through the profile actions as the local operator, whose reads
are decided by grade like anyone else's (it reads values up to general data
level 2, masked as an authority over the region).
"""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table
from sqlalchemy import or_, select

from govdata.actions import Context
from govdata.aggregation.models import Library, LibraryMember, Source
from govdata.cli_support import as_operator, console, err_console, fail, load_settings, prepare_node
from govdata.db import Database
from govdata.errors import GovdataError
from govdata.orgs.models import Organisation
from govdata.profiles.labels import KIND_LABELS, MASKING_LABELS, attribute_label, method_label
from govdata.profiles.schemas import ProfileBuildOut, ProfileHits, ProfileOut
from govdata.settings import Settings

profiles_app = typer.Typer(
    help="Profiles: one person one file, one enterprise one file (build, search, show).",
    no_args_is_help=True,
)

KindOption = Annotated[str, typer.Option(help="person（一人一档）or enterprise（一企一档）.")]


def _operate(settings: Settings, db: Database, work: Any) -> Any:
    try:
        return as_operator(settings, db, work)
    except GovdataError as error:
        fail(error)


def _missing(what: str, value: str) -> typer.Exit:
    err_console.print(f"[red]错误[/red] 没有{what}“{escape(value)}”")
    return typer.Exit(code=1)


def _organisation_id(ctx: Context, value: str) -> str:
    found = ctx.session.scalars(
        select(Organisation.id).where(
            or_(
                Organisation.id == value,
                Organisation.credit_code == value,
                Organisation.name == value,
            )
        )
    ).all()
    if len(found) != 1:
        raise _missing("机构（编号、统一社会信用代码或全称）", value)
    return found[0]


def _source_ids(ctx: Context, sources: list[str], libraries: list[str]) -> list[str]:
    """Sources named by id or name, then each library's members in its precedence."""
    ids: list[str] = []
    for value in sources:
        found = ctx.session.scalars(
            select(Source.id).where(or_(Source.id == value, Source.name == value))
        ).all()
        if len(found) != 1:
            raise _missing("数据源（编号或名称）", value)
        ids.append(found[0])
    for value in libraries:
        library = ctx.session.scalar(
            select(Library).where(or_(Library.id == value, Library.code == value))
        )
        if library is None:
            raise _missing("基础库或主题库（编号或代码）", value)
        members = ctx.session.scalars(
            select(LibraryMember.source_id)
            .where(LibraryMember.library_id == library.id)
            .order_by(LibraryMember.priority, LibraryMember.created_at)
        ).all()
        ids.extend(member for member in members if member not in ids)
    if not ids:
        err_console.print("[red]错误[/red] 请用 --source 或 --library 指定至少一个数据源")
        raise typer.Exit(code=2)
    return ids


@profiles_app.command("build")
def build(
    organisation: Annotated[
        str, typer.Option(help="Organisation the profiles belong to: id, credit code or name.")
    ],
    source: Annotated[
        list[str], typer.Option(help="Source id or name, most authoritative first (repeatable).")
    ] = [],  # noqa: B006 (typer reads the default; never mutated)
    library: Annotated[
        list[str], typer.Option(help="Library code or id: all its member sources (repeatable).")
    ] = [],  # noqa: B006
    kind: KindOption = "person",
    threshold: Annotated[float, typer.Option(help="Match probability threshold.")] = 0.9,
) -> None:
    """Link the records of sources into profiles; profile IDs stay stable across builds.

    Runs in the foreground: linking reads every record of the sources."""
    settings = load_settings()
    db = prepare_node(settings)

    def work(ctx: Context, run: Any) -> ProfileBuildOut:
        data = {
            "kind": kind,
            "organisation_id": _organisation_id(ctx, organisation),
            "source_ids": _source_ids(ctx, source, library),
            "threshold": threshold,
        }
        result: ProfileBuildOut = run("profile_build", data)
        return result

    out: ProfileBuildOut = _operate(settings, db, work)
    table = Table(title=f"{KIND_LABELS.get(out.kind, out.kind)}建档完成（{out.run_id}）")
    table.add_column("项目")
    table.add_column("数量", justify="right")
    for label, value in (
        ("记录", out.records),
        ("无有效证件号码的记录", out.keyless),
        ("概率匹配并入的记录", out.linked_probabilistically),
        ("档案", out.profiles),
        ("新建档案", out.created),
        ("沿用档案", out.kept),
        ("合并档案", len(out.merged)),
    ):
        table.add_row(label, str(value))
    console.print(table)
    for alias, survivor in out.merged:
        console.print(f"档案 {alias} 已并入 {survivor}")


@profiles_app.command("show")
def show(profile_id: Annotated[str, typer.Argument(help="Profile id.")]) -> None:
    """A profile's golden record with the source of every attribute, and its records."""
    settings = load_settings()
    db = prepare_node(settings)
    profile: ProfileOut = _operate(
        settings, db, lambda ctx, run: run("profile_get", {"id": profile_id})
    )
    if profile.requested_id != profile.id:
        console.print(f"档案 {escape(profile.requested_id)} 已并入 {profile.id}")
    golden = Table(title=f"{KIND_LABELS.get(profile.kind, profile.kind)} {profile.id}")
    for column in ("属性", "值", "来源", "版本", "更新时间", "其他取值"):
        golden.add_column(column)
    for attribute, chosen in profile.golden.items():
        others = [
            f"{c.value}（{c.source_name}）"
            for c in profile.candidates
            if c.attribute == attribute and not c.chosen
        ]
        golden.add_row(
            attribute_label(profile.kind, attribute),
            escape(chosen.value or ""),
            escape(chosen.source_name),
            "" if chosen.source_version is None else str(chosen.source_version),
            chosen.updated_at or "",
            escape("；".join(others)),
        )
    console.print(golden)
    records = Table(title="关联记录")
    for column in ("数据源", "版本", "记录", "关联方式", "匹配概率"):
        records.add_column(column)
    for record in profile.records:
        records.add_row(
            escape(record.source_name),
            "" if record.source_version is None else str(record.source_version),
            escape(record.record_key or ""),
            method_label(record.method),
            "" if record.match_probability is None else f"{record.match_probability:.3f}",
        )
    console.print(records)
    if profile.masked:
        shown = "、".join(
            f"{attribute_label(profile.kind, name)}（{MASKING_LABELS.get(how, how)}）"
            for name, how in profile.masked.items()
            if name != "record_key"
        )
        console.print(f"按读取身份遮蔽：{escape(shown)}")


@profiles_app.command("search")
def search(
    id_number: Annotated[str | None, typer.Option(help="Identity number (公民身份号码).")] = None,
    credit_code: Annotated[str | None, typer.Option(help="Unified social credit code.")] = None,
    name: Annotated[str | None, typer.Option(help="Exact name.")] = None,
    kind: KindOption = "person",
) -> None:
    """Profiles by identity number, credit code or exact name."""
    settings = load_settings()
    db = prepare_node(settings)
    data = {"kind": kind, "id_number": id_number, "credit_code": credit_code, "name": name}
    hits: ProfileHits = _operate(settings, db, lambda ctx, run: run("profile_search", data))
    if not hits.hits:
        console.print("没有找到档案")
        return
    table = Table(title=f"找到 {len(hits.hits)} 份档案")
    for column in ("档案编号", "名称", "记录数"):
        table.add_column(column)
    for hit in hits.hits:
        table.add_row(hit.id, escape(hit.name or ""), str(hit.records))
    console.print(table)
