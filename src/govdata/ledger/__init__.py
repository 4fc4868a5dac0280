"""The tamper-evident ledger (政务区块链, requirement X5).

An append-only Merkle log in the manner of RFC 9162, hashed with SM3, whose
entries are written in the same transaction as the change they record, with
signed checkpoints, inclusion and consistency proofs and an offline
verifier. The algorithm is specified in docs/ledger.md.

Recording something::

    from govdata.ledger import EntryKind, LedgerEntry, append

    append(ctx.session, LedgerEntry(EntryKind.GRANT_ISSUED, (grant.id, request.id),
                                    actor=ctx.actor.name, body={"scope": "..."}))
"""

from govdata.ledger.checkpoints import (
    Checkpoint,
    latest_checkpoint,
    sign_checkpoint,
    stored_checkpoints,
)
from govdata.ledger.entries import EntryKind, LedgerEntry, decode_entry, encode_entry
from govdata.ledger.proofs import verify_consistency, verify_inclusion
from govdata.ledger.store import (
    append,
    append_many,
    consistency_proof,
    entries_about,
    get_leaf,
    inclusion_proof,
    root_hash,
    tree_size,
)

__all__ = [
    "Checkpoint",
    "EntryKind",
    "LedgerEntry",
    "append",
    "append_many",
    "consistency_proof",
    "decode_entry",
    "encode_entry",
    "entries_about",
    "get_leaf",
    "inclusion_proof",
    "latest_checkpoint",
    "root_hash",
    "sign_checkpoint",
    "stored_checkpoints",
    "tree_size",
    "verify_consistency",
    "verify_inclusion",
]
