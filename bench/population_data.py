"""Generated population data for the aggregation benchmarks (never committed).

Writes a population CSV in the layout the population base library maps
(``id_number,name,sex,birth_date,division_code,address,phone,updated_at``):
GB 11643 citizen identity numbers with valid check characters whose division
prefix is a real county-level code of 内蒙古自治区 (from the division table
govdata ships) and whose birth date and sex digits agree with the other
columns; names from common surnames and given-name characters (and some
Mongolian names); addresses composed of prefecture, county, street or town and
village; mobile and landline numbers with real prefixes and area codes.

Every value of row ``i`` is a pure function of ``(seed, i)`` (counter-based
hashing and keyed permutations, computed with NumPy and Arrow a chunk at a
time), so the file is written in chunks without holding it in memory, the IDs
are unique by construction, and :func:`changed_rows` can reproduce any row to
build an incremental file. A ``dirty`` share of rows each carries exactly one
defect of a known kind (:data:`DIRTY_SHARES`); :class:`GeneratedStats` says
how many of each were written, so a benchmark can assert that exactly those
rows were quarantined.

    .venv/bin/python -m bench.population_data --rows 5000000 --out var/bench/pop.csv
    .venv/bin/python -m bench.population_data --rows 5000000 \\
        --changed 200000 --changed-out var/bench/pop-delta.csv
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from importlib import resources
from pathlib import Path

import numpy as np
import numpy.typing as npt

# pyarrow ships no type information; the override-proof form of the ignore.
import pyarrow as pa  # type: ignore[import-untyped, unused-ignore]
import pyarrow.compute as pc  # type: ignore[import-untyped, unused-ignore]

U64 = npt.NDArray[np.uint64]
I64 = npt.NDArray[np.int64]
F64 = npt.NDArray[np.float64]

HEADER = (
    "id_number", "name", "sex", "birth_date", "division_code", "address", "phone", "updated_at",
)  # fmt: skip
ENCODINGS = ("gbk", "gb18030", "utf-8")
CHUNK_ROWS = 100_000

# Each dirty row has exactly one defect; the shares of the dirty rows by kind.
DIRTY_SHARES = {
    "bad_check_digit": 0.20,  # the 18th character of the ID number is wrong
    "impossible_birth_date": 0.15,  # birth_date like 1987-02-30 (the ID itself is valid)
    "non_numeric_division_code": 0.15,  # 15O102 (letter O) or the county's name
    "empty_name": 0.15,  # the required name is empty
    "short_phone": 0.15,  # a mobile number missing one or two digits
    "formula_name": 0.10,  # =HYPERLINK(...) or @SUM(...) in the name column
    "ragged_row": 0.10,  # an unquoted comma in the address: one field too many
}
DIRTY_KINDS = tuple(DIRTY_SHARES)
# The quarantine reason code (govdata.aggregation.convert) each kind should produce.
REASON_CODES = {
    "bad_check_digit": "id_number_check_digit",
    "impossible_birth_date": "not_date",
    "non_numeric_division_code": "division_code",
    "empty_name": "required",
    "short_phone": "phone",
    "formula_name": "formula_like",
    "ragged_row": "ragged_row",
}

BIRTH_FIRST = date(1930, 1, 1)
BIRTH_LAST = date(2024, 12, 31)
UPDATED_FROM = datetime(2024, 1, 1)  # noqa: DTZ001 (naive local times, as sources write them)
UPDATED_TO = datetime(2026, 11, 1)  # noqa: DTZ001
CHANGED_FROM = datetime(2026, 11, 1)  # noqa: DTZ001
CHANGED_TO = datetime(2026, 11, 21)  # noqa: DTZ001
MOVED_SHARE = 0.12  # registered in another county than the one in their ID number
LANDLINE_SHARE = 0.08
MONGOLIAN_NAME_SHARE = 0.08

# --- the vocabulary ----------------------------------------------------------

# Surnames with their approximate share of the population (per mille).
SURNAMES = """
王71 李70 张68 刘54 陈46 杨31 黄25 赵23 吴21 周21 徐17 孙16 马15 朱14 胡13 郭12 何12 高11
林11 罗10 郑10 梁9 谢8 宋8 唐8 许7 韩7 冯7 邓7 曹7 彭6 曾6 肖6 田6 董5 袁5 潘5 于5 蒋5 蔡5
余5 杜5 叶5 程5 苏5 魏5 吕5 丁4 任4 沈4 姚4 卢4 姜4 崔4 钟4 谭3 陆3 汪3 范3 金3 石3 廖3
贾3 夏3 韦3 付3 方3 白4 邹3 孟3 熊3 秦3 邱3 江3 尹3 薛3 闫3 段3 雷3 侯3 龙3 史3 陶2 黎2
贺2 顾2 毛2 郝3 龚2 邵2 万2 钱2 严2 武3 戴2 孔2 向2 汤2 包3 云2 鲍1 乔2 樊2 欧阳1 司马1
"""
MALE_GIVEN = (
    "伟强磊军勇杰涛明超刚平辉鹏华飞鑫波斌宇浩凯健俊帆帅旭宁龙林阳峰建国东文志海亮成博晨昊然轩睿泽"
    "子一嘉宏德庆永胜利忠鸿毅振兴岩松"
)
FEMALE_GIVEN = (
    "芳娜敏静丽艳娟霞燕玲婷雪慧红梅琳颖洁佳倩欣怡萍莉丹璐月晶秀英兰凤琴蕾薇悦涵萱彤诗雨思梦雅可心"
    "子一嘉"
)
MONGOLIAN_MALE = (
    "巴特尔 苏和 额尔敦 宝音 那仁 布和 朝鲁 巴图 阿拉坦 孟和 毕力格 特木尔 乌力吉 图门 哈斯"
)
MONGOLIAN_FEMALE = "乌云 其其格 萨仁 图雅 娜仁 高娃 塔娜 斯琴 乌兰 托娅 格日勒 敖登 乌日娜 萨日娜"

STREET_STEMS = """
新华 中山 人民 解放 建设 团结 友谊 光明 胜利 民族 和平 文化 工农 健康 迎宾 草原 成吉思汗 敕勒川
昭乌达 锡林 阿尔丁 钢铁 兴安 鄂尔多斯 呼伦 巴彦 金桥 北垣 新建 车站 学府 公园 滨河 府前
"""
STREET_SUFFIXES = "路 街 大街 南路 北路 东街 西街 巷"
COMMUNITY_STEMS = "幸福 阳光 和谐 锦绣 金地 绿城 富康 馨园 丽景 祥和 康居 书香 园林 电力 铁路"
COMMUNITY_SUFFIXES = "小区 花园 家园 嘉园 苑"
TOWN_STEMS = "新民 红旗 永丰 太平 东升 巴彦 白音 乌兰 宝力格 哈达 阿其图 德胜 联合 兴隆"
TOWN_SUFFIXES = "镇 乡 苏木"
VILLAGE_STEMS = "前进 东风 新胜 西沟 南湾 北营 五一 先锋 胡日查 查干 宝日 额很 塔拉"
VILLAGE_SUFFIXES = "村 嘎查"

# Mobile number segments in use (三大运营商 and the broadcast network).
MOBILE_PREFIXES = (
    130, 131, 132, 133, 134, 135, 136, 137, 138, 139, 145, 147, 150, 151, 152, 153, 155, 156,
    157, 158, 159, 166, 172, 173, 175, 176, 177, 178, 180, 181, 182, 183, 184, 185, 186, 187,
    188, 189, 190, 191, 192, 193, 195, 196, 197, 198, 199,
)  # fmt: skip
# Telephone area codes of the prefecture-level units of 内蒙古自治区.
AREA_CODES = {
    "1501": "0471", "1502": "0472", "1503": "0473", "1504": "0476", "1505": "0475",
    "1506": "0477", "1507": "0470", "1508": "0478", "1509": "0474", "1522": "0482",
    "1525": "0479", "1529": "0483",
}  # fmt: skip
IMPOSSIBLE_DAYS = ("-02-30", "-02-31", "-04-31", "-06-31", "-09-31", "-11-31")
ID_CHECK_CHARS = "0123456789X"
_ID_WEIGHTS = np.array([pow(2, 17 - i, 11) for i in range(17)], dtype=np.int64)
_ID_PLACES = np.array([10 ** (16 - i) for i in range(17)], dtype=np.int64)
_SEQUENCES = 1000  # the three "order" digits after the birth date


@dataclass(frozen=True)
class County:
    code: str
    name: str
    prefecture: str  # as written in an address: 呼和浩特市, 兴安盟


@cache
def counties() -> tuple[County, ...]:
    """County-level units of 内蒙古自治区 from govdata's shipped division table."""
    text = resources.files("govdata.orgs.data").joinpath("divisions.csv").read_text("utf-8")
    rows = [line.split(",") for line in text.splitlines()[1:] if line]
    names = {row[0]: row[1] for row in rows}
    return tuple(
        County(code=row[0], name=row[1], prefecture=names[row[3]])
        for row in rows
        if row[2] == "county" and row[0].startswith("15")
    )


# --- counter-based randomness ---------------------------------------------------


def _mix(values: U64) -> U64:
    """SplitMix64's finaliser: a fast, well-spread 64-bit hash."""
    z = values + np.uint64(0x9E3779B97F4A7C15)
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


def _keys(seed: int, purpose: str, count: int) -> U64:
    entropy = [seed, *purpose.encode("ascii")]
    state = np.random.SeedSequence(entropy).generate_state(count, dtype=np.uint64)
    return state.astype(np.uint64)


class Stream:
    """Independent uniform numbers for each row index, for one purpose."""

    def __init__(self, seed: int, purpose: str) -> None:
        self.key = _keys(seed, purpose, 1)[0]

    def uniform(self, index: U64) -> F64:
        bits = _mix(_mix(index ^ self.key)) >> np.uint64(11)
        return bits.astype(np.float64) * (1.0 / (1 << 53))

    def below(self, index: U64, bound: int) -> I64:
        return np.minimum((self.uniform(index) * bound).astype(np.int64), bound - 1)

    def pick(self, index: U64, cumulative: F64) -> I64:
        """Indices into a weighted table, given its cumulative weights ending at 1."""
        found = np.searchsorted(cumulative, self.uniform(index), side="right")
        return np.minimum(found, len(cumulative) - 1).astype(np.int64)


class Permutation:
    """A keyed bijection of ``[0, size)``: a 4-round Feistel network with cycle walking."""

    def __init__(self, size: int, seed: int, purpose: str) -> None:
        if size < 1:
            raise ValueError("a permutation needs at least one element")
        half = max(1, ((size - 1).bit_length() + 1) // 2)
        self.size = np.uint64(size)
        self.half = np.uint64(half)
        self.mask = np.uint64((1 << half) - 1)
        self.rounds = _keys(seed, purpose, 4)

    def _once(self, values: U64) -> U64:
        left, right = values >> self.half, values & self.mask
        for key in self.rounds:
            left, right = right, left ^ (_mix(right ^ key) & self.mask)
        result: U64 = (left << self.half) | right
        return result

    def __call__(self, index: U64) -> U64:
        out = self._once(index)
        outside = np.flatnonzero(out >= self.size)
        while len(outside):
            out[outside] = self._once(out[outside])
            outside = outside[out[outside] >= self.size]
        return out


# --- the rows ----------------------------------------------------------------


@dataclass(frozen=True)
class GeneratedStats:
    """What :func:`generate` wrote."""

    path: Path
    rows: int  # data rows, header excluded
    dirty: Mapping[str, int]  # rows by dirty kind, every kind listed
    encoding: str
    seed: int
    size_bytes: int
    seconds: float

    @property
    def dirty_rows(self) -> int:
        return sum(self.dirty.values())

    @property
    def clean_rows(self) -> int:
        return self.rows - self.dirty_rows

    def expected_reasons(self) -> dict[str, int]:
        """Quarantine reason code → rows, as the loader should count them."""
        return {REASON_CODES[kind]: count for kind, count in self.dirty.items() if count}


@dataclass(frozen=True)
class ChangedStats:
    """What :func:`changed_rows` wrote: ``changed + new`` rows, in a shuffled order."""

    path: Path
    rows: int
    changed: int  # existing clean IDs with a new address and/or phone and a later updated_at
    new: int  # IDs that are not in the base file
    address_changed: int
    phone_changed: int
    size_bytes: int
    seconds: float


def dirty_counts(rows: int, dirty: float) -> dict[str, int]:
    """Rows of each dirty kind in a file of ``rows`` rows (largest-remainder rounding)."""
    if not 0.0 <= dirty <= 1.0:
        raise ValueError("dirty must be a share between 0 and 1")
    total = round(rows * dirty)
    exact = [total * share for share in DIRTY_SHARES.values()]
    counts = [int(value) for value in exact]
    by_remainder = sorted(range(len(exact)), key=lambda i: counts[i] - exact[i])
    for i in by_remainder[: total - sum(counts)]:
        counts[i] += 1
    return dict(zip(DIRTY_KINDS, counts, strict=True))


class _Plan:
    """Everything that maps a row index to its values, for one seed and encoding."""

    def __init__(self, seed: int, encoding: str) -> None:
        if encoding not in ENCODINGS:
            raise ValueError(f"encoding must be one of {', '.join(ENCODINGS)}")
        self.seed = seed
        self.encoding = encoding
        units = counties()
        self.county_codes = np.array([int(c.code) for c in units], dtype=np.int64)
        self.first_birth = np.datetime64(BIRTH_FIRST.isoformat(), "D")
        self.birth_days = (BIRTH_LAST - BIRTH_FIRST).days + 1
        self.ids = Permutation(len(units) * self.birth_days * _SEQUENCES, seed, "id")
        self.vocab = _Vocabulary(encoding)
        self.district = np.array([c.name.endswith("区") for c in units])
        self.area_code = self.vocab.words([AREA_CODES[c.code[:4]] + "-" for c in units])

    def stream(self, purpose: str) -> Stream:
        return Stream(self.seed, purpose)

    def columns(self, index: U64, version: int = 0) -> dict[str, pa.Array]:
        """The clean values of rows ``index``; ``version`` > 0 re-draws address and phone."""
        vocab = self.vocab
        key = self.ids(index).astype(np.int64)
        sequence = key % _SEQUENCES
        born = self.first_birth + (key // _SEQUENCES) % self.birth_days
        origin = key // (_SEQUENCES * self.birth_days)
        years = born.astype("datetime64[Y]").astype(np.int64) + 1970
        months = born.astype("datetime64[M]").astype(np.int64) % 12 + 1
        month_start = born.astype("datetime64[M]").astype("datetime64[D]")
        days = (born - month_start).astype(np.int64) + 1
        ymd = years * 10_000 + months * 100 + days
        body = self.county_codes[origin] * 10**11 + ymd * 1000 + sequence
        check = ((body // _ID_PLACES[:, None]) % 10).T @ _ID_WEIGHTS
        check_value = (12 - check % 11) % 11
        male = sequence % 2 == 1

        moved = self.stream("moved").uniform(index) < MOVED_SHARE
        elsewhere = self.stream("moved-to").below(index, len(self.county_codes))
        county = np.where(moved, elsewhere, origin)
        changed_index = index ^ np.uint64(version << 40)
        ymd_text = _text(ymd)
        return {
            "id_number": _join(_text(body), vocab.id_check.take(check_value)),
            "check_value": pa.array(check_value),
            "name": self._names(index, male),
            "sex": pa.array(np.where(male, b"1", b"2"), pa.binary()),
            "birth_date": _join(
                pc.binary_slice(ymd_text, 0, 4),
                b"-",
                pc.binary_slice(ymd_text, 4, 6),
                b"-",
                pc.binary_slice(ymd_text, 6, 8),
            ),
            "year": pc.binary_slice(ymd_text, 0, 4),
            "division_code": vocab.county_code.take(county),
            "county": pa.array(county),
            "address": self._addresses(changed_index, county),
            "phone": self._phones(changed_index, county),
        }

    def _names(self, index: U64, male: npt.NDArray[np.bool_]) -> pa.Array:
        vocab = self.vocab
        surname = vocab.surnames.take(self.stream("surname").pick(index, vocab.surname_weights))
        pool = np.where(male, 0, len(MALE_GIVEN))
        size = np.where(male, len(MALE_GIVEN), len(FEMALE_GIVEN))
        first = pool + (self.stream("given-1").uniform(index) * size).astype(np.int64)
        second = pool + (self.stream("given-2").uniform(index) * size).astype(np.int64)
        single = self.stream("given-single").uniform(index) < 0.25
        second = np.where(single, len(vocab.given) - 1, second)  # the last word is empty
        han = _join(surname, vocab.given.take(first), vocab.given.take(second))
        mongol = self.stream("mongolian").uniform(index) < MONGOLIAN_NAME_SHARE
        if not mongol.any():
            return han
        pick = self.stream("mongolian-name").uniform(index)
        males, females = len(MONGOLIAN_MALE.split()), len(MONGOLIAN_FEMALE.split())
        which = np.where(male, pick * males, males + pick * females).astype(np.int64)
        return pc.if_else(pa.array(mongol), vocab.mongolian.take(which), han)

    def _addresses(self, index: U64, county: I64) -> pa.Array:
        vocab = self.vocab

        def word(purpose: str, words: pa.Array) -> pa.Array:
            return words.take(self.stream(purpose).below(index, len(words)))

        number = _text(self.stream("house").below(index, 399) + 1)
        flat = _join(
            word("community", vocab.communities), word("community-kind", vocab.community_kinds),
            _text(self.stream("building").below(index, 30) + 1), vocab.scalar("号楼"),
            _text(self.stream("unit").below(index, 6) + 1), vocab.scalar("单元"),
            _text(
                (self.stream("floor").below(index, 18) + 1) * 100
                + self.stream("room").below(index, 4) + 1
            ),
            vocab.scalar("室"),
        )  # fmt: skip
        has_flat = pa.array(self.stream("has-flat").uniform(index) < 0.7)
        urban = _join(
            word("street", vocab.streets), word("street-kind", vocab.street_kinds),
            number, vocab.scalar("号"),
            pc.if_else(has_flat, flat, pa.scalar(b"", pa.binary())),
        )  # fmt: skip
        rural = _join(
            word("town", vocab.towns), word("town-kind", vocab.town_kinds),
            word("village", vocab.villages), word("village-kind", vocab.village_kinds),
            _text(self.stream("farm").below(index, 200) + 1), vocab.scalar("号"),
        )  # fmt: skip
        is_rural = ~self.district[county] & (self.stream("rural").uniform(index) < 0.35)
        place = pc.if_else(pa.array(is_rural), rural, urban)
        return _join(vocab.county_prefix.take(county), place)

    def mobiles(self, index: U64) -> I64:
        prefix = np.array(MOBILE_PREFIXES, dtype=np.int64)[
            self.stream("mobile-prefix").below(index, len(MOBILE_PREFIXES))
        ]
        return prefix * 10**8 + self.stream("mobile").below(index, 10**8)

    def _phones(self, index: U64, county: I64) -> pa.Array:
        mobile = _text(self.mobiles(index))
        local = _text(2_000_000 + self.stream("landline").below(index, 7_000_000))
        landline = _join(self.area_code.take(county), local)
        fixed = pa.array(self.stream("has-landline").uniform(index) < LANDLINE_SHARE)
        return pc.if_else(fixed, landline, mobile)

    def updated_at(self, index: U64, start: datetime, end: datetime, purpose: str) -> pa.Array:
        span = int((end - start).total_seconds())
        offsets = self.stream(purpose).below(index, span)
        seconds = np.datetime64(start.isoformat(), "s").astype(np.int64) + offsets
        stamps = pa.array(seconds, pa.timestamp("s"))
        return pc.cast(pc.strftime(stamps, format="%Y-%m-%d %H:%M:%S"), pa.binary())


class _Vocabulary:
    """The words rows are made of, encoded once in the target encoding."""

    def __init__(self, encoding: str) -> None:
        self.encoding = encoding
        units = counties()
        pairs = [(item[:-1].rstrip("0123456789"), item) for item in SURNAMES.split()]
        weights = np.array([int(item[len(name) :]) for name, item in pairs], dtype=np.float64)
        self.surnames = self.words([name for name, _ in pairs])
        self.surname_weights = np.cumsum(weights) / weights.sum()
        self.given = self.words([*MALE_GIVEN, *FEMALE_GIVEN, ""])
        self.mongolian = self.words(MONGOLIAN_MALE.split() + MONGOLIAN_FEMALE.split())
        self.id_check = self.words(list(ID_CHECK_CHARS))
        self.county_code = self.words([c.code for c in units])
        self.county_name = self.words([c.name for c in units])
        self.county_prefix = self.words([f"内蒙古自治区{c.prefecture}{c.name}" for c in units])
        self.streets = self.words(STREET_STEMS.split())
        self.street_kinds = self.words(STREET_SUFFIXES.split())
        self.communities = self.words(COMMUNITY_STEMS.split())
        self.community_kinds = self.words(COMMUNITY_SUFFIXES.split())
        self.towns = self.words(TOWN_STEMS.split())
        self.town_kinds = self.words(TOWN_SUFFIXES.split())
        self.villages = self.words(VILLAGE_STEMS.split())
        self.village_kinds = self.words(VILLAGE_SUFFIXES.split())

    def words(self, texts: list[str]) -> pa.Array:
        return pa.array([text.encode(self.encoding) for text in texts], pa.binary())

    def scalar(self, text: str) -> pa.Scalar:
        return pa.scalar(text.encode(self.encoding), pa.binary())


def _text(numbers: I64) -> pa.Array:
    """Non-negative integers as ASCII bytes (the same in every supported encoding)."""
    return pc.cast(pc.cast(pa.array(numbers, pa.int64()), pa.string()), pa.binary())


def _join(*parts: pa.Array | pa.Scalar | bytes) -> pa.Array:
    values = [pa.scalar(p, pa.binary()) if isinstance(p, bytes) else p for p in parts]
    return pc.binary_join_element_wise(*values, pa.scalar(b"", pa.binary()))


def _lines(columns: Mapping[str, pa.Array]) -> bytes | memoryview:
    """The CSV lines of a chunk: every value is already CSV-safe or quoted."""
    fields = [columns[name] for name in HEADER]
    lines = pc.binary_join_element_wise(*fields, pa.scalar(b",", pa.binary()))
    joined = _join(lines, b"\n")
    if isinstance(joined, pa.ChunkedArray):
        joined = joined.combine_chunks()
    offsets = np.frombuffer(joined.buffers()[1], dtype=np.int32)[joined.offset :]
    data = joined.buffers()[2]
    if data is None:
        return b""
    return memoryview(data)[int(offsets[0]) : int(offsets[len(joined)])]


def _apply_dirt(plan: _Plan, index: U64, kinds: I64, columns: dict[str, pa.Array]) -> None:
    """Give each dirty row (``kinds`` ≥ 0, an index into DIRTY_KINDS) its one defect."""
    vocab = plan.vocab
    pick = plan.stream("dirt-variant").uniform(index)

    def where(kind: str) -> pa.Array:
        return pa.array(kinds == DIRTY_KINDS.index(kind))

    def replace(column: str, kind: str, value: pa.Array | pa.Scalar) -> None:
        columns[column] = pc.if_else(where(kind), value, columns[column])

    check = columns["check_value"].to_numpy()
    wrong = (check + 1 + plan.stream("wrong-check").below(index, 10)) % 11
    body = pc.binary_slice(columns["id_number"], 0, 17)
    replace("id_number", "bad_check_digit", _join(body, vocab.id_check.take(wrong)))
    impossible = vocab.words(list(IMPOSSIBLE_DAYS)).take((pick * len(IMPOSSIBLE_DAYS)).astype(int))
    replace("birth_date", "impossible_birth_date", _join(columns["year"], impossible))
    code = columns["division_code"]
    letter_o = pc.replace_substring(code, b"0", b"O", max_replacements=1)
    typo = pc.and_(pa.array(pick < 0.7), pc.not_equal(letter_o, code))
    county_names = vocab.county_name.take(columns["county"])
    replace("division_code", "non_numeric_division_code", pc.if_else(typo, letter_o, county_names))
    replace("name", "empty_name", pa.scalar(b"", pa.binary()))
    short = plan.mobiles(index) // np.where(pick < 0.5, 10, 100)
    replace("phone", "short_phone", _text(short))
    hyperlink = _join(
        vocab.scalar('"=HYPERLINK(""http://example.invalid/?q=1"",""'), columns["name"], b'"")"'
    )
    at_sum = vocab.scalar("@SUM(1+1)*cmd|' /C calc'!A0")
    replace("name", "formula_name", pc.if_else(pa.array(pick < 0.6), hyperlink, at_sum))
    replace("address", "ragged_row", _join(columns["address"], vocab.scalar(",3单元")))


def _dirty_kinds(index: U64, rows: int, counts: Mapping[str, int], seed: int) -> I64:
    """Each row's dirty kind (an index into DIRTY_KINDS) or -1 for a clean row."""
    edges = np.cumsum([counts[kind] for kind in DIRTY_KINDS])
    rank = Permutation(rows, seed, "dirty")(index)
    kind = np.searchsorted(edges, rank, side="right").astype(np.int64)
    return np.where(kind == len(DIRTY_KINDS), -1, kind)


def _chunks(count: int, size: int) -> Iterator[U64]:
    for start in range(0, count, size):
        yield np.arange(start, min(start + size, count), dtype=np.uint64)


def generate(
    path: Path,
    rows: int,
    *,
    encoding: str = "gbk",
    dirty: float = 0.02,
    seed: int = 1,
    chunk_rows: int = CHUNK_ROWS,
) -> GeneratedStats:
    """Write ``rows`` population rows to ``path``; the same arguments give the same bytes."""
    started = time.perf_counter()
    if rows < 0:
        raise ValueError("rows must not be negative")
    plan = _Plan(seed, encoding)
    counts = dirty_counts(rows, dirty)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as out:
        out.write((",".join(HEADER) + "\n").encode("ascii"))
        for index in _chunks(rows, chunk_rows):
            columns = plan.columns(index)
            columns["updated_at"] = plan.updated_at(index, UPDATED_FROM, UPDATED_TO, "updated")
            kinds = _dirty_kinds(index, rows, counts, seed)
            if (kinds >= 0).any():
                _apply_dirt(plan, index, kinds, columns)
            out.write(_lines(columns))
    return GeneratedStats(
        path=path,
        rows=rows,
        dirty=counts,
        encoding=encoding,
        seed=seed,
        size_bytes=path.stat().st_size,
        seconds=time.perf_counter() - started,
    )


def _pick_clean_rows(base_rows: int, count: int, base_dirty: float, seed: int) -> U64:
    """``count`` distinct clean rows of the base file, in a seeded random order."""
    counts = dirty_counts(base_rows, base_dirty)
    if count > base_rows - sum(counts.values()):
        raise ValueError("more changed rows asked for than the base file has clean rows")
    if count == 0:
        return np.zeros(0, dtype=np.uint64)
    order = Permutation(base_rows, seed, "changed")
    chosen: list[U64] = []
    found, start = 0, 0
    while found < count and start < base_rows:
        stop = min(base_rows, start + max(1024, 2 * (count - found)))
        candidates = order(np.arange(start, stop, dtype=np.uint64))
        clean = candidates[_dirty_kinds(candidates, base_rows, counts, seed) < 0]
        chosen.append(clean[: count - found])
        found += len(chosen[-1])
        start = stop
    return np.concatenate(chosen) if chosen else np.zeros(0, dtype=np.uint64)


def changed_rows(
    path: Path,
    *,
    base_rows: int,
    rows: int,
    new_share: float = 0.1,
    base_dirty: float = 0.02,
    encoding: str = "gbk",
    seed: int = 1,
    chunk_rows: int = CHUNK_ROWS,
) -> ChangedStats:
    """Write an incremental file against the file ``generate(..., base_rows, seed=seed)`` wrote.

    ``rows * new_share`` (rounded) rows are new IDs; the others are clean base rows
    whose address, phone or both changed, all with an ``updated_at`` later than any in
    the base file. All rows are clean, so a merge on ``id_number`` updates exactly
    ``changed`` rows and inserts exactly ``new`` rows.
    """
    started = time.perf_counter()
    if not 0.0 <= new_share <= 1.0:
        raise ValueError("new_share must be a share between 0 and 1")
    plan = _Plan(seed, encoding)
    new = round(rows * new_share)
    existing = _pick_clean_rows(base_rows, rows - new, base_dirty, seed)
    fresh = np.arange(base_rows, base_rows + new, dtype=np.uint64)
    everything = np.concatenate([existing, fresh])
    order = np.random.default_rng([seed, 7]).permutation(len(everything))
    everything = everything[order]
    is_existing = order < len(existing)
    what = plan.stream("change-kind").uniform(everything)  # address < 0.4 ≤ both < 0.7 ≤ phone
    new_address = is_existing & (what < 0.7)
    new_phone = is_existing & (what >= 0.4)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as out:
        out.write((",".join(HEADER) + "\n").encode("ascii"))
        for part in _chunks(len(everything), chunk_rows):
            at = part.astype(np.int64)
            index = everything[at]
            columns = plan.columns(index)
            moved = _redrawn(plan, index, columns, new_address[at] | new_phone[at])
            for column, mask in (("address", new_address[at]), ("phone", new_phone[at])):
                columns[column] = pc.if_else(pa.array(mask), moved[column], columns[column])
            columns["updated_at"] = plan.updated_at(index, CHANGED_FROM, CHANGED_TO, "changed")
            out.write(_lines(columns))
    return ChangedStats(
        path=path,
        rows=len(everything),
        changed=len(existing),
        new=new,
        address_changed=int(new_address.sum()),
        phone_changed=int(new_phone.sum()),
        size_bytes=path.stat().st_size,
        seconds=time.perf_counter() - started,
    )


def _redrawn(
    plan: _Plan, index: U64, before: Mapping[str, pa.Array], wanted: npt.NDArray[np.bool_]
) -> dict[str, pa.Array]:
    """Address and phone drawn again, each guaranteed to differ from ``before``."""
    result: dict[str, pa.Array] = {}
    for column in ("address", "phone"):
        values = before[column]
        pending = wanted.copy()
        version = 1
        while pending.any():
            again = plan.columns(index, version=version)[column]
            differs = np.asarray(pc.not_equal(again, before[column]).to_numpy(zero_copy_only=False))
            take = pending & differs
            values = pc.if_else(pa.array(take), again, values)
            pending &= ~take
            version += 1
        result[column] = values
    return result


def main(argv: list[str] | None = None) -> dict[str, float]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="rows of the base file")
    parser.add_argument("--out", type=Path, help="the base file to write")
    parser.add_argument("--encoding", choices=ENCODINGS, default="gbk")
    parser.add_argument("--dirty", type=float, default=0.02, help="share of dirty rows")
    parser.add_argument("--seed", type=int, default=1, help="seed of the generator")
    parser.add_argument("--changed", type=int, default=0, help="rows of the incremental file")
    parser.add_argument("--changed-out", type=Path, help="the incremental file to write")
    parser.add_argument("--new-share", type=float, default=0.1, help="share of new IDs in it")
    args = parser.parse_args(argv)
    if args.out is None and args.changed_out is None:
        parser.error("give --out, --changed-out or both")
    results: dict[str, float] = {}
    if args.out is not None:
        stats = generate(
            args.out, args.rows, encoding=args.encoding, dirty=args.dirty, seed=args.seed
        )
        kinds = ", ".join(f"{kind} {count:,}" for kind, count in stats.dirty.items())
        print(
            f"{stats.path}: {stats.rows:,} rows ({stats.dirty_rows:,} dirty: {kinds}), "
            f"{stats.size_bytes / 2**20:.1f} MiB {stats.encoding} in {stats.seconds:.1f} s"
        )
        results |= {"rows": stats.rows, "dirty_rows": stats.dirty_rows, "seconds": stats.seconds}
    if args.changed_out is not None:
        changed = changed_rows(
            args.changed_out,
            base_rows=args.rows,
            rows=args.changed,
            new_share=args.new_share,
            base_dirty=args.dirty,
            encoding=args.encoding,
            seed=args.seed,
        )
        print(
            f"{changed.path}: {changed.rows:,} rows ({changed.changed:,} changed: "
            f"{changed.address_changed:,} addresses, {changed.phone_changed:,} phones; "
            f"{changed.new:,} new) in {changed.seconds:.1f} s"
        )
        results |= {"changed": changed.changed, "new": changed.new}
    return results


if __name__ == "__main__":
    main()
