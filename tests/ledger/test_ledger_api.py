"""Specification of the ledger's JSON API: search, one entry with its proof, the latest
checkpoint and consistency proofs, for auditors and authority reviewers only."""

from __future__ import annotations

from fastapi.testclient import TestClient

from govdata.accounts.events import UserActivityChanged
from govdata.actions import Context
from govdata.db import Database
from govdata.events import record_event
from govdata.ledger import decode_entry, verify_consistency, verify_inclusion
from govdata.ledger.hashing import leaf_hash
from govdata.ledger.scheduling import checkpoint_if_grown
from govdata.settings import Settings
from tests.factories import login


def _recorded(operator: Context, subject: str) -> None:
    record_event(operator, UserActivityChanged(subject_id=subject, active=False))
    operator.session.commit()


def test_an_auditor_finds_the_entries_about_an_object(
    client: TestClient, operator: Context
) -> None:
    _recorded(operator, "user-a1")
    login(client, "auditor")
    page = client.get("/api/v1/ledger/entries", params={"subject_id": "user-a1"}).json()
    assert page["total"] == 1
    (entry,) = page["entries"]
    assert entry["subject_ids"][0] == "user-a1"
    assert entry["body"]["event"] == "accounts:user:activity_changed"
    by_kind = client.get(
        "/api/v1/ledger/entries", params={"kind": "security:event:recorded", "limit": 500}
    ).json()
    assert entry["index"] in {item["index"] for item in by_kind["entries"]}


def test_an_entry_comes_with_a_proof_that_verifies_against_the_checkpoint(
    client: TestClient, operator: Context, db: Database, settings: Settings
) -> None:
    _recorded(operator, "user-a2")
    login(client, "auditor")
    (entry,) = client.get("/api/v1/ledger/entries", params={"subject_id": "user-a2"}).json()[
        "entries"
    ]
    uncovered = client.get(f"/api/v1/ledger/entries/{entry['index']}").json()
    assert (uncovered["covered"], uncovered["proof"]) == (False, None)

    assert checkpoint_if_grown(db, settings) is not None
    shown = client.get(f"/api/v1/ledger/entries/{entry['index']}").json()
    proof = shown["proof"]
    assert shown["covered"] is True
    data = proof["entry"].encode("utf-8")
    assert decode_entry(data).subject_ids[0] == "user-a2"
    assert verify_inclusion(
        leaf_hash(data),
        proof["leaf_index"],
        proof["tree_size"],
        [bytes.fromhex(h) for h in proof["inclusion_path"]],
        bytes.fromhex(proof["checkpoint"]["root_hash"]),
    )
    latest = client.get("/api/v1/ledger/checkpoints/latest").json()
    assert latest["checkpoint"] == proof["checkpoint"]


def test_a_consistency_proof_links_an_older_size_to_the_latest_checkpoint(
    client: TestClient, operator: Context, db: Database, settings: Settings
) -> None:
    first = checkpoint_if_grown(db, settings)
    assert first is not None
    _recorded(operator, "user-a3")
    assert checkpoint_if_grown(db, settings) is not None
    login(client, "reviewer")
    answer = client.get("/api/v1/ledger/consistency", params={"from_size": first.tree_size})
    body = answer.json()
    assert (body["from_size"], body["to_size"]) == (first.tree_size, first.tree_size + 1)
    assert body["from_root"] == first.root_hash.hex()
    assert verify_consistency(
        body["from_size"],
        bytes.fromhex(body["from_root"]),
        body["to_size"],
        bytes.fromhex(body["to_root"]),
        [bytes.fromhex(h) for h in body["path"]],
    )


def test_a_size_beyond_the_ledger_is_invalid_input(client: TestClient) -> None:
    login(client, "auditor")
    answer = client.get("/api/v1/ledger/consistency", params={"from_size": 1, "to_size": 2**40})
    assert (answer.status_code, answer.json()["error"]["code"]) == (422, "ledger_size_invalid")
    missing = client.get(f"/api/v1/ledger/entries/{2**40}")
    assert (missing.status_code, missing.json()["error"]["code"]) == (404, "ledger_entry_not_found")


def test_people_without_ledger_read_are_refused(client: TestClient) -> None:
    assert client.get("/api/v1/ledger/entries").status_code == 401
    login(client, "provider")
    assert client.get("/api/v1/ledger/entries").status_code == 403
    assert client.get("/api/v1/ledger/checkpoints/latest").status_code == 403


def test_times_are_searched_in_utc_and_out_of_range_ones_refused(
    client: TestClient, operator: Context
) -> None:
    _recorded(operator, "user-a4")
    login(client, "auditor")
    found = client.get(
        "/api/v1/ledger/entries",
        params={"subject_id": "user-a4", "since": "2000-01-01T08:00:00+08:00"},
    ).json()
    assert found["total"] == 1
    none = client.get(
        "/api/v1/ledger/entries",
        params={"subject_id": "user-a4", "until": "2000-01-01T00:00:00Z"},
    ).json()
    assert none["total"] == 0
    overflow = client.get("/api/v1/ledger/entries", params={"since": "9999-12-31T23:59:59-23:59"})
    assert (overflow.status_code, overflow.json()["error"]["code"]) == (422, "invalid_input")
