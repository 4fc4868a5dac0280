"""Creating and checking this node's own identity."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from govdata.crypto.keystore import LocalKeyStore, ensure_master_key
from govdata.nodes.keys import load_node_key, load_or_create_node_key
from govdata.nodes.models import Node
from govdata.secretbox import MASTER_KEY_FILE, SecretBox
from govdata.settings import Settings


class NodeIdentityError(RuntimeError):
    """The data directory and the database disagree about who this node is."""


def ensure_self_node(session: Session, settings: Settings) -> Node:
    """Register this node on first start; afterwards check it and keep it in step.

    The signing key pair and the master key are generated once, at
    registration. Later starts refuse (and write nothing) when a key file is
    missing, when it is not the key that was registered, or when the settings
    name another node: signing with an unknown key, or losing access to every
    stored secret, must not happen silently.
    """
    node = session.scalar(select(Node).where(Node.is_self.is_(True)))
    if node is None:
        return _register(session, settings)
    if node.code != settings.node_code:
        raise NodeIdentityError(
            f"该数据库属于节点{node.code}，但 GOVDATA_NODE_CODE 设置为{settings.node_code}"
        )
    key = load_node_key(settings.keys_dir)
    if key is None:
        raise NodeIdentityError(f"节点签名密钥文件缺失：{settings.keys_dir}，请从备份恢复该目录")
    if key.fingerprint != node.key_fingerprint:
        raise NodeIdentityError(
            f"{settings.keys_dir}中的签名密钥与本节点登记的公钥不一致，请从备份恢复该目录"
        )
    master = SecretBox.fingerprint_in(settings.keys_dir)
    if master is None:
        raise NodeIdentityError(
            f"主密钥文件缺失：{settings.keys_dir / MASTER_KEY_FILE}，"
            "没有它已保存的API密钥无法使用，请从备份恢复"
        )
    if master != node.master_key_fingerprint:
        raise NodeIdentityError(
            f"{settings.keys_dir / MASTER_KEY_FILE}不是本节点登记的主密钥，请从备份恢复"
        )
    node.name = settings.node_name
    node.level = settings.node_level.value
    node.parent_code = settings.parent_node_code
    node.base_url = settings.public_url
    return node


def _register(session: Session, settings: Settings) -> Node:
    key = load_or_create_node_key(settings.keys_dir)
    SecretBox.create_in(settings.keys_dir)
    # The first key-encryption key of the local key store (SM4), for data keys.
    ensure_master_key(LocalKeyStore(settings.keys_dir))
    master = SecretBox.fingerprint_in(settings.keys_dir)
    if master is None:  # pragma: no cover  (create_in just wrote it)
        raise NodeIdentityError("无法创建主密钥")
    node = Node(
        code=settings.node_code,
        name=settings.node_name,
        level=settings.node_level.value,
        parent_code=settings.parent_node_code,
        base_url=settings.public_url,
        is_self=True,
        key_algorithm=key.algorithm,
        public_key_pem=key.public_key_pem,
        key_fingerprint=key.fingerprint,
        master_key_fingerprint=master,
    )
    session.add(node)
    session.flush()
    return node
