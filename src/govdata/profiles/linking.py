"""Linking records of many sources into clusters, one per person or enterprise.

1. **Exact.** A record whose key (identity number, credit code) passes its
   check digit and structure checks (:mod:`govdata.profiles.keys`) joins the
   cluster of that key. Invalid keys are ignored: such a record is keyless.
2. **Probabilistic.** Only keyless records go through Splink (DuckDB): each is
   scored against the keyed records that share a blocking key with it
   (``predict_between``) and against the other keyless records
   (``predict_within``). Keyed records are never compared with each other, so
   the work grows with the keyless records, not with all records squared.
   The model's u probabilities come from random sampling with a fixed seed and
   its m probabilities from expectation maximisation on a fixed, hash-chosen
   sample, so the same input gives the same model and the same links.
3. **Clustering.** Pairs at or above the threshold are applied strongest
   first (ties by record number) with a union-find that never joins two
   different valid keys: a keyless record joins the key it resembles most.

The result gives every record a cluster number; stable profile IDs are
assigned to clusters by :mod:`govdata.profiles.stable`.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

import duckdb
import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc
from splink import DuckDBAPI, Linker, SettingsCreator

from govdata.profiles.kinds import KindSpec

I64 = npt.NDArray[np.int64]

METHOD_EXACT = "exact"
METHOD_PROBABILISTIC = "probabilistic"
METHOD_SINGLE = "single"

TRAINING_RECORDS = 200_000
U_SAMPLE_PAIRS = 2_000_000
SEED = 20260101


@dataclass(frozen=True)
class SourceBatch:
    """The records of one source: a ``record_key`` column and the kind's attributes.

    ``priority`` orders sources for golden records (1 is the most authoritative);
    an ``updated_at`` column, if present, breaks ties by recency.
    """

    source_id: str
    table: pa.Table
    priority: int = 100
    version: int | None = None


@dataclass(frozen=True)
class LinkOptions:
    threshold: float = 0.9
    probabilistic: bool = True
    threads: int | None = None
    training_records: int = TRAINING_RECORDS


@dataclass
class LinkResult:
    """``records``: one row per input record with ``uid``, ``source_id``, ``record_key``,
    ``priority``, ``version``, ``updated_at``, the attributes, ``key`` (the valid key or
    null), ``cluster``, ``method`` and ``match_probability``."""

    records: pa.Table
    clusters: int
    pairs_scored: int = 0
    timings: dict[str, float] = field(default_factory=dict)


def records_table(batches: Sequence[SourceBatch], spec: KindSpec) -> pa.Table:
    """All batches as one table of strings with a running ``uid`` and the valid ``key``."""
    parts = []
    start = 0
    for batch in batches:
        table = batch.table
        rows = table.num_rows
        columns: dict[str, pa.Array | pa.ChunkedArray] = {
            "uid": pa.array(np.arange(start, start + rows, dtype=np.int64)),
            "source_id": pa.array([batch.source_id] * rows, pa.string()),
            "record_key": table.column("record_key").cast(pa.string()),
            "priority": pa.array(np.full(rows, batch.priority, dtype=np.int32)),
            "version": pa.nulls(rows, pa.int64())
            if batch.version is None
            else pa.array(np.full(rows, batch.version, dtype=np.int64)),
            "updated_at": table.column("updated_at").cast(pa.string())
            if "updated_at" in table.column_names
            else pa.nulls(rows, pa.string()),
        }
        for name in spec.attributes:
            if name in table.column_names:
                values = pc.utf8_trim_whitespace(table.column(name).cast(pa.string()))
                columns[name] = pc.if_else(pc.equal(values, ""), None, values)
            else:
                columns[name] = pa.nulls(rows, pa.string())
        parts.append(pa.table(columns))
        start += rows
    table = pa.concat_tables(parts) if parts else pa.table({"uid": pa.array([], pa.int64())})
    return table.append_column("key", spec.validate(table.column(spec.key_column)))


class _Clusters:
    """Union-find over key clusters and keyless records that never joins two keys."""

    def __init__(self, nodes: int, keyed: npt.NDArray[np.bool_]) -> None:
        self.parent = list(range(nodes))
        self.keyed = keyed.tolist()

    def find(self, node: int) -> int:
        parent = self.parent
        root = node
        while parent[root] != root:
            root = parent[root]
        while parent[node] != root:
            parent[node], node = root, parent[node]
        return root

    def join(self, a: int, b: int) -> bool:
        root_a, root_b = self.find(a), self.find(b)
        if root_a == root_b:
            return True
        if self.keyed[root_a] and self.keyed[root_b]:
            return False  # two different valid keys are two different subjects
        if self.keyed[root_b] or (not self.keyed[root_a] and root_b < root_a):
            root_a, root_b = root_b, root_a
        self.parent[root_b] = root_a
        return True


def _settings(spec: KindSpec, prior: float) -> SettingsCreator:
    return SettingsCreator(
        link_type="dedupe_only",
        unique_id_column_name="unique_id",
        comparisons=spec.comparisons(),
        blocking_rules_to_generate_predictions=spec.blocking_rules(),
        probability_two_random_records_match=prior,
        retain_intermediate_calculation_columns=False,
        retain_matching_columns=False,
    )


def _prior(keyed: int, keys: int, total: int) -> float:
    """The chance that two random records match, from the keyed records' duplication."""
    per_subject = keyed / keys if keys else 1.0
    return float(min(0.5, max((per_subject - 1.0) / max(total, 1), 1e-9)))


def _score_keyless(
    con: duckdb.DuckDBPyConnection, spec: KindSpec, records: pa.Table, options: LinkOptions
) -> pa.Table:
    """Scored pairs (``uid_a``, ``uid_b``, ``p``) of keyless records with every record."""
    con.register("records_in", records)
    con.execute(
        f"CREATE OR REPLACE TABLE keyless AS SELECT {spec.prepare_sql} "  # noqa: S608 (SQL of the kind and Splink's tables, no input)
        "FROM records_in WHERE key IS NULL"
    )
    con.execute(
        f"CREATE OR REPLACE TABLE keyed AS SELECT {spec.prepare_sql} "  # noqa: S608 (SQL of the kind and Splink's tables, no input)
        "FROM records_in WHERE key IS NOT NULL"
    )
    keyed_count, keys = con.execute(
        "SELECT count(*), count(DISTINCT key) FROM records_in WHERE key IS NOT NULL"
    ).fetchone() or (0, 0)
    # A fixed sample: every record of the keys whose hash falls in the first buckets,
    # so that sampled subjects keep all their records, plus some keyless records.
    buckets = max(1, keyed_count // max(options.training_records, 1))
    con.execute(
        f"CREATE OR REPLACE TABLE training AS SELECT {spec.prepare_sql} FROM records_in "  # noqa: S608 (SQL of the kind and Splink's tables, no input)
        f"WHERE (key IS NOT NULL AND hash(key) % {buckets} = 0) "
        f"OR (key IS NULL AND hash(uid) % {buckets * 4} = 0)"
    )
    con.unregister("records_in")
    db_api = DuckDBAPI(con)
    prior = _prior(int(keyed_count), int(keys), records.num_rows)
    training = db_api.register("training", table_name="profile_training")
    linker = Linker(training, _settings(spec, prior), log_level=logging.ERROR)
    linker.training.estimate_u_using_random_sampling(max_pairs=U_SAMPLE_PAIRS, seed=SEED)
    for rule in spec.training_rules():
        linker.training.estimate_parameters_using_expectation_maximisation(
            rule,
            fix_probability_two_random_records_match=True,
            record_sample_proportion=1.0,
        )
    keyless = db_api.register("keyless", table_name="profile_keyless")
    keyed = db_api.register("keyed", table_name="profile_keyed")
    between = linker.inference.predict_between(
        keyless, keyed, threshold_match_probability=options.threshold, warning_mode="never"
    )
    within = linker.inference.predict_within(
        keyless, threshold_match_probability=options.threshold, warning_mode="never"
    )
    tables = (between.physical_name, within.physical_name)  # Splink's tables, no input
    query = " UNION ALL ".join(
        f"SELECT unique_id_l AS uid_a, unique_id_r AS uid_b, match_probability AS p FROM {t}"  # noqa: S608
        for t in tables
    )
    return con.sql(f"{query} ORDER BY p DESC, uid_a, uid_b").to_arrow_table()


def _apply_pairs(
    pairs: pa.Table, node: I64, clusters: _Clusters, size: int
) -> npt.NDArray[np.float64]:
    """Join the pairs strongest first; return each record's strongest pair probability."""
    uid_a = pairs.column("uid_a").to_numpy()
    uid_b = pairs.column("uid_b").to_numpy()
    scores = pairs.column("p").to_numpy()
    for a, b in zip(node[uid_a].tolist(), node[uid_b].tolist(), strict=True):
        clusters.join(a, b)
    best = np.full(size, np.nan)
    for uids in (uid_a, uid_b):
        order = np.argsort(uids, kind="stable")
        unique, first = np.unique(uids[order], return_index=True)
        if len(first):
            best[unique] = np.fmax(best[unique], np.maximum.reduceat(scores[order], first))
    return best


def _probabilistic(
    records: pa.Table, spec: KindSpec, options: LinkOptions, node: I64, clusters: _Clusters
) -> tuple[npt.NDArray[np.float64], int, dict[str, float]]:
    timings: dict[str, float] = {}
    started = time.perf_counter()
    con = duckdb.connect()
    if options.threads:
        con.execute(f"SET threads = {options.threads}")
    try:
        pairs = _score_keyless(con, spec, records, options)
    finally:
        con.close()
    timings["probabilistic"] = time.perf_counter() - started
    started = time.perf_counter()
    best = _apply_pairs(pairs, node, clusters, records.num_rows)
    timings["cluster"] = time.perf_counter() - started
    return best, pairs.num_rows, timings


def link(
    batches: Sequence[SourceBatch], spec: KindSpec, options: LinkOptions | None = None
) -> LinkResult:
    """Link the records of ``batches`` (see the module docstring)."""
    options = options or LinkOptions()
    started = time.perf_counter()
    records = records_table(batches, spec)
    timings = {"prepare": time.perf_counter() - started}

    started = time.perf_counter()
    encoded = pc.dictionary_encode(records.column("key")).combine_chunks()
    key_index = encoded.indices.to_numpy(zero_copy_only=False)
    keyed = np.asarray(records.column("key").is_valid().to_numpy(zero_copy_only=False))
    keys = len(encoded.dictionary)
    keyless_uids = np.flatnonzero(~keyed)
    # Nodes: one per key, then one per keyless record.
    node = np.empty(records.num_rows, dtype=np.int64)
    node[keyed] = np.asarray(key_index[keyed], dtype=np.int64)
    node[keyless_uids] = keys + np.arange(len(keyless_uids), dtype=np.int64)
    node_keyed = np.zeros(keys + len(keyless_uids), dtype=np.bool_)
    node_keyed[:keys] = True
    clusters = _Clusters(len(node_keyed), node_keyed)
    timings["exact"] = time.perf_counter() - started

    probability = np.full(records.num_rows, np.nan)
    pairs_scored = 0
    if options.probabilistic and len(keyless_uids) and records.num_rows > 1:
        probability, pairs_scored, more = _probabilistic(records, spec, options, node, clusters)
        timings |= more

    roots = np.fromiter((clusters.find(n) for n in node.tolist()), np.int64, len(node))
    _, cluster = np.unique(roots, return_inverse=True)
    cluster = cluster.astype(np.int64)
    sizes = np.bincount(cluster)
    method = np.where(
        keyed, METHOD_EXACT, np.where(sizes[cluster] > 1, METHOD_PROBABILISTIC, METHOD_SINGLE)
    )
    probability = np.where(method == METHOD_PROBABILISTIC, probability, np.nan)
    records = records.append_column("cluster", pa.array(cluster))
    records = records.append_column("method", pa.array(method.astype(str), pa.string()))
    records = records.append_column(
        "match_probability", pa.array(probability, pa.float64(), mask=np.isnan(probability))
    )
    return LinkResult(
        records=records, clusters=len(sizes), pairs_scored=pairs_scored, timings=timings
    )
