"""Masking throughput: govdata's column masks against a copy and a Python loop.

Generates columns of valid citizen ID numbers (GB 11643 check characters),
mobile numbers in allocated segments and Chinese names (with compound
surnames), deterministically from a seed, then times, best of ``--repeats``:

* **copy** (the floor): ``pc.utf8_slice_codeunits`` producing a full copy of
  the column, the least any masking kernel that returns a new column can do;
* **govdata**: ``Masker.mask_column`` with a partial-mask rule (the column kernels
  of :mod:`govdata.masking.columns`, plus the rule decision);
* **loop** (the naive way): ``to_pylist``, the per-value mask in a Python loop,
  and ``pa.array`` back, on ``--loop-rows`` rows and scaled to rows per second.

It also reports the rate of keyed SM3 pseudonyms (distinct values per second)
and of the column detectors. Output is checked against the per-value masks.

    .venv/bin/python -m bench.bench_masking --rows 1000000 --repeats 5
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from functools import partial
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from govdata.masking.detect import detect_column
from govdata.masking.engine import Masker
from govdata.masking.kinds import SensitiveKind
from govdata.masking.partial import mask_middle, mask_name
from govdata.masking.rules import RuleSet
from govdata.masking.surnames import COMPOUND_SURNAMES, GIVEN_NAME_CHARS, SINGLE_SURNAMES

KEY = b"bench-masking-key-0123456789abcdef"
# County-level divisions of 内蒙古自治区 (as shipped in govdata.orgs.data).
DIVISIONS = ("150102", "150103", "150104", "150105", "150121", "150202", "150203", "150402")
SEGMENTS = ("135", "136", "138", "139", "150", "151", "158", "186", "187", "189", "199")
_ID_WEIGHTS = np.array([pow(2, 17 - i, 11) for i in range(17)], dtype=np.int64)
_ID_CHECK = np.frombuffer(b"10X98765432", dtype=np.uint8)
COLUMNS = ("id_number", "mobile", "name")
RULES = {
    "rules": [
        {
            "name": f"{column}部分遮蔽",
            "fields": [column],
            "kind": column,
            "audiences": ["consumer"],
            "strategy": {"type": "partial"},
        }
        for column in COLUMNS
    ]
    + [
        {
            "name": "id_number假名",
            "fields": ["id_number"],
            "kind": "id_number",
            "audiences": ["authority"],
            "strategy": {"type": "pseudonym"},
        }
    ]
}


def _fixed_width(matrix: npt.NDArray[np.uint8]) -> pa.Array:
    rows, width = matrix.shape
    offsets = np.arange(0, (rows + 1) * width, width, dtype=np.int32)
    return pa.Array.from_buffers(
        pa.string(), rows, [None, pa.py_buffer(offsets), pa.py_buffer(matrix.tobytes())]
    )


def id_numbers(rows: int, rng: np.random.Generator) -> pa.Array:
    matrix = np.zeros((rows, 18), dtype=np.uint8)
    divisions = np.frombuffer("".join(DIVISIONS).encode(), dtype=np.uint8).reshape(-1, 6)
    matrix[:, :6] = divisions[rng.integers(0, len(DIVISIONS), rows)]
    births = np.datetime64("1940-01-01") + rng.integers(0, 365 * 80, rows).astype("timedelta64[D]")
    text = np.datetime_as_string(births, unit="D").astype("S10")
    born = np.frombuffer(text.tobytes(), dtype=np.uint8).reshape(rows, 10)
    matrix[:, 6:14] = born[:, [0, 1, 2, 3, 5, 6, 8, 9]]
    matrix[:, 14:17] = rng.integers(0, 10, (rows, 3)) + ord("0")
    weighted = (matrix[:, :17].astype(np.int64) - ord("0")) @ _ID_WEIGHTS
    matrix[:, 17] = _ID_CHECK[weighted % 11]
    return _fixed_width(matrix)


def mobiles(rows: int, rng: np.random.Generator) -> pa.Array:
    matrix = np.zeros((rows, 11), dtype=np.uint8)
    segments = np.frombuffer("".join(SEGMENTS).encode(), dtype=np.uint8).reshape(-1, 3)
    matrix[:, :3] = segments[rng.integers(0, len(SEGMENTS), rows)]
    matrix[:, 3:] = rng.integers(0, 10, (rows, 8)) + ord("0")
    return _fixed_width(matrix)


def names(rows: int, rng: np.random.Generator) -> pa.Array:
    compound = rng.random(rows) < 0.02
    surnames = np.where(
        compound,
        np.array(COMPOUND_SURNAMES)[rng.integers(0, len(COMPOUND_SURNAMES), rows)],
        np.array(SINGLE_SURNAMES[:100])[rng.integers(0, 100, rows)],
    )
    given = np.array(GIVEN_NAME_CHARS)
    first = given[rng.integers(0, len(given), rows)]
    second = np.where(rng.random(rows) < 0.7, given[rng.integers(0, len(given), rows)], "")
    return pa.array(np.char.add(np.char.add(surnames, first), second), pa.string())


def best_of(repeats: int, work: Callable[[], object]) -> float:
    best = float("inf")
    for _ in range(repeats):
        started = time.perf_counter()
        work()
        best = min(best, time.perf_counter() - started)
    return best


def _loop(values: pa.Array, mask: Callable[[str], str]) -> pa.Array:
    return pa.array([None if v is None else mask(v) for v in values.to_pylist()], pa.string())


_LOOP_MASKS: dict[str, Callable[[str], str]] = {
    "id_number": lambda v: mask_middle(v, 6, 4),
    "mobile": lambda v: mask_middle(v, 3, 4),
    "name": mask_name,
}


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="rows per column")
    parser.add_argument("--repeats", type=int, default=5, help="timed runs; the best counts")
    parser.add_argument("--loop-rows", type=int, default=200_000, help="rows for the loop")
    parser.add_argument("--pseudonym-rows", type=int, default=20_000, help="distinct IDs")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)

    rng = np.random.default_rng(args.seed)
    data = {
        "id_number": id_numbers(args.rows, rng),
        "mobile": mobiles(args.rows, rng),
        "name": names(args.rows, rng),
    }
    masker = Masker(RuleSet.from_dict(RULES), {"default": KEY})
    results: dict[str, Any] = {"rows": args.rows}
    print(f"rows per column: {args.rows:,}; best of {args.repeats}")
    print(f"{'column':<10} {'copy Mrows/s':>13} {'govdata Mrows/s':>16} {'÷ copy':>8} "
          f"{'loop Mrows/s':>13} {'× loop':>8}")  # fmt: skip
    for column, values in data.items():
        copy_seconds = best_of(args.repeats, partial(pc.utf8_slice_codeunits, values, 0, 64))
        masked_seconds = best_of(
            args.repeats, partial(masker.mask_column, column, "general_4", "consumer", values)
        )
        sample = values.slice(0, min(args.loop_rows, args.rows))
        loop_seconds = best_of(
            max(1, args.repeats // 2), partial(_loop, sample, _LOOP_MASKS[column])
        )
        masked = masker.mask_column(column, "general_4", "consumer", sample)
        if masked.to_pylist() != _loop(sample, _LOOP_MASKS[column]).to_pylist():
            raise SystemExit(f"{column}: the column mask differs from the per-value mask")
        copy_rate = args.rows / copy_seconds
        masked_rate = args.rows / masked_seconds
        loop_rate = len(sample) / loop_seconds
        results[column] = {
            "copy_rows_per_s": copy_rate,
            "masked_rows_per_s": masked_rate,
            "loop_rows_per_s": loop_rate,
            "ratio_to_copy": copy_rate / masked_rate,
            "speedup_over_loop": masked_rate / loop_rate,
        }
        print(f"{column:<10} {copy_rate / 1e6:13.1f} {masked_rate / 1e6:16.1f} "
              f"{copy_rate / masked_rate:8.2f} {loop_rate / 1e6:13.2f} "
              f"{masked_rate / loop_rate:8.1f}")  # fmt: skip

    distinct = data["id_number"].slice(0, min(args.pseudonym_rows, args.rows))
    pseudonym_seconds = best_of(
        1, lambda: masker.mask_column("id_number", "general_4", "authority", distinct)
    )
    detect_seconds = best_of(args.repeats, lambda: detect_column(data["id_number"]))
    finding = detect_column(data["id_number"])
    if finding.kind is not SensitiveKind.ID_NUMBER or finding.share != 1.0:
        raise SystemExit("the detector did not recognise the generated ID numbers")
    results["pseudonym_values_per_s"] = len(distinct) / pseudonym_seconds
    results["detect_rows_per_s"] = args.rows / detect_seconds
    print(f"ID pseudonyms (HMAC-SM3 keyed permutation): "
          f"{results['pseudonym_values_per_s']:,.0f} distinct values/s")  # fmt: skip
    print(f"ID column detection (check digit, date, division): "
          f"{results['detect_rows_per_s'] / 1e6:.1f} Mrows/s")  # fmt: skip
    return results


if __name__ == "__main__":
    main()
