"""How the services read a lake table version: keyed look-ups through a row-group
index, and filtered pages with the grant's division scope inside the query.

**Keyed look-ups** must not scan millions of rows per call. Each Parquet row
group carries the minimum and maximum of every column; :class:`KeyIndex` reads
them once per table version and key column (the version's footers only, no
data) and keeps them in memory. A look-up then opens only the row groups whose
range holds the key's stored value (for an encrypted key column: its
ciphertexts under every key version, as :meth:`TableProtection.where` makes
them) and filters those. How few that is depends on the layout: a version whose
files are sorted by the key column (as the benchmark writes the 5,000,000-person
table, in row groups of 8,192 rows) needs one row group per key; an unsorted
version has wide ranges and degrades to reading every row group, which is still
correct. Indexes are cached per (table, version, column) in
:class:`KeyIndexCache`, with the current version of each table remembered for a
second, so a steady stream of calls opens the Delta log at most once a second.

**Pages** (filters other than the key) run in DuckDB like every lake read, with
the grant's division scope as a ``starts_with`` condition of the same query, so
the total and the paging count only rows the grant covers.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as pads

from govdata.errors import InvalidInput
from govdata.lake.protection import TableProtection
from govdata.lake.query import LakeReader
from govdata.lake.tables import LakeTable
from govdata.sharing.terms import division_prefix

VERSION_TTL_SECONDS = 1.0
CACHED_INDEXES = 8


@dataclass(frozen=True)
class RowGroupRange:
    # The fragment narrowed to this one row group (made once: narrowing costs).
    fragment: pads.ParquetFileFragment
    low: object
    high: object


class KeyIndex:
    """Where each key may be, for one version and column: per row group, the
    column's minimum and maximum."""

    def __init__(self, dataset: pads.Dataset, column: str) -> None:
        self.dataset = dataset
        self.column = column
        self.ranges: list[RowGroupRange] = []
        self.unindexed: list[pads.ParquetFileFragment] = []
        for fragment in dataset.get_fragments():
            if not isinstance(fragment, pads.ParquetFileFragment):  # pragma: no cover
                continue
            fragment.ensure_complete_metadata()
            for group in fragment.row_groups:
                stats = (group.statistics or {}).get(column)
                if not stats or stats.get("min") is None or stats.get("max") is None:
                    self.unindexed.append(fragment.subset(row_group_ids=[group.id]))
                    continue
                self.ranges.append(
                    RowGroupRange(
                        fragment.subset(row_group_ids=[group.id]), stats["min"], stats["max"]
                    )
                )

    @property
    def row_groups(self) -> int:
        return len(self.ranges) + len(self.unindexed)

    def candidates(self, values: Sequence[object]) -> list[pads.ParquetFileFragment]:
        found = [
            span.fragment
            for span in self.ranges
            if any(span.low <= value <= span.high for value in values)  # type: ignore[operator]
        ]
        return found + self.unindexed

    def lookup(self, values: Sequence[object], columns: Sequence[str] | None) -> pa.Table:
        """The rows whose key column holds one of ``values`` (stored form)."""
        present = [value for value in values if value is not None]
        if not present:
            return self.dataset.schema.empty_table().select(columns or self.dataset.schema.names)
        key_type = self.dataset.schema.field(self.column).type
        condition = pc.field(self.column).isin(pa.array(present, type=key_type))
        parts = [
            fragment.to_table(columns=list(columns) if columns else None, filter=condition)
            for fragment in self.candidates(present)
        ]
        parts = [part for part in parts if part.num_rows]
        if not parts:
            schema = self.dataset.schema
            return schema.empty_table().select(list(columns) if columns else schema.names)
        return pa.concat_tables(parts, promote_options="permissive")


class KeyIndexCache:
    """Key indexes of recently used table versions, shared by the node's threads."""

    def __init__(
        self, capacity: int = CACHED_INDEXES, version_ttl: float = VERSION_TTL_SECONDS
    ) -> None:
        self.capacity = capacity
        self.version_ttl = version_ttl
        self._lock = threading.Lock()
        self._indexes: OrderedDict[tuple[str, int, str], KeyIndex] = OrderedDict()
        self._versions: dict[str, tuple[float, int | None]] = {}
        self._encrypted: dict[tuple[str, int], tuple[str, ...]] = {}

    def current_version(self, lake: LakeTable) -> int | None:
        now = time.monotonic()
        with self._lock:
            known = self._versions.get(lake.uri)
        if known is not None and now - known[0] < self.version_ttl:
            return known[1]
        version = lake.version()
        with self._lock:
            self._versions[lake.uri] = (now, version)
        return version

    def encrypted_columns(
        self,
        lake: LakeTable,
        version: int,
        find: Callable[[pa.Schema], Sequence[str]],
    ) -> tuple[str, ...]:
        """The encrypted columns of a version (a version never changes)."""
        key = (lake.uri, version)
        with self._lock:
            known = self._encrypted.get(key)
        if known is None:
            known = tuple(find(lake.schema(version)))
            with self._lock:
                if len(self._encrypted) > 64 * self.capacity:
                    self._encrypted.clear()
                self._encrypted[key] = known
        return known

    def index(self, lake: LakeTable, version: int, column: str) -> KeyIndex:
        key = (lake.uri, version, column)
        with self._lock:
            found = self._indexes.get(key)
            if found is not None:
                self._indexes.move_to_end(key)
                return found
        built = KeyIndex(lake.dataset(version), column)
        with self._lock:
            self._indexes[key] = built
            while len(self._indexes) > self.capacity:
                self._indexes.popitem(last=False)
        return built


def stored_values(
    protection: TableProtection | None, column: str, values: Sequence[str]
) -> list[object]:
    """``values`` of ``column`` as stored (ciphertexts when the column is encrypted)."""
    if protection is None or column not in protection.columns:
        return list(values)
    translated = protection.where({column: list(values)})[column]
    return list(translated) if isinstance(translated, list) else [translated]


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def scoped_page(
    lake: LakeTable,
    version: int,
    protection: TableProtection | None,
    *,
    columns: Sequence[str],
    where: Mapping[str, str],
    scope_column: str | None,
    scope_codes: Sequence[str],
    limit: int,
    offset: int,
    reader: LakeReader | None = None,
) -> tuple[pa.Table, int]:
    """A page of the rows matching ``where`` inside the division scope, and their total."""
    reader = reader or LakeReader()
    schema = lake.schema(version)
    for name in [*columns, *where, *([scope_column] if scope_column else [])]:
        if name not in schema.names:
            raise InvalidInput(
                f"数据表中没有列“{name}”", code="lake_unknown_column", fields={"where": name}
            )
    clauses: list[str] = []
    params: list[object] = []
    for name, value in where.items():
        options = stored_values(protection, name, [value])
        if protection is not None and name in protection.columns:
            clauses.append(f"{_quoted(name)} IN ({', '.join('?' for _ in options)})")
            params.extend(options)
        else:
            clauses.append(f"CAST({_quoted(name)} AS VARCHAR) = ?")
            params.append(value)
    if scope_column and scope_codes:
        prefixes = [division_prefix(code) for code in scope_codes]
        text = f"CAST({_quoted(scope_column)} AS VARCHAR)"
        clauses.append("(" + " OR ".join(f"starts_with({text}, ?)" for _ in prefixes) + ")")
        params.extend(prefixes)
    condition = (" WHERE " + " AND ".join(clauses)) if clauses else ""
    selected = ", ".join(_quoted(name) for name in columns)
    tables = {"service_rows": (lake, version)}
    page = reader.sql(
        tables,
        f"SELECT {selected} FROM service_rows{condition} LIMIT {int(limit)} OFFSET {int(offset)}",  # noqa: S608
        params,
    )
    counted = reader.sql(tables, f"SELECT count(*) FROM service_rows{condition}", params)  # noqa: S608
    total = int(counted.column(0)[0].as_py())
    if protection is not None:
        page = protection.decrypt(page)
    return page, total
