"""Specification of what the ledger records of the platform's events (X5).

Every event class is classified, ledgered or not with a reason; a ledgered
event gets an entry in the same transaction, appended at commit, linking back
to the event; an event rolled back takes its entry with it.
"""

from __future__ import annotations

import importlib
import json
import pkgutil

import pytest
from scripts.gen_ledger_docs import PAGE, updated
from sqlalchemy.orm import Session

import govdata
from govdata.accounts.events import LoginSucceeded, UserActivityChanged
from govdata.actions import Context
from govdata.aggregation.events import DataRead
from govdata.events import DomainEvent, EventRecord, record_event
from govdata.ledger import EntryKind, decode_entry, entries_about, get_leaf, tree_size
from govdata.ledger.recording import LEDGERED, NOT_LEDGERED, RESERVED_KINDS


def _all_event_classes() -> dict[str, type[DomainEvent]]:
    for module in pkgutil.walk_packages(govdata.__path__, "govdata."):
        if not module.name.endswith("__main__") and ".migrations." not in module.name:
            importlib.import_module(module.name)
    found: dict[str, type[DomainEvent]] = {}
    pending: list[type[DomainEvent]] = [DomainEvent]
    while pending:
        for sub in pending.pop().__subclasses__():
            pending.append(sub)
            if sub.__module__.startswith("govdata.") and "name" in vars(sub):
                found[sub.name] = sub
    return found


def test_every_event_is_either_ledgered_or_explicitly_not_with_a_reason() -> None:
    names = set(_all_event_classes())
    unclassified = names - set(LEDGERED) - set(NOT_LEDGERED)
    assert not unclassified, (
        f"classify these events in govdata/ledger/recording.py (LEDGERED or NOT_LEDGERED "
        f"with a reason): {sorted(unclassified)}"
    )
    assert not set(LEDGERED) & set(NOT_LEDGERED)
    assert all(reason.strip() for reason in NOT_LEDGERED.values())


def test_the_classification_names_no_event_that_does_not_exist() -> None:
    names = set(_all_event_classes())
    assert set(LEDGERED) | set(NOT_LEDGERED) <= names


def test_the_kinds_for_approvals_deliveries_and_catalog_changes_are_all_accounted_for() -> None:
    used = {str(rule.kind) for rule in LEDGERED.values()}
    assert {str(kind) for kind in EntryKind} <= used | set(RESERVED_KINDS)


def _entries(session: Session, subject: str) -> list[dict[str, object]]:
    out = []
    for index in entries_about(session, subject):
        entry = decode_entry(get_leaf(session, index).entry)
        out.append({"kind": entry.kind, "subjects": entry.subject_ids, **entry.body})
    return out


def test_a_ledgered_event_gets_an_entry_at_commit_linking_back_to_it(
    operator: Context, session: Session
) -> None:
    record = record_event(operator, UserActivityChanged(subject_id="user-x1", active=False))
    assert _entries(session, "user-x1") == []  # appended when the transaction commits
    session.commit()
    (entry,) = _entries(session, "user-x1")
    assert entry["kind"] == EntryKind.SECURITY_EVENT
    assert entry["event"] == "accounts:user:activity_changed"
    assert entry["event_id"] == record.id
    assert entry["data"] == {"active": False}
    assert entry["subjects"] == ("user-x1", record.id)
    assert session.get(EventRecord, record.id) is not None


def test_an_event_that_is_not_ledgered_adds_no_entry(operator: Context, session: Session) -> None:
    before = tree_size(session)
    record_event(operator, LoginSucceeded(subject_id="user-x2", username="someone"))
    session.commit()
    assert tree_size(session) == before


def test_an_event_rolled_back_with_a_savepoint_leaves_no_entry(
    operator: Context, session: Session
) -> None:
    with pytest.raises(RuntimeError), session.begin_nested():
        record_event(operator, UserActivityChanged(subject_id="user-x3", active=True))
        raise RuntimeError
    record_event(operator, UserActivityChanged(subject_id="user-x4", active=True))
    session.commit()
    assert _entries(session, "user-x3") == []
    assert len(_entries(session, "user-x4")) == 1


def test_a_rolled_back_transaction_appends_nothing(operator: Context, session: Session) -> None:
    before = tree_size(session)
    record_event(operator, UserActivityChanged(subject_id="user-x5", active=True))
    session.rollback()
    session.commit()
    assert tree_size(session) == before


def test_a_data_read_entry_says_who_got_which_version_under_which_decision(
    operator: Context, session: Session
) -> None:
    record_event(
        operator,
        DataRead(
            subject_id="source-1",
            source_id="source-1",
            library_id=None,
            mode="physical",
            version=3,
            where={"id_number": "150102199001011234"},
            rows=1,
            purpose="query",
            grade="L3",
            relation="granted",
            grant_id="grant-7",
        ),
    )
    session.commit()
    (entry,) = _entries(session, "grant-7")
    assert entry["kind"] == EntryKind.ACCESS_DECIDED
    assert entry["actor"] == {"kind": "system", "id": None, "name": operator.actor.name}
    data = entry["data"]
    assert isinstance(data, dict)
    assert (data["version"], data["rows"], data["grade"], data["relation"]) == (
        3,
        1,
        "L3",
        "granted",
    )
    assert entry["subjects"][:2] == ("source-1", "grant-7")
    assert json.dumps(entry, ensure_ascii=False)  # plain JSON through and through


def test_the_tables_in_the_ledger_page_match_the_mapping() -> None:
    page = PAGE.read_text(encoding="utf-8")
    assert page == updated(page), "run: .venv/bin/python scripts/gen_ledger_docs.py"
