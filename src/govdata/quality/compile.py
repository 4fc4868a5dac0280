"""Rules compiled to DuckDB SQL predicates over one registered table.

Every row-level rule becomes a boolean expression that is true when the row
conforms; all of them are evaluated together in one scan (:mod:`.engine`).
Built-in rules treat an empty (null) value as conforming: completeness is what
``not_null`` rules measure. A custom ``sql`` rule follows SQL ``CHECK``
semantics: a null result conforms.

Custom expressions are parsed and bound against the one table only
(:func:`validate_expression`): a single expression, no subqueries, no other
tables, no table functions, no window functions, a boolean result.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

import duckdb
import pyarrow as pa

from govdata.errors import InvalidInput
from govdata.quality.rules import DivisionCheck, RuleKind, RuleSetSpec, RuleSpec
from govdata.quality.vectorized import CREDIT_CODE, DIVISION_UNTIL, id_number_validator

TABLE = "gd_rows"  # the version's rows (decrypted where needed)
STORED = "gd_stored"  # the version's rows as stored (encrypted columns as ciphertexts)
DIVISIONS = "gd_divisions"  # code, valid_until (9999-12-31 when current), current
STORED_PREFIX = "_gd_stored_"
FLAGGED = "gd_flagged"  # a rule's candidate failing rows, to confirm (uniqueness)
FLAGGED_ORDER = "_gd_row"  # their order in the scan's output
VERDICT_PREFIX = "_gd_ok_"  # a validator's verdict, computed during the scan
FAR_FUTURE = date(9999, 12, 31)

ID_WEIGHTS = tuple(pow(2, 17 - i, 11) for i in range(17))
PROVINCES = [
    "11",
    "12",
    "13",
    "14",
    "15",
    "21",
    "22",
    "23",
    "31",
    "32",
    "33",
    "34",
    "35",
    "36",
    "37",
    "41",
    "42",
    "43",
    "44",
    "45",
    "46",
    "50",
    "51",
    "52",
    "53",
    "54",
    "61",
    "62",
    "63",
    "64",
    "65",
    "71",
    "81",
    "82",
]
PHONE_PATTERN = r"(?:\+?86[- ]?)?(?:1[3-9][0-9]{9}|0[0-9]{2,3}-?[0-9]{7,8}(?:-[0-9]{1,6})?)"
# The plain mobile form, one branch of PHONE_PATTERN: most values are that, and
# RE2 decides it in less time than the whole alternation.
MOBILE_PATTERN = r"1[3-9][0-9]{9}"


def quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


@dataclass(frozen=True)
class EvaluationContext:
    """What rules are evaluated against besides the table itself."""

    today: date
    now: datetime  # aware, UTC
    commit_time: datetime | None = None  # when the evaluated version was written
    default_max_age_days: int | None = None  # from the catalog entry's update cycle
    divisions: pa.Table | None = None  # code, valid_until, current
    references: Mapping[tuple[str, str], pa.Table] = field(default_factory=dict)


@dataclass(frozen=True)
class CompiledRule:
    spec: RuleSpec
    predicate: str | None  # None: evaluated on the table as a whole (freshness)
    outputs: tuple[str, ...]  # columns whose values a failing row records
    reads: tuple[str, ...] = ()  # further columns the predicate reads
    # When set, the predicate only marks candidates (a superset of the failing rows) and
    # this query over them (FLAGGED, in FLAGGED_ORDER) says which fail, in that order.
    confirm: str | None = None


@dataclass(frozen=True)
class Verdict:
    """A column the scan adds: ``validator`` (:mod:`.vectorized`) applied to ``source``."""

    name: str
    source: str
    validator: str


@dataclass
class CompiledSet:
    rules: list[CompiledRule]
    key_columns: list[str]
    verdicts: list[Verdict] = field(default_factory=list)
    ctes: list[str] = field(default_factory=list)
    tables: dict[str, pa.Table] = field(default_factory=dict)
    needs_stored: bool = False  # some rule scans the stored table (uniqueness)

    @property
    def row_rules(self) -> list[CompiledRule]:
        return [rule for rule in self.rules if rule.predicate is not None]

    def columns(self) -> list[str]:
        """The table columns the scan must read."""
        names: dict[str, None] = dict.fromkeys(self.key_columns)
        for rule in self.rules:
            for name in rule.outputs:
                names[name] = None
            if rule.spec.at_column:
                names[rule.spec.at_column] = None
            names.update(dict.fromkeys(rule.reads))
        return list(names)


class RuleError(InvalidInput):
    """A rule that cannot be evaluated on the table as it is."""


def _unknown(rule: RuleSpec, name: str) -> RuleError:
    return RuleError(
        f"规则“{rule.code}”引用的列“{name}”不在数据表中",
        code="quality_unknown_column",
        fields={f"rules.{rule.code}": name},
    )


class _Compiler:
    def __init__(
        self,
        rule_set: RuleSetSpec,
        schema: pa.Schema,
        encrypted: frozenset[str],
        context: EvaluationContext,
        key_columns: list[str],
    ) -> None:
        self.rule_set = rule_set
        self.schema = schema
        self.encrypted = encrypted
        self.context = context
        self.result = CompiledSet(rules=[], key_columns=key_columns)
        self._checks: duckdb.DuckDBPyConnection | None = None

    def checks(self) -> duckdb.DuckDBPyConnection:
        """One connection for every custom expression and pattern checked in a compile."""
        if self._checks is None:
            self._checks = _connection()
        return self._checks

    def close(self) -> None:
        if self._checks is not None:
            self._checks.close()
            self._checks = None

    # -- helpers ---------------------------------------------------------------------

    def column(self, rule: RuleSpec, name: str) -> str:
        if name not in self.schema.names or name.startswith("_gd_"):
            raise _unknown(rule, name)
        return quoted(name)

    def is_text(self, name: str) -> bool:
        data_type = self.schema.field(name).type
        return bool(
            pa.types.is_string(data_type)
            or pa.types.is_large_string(data_type)
            or pa.types.is_string_view(data_type)
        )

    def text(self, rule: RuleSpec, name: str) -> str:
        column = self.column(rule, name)
        return column if self.is_text(name) else f"CAST({column} AS VARCHAR)"

    def need_divisions(self) -> None:
        table = self.context.divisions
        if table is None:
            table = pa.table(
                {
                    "code": pa.array([], pa.string()),
                    "valid_until": pa.array([], pa.date32()),
                    "current": pa.array([], pa.bool_()),
                }
            )
        self.result.tables[DIVISIONS] = table

    # -- kinds -----------------------------------------------------------------------

    def compile(self) -> CompiledSet:
        for name in self.result.key_columns:
            if name not in self.schema.names:
                raise RuleError(
                    f"主键列“{name}”不在数据表中",
                    code="quality_unknown_column",
                    fields={"key_columns": name},
                )
        for index, rule in enumerate(self.rule_set.rules):
            reads: tuple[str, ...] = ()
            confirm = None
            if rule.kind == RuleKind.SQL:
                assert rule.expression is not None  # noqa: S101 (validated)
                reads = validate_expression(
                    rule.expression, self.schema, code=rule.code, connection=self.checks()
                )
                predicate: str | None = f"coalesce(CAST(({rule.expression}) AS BOOLEAN), TRUE)"
            elif rule.kind == RuleKind.UNIQUE:
                predicate, confirm = self.unique(index, rule)
            else:
                predicate = self.predicate(index, rule)
            outputs = tuple(rule.checked_columns) if rule.kind != RuleKind.SQL else ()
            for name in outputs:
                self.column(rule, name)
            self.result.rules.append(CompiledRule(rule, predicate, outputs, reads, confirm))
        return self.result

    def predicate(self, index: int, rule: RuleSpec) -> str | None:  # noqa: PLR0912 (one case per rule kind)
        kind = rule.kind
        if kind == RuleKind.FRESHNESS:
            return self.freshness(rule)
        assert rule.column is not None  # noqa: S101 (validated)
        name = rule.column
        column = self.column(rule, name)
        if kind == RuleKind.NOT_NULL:
            if self.is_text(name):
                return f"({column} IS NOT NULL AND {not_blank_sql(column)})"
            return f"({column} IS NOT NULL)"
        if kind == RuleKind.REFERENCE:
            return self.reference(index, rule, name)
        if kind == RuleKind.ELEMENT:
            raise InvalidInput(
                f"规则“{rule.code}”引用数据元，须经 quality_rules_set 展开后才能运行",
                code="quality_element_unexpanded",
                fields={f"rules.{rule.code}": "element"},
            )
        value = self.text(rule, name)
        match kind:
            case RuleKind.ID_NUMBER:
                mode = rule.division_check or DivisionCheck.VALID_SINCE
                check = self.verdict(index, name, id_number_validator(mode.value))
            case RuleKind.CREDIT_CODE:
                check = self.verdict(index, name, CREDIT_CODE)
            case RuleKind.DIVISION_CODE:
                check = self.division_code(rule, value)
            case RuleKind.PHONE:
                check = phone_sql(value)
            case RuleKind.DATE:
                check = self.date_range(rule, name)
            case RuleKind.RANGE:
                number = (
                    f"try_cast({column} AS DOUBLE)"
                    if self.is_text(name)
                    else f"CAST({column} AS DOUBLE)"
                )
                check = _between(number, rule.min, rule.max, numeric=True)
            case RuleKind.LENGTH:
                check = _between(
                    f"length({value})", _whole(rule.min), _whole(rule.max), numeric=True
                )
            case RuleKind.ENUM:
                check = f"{value} IN ({', '.join(literal(v) for v in rule.values)})"
            case RuleKind.PATTERN:
                assert rule.pattern is not None  # noqa: S101 (validated)
                check_pattern(rule.pattern, rule.code, self.checks())
                check = pattern_sql(value, rule.pattern)
            case _:  # pragma: no cover (every kind is handled above)
                raise AssertionError(kind)
        return f"({column} IS NULL OR coalesce({check}, FALSE))"

    def verdict(self, index: int, source: str, validator: str) -> str:
        """A column of the validator's verdicts, computed while scanning."""
        name = f"{VERDICT_PREFIX}{index}"
        self.result.verdicts.append(Verdict(name, source, validator))
        return quoted(name)

    def division_code(self, rule: RuleSpec, value: str) -> str:
        structure = division_structure_sql(value)
        mode = rule.division_check or DivisionCheck.CURRENT
        if mode == DivisionCheck.STRUCTURE:
            return structure
        self.need_divisions()
        # A member is its edition's code: checking the structure of the editions'
        # codes once is checking the member's, without a regular expression per row.
        well_formed = division_structure_sql("code")
        if mode == DivisionCheck.CURRENT:
            return f"{value} IN (SELECT code FROM {DIVISIONS} WHERE current AND {well_formed})"  # noqa: S608 (quoted identifiers and constants; one table)
        if mode == DivisionCheck.EVER:
            return f"{value} IN (SELECT code FROM {DIVISIONS} WHERE {well_formed})"  # noqa: S608 (quoted identifiers and constants; one table)
        if rule.at_column is None:
            raise RuleError(
                f"规则“{rule.code}”：valid_since 须用 at_column 指明日期列",
                code="quality_rules_invalid",
                fields={f"rules.{rule.code}": "at_column"},
            )
        at = self.column(rule, rule.at_column)
        member = (
            f"coalesce({DIVISION_UNTIL}({value}), DATE '0001-01-01')"
            f" > coalesce(try_cast({at} AS DATE), DATE '0001-01-01')"
        )
        return f"({structure} AND {member})"

    def date_range(self, rule: RuleSpec, name: str) -> str:
        column = quoted(name)
        data_type = self.schema.field(name).type
        if pa.types.is_date(data_type) or pa.types.is_timestamp(data_type):
            as_date = f"CAST({column} AS DATE)"
            valid = "TRUE"
        else:
            as_date = f"try_cast({self.text(rule, name)} AS DATE)"
            valid = f"{as_date} IS NOT NULL"
        bounds = _between(
            as_date,
            _date_bound(rule.min, self.context.today),
            _date_bound(rule.max, self.context.today),
            numeric=False,
        )
        return f"({valid} AND {bounds})"

    def unique(self, index: int, rule: RuleSpec) -> tuple[str, str]:
        """A row is a candidate when the ``hash`` of its value(s) occurs more than once in
        the stored version: grouping 8-byte hashes costs much less than grouping the values
        (long text), and equal values have equal hashes, so every row of a repeated value
        is a candidate. Among the candidates, a value that occurs more than once occurs more
        than once in the version (all its rows are candidates); a value that occurs once is
        a hash collision and conforms. The confirming query is the plain check (the values
        grouped, and rows matched with them as before) over the candidates only."""
        names = rule.checked_columns
        for name in names:
            self.column(rule, name)
        self.result.needs_stored = True
        cte = f"gd_dup_{index}"
        stored = [quoted(n) for n in names]
        nulls = " AND ".join(f"{c} IS NOT NULL" for c in stored)
        self.result.ctes.append(
            f"{cte} AS (SELECT {candidate_key(stored)} AS gd_h FROM {STORED} WHERE {nulls} "  # noqa: S608 (quoted identifiers and constants; one table)
            f"GROUP BY ALL HAVING count(*) > 1)"
        )
        here = [quoted(STORED_PREFIX + n) if n in self.encrypted else quoted(n) for n in names]
        any_null = " OR ".join(f"{c} IS NULL" for c in here)
        predicate = f"({any_null} OR {candidate_key(here)} NOT IN (SELECT gd_h FROM {cte}))"  # noqa: S608 (quoted identifiers and constants; one table)
        # The candidates carry the checked columns under their own names (encrypted ones
        # in their stored form, as in the stored version).
        repeated = (
            f"SELECT {', '.join(stored)} FROM {FLAGGED} WHERE {nulls} "  # noqa: S608 (quoted identifiers and constants; one table)
            "GROUP BY ALL HAVING count(*) > 1"
        )
        if len(names) == 1:
            fails = f"{stored[0]} IN ({repeated})"
        else:
            matches = " AND ".join(f"d.{c} = f.{c}" for c in stored)
            fails = f"EXISTS (SELECT 1 FROM ({repeated}) AS d WHERE {matches})"  # noqa: S608 (quoted identifiers and constants; one table)
        confirm = (
            f"SELECT coalesce({fails}, FALSE) AS gd_fails FROM {FLAGGED} AS f "  # noqa: S608 (quoted identifiers and constants; one table)
            f"ORDER BY f.{FLAGGED_ORDER}"
        )
        return predicate, confirm

    def reference(self, index: int, rule: RuleSpec, name: str) -> str:
        assert rule.library is not None and rule.library_column is not None  # noqa: S101
        values = self.context.references.get((rule.library, rule.library_column))
        if values is None:
            raise RuleError(
                f"规则“{rule.code}”参照的基础库“{rule.library}”不存在或尚未构建",
                code="quality_reference_missing",
                fields={f"rules.{rule.code}": rule.library},
            )
        table = f"gd_ref_{index}"
        self.result.tables[table] = values
        value = self.text(rule, name)
        return f"({quoted(name)} IS NULL OR {value} IN (SELECT v FROM {table}))"  # noqa: S608 (quoted identifiers and constants; one table)

    def freshness(self, rule: RuleSpec) -> str | None:
        days = rule.max_age_days or self.context.default_max_age_days
        if days is None:
            raise RuleError(
                f"规则“{rule.code}”：目录未声明更新周期（或为不定期），请给出 max_age_days",
                code="quality_rules_invalid",
                fields={f"rules.{rule.code}": "max_age_days"},
            )
        if rule.column is None:
            return None
        column = self.column(rule, rule.column)
        cutoff = self.context.now.replace(tzinfo=None) - timedelta(days=days)
        data_type = self.schema.field(rule.column).type
        value = column if pa.types.is_timestamp(data_type) else f"try_cast({column} AS TIMESTAMP)"
        return (
            f"({column} IS NULL OR coalesce({value} >= TIMESTAMP '{cutoff:%Y-%m-%d %H:%M:%S}', "
            "FALSE))"
        )


def candidate_key(columns: list[str]) -> str:
    """What a uniqueness rule groups the stored version by to find candidates: equal
    values give equal keys (tests make it collide often, to exercise the confirmation)."""
    return f"hash({', '.join(columns)})"


def _date_bound(value: float | str | None, today: date) -> date | None:
    if value is None:
        return None
    if value == "today":
        return today
    return date.fromisoformat(str(value))


def _between(
    expression: str,
    low: float | str | date | None,
    high: float | str | date | None,
    *,
    numeric: bool,
) -> str:
    def render(bound: float | str | date) -> str:
        if isinstance(bound, int) and not isinstance(bound, bool):
            return str(bound)  # an integer compared with an integer stays one
        if numeric:
            return repr(float(str(bound)))
        return f"DATE '{bound}'"

    parts = []
    if low is not None:
        parts.append(f"{expression} >= {render(low)}")
    if high is not None:
        parts.append(f"{expression} <= {render(high)}")
    return "(" + " AND ".join(parts) + ")" if parts else "TRUE"


def _whole(bound: float | str | None) -> float | str | int | None:
    """A length bound as an integer when it is a whole number (``length`` is one:
    comparing with ``2.0`` would cast every length to a decimal)."""
    if bound is None or isinstance(bound, bool):
        return bound
    try:
        number = float(str(bound))
    except ValueError:
        return bound
    if number.is_integer() and abs(number) < 2**53:
        return int(number)
    return bound


def not_blank_sql(column: str) -> str:
    """``trim(column) <> ''``, without trimming (a copy per value) where the first
    character is printable ASCII (U+0021-U+007E) or a CJK ideograph (U+4E00-U+9FFF),
    which ``trim`` never removes. The first character's range is tested by comparing
    the text with the range's ends: text compares byte by byte, UTF-8 bytes order like
    code points, so no character is decoded."""
    return (
        f"CASE WHEN ({column} >= chr(33) AND {column} < chr(127))"
        f" OR ({column} >= chr(19968) AND {column} < chr(40960)) THEN TRUE"
        f" ELSE trim({column}) <> '' END"
    )


def phone_sql(value: str) -> str:
    """``value`` matches :data:`PHONE_PATTERN` in full: the mobile branch first (most
    values, as a GLOB: :func:`pattern_sql`), the whole pattern only for the rest. Same
    verdict: the mobile form is one of the pattern's branches."""
    mobile = pattern_sql(value, MOBILE_PATTERN)
    whole = f"regexp_full_match({value}, {literal(PHONE_PATTERN)})"
    return f"(CASE WHEN {mobile} THEN TRUE ELSE {whole} END)"


_GLOB_ATOM = re.compile(
    r"(?:(?P<char>[A-Za-z0-9])|\[(?P<members>(?:[A-Za-z0-9](?:-[A-Za-z0-9])?)+)\])"
    r"(?:\{(?P<count>[1-9][0-9]?)\})?"
)
_GLOB_RANGE = re.compile(r"([A-Za-z0-9])-([A-Za-z0-9])")
_GLOB_KINDS = ("0123456789", "ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")
_GLOB_MAX = 256


def glob_for(pattern: str) -> str | None:
    """A GLOB that matches exactly the texts ``pattern`` matches in full, when the pattern
    is only a sequence of ASCII letters and digits and of classes of them (ranges within
    0-9, A-Z or a-z), each optionally repeated ``{n}`` times: ``1[3-9][0-9]{9}``. Both
    then match a fixed number of ASCII characters, one by one, and a text with any other
    character matches neither. None for any other pattern.

    DuckDB decides a GLOB of that kind by comparing bytes, in a fraction of the time RE2
    takes for the same regular expression."""
    parts: list[str] = []
    position = 0
    while position < len(pattern):
        atom = _GLOB_ATOM.match(pattern, position)
        if atom is None:
            return None
        members = atom.group("members")
        if members is not None:
            for low, high in _GLOB_RANGE.findall(members):
                if not any(low in kind and high in kind[kind.index(low) :] for kind in _GLOB_KINDS):
                    return None
            one = f"[{members}]"
        else:
            one = atom.group("char")
        parts.append(one * int(atom.group("count") or 1))
        position = atom.end()
    glob = "".join(parts)
    return glob if parts and len(glob) <= _GLOB_MAX else None


def pattern_sql(value: str, pattern: str) -> str:
    """``value`` matches ``pattern`` (RE2) in full: a GLOB where :func:`glob_for` gives one."""
    glob = glob_for(pattern)
    if glob is not None:
        return f"({value} GLOB {literal(glob)})"
    return f"regexp_full_match({value}, {literal(pattern)})"


def division_structure_sql(value: str) -> str:
    """GB/T 2260 structure: a province prefix; 6 digits, or 9 for a township."""
    provinces = ", ".join(literal(p) for p in PROVINCES)
    return (
        f"(regexp_full_match({value}, '[0-9]{{6}}|[0-9]{{9}}')"
        f" AND substr({value}, 1, 2) IN ({provinces})"
        f" AND NOT (substr({value}, 3, 2) = '00' AND substr({value}, 5, 2) <> '00')"
        f" AND (length({value}) = 6 OR (substr({value}, 3, 2) <> '00'"
        f" AND substr({value}, 7, 3) <> '000')))"
    )


def compile_rules(
    rule_set: RuleSetSpec,
    schema: pa.Schema,
    *,
    encrypted: frozenset[str] = frozenset(),
    context: EvaluationContext,
    key_columns: list[str],
) -> CompiledSet:
    """The rule set as SQL over ``schema`` (the plain schema of the version)."""
    compiler = _Compiler(rule_set, schema, encrypted, context, key_columns)
    try:
        return compiler.compile()
    finally:
        compiler.close()


# -- custom SQL ------------------------------------------------------------------------

_FORBIDDEN_CLASSES = frozenset({"SUBQUERY", "WINDOW", "PARAMETER", "LAMBDA", "STAR"})


def _connection() -> duckdb.DuckDBPyConnection:
    return duckdb.connect(
        ":memory:",
        config={
            "enable_external_access": False,
            "autoinstall_known_extensions": False,
            "autoload_known_extensions": False,
        },
    )


def _sql_error(code: str, detail: str) -> RuleError:
    first = detail.strip().splitlines()[0][:300] if detail.strip() else ""
    return RuleError(
        f"规则“{code}”的 SQL 条件无效：{first}" if first else f"规则“{code}”的 SQL 条件无效",
        code="quality_sql_invalid",
        fields={f"rules.{code}": first or "无效"},
    )


def _nodes(node: Any) -> Iterator[dict[str, Any]]:
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from _nodes(value)
    elif isinstance(node, list):
        for value in node:
            yield from _nodes(value)


def validate_expression(
    expression: str,
    schema: pa.Schema,
    *,
    code: str = "sql",
    connection: duckdb.DuckDBPyConnection | None = None,
) -> tuple[str, ...]:
    """Refuse anything but one boolean expression over the columns of ``schema``;
    return the columns it reads. ``connection``: one of :func:`_connection`'s to parse
    and bind on (a new one, closed after, without)."""
    reads: dict[str, None] = {}
    statement = f"SELECT ({expression}) AS gd_check FROM {TABLE}"  # noqa: S608 (parsed, not run)
    own = connection is None
    connection = _connection() if connection is None else connection
    try:
        serialized = connection.execute("SELECT json_serialize_sql(?)", [statement]).fetchall()
        tree: dict[str, Any] = json.loads(serialized[0][0]) if serialized else {"error": True}
        if tree.get("error"):
            raise _sql_error(code, str(tree.get("error_message", "")))
        statements = tree.get("statements", [])
        if len(statements) != 1:
            raise _sql_error(code, "只能是一个条件表达式")
        node = statements[0]["node"]
        clauses = ("where_clause", "having", "qualify", "sample")
        from_table = node.get("from_table") or {}
        if (
            node.get("type") != "SELECT_NODE"
            or len(node.get("select_list", [])) != 1
            or from_table.get("type") != "BASE_TABLE"
            or from_table.get("table_name") != TABLE
            or any(node.get(clause) for clause in clauses)
            or node.get("group_expressions")
            or node.get("modifiers")
            or node.get("cte_map", {}).get("map")
        ):
            raise _sql_error(code, "只能是针对本表各列的条件表达式，不能引用其他表或改变查询")
        for item in _nodes(node["select_list"]):
            if item.get("class") in _FORBIDDEN_CLASSES or item.get("type") == "SUBQUERY":
                raise _sql_error(code, "条件中不能使用子查询、窗口函数或参数")
            if item.get("class") == "COLUMN_REF":
                names = item.get("column_names", [])
                if (
                    any(str(n).startswith("_gd_") for n in names)
                    or len(names) > 2
                    or (len(names) == 2 and names[0] != TABLE)
                ):
                    raise _sql_error(code, f"不能引用列“{'.'.join(names)}”")
                if names and str(names[-1]) in schema.names:
                    reads[str(names[-1])] = None
        connection.register(TABLE, schema.empty_table())
        first = quoted(schema.names[0]) if schema.names else "1"
        try:
            described = connection.execute(
                f"DESCRIBE SELECT ({expression}) AS gd_check, {first} FROM {TABLE}"  # noqa: S608
            ).fetchall()
        except duckdb.Error as error:
            raise _sql_error(code, str(error)) from None
        if described[0][1] not in ("BOOLEAN", '"NULL"', "NULL"):
            raise _sql_error(code, f"结果应为真/假，实为 {described[0][1]}")
    finally:
        if own:
            connection.close()
    return tuple(reads)


def check_pattern(
    pattern: str, code: str, connection: duckdb.DuckDBPyConnection | None = None
) -> None:
    own = connection is None
    connection = _connection() if connection is None else connection
    try:
        connection.execute("SELECT regexp_full_match('', ?)", [pattern]).fetchall()
    except duckdb.Error as error:
        raise RuleError(
            f"规则“{code}”的正则表达式无效",
            code="quality_rules_invalid",
            fields={f"rules.{code}": str(error).splitlines()[0][:200]},
        ) from None
    finally:
        if own:
            connection.close()
