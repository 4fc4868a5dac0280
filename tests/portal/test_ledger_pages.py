"""The ledger pages (存证记录): an auditor finds the entries about an object, opens one
and sees who did what, when and under which decision, with its hash, its inclusion
proof and checkpoint, and downloads the proof file that verifies offline."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient

from govdata.actions import Context
from govdata.aggregation.events import DataRead
from govdata.db import Database
from govdata.events import EventRecord, record_event
from govdata.ledger import decode_entry, entries_about, verify_inclusion
from govdata.ledger.hashing import leaf_hash
from govdata.ledger.scheduling import checkpoint_if_grown
from govdata.settings import Settings
from tests.factories import login

HTML = {"Accept": "text/html"}


@pytest.fixture
def read_index(operator: Context) -> int:
    """A committed data read under a grant, as the ledger recorded it."""
    record = record_event(
        operator,
        DataRead(
            subject_id="source-p1",
            source_id="source-p1",
            library_id=None,
            mode="physical",
            version=4,
            where={},
            rows=12,
            purpose="query",
            grade="L2",
            relation="granted",
            grant_id="grant-p1",
        ),
    )
    operator.session.commit()
    assert operator.session.get(EventRecord, record.id) is not None
    (index,) = entries_about(operator.session, "grant-p1")
    return index


def test_an_auditor_finds_the_entries_about_an_object(client: TestClient, read_index: int) -> None:
    login(client, "auditor")
    assert 'href="/ledger"' in client.get("/", headers=HTML).text
    page = client.get("/ledger", params={"subject_id": "source-p1"}, headers=HTML)
    assert page.status_code == 200
    assert f'href="/ledger/{read_index}"' in page.text
    assert "数据访问决定" in page.text
    empty = client.get("/ledger", params={"subject_id": "no-such-thing"}, headers=HTML)
    assert "没有符合条件的存证记录" in empty.text


def test_an_entry_page_shows_the_decision_and_the_proof_once_checkpointed(
    client: TestClient, read_index: int, db: Database, settings: Settings
) -> None:
    login(client, "auditor")
    before = client.get(f"/ledger/{read_index}", headers=HTML)
    assert before.status_code == 200
    assert "grant-p1" in before.text
    assert "授权编号" in before.text
    assert "尚无证明" in before.text
    refused = client.get(f"/ledger/{read_index}/proof.json", headers=HTML)
    assert refused.status_code == 409

    checkpoint = checkpoint_if_grown(db, settings)
    assert checkpoint is not None
    page = client.get(f"/ledger/{read_index}", headers=HTML).text
    assert checkpoint.root_hash.hex() in page
    assert "govdata ledger verify --proof" in page
    download = client.get(f"/ledger/{read_index}/proof.json")
    assert download.status_code == 200
    assert "attachment" in download.headers["content-disposition"]
    proof = json.loads(download.content)
    data = proof["entry"].encode("utf-8")
    assert decode_entry(data).body["data"]["grant_id"] == "grant-p1"
    assert verify_inclusion(
        leaf_hash(data),
        proof["leaf_index"],
        proof["tree_size"],
        [bytes.fromhex(h) for h in proof["inclusion_path"]],
        bytes.fromhex(proof["checkpoint"]["root_hash"]),
    )


def test_a_bad_search_is_explained_not_failed(client: TestClient) -> None:
    login(client, "auditor")
    page = client.get("/ledger", params={"kind": "NOT A KIND"}, headers=HTML)
    assert page.status_code == 200
    assert 'role="alert"' in page.text


def test_the_ledger_pages_are_for_auditors_and_reviewers_only(client: TestClient) -> None:
    assert client.get("/ledger", headers=HTML, follow_redirects=False).status_code == 303
    login(client, "provider")
    assert 'href="/ledger"' not in client.get("/", headers=HTML).text
    assert client.get("/ledger", headers=HTML).status_code == 403
    assert client.get("/ledger/0", headers=HTML).status_code == 403
