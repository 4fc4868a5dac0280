"""`govdata keys`: the master keys, the data keys and the node's public key.

Operator tools over :mod:`govdata.crypto.datakeys`, each in one transaction.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from govdata.cli_support import console, fail, load_settings, prepare_node
from govdata.crypto.datakeys import (
    DataKeys,
    check_master_keys_present,
    key_status,
    rotate_master_key,
)
from govdata.crypto.keystore import LocalKeyStore, current_version, ensure_master_key
from govdata.crypto.libcrypto import version_text
from govdata.crypto.signing import public_key_der
from govdata.errors import GovdataError
from govdata.nodes.keys import load_node_key

keys_app = typer.Typer(
    help="Encryption keys: master keys, per-purpose data keys, the node's signing key.",
    no_args_is_help=True,
)


class PublicKeyFormat(StrEnum):
    PEM = "pem"
    DER = "der"


@keys_app.command("status")
def keys_status() -> None:
    """Show the key store, its master key versions, every data key and the signing key."""
    settings = load_settings()
    db = prepare_node(settings)
    store = LocalKeyStore(settings.keys_dir)
    try:
        with db.transaction() as session:
            status = key_status(session, store)
    except GovdataError as error:
        fail(error)
    node_key = load_node_key(settings.keys_dir)
    if node_key is not None:
        console.print(f"节点签名密钥：{node_key.algorithm}  指纹 {node_key.fingerprint}")
    console.print(f"SM2 所用 OpenSSL：{escape(version_text())}")
    console.print(f"密钥库：{escape(status.store)}")
    if status.current_master_version is None:
        console.print("[red]尚无主密钥[/red]，请运行 govdata keys init")
    else:
        in_use = status.data_keys_by_master_version()
        versions = "，".join(
            f"v{version}（{in_use.get(version, 0)} 个数据密钥）"
            for version in status.master_versions
        )
        console.print(f"主密钥：当前 v{status.current_master_version}；全部 {versions}")
    table = Table(title=f"数据密钥（{len(status.data_keys)} 个）")
    for heading in ("用途", "版本", "状态", "算法", "主密钥版本", "已加密值"):
        table.add_column(heading)
    for info in status.data_keys:
        table.add_row(
            escape(info.purpose),
            str(info.version),
            "写入" if info.state == "active" else "仅解密",
            info.algorithm,
            f"v{info.master_key_version}",
            f"{info.values_encrypted:,}",
        )
    console.print(table)


@keys_app.command("init")
def keys_init() -> None:
    """Create the first master key of the local key store (does nothing if one exists).

    Refused when data keys name master keys the store lacks: restore those first.
    """
    settings = load_settings()
    db = prepare_node(settings)
    store = LocalKeyStore(settings.keys_dir)
    existed = bool(store.versions())
    try:
        with db.transaction() as session:
            check_master_keys_present(session, store)
    except GovdataError as error:
        fail(error)
    version = ensure_master_key(store)
    state = "已存在" if existed else "已创建"
    console.print(f"主密钥 v{version} {state}：{escape(str(store.path_of(version)))}")


@keys_app.command("rotate-master")
def keys_rotate_master() -> None:
    """Create a new master key version and re-wrap every data key under it.

    Encrypted data is not rewritten. Keep the older master key files for as
    long as database backups taken before the rotation may be restored.
    """
    settings = load_settings()
    db = prepare_node(settings)
    store = LocalKeyStore(settings.keys_dir)
    try:
        current_version(store)
        with db.transaction() as session:
            version, rewrapped = rotate_master_key(session, store)
    except GovdataError as error:
        fail(error)
    console.print(f"主密钥已轮换为 v{version}，重新封装数据密钥 {rewrapped} 个")


@keys_app.command("rotate-data-key")
def keys_rotate_data_key(
    purpose: Annotated[str, typer.Argument(help="The data key's purpose, e.g. lake:population.")],
) -> None:
    """Make a new data key version active for new writes; older versions stay for reading."""
    settings = load_settings()
    db = prepare_node(settings)
    store = LocalKeyStore(settings.keys_dir)
    try:
        with db.transaction() as session:
            version = DataKeys(session, store).rotate(purpose)
    except GovdataError as error:
        fail(error)
    console.print(f"用途 {escape(purpose)} 的数据密钥已轮换为 v{version}，旧版本仅用于解密")


@keys_app.command("export-public")
def keys_export_public(
    output: Annotated[
        Path | None, typer.Option(help="Write the key to this file instead of printing it.")
    ] = None,
    key_format: Annotated[
        PublicKeyFormat, typer.Option("--format", help="PEM text or DER bytes.")
    ] = PublicKeyFormat.PEM,
) -> None:
    """Export the node's public signing key (Ed25519 or SM2) for peers and auditors."""
    settings = load_settings()
    prepare_node(settings)
    node_key = load_node_key(settings.keys_dir)
    if node_key is None:  # pragma: no cover  (prepare_node registers the key)
        raise typer.Exit(code=1)
    pem = node_key.public_key_pem
    if key_format is PublicKeyFormat.DER:
        if output is None:
            console.print("DER 为二进制格式，请用 --output 指定文件")
            raise typer.Exit(code=2)
        output.write_bytes(public_key_der(pem))
    elif output is not None:
        output.write_text(pem, encoding="ascii")
    else:
        typer.echo(pem, nl=False)
        return
    console.print(
        f"已导出 {node_key.algorithm} 公钥到 {escape(str(output))}（指纹 {node_key.fingerprint}）"
    )
