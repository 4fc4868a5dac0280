"""Finding resources that different departments collect twice (重复采集).

Every column of every table is reduced, in one DuckDB pass per table, to the
64-bit hashes of its normalised values (:mod:`govdata.verification.normalise`;
encrypted columns are decrypted first, since each table encrypts under its own
key). From these:

* a **bottom-k sketch** per column (the ``sketch_size`` smallest distinct
  hashes; a MinHash variant) estimates the Jaccard similarity of two columns'
  value sets: among the k smallest hashes of the union of the two sketches, the
  share present in both. Columns with fewer distinct values than k are compared
  exactly.
* two columns of two tables score ``0.4 × name similarity + 0.6 × value
  Jaccard`` (name similarity: the better of the names' and the Chinese labels'
  similarity ratios); pairs at or above ``match_score`` are matched one to one,
  best first. Equal names alone (0.4) never match: the values must overlap.
* the **column match ratio** of two tables is matched columns over the columns
  of the narrower table; pairs at or above ``threshold`` are reported.
* the **row overlap** of a reported pair is measured exactly on its matched key
  columns (a key column of either table: its declared keys, or else its
  identifier columns such as ID numbers and credit codes): shared distinct keys
  over the distinct keys of the smaller side; the best key pair is reported.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from difflib import SequenceMatcher

import duckdb
import pyarrow as pa

from govdata.verification.compare import connection
from govdata.verification.normalise import normalised, quoted

NAME_WEIGHT = 0.4
VALUE_WEIGHT = 0.6


@dataclass(frozen=True)
class ScanColumn:
    name: str
    label: str


@dataclass(frozen=True)
class ScanTable:
    organisation_id: str
    reader: pa.RecordBatchReader
    columns: list[ScanColumn]
    key_columns: list[str]


@dataclass(frozen=True)
class Match:
    column_a: str
    column_b: str
    name_similarity: float
    value_jaccard: float
    key: bool


@dataclass(frozen=True)
class PairResult:
    a: int
    b: int
    column_match_ratio: float
    mean_value_jaccard: float
    row_overlap: float | None
    matches: list[Match] = field(default_factory=list)


def name_similarity(a: ScanColumn, b: ScanColumn) -> float:
    scores = [SequenceMatcher(None, a.name.lower(), b.name.lower()).ratio()]
    if a.label and b.label:
        scores.append(SequenceMatcher(None, a.label, b.label).ratio())
    return max(scores)


def sketch_jaccard(a: list[int], b: list[int], size: int) -> float:
    """Jaccard of two value sets estimated from their bottom-k sketches."""
    if not a or not b:
        return 0.0
    first, second = set(a), set(b)
    union = sorted(first | second)[:size]
    both = sum(1 for value in union if value in first and value in second)
    return both / len(union)


def _hashed(position: int, table: ScanTable) -> str:
    columns = [
        f"CASE WHEN v{j} IS NULL THEN NULL ELSE hash(v{j}) END AS c{j}"
        for j in range(len(table.columns))
    ]
    inner = [f"{normalised(quoted(column.name))} AS v{j}" for j, column in enumerate(table.columns)]
    return (
        f"CREATE TEMP TABLE h{position} AS SELECT {', '.join(columns)} "  # noqa: S608
        f"FROM (SELECT {', '.join(inner)} FROM input{position})"
    )


def scan(
    tables: Sequence[ScanTable], *, threshold: float, match_score: float, sketch_size: int
) -> list[PairResult]:
    found: list[PairResult] = []
    with connection() as con:
        sketches: list[list[list[int]]] = []
        for position, table in enumerate(tables):
            con.register(f"input{position}", table.reader)
            con.execute(_hashed(position, table))
            con.unregister(f"input{position}")
            sketches.append(
                [
                    [
                        int(row[0])
                        for row in con.execute(
                            f"SELECT DISTINCT c{j} FROM h{position} "  # noqa: S608
                            f"WHERE c{j} IS NOT NULL ORDER BY 1 LIMIT {int(sketch_size)}"
                        ).fetchall()
                    ]
                    for j in range(len(table.columns))
                ]
            )
        for a in range(len(tables)):
            for b in range(a + 1, len(tables)):
                if tables[a].organisation_id == tables[b].organisation_id:
                    continue
                pair = _pair(
                    tables, sketches=sketches, a=a, b=b, match_score=match_score, size=sketch_size
                )
                if pair is None or pair.column_match_ratio < threshold:
                    continue
                found.append(_with_row_overlap(con, tables, pair))
    return found


def _pair(
    tables: Sequence[ScanTable],
    *,
    sketches: list[list[list[int]]],
    a: int,
    b: int,
    match_score: float,
    size: int,
) -> PairResult | None:
    left, right = tables[a], tables[b]
    if not left.columns or not right.columns:
        return None
    candidates: list[tuple[float, int, int, float, float]] = []
    for i, column_a in enumerate(left.columns):
        for j, column_b in enumerate(right.columns):
            similarity = name_similarity(column_a, column_b)
            jaccard = sketch_jaccard(sketches[a][i], sketches[b][j], size)
            score = NAME_WEIGHT * similarity + VALUE_WEIGHT * jaccard
            if score >= match_score:
                candidates.append((score, i, j, similarity, jaccard))
    used_a: set[int] = set()
    used_b: set[int] = set()
    matches: list[Match] = []
    for _, i, j, similarity, jaccard in sorted(candidates, key=lambda c: (-c[0], c[1], c[2])):
        if i in used_a or j in used_b:
            continue
        used_a.add(i)
        used_b.add(j)
        name_a, name_b = left.columns[i].name, right.columns[j].name
        matches.append(
            Match(
                column_a=name_a,
                column_b=name_b,
                name_similarity=round(similarity, 4),
                value_jaccard=round(jaccard, 4),
                key=name_a in left.key_columns or name_b in right.key_columns,
            )
        )
    narrower = min(len(left.columns), len(right.columns))
    mean = sum(m.value_jaccard for m in matches) / len(matches) if matches else 0.0
    return PairResult(
        a=a,
        b=b,
        column_match_ratio=round(len(matches) / narrower, 4),
        mean_value_jaccard=round(mean, 4),
        row_overlap=None,
        matches=matches,
    )


def _with_row_overlap(
    con: duckdb.DuckDBPyConnection, tables: Sequence[ScanTable], pair: PairResult
) -> PairResult:
    best: float | None = None
    names_a = [column.name for column in tables[pair.a].columns]
    names_b = [column.name for column in tables[pair.b].columns]
    for match in pair.matches:
        if not match.key:
            continue
        i, j = names_a.index(match.column_a), names_b.index(match.column_b)
        row = con.execute(
            f"WITH x AS (SELECT DISTINCT c{i} AS h FROM h{pair.a} WHERE c{i} IS NOT NULL), "  # noqa: S608
            f"y AS (SELECT DISTINCT c{j} AS h FROM h{pair.b} WHERE c{j} IS NOT NULL) "
            "SELECT (SELECT count(*) FROM x JOIN y USING (h)), "
            "(SELECT count(*) FROM x), (SELECT count(*) FROM y)"
        ).fetchone()
        assert row is not None  # noqa: S101
        shared, left, right = (int(value) for value in row)
        smaller = min(left, right)
        if smaller:
            overlap = round(shared / smaller, 4)
            best = overlap if best is None else max(best, overlap)
    return PairResult(
        a=pair.a,
        b=pair.b,
        column_match_ratio=pair.column_match_ratio,
        mean_value_jaccard=pair.mean_value_jaccard,
        row_overlap=best,
        matches=pair.matches,
    )
