"""Linking records into profiles: exact keys first, then probabilistic for the rest."""

from __future__ import annotations

import pyarrow as pa
import pytest

from govdata.orgs.codes import CodeError, check_id_number, id_number_check_char
from govdata.profiles.golden import golden_records
from govdata.profiles.keys import valid_credit_codes, valid_id_numbers
from govdata.profiles.kinds import PERSON
from govdata.profiles.linking import LinkOptions, LinkResult, SourceBatch, link
from govdata.profiles.stable import ProfileState, assign_profile_ids


def id_number(body: str) -> str:
    return body + id_number_check_char(body)


ZHANG = id_number("15010219850312001")
LI = id_number("15020319900701002")


def person(key: str, number: str | None, name: str, **more: str | None) -> dict[str, str | None]:
    row: dict[str, str | None] = {
        "record_key": key,
        "id_number": number,
        "name": name,
        "sex": "1",
        "birth_date": "1985-03-12",
        "division_code": "150102",
        "address": "内蒙古自治区呼和浩特市新城区新华大街88号",
        "phone": "13904711234",
        "updated_at": "2026-01-01 00:00:00",
    }
    row.update(more)
    return row


def batch(source_id: str, rows: list[dict[str, str | None]], priority: int) -> SourceBatch:
    return SourceBatch(source_id, pa.Table.from_pylist(rows), priority=priority, version=3)


def clusters_of(result: LinkResult) -> dict[tuple[str, str], int]:
    table = result.records
    return {
        (s, k): c
        for s, k, c in zip(
            table.column("source_id").to_pylist(),
            table.column("record_key").to_pylist(),
            table.column("cluster").to_pylist(),
            strict=True,
        )
    }


def crowd(count: int) -> list[dict[str, str | None]]:
    """Unrelated people, so that the model has non-matches to learn from."""
    surnames, given = "王李张刘陈杨赵黄周吴", "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平"
    rows = []
    for i in range(count):
        year, month, day = 1950 + i % 50, 1 + i % 12, 1 + i % 28
        body = f"150102{year}{month:02d}{day:02d}{i % 1000:03d}"
        rows.append(
            person(
                f"C{i}",
                id_number(body),
                surnames[i % 10] + given[i % 20] + given[(i * 7) % 20],
                birth_date=f"{year}-{month:02d}-{day:02d}",
                address=f"内蒙古自治区呼和浩特市新城区人民路{i}号",
                phone=f"139{i:08d}",
                sex=str(1 + i % 2),
            )
        )
    return rows


def test_valid_identity_numbers_link_exactly_across_sources() -> None:
    result = link(
        [
            batch("a", [person("a1", ZHANG, "张伟"), person("a2", LI, "李娜")], 1),
            batch(
                "b",
                [person("b1", ZHANG.lower(), "张玮", address="别处"), person("b2", LI, "李娜")],
                2,
            ),
        ],
        PERSON,
        LinkOptions(probabilistic=False),
    )
    found = clusters_of(result)
    assert found["a", "a1"] == found["b", "b1"]
    assert found["a", "a2"] == found["b", "b2"]
    assert found["a", "a1"] != found["a", "a2"]
    assert set(result.records.column("method").to_pylist()) == {"exact"}


def test_an_identity_number_with_a_wrong_check_digit_is_not_a_key() -> None:
    wrong = ZHANG[:17] + ("0" if ZHANG[17] != "0" else "1")
    result = link(
        [
            batch("a", [person("a1", ZHANG, "张伟")], 1),
            batch("b", [person("b1", wrong, "王芳")], 2),
        ],
        PERSON,
        LinkOptions(probabilistic=False),
    )
    assert result.records.column("key").to_pylist() == [ZHANG, None]
    found = clusters_of(result)
    assert found["a", "a1"] != found["b", "b1"]


def test_a_keyless_record_with_a_typo_in_the_name_joins_its_person() -> None:
    people = crowd(400)
    other = [dict(row, record_key="D" + str(row["record_key"])) for row in people]
    result = link(
        [
            batch("a", [person("a1", ZHANG, "张伟明"), *people], 1),
            batch("b", [person("b1", None, "张玮明"), *other], 2),  # no ID, one character off
        ],
        PERSON,
        LinkOptions(training_records=1000),
    )
    found = clusters_of(result)
    assert found["a", "a1"] == found["b", "b1"]
    methods = dict(
        zip(
            result.records.column("record_key").to_pylist(),
            result.records.column("method").to_pylist(),
            strict=True,
        )
    )
    assert methods["b1"] == "probabilistic"


def test_a_keyless_record_of_someone_else_stays_apart() -> None:
    people = crowd(400)
    other = [dict(row, record_key="D" + str(row["record_key"])) for row in people]
    stranger = person(
        "b1", None, "刘洋", birth_date="1970-06-01", address="包头市昆都仑区钢铁大街1号",
        phone="13800000000", division_code="150203", sex="2",
    )  # fmt: skip
    result = link(
        [
            batch("a", [person("a1", ZHANG, "张伟明"), *people], 1),
            batch("b", [stranger, *other], 2),
        ],
        PERSON,
        LinkOptions(training_records=1000),
    )
    found = clusters_of(result)
    assert found["a", "a1"] != found["b", "b1"]


def test_two_different_valid_keys_are_never_joined() -> None:
    result = link(
        [batch("a", [person("a1", ZHANG, "张伟")], 1), batch("b", [person("b1", LI, "张伟")], 2)],
        PERSON,
        LinkOptions(probabilistic=False),
    )
    found = clusters_of(result)
    assert found["a", "a1"] != found["b", "b1"]


def test_profile_ids_survive_a_rerun_and_new_records_join_them() -> None:
    first_batches = [batch("a", [person("a1", ZHANG, "张伟"), person("a2", LI, "李娜")], 1)]
    first = assign_profile_ids(
        link(first_batches, PERSON, LinkOptions(probabilistic=False)).records, ProfileState.empty()
    )
    zhang, li = first.profile_ids.to_pylist()
    again = link(
        [
            *first_batches,
            batch(
                "b",
                [person("b1", ZHANG, "张伟"), person("b2", id_number("15010219700101003"), "赵六")],
                2,
            ),
        ],
        PERSON,
        LinkOptions(probabilistic=False),
    )
    second = assign_profile_ids(again.records, first.state)
    ids = second.profile_ids.to_pylist()
    assert ids[:3] == [zhang, li, zhang]
    assert ids[3] not in (zhang, li)
    assert second.created == [ids[3]]
    assert second.merged == []


def test_merging_two_profiles_keeps_the_larger_and_aliases_the_other() -> None:
    # Before: a keyless record alone (its own profile) and Zhang with two records.
    state = ProfileState(
        pa.table(
            {
                "source_id": ["a", "b", "c"],
                "record_key": ["a1", "b1", "c1"],
                "profile_id": ["P-ZHANG", "P-ZHANG", "P-LONE"],
            }
        ),
        ProfileState.empty().aliases,
    )
    # Now all three are one cluster (say a better model linked c1).
    records = pa.table(
        {"source_id": ["a", "b", "c"], "record_key": ["a1", "b1", "c1"], "cluster": [0, 0, 0]}
    )
    result = assign_profile_ids(records, state)
    assert result.profile_ids.to_pylist() == ["P-ZHANG"] * 3
    assert result.merged == [("P-LONE", "P-ZHANG")]
    assert result.state.aliases.to_pylist() == [{"alias_id": "P-LONE", "profile_id": "P-ZHANG"}]
    # A later merge of the survivor keeps the alias chain flat.
    later = assign_profile_ids(
        pa.table(
            {
                "source_id": ["a", "b", "c", "d", "d"],
                "record_key": ["a1", "b1", "c1", "d1", "d2"],
                "cluster": [0, 0, 0, 0, 0],
            }
        ),
        ProfileState(
            pa.concat_tables(
                [
                    result.state.mapping,
                    pa.table(
                        {
                            "source_id": ["d"] * 4,
                            "record_key": ["d1", "d2", "d3", "d4"],
                            "profile_id": ["P-BIG"] * 4,
                        }
                    ),
                ]
            ),
            result.state.aliases,
        ),
    )
    assert set(later.profile_ids.to_pylist()) == {"P-ZHANG"}  # 3 of its records vs 2 of P-BIG's
    assert sorted(later.state.aliases.to_pylist(), key=lambda r: r["alias_id"]) == [
        {"alias_id": "P-BIG", "profile_id": "P-ZHANG"},
        {"alias_id": "P-LONE", "profile_id": "P-ZHANG"},
    ]


def test_the_golden_record_takes_the_authoritative_source_and_keeps_every_candidate() -> None:
    result = link(
        [
            batch("hukou", [person("h1", ZHANG, "张伟", address="户籍地址", phone=None)], 1),
            batch(
                "shebao", [person("s1", ZHANG, "张玮", address="社保地址", phone="13900000001")], 2
            ),
        ],
        PERSON,
        LinkOptions(probabilistic=False),
    )
    ids = assign_profile_ids(result.records, ProfileState.empty()).profile_ids
    golden = {
        row["attribute"]: row for row in golden_records(result.records, ids, PERSON).to_pylist()
    }
    assert golden["name"]["value"] == "张伟"
    assert golden["name"]["source_id"] == "hukou"
    assert golden["name"]["version"] == 3
    assert golden["address"]["value"] == "户籍地址"
    assert golden["phone"]["value"] == "13900000001"  # the only source that has one
    assert golden["phone"]["source_id"] == "shebao"
    assert golden["id_number"]["value"] == ZHANG
    every = golden_records(result.records, ids, PERSON, candidates=True).to_pylist()
    names = {
        (row["value"], row["source_id"], row["chosen"])
        for row in every
        if row["attribute"] == "name"
    }
    assert names == {("张伟", "hukou", True), ("张玮", "shebao", False)}


@pytest.mark.parametrize(
    "value",
    [ZHANG, ZHANG.lower(), ZHANG[:17] + "0", "1501021985031200", "100000198503120011",
     "15010219850230001X", "15000019850312001X", "", "１５０１０２１９８５０３１２００１７"],
)  # fmt: skip
def test_the_vectorised_identity_check_agrees_with_the_validator(value: str) -> None:
    try:
        expected: str | None = check_id_number(value)
    except CodeError:
        expected = None
    assert valid_id_numbers(pa.array([value])).to_pylist() == [expected]


def test_credit_codes_are_checked_by_their_check_character() -> None:
    assert valid_credit_codes(
        pa.array(["91150100MA0N12345T", "91150100MA0N123450", None])
    ).to_pylist() == [
        "91150100MA0N12345T",
        None,
        None,
    ]
