"""Declaring and reading a resource's quality rules."""

from __future__ import annotations

import pyarrow as pa
from sqlalchemy import select

from govdata.actions import ActionSet, Context
from govdata.aggregation.columns import arrow_schema
from govdata.aggregation.models import Library
from govdata.aggregation.store import org_ref
from govdata.db import utcnow
from govdata.elements.catalogue import all_elements
from govdata.errors import InvalidInput, NotFound
from govdata.events import record_event
from govdata.quality.compile import EvaluationContext, compile_rules
from govdata.quality.elements import expand_elements
from govdata.quality.events import RulesChanged
from govdata.quality.models import QualityRuleSet
from govdata.quality.rules import RuleKind, RuleSetSpec, load_rule_set_yaml, parse_rule_set
from govdata.quality.schemas import ResourceRef, RuleSetOut, RulesSet
from govdata.quality.store import (
    Resource,
    find_resource,
    rule_set_of,
    rule_set_out,
    update_cycle_days,
)

actions = ActionSet("quality-rules")

EXAMPLE_YAML = """key_columns: [id_number]
rules:
  - code: id_valid
    name: 公民身份号码有效
    kind: id_number
    column: id_number
"""


def key_columns_for(resource: Resource, spec: RuleSetSpec) -> list[str]:
    keys = list(spec.key_columns) or list(resource.key_columns)
    if not keys:
        raise InvalidInput(
            "该资源没有主键列，请在规则集中用 key_columns 指定标识一行的列",
            code="quality_rules_invalid",
            fields={"key_columns": "必填"},
        )
    return keys


def check_against_resource(ctx: Context, resource: Resource, spec: RuleSetSpec) -> None:
    """Compile the rules against the resource's declared columns: unknown columns,
    bad SQL, missing reference libraries and undeclared cycles are refused now."""
    references: dict[tuple[str, str], pa.Table] = {}
    for rule in spec.rules:
        if rule.kind == RuleKind.REFERENCE:
            assert rule.library is not None and rule.library_column is not None  # noqa: S101
            found = ctx.session.scalar(select(Library.id).where(Library.code == rule.library))
            if found is None:
                raise InvalidInput(
                    f"规则“{rule.code}”参照的基础库“{rule.library}”不存在",
                    code="quality_reference_missing",
                    fields={f"rules.{rule.code}": rule.library},
                )
            references[(rule.library, rule.library_column)] = pa.table(
                {"v": pa.array([], pa.string())}
            )
    now = utcnow()
    compile_rules(
        spec,
        arrow_schema(resource.columns),
        context=EvaluationContext(
            today=now.date(),
            now=now,
            default_max_age_days=update_cycle_days(ctx.session, resource.entry_id),
            references=references,
        ),
        key_columns=key_columns_for(resource, spec),
    )


@actions.register(
    "quality_rules_set",
    RulesSet,
    example={"source_id": "<source id>", "yaml": EXAMPLE_YAML},
    summary="Declare or revise a resource's quality rules (YAML, or JSON as `rules`).",
)
def quality_rules_set(ctx: Context, data: RulesSet) -> RuleSetOut:
    ctx.authorize_somewhere("quality:rules:manage")
    resource = find_resource(ctx.session, data.source_id, data.library_id)
    ctx.authorize("quality:rules:manage", org_ref(ctx.session, resource.organisation_id))
    spec = load_rule_set_yaml(data.yaml) if data.yaml is not None else parse_rule_set(data.rules)
    spec = expand_elements(spec, all_elements(ctx.session))
    check_against_resource(ctx, resource, spec)
    stored = spec.model_dump(mode="json", exclude_defaults=True)
    rule_set = rule_set_of(ctx.session, resource)
    if rule_set is None:
        rule_set = QualityRuleSet(
            source_id=resource.source_id,
            library_id=resource.library_id,
            organisation_id=resource.organisation_id,
            number=1,
            spec=stored,
            updated_by=ctx.actor.name,
        )
        ctx.session.add(rule_set)
    else:
        rule_set.number += 1
        rule_set.spec = stored
        rule_set.updated_at = utcnow()
        rule_set.updated_by = ctx.actor.name
    ctx.session.flush()
    record_event(
        ctx,
        RulesChanged(
            subject_id=rule_set.id,
            source_id=resource.source_id,
            library_id=resource.library_id,
            number=rule_set.number,
            rules=len(spec.rules),
        ),
    )
    return rule_set_out(rule_set)


@actions.register(
    "quality_rules_get",
    ResourceRef,
    example={"source_id": "<source id>"},
    summary="A resource's quality rules (as YAML and as JSON).",
    read_only=True,
)
def quality_rules_get(ctx: Context, data: ResourceRef) -> RuleSetOut:
    ctx.authorize_somewhere("quality:read")
    resource = find_resource(ctx.session, data.source_id, data.library_id)
    ctx.authorize("quality:read", org_ref(ctx.session, resource.organisation_id))
    rule_set = rule_set_of(ctx.session, resource)
    if rule_set is None:
        raise NotFound("该资源尚未设置质量规则", code="quality_rules_not_set")
    return rule_set_out(rule_set)
