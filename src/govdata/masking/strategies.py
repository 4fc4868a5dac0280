"""The masking strategies, as immutable values a rule carries.

=============  ==============================================================
``clear``      the value unchanged (only where a rule or the audience allows)
``partial``    mask the middle; ``keep_prefix``/``keep_suffix`` by position, or
               the kind's own shape when both are omitted (surname of a name…)
``hash``       keyed HMAC-SM3 of the value, hex; stable under the key, one-way
``generalize`` coarser value: an address to a division level, a date to a
               year or month
``pseudonym``  a format-preserving stand-in, deterministic under the key
``suppress``   null, or a fixed replacement such as ``***``
=============  ==============================================================

Keys are never part of a rule: ``hash`` and ``pseudonym`` name a key
(``"key": "default"``) that the :class:`~govdata.masking.engine.Masker` is
given at run time.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from govdata.masking.partial import DateLevel
from govdata.orgs.codes import DivisionLevel

SUPPRESSED_TEXT = "***"
DEFAULT_KEY = "default"


class StrategyType(StrEnum):
    CLEAR = "clear"
    PARTIAL = "partial"
    HASH = "hash"
    GENERALIZE = "generalize"
    PSEUDONYM = "pseudonym"
    SUPPRESS = "suppress"


STRATEGY_LABELS = {
    StrategyType.CLEAR: "明文",
    StrategyType.PARTIAL: "部分遮蔽",
    StrategyType.HASH: "SM3密钥散列",
    StrategyType.GENERALIZE: "泛化",
    StrategyType.PSEUDONYM: "保留格式的假名",
    StrategyType.SUPPRESS: "屏蔽",
}


@dataclass(frozen=True)
class Clear:
    type: StrategyType = StrategyType.CLEAR


@dataclass(frozen=True)
class PartialMask:
    keep_prefix: int | None = None
    keep_suffix: int | None = None
    mask_char: str = "*"
    type: StrategyType = StrategyType.PARTIAL

    @property
    def by_position(self) -> bool:
        return self.keep_prefix is not None or self.keep_suffix is not None


@dataclass(frozen=True)
class KeyedHash:
    key: str = DEFAULT_KEY
    length: int = 64
    type: StrategyType = StrategyType.HASH


@dataclass(frozen=True)
class Generalize:
    level: DivisionLevel | DateLevel
    type: StrategyType = StrategyType.GENERALIZE


@dataclass(frozen=True)
class Pseudonym:
    key: str = DEFAULT_KEY
    type: StrategyType = StrategyType.PSEUDONYM


@dataclass(frozen=True)
class Suppress:
    """Null (``replacement=None``) or a fixed text in place of every value."""

    replacement: str | None = None
    type: StrategyType = StrategyType.SUPPRESS


Strategy = Clear | PartialMask | KeyedHash | Generalize | Pseudonym | Suppress

SUPPRESS_TO_NULL = Suppress()


def strategy_to_dict(strategy: Strategy) -> dict[str, object]:
    """The JSON form of a strategy, as a rule set writes it."""
    body: dict[str, object] = {"type": str(strategy.type)}
    if isinstance(strategy, PartialMask):
        if strategy.keep_prefix is not None:
            body["keep_prefix"] = strategy.keep_prefix
        if strategy.keep_suffix is not None:
            body["keep_suffix"] = strategy.keep_suffix
        body["mask_char"] = strategy.mask_char
    elif isinstance(strategy, KeyedHash):
        body["key"], body["length"] = strategy.key, strategy.length
    elif isinstance(strategy, Generalize):
        body["level"] = str(strategy.level)
    elif isinstance(strategy, Pseudonym):
        body["key"] = strategy.key
    elif isinstance(strategy, Suppress):
        body["replacement"] = strategy.replacement
    return body
