"""Specification of field-level encryption of Arrow columns.

Each value is encrypted on its own with SM4-GCM under the purpose's active
data key; the table and column are bound as associated data; every value
records its data key version; nulls stay null. Deterministic mode (SM4-SIV,
format 2) gives equal ciphertexts for equal values of one table, column and
key version, with the same bindings; a column may mix both formats and
several key versions.
"""

from __future__ import annotations

import os

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from govdata.crypto.datakeys import DataKeySet
from govdata.crypto.errors import DataKeyMissing, DecryptionFailed
from govdata.crypto.fields import (
    OVERHEAD,
    SIV_ALGORITHM,
    SIV_OVERHEAD,
    associated_data,
    decrypt_column,
    decrypt_columns,
    encrypt_column,
    encrypt_columns,
    encrypt_literals,
    encrypted_columns,
    key_versions,
)
from govdata.crypto.siv import Siv
from govdata.errors import InvalidInput

KEYS = DataKeySet("lake:population", 1, {1: os.urandom(16)})
NAMES = pa.array(["张三", None, "", "阿依古丽·买买提", "O'Brien"], pa.string())
WHERE = {"table": "population", "column": "name"}


def roundtrip(values: pa.Array, keys: DataKeySet = KEYS, **where: str) -> pa.Array:
    place = where or WHERE
    encrypted = encrypt_column(values, keys, **place)
    return decrypt_column(encrypted, keys, value_type=values.type, **place)


@pytest.mark.parametrize(
    "values",
    [
        NAMES,
        pa.array(["甲", None, "乙"], pa.large_string()),
        pa.array([b"\x00\xff", None, b""], pa.binary()),
        pa.array([b"\x01" * 1000, None], pa.large_binary()),
    ],
    ids=["string", "large_string", "binary", "large_binary"],
)
def test_each_string_and_binary_type_round_trips(values: pa.Array) -> None:
    assert roundtrip(values).equals(values)


def test_encrypted_values_are_binary_33_bytes_longer_with_nulls_kept() -> None:
    encrypted = encrypt_column(NAMES, KEYS, **WHERE)

    assert encrypted.type == pa.binary()
    assert encrypted.null_count == 1
    assert encrypted.is_null().to_pylist() == NAMES.is_null().to_pylist()
    for plain, sealed in zip(NAMES.to_pylist(), encrypted.to_pylist(), strict=True):
        if plain is not None:
            assert len(sealed) == len(plain.encode()) + OVERHEAD
            assert plain.encode() not in sealed or plain == ""


def test_each_value_records_the_format_and_the_key_version() -> None:
    keys = DataKeySet("p", 7, {7: os.urandom(16)})

    sealed = encrypt_column(pa.array(["x"]), keys, **WHERE)[0].as_py()

    assert sealed[:5] == b"\x01\x00\x00\x00\x07"


def test_equal_values_encrypt_differently() -> None:
    encrypted = encrypt_column(pa.array(["同一个值", "同一个值"]), KEYS, **WHERE)

    assert encrypted[0] != encrypted[1]


def test_large_types_give_large_binary() -> None:
    assert encrypt_column(pa.array(["a"], pa.large_string()), KEYS, **WHERE).type == (
        pa.large_binary()
    )


def test_a_chunked_array_stays_chunked_and_round_trips() -> None:
    values = pa.chunked_array([NAMES, pa.array(["丙"]), pa.array([], pa.string())])

    encrypted = encrypt_column(values, KEYS, **WHERE)

    assert isinstance(encrypted, pa.ChunkedArray)
    assert encrypted.num_chunks == 3
    assert decrypt_column(encrypted, KEYS, **WHERE).equals(values)


def test_a_sliced_array_round_trips() -> None:
    values = pa.array([f"值{i}" if i % 3 else None for i in range(100)]).slice(17, 40)

    assert roundtrip(values).equals(values)


@pytest.mark.parametrize("values", [pa.array([], pa.string()), pa.array([None, None], pa.string())])
def test_empty_and_all_null_columns_round_trip(values: pa.Array) -> None:
    assert roundtrip(values).equals(values)


@given(st.lists(st.none() | st.text(max_size=40), max_size=60))
def test_any_column_of_text_round_trips(texts: list[str | None]) -> None:
    values = pa.array(texts, pa.string())

    assert roundtrip(values).equals(values)


# --- what must fail ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "place",
    [{"table": "population", "column": "address"}, {"table": "enterprises", "column": "name"}],
)
def test_a_value_moved_to_another_column_or_table_does_not_decrypt(place: dict[str, str]) -> None:
    encrypted = encrypt_column(NAMES, KEYS, **WHERE)

    with pytest.raises(DecryptionFailed) as raised:
        decrypt_column(encrypted, KEYS, **place)
    assert raised.value.error_code == "decryption_failed"
    assert raised.value.fields == {"column": place["column"], "row": "0"}


def tampered(values: pa.Array, row: int, position: int) -> pa.Array:
    items = values.to_pylist()
    changed = bytearray(items[row])
    changed[position] ^= 0x01
    items[row] = bytes(changed)
    return pa.array(items, pa.binary())


@pytest.mark.parametrize("position", [5, 17, -1], ids=["nonce", "ciphertext", "tag"])
def test_a_changed_byte_is_refused_naming_the_row(position: int) -> None:
    encrypted = encrypt_column(NAMES, KEYS, **WHERE)

    with pytest.raises(DecryptionFailed, match="第 3 行"):
        decrypt_column(tampered(encrypted, 3, position), KEYS, **WHERE)


def test_a_changed_format_byte_is_refused() -> None:
    encrypted = encrypt_column(NAMES, KEYS, **WHERE)

    with pytest.raises(DecryptionFailed, match="格式"):
        decrypt_column(tampered(encrypted, 0, 0), KEYS, **WHERE)


def test_a_truncated_value_is_refused() -> None:
    encrypted = pa.array([b"\x01\x00\x00\x00\x01short"], pa.binary())

    with pytest.raises(DecryptionFailed, match="过短"):
        decrypt_column(encrypted, KEYS, **WHERE)


def test_another_key_is_refused() -> None:
    encrypted = encrypt_column(NAMES, KEYS, **WHERE)
    other = DataKeySet(KEYS.purpose, 1, {1: os.urandom(16)})

    with pytest.raises(DecryptionFailed):
        decrypt_column(encrypted, other, **WHERE)


def test_a_version_the_keys_lack_is_data_key_missing() -> None:
    newer = DataKeySet(KEYS.purpose, 2, {2: os.urandom(16)})
    encrypted = encrypt_column(NAMES, newer, **WHERE)

    with pytest.raises(DataKeyMissing) as raised:
        decrypt_column(encrypted, KEYS, **WHERE)
    assert raised.value.fields == {"purpose": KEYS.purpose, "version": "2"}


def test_a_binary_column_decrypted_as_text_must_be_utf8() -> None:
    encrypted = encrypt_column(pa.array([b"\xff\xfe"]), KEYS, **WHERE)

    with pytest.raises(DecryptionFailed, match="UTF-8"):
        decrypt_column(encrypted, KEYS, **WHERE)


def test_columns_of_other_types_are_refused() -> None:
    with pytest.raises(InvalidInput):
        encrypt_column(pa.array([1, 2]), KEYS, **WHERE)
    with pytest.raises(InvalidInput):
        decrypt_column(pa.array(["not encrypted"]), KEYS, **WHERE)
    with pytest.raises(TypeError):
        encrypt_column(["plain list"], KEYS, **WHERE)


# --- whole tables -----------------------------------------------------------------------


def test_a_table_round_trips_with_its_sensitive_columns_marked() -> None:
    table = pa.table(
        {
            "id_number": pa.array(["150102199001011234", None]),
            "name": pa.array(["张三", "李四"], pa.large_string()),
            "age": pa.array([35, 40]),
        }
    )

    encrypted = encrypt_columns(table, ["id_number", "name"], KEYS, table="population")

    assert encrypted_columns(encrypted.schema) == ["id_number", "name"]
    assert encrypted.schema.field("id_number").type == pa.binary()
    assert encrypted.column("age").equals(table.column("age"))
    assert decrypt_columns(encrypted, KEYS, table="population").equals(table)


def test_a_table_column_that_does_not_exist_is_invalid_input() -> None:
    with pytest.raises(InvalidInput):
        encrypt_columns(pa.table({"a": ["x"]}), ["b"], KEYS, table="t")


# --- deterministic encryption (SM4-SIV, format 2) ------------------------------------------

IDS = pa.array(
    ["150102199001011234", None, "150102199001011234", "", "11010519491231002X", ""],
    pa.string(),
)


def siv_roundtrip(values: pa.Array | pa.ChunkedArray, keys: DataKeySet = KEYS) -> object:
    encrypted = encrypt_column(values, keys, deterministic=True, **WHERE)
    return decrypt_column(encrypted, keys, value_type=values.type, **WHERE)


@pytest.mark.parametrize(
    "values",
    [
        IDS,
        NAMES,
        pa.array(["甲", None, "乙", "内蒙古自治区呼和浩特市新城区"], pa.large_string()),
        pa.array([b"\x00\xff", None, b""], pa.binary()),
        pa.array([b"\x01" * 1000, None, b"\x02" * 17], pa.large_binary()),
    ],
    ids=["ids", "names", "large_string", "binary", "large_binary"],
)
def test_deterministic_columns_of_each_type_round_trip_with_nulls_and_empty_strings(
    values: pa.Array,
) -> None:
    assert siv_roundtrip(values).equals(values)


def test_deterministic_values_are_format_2_with_version_synthetic_iv_and_same_length() -> None:
    keys = DataKeySet("p", 7, {7: os.urandom(16)})

    encrypted = encrypt_column(IDS, keys, deterministic=True, **WHERE)

    assert encrypted.type == pa.binary()
    assert encrypted.is_null().to_pylist() == IDS.is_null().to_pylist()
    for plain, sealed in zip(IDS.to_pylist(), encrypted.to_pylist(), strict=True):
        if plain is not None:
            assert sealed[:5] == b"\x02\x00\x00\x00\x07"
            assert len(sealed) == len(plain.encode()) + SIV_OVERHEAD == len(plain) + 21


def test_equal_values_encrypt_equally_in_one_table_column_and_version() -> None:
    encrypted = encrypt_column(IDS, KEYS, deterministic=True, **WHERE).to_pylist()

    assert encrypted[0] == encrypted[2]
    assert encrypted[3] == encrypted[5]
    assert len({encrypted[0], encrypted[3], encrypted[4]}) == 3


def test_deterministic_values_are_the_siv_reference_over_header_and_binding() -> None:
    encrypted = encrypt_column(IDS, KEYS, deterministic=True, **WHERE).to_pylist()
    header = b"\x02\x00\x00\x00\x01"
    reference = Siv.for_sm4_data_key(KEYS.keys[1])
    bound = [associated_data("population", "name") + header]

    for plain, sealed in zip(IDS.to_pylist(), encrypted, strict=True):
        if plain is not None:
            assert sealed == header + reference.encrypt(plain.encode(), bound)


@pytest.mark.parametrize(
    ("place", "keys"),
    [
        ({"table": "population", "column": "address"}, KEYS),
        ({"table": "enterprises", "column": "name"}, KEYS),
        (WHERE, DataKeySet(KEYS.purpose, 2, {1: KEYS.keys[1], 2: os.urandom(16)})),
    ],
    ids=["other column", "other table", "other version"],
)
def test_another_table_column_or_version_gives_other_ciphertexts(
    place: dict[str, str], keys: DataKeySet
) -> None:
    here = encrypt_column(IDS, KEYS, deterministic=True, **WHERE).to_pylist()
    there = encrypt_column(IDS, keys, deterministic=True, **place).to_pylist()

    for mine, theirs in zip(here, there, strict=True):
        assert mine is None or mine[5:] != theirs[5:]


@pytest.mark.parametrize(
    "place",
    [{"table": "population", "column": "address"}, {"table": "enterprises", "column": "name"}],
)
def test_a_deterministic_value_moved_to_another_column_or_table_does_not_decrypt(
    place: dict[str, str],
) -> None:
    encrypted = encrypt_column(IDS, KEYS, deterministic=True, **WHERE)

    with pytest.raises(DecryptionFailed) as raised:
        decrypt_column(encrypted, KEYS, **place)
    assert raised.value.fields == {"column": place["column"], "row": "0"}


def test_a_value_given_another_version_number_does_not_decrypt() -> None:
    both = DataKeySet(KEYS.purpose, 2, {1: KEYS.keys[1], 2: KEYS.keys[1]})
    sealed = encrypt_column(pa.array(["x"]), both, deterministic=True, version=1, **WHERE)
    relabelled = pa.array([b"\x02\x00\x00\x00\x02" + sealed[0].as_py()[5:]], pa.binary())

    with pytest.raises(DecryptionFailed, match="认证失败"):
        decrypt_column(relabelled, both, **WHERE)


def test_a_change_to_any_byte_of_a_deterministic_value_is_refused_naming_the_row() -> None:
    encrypted = encrypt_column(IDS, KEYS, deterministic=True, **WHERE)
    size = len(encrypted[4].as_py())

    for position in range(1, 5):  # the version: one the keys lack (or see the test above)
        with pytest.raises(DataKeyMissing):
            decrypt_column(tampered(encrypted, 4, position), KEYS, **WHERE)
    for position in range(5, size):  # the synthetic IV and the ciphertext
        with pytest.raises(DecryptionFailed) as raised:
            decrypt_column(tampered(encrypted, 4, position), KEYS, **WHERE)
        assert raised.value.fields == {"column": "name", "row": "4"}


def test_a_deterministic_value_turned_into_format_1_or_truncated_is_refused() -> None:
    encrypted = encrypt_column(IDS, KEYS, deterministic=True, **WHERE)
    as_gcm = tampered(encrypted, 0, 0)  # 0x02 -> 0x03: unknown
    items = encrypted.to_pylist()
    items[0] = b"\x01" + items[0][1:]

    with pytest.raises(DecryptionFailed, match="格式"):
        decrypt_column(as_gcm, KEYS, **WHERE)
    with pytest.raises(DecryptionFailed):
        decrypt_column(pa.array(items, pa.binary()), KEYS, **WHERE)
    with pytest.raises(DecryptionFailed, match="过短"):
        decrypt_column(pa.array([b"\x02\x00\x00\x00\x01" + b"v" * 15]), KEYS, **WHERE)
    with pytest.raises(DecryptionFailed, match="过短"):
        decrypt_column(pa.array([b"\x02\x00"]), KEYS, **WHERE)


def test_deterministic_chunked_arrays_stay_chunked_and_round_trip() -> None:
    values = pa.chunked_array([IDS, pa.array(["丙"]), pa.array([], pa.string()), NAMES])

    encrypted = encrypt_column(values, KEYS, deterministic=True, **WHERE)

    assert isinstance(encrypted, pa.ChunkedArray)
    assert encrypted.num_chunks == 4
    assert (
        encrypted.chunk(0).to_pylist()
        == encrypt_column(IDS, KEYS, deterministic=True, **WHERE).to_pylist()
    )
    assert decrypt_column(encrypted, KEYS, **WHERE).equals(values)


def test_a_tampered_value_in_a_later_chunk_is_named_by_its_row_in_the_column() -> None:
    encrypted = encrypt_column(pa.chunked_array([IDS, NAMES]), KEYS, deterministic=True, **WHERE)
    second = tampered(encrypted.chunk(1), 3, 9)

    with pytest.raises(DecryptionFailed, match=f"第 {len(IDS) + 3} 行"):
        decrypt_column(pa.chunked_array([encrypted.chunk(0), second]), KEYS, **WHERE)


def test_sliced_arrays_encrypt_as_their_values_and_round_trip() -> None:
    whole = pa.array([f"值{i % 7}" * (i % 5) if i % 3 else None for i in range(200)])
    values = whole.slice(17, 90)

    encrypted = encrypt_column(values, KEYS, deterministic=True, **WHERE)

    assert (
        encrypted.to_pylist()
        == encrypt_column(
            pa.array(values.to_pylist(), pa.string()), KEYS, deterministic=True, **WHERE
        ).to_pylist()
    )
    assert decrypt_column(encrypted, KEYS, **WHERE).equals(values)
    assert decrypt_column(encrypted.slice(5, 30), KEYS, **WHERE).equals(values.slice(5, 30))


def test_null_slots_that_still_hold_bytes_are_skipped() -> None:
    offsets = pa.py_buffer(np.array([0, 3, 8, 11], dtype=np.int32).tobytes())
    validity = pa.py_buffer(bytes([0b101]))
    values = pa.Array.from_buffers(
        pa.string(), 3, [validity, offsets, pa.py_buffer(b"abcHIDDENxyz")], null_count=1
    )

    encrypted = encrypt_column(values, KEYS, deterministic=True, **WHERE)

    assert encrypted.is_null().to_pylist() == [False, True, False]
    assert decrypt_column(encrypted, KEYS, **WHERE).to_pylist() == ["abc", None, "Nxy"]


@settings(max_examples=40, deadline=None)
@given(st.lists(st.none() | st.text(max_size=40), max_size=60))
def test_any_text_column_round_trips_deterministically_and_matches_its_literals(
    texts: list[str | None],
) -> None:
    values = pa.array(texts, pa.string())

    encrypted = encrypt_column(values, KEYS, deterministic=True, **WHERE)

    assert decrypt_column(encrypted, KEYS, **WHERE).equals(values)
    present = [text for text in texts if text is not None]
    sealed = [item for item in encrypted.to_pylist() if item is not None]
    assert encrypt_literals(present, KEYS, **WHERE) == sealed


def test_mixed_formats_and_versions_in_one_column_decrypt() -> None:
    keys = DataKeySet(KEYS.purpose, 3, {1: os.urandom(16), 2: os.urandom(16), 3: os.urandom(16)})
    names = ["张三", None, "李四", "王五", "", "赵六"]
    gcm_1 = encrypt_column(pa.array(names), keys, version=1, **WHERE).to_pylist()
    siv_2 = encrypt_column(pa.array(names), keys, deterministic=True, version=2, **WHERE)
    siv_3 = encrypt_column(pa.array(names), keys, deterministic=True, **WHERE).to_pylist()
    mixed = [gcm_1[0], None, siv_2[2].as_py(), siv_3[3], gcm_1[4], siv_2[5].as_py()]

    decrypted = decrypt_column(pa.array(mixed, pa.binary()), keys, **WHERE)

    assert decrypted.to_pylist() == names
    assert key_versions(pa.array(mixed, pa.binary())) == {1, 2, 3}
    both = pa.chunked_array([pa.array(gcm_1, pa.binary()), siv_2])
    assert decrypt_column(both, keys, **WHERE).to_pylist() == names + names


def test_in_a_mixed_column_the_first_bad_row_is_named_whatever_its_format() -> None:
    gcm = encrypt_column(pa.array(["a", "b", "c"]), KEYS, **WHERE).to_pylist()
    siv = encrypt_column(pa.array(["a", "b", "c"]), KEYS, deterministic=True, **WHERE)
    mixed = pa.array([siv[0].as_py(), gcm[1], siv[2].as_py(), gcm[0]], pa.binary())

    with pytest.raises(DecryptionFailed, match="第 1 行"):
        decrypt_column(tampered(tampered(mixed, 2, 8), 1, 20), KEYS, **WHERE)
    with pytest.raises(DecryptionFailed, match="第 2 行"):
        decrypt_column(tampered(tampered(mixed, 2, 8), 3, 20), KEYS, **WHERE)


def test_encryption_uses_the_version_asked_for_and_refuses_one_the_keys_lack() -> None:
    keys = DataKeySet(KEYS.purpose, 2, {1: os.urandom(16), 2: os.urandom(16)})

    old = encrypt_column(IDS, keys, deterministic=True, version=1, **WHERE)
    active = encrypt_column(IDS, keys, deterministic=True, **WHERE)

    assert key_versions(old) == {1}
    assert key_versions(active) == {2}
    assert key_versions(encrypt_column(IDS, keys, version=1, **WHERE)) == {1}
    with pytest.raises(DataKeyMissing) as raised:
        encrypt_column(IDS, keys, deterministic=True, version=3, **WHERE)
    assert raised.value.fields == {"purpose": KEYS.purpose, "version": "3"}


def test_a_deterministic_version_the_keys_lack_is_data_key_missing() -> None:
    newer = DataKeySet(KEYS.purpose, 2, {2: os.urandom(16)})
    encrypted = encrypt_column(NAMES, newer, deterministic=True, **WHERE)

    with pytest.raises(DataKeyMissing) as raised:
        decrypt_column(encrypted, KEYS, **WHERE)
    assert raised.value.fields == {"purpose": KEYS.purpose, "version": "2"}


def test_literals_are_encrypted_under_every_version_for_an_in_list() -> None:
    keys = DataKeySet(KEYS.purpose, 2, {1: os.urandom(16), 2: os.urandom(16)})
    stored = pa.chunked_array(
        [
            encrypt_column(IDS, keys, deterministic=True, version=1, **WHERE),
            encrypt_column(IDS, keys, deterministic=True, version=2, **WHERE),
        ]
    ).to_pylist()

    literals = encrypt_literals(["150102199001011234", b"11010519491231002X"], keys, **WHERE)

    assert len(literals) == 4
    assert [stored.index(literal) for literal in literals] == [0, 4, 6, 10]
    assert encrypt_literals([], keys, **WHERE) == []
    with pytest.raises(InvalidInput):
        encrypt_literals([12], keys, **WHERE)  # type: ignore[list-item]


def test_key_versions_reads_headers_skipping_nulls_and_refuses_non_ciphertexts() -> None:
    assert key_versions(pa.array([None], pa.binary())) == set()
    assert key_versions(pa.chunked_array([], pa.binary())) == set()
    with pytest.raises(InvalidInput):
        key_versions(pa.array([b"\x02\x00"], pa.binary()))
    with pytest.raises(InvalidInput):
        key_versions(pa.array(["plain"]))


def test_a_table_encrypted_deterministically_is_marked_sm4_siv_and_round_trips() -> None:
    table = pa.table(
        {
            "id_number": pa.array(["150102199001011234", None, "150102199001011234"]),
            "name": pa.array(["张三", "李四", "张三"], pa.large_string()),
            "age": pa.array([35, 40, 35]),
        }
    )

    encrypted = encrypt_columns(
        table, ["id_number", "name"], KEYS, table="population", deterministic=True
    )
    randomised = encrypt_columns(table, ["name"], KEYS, table="t")

    field = encrypted.schema.field("id_number")
    assert field.metadata[b"govdata.encryption"] == SIV_ALGORITHM == b"sm4-siv"
    assert randomised.schema.field("name").metadata[b"govdata.encryption"] == b"sm4-gcm"
    assert encrypted_columns(encrypted.schema) == ["id_number", "name"]
    ids = encrypted.column("id_number").to_pylist()
    assert ids[0] == ids[2]
    assert decrypt_columns(encrypted, KEYS, table="population").equals(table)
    assert decrypt_columns(randomised, KEYS, table="t").equals(table)
