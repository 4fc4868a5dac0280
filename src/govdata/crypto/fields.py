"""Field-level encryption of Arrow string and binary columns: SM4-GCM or SM4-SIV.

Each non-null value becomes one binary value in one of two formats, told
apart by its first byte:

* format 1, SM4-GCM (randomised, the default)::

    0x01 | data key version (4 bytes, big-endian)
    | nonce (12 random bytes) | ciphertext (as long as the value) | tag (16 bytes)

  33 bytes longer. Equal values encrypt differently.

* format 2, SM4-SIV (deterministic, ``deterministic=True``; RFC 5297 SIV with
  SM4 as the block cipher, :mod:`govdata.crypto.siv`)::

    0x02 | data key version (4 bytes, big-endian)
    | synthetic IV V (16 bytes) | ciphertext (as long as the value)

  21 bytes longer. The same value in the same table, column and key version
  always gives the same bytes, so merges on key columns and equality filters
  (:func:`encrypt_literals`) work on ciphertexts. That is the trade-off:
  which values are equal is visible (and so how often each occurs); nothing
  else about them is. Across tables, columns or key versions equal values
  look unrelated. The SIV keys are derived from the data key with HMAC-SM3.

In both formats the associated data binds the table and column names and the
5-byte header: a value copied into another column or table, or given another
key version or format, fails to decrypt. Nulls stay null (whether a value is
present is not hidden). A column may mix formats and key versions; decryption
handles each value by its own header.

Columns are processed a whole Arrow chunk at a time: offsets and lengths are
computed with numpy, the output buffers are built in one piece and handed to
Arrow without a Python object per value. SM4-GCM still costs one
``cryptography`` operation per value; SM4-SIV does all block cipher work of a
chunk in a few large SM4-ECB calls (values grouped by length), with no
per-value Python work.
"""

from __future__ import annotations

import os
import struct
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
import pyarrow as pa
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from numpy.typing import NDArray

from govdata.crypto.datakeys import DataKeySet
from govdata.crypto.errors import CryptoError, DataKeyMissing, DecryptionFailed
from govdata.crypto.primitives import GCM_NONCE_SIZE, GCM_TAG_SIZE
from govdata.crypto.siv import BLOCK, Siv
from govdata.errors import InvalidInput

FORMAT: Final = 1
SIV_FORMAT: Final = 2
HEADER: Final = struct.Struct(">BI")
OVERHEAD: Final = HEADER.size + GCM_NONCE_SIZE + GCM_TAG_SIZE
SIV_OVERHEAD: Final = HEADER.size + BLOCK
ENCRYPTED_MARK: Final = b"govdata.encryption"
ORIGINAL_TYPE: Final = b"govdata.original_type"
ALGORITHM: Final = b"sm4-gcm"
SIV_ALGORITHM: Final = b"sm4-siv"
ALGORITHMS: Final = (ALGORITHM, SIV_ALGORITHM)

_INT32_MAX = 2**31 - 1
_TYPES: Mapping[str, Any] = {
    "string": pa.string(),
    "large_string": pa.large_string(),
    "binary": pa.binary(),
    "large_binary": pa.large_binary(),
}
_LARGE = ("large_string", "large_binary")

Bytes = NDArray[np.uint8]
Positions = NDArray[np.int64]


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


def _assemble(out_type: Any, chunk: Any, validity: Any, offsets: Any, data: Any) -> Any:
    """An Arrow array over the new offsets and data (parts or one array), with the input's nulls."""
    joined = b"".join(data) if isinstance(data, list) else data
    buffers = [validity, pa.py_buffer(offsets), pa.py_buffer(joined)]
    return pa.Array.from_buffers(out_type, len(chunk), buffers, null_count=chunk.null_count)


# -- numpy over whole chunks ---------------------------------------------------------------


def _arrays(chunk: Any, large: bool) -> tuple[Any, Positions, Bytes, NDArray[np.bool_]]:
    """Validity buffer, value offsets, data bytes and present mask, as numpy (no copies)."""
    validity, offsets_buffer, data_buffer = chunk.buffers()
    if offsets_buffer is None:
        offsets = np.zeros(len(chunk) + 1, dtype=np.int64)
    else:
        width = np.int64 if large else np.int32
        offsets = np.frombuffer(offsets_buffer, dtype=width, count=len(chunk) + 1)
        offsets = offsets.astype(np.int64)
    data = (
        np.frombuffer(data_buffer, dtype=np.uint8)
        if data_buffer is not None
        else np.empty(0, dtype=np.uint8)
    )
    if chunk.null_count:
        present = np.asarray(chunk.is_valid().to_numpy(zero_copy_only=False), dtype=np.bool_)
    else:
        present = np.ones(len(chunk), dtype=np.bool_)
    return validity, offsets, data, present


def _length_groups(lengths: Positions) -> list[tuple[int, Positions]]:
    """``(length, positions)`` for each distinct length, positions ascending."""
    if not len(lengths):
        return []
    if lengths.min() == lengths.max():
        return [(int(lengths[0]), np.arange(len(lengths), dtype=np.int64))]
    order = np.argsort(lengths, kind="stable")
    ordered = lengths[order]
    cuts = (np.flatnonzero(np.diff(ordered)) + 1).tolist()
    bounds = zip([0, *cuts], [*cuts, len(ordered)], strict=True)
    return [(int(ordered[start]), order[start:end]) for start, end in bounds]


def _evenly_spaced(starts: Positions, width: int) -> bool:
    """Whether the values at ``starts`` lie back to back, ``width`` bytes each."""
    count = len(starts)
    return (
        count > 0
        and int(starts[-1]) - int(starts[0]) == (count - 1) * width
        and bool(np.all(np.diff(starts) == width))
    )


def _take(data: Bytes, starts: Positions, width: int) -> Bytes:
    """The ``width``-byte values at ``starts`` as a matrix (a view when they are back to back)."""
    if width == 0:
        return np.empty((len(starts), 0), dtype=np.uint8)
    if _evenly_spaced(starts, width):
        first = int(starts[0])
        return data[first : first + len(starts) * width].reshape(-1, width)
    taken: Bytes = data[starts[:, None] + np.arange(width)]
    return taken


def _place(out: Bytes, starts: Positions, parts: Sequence[Bytes]) -> None:
    """Write rows made of ``parts`` side by side at ``starts`` (a one-row part repeats)."""
    count, width = len(starts), sum(part.shape[1] for part in parts)
    if not count or not width:
        return
    spaced = _evenly_spaced(starts, width)
    first = int(starts[0])
    rows = (
        out[first : first + count * width].reshape(count, width)
        if spaced
        else np.empty((count, width), dtype=np.uint8)
    )
    column = 0
    for part in parts:
        rows[:, column : column + part.shape[1]] = part
        column += part.shape[1]
    if not spaced:
        out[starts[:, None] + np.arange(width)] = rows


def _versions(data: Bytes, starts: Positions) -> Positions:
    """The big-endian key version after each value's format byte."""
    version = np.zeros(len(starts), dtype=np.int64)
    for index in range(1, HEADER.size):
        version = (version << 8) | data[starts + index]
    return version


def _encrypt_chunk_siv(chunk: Any, key: bytes, version: int, associated: bytes) -> Any:
    chunk = _rebased(chunk)
    large = _type_name(chunk.type) in _LARGE
    validity, offsets, data, present = _arrays(chunk, large)
    rows = np.flatnonzero(present)
    starts = offsets[:-1][rows]
    lengths = np.diff(offsets)[rows]
    out_lengths = np.zeros(len(chunk), dtype=np.int64)
    out_lengths[rows] = lengths + SIV_OVERHEAD
    out_offsets = _offsets(out_lengths, large, "加密后的列")
    out = np.empty(int(out_offsets[-1]), dtype=np.uint8)
    out_starts = np.asarray(out_offsets[:-1], dtype=np.int64)[rows]
    header = HEADER.pack(SIV_FORMAT, version)
    siv = Siv.for_sm4_data_key(key)
    prefix = siv.prefix([associated + header])
    groups = _length_groups(lengths)
    sealed = siv.encrypt_groups(
        prefix, [_take(data, starts[positions], length) for length, positions in groups]
    )
    header_row = np.frombuffer(header, dtype=np.uint8).reshape(1, -1)
    for (_, positions), (synthetic_ivs, bodies) in zip(groups, sealed, strict=True):
        _place(out, out_starts[positions], [header_row, synthetic_ivs, bodies])
    out_type = pa.large_binary() if large else pa.binary()
    return _assemble(out_type, chunk, validity, out_offsets, out)


def _decrypt_chunk(
    chunk: Any,
    keys: DataKeySet,
    associated: bytes,
    *,
    out_type: Any,
    column: str,
    first_row: int,
) -> Any:
    """Decrypt one chunk whose values may mix formats and key versions.

    Rows are grouped by format and version with numpy: SIV groups are
    decrypted vectorised, GCM rows one by one; the plaintexts land in one
    buffer in row order.
    """
    chunk = _rebased(chunk)
    validity, offsets, data, present = _arrays(chunk, _type_name(chunk.type) in _LARGE)
    rows = np.flatnonzero(present)
    starts = offsets[:-1][rows]
    lengths = np.diff(offsets)[rows]

    formats, plain_lengths, versions = _headers(
        data, rows, starts, lengths, column=column, first_row=first_row
    )
    used = np.unique(versions).tolist()
    key_of = _keys_for(keys, used, versions)

    out_lengths = np.zeros(len(chunk), dtype=np.int64)
    out_lengths[rows] = plain_lengths
    large_out = _type_name(out_type) in _LARGE
    out_offsets = _offsets(out_lengths, large_out, "解密后的列")
    out = np.empty(int(out_offsets[-1]), dtype=np.uint8)
    out_starts = np.asarray(out_offsets[:-1], dtype=np.int64)[rows]
    failures: list[int] = []  # positions in ``rows``
    raw: bytes | None = None
    for version in used:
        key = key_of[version]
        header = HEADER.pack(SIV_FORMAT, version)
        in_version = versions == version
        siv_positions = np.flatnonzero(in_version & (formats == SIV_FORMAT))
        if len(siv_positions):
            failures.extend(
                _decrypt_siv(
                    Siv.for_sm4_data_key(key),
                    associated + header,
                    data,
                    _Selected(
                        starts[siv_positions],
                        lengths[siv_positions],
                        siv_positions,
                        out_starts[siv_positions],
                    ),
                    out,
                )
            )
        gcm_positions = np.flatnonzero(in_version & (formats == FORMAT))
        if len(gcm_positions):
            raw = raw if raw is not None else data.tobytes()
            failures.extend(
                _decrypt_gcm(
                    key,
                    associated + HEADER.pack(FORMAT, version),
                    raw,
                    _Selected(
                        starts[gcm_positions],
                        lengths[gcm_positions],
                        gcm_positions,
                        out_starts[gcm_positions],
                    ),
                    out,
                )
            )
    if failures:
        raise _tampered(column, first_row + int(rows[min(failures)]), "认证失败")
    result = _assemble(out_type, chunk, validity, out_offsets, out)
    if _type_name(out_type) in ("string", "large_string"):
        try:
            result.validate(full=True)
        except pa.ArrowInvalid:
            raise DecryptionFailed(f"{column} 列解密后不是有效的 UTF-8 文本") from None
    return result


@dataclass(frozen=True)
class _Selected:
    """Some values of a chunk: their starts and lengths in the data, their
    positions among the chunk's present rows, and where their plaintexts go."""

    starts: Positions
    lengths: Positions
    positions: Positions
    out_starts: Positions


def _headers(
    data: Bytes,
    rows: Positions,
    starts: Positions,
    lengths: Positions,
    *,
    column: str,
    first_row: int,
) -> tuple[Bytes, Positions, Positions]:
    """Each value's format, plaintext length and key version; DecryptionFailed for a bad header."""

    def refuse(failing: NDArray[np.bool_], why: str) -> None:
        bad = np.flatnonzero(failing)
        if len(bad):
            raise _tampered(column, first_row + int(rows[bad[0]]), why)

    refuse(lengths < HEADER.size, "密文过短")
    formats = data[starts]
    refuse((formats != FORMAT) & (formats != SIV_FORMAT), "格式标记不符")
    plain_lengths = lengths - np.where(formats == FORMAT, OVERHEAD, SIV_OVERHEAD)
    refuse(plain_lengths < 0, "密文过短")
    return formats, plain_lengths, _versions(data, starts)


def _keys_for(keys: DataKeySet, used: list[int], versions: Positions) -> dict[int, bytes]:
    """The data key of each used version; DataKeyMissing for the first row's missing one."""
    key_of: dict[int, bytes] = {}
    missing: list[int] = []
    for version in used:
        key = keys.keys.get(version)
        if key is None:
            missing.append(version)
        else:
            key_of[version] = key
    if missing:
        raise _key_missing(keys, int(versions[np.isin(versions, missing)][0]), "解密")
    return key_of


def _decrypt_siv(siv: Siv, bound: bytes, data: Bytes, selected: _Selected, out: Bytes) -> list[int]:
    """Decrypt SIV values of one key version into ``out``; the first failing position, if any."""
    starts, positions, out_starts = selected.starts, selected.positions, selected.out_starts
    groups = _length_groups(selected.lengths)
    pairs: list[tuple[Bytes, Bytes]] = []
    for length, members in groups:
        sealed = _take(data, starts[members], length)
        pairs.append((sealed[:, HEADER.size : SIV_OVERHEAD], sealed[:, SIV_OVERHEAD:]))
    opened = siv.decrypt_groups(siv.prefix([bound]), pairs)
    failed: list[int] = []
    for (_, members), (plaintexts, bad) in zip(groups, opened, strict=True):
        first_bad = np.flatnonzero(bad)
        if len(first_bad):
            failed.append(int(positions[members[first_bad[0]]]))
            continue
        _place(out, out_starts[members], [plaintexts])
    return [min(failed)] if failed else []


def _decrypt_gcm(
    key: bytes, bound: bytes, raw: bytes, selected: _Selected, out: Bytes
) -> list[int]:
    """Decrypt GCM values of one key version into ``out``, one by one; the first failure."""
    algorithm, gcm, cipher = algorithms.SM4(key), modes.GCM, Cipher
    target = out.data
    nonce_start, body_offset = HEADER.size, HEADER.size + GCM_NONCE_SIZE
    for start, length, position, out_start in zip(
        selected.starts.tolist(),
        selected.lengths.tolist(),
        selected.positions.tolist(),
        selected.out_starts.tolist(),
        strict=True,
    ):
        end = start + length
        decryptor = cipher(
            algorithm,
            gcm(raw[start + nonce_start : start + body_offset], raw[end - GCM_TAG_SIZE : end]),
        ).decryptor()
        decryptor.authenticate_additional_data(bound)
        plain = decryptor.update(raw[start + body_offset : end - GCM_TAG_SIZE])
        try:
            decryptor.finalize()
        except InvalidTag:
            return [position]
        target[out_start : out_start + len(plain)] = plain
    return []


def _data_key(keys: DataKeySet, version: int, action: str) -> bytes:
    key = keys.keys.get(version)
    if key is None:
        raise _key_missing(keys, version, action)
    return key


def _key_missing(keys: DataKeySet, version: int, action: str) -> DataKeyMissing:
    return DataKeyMissing(
        f"用途 {keys.purpose} 没有第 {version} 版数据密钥，无法{action}",
        fields={"purpose": keys.purpose, "version": str(version)},
    )


def _tampered(column: str, row: int, why: str) -> DecryptionFailed:
    return DecryptionFailed(
        f"{column} 列第 {row} 行解密失败（{why}）：密钥不符或密文已被篡改",
        fields={"column": column, "row": str(row)},
    )


def encrypt_column(
    values: Any,
    keys: DataKeySet,
    *,
    table: str,
    column: str,
    deterministic: bool = False,
    version: int | None = None,
) -> Any:
    """Encrypt a string or binary Array (or ChunkedArray) under one data key version.

    SM4-GCM (format 1) by default; SM4-SIV (format 2) when ``deterministic``.
    ``version`` picks a version present in ``keys`` (default the active one):
    a load merging into an existing table keeps the table's version, so that
    its deterministic ciphertexts still match. Returns binary (large_binary
    for large types) of the same length and kind, nulls in the same places.
    """
    chunks, chunked = _chunks(values)
    type_name = _type_name(values.type)
    if type_name not in _TYPES:
        raise InvalidInput(f"只能加密字符串或二进制列，{column} 列的类型是 {values.type}")
    associated = associated_data(table, column)
    version = keys.active_version if version is None else version
    key = _data_key(keys, version, "加密")
    encrypt = _encrypt_chunk_siv if deterministic else _encrypt_chunk
    encrypted = [encrypt(chunk, key, version, associated) for chunk in chunks]
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

    Either format, mixed in one column, under any versions ``keys`` has.
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


def encrypt_literals(
    values: Iterable[str | bytes], keys: DataKeySet, *, table: str, column: str
) -> list[bytes]:
    """The deterministic (SM4-SIV) ciphertexts of ``values`` under every version in ``keys``.

    For an equality filter on a column :func:`encrypt_column` wrote with
    ``deterministic=True``: a stored value equals one of these exactly when
    its plaintext is one of ``values``, whichever version wrote it. Ordered
    by version (ascending), then as ``values``.
    """
    plaintexts = [_literal_bytes(value) for value in values]
    associated = associated_data(table, column)
    sealed: list[bytes] = []
    for version in sorted(keys.keys):
        header = HEADER.pack(SIV_FORMAT, version)
        siv = Siv.for_sm4_data_key(_data_key(keys, version, "加密"))
        prefix = siv.prefix([associated + header])
        sealed.extend(header + siv.seal(prefix, plaintext) for plaintext in plaintexts)
    return sealed


def _literal_bytes(value: str | bytes) -> bytes:
    if isinstance(value, str):
        return value.encode()
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value)
    raise InvalidInput(f"只能加密字符串或二进制值，收到的是 {type(value).__name__}")


def key_versions(values: Any) -> set[int]:
    """The data key versions that the values of an encrypted column name (nulls skipped)."""
    chunks, _ = _chunks(values)
    if _type_name(values.type) not in ("binary", "large_binary"):
        raise InvalidInput("不是加密后的二进制列")
    found: set[int] = set()
    first_row = 0
    for original in chunks:
        chunk = _rebased(original)
        _, offsets, data, present = _arrays(chunk, _type_name(chunk.type) in _LARGE)
        rows = np.flatnonzero(present)
        starts = offsets[:-1][rows]
        short = np.flatnonzero(np.diff(offsets)[rows] < HEADER.size)
        if len(short):
            row = first_row + int(rows[short[0]])
            raise InvalidInput(f"第 {row} 行不是加密后的值（过短）", fields={"row": str(row)})
        found.update(np.unique(_versions(data, starts)).tolist())
        first_row += len(chunk)
    return found


def encrypt_columns(
    data: Any,
    columns: Sequence[str],
    keys: DataKeySet,
    *,
    table: str,
    deterministic: bool = False,
    version: int | None = None,
) -> Any:
    """A pyarrow Table with ``columns`` encrypted and marked in their field metadata.

    The mark names the algorithm: ``sm4-siv`` when ``deterministic``, else ``sm4-gcm``.
    """
    for name in columns:
        index = data.schema.get_field_index(name)
        if index < 0:
            raise InvalidInput(f"表中没有 {name} 列")
        original = data.schema.field(index)
        metadata = dict(original.metadata or {})
        metadata[ENCRYPTED_MARK] = SIV_ALGORITHM if deterministic else ALGORITHM
        metadata[ORIGINAL_TYPE] = _type_name(original.type).encode()
        encrypted = encrypt_column(
            data.column(index),
            keys,
            table=table,
            column=name,
            deterministic=deterministic,
            version=version,
        )
        field = pa.field(name, encrypted.type, original.nullable, metadata)
        data = data.set_column(index, field, encrypted)
    return data


def encrypted_columns(schema: Any) -> list[str]:
    """The names of the columns that :func:`encrypt_columns` marked (either algorithm)."""
    return [
        field.name
        for field in schema
        if field.metadata and field.metadata.get(ENCRYPTED_MARK) in ALGORITHMS
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
