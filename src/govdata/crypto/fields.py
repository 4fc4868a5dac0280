"""Field-level encryption of Arrow string and binary columns with SM4-GCM.

Each non-null value becomes one binary value::

    format (1 byte, = 1) | data key version (4 bytes, big-endian)
    | nonce (12 random bytes) | ciphertext (as long as the value) | tag (16 bytes)

so 33 bytes longer. The associated data binds the table and column names
and the 5-byte header: a value copied into another column or table, or
given another key version, fails to decrypt. Nulls stay null (whether a
value is present is not hidden), and equal values encrypt differently.

Columns are processed a whole Arrow chunk at a time: offsets and lengths
are computed with numpy, the output buffers are built in one piece and
handed to Arrow without a Python object per value; what remains per value
is one SM4-GCM operation through ``cryptography``.
"""

from __future__ import annotations

import os
import struct
from collections.abc import Mapping, Sequence
from typing import Any, Final

import numpy as np
import pyarrow as pa
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from govdata.crypto.datakeys import DataKeySet
from govdata.crypto.errors import CryptoError, DataKeyMissing, DecryptionFailed
from govdata.crypto.primitives import GCM_NONCE_SIZE, GCM_TAG_SIZE
from govdata.errors import InvalidInput

FORMAT: Final = 1
HEADER: Final = struct.Struct(">BI")
OVERHEAD: Final = HEADER.size + GCM_NONCE_SIZE + GCM_TAG_SIZE
ENCRYPTED_MARK: Final = b"govdata.encryption"
ORIGINAL_TYPE: Final = b"govdata.original_type"
ALGORITHM: Final = b"sm4-gcm"

_INT32_MAX = 2**31 - 1
_TYPES: Mapping[str, Any] = {
    "string": pa.string(),
    "large_string": pa.large_string(),
    "binary": pa.binary(),
    "large_binary": pa.large_binary(),
}
_LARGE = ("large_string", "large_binary")


def associated_data(table: str, column: str) -> bytes:
    """The column's binding, length-prefixed so that no two names run together."""
    encoded_table, encoded_column = table.encode(), column.encode()
    return (
        b"govdata/field/1\x00"
        + len(encoded_table).to_bytes(2, "big")
        + encoded_table
        + len(encoded_column).to_bytes(2, "big")
        + encoded_column
    )


def _type_name(data_type: Any) -> str:
    name = str(data_type)
    return {"utf8": "string", "large_utf8": "large_string"}.get(name, name)


def _chunks(values: Any) -> tuple[list[Any], bool]:
    if isinstance(values, pa.ChunkedArray):
        return list(values.chunks), True
    if isinstance(values, pa.Array):
        return [values], False
    raise TypeError("expected a pyarrow Array or ChunkedArray")


def _rebased(chunk: Any) -> Any:
    """The chunk with offset 0, so that its buffers start at its first value."""
    return pa.concat_arrays([chunk]) if chunk.offset else chunk


def _layout(chunk: Any, large: bool) -> tuple[Any, list[int], bytes, Any]:
    """Validity buffer, value offsets, data bytes and a mask of present values."""
    validity, offsets_buffer, data_buffer = chunk.buffers()
    offsets_array = np.frombuffer(
        offsets_buffer, dtype=np.int64 if large else np.int32, count=len(chunk) + 1
    )
    data = data_buffer.to_pybytes() if data_buffer is not None else b""
    present = chunk.is_valid().to_numpy(zero_copy_only=False)
    return validity, offsets_array.tolist(), data, present


def _offsets(lengths: Any, large: bool, what: str) -> Any:
    offsets = np.zeros(len(lengths) + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    if not large and offsets[-1] > _INT32_MAX:
        raise InvalidInput(f"{what}过大（超过 2 GiB），请分块处理或使用 large 类型")
    return offsets if large else offsets.astype(np.int32)


def _present_rows(present: Any) -> list[int]:
    rows: list[int] = np.flatnonzero(present).tolist()
    return rows


def _encrypt_chunk(chunk: Any, key: bytes, version: int, associated: bytes) -> Any:
    chunk = _rebased(chunk)
    large = _type_name(chunk.type) in _LARGE
    validity, offsets, data, present = _layout(chunk, large)
    rows = _present_rows(present)
    header = HEADER.pack(FORMAT, version)
    associated = associated + header
    nonces = os.urandom(GCM_NONCE_SIZE * len(rows))
    algorithm, gcm, cipher = algorithms.SM4(key), modes.GCM, Cipher
    parts: list[bytes] = []
    extend = parts.extend
    position = 0
    for row in rows:
        nonce = nonces[position : position + GCM_NONCE_SIZE]
        position += GCM_NONCE_SIZE
        encryptor = cipher(algorithm, gcm(nonce)).encryptor()
        encryptor.authenticate_additional_data(associated)
        body = encryptor.update(data[offsets[row] : offsets[row + 1]])
        encryptor.finalize()
        extend((header, nonce, body, encryptor.tag))
    lengths = np.diff(np.asarray(offsets, dtype=np.int64)) + OVERHEAD
    lengths[~present] = 0
    out_type = pa.large_binary() if large else pa.binary()
    return _assemble(out_type, chunk, validity, _offsets(lengths, large, "加密后的列"), parts)


def _assemble(out_type: Any, chunk: Any, validity: Any, offsets: Any, parts: list[bytes]) -> Any:
    """An Arrow array over the new offsets and data, with the input's nulls."""
    buffers = [validity, pa.py_buffer(offsets), pa.py_buffer(b"".join(parts))]
    return pa.Array.from_buffers(out_type, len(chunk), buffers, null_count=chunk.null_count)


def _decrypt_chunk(
    chunk: Any,
    keys: DataKeySet,
    associated: bytes,
    *,
    out_type: Any,
    column: str,
    first_row: int,
) -> Any:
    chunk = _rebased(chunk)
    validity, offsets, data, present = _layout(chunk, _type_name(chunk.type) in _LARGE)
    lengths = np.diff(np.asarray(offsets, dtype=np.int64)) - OVERHEAD
    lengths[~present] = 0
    short = np.flatnonzero(lengths < 0)
    if len(short):
        raise _tampered(column, first_row + int(short[0]), "密文过短")
    gcm, cipher = modes.GCM, Cipher
    by_version: dict[int, tuple[algorithms.SM4, bytes]] = {}
    parts: list[bytes] = []
    append = parts.append
    for row in _present_rows(present):
        start, end = offsets[row], offsets[row + 1]
        form, version = HEADER.unpack_from(data, start)
        if form != FORMAT:
            raise _tampered(column, first_row + row, "格式标记不符")
        known = by_version.get(version)
        if known is None:
            known = by_version[version] = _version_cipher(keys, version, associated, data, start)
        algorithm, bound = known
        body_start = start + HEADER.size + GCM_NONCE_SIZE
        decryptor = cipher(
            algorithm,
            gcm(data[start + HEADER.size : body_start], data[end - GCM_TAG_SIZE : end]),
        ).decryptor()
        decryptor.authenticate_additional_data(bound)
        append(decryptor.update(data[body_start : end - GCM_TAG_SIZE]))
        try:
            decryptor.finalize()
        except InvalidTag:
            raise _tampered(column, first_row + row, "认证失败") from None
    large = _type_name(out_type) in _LARGE
    offsets_out = _offsets(lengths, large, "解密后的列")
    result = _assemble(out_type, chunk, validity, offsets_out, parts)
    if _type_name(out_type) in ("string", "large_string"):
        try:
            result.validate(full=True)
        except pa.ArrowInvalid:
            raise DecryptionFailed(f"{column} 列解密后不是有效的 UTF-8 文本") from None
    return result


def _version_cipher(
    keys: DataKeySet, version: int, associated: bytes, data: bytes, start: int
) -> tuple[algorithms.SM4, bytes]:
    key = keys.keys.get(version)
    if key is None:
        raise DataKeyMissing(
            f"用途 {keys.purpose} 没有第 {version} 版数据密钥，无法解密",
            fields={"purpose": keys.purpose, "version": str(version)},
        )
    return algorithms.SM4(key), associated + data[start : start + HEADER.size]


def _tampered(column: str, row: int, why: str) -> DecryptionFailed:
    return DecryptionFailed(
        f"{column} 列第 {row} 行解密失败（{why}）：密钥不符或密文已被篡改",
        fields={"column": column, "row": str(row)},
    )


def encrypt_column(values: Any, keys: DataKeySet, *, table: str, column: str) -> Any:
    """Encrypt a string or binary Array (or ChunkedArray) under the active data key.

    Returns binary (large_binary for large types) of the same length and
    kind, nulls in the same places.
    """
    chunks, chunked = _chunks(values)
    type_name = _type_name(values.type)
    if type_name not in _TYPES:
        raise InvalidInput(f"只能加密字符串或二进制列，{column} 列的类型是 {values.type}")
    associated = associated_data(table, column)
    key, version = keys.active_key, keys.active_version
    encrypted = [_encrypt_chunk(chunk, key, version, associated) for chunk in chunks]
    if chunked:
        out_type = pa.large_binary() if type_name in _LARGE else pa.binary()
        return pa.chunked_array(encrypted, type=out_type)
    return encrypted[0]


def decrypt_column(
    values: Any,
    keys: DataKeySet,
    *,
    table: str,
    column: str,
    value_type: Any = None,
) -> Any:
    """The plaintext of :func:`encrypt_column`'s output, as ``value_type`` (default string).

    DecryptionFailed (naming the row) for a changed value or the wrong
    table, column or key; DataKeyMissing for a version ``keys`` lacks.
    """
    chunks, chunked = _chunks(values)
    if _type_name(values.type) not in ("binary", "large_binary"):
        raise InvalidInput(f"{column} 列不是加密后的二进制列")
    out_type = pa.string() if value_type is None else value_type
    if _type_name(out_type) not in _TYPES:
        raise InvalidInput(f"不支持解密为 {out_type} 类型")
    associated = associated_data(table, column)
    decrypted = []
    first_row = 0
    for chunk in chunks:
        decrypted.append(
            _decrypt_chunk(
                chunk, keys, associated, out_type=out_type, column=column, first_row=first_row
            )
        )
        first_row += len(chunk)
    if chunked:
        return pa.chunked_array(decrypted, type=out_type)
    return decrypted[0]


def encrypt_columns(data: Any, columns: Sequence[str], keys: DataKeySet, *, table: str) -> Any:
    """A pyarrow Table with ``columns`` encrypted and marked in their field metadata."""
    for name in columns:
        index = data.schema.get_field_index(name)
        if index < 0:
            raise InvalidInput(f"表中没有 {name} 列")
        original = data.schema.field(index)
        metadata = dict(original.metadata or {})
        metadata[ENCRYPTED_MARK] = ALGORITHM
        metadata[ORIGINAL_TYPE] = _type_name(original.type).encode()
        encrypted = encrypt_column(data.column(index), keys, table=table, column=name)
        field = pa.field(name, encrypted.type, original.nullable, metadata)
        data = data.set_column(index, field, encrypted)
    return data


def encrypted_columns(schema: Any) -> list[str]:
    """The names of the columns that :func:`encrypt_columns` marked."""
    return [
        field.name
        for field in schema
        if field.metadata and field.metadata.get(ENCRYPTED_MARK) == ALGORITHM
    ]


def decrypt_columns(
    data: Any, keys: DataKeySet, *, table: str, columns: Sequence[str] | None = None
) -> Any:
    """A pyarrow Table with the marked (or the named) columns decrypted to their types."""
    for name in encrypted_columns(data.schema) if columns is None else columns:
        index = data.schema.get_field_index(name)
        if index < 0:
            raise InvalidInput(f"表中没有 {name} 列")
        original = data.schema.field(index)
        metadata = dict(original.metadata or {})
        type_name = metadata.pop(ORIGINAL_TYPE, b"string").decode()
        metadata.pop(ENCRYPTED_MARK, None)
        if type_name not in _TYPES:
            raise CryptoError(f"{name} 列记录的原类型 {type_name} 无法识别")
        plain = decrypt_column(
            data.column(index), keys, table=table, column=name, value_type=_TYPES[type_name]
        )
        field = pa.field(name, plain.type, original.nullable, metadata or None)
        data = data.set_column(index, field, plain)
    return data
