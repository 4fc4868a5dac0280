"""Specification of ledger entries and their canonical encoding (the hashed bytes)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from types import MappingProxyType
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from govdata.ledger.entries import EntryKind, LedgerEntry, decode_entry, encode_entry
from govdata.ledger.errors import LedgerEntryInvalid

MOMENT = datetime(2026, 11, 21, 8, 30, 0, 5, tzinfo=UTC)


def entry(**changes: Any) -> LedgerEntry:
    values: dict[str, Any] = {
        "kind": EntryKind.GRANT_ISSUED,
        "subject_ids": ("grant-1", "request-9"),
        "actor": "王五（公安厅）",
        "body": {"scope": "人口基础信息", "rows": 120, "masked": True, "note": None},
        "recorded_at": MOMENT,
    }
    values.update(changes)
    return LedgerEntry(**values)


def test_the_encoding_is_sorted_compact_utf8_json_with_a_fixed_time_format() -> None:
    assert (
        encode_entry(entry())
        == (
            '{"actor":"王五（公安厅）","body":{"masked":true,"note":null,"rows":120,'
            '"scope":"人口基础信息"},"kind":"sharing:grant:issued",'
            '"subjects":["grant-1","request-9"],"time":"2026-11-21T08:30:00.000005Z","v":1}'
        ).encode()
    )


def test_times_in_other_zones_are_recorded_in_utc() -> None:
    beijing = MOMENT.astimezone(timezone(timedelta(hours=8)))
    assert encode_entry(entry(recorded_at=beijing)) == encode_entry(entry())


def test_control_characters_are_escaped_and_other_characters_kept() -> None:
    encoded = encode_entry(entry(body={"text": 'a"b\\c\n\x01\x7f中'}))
    assert b'"text":"a\\"b\\\\c\\n\\u0001\x7f\xe4\xb8\xad"' in encoded


def test_mapping_and_string_subclasses_encode_as_plain_json() -> None:
    body = MappingProxyType({"kind": EntryKind.APPROVAL_DECIDED, "items": ("a", 1)})
    assert b'"body":{"items":["a",1],"kind":"sharing:approval:decided"}' in encode_entry(
        entry(body=body)
    )


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**63 - 1)
    | st.text(alphabet=st.characters(exclude_categories=("Cs",))),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=20,
)
entries = st.builds(
    LedgerEntry,
    kind=st.sampled_from(list(EntryKind)),
    subject_ids=st.lists(st.text(min_size=1, max_size=64), min_size=1, max_size=5, unique=True).map(
        tuple
    ),
    actor=st.text(min_size=1, max_size=200),
    body=st.dictionaries(st.text(max_size=10), json_values, max_size=5),
    recorded_at=st.datetimes(timezones=st.just(UTC)),
)


@given(entries)
def test_decoding_an_encoded_entry_gives_it_back(original: LedgerEntry) -> None:
    decoded = decode_entry(encode_entry(original))
    assert decoded.kind == original.kind
    assert decoded.subject_ids == original.subject_ids
    assert decoded.actor == original.actor
    assert decoded.recorded_at == original.recorded_at
    assert decoded.body == original.body
    assert encode_entry(decoded) == encode_entry(original)


CANONICAL = (
    '{"actor":"a","body":{},"kind":"a:b","subjects":["s"],'
    '"time":"2026-11-21T08:30:00.000000Z","v":1}'
)


def test_the_reference_text_of_these_cases_is_itself_canonical() -> None:
    assert encode_entry(decode_entry(CANONICAL.encode())) == CANONICAL.encode()


@pytest.mark.parametrize(
    "text",
    [
        '{"v":1,' + CANONICAL[1:].replace(',"v":1', ""),
        CANONICAL.replace('"actor":"a"', '"actor": "a"'),
        CANONICAL.replace('"actor":"a"', '"actor":"\\u0061"'),
        CANONICAL.replace(".000000Z", "Z"),
        CANONICAL.replace("T08:30", " 08:30"),
        CANONICAL.replace('"v":1', '"v":2'),
        CANONICAL.replace('"body":{}', '"body":{"x":1.0}'),
        CANONICAL.replace('"body":{}', '"body":{},"extra":0'),
        CANONICAL.replace('"body":{}', '"body":[]'),
        "not json",
        "\xff",
    ],
    ids=[
        "keys-unsorted",
        "whitespace",
        "needless-escape",
        "no-microseconds",
        "space-in-time",
        "unknown-version",
        "float",
        "extra-key",
        "body-not-object",
        "not-json",
        "not-utf8",
    ],
)
def test_bytes_that_are_not_the_canonical_encoding_are_refused(text: str) -> None:
    data = text.encode("latin-1") if text == "\xff" else text.encode()
    with pytest.raises(LedgerEntryInvalid):
        decode_entry(data)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"kind": "Grant"}, "kind"),
        ({"kind": "sharing"}, "kind"),
        ({"kind": "a:b\n"}, "kind"),
        ({"actor": ""}, "actor"),
        ({"actor": "x" * 201}, "actor"),
        ({"subject_ids": ()}, "subject_ids"),
        ({"subject_ids": "grant-1"}, "subject_ids"),
        ({"subject_ids": ("a", "a")}, "subject_ids"),
        ({"subject_ids": ("x" * 65,)}, "subject_ids"),
        ({"recorded_at": datetime(2026, 1, 1)}, "recorded_at"),  # noqa: DTZ001 (naive on purpose)
        ({"body": {"amount": 1.5}}, "body.amount"),
        ({"body": {"n": 2**63}}, "body.n"),
        ({"body": {"list": [1, {"deep": 1.0}]}}, "body.list[1].deep"),
        ({"body": {1: "x"}}, "body"),
        ({"body": {"when": MOMENT}}, "body.when"),
        ({"body": ["not", "an", "object"]}, "body"),
    ],
)
def test_entries_without_a_canonical_form_are_refused_naming_the_field(
    changes: dict[str, Any], field: str
) -> None:
    with pytest.raises(LedgerEntryInvalid) as refused:
        encode_entry(entry(**changes))
    assert refused.value.error_code == "ledger_entry_invalid"
    assert field in refused.value.fields


def test_nesting_deeper_than_the_limit_is_refused() -> None:
    body: dict[str, Any] = {}
    inner = body
    for _ in range(40):
        inner["x"] = {}
        inner = inner["x"]
    with pytest.raises(LedgerEntryInvalid):
        encode_entry(entry(body=body))


def test_lone_surrogates_are_refused() -> None:
    with pytest.raises(LedgerEntryInvalid):
        encode_entry(entry(actor="\ud800"))
