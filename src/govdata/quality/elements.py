"""Quality rules attached from data elements (G7).

A rule of kind ``element`` names a column and a data element; when the rule set
is stored it is replaced by the rules the element implies, each measuring the
dimension of its kind:

* the element's standard check: ``id_number``, ``credit_code``,
  ``division_code`` or ``phone`` (the sex element's check is its code list);
* its code list: ``enum`` with the list's codes;
* a date type: ``date``;
* a character length: ``length`` with that maximum (rule ``<code>_length``).

The stored rules name the element in their description, so a run's results say
where they came from; changing an element later changes the rules at the next
``quality_rules_set``.
"""

from __future__ import annotations

from collections.abc import Sequence

from govdata.aggregation.columns import Check
from govdata.elements.standard import Element
from govdata.errors import InvalidInput
from govdata.quality.rules import RuleKind, RuleSetSpec, RuleSpec

CHECK_KINDS = {
    Check.ID_NUMBER: RuleKind.ID_NUMBER,
    Check.CREDIT_CODE: RuleKind.CREDIT_CODE,
    Check.DIVISION_CODE: RuleKind.DIVISION_CODE,
    Check.PHONE: RuleKind.PHONE,
}


def _derived(rule: RuleSpec, element: Element) -> list[RuleSpec]:
    base = {
        "column": rule.column,
        "description": f"由数据元 {element.code}（{element.name}）生成",
    }
    named = rule.name or f"{element.name}（{element.code}）"
    derived: list[RuleSpec] = []
    kind = CHECK_KINDS.get(element.check) if element.check is not None else None
    if kind is not None:
        derived.append(RuleSpec(code=rule.code, name=named, kind=kind, **base))
    elif element.codes:
        values = list(element.codes)
        derived.append(
            RuleSpec(code=rule.code, name=named, kind=RuleKind.ENUM, values=values, **base)
        )
    elif element.data_type == "D":
        derived.append(RuleSpec(code=rule.code, name=named, kind=RuleKind.DATE, **base))
    if element.data_type == "C" and element.length is not None:
        derived.append(
            RuleSpec(
                code=f"{rule.code}_length"[:63],
                name=f"{named}长度",
                kind=RuleKind.LENGTH,
                max=element.length,
                **base,
            )
        )
    if not derived:
        raise InvalidInput(
            f"数据元“{element.name}”没有可检查的约束（校验、代码表、类型或长度）",
            code="quality_element_unusable",
            fields={"element": element.code},
        )
    return derived


def expand_elements(spec: RuleSetSpec, elements: Sequence[Element]) -> RuleSetSpec:
    """The rule set with every ``element`` rule replaced by the rules it implies."""
    if not any(rule.kind == RuleKind.ELEMENT for rule in spec.rules):
        return spec
    by_code = {element.code: element for element in elements}
    rules: list[RuleSpec] = []
    for rule in spec.rules:
        if rule.kind != RuleKind.ELEMENT:
            rules.append(rule)
            continue
        element = by_code.get(rule.element or "")
        if element is None:
            raise InvalidInput(
                f"没有编码为“{rule.element}”的数据元",
                code="quality_unknown_element",
                fields={f"rules.{rule.code}.element": str(rule.element)},
            )
        rules += _derived(rule, element)
    return RuleSetSpec(key_columns=spec.key_columns, rules=rules)
