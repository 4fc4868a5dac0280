"""Specification of field-level encryption of Arrow columns.

Each value is encrypted on its own with SM4-GCM under the purpose's active
data key; the table and column are bound as associated data; every value
records its data key version; nulls stay null.
"""

from __future__ import annotations

import os

import pyarrow as pa
import pytest
from hypothesis import given
from hypothesis import strategies as st

from govdata.crypto.datakeys import DataKeySet
from govdata.crypto.errors import DataKeyMissing, DecryptionFailed
from govdata.crypto.fields import (
    OVERHEAD,
    decrypt_column,
    decrypt_columns,
    encrypt_column,
    encrypt_columns,
    encrypted_columns,
)
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
