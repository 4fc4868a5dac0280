"""`govdata ledger …`: sign checkpoints, export the ledger, print proofs, verify.

``verify`` works offline on an export or a proof file (no database, no
settings needed) or on the live database, and exits non-zero naming every
check that failed.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from sqlalchemy import select
from sqlalchemy.orm import Session

from govdata.cli_support import console, fail, load_settings, prepare_node
from govdata.db import READ_ONLY, Database
from govdata.errors import GovdataError
from govdata.ledger.audit import AuditReport, audit_database
from govdata.ledger.checkpoints import Checkpoint, sign_checkpoint
from govdata.ledger.documents import (
    PublicKey,
    audit_export,
    audit_proof,
    build_proof,
    read_checkpoint,
    read_json,
    write_export,
)
from govdata.ledger.errors import LedgerDocumentInvalid
from govdata.ledger.scheduling import ledger_origin
from govdata.nodes.keys import load_node_key
from govdata.nodes.models import Node

ledger_app = typer.Typer(
    help="The tamper-evident ledger (政务区块链): checkpoints, export, proofs, verification.",
    no_args_is_help=True,
)

TrustedOption = Annotated[
    list[Path] | None,
    typer.Option(
        "--trusted-checkpoint",
        help="A checkpoint (or proof) file obtained earlier; the ledger must extend it.",
    ),
]
KeyOption = Annotated[
    list[str] | None,
    typer.Option(
        "--key-fingerprint",
        help="Accept only checkpoints signed by this key (SHA-256 fingerprint, hex).",
    ),
]


@contextmanager
def _reading(db: Database) -> Iterator[Session]:
    """One read-only snapshot: SQLite's deferred transaction is one already; PostgreSQL
    needs REPEATABLE READ, or appends committed meanwhile would look like extra rows."""
    options: dict[str, Any] = dict(READ_ONLY)
    if db.engine.dialect.name == "postgresql":
        options["isolation_level"] = "REPEATABLE READ"
    with (
        db.engine.connect().execution_options(**options) as connection,
        Session(bind=connection) as session,
    ):
        yield session


def _write_atomically(path: Path, write: Any) -> Any:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            result = write(handle)
        Path(temporary).replace(path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return result


def _node_key_pem(session: Session) -> PublicKey | None:
    node = session.scalar(select(Node).where(Node.is_self.is_(True)))
    if node is None:
        return None
    return PublicKey(node.key_algorithm, node.key_fingerprint, node.public_key_pem)


@ledger_app.command("checkpoint")
def checkpoint_command(
    output: Annotated[
        Path | None, typer.Option(help="Also write the signed checkpoint to this JSON file.")
    ] = None,
) -> None:
    """Sign a checkpoint of the ledger as it stands now with the node key."""
    settings = load_settings()
    db = prepare_node(settings)
    key = load_node_key(settings.keys_dir)
    if key is None:  # pragma: no cover  (prepare_node refuses to start without it)
        raise typer.Exit(code=1)
    try:
        with db.transaction() as session:
            checkpoint = sign_checkpoint(session, key, ledger_origin(settings))
    except GovdataError as error:
        fail(error)
    console.print(
        f"已签发检查点：{checkpoint.tree_size} 条，根哈希 {checkpoint.root_hash.hex()}，"
        f"{checkpoint.signature_algorithm} 签名，公钥指纹 {checkpoint.key_fingerprint}"
    )
    if output is not None:
        document = json.dumps(checkpoint.to_json(), ensure_ascii=False, indent=2) + "\n"
        _write_atomically(output, lambda handle: handle.write(document))
        console.print(f"检查点已写入 {escape(str(output))}")


@ledger_app.command("export")
def export_command(
    output: Annotated[Path, typer.Argument(help="The export file to write (JSON Lines).")],
) -> None:
    """Export every entry and checkpoint, with the public keys, for offline verification."""
    settings = load_settings()
    db = prepare_node(settings)
    with _reading(db) as session:
        node_key = _node_key_pem(session)
        summary = _write_atomically(
            output,
            lambda handle: write_export(
                session,
                handle,
                origin=ledger_origin(settings),
                node_keys=[node_key] if node_key else [],
            ),
        )
    console.print(
        f"已导出 {summary.entries} 条条目、{summary.checkpoints} 个检查点到 {escape(str(output))}"
    )


@ledger_app.command("proof")
def proof_command(
    index: Annotated[int, typer.Option("--index", help="The entry's index (from 0).")],
    since_size: Annotated[
        int | None,
        typer.Option(help="Add a consistency proof from this earlier tree size."),
    ] = None,
    output: Annotated[Path | None, typer.Option(help="Write to this file, not stdout.")] = None,
) -> None:
    """Print the inclusion proof of one entry against the latest signed checkpoint (JSON)."""
    settings = load_settings()
    db = prepare_node(settings)
    try:
        with _reading(db) as session:
            document = build_proof(session, index, since_size=since_size)
    except GovdataError as error:
        fail(error)
    text = json.dumps(document, ensure_ascii=False, indent=2) + "\n"
    if output is None:
        typer.echo(text, nl=False)
        return
    _write_atomically(output, lambda handle: handle.write(text))
    console.print(f"条目 {index} 的包含性证明已写入 {escape(str(output))}")


@ledger_app.command("verify")
def verify_command(
    export: Annotated[
        Path | None, typer.Option("--export", help="Verify this export file offline.")
    ] = None,
    proof: Annotated[
        Path | None, typer.Option("--proof", help="Verify this proof file offline.")
    ] = None,
    trusted_checkpoint: TrustedOption = None,
    key_fingerprint: KeyOption = None,
) -> None:
    """Verify the ledger: every leaf hash, checkpoint root, signature and consistency proof.

    Without --export or --proof the live database is verified.
    """
    if export is not None and proof is not None:
        console.print("[red]错误[/red] --export 与 --proof 只能选择一个")
        raise typer.Exit(code=2)
    pinned = [value.lower() for value in key_fingerprint] if key_fingerprint else None
    if export is not None:
        what = f"导出文件 {export}"
    elif proof is not None:
        what = f"证明文件 {proof}"
    else:
        what = "本节点数据库中的账本"
    try:
        trusted = [read_checkpoint(path) for path in trusted_checkpoint or []]
        if export is not None:
            report = audit_export(export, trusted=trusted, accepted_keys=pinned)
        elif proof is not None:
            report = audit_proof(read_json(proof), trusted=trusted, accepted_keys=pinned)
        else:
            report = _audit_live(trusted, pinned)
    except OSError as error:
        console.print(f"[red]校验失败[/red]：{escape(what)}")
        fail(LedgerDocumentInvalid(f"无法读取文件：{error}"))
    except GovdataError as error:
        console.print(f"[red]校验失败[/red]：{escape(what)}")
        fail(error)
    _print_verdict(what, report, offline=export is not None or proof is not None, pinned=pinned)


def _audit_live(trusted: list[Checkpoint], pinned: list[str] | None) -> AuditReport:
    settings = load_settings()
    db = prepare_node(settings)
    with _reading(db) as session:
        accepted = pinned
        if accepted is None:
            node_key = _node_key_pem(session)
            accepted = [node_key.fingerprint] if node_key else []
        return audit_database(session, trusted=trusted, accepted_keys=accepted)


def _print_verdict(
    what: str, report: AuditReport, *, offline: bool, pinned: list[str] | None
) -> None:
    subject = escape(what)
    if report.ok:
        console.print(
            f"[green]校验通过[/green]：{subject}，{report.entries} 条条目、"
            f"{report.checkpoints} 个检查点；叶哈希、检查点根哈希、签名与一致性证明全部正确。"
        )
    else:
        console.print(
            f"[red]校验失败[/red]：{subject}，发现 {report.failure_count} 处问题"
            f"（{report.entries} 条条目、{report.checkpoints} 个检查点）："
        )
        for finding in report.failures:
            console.print(f"  ✗ {escape(finding.message)} [dim]({finding.code})[/dim]")
        if report.failure_count > len(report.failures):
            console.print(f"  …… 另有 {report.failure_count - len(report.failures)} 处未列出")
    for note in report.notes:
        console.print(f"  注意：{escape(note)}")
    if offline and pinned is None:
        console.print(
            "  注意：未指定 --key-fingerprint，签名公钥取自文件本身，"
            "请与节点通过独立渠道公布的公钥指纹核对"
        )
    if not report.ok:
        raise typer.Exit(code=1)
