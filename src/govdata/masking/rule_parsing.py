"""Reading one rule set value at a time, refusing bad ones with a precise Chinese error.

:class:`RuleReader` knows which rule it is reading (its name and position)
and the path inside it, so every refusal says both: ``脱敏规则“身份证号部分遮蔽”
（第2条）的“strategy.keep_prefix”无效：应为0到64之间的整数``, with the field
``rules[1].strategy.keep_prefix`` in the error's ``fields``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from govdata.catalog.vocab import Grade
from govdata.masking.audiences import parse_grade
from govdata.masking.errors import MaskingRuleInvalid
from govdata.masking.kinds import PSEUDONYM_KINDS, SensitiveKind
from govdata.masking.partial import DateLevel
from govdata.masking.strategies import (
    DEFAULT_KEY,
    Clear,
    Generalize,
    KeyedHash,
    PartialMask,
    Pseudonym,
    Strategy,
    StrategyType,
    Suppress,
)
from govdata.orgs.codes import DivisionLevel

MAX_KEEP = 64
ADDRESS_LEVELS = (
    DivisionLevel.PROVINCE,
    DivisionLevel.PREFECTURE,
    DivisionLevel.COUNTY,
    DivisionLevel.TOWNSHIP,
)
_STRATEGY_KEYS = {
    StrategyType.CLEAR: frozenset({"type"}),
    StrategyType.PARTIAL: frozenset({"type", "keep_prefix", "keep_suffix", "mask_char"}),
    StrategyType.HASH: frozenset({"type", "key", "length"}),
    StrategyType.GENERALIZE: frozenset({"type", "level"}),
    StrategyType.PSEUDONYM: frozenset({"type", "key"}),
    StrategyType.SUPPRESS: frozenset({"type", "replacement"}),
}


def _choices(values: Iterable[object]) -> str:
    return "、".join(str(value) for value in values)


class RuleReader:
    """Validates values of one rule (or of the rule set's top level)."""

    def __init__(self, label: str, path: str) -> None:
        self.label, self.path = label, path

    @classmethod
    def for_rule(cls, name: str | None, index: int) -> RuleReader:
        shown = name if name is None or len(name) <= 50 else name[:50] + "…"
        label = f"脱敏规则“{shown}”（第{index + 1}条）" if shown else f"第{index + 1}条脱敏规则"
        return cls(label, f"rules[{index}]")

    def error(self, field: str, problem: str) -> MaskingRuleInvalid:
        """The refusal of ``field`` (a path inside the rule) for ``problem``."""
        path = ".".join(part for part in (self.path, field) if part) or "$"
        where = f"的“{field}”" if field else ""
        return MaskingRuleInvalid(f"{self.label}{where}无效：{problem}", fields={path: problem})

    def mapping(self, value: object, field: str, allowed: frozenset[str] | None) -> dict[str, Any]:
        if not isinstance(value, dict) or not all(isinstance(key, str) for key in value):
            raise self.error(field, "应为JSON对象")
        if allowed is not None:
            for key in value:
                if key not in allowed:
                    inner = f"{field}.{key}" if field else key
                    raise self.error(inner, f"未知的键，可用的键：{_choices(sorted(allowed))}")
        return value

    def array(self, value: object, field: str) -> list[Any]:
        if not isinstance(value, list) or not value:
            raise self.error(field, "应为非空数组")
        return value

    def text(self, value: object, field: str, max_length: int) -> str:
        if not isinstance(value, str) or not value.strip():
            raise self.error(field, "应为非空字符串")
        if len(value) > max_length:
            raise self.error(field, f"不应超过{max_length}个字符")
        return value.strip()

    def optional_text(self, value: object, field: str, max_length: int) -> str | None:
        return None if value is None else self.text(value, field, max_length)

    def integer(self, value: object, field: str, low: int, high: int) -> int:
        if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
            raise self.error(field, f"应为{low}到{high}之间的整数")
        return value

    def grade(self, value: object, field: str) -> Grade:
        grade = parse_grade(value)
        if grade is None:
            raise self.error(field, f"未知的分级“{value}”，可选：{_choices(Grade)}")
        return grade

    def kind(self, value: object, field: str) -> SensitiveKind:
        for kind in SensitiveKind:
            if value == kind.value:
                return kind
        raise self.error(field, f"未知的数据种类“{value}”，可选：{_choices(SensitiveKind)}")


def parse_strategy(
    reader: RuleReader, raw: object, kind: SensitiveKind | None
) -> tuple[Strategy, SensitiveKind | None]:
    """The rule's strategy, and its kind (a generalisation level implies one)."""
    body = reader.mapping(raw, "strategy", None)
    try:
        strategy_type = StrategyType(str(body.get("type")))
    except ValueError:
        known = _choices(StrategyType)
        raise reader.error(
            "strategy.type", f"未知的策略“{body.get('type')}”，可选：{known}"
        ) from None
    for key in body:
        if key not in _STRATEGY_KEYS[strategy_type]:
            allowed = _choices(sorted(_STRATEGY_KEYS[strategy_type]))
            raise reader.error(
                f"strategy.{key}", f"策略“{strategy_type}”没有这个参数，可用：{allowed}"
            )
    if strategy_type is StrategyType.CLEAR:
        return Clear(), kind
    if strategy_type is StrategyType.PARTIAL:
        return _partial(reader, body, kind), kind
    if strategy_type is StrategyType.HASH:
        key = reader.text(body.get("key", DEFAULT_KEY), "strategy.key", 64)
        length = reader.integer(body.get("length", 64), "strategy.length", 16, 64)
        return KeyedHash(key, length), kind
    if strategy_type is StrategyType.GENERALIZE:
        return _generalize(reader, body, kind)
    if strategy_type is StrategyType.PSEUDONYM:
        if kind is not None and kind not in PSEUDONYM_KINDS:
            known = _choices(sorted(PSEUDONYM_KINDS))
            raise reader.error("kind", f"“{kind}”没有保留格式的假名，可选：{known}")
        return Pseudonym(reader.text(body.get("key", DEFAULT_KEY), "strategy.key", 64)), kind
    replacement = reader.optional_text(body.get("replacement"), "strategy.replacement", 16)
    return Suppress(replacement), kind


def _partial(reader: RuleReader, body: dict[str, Any], kind: SensitiveKind | None) -> PartialMask:
    keep_prefix = keep_suffix = None
    if "keep_prefix" in body:
        keep_prefix = reader.integer(body["keep_prefix"], "strategy.keep_prefix", 0, MAX_KEEP)
    if "keep_suffix" in body:
        keep_suffix = reader.integer(body["keep_suffix"], "strategy.keep_suffix", 0, MAX_KEEP)
    mask_char = body.get("mask_char", "*")
    if (
        not isinstance(mask_char, str)
        or len(mask_char) != 1
        or mask_char.isalnum()
        or mask_char.isspace()
        or mask_char == "\\"
    ):
        raise reader.error("strategy.mask_char", "应为一个既非字母数字也非空白的字符，如“*”")
    strategy = PartialMask(keep_prefix, keep_suffix, mask_char)
    if strategy.by_position and kind is SensitiveKind.FREE_TEXT:
        raise reader.error(
            "strategy.keep_prefix" if keep_prefix is not None else "strategy.keep_suffix",
            "自由文本按其中找到的每个值分别遮蔽，不能按位置保留",
        )
    return strategy


def _generalize(
    reader: RuleReader, body: dict[str, Any], kind: SensitiveKind | None
) -> tuple[Strategy, SensitiveKind]:
    if kind not in (None, SensitiveKind.ADDRESS, SensitiveKind.DATE):
        raise reader.error(
            "strategy.type", f"“{kind}”不能泛化，只有地址（address）和日期（date）可以"
        )
    level = body.get("level")
    if level in {str(item) for item in ADDRESS_LEVELS} and kind in (None, SensitiveKind.ADDRESS):
        return Generalize(DivisionLevel(level)), SensitiveKind.ADDRESS
    if level in {str(item) for item in DateLevel} and kind in (None, SensitiveKind.DATE):
        return Generalize(DateLevel(level)), SensitiveKind.DATE
    raise reader.error(
        "strategy.level",
        f"泛化级别“{level}”不适用：地址可选{_choices(ADDRESS_LEVELS)}，日期可选{_choices(DateLevel)}",
    )
