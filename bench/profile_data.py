"""Three noisy synthetic sources of the same people, with the truth, for profile linking.

Every source holds one record of each of ``people`` people, in its own order
and under its own record keys, with the noise sources really have:

* the identity number missing in 10 % of rows, and invalid (one digit mistyped,
  so the check character fails) in 1 % more;
* one character of the name mistyped (a homophone or a look-alike) in 4 % of rows;
* a different address (people move; sources learn it at different times) in 0 %,
  15 % and 25 % of rows; a different phone in 10 % and none in 5 %;
* the birth date off by a digit in 1 % of rows, the sex missing in 1 %.

The clean person behind row ``i`` comes from the population generator
(:mod:`bench.population_data`: valid GB 11643 numbers of 内蒙古自治区 counties,
names, addresses, phones); the noise is drawn from counter-based streams, so
everything is a pure function of ``(seed, people)``. Nothing is written to the
repository: :func:`generate` returns Arrow tables, ``--out`` writes Parquet
files to a directory of the caller's choice.

    .venv/bin/python -m bench.profile_data --people 100000 --out var/bench/profiles
"""

from __future__ import annotations

import argparse
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

# pyarrow ships no type information; the override-proof form of the ignore.
import pyarrow as pa  # type: ignore[import-untyped, unused-ignore]
import pyarrow.compute as pc  # type: ignore[import-untyped, unused-ignore]
import pyarrow.parquet as pq  # type: ignore[import-untyped, unused-ignore]

from bench.population_data import (
    UPDATED_FROM,
    UPDATED_TO,
    Permutation,
    Stream,
    _Plan,
)

I64 = npt.NDArray[np.int64]
U64 = npt.NDArray[np.uint64]

SOURCES = (
    # (source id, record key prefix, priority, moved share)
    ("gongan-huji", "GA", 1, 0.0),  # household registration: the authoritative source
    ("shebao-canbao", "SB", 2, 0.15),  # social insurance
    ("weijian-dangan", "WJ", 3, 0.25),  # health records
)
MISSING_ID = 0.10
INVALID_ID = 0.01
NAME_TYPO = 0.04
PHONE_CHANGED = 0.10
PHONE_MISSING = 0.05
BIRTH_TYPO = 0.01
SEX_MISSING = 0.01

# Characters people and clerks confuse: homophones and look-alikes.
_PAIRS_TEXT = (
    "王汪 张章 李里 刘留 陈程 杨阳 黄皇 赵照 吴伍 周舟 徐许 孙荪 马玛 朱珠 胡湖 郭国 何河 高郜 "
    "林琳 罗洛 伟玮 强蔷 磊垒 军君 勇永 杰洁 涛滔 明铭 超潮 刚钢 平萍 辉晖 鹏朋 华桦 飞菲 "
    "波博 斌彬 宇雨 浩皓 凯恺 健建 俊骏 帆凡 旭煦 宁凝 龙隆 峰锋 国帼 东冬 文雯 志智 "
    "海亥 亮靓 成诚 博搏 晨辰 昊浩 然燃 轩萱 睿锐 泽则 芳方 娜那 敏民 静晶 丽莉 艳燕 娟鹃 "
    "霞侠 玲铃 婷亭 雪薛 慧惠 红虹 梅玫 颖莹 洁婕 佳嘉 倩茜 欣馨 怡仪 萍苹 丹单 月玥 秀琇 "
    "英瑛 兰岚 凤风 琴芹 蕾磊 悦越 涵含 彤桐 雨语 梦孟 雅亚 心馨 尔儿 云芸 格阁 日曰"
)
CONFUSABLE_PAIRS = _PAIRS_TEXT.split()
CONFUSABLE = {pair[0]: pair[1] for pair in CONFUSABLE_PAIRS} | {
    pair[1]: pair[0] for pair in CONFUSABLE_PAIRS
}
FALLBACK = "子之一义仁礼智信德"


@dataclass(frozen=True)
class NoisySource:
    source_id: str
    priority: int
    table: pa.Table  # record_key, id_number, name, sex, birth_date, division_code, address,
    # phone, updated_at
    person: I64  # the truth: the person behind each row


@dataclass(frozen=True)
class GeneratedProfiles:
    people: int
    seed: int
    sources: tuple[NoisySource, ...]
    seconds: float

    @property
    def rows(self) -> int:
        return sum(source.table.num_rows for source in self.sources)


def _text(values: pa.Array) -> pa.Array:
    return values.cast(pa.string())


def _typo(name: str, pick: float) -> str:
    if not name:
        return name
    position = min(int(pick * len(name)), len(name) - 1)
    char = name[position]
    swapped = CONFUSABLE.get(char) or FALLBACK[int(pick * 997) % len(FALLBACK)]
    if swapped == char:
        swapped = FALLBACK[(int(pick * 997) + 1) % len(FALLBACK)]
    return name[:position] + swapped + name[position + 1 :]


def _mistype_id(number: str, pick: float) -> str:
    position = min(int(pick * 17), 16)
    digit = (int(number[position]) + 1 + int(pick * 1000) % 8) % 10
    return number[:position] + str(digit) + number[position + 1 :]


def _birth_typo(value: str, pick: float) -> str:
    day = int(value[8:10])
    other = day + 1 if day < 28 else day - 1
    if pick < 0.5 and value[8] != value[9]:
        return value[:8] + value[9] + value[8] if value[9] != "0" else value[:8] + f"{other:02d}"
    return value[:8] + f"{other:02d}"


def _replace(values: pa.Array, rows: I64, new: list[str | None]) -> pa.Array:
    items = values.to_pylist()
    for row, value in zip(rows.tolist(), new, strict=True):
        items[row] = value
    return pa.array(items, pa.string())


def _source(plan: _Plan, people: int, seed: int, number: int) -> NoisySource:
    source_id, prefix, priority, moved_share = SOURCES[number]
    order = Permutation(people, seed, f"profile-order-{number}")
    person = order(np.arange(people, dtype=np.uint64))
    index = person.astype(np.uint64)
    clean = plan.columns(index)

    def stream(purpose: str) -> Stream:
        return Stream(seed, f"profile-{purpose}-{number}")

    def rows_where(purpose: str, share: float) -> I64:
        return np.flatnonzero(stream(purpose).uniform(index) < share).astype(np.int64)

    id_number = _text(clean["id_number"])
    name = _text(clean["name"])
    birth_date = _text(clean["birth_date"])
    address = _text(clean["address"])
    phone = _text(clean["phone"])
    sex = _text(clean["sex"])

    pick = stream("pick").uniform(index)
    missing = stream("missing-id").uniform(index) < MISSING_ID
    invalid = ~missing & (stream("invalid-id").uniform(index) < INVALID_ID / (1 - MISSING_ID))
    rows = np.flatnonzero(invalid).astype(np.int64)
    ids = id_number.to_pylist()
    id_number = _replace(id_number, rows, [_mistype_id(ids[r], pick[r]) for r in rows.tolist()])
    id_number = pc.if_else(pa.array(missing), None, id_number)

    rows = rows_where("name-typo", NAME_TYPO)
    names = name.to_pylist()
    name = _replace(name, rows, [_typo(names[r], pick[r]) for r in rows.tolist()])

    if moved_share:
        rows = rows_where("moved", moved_share)
        moved = plan.columns(index[rows], version=number)["address"]
        address = _replace(address, rows, _text(moved).to_pylist())
    rows = rows_where("phone-changed", PHONE_CHANGED)
    changed = plan.columns(index[rows], version=8 + number)["phone"]
    phone = _replace(phone, rows, _text(changed).to_pylist())
    phone = pc.if_else(
        pa.array(stream("phone-missing").uniform(index) < PHONE_MISSING), None, phone
    )

    rows = rows_where("birth-typo", BIRTH_TYPO)
    births = birth_date.to_pylist()
    birth_date = _replace(
        birth_date, rows, [_birth_typo(births[r], pick[r]) for r in rows.tolist()]
    )
    sex = pc.if_else(pa.array(stream("sex-missing").uniform(index) < SEX_MISSING), None, sex)

    keys = pc.binary_join_element_wise(
        pa.scalar(prefix), pc.utf8_lpad(pa.array(np.arange(people)).cast(pa.string()), 9, "0"), ""
    )
    updated = plan.updated_at(index, UPDATED_FROM, UPDATED_TO, f"profile-updated-{number}")
    table = pa.table(
        {
            "record_key": keys,
            "id_number": id_number,
            "name": name,
            "sex": sex,
            "birth_date": birth_date,
            "division_code": _text(clean["division_code"]),
            "address": address,
            "phone": phone,
            "updated_at": _text(updated),
        }
    )
    return NoisySource(source_id, priority, table, person.astype(np.int64))


def generate(people: int, seed: int = 11) -> GeneratedProfiles:
    """Three noisy sources of the same ``people`` people, with the person behind each row."""
    if people < 1:
        raise ValueError("people must be at least 1")
    started = time.perf_counter()
    plan = _Plan(seed, "utf-8")
    sources = tuple(_source(plan, people, seed, number) for number in range(len(SOURCES)))
    return GeneratedProfiles(people, seed, sources, time.perf_counter() - started)


def main(argv: list[str] | None = None) -> GeneratedProfiles:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--out", type=Path, help="directory for one Parquet file per source")
    args = parser.parse_args(argv)
    generated = generate(args.people, args.seed)
    if args.out:
        args.out.mkdir(parents=True, exist_ok=True)
        for source in generated.sources:
            table = source.table.append_column("person", pa.array(source.person))
            pq.write_table(table, args.out / f"{source.source_id}.parquet")
    print(f"{generated.rows} rows of {args.people} people in {generated.seconds:.1f} s")
    return generated


if __name__ == "__main__":
    main()
