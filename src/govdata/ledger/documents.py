"""The ledger's files: the export an auditor verifies offline, and inclusion proofs.

**Export** (JSON Lines, UTF-8, one JSON object per line; see docs/ledger.md)::

    {"format":"govdata-ledger-export","version":1,"origin":…,"hash_algorithm":"sm3",
     "tree_size":N,"exported_at":…,"public_keys":[{"algorithm":…,"fingerprint":…,
     "public_key":PEM}]}
    {"type":"checkpoint", …checkpoint fields…}          # every checkpoint, signing order
    {"type":"entry","index":0,"leaf_hash":hex,"entry":"<canonical entry as text>"}
    …                                                    # N entries, index order

**Inclusion proof** (one JSON object): the entry, its index, the audit path
to the root of a signed checkpoint and, optionally, a consistency path from an
older tree size the holder already trusts.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from cryptography.exceptions import UnsupportedAlgorithm
from sqlalchemy.orm import Session

from govdata.db import utcnow
from govdata.ledger.audit import AuditLeaf, AuditReport, LedgerAuditor
from govdata.ledger.checkpoints import Checkpoint, latest_checkpoint, stored_checkpoints
from govdata.ledger.entries import decode_entry, format_time
from govdata.ledger.errors import LedgerDocumentInvalid, LedgerEntryInvalid, LedgerNoCheckpoint
from govdata.ledger.hashing import HASH_ALGORITHM, HASH_SIZE, leaf_hash
from govdata.ledger.proofs import verify_consistency, verify_inclusion
from govdata.ledger.store import (
    consistency_proof,
    get_leaf,
    inclusion_proof,
    iter_leaves,
    tree_size,
)
from govdata.nodes.keys import public_key_fingerprint

EXPORT_FORMAT = "govdata-ledger-export"
PROOF_FORMAT = "govdata-ledger-proof"
VERSION = 1


@dataclass(frozen=True, slots=True)
class PublicKey:
    algorithm: str
    fingerprint: str
    public_key_pem: str

    def to_json(self) -> dict[str, str]:
        return {
            "algorithm": self.algorithm,
            "fingerprint": self.fingerprint,
            "public_key": self.public_key_pem,
        }


@dataclass(frozen=True, slots=True)
class ExportSummary:
    entries: int
    checkpoints: int


def _line(document: dict[str, Any]) -> str:
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")) + "\n"


def write_export(
    session: Session, out: IO[str], *, origin: str, node_keys: Iterable[PublicKey] = ()
) -> ExportSummary:
    """Write the whole ledger as this transaction sees it (checkpoints, then entries)."""
    checkpoints = stored_checkpoints(session)
    size = tree_size(session)
    keys = {key.fingerprint: key for key in node_keys}
    for checkpoint in checkpoints:
        keys.setdefault(
            checkpoint.key_fingerprint,
            PublicKey(
                checkpoint.signature_algorithm,
                checkpoint.key_fingerprint,
                checkpoint.public_key_pem,
            ),
        )
    out.write(
        _line(
            {
                "format": EXPORT_FORMAT,
                "version": VERSION,
                "origin": origin,
                "hash_algorithm": HASH_ALGORITHM,
                "tree_size": size,
                "exported_at": format_time(utcnow()),
                "public_keys": [key.to_json() for key in keys.values()],
            }
        )
    )
    for checkpoint in checkpoints:
        out.write(_line({"type": "checkpoint", **checkpoint.to_json()}))
    written = 0
    for leaf in iter_leaves(session, 0, size):
        out.write(
            _line(
                {
                    "type": "entry",
                    "index": leaf.index,
                    "leaf_hash": leaf.leaf_hash.hex(),
                    "entry": leaf.entry.decode("utf-8"),
                }
            )
        )
        written += 1
    return ExportSummary(entries=written, checkpoints=len(checkpoints))


def _parse(line: str, number: int) -> dict[str, Any]:
    try:
        document = json.loads(line)
    except ValueError:
        raise LedgerDocumentInvalid(f"第{number}行不是有效的 JSON") from None
    if not isinstance(document, dict):
        raise LedgerDocumentInvalid(f"第{number}行不是 JSON 对象")
    return document


def _entry_leaf(document: dict[str, Any], number: int) -> AuditLeaf:
    try:
        index = document["index"]
        stored = bytes.fromhex(document["leaf_hash"])
        entry = document["entry"].encode("utf-8")
        if not isinstance(index, int) or len(stored) != HASH_SIZE:
            raise TypeError("bad index or hash")  # noqa: TRY301 (one message for every defect)
    except (KeyError, TypeError, ValueError, AttributeError, UnicodeEncodeError):
        raise LedgerDocumentInvalid(f"第{number}行的条目格式不正确") from None
    return AuditLeaf(index=index, entry=entry, stored_hash=stored)


class ExportFile:
    """An export opened for auditing: header and checkpoints read, entries streamed."""

    def __init__(self, handle: IO[str]) -> None:
        self._handle = handle
        self._number = 1
        self.header = _parse(handle.readline(), 1)
        if self.header.get("format") != EXPORT_FORMAT or self.header.get("version") != VERSION:
            raise LedgerDocumentInvalid("不是 govdata 账本导出文件（或版本不受支持）")
        if self.header.get("hash_algorithm") != HASH_ALGORITHM:
            raise LedgerDocumentInvalid(f"导出文件的哈希算法不是{HASH_ALGORITHM}")
        self.tree_size = self.header.get("tree_size")
        if not isinstance(self.tree_size, int) or self.tree_size < 0:
            raise LedgerDocumentInvalid("导出文件头缺少有效的 tree_size")
        self.public_keys = self._public_keys()
        self.checkpoints: list[Checkpoint] = []
        self._first_entry: dict[str, Any] | None = None
        for line in handle:
            self._number += 1
            document = _parse(line, self._number)
            if document.get("type") != "checkpoint":
                self._first_entry = document
                break
            self.checkpoints.append(Checkpoint.from_json(document))

    def _public_keys(self) -> list[PublicKey]:
        keys = self.header.get("public_keys")
        if not isinstance(keys, list):
            raise LedgerDocumentInvalid("导出文件头缺少 public_keys")
        found = []
        for item in keys:
            try:
                pem = item["public_key"]
                key = PublicKey(item["algorithm"], public_key_fingerprint(pem), pem)
            except (KeyError, TypeError, ValueError, AttributeError, UnsupportedAlgorithm):
                raise LedgerDocumentInvalid("导出文件头中的公钥无法读取") from None
            if key.fingerprint != item.get("fingerprint"):
                raise LedgerDocumentInvalid("导出文件头中的公钥指纹与公钥不符")
            found.append(key)
        return found

    def leaves(self) -> Iterator[AuditLeaf]:
        document, number = self._first_entry, self._number
        while document is not None:
            if document.get("type") != "entry":
                raise LedgerDocumentInvalid(f"第{number}行应为条目（检查点须在条目之前）")
            yield _entry_leaf(document, number)
            line = self._handle.readline()
            number += 1
            document = _parse(line, number) if line else None


def audit_export(
    path: Path,
    *,
    trusted: Iterable[Checkpoint] = (),
    accepted_keys: Iterable[str] | None = None,
) -> AuditReport:
    """Audit an export file. Without ``accepted_keys`` the keys listed in its own
    header are accepted, which proves only that the file is internally consistent."""
    with path.open(encoding="utf-8") as handle:
        export = ExportFile(handle)
        keys = accepted_keys
        if keys is None:
            keys = [key.fingerprint for key in export.public_keys]
        auditor = LedgerAuditor(
            export.checkpoints,
            trusted=list(trusted),
            accepted_keys=keys,
            expected_size=export.tree_size,
        )
        return auditor.add_all(export.leaves())


def build_proof(session: Session, index: int, *, since_size: int | None = None) -> dict[str, Any]:
    """The inclusion proof of entry ``index`` against the latest signed checkpoint."""
    checkpoint = latest_checkpoint(session)
    if checkpoint is None or index >= checkpoint.tree_size:
        raise LedgerNoCheckpoint(
            "该条目尚未被任何签名检查点覆盖，请先运行 govdata ledger checkpoint"
        )
    leaf = get_leaf(session, index)
    document: dict[str, Any] = {
        "format": PROOF_FORMAT,
        "version": VERSION,
        "hash_algorithm": HASH_ALGORITHM,
        "leaf_index": index,
        "tree_size": checkpoint.tree_size,
        "entry": leaf.entry.decode("utf-8"),
        "leaf_hash": leaf.leaf_hash.hex(),
        "inclusion_path": [h.hex() for h in inclusion_proof(session, index, checkpoint.tree_size)],
        "checkpoint": checkpoint.to_json(),
    }
    if since_size is not None:
        path = consistency_proof(session, since_size, checkpoint.tree_size)
        document["consistency"] = {"from_size": since_size, "path": [h.hex() for h in path]}
    return document


def _hashes(values: Any) -> list[bytes]:
    if not isinstance(values, list):
        raise TypeError("expected a list")
    out = [bytes.fromhex(value) for value in values]
    if any(len(value) != HASH_SIZE for value in out):
        raise ValueError("hash of the wrong size")
    return out


def audit_proof(
    document: dict[str, Any],
    *,
    trusted: Iterable[Checkpoint] = (),
    accepted_keys: Iterable[str] | None = None,
) -> AuditReport:
    """Verify an inclusion proof document offline (and its consistency with ``trusted``)."""
    report = AuditReport(entries=1, checkpoints=1)
    if document.get("format") != PROOF_FORMAT or document.get("version") != VERSION:
        raise LedgerDocumentInvalid("不是 govdata 账本证明文件（或版本不受支持）")
    checkpoint = Checkpoint.from_json(document.get("checkpoint"))
    try:
        index = document["leaf_index"]
        size = document["tree_size"]
        entry = document["entry"].encode("utf-8")
        path = _hashes(document["inclusion_path"])
        consistency = document.get("consistency")
        from_size = None if consistency is None else consistency["from_size"]
        since = [] if consistency is None else _hashes(consistency["path"])
    except (KeyError, TypeError, ValueError, AttributeError, UnicodeEncodeError):
        raise LedgerDocumentInvalid("证明文件字段缺失或格式不正确") from None
    problem = checkpoint.problem()
    if problem is not None:
        report.fail("checkpoint_signature_invalid", f"证明所附检查点：{problem}")
    elif accepted_keys is not None and checkpoint.key_fingerprint not in set(accepted_keys):
        report.fail("checkpoint_key_untrusted", "证明所附检查点由未被认可的公钥签名")
    if size != checkpoint.tree_size:
        report.fail("proof_size_mismatch", "证明的树规模与所附检查点不一致")
    try:
        decode_entry(entry)
    except LedgerEntryInvalid as error:
        report.fail("entry_not_canonical", f"条目：{error.message}")
    if not isinstance(index, int) or not verify_inclusion(
        leaf_hash(entry), index, checkpoint.tree_size, path, checkpoint.root_hash
    ):
        report.fail("inclusion_invalid", f"条目{index}的包含性证明不成立：证明或条目被篡改")
    for old in trusted:
        _check_trusted(report, old, checkpoint, from_size, since)
    return report


def _check_trusted(
    report: AuditReport,
    old: Checkpoint,
    checkpoint: Checkpoint,
    from_size: Any,
    path: list[bytes],
) -> None:
    problem = old.problem()
    if problem is not None:
        report.fail("checkpoint_signature_invalid", f"可信检查点：{problem}")
        return
    if old.tree_size > checkpoint.tree_size:
        report.fail(
            "checkpoint_rolled_back",
            f"证明所附检查点（{checkpoint.tree_size}条）小于可信检查点（{old.tree_size}条）："
            "账本被回滚，或证明过旧",
        )
        return
    if old.tree_size == checkpoint.tree_size:
        proved = old.root_hash == checkpoint.root_hash
    elif from_size != old.tree_size:
        report.fail(
            "consistency_missing",
            f"证明未附带从{old.tree_size}条起的一致性证明（用 --since-size {old.tree_size} 生成）",
        )
        return
    else:
        proved = verify_consistency(
            old.tree_size, old.root_hash, checkpoint.tree_size, checkpoint.root_hash, path
        )
    if not proved:
        report.fail(
            "checkpoint_inconsistent",
            f"可信检查点（{old.tree_size}条）与证明所附检查点（{checkpoint.tree_size}条）不一致："
            "账本被改写或回滚",
        )


def read_json(path: Path) -> dict[str, Any]:
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, UnicodeDecodeError) as error:
        raise LedgerDocumentInvalid(f"无法读取 {path}：{error}") from None
    if not isinstance(document, dict):
        raise LedgerDocumentInvalid(f"{path} 不是 JSON 对象")
    return document


def read_checkpoint(path: Path) -> Checkpoint:
    """A checkpoint file, or the checkpoint inside a proof file."""
    document = read_json(path)
    return Checkpoint.from_json(document.get("checkpoint", document))
