"""What the aggregation and library pages share: their Chinese labels, the
names of form fields in error messages, navigation and page numbers."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request

from govdata.actions import ActionRegistry, Context
from govdata.aggregation.columns import CHECK_LABELS, COLUMN_TYPE_LABELS
from govdata.aggregation.convert import REASON_MESSAGES
from govdata.aggregation.sources.base import SOURCE_ERROR_CODES
from govdata.authz import OrgRef
from govdata.errors import GovdataError
from govdata.libraries.standards import STANDARDS, LibraryStandard
from govdata.portal.catalog_forms import tidy_message
from govdata.portal.common import page_chrome
from govdata.web.auth import Caller

# --- labels -------------------------------------------------------------------------

KIND_LABELS = {
    "csv": "CSV文件",
    "xlsx": "Excel文件（.xlsx）",
    "json": "JSON文件",
    "jsonl": "JSON Lines文件",
    "parquet": "Parquet文件",
    "sql": "数据库（SQL）",
    "http": "数据接口（HTTP）",
}
MODE_LABELS = {"physical": "物理归集", "logical": "逻辑接入"}
STRATEGY_LABELS = {"full": "全量", "incremental": "增量", "change_detection": "变化比对"}
DRIFT_LABELS = {"fail": "停止归集并报告", "evolve": "自动增加新列"}
RUN_STATUS_LABELS = {
    "queued": "排队中",
    "running": "进行中",
    "succeeded": "成功",
    "failed": "失败",
    "interrupted": "已中断",
}
ACTIVE_STATUSES = ("queued", "running")
TRIGGER_LABELS = {"manual": "手动", "schedule": "定时", "retry": "重试"}
OPERATION_LABELS = {
    "create": "建表",
    "overwrite": "全量覆盖",
    "append": "增量追加",
    "merge": "变化合并",
}
CHANGE_LABELS = {"added": "新增列", "missing": "缺少列"}
SOURCE_STATE_LABELS = {"active": "启用", "disabled": "停用"}
LIBRARY_KIND_LABELS = {"base": "基础库", "theme": "主题库"}
ENCODING_LABELS = {"": "自动检测", "utf-8": "UTF-8", "gbk": "GBK", "gb18030": "GB18030"}
TYPE_LABELS = {kind.value: label for kind, label in COLUMN_TYPE_LABELS.items()}
CHECKS = {check.value: label for check, label in CHECK_LABELS.items()}


def reason_label(code: str) -> str:
    """A run's error or a quarantine reason code in Chinese."""
    return REASON_MESSAGES.get(code) or SOURCE_ERROR_CODES.get(code) or code


@dataclass(frozen=True)
class Vocabulary:
    """Everything the aggregation templates show in Chinese."""

    kind: dict[str, str] = field(default_factory=lambda: KIND_LABELS)
    mode: dict[str, str] = field(default_factory=lambda: MODE_LABELS)
    strategy: dict[str, str] = field(default_factory=lambda: STRATEGY_LABELS)
    drift: dict[str, str] = field(default_factory=lambda: DRIFT_LABELS)
    status: dict[str, str] = field(default_factory=lambda: RUN_STATUS_LABELS)
    trigger: dict[str, str] = field(default_factory=lambda: TRIGGER_LABELS)
    operation: dict[str, str] = field(default_factory=lambda: OPERATION_LABELS)
    change: dict[str, str] = field(default_factory=lambda: CHANGE_LABELS)
    state: dict[str, str] = field(default_factory=lambda: SOURCE_STATE_LABELS)
    library_kind: dict[str, str] = field(default_factory=lambda: LIBRARY_KIND_LABELS)
    encoding: dict[str, str] = field(default_factory=lambda: ENCODING_LABELS)
    type: dict[str, str] = field(default_factory=lambda: TYPE_LABELS)
    check: dict[str, str] = field(default_factory=lambda: CHECKS)
    standards: dict[str, LibraryStandard] = field(default_factory=lambda: STANDARDS)

    def reason(self, code: str) -> str:
        return reason_label(code)


VOCAB = Vocabulary()

# Field paths of the source and library actions, for the list of problems.
FIELD_LABELS = {
    "entry_id": "所属目录",
    "name": "名称",
    "kind": "数据源类型",
    "mode": "接入方式",
    "location": "位置",
    "options": "读取选项",
    "columns": "列",
    "strategy": "归集策略",
    "key_columns": "主键列",
    "updated_column": "更新时间列",
    "drift_policy": "表结构变化时",
    "max_bad_ratio": "问题行比例上限",
    "schedule": "定时归集",
    "organisation_id": "所属机构",
    "code": "库代码",
    "description": "说明",
    "standard": "标准",
    "mapping": "列映射",
    "priority": "优先级",
    "source_id": "数据源",
    "body": "整体",
}
COLUMN_FIELD_LABELS = {
    "name": "列名",
    "label": "中文名称",
    "type": "类型",
    "required": "必填",
    "check": "校验",
    "source": "源列名",
}
_COLUMN_PATH = re.compile(r"^(columns|std)\.(\d+)(?:\.(\w+))?$")


def field_label(path: str) -> str:
    """``columns.3.type`` -> 列第4行·类型."""
    match = _COLUMN_PATH.match(path)
    if match is not None:
        _, index, name = match.groups()
        row = f"列第{int(index) + 1}行"
        return f"{row}·{COLUMN_FIELD_LABELS.get(name, name)}" if name else row
    head = path.split(".", 1)[0]
    return FIELD_LABELS.get(head, path)


@dataclass(frozen=True)
class Problem:
    """One error of a refused form: the field (path, Chinese name) and what is wrong."""

    field: str
    label: str
    message: str

    @property
    def anchor(self) -> str:
        return "f-" + self.field.replace(".", "-")


def problems_of(
    error: GovdataError | None, paths: Mapping[str, str] | None = None
) -> tuple[dict[str, str], list[Problem]]:
    """The messages by field path (shown inline) and the summary list; ``paths``
    renames an action's field paths to the form's."""
    if error is None:
        return {}, []
    inline: dict[str, str] = {}
    for path, message in error.fields.items():
        inline[(paths or {}).get(path, path)] = tidy_message(message)
    summary = [Problem(path, field_label(path), message) for path, message in inline.items()]
    return inline, summary


# --- navigation and page numbers ----------------------------------------------------


def area_chrome(request: Request, caller: Caller, title: str, active: str) -> dict[str, Any]:
    """The portal chrome of an aggregation or library page."""
    return page_chrome(request, caller, title, active)


def page_number(request: Request) -> int:
    raw = request.query_params.get("page", "1")
    return min(max(int(raw), 1), 100_000) if raw.isdigit() else 1


def org_target(ctx: Context, registry: ActionRegistry, organisation_id: str) -> OrgRef:
    org = registry.run("organisation_show", ctx, {"id": organisation_id})
    return OrgRef(id=org.id, path=org.path)
