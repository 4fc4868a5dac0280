"""Detectors: which kind of sensitive value a column holds, and what to grade it.

A value counts only when its pattern **and** its check digit or structure agree
(:mod:`govdata.masking.values`); a column's kind is the one the largest share
of its non-empty values passes, if that share reaches ``min_share``. The
proposal uses the catalog's GB/T 43697 grades (:class:`~govdata.catalog.vocab.Grade`):

=================  ===========  =========  =====================================
kind               grade        sensitive  why
=================  ===========  =========  =====================================
id_number          general_4    yes        sensitive personal information
bank_card          general_4    yes        financial account (sensitive)
mobile, name,      general_3    yes        personal information that identifies
address, email                             or locates a person
landline           general_2    yes        often an office line, still personal
date of birth      general_3    yes        a date in a field named 出生/生日/birth
other dates        general_1    no
credit_code        general_1    no         organisations' codes are public
=================  ===========  =========  =====================================

ID numbers and bank cards of a large population (``population`` at least
:data:`IMPORTANT_DATA_POPULATION`) are proposed as **important data**
candidates (``important``), to be confirmed by a person. A column in which no
kind dominates but values carry IDs, mobiles... inside longer text is proposed
as ``free_text`` with the highest grade of what was found in it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeAlias

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from govdata.aggregation.vectorized import TextColumn
from govdata.catalog.vocab import GRADE_LABELS, Grade
from govdata.masking import column_checks
from govdata.masking.kinds import KIND_LABELS, SensitiveKind
from govdata.masking.text import find_in_text
from govdata.masking.values import CHECKS

KIND_GRADES: dict[SensitiveKind, Grade] = {
    SensitiveKind.ID_NUMBER: Grade.GENERAL_4,
    SensitiveKind.BANK_CARD: Grade.GENERAL_4,
    SensitiveKind.MOBILE: Grade.GENERAL_3,
    SensitiveKind.NAME: Grade.GENERAL_3,
    SensitiveKind.ADDRESS: Grade.GENERAL_3,
    SensitiveKind.EMAIL: Grade.GENERAL_3,
    SensitiveKind.LANDLINE: Grade.GENERAL_2,
    SensitiveKind.DATE: Grade.GENERAL_1,
    SensitiveKind.CREDIT_CODE: Grade.GENERAL_1,
}
NOT_SENSITIVE = frozenset({SensitiveKind.CREDIT_CODE, SensitiveKind.DATE})
BIRTH_DATE_GRADE = Grade.GENERAL_3
BIRTH_HINTS = ("出生", "生日", "birth")
IMPORTANT_DATA_POPULATION = 1_000_000
IMPORTANT_CANDIDATE_KINDS = frozenset({SensitiveKind.ID_NUMBER, SensitiveKind.BANK_CARD})
DEFAULT_MIN_SHARE = 0.6
# Below the dominant-kind share, this share of sensitive values still flags a column.
TRACE_SHARE = 0.05
_FREE_TEXT_SCAN_LIMIT = 5_000

# Necessary conditions (RE2) for the kinds checked one distinct value at a time.
_CANDIDATE_PATTERNS = {
    SensitiveKind.LANDLINE: r"^(?:\+?86[- ]?)?\(?0\d{2,3}\)?[- ]?[2-9]\d{6,7}(?:-\d{1,6})?$",
    SensitiveKind.EMAIL: r"^[^@\s]+@[^@\s]+\.[A-Za-z]{2,24}$",
    SensitiveKind.DATE: r"^\d{4}(?:[-/.]\d{1,2}[-/.]\d{1,2}|年\d{1,2}月\d{1,2}日?|\d{4})$",
    SensitiveKind.NAME: r"^[\x{3400}-\x{4DBF}\x{4E00}-\x{9FFF}]{2,4}$",
    SensitiveKind.ADDRESS: r"[省市州盟县区旗镇乡]|街道|苏木",  # every division suffix has one
}

ColumnSample: TypeAlias = "pa.Array | pa.ChunkedArray | Sequence[object]"


@dataclass(frozen=True)
class ColumnFinding:
    """What a column sample holds and the proposed grade and sensitive flag."""

    kind: SensitiveKind | None
    share: float
    grade: Grade | None
    sensitive: bool
    checked: int
    reason: str
    important_candidate: bool = False
    shares: Mapping[SensitiveKind, float] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": None if self.kind is None else str(self.kind),
            "share": round(self.share, 4),
            "grade": None if self.grade is None else str(self.grade),
            "sensitive": self.sensitive,
            "important_candidate": self.important_candidate,
            "checked": self.checked,
            "shares": {str(kind): round(share, 4) for kind, share in self.shares.items()},
            "reason": self.reason,
        }


def _prepare(values: ColumnSample) -> pa.Array:
    """Trimmed strings with empty values as nulls (typed dates are left as they are)."""
    if isinstance(values, pa.ChunkedArray):
        array = values.combine_chunks() if values.num_chunks else pa.array([], pa.string())
    elif isinstance(values, pa.Array):
        array = values
    else:
        array = pa.array([None if v is None else str(v) for v in values], type=pa.string())
    if pa.types.is_date(array.type) or pa.types.is_timestamp(array.type):
        return array
    if not pa.types.is_string(array.type):
        array = pc.cast(array, pa.string())
    trimmed = pc.utf8_trim_whitespace(array)
    return pc.if_else(pc.equal(trimmed, ""), pa.scalar(None, pa.string()), trimmed)


def kind_shares(values: ColumnSample) -> tuple[int, dict[SensitiveKind, float]]:
    """How many non-empty values there are, and the share of them valid for each kind."""
    array = _prepare(values)
    given = len(array) - array.null_count
    if given == 0:
        return 0, {}
    if not pa.types.is_string(array.type):
        return given, {SensitiveKind.DATE: 1.0}
    text = TextColumn(array)
    passed = {
        SensitiveKind.ID_NUMBER: column_checks.id_numbers(text),
        SensitiveKind.CREDIT_CODE: column_checks.credit_codes(array),
        SensitiveKind.BANK_CARD: column_checks.bank_cards(text),
        SensitiveKind.MOBILE: column_checks.mobiles(array, text),
    }
    for kind, check in CHECKS:
        if kind not in passed:
            passed[kind] = column_checks.prefiltered(array, _CANDIDATE_PATTERNS[kind], check)
    shares = {kind: float(np.count_nonzero(passed[kind])) / given for kind, _ in CHECKS}
    return given, {kind: share for kind, share in shares.items() if share > 0}


def _grade(kind: SensitiveKind, field_name: str | None) -> tuple[Grade, bool]:
    if kind is SensitiveKind.DATE and field_name and _is_birth_field(field_name):
        return BIRTH_DATE_GRADE, True
    return KIND_GRADES[kind], kind not in NOT_SENSITIVE


def _is_birth_field(field_name: str) -> bool:
    lowered = field_name.lower()
    return any(hint in lowered for hint in BIRTH_HINTS)


def detect_column(
    values: ColumnSample,
    *,
    field_name: str | None = None,
    min_share: float = DEFAULT_MIN_SHARE,
    population: int | None = None,
) -> ColumnFinding:
    """The kind, share, proposed grade and sensitive flag of a column sample.

    ``population`` is how many people (rows) the whole column covers, when
    known; it decides whether ID numbers and bank cards are an important-data
    candidate.
    """
    checked, shares = kind_shares(values)
    if checked == 0:
        return ColumnFinding(None, 0.0, None, False, 0, "样本中没有非空值，无法判断")
    order = [kind for kind, _ in CHECKS]
    best = max(shares, key=lambda kind: (shares[kind], -order.index(kind)), default=None)
    if best is not None and shares[best] >= min_share:
        return _finding(best, shares, checked, field_name, population)
    embedded = _free_text(values)
    if embedded is not None:
        share, grade, found = embedded
        labels = "、".join(KIND_LABELS[kind] for kind in found)
        return ColumnFinding(
            kind=SensitiveKind.FREE_TEXT,
            share=share,
            grade=grade,
            sensitive=True,
            checked=checked,
            reason=f"{share:.0%}的值在文本中含有{labels}",
            shares=shares,
        )
    traces = [kind for kind in shares if kind not in NOT_SENSITIVE and shares[kind] >= TRACE_SHARE]
    if traces:
        kind = max(traces, key=lambda k: (KIND_GRADES[k].rank, shares[k]))
        return ColumnFinding(
            kind=None,
            share=shares[kind],
            grade=KIND_GRADES[kind],
            sensitive=True,
            checked=checked,
            reason=(
                f"没有占多数的类型，但{shares[kind]:.0%}的值为有效的{KIND_LABELS[kind]}，"
                "建议按敏感字段处理"
            ),
            shares=shares,
        )
    return ColumnFinding(
        kind=None,
        share=0.0 if best is None else shares[best],
        grade=None,
        sensitive=False,
        checked=checked,
        reason="未发现达到比例的敏感值",
        shares=shares,
    )


def _finding(
    kind: SensitiveKind,
    shares: dict[SensitiveKind, float],
    checked: int,
    field_name: str | None,
    population: int | None,
) -> ColumnFinding:
    grade, sensitive = _grade(kind, field_name)
    reason = f"{shares[kind]:.0%}的值为有效的{KIND_LABELS[kind]}（已核验校验位或结构）"
    important = (
        kind in IMPORTANT_CANDIDATE_KINDS
        and population is not None
        and population >= IMPORTANT_DATA_POPULATION
    )
    if important:
        grade = Grade.IMPORTANT
        reason += (
            f"；涉及约{population}条记录，达到{IMPORTANT_DATA_POPULATION}人的规模，"
            f"建议作为{GRADE_LABELS[Grade.IMPORTANT]}候选，由人工确认"
        )
    return ColumnFinding(kind, shares[kind], grade, sensitive, checked, reason, important, shares)


def _free_text(values: ColumnSample) -> tuple[float, Grade, list[SensitiveKind]] | None:
    """The share of values with sensitive values inside longer text, if it matters."""
    array = _prepare(values)
    if not pa.types.is_string(array.type):
        return None
    counts = pc.value_counts(array.drop_null()).to_pylist()[:_FREE_TEXT_SCAN_LIMIT]
    total = sum(item["counts"] for item in counts)
    hits, found = 0, set()
    for item in counts:
        text = item["values"]
        kinds = {f.kind for f in find_in_text(text) if (f.start, f.end) != (0, len(text))}
        if kinds:
            hits += item["counts"]
            found |= kinds
    if not total or hits / total < TRACE_SHARE:
        return None
    ordered = [kind for kind, _ in CHECKS if kind in found]
    grade = max((KIND_GRADES[kind] for kind in ordered), key=lambda g: g.rank)
    return hits / total, grade, ordered


def propose_sensitive_fields(
    columns: pa.Table | Mapping[str, ColumnSample],
    *,
    min_share: float = DEFAULT_MIN_SHARE,
    population: int | None = None,
) -> dict[str, ColumnFinding]:
    """A finding for every column of a sample table (or name → values mapping)."""
    if isinstance(columns, pa.Table):
        named: Mapping[str, ColumnSample] = {
            name: columns.column(name) for name in columns.column_names
        }
    else:
        named = columns
    return {
        name: detect_column(values, field_name=name, min_share=min_share, population=population)
        for name, values in named.items()
    }
