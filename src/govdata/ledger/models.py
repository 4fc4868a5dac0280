"""Tables of the ledger (政务区块链).

``ledger_leaves`` holds every entry (its canonical bytes and leaf hash) by
index; ``ledger_nodes`` holds the hash of every complete interior subtree,
keyed by its post-order position (see :mod:`govdata.ledger.tree`), so a proof
reads O(log n) rows and never rehashes the tree; ``ledger_head`` is the single
row every append locks; ``ledger_checkpoints`` are the signed tree heads.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Integer, LargeBinary, String, Text, event, insert
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.schema import Table

from govdata.db import Base, UTCDateTime

# BIGINT on PostgreSQL; INTEGER on SQLite, where only that makes the key the rowid.
Position = BigInteger().with_variant(Integer(), "sqlite")

HEAD_ID = 1


class LedgerHead(Base):
    """The one row appends lock (``SELECT ... FOR UPDATE``) to take the next index."""

    __tablename__ = "ledger_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    tree_size: Mapped[int] = mapped_column(BigInteger)


class LedgerLeaf(Base):
    __tablename__ = "ledger_leaves"

    leaf_index: Mapped[int] = mapped_column(Position, primary_key=True, autoincrement=False)
    leaf_hash: Mapped[bytes] = mapped_column(LargeBinary(32))
    kind: Mapped[str] = mapped_column(String(60))
    actor: Mapped[str] = mapped_column(String(200))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # The canonical encoding the leaf hash is computed over, byte for byte.
    entry: Mapped[bytes] = mapped_column(LargeBinary)


class LedgerNode(Base):
    """The hash of one complete interior subtree (level >= 1)."""

    __tablename__ = "ledger_nodes"

    position: Mapped[int] = mapped_column(Position, primary_key=True, autoincrement=False)
    hash: Mapped[bytes] = mapped_column(LargeBinary(32))


class LedgerSubject(Base):
    """Which entries name a subject: the trail of one object (事后可追溯)."""

    __tablename__ = "ledger_subjects"

    subject_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    leaf_index: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)


class LedgerCheckpoint(Base):
    """A signed tree head: the log had ``tree_size`` entries with ``root_hash``."""

    __tablename__ = "ledger_checkpoints"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    origin: Mapped[str] = mapped_column(String(100))
    tree_size: Mapped[int] = mapped_column(BigInteger, index=True)
    root_hash: Mapped[bytes] = mapped_column(LargeBinary(32))
    signed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    hash_algorithm: Mapped[str] = mapped_column(String(20))
    signature_algorithm: Mapped[str] = mapped_column(String(20))
    key_fingerprint: Mapped[str] = mapped_column(String(64))
    # Kept with each checkpoint so old ones stay verifiable after a key rotation.
    public_key_pem: Mapped[str] = mapped_column(Text)
    signature: Mapped[bytes] = mapped_column(LargeBinary)


@event.listens_for(LedgerHead.__table__, "after_create")
def _insert_head_row(target: Table, connection: Connection, **_kw: Any) -> None:
    # The migration inserts the same row; this covers metadata.create_all.
    connection.execute(insert(target).values(id=HEAD_ID, tree_size=0))
