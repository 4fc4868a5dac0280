"""An objection's record key, kept encrypted in the database.

A record is named by its key values (often a citizen ID number). They are
stored as deterministic SM4-SIV ciphertexts (hex) under the data key of
purpose ``objections:keys``, bound to the key column's name, and decrypted
only when a party to the objection opens it.
"""

from __future__ import annotations

from collections.abc import Mapping

import pyarrow as pa

from govdata.actions import Context
from govdata.crypto.datakeys import DataKeys
from govdata.crypto.fields import decrypt_column, encrypt_column

PURPOSE = "objections:keys"
TABLE = "objections"


def seal_key(ctx: Context, record_key: Mapping[str, str]) -> dict[str, str]:
    keys = DataKeys(ctx.session, ctx.services.keystore).for_writing(PURPOSE)
    sealed: dict[str, str] = {}
    for column, value in record_key.items():
        cipher = encrypt_column(
            pa.array([value], pa.string()), keys, table=TABLE, column=column, deterministic=True
        )
        sealed[column] = cipher[0].as_py().hex()
    return sealed


def open_key(ctx: Context, sealed: Mapping[str, str]) -> dict[str, str]:
    keys = DataKeys(ctx.session, ctx.services.keystore).for_reading(PURPOSE)
    opened: dict[str, str] = {}
    for column, text in sealed.items():
        plain = decrypt_column(
            pa.array([bytes.fromhex(text)], pa.binary()),
            keys,
            table=TABLE,
            column=column,
            value_type=pa.string(),
        )
        opened[column] = str(plain[0].as_py())
    return opened
