"""Re-verifying a whole ledger: every leaf, every checkpoint, every stored node.

The same audit runs over an export file and over the live database. It
recomputes each leaf hash from the entry bytes, rebuilds the tree leaf by
leaf (keeping only its right edge), compares the root at every checkpoint's
size, checks every checkpoint's signature and key, and checks a consistency
proof between each pair of successive checkpoints (and from any checkpoint
the auditor brought along). On the database it also compares every stored
interior node with the recomputed one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from itertools import pairwise

from sqlalchemy.orm import Session

from govdata.ledger.checkpoints import Checkpoint, stored_checkpoints
from govdata.ledger.entries import LedgerEntry, decode_entry
from govdata.ledger.errors import LedgerEntryInvalid
from govdata.ledger.hashing import empty_root, leaf_hash
from govdata.ledger.proofs import assemble, consistency_ranges, nodes_of, verify_consistency
from govdata.ledger.store import (
    IndexedColumns,
    count_leaves_from,
    count_nodes_from,
    indexed_columns,
    iter_leaves,
    stored_nodes,
    tree_size,
)
from govdata.ledger.tree import NodeId, TreeBuilder, leaf_position, node_position

MAX_REPORTED = 50
NODE_CHUNK = 10_000

StoredNodes = Callable[[int, int], dict[int, bytes]]
"""``(first_leaf, end_leaf) -> {position: hash}`` of the nodes those leaves formed."""


@dataclass(frozen=True, slots=True)
class AuditLeaf:
    index: int
    entry: bytes
    stored_hash: bytes | None = None
    columns: IndexedColumns | None = None


@dataclass(frozen=True, slots=True)
class Finding:
    code: str
    message: str


@dataclass
class AuditReport:
    entries: int = 0
    checkpoints: int = 0
    failures: list[Finding] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    failure_count: int = 0

    @property
    def ok(self) -> bool:
        return self.failure_count == 0

    def fail(self, code: str, message: str) -> None:
        self.failure_count += 1
        if len(self.failures) < MAX_REPORTED:
            self.failures.append(Finding(code, message))

    def codes(self) -> set[str]:
        return {finding.code for finding in self.failures}


def _label(number: int, checkpoint: Checkpoint) -> str:
    return f"检查点#{number}（{checkpoint.tree_size}条）"


def _columns_of(entry: LedgerEntry) -> IndexedColumns:
    return IndexedColumns(entry.kind, entry.actor, entry.recorded_at, frozenset(entry.subject_ids))


class LedgerAuditor:
    """Feed it the leaves in order, then ask for the report with :meth:`finish`."""

    def __init__(
        self,
        checkpoints: Sequence[Checkpoint],
        *,
        trusted: Sequence[Checkpoint] = (),
        accepted_keys: Iterable[str] | None = None,
        expected_size: int | None = None,
        stored_nodes: StoredNodes | None = None,
    ) -> None:
        self.report = AuditReport(checkpoints=len(checkpoints))
        self._checkpoints = list(checkpoints)
        self._trusted = list(trusted)
        self._expected_size = expected_size
        self._stored_nodes = stored_nodes
        self._pending_nodes: dict[int, bytes] = {}
        self._builder = TreeBuilder()
        self._roots: dict[int, bytes] = {0: empty_root()}
        self._root_sizes = {c.tree_size for c in [*self._checkpoints, *self._trusted]}
        self._pairs = self._consistency_pairs()
        self._wanted: set[NodeId] = set()
        for old, new in self._pairs:
            self._wanted |= nodes_of(consistency_ranges(old.tree_size, new.tree_size))
        self._captured: dict[NodeId, bytes] = {}
        self._in_sequence = True
        self._last_index = -1
        self._gaps: list[tuple[int, int]] = []
        accepted = None if accepted_keys is None else set(accepted_keys)
        self._check_checkpoints(accepted)

    def _consistency_pairs(self) -> list[tuple[Checkpoint, Checkpoint]]:
        pairs = []
        signed = [c for c in self._checkpoints if c.tree_size > 0]
        for old, new in pairwise(signed):
            if old.tree_size < new.tree_size:
                pairs.append((old, new))
        if signed:
            latest = max(signed, key=lambda c: c.tree_size)
            pairs.extend(
                (trusted, latest)
                for trusted in self._trusted
                if 0 < trusted.tree_size < latest.tree_size
            )
        return pairs

    def _check_checkpoints(self, accepted: set[str] | None) -> None:
        named = [(_label(n, c), c) for n, c in enumerate(self._checkpoints, 1)]
        named += [(f"可信检查点（{c.tree_size}条）", c) for c in self._trusted]
        for label, checkpoint in named:
            problem = checkpoint.problem()
            if problem is not None:
                self.report.fail("checkpoint_signature_invalid", f"{label}：{problem}")
            elif accepted is not None and checkpoint.key_fingerprint not in accepted:
                self.report.fail(
                    "checkpoint_key_untrusted",
                    f"{label}由未被认可的公钥签名（指纹 {checkpoint.key_fingerprint[:16]}…）",
                )
        previous: Checkpoint | None = None
        by_size: dict[int, Checkpoint] = {}
        for label, checkpoint in named:
            same = by_size.setdefault(checkpoint.tree_size, checkpoint)
            if same.root_hash != checkpoint.root_hash:
                self.report.fail(
                    "checkpoint_fork", f"{label}与同规模的另一检查点根哈希不同：账本出现分叉"
                )
        for label, checkpoint in named[: len(self._checkpoints)]:
            if previous is not None and checkpoint.tree_size < previous.tree_size:
                self.report.fail(
                    "checkpoint_rolled_back",
                    f"{label}的规模小于之前签发的检查点（{previous.tree_size}条）：账本被回滚",
                )
            previous = checkpoint

    def _on_node(self, level: int, index: int, value: bytes) -> None:
        if (level, index) in self._wanted:
            self._captured[(level, index)] = value
        if self._stored_nodes is not None and self._in_sequence:
            stored = self._pending_nodes.pop(node_position(level, index), None)
            if stored is None:
                self.report.fail("node_missing", f"缺少节点（层{level}，序号{index}）的存储记录")
            elif stored != value:
                self.report.fail(
                    "node_mismatch",
                    f"存储的节点（层{level}，序号{index}）与重算结果不符",
                )

    def _load_nodes(self, first_leaf: int) -> None:
        if self._stored_nodes is None or not self._in_sequence:
            return
        self._flush_extra_nodes()
        end = first_leaf + NODE_CHUNK
        if self._expected_size is not None:
            end = min(end, self._expected_size)
        self._pending_nodes = self._stored_nodes(first_leaf, max(end, first_leaf + 1))

    def _flush_extra_nodes(self) -> None:
        for position in sorted(self._pending_nodes)[:MAX_REPORTED]:
            self.report.fail("node_extra", f"存储中有不属于该树的节点（位置{position}）")
        self._pending_nodes = {}

    def _check_sequence(self, index: int) -> None:
        """Indices must run 0, 1, 2...; a jump opens a gap that a late index may fill."""
        if index == self._last_index + 1:
            self._last_index = index
            return
        if self._in_sequence:
            self._in_sequence = False
            self._pending_nodes = {}
        if index > self._last_index + 1:
            if len(self._gaps) < MAX_REPORTED:
                self._gaps.append((self._last_index + 1, index - 1))
            self._last_index = index
            return
        self.report.fail(
            "entry_out_of_order", f"条目{index}出现在条目{self._last_index}之后：顺序被改动"
        )
        for number, (low, high) in enumerate(self._gaps):
            if low <= index <= high:
                pieces = [(low, index - 1), (index + 1, high)]
                self._gaps[number : number + 1] = [(a, b) for a, b in pieces if a <= b]
                break

    def add(self, leaf: AuditLeaf) -> None:
        builder = self._builder
        expected = builder.size
        self._check_sequence(leaf.index)
        if expected % NODE_CHUNK == 0:
            self._load_nodes(expected)
        computed = leaf_hash(leaf.entry)
        if leaf.stored_hash is not None and leaf.stored_hash != computed:
            self.report.fail(
                "entry_modified", f"条目{leaf.index}的内容与记录的叶哈希不符：条目被修改"
            )
        try:
            entry = decode_entry(leaf.entry)
        except LedgerEntryInvalid as error:
            self.report.fail("entry_not_canonical", f"条目{leaf.index}：{error.message}")
        else:
            if leaf.columns is not None and leaf.columns != _columns_of(entry):
                self.report.fail(
                    "entry_columns_modified",
                    f"条目{leaf.index}的查询字段（类型、操作人、时间或对象编号）与条目内容不符",
                )
        if (0, expected) in self._wanted:
            self._captured[(0, expected)] = computed
        builder.push(computed, self._on_node)
        if builder.size in self._root_sizes:
            self._roots[builder.size] = builder.root()

    def add_all(self, leaves: Iterable[AuditLeaf]) -> AuditReport:
        for leaf in leaves:
            self.add(leaf)
        return self.finish()

    def finish(self) -> AuditReport:
        report = self.report
        size = report.entries = self._builder.size
        self._flush_extra_nodes()
        for low, high in self._gaps:
            missing = f"{low}" if low == high else f"{low}至{high}"
            report.fail("entry_missing", f"缺少序号{missing}的条目：条目被删除")
        if self._expected_size is not None and self._expected_size != size:
            report.fail(
                "size_mismatch", f"账本记录的条目数为{self._expected_size}，实际读到{size}条"
            )
        named = [(_label(n, c), c) for n, c in enumerate(self._checkpoints, 1)]
        named += [(f"可信检查点（{c.tree_size}条）", c) for c in self._trusted]
        for label, checkpoint in named:
            if checkpoint.tree_size > size:
                report.fail(
                    "checkpoint_beyond_log",
                    f"{label}超出当前账本的{size}条：账本被截断或回滚",
                )
            elif self._roots[checkpoint.tree_size] != checkpoint.root_hash:
                report.fail("checkpoint_root_mismatch", f"{label}的根哈希与按条目重算的结果不符")
        for old, new in self._pairs:
            if new.tree_size > size:
                continue
            ranges = consistency_ranges(old.tree_size, new.tree_size)
            proof = assemble(ranges, self._captured)
            if not verify_consistency(
                old.tree_size, old.root_hash, new.tree_size, new.root_hash, proof
            ):
                report.fail(
                    "checkpoint_inconsistent",
                    f"{old.tree_size}条与{new.tree_size}条两个检查点之间的一致性证明不成立："
                    "账本被改写或回滚",
                )
        covered = max((c.tree_size for c in self._checkpoints), default=0)
        if covered < size:
            report.notes.append(
                f"最后一个检查点之后的{size - covered}条条目尚无签名覆盖"
                "（运行 govdata ledger checkpoint 签发新检查点）"
            )
        return report


def audit_database(
    session: Session,
    *,
    trusted: Sequence[Checkpoint] = (),
    accepted_keys: Iterable[str] | None = None,
) -> AuditReport:
    """Audit the live ledger as this transaction sees it.

    Run it in a snapshot (any SQLite transaction; REPEATABLE READ on
    PostgreSQL): under READ COMMITTED, entries appended while the audit runs
    would be reported as rows past the head.
    """
    checkpoints = stored_checkpoints(session)
    size = tree_size(session)
    auditor = LedgerAuditor(
        checkpoints,
        trusted=trusted,
        accepted_keys=accepted_keys,
        expected_size=size,
        stored_nodes=lambda first, end: stored_nodes(session, first, end),
    )
    for low in range(0, size, NODE_CHUNK):
        high = min(low + NODE_CHUNK, size)
        columns = indexed_columns(session, low, high)
        for leaf in iter_leaves(session, low, high):
            auditor.add(AuditLeaf(leaf.index, leaf.entry, leaf.leaf_hash, columns.get(leaf.index)))
    report = auditor.finish()
    extra_leaves = count_leaves_from(session, size)
    if extra_leaves:
        report.fail("entry_extra", f"账本头之后还有{extra_leaves}条条目记录：存储被改动")
    extra_nodes = count_nodes_from(session, leaf_position(size))
    if extra_nodes:
        report.fail("node_extra", f"账本头之后还有{extra_nodes}个节点记录：存储被改动")
    return report
