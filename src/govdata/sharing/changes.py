"""The changes between two versions of a granted table, as a subscriber sees them.

Both versions are read (decrypted), limited to the grant's division scope and to
the columns that matter (granted fields, keys, the scope column), and compared
by key in DuckDB: keys only in the new version are inserted, only in the old one
deleted, in both with a different row hash updated. A row moving out of the
scope is therefore a deletion for this subscriber, one moving in an insertion.
Without key columns the whole row is the key (no updates, only both others).
The three sets are then masked as the grant says, and the batch carries its
SHA-256 and SM3 digests over its canonical JSON.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from govdata.actions import Context
from govdata.crypto.primitives import sm3_hex
from govdata.lake.checksum import row_hash_sql
from govdata.sharing.granted_data import (
    GrantedTable,
    as_granted,
    plain_rows,
    reading_protection,
    system_decision,
)
from govdata.sharing.terms import division_prefix


@dataclass(frozen=True)
class ChangeSet:
    columns: list[str]
    masked: dict[str, str]
    inserted: list[dict[str, Any]]
    updated: list[dict[str, Any]]
    deleted: list[dict[str, Any]]

    def body(self) -> dict[str, Any]:
        return {
            "columns": self.columns,
            "masked": self.masked,
            "inserted": self.inserted,
            "updated": self.updated,
            "deleted": self.deleted,
        }


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _in_scope(granted: GrantedTable, table: pa.Table) -> pa.Table:
    grant = granted.grant
    if not grant.division_codes or not grant.division_column:
        return table
    text = pc.cast(table.column(grant.division_column), pa.string())
    keep = None
    for code in grant.division_codes:
        match = pc.fill_null(pc.starts_with(text, division_prefix(code)), False)
        keep = match if keep is None else pc.or_(keep, match)
    return table.filter(keep)


def _version_rows(ctx: Context, granted: GrantedTable, version: int | None) -> pa.Table:
    names = granted.stored_columns()
    if version is None or version < 0:
        return _plain_schema(ctx, granted, names).empty_table()
    stored = granted.lake.dataset(version).to_table(columns=names)
    return _in_scope(granted, plain_rows(stored, reading_protection(ctx, granted, version), {}))


def _plain_schema(ctx: Context, granted: GrantedTable, names: list[str]) -> pa.Schema:
    version = granted.lake.version()
    assert version is not None  # noqa: S101 (granted tables exist)
    schema = granted.lake.schema(version)
    protection = reading_protection(ctx, granted, version)
    if protection is not None:
        schema = protection.plain_schema(schema)
    return pa.schema([schema.field(name) for name in names])


def diff(old: pa.Table, new: pa.Table, keys: list[str]) -> tuple[pa.Table, pa.Table, pa.Table]:
    """(inserted, updated, deleted) rows between ``old`` and ``new``, compared by ``keys``."""
    old = old.select(new.schema.names).cast(new.schema)
    keys = keys or list(new.schema.names)
    connection = duckdb.connect(":memory:", config={"enable_external_access": False})
    try:
        connection.register("old_rows", old)
        connection.register("new_rows", new)
        row_hash = row_hash_sql(new.schema)
        on = " AND ".join(f"o.{_quoted(k)} IS NOT DISTINCT FROM n.{_quoted(k)}" for k in keys)
        hashed = (
            f"WITH o AS (SELECT *, {row_hash} AS __h FROM old_rows), "  # noqa: S608
            f"n AS (SELECT *, {row_hash} AS __h FROM new_rows) "
        )

        def run(sql: str) -> pa.Table:
            return connection.sql(hashed + sql).to_arrow_table().cast(new.schema)

        # Column names are quoted identifiers of the table's own schema; no input.
        inserted = run(f"SELECT n.* EXCLUDE (__h) FROM n ANTI JOIN o ON {on}")  # noqa: S608
        deleted = run(f"SELECT o.* EXCLUDE (__h) FROM o ANTI JOIN n ON {on}")  # noqa: S608
        updated = run(
            f"SELECT n.* EXCLUDE (__h) FROM n JOIN o ON {on} WHERE n.__h <> o.__h"  # noqa: S608
        )
        return inserted, updated, deleted
    finally:
        connection.close()


def _jsonable(value: object) -> object:
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, bytes):
        return value.hex()
    return str(value)


def rows_of(table: pa.Table) -> list[dict[str, Any]]:
    return [{k: _jsonable(v) for k, v in row.items()} for row in table.to_pylist()]


def change_set(
    ctx: Context, granted: GrantedTable, from_version: int | None, to_version: int
) -> ChangeSet:
    """What changed between the versions, restricted to and masked by the grant."""
    old = _version_rows(ctx, granted, from_version)
    new = _version_rows(ctx, granted, to_version)
    keys = [k for k in granted.source.key_columns if k in new.schema.names]
    inserted, updated, deleted = diff(old, new, keys)
    decision = system_decision(granted.grant)
    pages = [as_granted(ctx, granted, decision, t, {}) for t in (inserted, updated, deleted)]
    return ChangeSet(
        columns=pages[0].table.schema.names,
        masked=pages[0].masked,
        inserted=rows_of(pages[0].table),
        updated=rows_of(pages[1].table),
        deleted=rows_of(pages[2].table),
    )


def canonical_bytes(body: dict[str, Any]) -> bytes:
    return json.dumps(body, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


def batch_digests(body: dict[str, Any]) -> tuple[str, str]:
    data = canonical_bytes(body)
    return hashlib.sha256(data).hexdigest(), sm3_hex(data)
