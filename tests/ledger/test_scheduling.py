"""Specification of scheduled checkpoints: signed when the ledger has grown, not otherwise."""

from __future__ import annotations

from govdata.accounts.events import UserActivityChanged
from govdata.actions import Context
from govdata.aggregation.scheduler import SchedulerThread
from govdata.db import Database
from govdata.events import record_event
from govdata.ledger import latest_checkpoint, tree_size
from govdata.ledger.scheduling import checkpoint_if_grown
from govdata.services import Services
from govdata.settings import Settings


def test_a_checkpoint_is_signed_only_when_the_ledger_has_grown(
    db: Database, settings: Settings, operator: Context
) -> None:
    first = checkpoint_if_grown(db, settings)
    assert first is not None
    assert first.origin == f"govdata/{settings.node_code}"
    assert checkpoint_if_grown(db, settings) is None

    record_event(operator, UserActivityChanged(subject_id="user-s1", active=True))
    operator.session.commit()
    second = checkpoint_if_grown(db, settings)
    assert second is not None
    assert second.tree_size == first.tree_size + 1 == tree_size(operator.session)
    assert latest_checkpoint(operator.session) == second


def test_no_checkpoint_without_a_node_key(
    db: Database, settings: Settings, tmp_path: object
) -> None:
    keyless = settings.model_copy(update={"data_dir": tmp_path})
    assert checkpoint_if_grown(db, keyless) is None


def test_the_server_scheduler_signs_a_checkpoint_when_due(
    db: Database, settings: Settings, services: Services, operator: Context
) -> None:
    SchedulerThread(db, settings, services).checkpoint()
    signed = latest_checkpoint(operator.session)
    assert signed is not None
    assert signed.tree_size == tree_size(operator.session)
