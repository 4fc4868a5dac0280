"""Portal pages of the tamper-evident ledger (存证记录, X5) for auditors and reviewers.

The list searches entries by the object they name (a run, source, catalog entry,
grant or event id) and by kind; an entry's page shows who did or received what,
when and under which decision, with its leaf hash, its inclusion proof and the
signed checkpoint it is proven against, and offers the proof file for
``govdata ledger verify --proof FILE``. Every read goes through the ledger actions.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from govdata.errors import InvalidInput
from govdata.ledger.entries import EntryKind, parse_time
from govdata.ledger.recording import LEDGERED
from govdata.ledger.schemas import LedgerEntriesPage, LedgerEntryOut, LedgerEntryProof
from govdata.portal.common import current_caller, login_redirect, page_chrome, run_action
from govdata.portal.rendering import render

router = APIRouter(include_in_schema=False)

PAGE_SIZE = 50

KIND_LABELS: dict[str, str] = {
    EntryKind.CATALOG_PUBLISHED: "目录发布",
    EntryKind.CATALOG_WITHDRAWN: "目录撤销",
    "catalog:entry:returned": "目录退回",
    EntryKind.APPROVAL_DECIDED: "共享审批",
    EntryKind.GRANT_ISSUED: "授权签发",
    EntryKind.GRANT_REVOKED: "授权撤销",
    EntryKind.DELIVERY_MADE: "数据交付",
    EntryKind.ACCESS_DECIDED: "数据访问决定",
    EntryKind.SECURITY_EVENT: "安全事件",
    "aggregation:source:registered": "登记数据源",
    "aggregation:source:changed": "修改数据源",
    "aggregation:run:finished": "归集版本",
}

# Labels of the event facts an auditor looks for first; others are shown by name.
FIELD_LABELS: dict[str, str] = {
    "grade": "数据分级",
    "relation": "访问关系",
    "grant_id": "授权编号",
    "audit_release": "审计放行",
    "source_id": "数据源",
    "library_id": "库",
    "mode": "读取方式",
    "version": "数据版本",
    "rows": "行数",
    "where": "查询条件",
    "purpose": "用途",
    "client_address": "来源地址",
    "resource_code": "资源代码",
    "number": "目录版本号",
    "organisation_id": "部门",
    "reasons": "退回理由",
    "status": "状态",
    "rows_written": "写入行数",
    "rows_quarantined": "隔离行数",
    "error_code": "错误代码",
    "checksum": "校验和",
    "decision": "决定",
    "role": "角色",
}


def kind_label(kind: str) -> str:
    return KIND_LABELS.get(kind, kind)


def _facts(entry: LedgerEntryOut) -> list[tuple[str, str]]:
    data = entry.body.get("data")
    if not isinstance(data, dict):
        return []
    facts = []
    for key, value in data.items():
        if value is None or value in ({}, []):
            continue
        text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
        facts.append((FIELD_LABELS.get(str(key), str(key)), text))
    return facts


def _view(entry: LedgerEntryOut) -> dict[str, Any]:
    actor = entry.body.get("actor")
    return {
        "entry": entry,
        "kind_label": kind_label(entry.kind),
        "what": entry.body.get("what") or kind_label(entry.kind),
        "who": actor.get("name") if isinstance(actor, dict) else entry.actor,
        "when": parse_time(entry.recorded_at),
        "facts": _facts(entry),
    }


@router.get("/ledger")
async def ledger_page(request: Request) -> Response:
    caller = await current_caller(request)
    if not caller.actor.is_authenticated:
        return login_redirect(request)
    params = request.query_params
    subject_id = params.get("subject_id", "").strip()
    kind = params.get("kind", "").strip()
    raw_page = params.get("page", "1")
    number = min(max(int(raw_page), 1), 100_000) if raw_page.isdigit() else 1
    query: dict[str, Any] = {"offset": (number - 1) * PAGE_SIZE, "limit": PAGE_SIZE}
    if subject_id:
        query["subject_id"] = subject_id
    if kind:
        query["kind"] = kind
    error: InvalidInput | None = None
    try:
        listing: LedgerEntriesPage | None = await run_action(
            request, caller, "ledger_entries", query
        )
    except InvalidInput as refused:
        listing, error = None, refused

    def href(page: int) -> str:
        kept = {k: v for k, v in (("subject_id", subject_id), ("kind", kind)) if v}
        return "/ledger?" + urlencode({**kept, "page": page})

    return render(
        "portal/ledger/list.html",
        {
            "page": page_chrome(request, caller, "存证记录", "ledger"),
            "listing": listing,
            "rows": [_view(entry) for entry in listing.entries] if listing else [],
            "error": error,
            "subject_id": subject_id,
            "kind": kind,
            "kinds": sorted({str(rule.kind) for rule in LEDGERED.values()}),
            "kind_label": kind_label,
            "previous_href": href(number - 1) if number > 1 else None,
            "next_href": (
                href(number + 1) if listing and listing.total > number * PAGE_SIZE else None
            ),
        },
    )


@router.get("/ledger/{index:int}")
async def ledger_entry_page(request: Request, index: int) -> Response:
    caller = await current_caller(request)
    if not caller.actor.is_authenticated:
        return login_redirect(request)
    shown: LedgerEntryProof = await run_action(request, caller, "ledger_entry", {"index": index})
    proof = shown.proof
    return render(
        "portal/ledger/entry.html",
        {
            "page": page_chrome(request, caller, f"存证记录 #{index}", "ledger"),
            **_view(shown.entry),
            "proof": proof,
            "checkpoint": proof["checkpoint"] if proof else None,
            "signed_at": parse_time(proof["checkpoint"]["signed_at"]) if proof else None,
            "body_json": json.dumps(shown.entry.body, ensure_ascii=False, indent=2),
        },
    )


@router.get("/ledger/{index:int}/proof.json")
async def ledger_proof_download(request: Request, index: int) -> Response:
    caller = await current_caller(request)
    if not caller.actor.is_authenticated:
        return login_redirect(request)
    shown: LedgerEntryProof = await run_action(request, caller, "ledger_entry", {"index": index})
    if shown.proof is None:
        return render(
            "portal/ledger/uncovered.html",
            {"page": page_chrome(request, caller, "证明尚不可用", "ledger"), "index": index},
            status_code=409,
        )
    body = json.dumps(shown.proof, ensure_ascii=False, indent=2) + "\n"
    return Response(
        body.encode("utf-8"),
        media_type="application/json",
        headers={"Content-Disposition": f'attachment; filename="ledger-proof-{index}.json"'},
    )
