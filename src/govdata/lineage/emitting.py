"""Sending a run's OpenLineage events at its start and at its end.

Called by the aggregation runner (loads, builds) and by the bulk delivery runner
(:func:`announce_delivery`) outside the run's transactions: each reads what it needs
in a short read of its own, after the state it reports has been committed.
Nothing is read or built when no consumer is configured.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from openlineage.client.event_v2 import RunState

from govdata.aggregation.store import get_run
from govdata.db import Database
from govdata.lineage.delivery_lineage import delivery_lineage
from govdata.lineage.openlineage import RunOutcome, emit, transports
from govdata.lineage.runs import run_lineage
from govdata.settings import Settings
from govdata.sharing.delivery_models import BulkDelivery

if TYPE_CHECKING:
    from govdata.services import Services


def announce(
    db: Database, settings: Settings, services: Services, run_id: str, *, ending: bool
) -> None:
    """Emit START (``ending`` false) or COMPLETE / FAIL for the run as committed."""
    if not transports(settings):
        return
    with db.transaction() as session:
        run = get_run(session, run_id)
        lineage = run_lineage(session, settings, run, services.lake)
        if lineage is None:
            return
        if not ending:
            state, outcome = RunState.START, None
        else:
            state = RunState.COMPLETE if run.status == "succeeded" else RunState.FAIL
            outcome = RunOutcome(
                version=run.version,
                rows_written=run.rows_written,
                rows_quarantined=run.rows_quarantined,
                reasons=dict(run.reason_counts or {}),
                error_code=run.error_code,
                error_message=run.error_message,
            )
    emit(settings, lineage, state, outcome)


def announce_delivery(db: Database, settings: Settings, delivery_id: str, *, ending: bool) -> None:
    """Emit START (``ending`` false) or COMPLETE / FAIL for a bulk delivery as committed."""
    if not transports(settings):
        return
    with db.transaction() as session:
        delivery = session.get(BulkDelivery, delivery_id)
        if delivery is None:
            return
        lineage = delivery_lineage(session, settings, delivery)
        if lineage is None:
            return
        if not ending:
            state, outcome = RunState.START, None
        elif delivery.status == "succeeded":
            state = RunState.COMPLETE
            outcome = RunOutcome(version=delivery.version, rows_written=delivery.rows)
        else:
            state = RunState.FAIL
            outcome = RunOutcome(
                error_code=delivery.error_code, error_message=delivery.error_message
            )
    emit(settings, lineage, state, outcome)
