"""Actions of the nodes area."""

from __future__ import annotations

from sqlalchemy import select

from govdata.actions import ActionSet, Context
from govdata.errors import NotFound
from govdata.nodes.models import Node
from govdata.nodes.schemas import NodeOut, NodeQuery

actions = ActionSet("nodes")


@actions.register(
    "node_show",
    NodeQuery,
    example={},
    summary="This node's identity and public key.",
    read_only=True,
)
def node_show(ctx: Context, data: NodeQuery) -> NodeOut:
    ctx.authorize("nodes:node:read")
    node = ctx.session.scalar(select(Node).where(Node.is_self.is_(True)))
    if node is None:
        raise NotFound("节点尚未初始化，请运行 govdata db upgrade")
    return NodeOut(
        code=node.code,
        name=node.name,
        level=node.level,
        parent_code=node.parent_code,
        base_url=node.base_url,
        key_algorithm=node.key_algorithm,
        public_key_pem=node.public_key_pem,
        key_fingerprint=node.key_fingerprint,
    )
