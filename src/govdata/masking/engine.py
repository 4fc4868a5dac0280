"""Applying masking decisions to values, columns and tables.

:class:`Masker` joins a validated :class:`~govdata.masking.rules.RuleSet` with
the keys its ``hash`` and ``pseudonym`` rules name. Ask it for a field, its
grade and an audience, and it masks one value (:meth:`Masker.mask_value`), an
Arrow column (:meth:`Masker.mask_column`) or a whole table
(:meth:`Masker.mask_table`). Whatever cannot be masked as the rule says (a
pseudonym of an invalid ID number, an address with no recognisable division)
is suppressed, never passed through.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date

import pyarrow as pa

from govdata.catalog.vocab import Grade
from govdata.masking.address import generalize_address
from govdata.masking.audiences import Audience
from govdata.masking.columns import (
    FEW_VALUES,
    few_strings,
    generalize_date_column,
    map_unique,
    mask_email_column,
    mask_middle_column,
    mask_name_column,
    suppressed_column,
)
from govdata.masking.errors import MaskingRuleInvalid
from govdata.masking.keyed import MIN_KEY_BYTES, KeyedPrf, keyed_hash
from govdata.masking.kinds import SensitiveKind
from govdata.masking.partial import (
    DEFAULT_KEEP,
    DateLevel,
    generalize_date,
    mask_address,
    mask_email,
    mask_middle,
    mask_name,
)
from govdata.masking.pseudonym import Pseudonymizer
from govdata.masking.rule_parsing import RuleReader
from govdata.masking.rules import Decision, RuleSet
from govdata.masking.strategies import (
    Clear,
    Generalize,
    KeyedHash,
    PartialMask,
    Pseudonym,
    Strategy,
    Suppress,
)
from govdata.masking.text import TextFinding, replace_in_text
from govdata.orgs.codes import DivisionLevel

GradeLike = Grade | str | None
_Transform = Callable[[str], str | None]
# Partial masks that follow the value's structure rather than positions.
_SHAPED_MASKS: dict[SensitiveKind, Callable[[str, str], str]] = {
    SensitiveKind.NAME: mask_name,
    SensitiveKind.EMAIL: mask_email,
    SensitiveKind.ADDRESS: mask_address,
}


def partial_value(strategy: PartialMask, kind: SensitiveKind | None, value: str) -> str:
    """A partial mask of one value (see :mod:`govdata.masking.partial`)."""
    char = strategy.mask_char
    if strategy.by_position:
        return mask_middle(value, strategy.keep_prefix or 0, strategy.keep_suffix or 0, char)
    if kind in DEFAULT_KEEP:
        keep_prefix, keep_suffix = DEFAULT_KEEP[kind]
        return mask_middle(value, keep_prefix, keep_suffix, char)
    if kind in _SHAPED_MASKS:
        return _SHAPED_MASKS[kind](value, char)
    if kind is SensitiveKind.FREE_TEXT:
        by_kind = PartialMask(mask_char=char)
        return replace_in_text(value, lambda found: partial_value(by_kind, found.kind, found.value))
    return char * len(value)


def _few_partial(
    strategy: PartialMask, kind: SensitiveKind | None, values: pa.Array | pa.ChunkedArray
) -> pa.Array:
    """A look-up's row or two masked value by value: what the column masks give
    (they equal the per-value masks), without their kernels' fixed cost."""
    return pa.array(
        [
            None if text is None else partial_value(strategy, kind, text)
            for text in few_strings(values)
        ],
        pa.string(),
    )


class Masker:
    """A rule set with its keys: decides and masks."""

    def __init__(self, rules: RuleSet, keys: Mapping[str, bytes] | None = None) -> None:
        self.rules = rules
        keys = dict(keys or {})
        self._prfs: dict[str, KeyedPrf] = {}
        for name, key in keys.items():
            if len(key) < MIN_KEY_BYTES:
                raise MaskingRuleInvalid(
                    f"脱敏密钥“{name}”至少应为{MIN_KEY_BYTES}字节",
                    fields={f"keys.{name}": f"至少{MIN_KEY_BYTES}字节"},
                )
            self._prfs[name] = KeyedPrf(key)
        for index, rule in enumerate(rules.rules):
            strategy = rule.strategy
            if isinstance(strategy, KeyedHash | Pseudonym) and strategy.key not in self._prfs:
                raise RuleReader.for_rule(rule.name, index).error(
                    "strategy.key", f"未配置名为“{strategy.key}”的密钥"
                )

    # Decisions ------------------------------------------------------------

    def decide(
        self,
        field_name: str,
        grade: GradeLike,
        audience: Audience | str,
        kind: SensitiveKind | None = None,
    ) -> Decision:
        return self.rules.decide(field_name, grade, audience, kind)

    # One value ------------------------------------------------------------

    def mask_value(
        self,
        field_name: str,
        grade: GradeLike,
        audience: Audience | str,
        value: object,
        kind: SensitiveKind | None = None,
    ) -> object:
        """``value`` as ``audience`` may see it (clear values keep their type)."""
        decision = self.decide(field_name, grade, audience, kind)
        if isinstance(decision.strategy, Clear):
            return value
        return self.apply_value(decision.strategy, decision.kind, value)

    def apply_value(
        self, strategy: Strategy, kind: SensitiveKind | None, value: object
    ) -> str | None:
        if isinstance(strategy, Suppress):
            return strategy.replacement
        if value is None:
            return None
        text = value if isinstance(value, str) else str(value)
        if isinstance(value, date) and isinstance(strategy, Generalize):
            text = value.isoformat()[:10]  # a datetime generalises by its calendar day
        if isinstance(strategy, Clear):
            return text
        if isinstance(strategy, PartialMask):
            return partial_value(strategy, kind, text)
        result = self._transform(strategy, kind)(text)
        return self.rules.suppress_with if result is None else result

    def _transform(self, strategy: Strategy, kind: SensitiveKind | None) -> _Transform:
        """The per-value function of a hash, generalisation or pseudonym strategy."""
        if isinstance(strategy, KeyedHash):
            prf = self._key(strategy.key)
            length = strategy.length
            return lambda text: keyed_hash(prf, text, length)
        if isinstance(strategy, Generalize):
            level = strategy.level
            if isinstance(level, DateLevel):
                return lambda text: generalize_date(text, level)
            division_level = DivisionLevel(level)
            return lambda text: generalize_address(text, division_level)
        if isinstance(strategy, Pseudonym) and kind is not None:
            return self._pseudonym_function(Pseudonymizer(self._key(strategy.key)), kind)
        return lambda _text: None

    def _key(self, name: str) -> KeyedPrf:
        if name not in self._prfs:
            raise MaskingRuleInvalid(
                f"未配置名为“{name}”的脱敏密钥", fields={f"keys.{name}": "未配置"}
            )
        return self._prfs[name]

    @staticmethod
    def _pseudonym_function(pseudonymizer: Pseudonymizer, kind: SensitiveKind) -> _Transform:
        if kind is not SensitiveKind.FREE_TEXT:
            return lambda text: pseudonymizer.pseudonym(kind, text)
        fallback = PartialMask()

        def in_text(found: TextFinding) -> str:
            replaced = pseudonymizer.pseudonym(found.kind, found.value)
            if replaced is None:
                return partial_value(fallback, found.kind, found.value)
            return replaced

        return lambda text: replace_in_text(text, in_text)

    # Columns and tables ---------------------------------------------------

    def mask_column(
        self,
        field_name: str,
        grade: GradeLike,
        audience: Audience | str,
        values: pa.Array | pa.ChunkedArray,
        kind: SensitiveKind | None = None,
    ) -> pa.Array | pa.ChunkedArray:
        """The column as ``audience`` may see it; clear columns are returned as given."""
        decision = self.decide(field_name, grade, audience, kind)
        return self.apply_column(decision.strategy, decision.kind, values)

    def apply_column(
        self,
        strategy: Strategy,
        kind: SensitiveKind | None,
        values: pa.Array | pa.ChunkedArray,
    ) -> pa.Array | pa.ChunkedArray:
        if isinstance(strategy, Clear):
            return values
        if isinstance(strategy, Suppress):
            return suppressed_column(len(values), strategy.replacement)
        if isinstance(strategy, PartialMask):
            if len(values) <= FEW_VALUES:
                return _few_partial(strategy, kind, values)
            return self._partial_column(strategy, kind, values)
        transform = self._transform(strategy, kind)
        fallback = self.rules.suppress_with

        def each(text: str) -> str | None:
            result = transform(text)
            return fallback if result is None else result

        if isinstance(strategy, Generalize) and isinstance(strategy.level, DateLevel):
            # Typed date columns cannot fail; text dates go through ``each``.
            return generalize_date_column(values, strategy.level, each)
        return map_unique(values, each)

    @staticmethod
    def _partial_column(
        strategy: PartialMask, kind: SensitiveKind | None, values: pa.Array | pa.ChunkedArray
    ) -> pa.Array:
        char = strategy.mask_char
        if strategy.by_position:
            return mask_middle_column(
                values, strategy.keep_prefix or 0, strategy.keep_suffix or 0, char
            )
        if kind in DEFAULT_KEEP:
            keep_prefix, keep_suffix = DEFAULT_KEEP[kind]
            return mask_middle_column(values, keep_prefix, keep_suffix, char)
        if kind is SensitiveKind.NAME:
            return mask_name_column(values, char)
        if kind is SensitiveKind.EMAIL:
            return mask_email_column(values, char)
        if kind is None:
            return mask_middle_column(values, 0, 0, char)
        return map_unique(values, lambda text: partial_value(strategy, kind, text))

    def mask_table(
        self,
        table: pa.Table,
        grades: Mapping[str, GradeLike],
        audience: Audience | str,
        kinds: Mapping[str, SensitiveKind] | None = None,
    ) -> pa.Table:
        """Every column masked for ``audience``; a column missing from ``grades`` is
        ungraded (suppressed unless a rule names it)."""
        kinds = kinds or {}
        columns = [
            self.mask_column(name, grades.get(name), audience, table.column(name), kinds.get(name))
            for name in table.column_names
        ]
        return pa.table(columns, names=table.column_names)
