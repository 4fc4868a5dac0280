"""Golden records: per profile and attribute, one chosen value and every candidate.

Every non-empty value of every linked record is a candidate, with its
provenance (source, record key, source version, update time). The chosen value
is the candidate of the most authoritative source (lowest priority number);
among those, the most recently updated; then the value most records agree on;
then the smallest value, so that the choice is deterministic. For the key
attribute (identity number, credit code) only valid keys are candidates.
"""

from __future__ import annotations

import duckdb
import pyarrow as pa

from govdata.profiles.kinds import KindSpec

CANDIDATE_COLUMNS = (
    "profile_id", "attribute", "value", "source_id", "record_key", "version", "updated_at",
    "priority", "support", "chosen",
)  # fmt: skip


def golden_records(
    records: pa.Table, profile_ids: pa.Array, spec: KindSpec, *, candidates: bool = False
) -> pa.Table:
    """The chosen value of each (profile, attribute), or every candidate with ``chosen``."""
    attributes = [name for name in spec.attributes if name != spec.key_column]
    select = ", ".join(f'"{name}"' for name in attributes)
    table = records.select(
        ["source_id", "record_key", "version", "updated_at", "priority", "key", *attributes]
    ).append_column("profile_id", profile_ids)
    con = duckdb.connect()
    try:
        con.register("linked", table)
        keep = "" if candidates else "QUALIFY chosen"
        # Column names come from the kind, not from input.
        return con.sql(
            f"""
            WITH wide AS (
                SELECT profile_id, source_id, record_key, version, updated_at, priority,
                       key AS "{spec.key_column}", {select}
                FROM linked
            ),
            long AS (
                UNPIVOT wide ON "{spec.key_column}", {select}
                INTO NAME attribute VALUE value
            ),
            counted AS (
                SELECT *, count(*) OVER (PARTITION BY profile_id, attribute, value) AS support
                FROM long
            )
            SELECT profile_id, attribute, value, source_id, record_key, version, updated_at,
                   priority, support,
                   row_number() OVER (
                       PARTITION BY profile_id, attribute
                       ORDER BY priority, updated_at DESC NULLS LAST, support DESC, value,
                                source_id, record_key
                   ) = 1 AS chosen
            FROM counted
            {keep}
            ORDER BY profile_id, attribute, NOT chosen, priority, source_id, record_key
            """  # noqa: S608
        ).to_arrow_table()
    finally:
        con.close()
