"""Where a catalog entry or a stored table departs from the data elements (G7).

A catalog entry's information items are matched to elements by name (or an
alias); a source's declared columns by column name first, then by label. A
matched item or column is compared with its element:

==================  ========  =====================================================
problem             severity  when
==================  ========  =====================================================
``type_differs``    error     the data type is not the element's
``length_short``    error     shorter than the element's length (values get cut)
``length_longer``   warning   longer than the element's length
``check_missing``   warning   a column of an element with a standard check
                              (GB 11643, GB 32100, GB/T 2260...) does not declare it
``code_values``     error     stored values outside the element's code list
                              (the values and their counts are reported)
``unmatched``       info      no element stands for the item or column
``conforms``        ok        nothing departs
==================  ========  =====================================================

The conformance ratio is conforming ÷ matched items or columns.
"""

from __future__ import annotations

from collections.abc import Sequence

from govdata.aggregation.columns import ColumnSpec, ColumnType
from govdata.catalog.models import InformationItem
from govdata.catalog.vocab import DATA_TYPE_LABELS, DataType
from govdata.elements.catalogue import Matcher
from govdata.elements.schemas import ConformanceReport, Finding
from govdata.elements.standard import Element
from govdata.lake.protection import is_encrypted_type
from govdata.lake.query import LakeReader
from govdata.lake.tables import LakeTable

# A column type stands for these catalog data types.
COLUMN_TYPES: dict[ColumnType, frozenset[str]] = {
    ColumnType.STRING: frozenset({"C", "M", "G"}),
    ColumnType.INTEGER: frozenset({"I", "N", "G"}),
    ColumnType.DECIMAL: frozenset({"N", "Y", "B", "F", "G"}),
    ColumnType.DATE: frozenset({"D", "G"}),
    ColumnType.TIMESTAMP: frozenset({"T", "G"}),
    ColumnType.BOOLEAN: frozenset({"L", "G"}),
}
SIZED = frozenset({"C", "N"})
MAX_VALUES_SHOWN = 20


def _type_label(code: str) -> str:
    try:
        return DATA_TYPE_LABELS[DataType(code)]
    except ValueError:
        return code


def _finding(
    subject: str, element: Element | None, problem: str, severity: str, message: str
) -> Finding:
    return Finding(
        subject=subject,
        element=element.code if element else None,
        element_name=element.name if element else None,
        problem=problem,
        severity=severity,
        message=message,
    )


def _length_findings(subject: str, element: Element, length: int | None) -> list[Finding]:
    if element.length is None or length is None or element.data_type not in SIZED:
        return []
    if length < element.length:
        return [
            _finding(
                subject,
                element,
                "length_short",
                "error",
                f"长度 {length} 短于数据元“{element.name}”的 {element.length}，值会被截断",
            )
        ]
    if length > element.length:
        return [
            _finding(
                subject,
                element,
                "length_longer",
                "warning",
                f"长度 {length} 长于数据元“{element.name}”的 {element.length}",
            )
        ]
    return []


def _summary(
    subject_id: str, kind: str, version: int | None, findings: list[Finding]
) -> ConformanceReport:
    matched = {f.subject for f in findings if f.element is not None}
    departing = {f.subject for f in findings if f.severity == "error"}
    return ConformanceReport(
        subject_id=subject_id,
        subject_kind=kind,
        version=version,
        matched=len(matched),
        conforming=len(matched - departing),
        findings=findings,
    )


def _settle(subject: str, element: Element, found: list[Finding]) -> list[Finding]:
    if found:
        return found
    return [_finding(subject, element, "conforms", "ok", f"符合数据元“{element.name}”")]


def check_items(
    entry_id: str, items: Sequence[InformationItem], matcher: Matcher
) -> ConformanceReport:
    findings: list[Finding] = []
    for item in items:
        element = matcher.by_name(item.name)
        if element is None:
            findings.append(_finding(item.name, None, "unmatched", "info", "未对应到数据元"))
            continue
        found: list[Finding] = []
        if item.data_type != element.data_type:
            found.append(
                _finding(
                    item.name,
                    element,
                    "type_differs",
                    "error",
                    f"数据类型为{_type_label(item.data_type)}，数据元“{element.name}”为"
                    f"{_type_label(element.data_type)}",
                )
            )
        found += _length_findings(item.name, element, item.length)
        findings += _settle(item.name, element, found)
    return _summary(entry_id, "entry", None, findings)


def _code_values(
    lake: LakeTable, version: int, column: str, codes: dict[str, str]
) -> tuple[int, dict[str, int]]:
    """How many stored values are outside the code list, and the commonest of them."""
    quoted = '"' + column.replace('"', '""') + '"'
    placeholders = ", ".join("?" for _ in codes)
    outside = f"{quoted} IS NOT NULL AND CAST({quoted} AS VARCHAR) NOT IN ({placeholders})"
    reader = LakeReader()
    tables = {"t": (lake, version)}
    total = reader.sql(tables, f"SELECT count(*) FROM t WHERE {outside}", list(codes))  # noqa: S608
    top = reader.sql(
        tables,
        f"SELECT CAST({quoted} AS VARCHAR) AS v, count(*) AS n FROM t WHERE {outside} "  # noqa: S608
        f"GROUP BY 1 ORDER BY n DESC, v LIMIT {MAX_VALUES_SHOWN}",
        list(codes),
    )
    values = {
        str(v): int(n)
        for v, n in zip(top.column(0).to_pylist(), top.column(1).to_pylist(), strict=True)
    }
    return int(total.column(0)[0].as_py()), values


def check_columns(
    source_id: str,
    columns: Sequence[ColumnSpec],
    matcher: Matcher,
    lake: LakeTable | None,
    version: int | None,
) -> ConformanceReport:
    stored = lake.schema(version) if lake is not None and version is not None else None
    findings: list[Finding] = []
    for column in columns:
        subject = column.name
        element = matcher.match(column.name, column.label)
        if element is None:
            findings.append(_finding(subject, None, "unmatched", "info", "未对应到数据元"))
            continue
        found: list[Finding] = []
        if element.data_type not in COLUMN_TYPES[column.type]:
            found.append(
                _finding(
                    subject,
                    element,
                    "type_differs",
                    "error",
                    f"列类型与数据元“{element.name}”的{_type_label(element.data_type)}不符",
                )
            )
        if column.type == ColumnType.STRING:
            found += _length_findings(subject, element, column.max_length)
        if element.check is not None and column.check != element.check:
            found.append(
                _finding(
                    subject,
                    element,
                    "check_missing",
                    "warning",
                    f"数据元“{element.name}”要求按 {element.standard or element.check.value} 校验，"
                    "该列未声明",
                )
            )
        if element.codes and stored is not None and lake is not None and version is not None:
            index = stored.get_field_index(column.name)
            if index >= 0 and not is_encrypted_type(stored.field(index).type):
                count, values = _code_values(lake, version, column.name, element.codes)
                if count:
                    finding = _finding(
                        subject,
                        element,
                        "code_values",
                        "error",
                        f"第 {version} 版有 {count} 个值不在“{element.name}”的代码表中",
                    )
                    finding.values = values
                    found.append(finding)
        findings += _settle(subject, element, found)
    return _summary(source_id, "source", version, findings)
