"""Stable profile IDs across runs: the layer Splink does not have.

Linking is recomputed from all records on every run; what must not change is
the ID people and systems hold for a profile. The state kept between runs is
the mapping ``(source_id, record_key) → profile_id`` and the aliases of merged
profiles. A run assigns IDs to its clusters like this:

1. Each record seen before votes for its previous profile ID (aliases resolved
   to their survivor). A previous ID belongs to the cluster holding most of its
   records; a tie goes to the cluster holding its smallest record reference
   ``(source_id, record_key)``.
2. A cluster that owns no previous ID gets a new one (a new person, or the part
   split off a profile that a previous run linked wrongly).
3. A cluster that owns one previous ID keeps it.
4. A cluster that owns several (a new record or a better model joined two
   profiles) keeps the one with most of its records, ties by the smaller ID;
   every other becomes an alias that redirects to the survivor. Aliases are
   kept flat: an alias of an alias is rewritten to point at the final survivor.

Records from sources not in the run keep their mapping. Everything is decided
in DuckDB over the whole run, so it is the same for a thousand records or
three million.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import duckdb
import pyarrow as pa

from govdata.db import new_id

MAPPING_SCHEMA = pa.schema(
    [("source_id", pa.string()), ("record_key", pa.string()), ("profile_id", pa.string())]
)
ALIAS_SCHEMA = pa.schema([("alias_id", pa.string()), ("profile_id", pa.string())])


@dataclass(frozen=True)
class ProfileState:
    """The mapping of records to profiles and the aliases, as of the last run."""

    mapping: pa.Table
    aliases: pa.Table

    @classmethod
    def empty(cls) -> ProfileState:
        return cls(MAPPING_SCHEMA.empty_table(), ALIAS_SCHEMA.empty_table())


@dataclass(frozen=True)
class Assignment:
    profile_ids: pa.Array  # one per record of the run, in its order
    state: ProfileState
    created: list[str] = field(default_factory=list)
    merged: list[tuple[str, str]] = field(default_factory=list)  # (alias, survivor)
    kept: int = 0


def assign_profile_ids(
    records: pa.Table, state: ProfileState, mint: Callable[[], str] = new_id
) -> Assignment:
    """Profile IDs for the clusters of ``records`` (``source_id``, ``record_key``,
    ``cluster``), given the previous ``state``."""
    con = duckdb.connect()
    try:
        con.register("cur_in", records.select(["source_id", "record_key", "cluster"]))
        con.register("prev_in", state.mapping)
        con.register("aliases_in", state.aliases)
        con.execute("CREATE TABLE cur AS SELECT row_number() OVER () - 1 AS pos, * FROM cur_in")
        con.execute(
            """
            CREATE TABLE prev AS
            SELECT p.source_id, p.record_key, coalesce(a.profile_id, p.profile_id) AS pid
            FROM prev_in p LEFT JOIN aliases_in a ON a.alias_id = p.profile_id
            """
        )
        con.execute(
            """
            CREATE TABLE votes AS
            SELECT c.cluster, p.pid, count(*) AS n,
                   min(c.source_id || chr(31) || c.record_key) AS first_ref
            FROM cur c JOIN prev p USING (source_id, record_key)
            GROUP BY c.cluster, p.pid
            """
        )
        # Each previous ID goes to one cluster; each cluster keeps its strongest ID.
        con.execute(
            """
            CREATE TABLE owned AS
            SELECT cluster, pid, n FROM votes
            QUALIFY row_number() OVER (PARTITION BY pid ORDER BY n DESC, first_ref) = 1
            """
        )
        con.execute(
            """
            CREATE TABLE ranked AS
            SELECT cluster, pid,
                   row_number() OVER (PARTITION BY cluster ORDER BY n DESC, pid) AS rank
            FROM owned
            """
        )
        merged = con.execute(
            "SELECT a.pid, s.pid FROM ranked a JOIN ranked s ON s.cluster = a.cluster "
            "AND s.rank = 1 WHERE a.rank > 1 ORDER BY a.pid"
        ).fetchall()
        new_clusters = con.sql(
            "SELECT DISTINCT cluster FROM cur WHERE cluster NOT IN "
            "(SELECT cluster FROM ranked) ORDER BY cluster"
        ).to_arrow_table()
        created = [mint() for _ in range(new_clusters.num_rows)]
        con.register(
            "minted",
            pa.table(
                {
                    "cluster": new_clusters.column("cluster"),
                    "pid": pa.array(created, pa.string()),
                }
            ),
        )
        con.execute(
            "CREATE TABLE chosen AS SELECT cluster, pid FROM ranked WHERE rank = 1 "
            "UNION ALL SELECT cluster, pid FROM minted"
        )
        assigned = con.sql(
            "SELECT c.pos, c.source_id, c.record_key, x.pid AS profile_id "
            "FROM cur c JOIN chosen x USING (cluster) ORDER BY c.pos"
        ).to_arrow_table()
        con.register("assigned", assigned)
        con.register(
            "new_aliases",
            pa.table(
                {
                    "alias_id": pa.array([a for a, _ in merged], pa.string()),
                    "profile_id": pa.array([s for _, s in merged], pa.string()),
                }
            ),
        )
        aliases = con.sql(
            """
            WITH everything AS (
                SELECT alias_id, profile_id FROM aliases_in
                UNION ALL SELECT alias_id, profile_id FROM new_aliases
            )
            SELECT e.alias_id, coalesce(n.profile_id, e.profile_id) AS profile_id
            FROM everything e LEFT JOIN new_aliases n ON n.alias_id = e.profile_id
            WHERE e.alias_id NOT IN (SELECT profile_id FROM new_aliases)
            ORDER BY e.alias_id
            """
        ).to_arrow_table()
        con.register("aliases_out", aliases)
        mapping = con.sql(
            """
            SELECT source_id, record_key, profile_id FROM assigned
            UNION ALL
            SELECT p.source_id, p.record_key, coalesce(a.profile_id, p.pid)
            FROM prev p LEFT JOIN aliases_out a ON a.alias_id = p.pid
            WHERE NOT EXISTS (
                SELECT 1 FROM cur c
                WHERE c.source_id = p.source_id AND c.record_key = p.record_key
            )
            """
        ).to_arrow_table()
        kept_row = con.execute("SELECT count(*) FROM ranked WHERE rank = 1").fetchone()
    finally:
        con.close()
    ids = assigned.column("profile_id").combine_chunks()
    if len(ids) != records.num_rows:  # a record without a cluster: a bug, not bad input
        raise RuntimeError("profile assignment lost records")
    return Assignment(
        profile_ids=ids,
        state=ProfileState(mapping.cast(MAPPING_SCHEMA), aliases.cast(ALIAS_SCHEMA)),
        created=created,
        merged=[(str(a), str(s)) for a, s in merged],
        kept=int(kept_row[0]) if kept_row else 0,
    )


def resolve(profile_id: str, aliases: dict[str, str]) -> str:
    """The surviving profile an ID (perhaps an alias) stands for."""
    return aliases.get(profile_id, profile_id)
