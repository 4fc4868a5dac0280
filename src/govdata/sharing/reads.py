"""Reading under a stored grant: only the granted fields, masked as granted, only the
granted rows (X3, S1).

``data_read`` calls :func:`restrict_to_grant` when the grade decision allowed the read
through a grant the sharing workflow stored. Columns are matched to the grant's
information items by the column's Chinese label or its name; columns the grant does
not name are left out. Rows are kept when their division column lies inside the
grant's division codes. Each granted field is then masked with its strategy for the
consumer audience: ``hash`` uses a key of the grant's own, so values hashed under two
grants cannot be linked.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Collection, Mapping, Sequence

import pyarrow as pa
import pyarrow.compute as pc

from govdata.access.policy import Decision, Relation
from govdata.actions import Context
from govdata.aggregation.columns import ColumnSpec
from govdata.aggregation.masked_reads import MaskedPage
from govdata.crypto.datakeys import DataKeys
from govdata.errors import Forbidden, InvalidInput
from govdata.grades import Grade
from govdata.masking import Audience
from govdata.masking.engine import Masker
from govdata.masking.kinds import SensitiveKind
from govdata.masking.rules import RuleSet
from govdata.sharing.models import Grant
from govdata.sharing.terms import division_prefix

HASH_PURPOSE = "sharing:grant-hash"
HASH_KEY = "grant"


def granted_columns(grant: Grant, columns: Sequence[ColumnSpec]) -> dict[str, str]:
    """Column name → the strategy of the granted item it stands for."""
    strategies = {term["name"]: term["strategy"] for term in grant.fields}
    found: dict[str, str] = {}
    for column in columns:
        strategy = strategies.get(column.label or "") or strategies.get(column.name)
        if strategy is not None:
            found[column.name] = strategy
    return found


def restrict_to_grant(
    ctx: Context,
    decision: Decision,
    columns: Sequence[ColumnSpec],
    table: pa.Table,
    *,
    filtered_by: Collection[str],
    kinds: Mapping[str, SensitiveKind | None],
) -> MaskedPage | None:
    """``table`` as the grant behind ``decision`` lets its grantee see it, or None when
    the read was not allowed through a stored grant."""
    if decision.relation is not Relation.GRANTED or decision.grant_id is None:
        return None
    grant = ctx.session.get(Grant, decision.grant_id)
    if grant is None:
        return None
    allowed = granted_columns(grant, columns)
    outside = sorted(name for name in filtered_by if name not in allowed)
    if outside:
        raise Forbidden(
            f"共享授权不含这些字段，不能按其查询：{'、'.join(outside)}",
            code="grant_field_not_granted",
            fields={"where": "、".join(outside)},
        )
    if grant.division_codes and grant.division_column:
        if grant.division_column not in table.column_names:
            raise InvalidInput(
                f"按授权的行政区划范围读取时须包含列“{grant.division_column}”",
                code="grant_scope_column_missing",
                fields={"columns": grant.division_column},
            )
        text = pc.cast(table.column(grant.division_column), pa.string())
        matches = [
            pc.fill_null(pc.starts_with(text, division_prefix(code)), False)
            for code in grant.division_codes
        ]
        keep = matches[0]
        for match in matches[1:]:
            keep = pc.or_(keep, match)
        table = table.filter(keep)
    kept = [name for name in table.column_names if name in allowed]
    table = table.select(kept)
    known = {name: kind for name, kind in kinds.items() if kind is not None and name in kept}
    return _mask(ctx, grant, table, {name: allowed[name] for name in kept}, known)


def _mask(
    ctx: Context,
    grant: Grant,
    table: pa.Table,
    strategies: dict[str, str],
    kinds: dict[str, SensitiveKind],
) -> MaskedPage:
    masked = {name: s for name, s in strategies.items() if s != "clear"}
    if not masked:
        return MaskedPage(table, Audience.CONSUMER, {})
    keys: dict[str, bytes] = {}
    if "hash" in masked.values():
        base = DataKeys(ctx.session, ctx.services.keystore).for_writing(HASH_PURPOSE).active_key
        keys[HASH_KEY] = hmac.new(base, grant.id.encode(), hashlib.sha256).digest()
    rules = RuleSet.from_dict(
        {
            "version": 1,
            "clear_up_to": {str(reader): Grade.CORE.value for reader in Audience},
            "rules": [
                {
                    "name": f"共享授权字段{name}",
                    "fields": [name],
                    "audiences": [Audience.CONSUMER.value],
                    "strategy": {"type": strategy}
                    | ({"key": HASH_KEY} if strategy == "hash" else {}),
                }
                | ({"kind": str(kinds[name])} if name in kinds else {})
                for name, strategy in masked.items()
            ],
        }
    )
    for name in masked:
        column = table.column(name)
        if not pa.types.is_string(column.type):
            table = table.set_column(table.column_names.index(name), name, column.cast(pa.string()))
    grades = dict.fromkeys(table.column_names, Grade.GENERAL_1)
    table = Masker(rules, keys).mask_table(table, grades, Audience.CONSUMER, kinds)
    return MaskedPage(table, Audience.CONSUMER, masked)


def mask_for_grant(
    ctx: Context,
    grant: Grant,
    table: pa.Table,
    strategies: dict[str, str],
    kinds: Mapping[str, SensitiveKind | None],
) -> MaskedPage:
    """``table`` (already limited to the grant's rows and columns) masked with the
    grant's strategies: what the query service delivers."""
    known = {name: kind for name, kind in kinds.items() if kind is not None and name in strategies}
    return _mask(ctx, grant, table, strategies, known)
