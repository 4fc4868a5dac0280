"""Encryption at rest of a lake table's sensitive columns (requirement X4).

A text column declared encrypted (``ColumnSpec.is_encrypted``: citizen ID and
phone number columns by default) is stored as ``binary``: each value is its
deterministic SM4-SIV ciphertext (:mod:`govdata.crypto.fields`, format 2) under
the table's data key, purpose ``lake:<table>``, bound to the table and column
names. Every other column is stored as declared.

Deterministic, so that what the lake does with keys keeps working on the
stored bytes: merges match keys, change detection compares values, equality
filters become ``IN`` lists of ciphertexts (one per data key version),
uniqueness and counts need no decryption. Equal values of one column look
equal; nothing else about them shows. Ordering by an encrypted column is
refused: ciphertext order means nothing.

Which key version a table's values use:

* a full load (or library build) writes under the purpose's active version;
* a merge (incremental, change detection) keeps the version the table was last
  written with (recorded in the commit metadata as ``govdata.data_key_version``),
  so that incoming keys still equal the stored ones. ``keys rotate-data-key``
  therefore takes effect on a table at its next full load.

Reading: any ``binary`` column of a stored version is an encrypted column
(declared types have no binary); it is decrypted back to text after the
bounded read, before masking. A version written before its column was
encrypted (or after it stopped being) simply has a text column there.

Nothing here commits: the caller owns the transaction in which data keys are
fetched or created; the returned objects hold unwrapped keys only in memory.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

import pyarrow as pa
from sqlalchemy.orm import Session

from govdata.crypto.datakeys import DataKeys, DataKeySet
from govdata.crypto.errors import DataKeyMissing
from govdata.crypto.fields import decrypt_column, encrypt_column, encrypt_literals
from govdata.crypto.keystore import KeyStore
from govdata.errors import InvalidInput
from govdata.lake.query import DEFAULT_LIMIT, count_rows, read_rows
from govdata.lake.tables import LakeTable

PURPOSE_PREFIX = "lake:"
KEY_VERSION_METADATA = "govdata.data_key_version"
ENCRYPTED_METADATA = "govdata.encrypted_columns"
# Commits looked back over for the key version a merge must keep.
HISTORY_LOOKBACK = 200


def purpose_of(table_name: str) -> str:
    """The data key purpose of a lake table."""
    return f"{PURPOSE_PREFIX}{table_name}"


def is_encrypted_type(data_type: pa.DataType) -> bool:
    return bool(
        pa.types.is_binary(data_type)
        or pa.types.is_large_binary(data_type)
        or pa.types.is_binary_view(data_type)
    )


def encrypted_in(schema: pa.Schema) -> list[str]:
    """The encrypted columns of a stored schema (its binary columns)."""
    return [field.name for field in schema if is_encrypted_type(field.type)]


@dataclass(frozen=True)
class TableProtection:
    """The encrypted columns of one table and the keys to write or read them."""

    table: str
    columns: tuple[str, ...]
    keys: DataKeySet
    # The key version new values are written with (None: reading only).
    write_version: int | None = None

    # -- writing -----------------------------------------------------------------------

    def stored_schema(self, schema: pa.Schema) -> pa.Schema:
        """``schema`` as stored: the encrypted columns become ``binary``."""
        fields = [
            field.with_type(pa.binary()) if field.name in self.columns else field
            for field in schema
        ]
        return pa.schema(fields, metadata=schema.metadata)

    def encrypt(self, data: pa.Table) -> pa.Table:
        """The rows with their encrypted columns replaced by ciphertexts."""
        if self.write_version is None:
            raise RuntimeError("this protection was opened for reading only")
        for name in self.columns:
            index = data.schema.get_field_index(name)
            if index < 0:
                continue
            values = data.column(index)
            if is_encrypted_type(values.type):
                continue
            encrypted = encrypt_column(
                values,
                self.keys,
                table=self.table,
                column=name,
                deterministic=True,
                version=self.write_version,
            )
            data = data.set_column(index, pa.field(name, pa.binary()), encrypted)
        return data

    def keeping(self, version: int | None) -> TableProtection:
        """The same protection writing under ``version`` (a merge keeps the table's)."""
        if version is None or version == self.write_version:
            return self
        if version not in self.keys.keys:
            raise DataKeyMissing(
                f"数据表 {self.table} 上次写入所用的第 {version} 版数据密钥不存在，无法增量写入",
                fields={"purpose": self.keys.purpose, "version": str(version)},
            )
        return replace(self, write_version=version)

    def commit_metadata(self) -> dict[str, str]:
        return {
            KEY_VERSION_METADATA: str(self.write_version),
            ENCRYPTED_METADATA: ",".join(self.columns),
        }

    # -- reading -----------------------------------------------------------------------

    def decrypt(self, data: pa.Table) -> pa.Table:
        """The rows with every encrypted column present decrypted back to text."""
        for name in self.columns:
            index = data.schema.get_field_index(name)
            if index < 0 or not is_encrypted_type(data.schema.field(index).type):
                continue
            values = data.column(index)
            if pa.types.is_binary_view(values.type):
                values = values.cast(pa.binary())
            plain = decrypt_column(
                values,
                self.keys,
                table=self.table,
                column=name,
                value_type=pa.string(),
            )
            data = data.set_column(index, pa.field(name, pa.string()), plain)
        return data

    def decrypt_batch(self, batch: pa.RecordBatch) -> pa.RecordBatch:
        table = self.decrypt(pa.Table.from_batches([batch]))
        return table.combine_chunks().to_batches()[0] if table.num_rows else _empty(table)

    def plain_schema(self, schema: pa.Schema) -> pa.Schema:
        fields = [
            field.with_type(pa.string()) if field.name in self.columns else field
            for field in schema
        ]
        return pa.schema(fields, metadata=schema.metadata)

    def where(self, where: Mapping[str, object]) -> dict[str, object]:
        """Equality conditions with values on encrypted columns turned into ciphertexts.

        A value becomes the list of its ciphertexts under every key version of
        the table, so rows written under any of them match.
        """
        translated: dict[str, object] = {}
        for name, value in where.items():
            if name not in self.columns or value is None:
                translated[name] = value
                continue
            options = value if isinstance(value, list | tuple | set | frozenset) else [value]
            present = [_as_text(item) for item in options if item is not None]
            ciphertexts: list[object] = list(
                encrypt_literals(present, self.keys, table=self.table, column=name)
            )
            if len(present) < len(options):
                ciphertexts.append(None)
            translated[name] = ciphertexts
        return translated

    def refuse_ordering(self, order_by: Sequence[str] | None) -> None:
        for term in order_by or ():
            name = term.removeprefix("-")
            if name in self.columns:
                raise InvalidInput(
                    f"“{name}”列加密存储，不能按它排序",
                    code="lake_query_invalid",
                    fields={"order_by": name},
                )


def _as_text(value: object) -> str:
    return value if isinstance(value, str) else str(value)


def _empty(table: pa.Table) -> pa.RecordBatch:
    return pa.RecordBatch.from_pylist([], schema=table.schema)


def written_key_version(lake: LakeTable) -> int | None:
    """The data key version the table's latest encrypted write used, if any."""
    if not lake.exists():
        return None
    for info in lake.history(HISTORY_LOOKBACK):
        text = info.metadata.get(KEY_VERSION_METADATA)
        if text and text.isdigit():
            return int(text)
    return None


def protection_for_writing(
    session: Session, key_store: KeyStore, table: str, columns: Sequence[str]
) -> TableProtection | None:
    """The protection a write of ``columns`` encrypted needs; None if there are none.

    Creates the table's first data key when it has none; writes under the
    active version until :meth:`TableProtection.keeping` says otherwise.
    """
    if not columns:
        return None
    keys = DataKeys(session, key_store).for_writing(purpose_of(table))
    return TableProtection(table, tuple(columns), keys, keys.active_version)


def protection_for_reading(
    session: Session, key_store: KeyStore, lake: LakeTable, version: int | None
) -> TableProtection | None:
    """The protection reading ``version`` of ``lake`` needs; None if nothing is encrypted."""
    columns = encrypted_in(lake.schema(version))
    if not columns:
        return None
    keys = DataKeys(session, key_store).for_reading(purpose_of(lake.name))
    return TableProtection(lake.name, tuple(columns), keys)


def read_decrypted(
    session: Session,
    key_store: KeyStore,
    lake: LakeTable,
    version: int | None,
    *,
    columns: Sequence[str] | None = None,
    where: Mapping[str, object] | None = None,
    limit: int = DEFAULT_LIMIT,
    offset: int = 0,
) -> tuple[pa.Table, int]:
    """A bounded page of a version's rows in plain text, and how many rows match.

    Equality conditions on encrypted columns are matched on ciphertexts; the
    page's encrypted columns are decrypted after the read (nothing else is).
    """
    protection = protection_for_reading(session, key_store, lake, version)
    stored_where = dict(where or {})
    if protection is not None:
        stored_where = protection.where(stored_where)
    page = read_rows(
        lake, version=version, columns=columns, where=stored_where, limit=limit, offset=offset
    )
    total = count_rows(lake, version=version, where=stored_where)
    if protection is not None:
        page = protection.decrypt(page)
    return page, total
