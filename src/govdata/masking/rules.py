"""Masking rules as data: load, validate, and decide what a reader sees.

A rule set is a JSON object (see ``docs/masking.md`` for the full format)::

    {"version": 1,
     "clear_up_to": {"consumer": "general_2"},
     "suppress_with": null,
     "rules": [{"name": "身份证号对使用部门部分遮蔽",
                "fields": ["公民身份号码"], "kind": "id_number",
                "grades": ["general_3", "general_4"],
                "audiences": ["consumer", "authority"],
                "strategy": {"type": "partial"}}]}

Loading validates everything and refuses a malformed set as a whole with
:class:`~govdata.masking.errors.MaskingRuleInvalid`, naming the rule and the
field at fault. :meth:`RuleSet.decide` then answers, for a field, its grade
and an audience, which strategy applies. The decision is default-deny: an
unknown audience, an ungraded field, or a grade above what the audience may
see in clear text (:mod:`govdata.masking.audiences`) is suppressed unless a
rule says otherwise.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from govdata.catalog.vocab import Grade
from govdata.masking.audiences import DEFAULT_CLEAR_UP_TO, Audience, parse_audience
from govdata.masking.errors import MaskingRuleInvalid
from govdata.masking.kinds import SensitiveKind
from govdata.masking.rule_parsing import RuleReader, parse_strategy
from govdata.masking.strategies import (
    Clear,
    Strategy,
    Suppress,
    strategy_to_dict,
)

RULE_SET_VERSION = 1
WILDCARD = "*"
_TOP_KEYS = frozenset({"version", "clear_up_to", "suppress_with", "rules"})
_RULE_KEYS = frozenset({"name", "fields", "kind", "grades", "audiences", "strategy"})


@dataclass(frozen=True)
class MaskingRule:
    """Applies ``strategy`` to the named fields (None: every field) for the audiences
    and grades (None: every grade) it lists."""

    name: str
    audiences: frozenset[Audience]
    strategy: Strategy
    fields: frozenset[str] | None = None
    grades: frozenset[Grade] | None = None
    kind: SensitiveKind | None = None

    def applies(self, field_name: str, grade: Grade | None, audience: Audience) -> bool:
        if audience not in self.audiences:
            return False
        if self.fields is not None and field_name not in self.fields:
            return False
        return self.grades is None or grade in self.grades

    def to_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {"name": self.name}
        if self.fields is not None:
            body["fields"] = sorted(self.fields)
        if self.kind is not None:
            body["kind"] = str(self.kind)
        if self.grades is not None:
            body["grades"] = [str(grade) for grade in Grade if grade in self.grades]
        body["audiences"] = [str(audience) for audience in Audience if audience in self.audiences]
        body["strategy"] = strategy_to_dict(self.strategy)
        return body


@dataclass(frozen=True)
class Decision:
    """What to do with one field for one audience, and why (in Chinese, for audit)."""

    strategy: Strategy
    kind: SensitiveKind | None
    rule: str | None
    reason: str


@dataclass(frozen=True)
class RuleSet:
    rules: tuple[MaskingRule, ...] = ()
    clear_up_to: Mapping[Audience, Grade] = field(default_factory=lambda: dict(DEFAULT_CLEAR_UP_TO))
    suppress_with: str | None = None

    @classmethod
    def from_json(cls, text: str | bytes) -> RuleSet:
        try:
            data = json.loads(text)
        except (json.JSONDecodeError, UnicodeDecodeError, RecursionError) as error:
            raise MaskingRuleInvalid(
                f"脱敏规则集不是有效的JSON：{error}", fields={"$": "不是有效的JSON"}
            ) from None
        return cls.from_dict(data)

    @classmethod
    def from_dict(cls, data: object) -> RuleSet:
        """Validate ``data`` and build the rule set; refuse it whole if anything is wrong."""
        top = RuleReader(label="脱敏规则集", path="")
        body = top.mapping(data, "", _TOP_KEYS)
        version = body.get("version", RULE_SET_VERSION)
        if version != RULE_SET_VERSION or isinstance(version, bool):
            raise top.error("version", f"仅支持版本{RULE_SET_VERSION}")
        clear_up_to = dict(DEFAULT_CLEAR_UP_TO)
        ceilings = top.mapping(body.get("clear_up_to", {}), "clear_up_to", None)
        for audience_name, grade_name in ceilings.items():
            audience = parse_audience(audience_name)
            if audience is None:
                raise top.error(f"clear_up_to.{audience_name}", _unknown_audience(audience_name))
            clear_up_to[audience] = top.grade(grade_name, f"clear_up_to.{audience_name}")
        suppress_with = top.optional_text(body.get("suppress_with"), "suppress_with", 16)
        raw_rules = body.get("rules")
        if not isinstance(raw_rules, list):
            raise top.error("rules", "应为规则数组")
        rules: list[MaskingRule] = []
        seen: set[str] = set()
        for index, raw in enumerate(raw_rules):
            rule = _parse_rule(raw, index)
            if rule.name in seen:
                raise RuleReader.for_rule(rule.name, index).error("name", "与前面的规则重名")
            seen.add(rule.name)
            rules.append(rule)
        return cls(tuple(rules), clear_up_to, suppress_with)

    def to_dict(self) -> dict[str, Any]:
        return {
            "version": RULE_SET_VERSION,
            "clear_up_to": {str(a): str(g) for a, g in self.clear_up_to.items()},
            "suppress_with": self.suppress_with,
            "rules": [rule.to_dict() for rule in self.rules],
        }

    @property
    def suppression(self) -> Suppress:
        return Suppress(self.suppress_with)

    def decide(
        self,
        field_name: str,
        grade: Grade | str | None,
        audience: Audience | str,
        kind: SensitiveKind | None = None,
    ) -> Decision:
        """The strategy for ``field_name`` graded ``grade`` when ``audience`` reads it.

        Rules naming the field come before wildcard rules; within each, the first
        matching rule in the set's order wins. ``kind`` (e.g. from the catalog or a
        detector) is used when the rule does not name one.
        """
        reader = parse_audience(audience)
        if reader is None:
            return Decision(self.suppression, kind, None, f"未知的受众“{audience}”，默认屏蔽")
        known_grade = _as_grade(grade)
        for rule in self._ordered():
            if rule.applies(field_name, known_grade, reader):
                return Decision(rule.strategy, rule.kind or kind, rule.name, f"按规则“{rule.name}”")
        if known_grade is None:
            return Decision(self.suppression, kind, None, "字段未定级且无适用规则，默认屏蔽")
        ceiling = self.clear_up_to.get(reader)
        if ceiling is not None and known_grade.rank <= ceiling.rank:
            return Decision(Clear(), kind, None, "分级在该受众可见范围内，明文")
        return Decision(
            self.suppression, kind, None, "分级高于该受众可见范围且无适用规则，默认屏蔽"
        )

    def _ordered(self) -> list[MaskingRule]:
        named = [rule for rule in self.rules if rule.fields is not None]
        return named + [rule for rule in self.rules if rule.fields is None]


def _as_grade(grade: Grade | str | None) -> Grade | None:
    if grade is None or isinstance(grade, Grade):
        return grade
    try:
        return Grade(grade)
    except ValueError:
        return None


def _unknown_audience(name: object) -> str:
    known = "、".join(str(audience) for audience in Audience)
    return f"未知的受众“{name}”，可选：{known}"


def _parse_rule(raw: object, index: int) -> MaskingRule:
    name = raw.get("name") if isinstance(raw, dict) else None
    reader = RuleReader.for_rule(name if isinstance(name, str) and name.strip() else None, index)
    body = reader.mapping(raw, "", _RULE_KEYS)
    rule_name = reader.text(body.get("name"), "name", 100)
    kind = reader.kind(body["kind"], "kind") if body.get("kind") is not None else None
    audiences = set()
    for position, audience_name in enumerate(reader.array(body.get("audiences"), "audiences")):
        audience = parse_audience(audience_name)
        if audience is None:
            raise reader.error(f"audiences[{position}]", _unknown_audience(audience_name))
        audiences.add(audience)
    fields: frozenset[str] | None = None
    if body.get("fields") is not None:
        names = [
            reader.text(item, f"fields[{position}]", 200)
            for position, item in enumerate(reader.array(body["fields"], "fields"))
        ]
        fields = None if WILDCARD in names else frozenset(names)
    grades: frozenset[Grade] | None = None
    if body.get("grades") is not None:
        grades = frozenset(
            reader.grade(item, f"grades[{position}]")
            for position, item in enumerate(reader.array(body["grades"], "grades"))
        )
    strategy, kind = parse_strategy(reader, body.get("strategy"), kind)
    return MaskingRule(rule_name, frozenset(audiences), strategy, fields, grades, kind)
