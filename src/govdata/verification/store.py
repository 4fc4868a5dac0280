"""Results in the metadata database: sealing conflict evidence, and reading runs back.

Conflict keys and values are sealed with SM4-SIV under the data key
``verification:conflicts`` (table ``verification_conflicts``, column ``key`` or
``value``) before they reach a row, and opened only inside the action that may
show them (:func:`govdata.verification.run_actions.verification_conflicts`).
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from typing import Any

import pyarrow as pa
from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from govdata.crypto.datakeys import DataKeys, DataKeySet
from govdata.crypto.fields import decrypt_column, encrypt_column
from govdata.crypto.keystore import KeyStore
from govdata.db import new_id
from govdata.errors import NotFound
from govdata.verification.compare import Comparison
from govdata.verification.models import (
    VerificationConflict,
    VerificationFieldStat,
    VerificationRun,
)
from govdata.verification.schemas import FieldStatOut, InputOut, VerificationRunOut

PURPOSE = "verification:conflicts"
TABLE = "verification_conflicts"


def seal(values: Sequence[str | None], keys: DataKeySet, column: str) -> list[bytes | None]:
    if not values:
        return []
    sealed = encrypt_column(
        pa.array(list(values), pa.string()), keys, table=TABLE, column=column, deterministic=True
    )
    return [None if value is None else bytes(value) for value in sealed.to_pylist()]


def unseal(values: Sequence[bytes | None], keys: DataKeySet, column: str) -> list[str | None]:
    if not values:
        return []
    opened = decrypt_column(pa.array(list(values), pa.binary()), keys, table=TABLE, column=column)
    return [None if value is None else str(value) for value in opened.to_pylist()]


def reading_keys(session: Session, key_store: KeyStore) -> DataKeySet:
    return DataKeys(session, key_store).for_reading(PURPOSE)


def save_results(
    session: Session, key_store: KeyStore, run: VerificationRun, comparison: Comparison
) -> None:
    """The per-field counts and the sampled conflicts with their sealed evidence."""
    values = sum(
        len(conflict.values) + 2 for result in comparison.fields for conflict in result.conflicts
    )
    keys = DataKeys(session, key_store).for_writing(PURPOSE, values=values) if values else None
    for position, result in enumerate(comparison.fields):
        session.add(
            VerificationFieldStat(
                run_id=run.id,
                position=position,
                field=result.field,
                tables=result.tables,
                authority=result.authority,
                keys=result.keys,
                compared=result.compared,
                agreeing=result.agreeing,
                conflicting=result.conflicting,
                missing=result.missing,
                resolved=result.resolved,
                kept=len(result.conflicts),
            )
        )
        if not result.conflicts or keys is None:
            continue
        sealed_keys = seal([c.key for c in result.conflicts], keys, "key")
        sealed_resolved = seal([c.resolved for c in result.conflicts], keys, "value")
        rows: list[dict[str, Any]] = []
        for index, conflict in enumerate(result.conflicts):
            held = list(conflict.values.items())
            sealed = seal([value for _, value in held], keys, "value")
            rows.append(
                {
                    "id": new_id(),
                    "run_id": run.id,
                    "field": result.field,
                    "position": index,
                    "key_value": sealed_keys[index],
                    "evidence": {
                        str(table): None if value is None else base64.b64encode(value).decode()
                        for (table, _), value in zip(held, sealed, strict=True)
                    },
                    "resolution": "authority" if conflict.resolved is not None else "unresolved",
                    "authority": result.authority,
                    "resolved_value": sealed_resolved[index],
                }
            )
        session.execute(insert(VerificationConflict), rows)
    run.keys_total = comparison.keys_total
    run.conflicts_total = sum(result.conflicting for result in comparison.fields)


def get_run(session: Session, run_id: str) -> VerificationRun:
    run = session.get(VerificationRun, run_id)
    if run is None:
        raise NotFound("比对记录不存在", code="verification_run_not_found", fields={"id": run_id})
    return run


def field_stats(session: Session, run_id: str) -> list[VerificationFieldStat]:
    return list(
        session.scalars(
            select(VerificationFieldStat)
            .where(VerificationFieldStat.run_id == run_id)
            .order_by(VerificationFieldStat.position)
        )
    )


def run_out(session: Session, run: VerificationRun) -> VerificationRunOut:
    return VerificationRunOut(
        id=run.id,
        organisation_id=run.organisation_id,
        subject_kind=run.subject_kind,
        key=run.key,
        status=run.status,
        inputs=[InputOut(index=i, **item) for i, item in enumerate(run.inputs)],
        fields=[
            FieldStatOut(
                field=stat.field,
                tables=list(stat.tables),
                authority=stat.authority,
                keys=stat.keys,
                compared=stat.compared,
                agreeing=stat.agreeing,
                conflicting=stat.conflicting,
                missing=stat.missing,
                resolved=stat.resolved,
                kept=stat.kept,
            )
            for stat in field_stats(session, run.id)
        ],
        keys_total=run.keys_total,
        conflicts_total=run.conflicts_total,
        sample_limit=run.sample_limit,
        requested_by=run.requested_by,
        started_at=run.started_at,
        finished_at=run.finished_at,
        error_code=run.error_code,
        error_message=run.error_message,
    )
