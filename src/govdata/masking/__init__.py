"""Masking (脱敏) of sensitive fields per grade and per audience (requirement X3).

The public API, by module:

* :mod:`~govdata.masking.kinds` — :class:`SensitiveKind`, the kinds of values known.
* :mod:`~govdata.masking.values` — per-value checks (``is_id_number``,
  ``is_bank_card``, ``detect_value``…): pattern plus check digit or structure.
* :mod:`~govdata.masking.detect` — :func:`detect_column` and
  :func:`propose_sensitive_fields`: kind, share, proposed grade, sensitive flag.
* :mod:`~govdata.masking.strategies` — the strategies a rule carries.
* :mod:`~govdata.masking.rules` — :class:`RuleSet` (load, validate, decide).
* :mod:`~govdata.masking.audiences` — :class:`Audience` and the clear-text ceilings.
* :mod:`~govdata.masking.engine` — :class:`Masker`: masks values, Arrow columns, tables.
* :mod:`~govdata.masking.partial`, :mod:`~govdata.masking.address`,
  :mod:`~govdata.masking.pseudonym`, :mod:`~govdata.masking.keyed`,
  :mod:`~govdata.masking.text`, :mod:`~govdata.masking.columns` — the pieces.

See ``docs/masking.md`` for the rule format and examples.
"""

from __future__ import annotations

from govdata.masking.audiences import AUDIENCE_LABELS, DEFAULT_CLEAR_UP_TO, Audience
from govdata.masking.detect import ColumnFinding, detect_column, propose_sensitive_fields
from govdata.masking.engine import Masker
from govdata.masking.errors import MaskingRuleInvalid
from govdata.masking.kinds import KIND_LABELS, SensitiveKind
from govdata.masking.rules import Decision, MaskingRule, RuleSet
from govdata.masking.strategies import (
    Clear,
    Generalize,
    KeyedHash,
    PartialMask,
    Pseudonym,
    Strategy,
    StrategyType,
    Suppress,
)
from govdata.masking.values import detect_value, is_kind

__all__ = [
    "AUDIENCE_LABELS",
    "DEFAULT_CLEAR_UP_TO",
    "KIND_LABELS",
    "Audience",
    "Clear",
    "ColumnFinding",
    "Decision",
    "Generalize",
    "KeyedHash",
    "Masker",
    "MaskingRule",
    "MaskingRuleInvalid",
    "PartialMask",
    "Pseudonym",
    "RuleSet",
    "SensitiveKind",
    "Strategy",
    "StrategyType",
    "Suppress",
    "detect_column",
    "detect_value",
    "is_kind",
    "propose_sensitive_fields",
]
