"""Creating and reading this node's own identity."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from govdata.nodes.keys import load_or_create_node_key
from govdata.nodes.models import Node
from govdata.settings import Settings


def ensure_self_node(session: Session, settings: Settings) -> Node:
    """Register this node on first start; afterwards keep settings and row in step.

    The key pair is generated once; a node whose key file and stored public key
    disagree refuses to start rather than sign with an unknown key.
    """
    key = load_or_create_node_key(settings.keys_dir)
    node = session.scalar(select(Node).where(Node.is_self.is_(True)))
    if node is None:
        node = Node(
            code=settings.node_code,
            name=settings.node_name,
            level=settings.node_level.value,
            parent_code=settings.parent_node_code,
            base_url=None,
            is_self=True,
            key_algorithm=key.algorithm,
            public_key_pem=key.public_key_pem,
            key_fingerprint=key.fingerprint,
        )
        session.add(node)
        session.flush()
        return node
    if node.key_fingerprint != key.fingerprint:
        raise RuntimeError(
            "the node key file does not match the public key registered for this node; "
            f"restore {settings.keys_dir} from backup"
        )
    if node.code != settings.node_code:
        raise RuntimeError(
            f"this database belongs to node {node.code}, but GOVDATA_NODE_CODE is "
            f"{settings.node_code}"
        )
    node.name = settings.node_name
    node.level = settings.node_level.value
    node.parent_code = settings.parent_node_code
    return node
