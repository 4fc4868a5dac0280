"""The catalog bulk format: import plans that say row and column, exports that import back."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from datetime import UTC, date, datetime
from pathlib import Path

import openpyxl  # type: ignore[import-untyped]
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from govdata.catalog.codes import classification_options
from govdata.catalog.schemas import (
    EntryCreate,
    EntryMetadata,
    EntryOut,
    ItemIn,
    ItemOut,
    ProviderOut,
    ResourceIn,
    ResourceOut,
    VersionOut,
)
from govdata.catalog.transfer import (
    COLUMNS,
    ImportPlan,
    RefusedRow,
    export_objects,
    export_rows,
    plan_import,
    plan_import_json,
    write_csv,
    write_json,
    write_refusals,
    write_xlsx,
)
from govdata.catalog.vocab import (
    DataType,
    FormatCategory,
    Grade,
    OpenType,
    ResourceKind,
    ShareMethod,
    ShareType,
    UpdateCycle,
    VersionStatus,
    highest_grade,
)
from govdata.errors import InvalidInput
from govdata.orgs.codes import make_credit_code
from govdata.tabular import Table, TableError, TableErrorCode, read_table

DEPT_A = make_credit_code("11150100MB0000001")
DEPT_B = make_credit_code("11150100MB0000002")
UNREGISTERED = make_credit_code("12150000MB0000003")
ORGANISATIONS = {DEPT_A: "org-a", DEPT_B: "org-b"}
lookup = ORGANISATIONS.get

POPULATION = "101001/000001"
COMPANIES = "102001/000001"


def row(code: str = POPULATION, cells: dict[str, str] | None = None) -> dict[str, str]:
    """A valid row of an entry without items, with some cells replaced."""
    base = dict.fromkeys(COLUMNS, "")
    base.update(
        {
            "资源代码": code,
            "资源名称": "人口基本信息",
            "分类代码": code.split("/", maxsplit=1)[0],
            "提供部门统一社会信用代码": DEPT_A,
            "资源格式": "数据库",
            "共享类型": "无条件共享",
            "共享方式": "接口、库表",
            "开放类型": "不予开放",
            "更新周期": "每月",
        }
    )
    base.update(cells or {})
    return base


def item(name: str, data_type: str = "字符型", length: str = "50", **more: str) -> dict[str, str]:
    cells = {"信息项名称": name, "数据类型": data_type, "数据长度": length}
    cells.update({{"grade": "数据分级", "sensitive": "是否敏感"}[k]: v for k, v in more.items()})
    return cells


def csv_table(rows: Sequence[dict[str, str]], header: Sequence[str] = COLUMNS) -> Table:
    buffer = io.StringIO(newline="")
    writer = csv.DictWriter(buffer, fieldnames=list(header), extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    return read_table(buffer.getvalue().encode("utf-8"))


def plan(rows: Sequence[dict[str, str]]) -> ImportPlan:
    return plan_import(csv_table(rows), lookup)


def refusals(rows: Sequence[dict[str, str]]) -> list[tuple[int, str, str]]:
    """(row, column, reason) of each refusal; the planned entries must exclude them."""
    result = plan(rows)
    refused_codes = {r.resource_code for r in result.refused}
    assert not refused_codes & {entry.resource_code for entry in result.entries}
    return [(r.row, r.column, r.reason) for r in result.refused]


def only_refusal(rows: Sequence[dict[str, str]]) -> tuple[int, str, str]:
    found = refusals(rows)
    assert len(found) == 1, found
    return found[0]


# ---------------------------------------------------------------------------
# Valid files
# ---------------------------------------------------------------------------

ABSTRACT = {"摘要": "全区户籍人口"}
VALID_ROWS = [
    row(cells={**ABSTRACT, **item("姓名", grade="一般数据（2级）", sensitive="否")}),
    row(cells={**ABSTRACT, **item("公民身份号码", "C", "18", grade="重要数据", sensitive="是")}),
    row(
        COMPANIES,
        {
            "资源名称": "法人单位基本信息",
            "提供部门统一社会信用代码": DEPT_B,
            "资源格式": "interface",
            "共享类型": "conditional",
            "共享条件": "仅用于市场监管",
            "共享方式": "接口;文件",
            "开放类型": "有条件开放",
            "更新周期": "daily",
            "关联资源代码": POPULATION,
        },
    ),
    row(cells={**ABSTRACT, **item("出生日期", "D", "", grade="general_3", sensitive="true")}),
]


def expected_payloads() -> list[EntryCreate]:
    common = {
        "classification_code": "101001",
        "format_category": "database",
        "share_type": "unconditional",
        "share_methods": ["interface", "table"],
        "open_type": "none",
        "update_cycle": "monthly",
    }
    return [
        EntryCreate.model_validate(
            {
                **common,
                "resource_code": POPULATION,
                "name": "人口基本信息",
                "organisation_id": "org-a",
                "abstract": "全区户籍人口",
                "items": [
                    {"name": "姓名", "data_type": "C", "length": 50, "grade": "general_2"},
                    {
                        "name": "公民身份号码",
                        "data_type": "C",
                        "length": 18,
                        "grade": "important",
                        "sensitive": True,
                    },
                    {"name": "出生日期", "data_type": "D", "grade": "general_3", "sensitive": True},
                ],
            }
        ),
        EntryCreate(
            resource_code=COMPANIES,
            name="法人单位基本信息",
            classification_code="102001",
            organisation_id="org-b",
            format_category=FormatCategory.INTERFACE,
            share_type=ShareType.CONDITIONAL,
            share_conditions="仅用于市场监管",
            share_methods=[ShareMethod.INTERFACE, ShareMethod.FILE],
            open_type=OpenType.CONDITIONAL,
            update_cycle=UpdateCycle.DAILY,
            related_codes=[POPULATION],
        ),
    ]


def test_a_valid_csv_plans_each_entry_with_its_items_from_rows_anywhere_in_the_file() -> None:
    result = plan(VALID_ROWS)
    assert result.refused == []
    assert [(e.resource_code, e.rows) for e in result.entries] == [
        (POPULATION, [2, 3, 5]),
        (COMPANIES, [4]),
    ]
    assert [e.payload for e in result.entries] == expected_payloads()


def test_a_valid_xlsx_plans_the_same_entries(tmp_path: Path) -> None:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(COLUMNS)
    for cells in VALID_ROWS:
        sheet.append([int(v) if v.isdigit() else v for v in (cells[c] for c in COLUMNS)])
    path = tmp_path / "目录.xlsx"
    workbook.save(path)
    result = plan_import(read_table(path), lookup)
    assert result.refused == []
    assert [e.payload for e in result.entries] == expected_payloads()


def test_optional_columns_may_be_left_out_of_the_header() -> None:
    required = [
        "资源代码",
        "资源名称",
        "分类代码",
        "提供部门统一社会信用代码",
        "资源格式",
        "共享类型",
        "开放类型",
        "更新周期",
    ]
    result = plan_import(csv_table([row()], header=required), lookup)
    assert result.refused == []
    assert result.entries[0].payload.share_methods == []
    assert result.entries[0].payload.items == []


def test_labels_are_read_ignoring_width_and_case_of_codes() -> None:
    cells = item("金额", "n", "12", grade="一般数据(3级)", sensitive="TRUE")
    payload = plan([row(cells={**cells, "共享类型": "Unconditional"})]).entries[0].payload
    assert payload.items == [
        ItemIn(
            name="金额",
            data_type=DataType.NUMERIC,
            length=12,
            grade=Grade.GENERAL_3,
            sensitive=True,
        )
    ]
    assert payload.share_type is ShareType.UNCONDITIONAL


def test_a_header_without_required_columns_or_with_unknown_ones_is_refused_whole() -> None:
    with pytest.raises(TableError) as caught:
        plan_import(
            csv_table([{"资源代码": POPULATION, "备注": "x"}], ["资源代码", "备注"]), lookup
        )
    assert caught.value.error_code == TableErrorCode.COLUMNS_MISMATCH
    assert caught.value.fields["资源名称"] == "缺少此列"
    assert caught.value.fields["备注"] == "无法识别的列"


# ---------------------------------------------------------------------------
# Refusals: one reason per row and column
# ---------------------------------------------------------------------------


def test_an_invalid_resource_code_is_refused_at_its_column() -> None:
    number, column, reason = only_refusal([row("101001-000001", {"分类代码": "101001"})])
    assert (number, column) == (2, "资源代码")
    assert "分类代码/6位顺序码" in reason


def test_a_classification_that_does_not_match_the_resource_code_is_refused() -> None:
    number, column, reason = only_refusal([row(cells={"分类代码": "102001"})])
    assert (number, column) == (2, "分类代码")
    assert reason == "分类代码“102001”与资源代码的分类码“101001”不一致"


def test_unknown_enumeration_values_are_refused_listing_the_choices() -> None:
    found = refusals(
        [
            row(COMPANIES, {"共享类型": "随便共享"}),
            row(cells=item("性别", "字符")),
            row(cells=item("民族", grade="绝密")),
        ]
    )
    assert found == [
        (2, "共享类型", "“随便共享”不是有效的共享类型，可填：无条件共享、有条件共享、不予共享"),
        (3, "数据类型", found[1][2]),
        (4, "数据分级", found[2][2]),
    ]
    assert "“字符”不是有效的数据类型" in found[1][2]
    assert "字符型" in found[1][2]
    assert "核心数据" in found[2][2]


def test_an_unknown_share_method_in_a_list_is_refused() -> None:
    assert only_refusal([row(cells={"共享方式": "接口、邮寄"})])[:2] == (2, "共享方式")


def test_missing_required_values_are_refused_at_each_column() -> None:
    found = refusals([row(cells={"资源名称": "", "更新周期": ""})])
    assert [(number, column) for number, column, _ in found] == [(2, "资源名称"), (2, "更新周期")]
    assert all(reason.startswith("必填") for _, _, reason in found)


def test_an_unknown_or_malformed_provider_credit_code_is_refused() -> None:
    number, column, reason = only_refusal([row(cells={"提供部门统一社会信用代码": UNREGISTERED})])
    assert (number, column) == (2, "提供部门统一社会信用代码")
    assert UNREGISTERED in reason
    malformed = DEPT_A[:-1] + ("0" if DEPT_A[-1] != "0" else "1")
    assert "校验位" in only_refusal([row(cells={"提供部门统一社会信用代码": malformed})])[2]


def test_entry_columns_that_differ_between_rows_of_an_entry_are_refused_naming_both_rows() -> None:
    found = refusals(
        [
            row(cells=item("姓名")),
            row(COMPANIES),
            row(cells={"资源名称": "人口信息", **item("性别")}),
        ]
    )
    assert found == [
        (
            4,
            "资源名称",
            "同一资源代码各行的“资源名称”应相同：第2行为“人口基本信息”，第4行为“人口信息”",
        )
    ]


def test_the_same_value_written_as_label_or_code_is_not_a_difference() -> None:
    result = plan(
        [
            row(cells=item("姓名")),
            row(cells={"更新周期": "monthly", "共享方式": "接口;库表", **item("性别")}),
        ]
    )
    assert result.refused == []


def test_duplicate_item_names_are_refused_at_the_repeated_row() -> None:
    found = refusals([row(cells=item("姓名")), row(cells=item("性别")), row(cells=item("姓名"))])
    assert found == [(4, "信息项名称", "信息项“姓名”与第2行重复")]


def test_an_item_error_is_reported_at_the_row_of_that_item() -> None:
    rows = [row(cells=item(name)) for name in ("姓名", "性别", "民族")]
    rows.append(row(cells=item("住址", data_type="")))  # items.3.data_type
    rows.append(row(cells=item("备注", length="0")))
    rows.append(row(cells=item("电话", sensitive="可能")))
    rows.append(row(cells=item("", length="10")))
    found = refusals(rows)
    assert [(number, column) for number, column, _ in found] == [
        (5, "数据类型"),
        (6, "数据长度"),
        (7, "是否敏感"),
        (8, "信息项名称"),
    ]
    assert found[0][2].startswith("必填")
    assert "正整数" in found[1][2]


def test_a_related_code_is_checked_one_by_one() -> None:
    number, column, reason = only_refusal([row(cells={"关联资源代码": f"{COMPANIES}、abc"})])
    assert (number, column) == (2, "关联资源代码")
    assert reason.startswith("第2项：")
    assert (
        only_refusal([row(cells={"关联资源代码": POPULATION})])[2] == "关联资源代码不能是本资源自身"
    )


def test_a_row_without_resource_code_is_refused_alone() -> None:
    result = plan([row(cells=item("姓名")), row("", item("性别"))])
    assert [(r.row, r.resource_code, r.column) for r in result.refused] == [(3, "", "资源代码")]
    assert [e.resource_code for e in result.entries] == [POPULATION]


def test_one_bad_row_keeps_its_whole_entry_out_while_other_entries_are_planned() -> None:
    result = plan(
        [
            row(cells=item("姓名")),
            row(COMPANIES, {"资源名称": "法人单位"}),
            row(cells=item("性别", "X")),
        ]
    )
    assert [e.resource_code for e in result.entries] == [COMPANIES]
    assert result.refused_codes == [POPULATION]
    assert [(r.row, r.column) for r in result.refused] == [(4, "数据类型")]


def test_refusals_are_written_as_a_csv_report(tmp_path: Path) -> None:
    path = tmp_path / "refused.csv"
    write_refusals([RefusedRow(4, POPULATION, "数据类型", "“X”不是有效的数据类型")], path)
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")
    report = read_table(path)
    assert report.header == ["行号", "资源代码", "列", "原因"]
    assert report.rows[0].values == {
        "行号": "4",
        "资源代码": POPULATION,
        "列": "数据类型",
        "原因": "“X”不是有效的数据类型",
    }


# ---------------------------------------------------------------------------
# JSON
# ---------------------------------------------------------------------------


def json_object(**changes: object) -> dict[str, object]:
    base: dict[str, object] = {
        "resource_code": POPULATION,
        "name": "人口基本信息",
        "classification_code": "101001",
        "provider_credit_code": DEPT_A,
        "format_category": "database",
        "share_type": "unconditional",
        "open_type": "none",
        "update_cycle": "monthly",
        "items": [{"name": "姓名", "data_type": "C", "length": 50}],
        "resources": [{"name": "人口库", "kind": "table", "location": "pop.person"}],
    }
    base.update(changes)
    return base


def test_a_json_array_plans_entries_with_their_data_resources() -> None:
    result = plan_import_json(
        [json_object(), json_object(resource_code=COMPANIES, classification_code="102001")], lookup
    )
    assert result.refused == []
    first = result.entries[0]
    assert (first.resource_code, first.rows) == (POPULATION, [1])
    assert first.payload.organisation_id == "org-a"
    assert first.payload.resources == [
        ResourceIn(name="人口库", kind=ResourceKind.TABLE, location="pop.person")
    ]


def test_json_refusals_are_numbered_by_position_and_name_the_field() -> None:
    result = plan_import_json(
        [
            json_object(),
            "not an object",
            json_object(
                resource_code=COMPANIES,
                classification_code="102001",
                provider_credit_code=UNREGISTERED,
            ),
            json_object(
                resource_code="101001/000002", items=[{"name": "姓名", "data_type": "字符型"}]
            ),
            json_object(resource_code="101001/000003", organisation_id="org-b"),
            json_object(resource_code="101001/000004", shared=True),
            json_object(),
        ],
        lookup,
    )
    assert result.entries == []
    assert [(r.row, r.column) for r in result.refused] == [
        (1, "resource_code"),
        (2, ""),
        (3, "provider_credit_code"),
        (4, "items.0.data_type"),
        (5, "organisation_id"),
        (6, "shared"),
        (7, "resource_code"),
    ]
    assert result.refused[0].reason == "资源代码在文件中重复（另见第7条）"


def test_json_that_is_not_an_array_is_refused() -> None:
    with pytest.raises(InvalidInput):
        plan_import_json({"entries": []}, lookup)


# ---------------------------------------------------------------------------
# Export and round trips
# ---------------------------------------------------------------------------

NOW = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


def published(metadata: EntryMetadata, credit_code: str = DEPT_A) -> EntryOut:
    version = VersionOut(
        number=1,
        status=VersionStatus.PUBLISHED,
        provider_code=credit_code,
        **metadata.model_dump(exclude={"items", "resources"}),
        items=[ItemOut(**i.model_dump()) for i in metadata.items],
        resources=[ResourceOut(**r.model_dump(), system_name=None) for r in metadata.resources],
        grade=highest_grade([i.grade for i in metadata.items]),
        publish_date=date(2026, 1, 5),
        created_at=NOW,
        created_by="provider",
        submitted_at=NOW,
        reviewed_at=NOW,
        reviewed_by="reviewer",
        review_reasons=[],
    )
    provider = ProviderOut(
        id=ORGANISATIONS[credit_code],
        name="某部门",
        credit_code=credit_code,
        division_code="150100",
    )
    return EntryOut(
        id=f"entry-{metadata.resource_code}",
        resource_code=metadata.resource_code,
        provider=provider,
        published=version,
        working=None,
        versions=[],
    )


def as_create(entry: EntryOut) -> EntryCreate:
    """What importing an exported entry should give back (data resources aside)."""
    assert entry.published is not None
    data = entry.published.model_dump(include=set(EntryMetadata.model_fields) - {"resources"})
    return EntryCreate.model_validate({**data, "organisation_id": entry.provider.id})


def test_export_rows_repeat_the_entry_on_each_item_row_with_chinese_labels() -> None:
    population, companies = expected_payloads()
    draft_only = published(companies, DEPT_B).model_copy(update={"published": None})
    rows = export_rows([published(population), published(companies, DEPT_B), draft_only])
    assert [(r["资源代码"], r["信息项名称"]) for r in rows] == [
        (POPULATION, "姓名"),
        (POPULATION, "公民身份号码"),
        (POPULATION, "出生日期"),
        (COMPANIES, ""),
    ]
    assert all(list(r) == COLUMNS for r in rows)
    assert rows[1]["数据类型"] == "字符型"
    assert rows[1]["数据分级"] == "重要数据"
    assert rows[1]["是否敏感"] == "是"
    assert rows[2]["数据长度"] == ""
    assert rows[3]["共享方式"] == "接口、文件"
    assert rows[3]["提供部门统一社会信用代码"] == DEPT_B
    assert rows[0]["资源名称"] == rows[2]["资源名称"] == "人口基本信息"


def test_write_xlsx_has_a_bold_frozen_header_text_cells_and_no_merges(tmp_path: Path) -> None:
    metadata = expected_payloads()[0].model_copy(update={"abstract": '=HYPERLINK("x")'})
    path = tmp_path / "export.xlsx"
    write_xlsx(export_rows([published(metadata)]), path)
    sheet = openpyxl.load_workbook(path).active
    assert [cell.value for cell in sheet[1]] == COLUMNS
    assert all(cell.font.bold for cell in sheet[1])
    assert sheet.freeze_panes == "A2"
    assert not sheet.merged_cells.ranges
    abstract = sheet.cell(row=2, column=COLUMNS.index("摘要") + 1)
    assert (abstract.value, abstract.data_type) == ('=HYPERLINK("x")', "s")


def test_write_csv_has_a_bom_and_defuses_cells_excel_would_run(tmp_path: Path) -> None:
    metadata = expected_payloads()[0].model_copy(update={"abstract": "=1+1", "format_detail": "'x"})
    path = tmp_path / "export.csv"
    write_csv(export_rows([published(metadata)]), path)
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    assert b",'=1+1," in raw
    assert b",''x," in raw
    result = plan_import(read_table(path), lookup)
    assert result.entries[0].payload.abstract == "=1+1"
    assert result.entries[0].payload.format_detail == "'x"


def test_line_breaks_of_any_style_are_read_as_line_feeds() -> None:
    buffer = io.StringIO(newline="")
    writer = csv.DictWriter(buffer, fieldnames=COLUMNS)
    writer.writeheader()
    writer.writerow(row(cells={"摘要": "第一行\r\n第二行\r第三行"}))
    result = plan_import(read_table(buffer.getvalue().encode()), lookup)
    assert result.entries[0].payload.abstract == "第一行\n第二行\n第三行"


# Text as people type it, with what a spreadsheet could take for a formula,
# separators of the list columns, quotes and line breaks.
TEXT_ALPHABET = "人口法单位数据信息甲乙abcXYZ019 =+-@'\"、，,;；（）\n\t"
texts = st.text(alphabet=TEXT_ALPHABET, max_size=24).map(str.strip)
names = texts.filter(lambda text: len(text) >= 2)
CLASSIFICATIONS = [code for code, _ in classification_options()]


@st.composite
def resource_codes(draw: st.DrawFn) -> tuple[str, str]:
    classification = draw(st.sampled_from(CLASSIFICATIONS)) + draw(
        st.sampled_from(["", "001", "120"])
    )
    sequence = draw(st.integers(min_value=1, max_value=999_999))
    return classification, f"{classification}/{sequence:06d}"


items = st.builds(
    ItemIn,
    name=names.filter(lambda text: len(text) <= 100),
    data_type=st.sampled_from(DataType),
    length=st.none() | st.integers(min_value=1, max_value=1_000_000),
    grade=st.sampled_from(Grade),
    sensitive=st.booleans(),
    description=texts,
)


@st.composite
def metadata(draw: st.DrawFn) -> EntryMetadata:
    classification, code = draw(resource_codes())
    related = draw(st.lists(resource_codes().map(lambda pair: pair[1]), max_size=3))
    return EntryMetadata(
        name=draw(names),
        classification_code=classification,
        resource_code=code,
        abstract=draw(texts),
        format_category=draw(st.sampled_from(FormatCategory)),
        format_detail=draw(texts),
        items=draw(st.lists(items, max_size=5, unique_by=lambda i: i.name)),
        share_type=draw(st.sampled_from(ShareType)),
        share_conditions=draw(texts),
        share_methods=draw(st.lists(st.sampled_from(ShareMethod), unique=True)),
        open_type=draw(st.sampled_from(OpenType)),
        open_conditions=draw(texts),
        update_cycle=draw(st.sampled_from(UpdateCycle)),
        related_codes=[other for other in related if other != code],
        resources=draw(
            st.lists(
                st.builds(
                    ResourceIn, name=names, kind=st.sampled_from(ResourceKind), location=texts
                ),
                max_size=2,
            )
        ),
    )


catalogs = st.lists(
    st.tuples(metadata(), st.sampled_from([DEPT_A, DEPT_B])),
    min_size=1,
    max_size=4,
    unique_by=lambda pair: pair[0].resource_code,
).map(lambda pairs: [published(m, credit) for m, credit in pairs])

ROUND_TRIP = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@ROUND_TRIP
@given(entries=catalogs)
def test_csv_export_imports_back_as_the_same_payloads(
    tmp_path_factory: pytest.TempPathFactory, entries: list[EntryOut]
) -> None:
    path = tmp_path_factory.mktemp("csv") / "目录.csv"
    write_csv(export_rows(entries), path)
    result = plan_import(read_table(path), lookup)
    assert result.refused == []
    assert [e.payload for e in result.entries] == [as_create(entry) for entry in entries]


@ROUND_TRIP
@given(entries=catalogs)
def test_xlsx_export_imports_back_as_the_same_payloads(
    tmp_path_factory: pytest.TempPathFactory, entries: list[EntryOut]
) -> None:
    path = tmp_path_factory.mktemp("xlsx") / "目录.xlsx"
    write_xlsx(export_rows(entries), path)
    result = plan_import(read_table(path), lookup)
    assert result.refused == []
    assert [e.payload for e in result.entries] == [as_create(entry) for entry in entries]


@ROUND_TRIP
@given(entries=catalogs)
def test_json_export_imports_back_with_data_resources(
    tmp_path_factory: pytest.TempPathFactory, entries: list[EntryOut]
) -> None:
    path = tmp_path_factory.mktemp("json") / "目录.json"
    write_json(entries, path)
    assert json.loads(path.read_text(encoding="utf-8")) == export_objects(entries)
    result = plan_import_json(json.loads(path.read_text(encoding="utf-8")), lookup)
    assert result.refused == []
    for planned, entry in zip(result.entries, entries, strict=True):
        assert entry.published is not None
        expected = as_create(entry).model_copy(
            update={
                "resources": [
                    ResourceIn(**r.model_dump(exclude={"system_name"}))
                    for r in entry.published.resources
                ]
            }
        )
        assert planned.payload == expected
