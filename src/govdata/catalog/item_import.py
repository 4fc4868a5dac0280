"""Information items drafted from a data file: one per column, typed by its values.

The drafting form offers this so that a provider starts from the real columns
of a table instead of typing them; the guesses are a starting point that the
provider reviews. Values are read as :mod:`govdata.tabular` renders them, so
Excel numbers, dates and booleans arrive as ``12``, ``2024-01-02`` and
``true``.

The sample is also run through the sensitive-value detectors of
:mod:`govdata.masking.detect` (pattern plus check digit): a column of ID
numbers, mobiles, names, bank cards … is proposed as sensitive with the
detector's grade when that is above the default, and the item's description
says why, so the provider sees the suggestion and decides.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from datetime import date, time

from pydantic import ValidationError

from govdata.catalog.schemas import MAX_ITEMS, ItemIn
from govdata.catalog.vocab import DataType, Grade
from govdata.masking.detect import ColumnFinding, detect_column
from govdata.masking.kinds import SensitiveKind
from govdata.tabular import Table, TableError, TableErrorCode

MAX_NAME_LENGTH = 100
TEXT_LIMIT = 255
"""Longer text than this is 备注型 (M) rather than 字符型 (C)."""
CHARACTER_SIZES = (10, 20, 50, 100, 200, TEXT_LIMIT)

# At most 18 digits and no leading zero: longer digit strings and zero-padded
# ones (identity numbers, postal and account codes) are codes, not numbers.
_INTEGER = re.compile(r"-?(?:0|[1-9]\d{0,17})")
_DECIMAL = re.compile(r"-?(?:0|[1-9]\d*)\.\d+")
_DATE_FORMS = (
    re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})"),
    re.compile(r"(\d{4})/(\d{1,2})/(\d{1,2})"),
    re.compile(r"(\d{4})年(\d{1,2})月(\d{1,2})日"),
)
_TIME = re.compile(r"(\d{1,2}):(\d{2})(?::(\d{2})(?:\.\d{1,6})?)?(?:Z|[+-]\d{2}:?\d{2})?")
_BOOLEAN = frozenset({"true", "false", "是", "否"})


def items_from_table(table: Table, sample_rows: int = 200) -> list[ItemIn]:
    """One 字符型/整型/… item per column, named by its header.

    The type is guessed from the non-empty values of the first ``sample_rows``
    rows; a column without values becomes 字符型 of length 255.
    """
    too_long = [name for name in table.header if len(name) > MAX_NAME_LENGTH]
    if too_long:
        raise TableError(
            f"以下列名超过{MAX_NAME_LENGTH}个字符，不能作为信息项名称，请缩短后重试："
            + "、".join(f"“{name[:20]}…”" for name in too_long),
            code=TableErrorCode.HEADER_INVALID,
            fields=dict.fromkeys(too_long, f"超过{MAX_NAME_LENGTH}个字符"),
        )
    if len(table.header) > MAX_ITEMS:
        raise TableError(
            f"表格有{len(table.header)}列，超过一个目录最多{MAX_ITEMS}个信息项的上限",
            code=TableErrorCode.HEADER_INVALID,
            fields={"header": f"超过{MAX_ITEMS}列"},
        )
    sample = table.rows[:sample_rows]
    items = []
    for name in table.header:
        values = [row.values[name] for row in sample if row.values.get(name)]
        data_type, length = guess_type(values)
        finding = detect_column(values, field_name=name)
        if finding.kind in _CODE_KINDS and data_type in (DataType.INTEGER, DataType.NUMERIC):
            # Phone and card numbers are all digits, yet codes: kept as text.
            data_type, length = DataType.CHARACTER, _character_length(values)
        grade, sensitive, note = _suggestion(finding)
        try:
            items.append(
                ItemIn(
                    name=name,
                    data_type=data_type,
                    length=length,
                    grade=grade,
                    sensitive=sensitive,
                    description=note,
                )
            )
        except ValidationError:
            # A name that is not a valid item name (control characters...).
            raise TableError(
                f"列名“{name}”不能作为信息项名称",
                code=TableErrorCode.HEADER_INVALID,
                fields={name: "不能作为信息项名称"},
            ) from None
    return items


DEFAULT_GRADE = Grade.GENERAL_2
_CODE_KINDS = frozenset(
    {
        SensitiveKind.ID_NUMBER,
        SensitiveKind.CREDIT_CODE,
        SensitiveKind.MOBILE,
        SensitiveKind.LANDLINE,
        SensitiveKind.BANK_CARD,
    }
)


def _suggestion(finding: ColumnFinding) -> tuple[Grade, bool, str]:
    """The grade, sensitive flag and description proposed for a column."""
    if finding.kind is None or not finding.sensitive:
        return DEFAULT_GRADE, False, ""
    grade = DEFAULT_GRADE
    if finding.grade is not None and finding.grade.rank > grade.rank:
        grade = finding.grade
    return grade, True, f"自动识别建议：{finding.reason}"[:500]


def guess_type(values: Iterable[str]) -> tuple[DataType, int | None]:
    """The data type and length that fit every one of ``values`` (non-empty texts)."""
    texts = list(values)
    if not texts:
        return DataType.CHARACTER, TEXT_LIMIT
    if any(len(text) > TEXT_LIMIT for text in texts):
        return DataType.MEMO, None
    for data_type, fits in _NARROWEST_FIRST:
        if all(fits(text) for text in texts):
            if data_type is DataType.NUMERIC:
                return data_type, max(sum(char.isdigit() for char in text) for text in texts)
            return data_type, None
    return DataType.CHARACTER, _character_length(texts)


def _character_length(texts: list[str]) -> int:
    lengths = {len(text) for text in texts}
    if len(lengths) == 1:
        return lengths.pop()  # fixed-length codes keep their exact length
    longest = max(lengths)
    return next(size for size in CHARACTER_SIZES if size >= longest)


def _is_integer(text: str) -> bool:
    return _INTEGER.fullmatch(text) is not None


def _is_number(text: str) -> bool:
    return _is_integer(text) or _DECIMAL.fullmatch(text) is not None


def _is_date(text: str) -> bool:
    for form in _DATE_FORMS:
        match = form.fullmatch(text)
        if match is not None:
            year, month, day = (int(part) for part in match.groups())
            try:
                date(year, month, day)
            except ValueError:
                return False
            return True
    return False


def _is_datetime(text: str) -> bool:
    if _is_date(text):
        return True
    day, separator, clock = text.partition("T" if "T" in text else " ")
    if not separator or not _is_date(day):
        return False
    match = _TIME.fullmatch(clock.strip())
    if match is None:
        return False
    hour, minute, second = match.groups()
    try:
        time(int(hour), int(minute), int(second or 0))
    except ValueError:
        return False
    return True


def _is_boolean(text: str) -> bool:
    return text.lower() in _BOOLEAN


# Tried in order; the first type that fits every value wins.
_NARROWEST_FIRST: tuple[tuple[DataType, Callable[[str], bool]], ...] = (
    (DataType.INTEGER, _is_integer),
    (DataType.NUMERIC, _is_number),
    (DataType.DATE, _is_date),
    (DataType.DATETIME, _is_datetime),
    (DataType.LOGICAL, _is_boolean),
)
