"""Signing checkpoints on a schedule (from ``govdata serve``) and after the demo.

Entries after the last checkpoint are protected only by the database itself,
so the node signs one every ``ledger_checkpoint_seconds`` when the ledger has
grown since the last one (an idle ledger gets no new checkpoints).
"""

from __future__ import annotations

from govdata.db import Database
from govdata.ledger.checkpoints import Checkpoint, latest_checkpoint, sign_checkpoint
from govdata.ledger.store import tree_size
from govdata.nodes.keys import load_node_key
from govdata.settings import Settings


def ledger_origin(settings: Settings) -> str:
    """The name a node's checkpoints carry: ``govdata/<node code>``."""
    return f"govdata/{settings.node_code}"


def checkpoint_if_grown(db: Database, settings: Settings) -> Checkpoint | None:
    """Sign a checkpoint when the ledger holds entries the latest one does not cover."""
    key = load_node_key(settings.keys_dir)
    if key is None:
        return None
    with db.transaction() as session:
        latest = latest_checkpoint(session)
        if latest is not None and latest.tree_size >= tree_size(session):
            return None
        return sign_checkpoint(session, key, ledger_origin(settings))
