"""Signed checkpoints: the node's signature over (origin, tree size, root hash, time).

The signed message is UTF-8 text, one field per line, each line ending in
``\\n``::

    govdata-ledger-checkpoint/v1
    <origin>
    <tree size, decimal>
    <root hash, 64 lower-case hex digits>
    <signing time, YYYY-MM-DDTHH:MM:SS.ffffffZ>
    <hash algorithm: sm3>
    <signature algorithm: ed25519 or sm2-sm3>
    <key fingerprint: SHA-256 of the DER public key, lower-case hex>

Binding the algorithms and the key into the message means a signature cannot
be re-read under another algorithm or attributed to another key.
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass, fields, replace
from datetime import datetime
from typing import Any

from cryptography.exceptions import UnsupportedAlgorithm
from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from govdata.db import utcnow
from govdata.ledger.entries import format_time, parse_time
from govdata.ledger.errors import LedgerDocumentInvalid
from govdata.ledger.hashing import HASH_ALGORITHM, HASH_SIZE, empty_root
from govdata.ledger.models import LedgerCheckpoint
from govdata.ledger.store import lock_head, right_edge
from govdata.ledger.tree import fold
from govdata.nodes.keys import NodeKey, public_key_fingerprint, verify_signature

CHECKPOINT_HEADER = "govdata-ledger-checkpoint/v1"
ORIGIN_PATTERN = re.compile(r"[\x21-\x7e][\x20-\x7e]{0,99}")
HEX_PATTERN = re.compile(r"[0-9a-f]*")


@dataclass(frozen=True, slots=True)
class Checkpoint:
    origin: str
    tree_size: int
    root_hash: bytes
    signed_at: datetime
    hash_algorithm: str
    signature_algorithm: str
    key_fingerprint: str
    public_key_pem: str
    signature: bytes

    def signed_message(self) -> bytes:
        """The exact bytes the signature covers (see the module docstring)."""
        lines = [
            CHECKPOINT_HEADER,
            self.origin,
            str(self.tree_size),
            self.root_hash.hex(),
            format_time(self.signed_at),
            self.hash_algorithm,
            self.signature_algorithm,
            self.key_fingerprint,
        ]
        return "".join(f"{line}\n" for line in lines).encode("utf-8")

    def problem(self) -> str | None:
        """Why this checkpoint cannot be trusted on its own terms, or None if it can."""
        if self.hash_algorithm != HASH_ALGORITHM:
            return f"哈希算法为{self.hash_algorithm}，本账本只使用{HASH_ALGORITHM}"
        try:
            fingerprint = public_key_fingerprint(self.public_key_pem)
            valid = verify_signature(
                self.public_key_pem, self.signature_algorithm, self.signed_message(), self.signature
            )
        except (ValueError, TypeError, UnsupportedAlgorithm):
            return f"无法使用公钥或签名算法（{self.signature_algorithm}）"
        if fingerprint != self.key_fingerprint:
            return "签名公钥的指纹与检查点记录的指纹不符"
        if not valid:
            return "签名无效"
        return None

    def to_json(self) -> dict[str, Any]:
        return {
            "origin": self.origin,
            "tree_size": self.tree_size,
            "root_hash": self.root_hash.hex(),
            "signed_at": format_time(self.signed_at),
            "hash_algorithm": self.hash_algorithm,
            "signature_algorithm": self.signature_algorithm,
            "key_fingerprint": self.key_fingerprint,
            "public_key": self.public_key_pem,
            "signature": base64.b64encode(self.signature).decode("ascii"),
        }

    @classmethod
    def from_json(cls, data: Any) -> Checkpoint:
        """Read a checkpoint document; the signature is not checked here (see :meth:`problem`)."""
        try:
            root = _hex(data["root_hash"], HASH_SIZE)
            checkpoint = cls(
                origin=_text(data["origin"]),
                tree_size=_count(data["tree_size"]),
                root_hash=root,
                signed_at=parse_time(data["signed_at"]),
                hash_algorithm=_text(data["hash_algorithm"]),
                signature_algorithm=_text(data["signature_algorithm"]),
                key_fingerprint=_text(data["key_fingerprint"]),
                public_key_pem=_text(data["public_key"]),
                signature=base64.b64decode(_text(data["signature"]), validate=True),
            )
        except (KeyError, TypeError, ValueError, binascii.Error) as error:
            raise LedgerDocumentInvalid(f"检查点格式不正确：{error}") from None
        if not ORIGIN_PATTERN.fullmatch(checkpoint.origin):
            raise LedgerDocumentInvalid("检查点的来源标识不合规")
        return checkpoint


def sign_checkpoint(
    session: Session, key: NodeKey, origin: str, *, now: datetime | None = None
) -> Checkpoint:
    """Sign the ledger as it stands in this transaction and store the checkpoint.

    The head row is locked first, so no append can slip in between reading the
    size and computing the root.
    """
    if not ORIGIN_PATTERN.fullmatch(origin):
        raise LedgerDocumentInvalid("来源标识须为1到100个可打印ASCII字符")
    size = lock_head(session)
    root = fold(right_edge(session, size)) if size else empty_root()
    unsigned = Checkpoint(
        origin=origin,
        tree_size=size,
        root_hash=root,
        signed_at=now or utcnow(),
        hash_algorithm=HASH_ALGORITHM,
        signature_algorithm=key.algorithm,
        key_fingerprint=key.fingerprint,
        public_key_pem=key.public_key_pem,
        signature=b"",
    )
    checkpoint = replace(unsigned, signature=key.sign(unsigned.signed_message()))
    session.execute(
        insert(LedgerCheckpoint).values({name: getattr(checkpoint, name) for name in _COLUMNS})
    )
    return checkpoint


_COLUMNS = [f.name for f in fields(Checkpoint)]


def stored_checkpoints(session: Session) -> list[Checkpoint]:
    """Every stored checkpoint, in the order they were signed."""
    rows = session.scalars(select(LedgerCheckpoint).order_by(LedgerCheckpoint.id))
    return [_from_row(row) for row in rows]


def latest_checkpoint(session: Session) -> Checkpoint | None:
    row = session.scalars(
        select(LedgerCheckpoint).order_by(LedgerCheckpoint.id.desc()).limit(1)
    ).first()
    return None if row is None else _from_row(row)


def _from_row(row: LedgerCheckpoint) -> Checkpoint:
    return Checkpoint(**{name: getattr(row, name) for name in _COLUMNS})


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise TypeError("expected a string")
    return value


def _count(value: Any) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ValueError("expected a non-negative integer")
    return value


def _hex(value: Any, size: int) -> bytes:
    if not isinstance(value, str) or len(value) != 2 * size or not HEX_PATTERN.fullmatch(value):
        raise ValueError(f"expected {2 * size} lower-case hex digits")
    return bytes.fromhex(value)
