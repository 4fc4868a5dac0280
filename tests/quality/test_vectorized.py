"""The citizen ID validator computed during the scan: the loader's verdicts plus the
birth-date bounds, and the division checks against the editions' index."""

from __future__ import annotations

import random
from datetime import date

import numpy as np
import pyarrow as pa

from govdata.aggregation.vectorized import id_number_failures
from govdata.quality.vectorized import DivisionIndex, id_number_ok
from tests.quality.test_validators import divisions, id_number

TODAY = date(2026, 6, 1)
INDEX = DivisionIndex.of(
    divisions(("150102", None), ("152100", date(2001, 1, 1)), ("152100", date(1999, 1, 1)))
)


def messy_ids(count: int, seed: int) -> list[str | None]:
    rng = random.Random(seed)  # noqa: S311 (test data)
    values: list[str | None] = []
    for _ in range(count):
        year = rng.choice([rng.randrange(1700, 2030), 1799, 1800, 2026, 2027])
        month, day, serial = rng.randrange(0, 14), rng.randrange(0, 33), rng.randrange(1000)
        prefix = rng.choice(["15", "11", "99", "00"])
        body = f"{prefix}0102{year:04d}{month:02d}{day:02d}{serial:03d}"
        value: str | None = (
            id_number(body) if rng.random() < 0.7 else body + rng.choice("0123456789Xx?")
        )
        roll = rng.random()
        if roll < 0.03:
            value = body[:5] + "a" + body[6:] + "0"
        elif roll < 0.05:
            value = body
        elif roll < 0.06:
            value = None
        elif roll < 0.07:
            value = "１" + body[1:]
        values.append(value)
    return values


def test_the_structure_check_is_the_loader_check_with_birth_dates_from_1800_to_today() -> None:
    values = messy_ids(20_000, seed=7)
    array = pa.array(values, pa.string())
    bad = np.zeros(len(values), dtype=np.bool_)
    for found in id_number_failures(array).values():
        bad |= found
    expected = [
        None if v is None else bool(not b and v[6:10] >= "1800" and v[6:14] <= "20260601")
        for v, b in zip(values, bad, strict=True)
    ]

    assert id_number_ok(array, INDEX, "structure", TODAY).to_pylist() == expected


def test_division_checks_use_the_latest_edition_of_each_code() -> None:
    current = id_number("15010219900307123")
    withdrawn_before_birth = id_number("15210020000307123")  # valid until 2001 (latest)
    withdrawn_after = id_number("15210020020307123")
    unknown = id_number("15019919900307123")
    array = pa.array([current, withdrawn_before_birth, withdrawn_after, unknown, None])

    def verdicts(check: str) -> list[bool | None]:
        return id_number_ok(array, INDEX, check, TODAY).to_pylist()

    assert verdicts("valid_since") == [True, True, False, False, None]
    assert verdicts("current") == [True, False, False, False, None]
    assert verdicts("ever") == [True, True, True, False, None]
    assert verdicts("structure") == [True, True, True, True, None]
