"""The values a read looked up, recorded without writing sensitive values down.

A read's equality conditions (``where``) go into its event, and from there into
the audit trail and the ledger. A value on a sensitive column (stored encrypted,
or holding ID numbers, credit codes, phone numbers...) is recorded as a keyed
SM3 pseudonym instead::

    sm3:<key version>:<first 16 bytes of HMAC-SM3(lookup key, column U+001F value), hex>

The same value on the same column always gives the same pseudonym under one
key version, so the behaviour rules still count distinct look-ups, and an
auditor can still find who looked up a given person (``audit_search`` with
``looked_up``: the value is pseudonymised with every key version and
compared). The trail itself no longer tells anyone the value.

The lookup key is a data key of purpose ``audit:lookups`` (created on first
use, wrapped by the master key like every other data key). Rotating it changes
the pseudonyms of later reads; searches try every version.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping

from govdata.actions import Context
from govdata.crypto.datakeys import DataKeys, DataKeySet
from govdata.crypto.errors import DataKeyMissing
from govdata.crypto.primitives import hmac_sm3

LOOKUP_PURPOSE = "audit:lookups"
PREFIX = "sm3:"
_DIGEST_BYTES = 16


def pseudonym(keys: DataKeySet, version: int, column: str, value: str) -> str:
    digest = hmac_sm3(keys.keys[version], f"{column}\x1f{value}".encode())
    return f"{PREFIX}{version}:{digest[:_DIGEST_BYTES].hex()}"


def _text(value: object) -> str:
    return value if isinstance(value, str) else str(value)


def recorded_where(
    ctx: Context, where: Mapping[str, object], sensitive: Collection[str]
) -> dict[str, str]:
    """``where`` as events record it: sensitive columns' values pseudonymised."""
    recorded = {name: _text(value) for name, value in where.items() if value is not None}
    if not any(name in sensitive for name in recorded):
        return recorded
    keys = DataKeys(ctx.session, ctx.services.keystore).for_writing(LOOKUP_PURPOSE)
    for name, value in recorded.items():
        if name in sensitive:
            recorded[name] = pseudonym(keys, keys.active_version, name, value)
    return recorded


class LookupMatcher:
    """Whether a recorded ``where`` looked up a value, in clear or pseudonymised."""

    def __init__(self, ctx: Context, value: str) -> None:
        self._ctx = ctx
        self._value = value
        self._keys: DataKeySet | None = None
        self._by_column: dict[str, set[str]] = {}
        self._missing = False

    def _pseudonyms(self, column: str) -> set[str]:
        known = self._by_column.get(column)
        if known is None:
            keys = self._lookup_keys()
            known = (
                set()
                if keys is None
                else {pseudonym(keys, version, column, self._value) for version in keys.keys}
            )
            self._by_column[column] = known
        return known

    def _lookup_keys(self) -> DataKeySet | None:
        if self._keys is None and not self._missing:
            try:
                self._keys = DataKeys(self._ctx.session, self._ctx.services.keystore).for_reading(
                    LOOKUP_PURPOSE
                )
            except DataKeyMissing:  # nothing was ever pseudonymised
                self._missing = True
        return self._keys

    def matches(self, where: object) -> bool:
        if not isinstance(where, dict):
            return False
        for column, recorded in where.items():
            if recorded == self._value:
                return True
            if (
                isinstance(recorded, str)
                and recorded.startswith(PREFIX)
                and recorded in self._pseudonyms(str(column))
            ):
                return True
        return False
