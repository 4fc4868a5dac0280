"""Profiles in the metadata database: loading the previous state, saving a build.

Every record key and attribute value is sealed with SM4-SIV under the data key
``profiles:<kind>`` before it reaches a row, and opened only inside the actions
that are allowed to show it. A build replaces the records and attribute
candidates of the profiles it covers; profiles and aliases are never deleted,
so an ID handed out once keeps answering (directly, or by redirect).
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Any

import pyarrow as pa
from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from govdata.crypto.datakeys import DataKeys, DataKeySet
from govdata.crypto.fields import decrypt_column, encrypt_column, encrypt_literals
from govdata.crypto.keystore import KeyStore
from govdata.db import new_id, utcnow
from govdata.profiles.models import Profile, ProfileAlias, ProfileAttribute, ProfileRecord
from govdata.profiles.stable import ALIAS_SCHEMA, MAPPING_SCHEMA, Assignment, ProfileState

RECORDS_TABLE = "profile_records"
ATTRIBUTES_TABLE = "profile_attributes"


def purpose(kind: str) -> str:
    return f"profiles:{kind}"


def seal(values: list[str | None], keys: DataKeySet, table: str, column: str) -> list[bytes]:
    sealed = encrypt_column(
        pa.array(values, pa.string()), keys, table=table, column=column, deterministic=True
    )
    return [value if value is not None else b"" for value in sealed.to_pylist()]


def unseal(values: list[bytes], keys: DataKeySet, table: str, column: str) -> list[str | None]:
    if not values:
        return []
    opened = decrypt_column(pa.array(values, pa.binary()), keys, table=table, column=column)
    return [str(value) if value is not None else None for value in opened.to_pylist()]


def sealed_literals(keys: DataKeySet, value: str, table: str, column: str) -> list[bytes]:
    """Every ciphertext ``value`` may be stored as (one per key version)."""
    return encrypt_literals([value], keys, table=table, column=column)


def reading_keys(session: Session, key_store: KeyStore, kind: str) -> DataKeySet:
    return DataKeys(session, key_store).for_reading(purpose(kind))


def load_state(
    session: Session, key_store: KeyStore, kind: str, organisation_id: str
) -> ProfileState:
    rows = session.execute(
        select(ProfileRecord.source_id, ProfileRecord.record_key, ProfileRecord.profile_id).where(
            ProfileRecord.kind == kind, ProfileRecord.organisation_id == organisation_id
        )
    ).all()
    aliases = session.execute(
        select(ProfileAlias.alias_id, ProfileAlias.profile_id).where(ProfileAlias.kind == kind)
    ).all()
    if not rows:
        mapping = MAPPING_SCHEMA.empty_table()
    else:
        keys = reading_keys(session, key_store, kind)
        record_keys = unseal([row[1] for row in rows], keys, RECORDS_TABLE, "record_key")
        mapping = pa.table(
            {
                "source_id": pa.array([row[0] for row in rows], pa.string()),
                "record_key": pa.array(record_keys, pa.string()),
                "profile_id": pa.array([row[2] for row in rows], pa.string()),
            }
        )
    alias_table = pa.table(
        {
            "alias_id": pa.array([row[0] for row in aliases], pa.string()),
            "profile_id": pa.array([row[1] for row in aliases], pa.string()),
        },
        schema=ALIAS_SCHEMA,
    )
    return ProfileState(mapping, alias_table)


def save_build(
    session: Session,
    key_store: KeyStore,
    *,
    kind: str,
    organisation_id: str,
    run_id: str,
    records: pa.Table,
    assignment: Assignment,
    candidates: pa.Table,
) -> None:
    """Write the profiles, records, aliases and attribute candidates of one build."""
    now = utcnow()
    keys = DataKeys(session, key_store).for_writing(
        purpose(kind), values=records.num_rows + 2 * candidates.num_rows
    )
    source_ids = sorted(set(records.column("source_id").to_pylist()))
    session.execute(
        delete(ProfileRecord).where(
            ProfileRecord.kind == kind,
            ProfileRecord.organisation_id == organisation_id,
            ProfileRecord.source_id.in_(source_ids),
        )
    )
    profile_ids: list[str] = assignment.profile_ids.to_pylist()
    counts = Counter(profile_ids)
    touched = sorted(counts)
    session.execute(delete(ProfileAttribute).where(ProfileAttribute.profile_id.in_(touched)))
    _upsert_profiles(
        session, kind=kind, organisation_id=organisation_id, run_id=run_id, counts=counts, now=now
    )
    for alias, survivor in assignment.merged:
        session.merge(ProfileAlias(alias_id=alias, profile_id=survivor, kind=kind, run_id=run_id))
        merged = session.get(Profile, alias)
        if merged is not None:
            merged.status, merged.merged_into, merged.updated_at = "merged", survivor, now
    # Older aliases pointing at a profile merged now follow it to the survivor.
    for alias, survivor in zip(
        assignment.state.aliases.column("alias_id").to_pylist(),
        assignment.state.aliases.column("profile_id").to_pylist(),
        strict=True,
    ):
        row = session.get(ProfileAlias, alias)
        if row is not None and row.profile_id != survivor:
            row.profile_id = survivor
    record_keys = seal(records.column("record_key").to_pylist(), keys, RECORDS_TABLE, "record_key")
    probabilities = records.column("match_probability").to_pylist()
    session.execute(
        insert(ProfileRecord),
        [
            {
                "id": new_id(),
                "profile_id": pid,
                "kind": kind,
                "organisation_id": organisation_id,
                "source_id": source_id,
                "source_version": version,
                "record_key": record_key,
                "method": method,
                "match_probability": probability,
                "linked_at": now,
            }
            for pid, source_id, version, record_key, method, probability in zip(
                profile_ids,
                records.column("source_id").to_pylist(),
                records.column("version").to_pylist(),
                record_keys,
                records.column("method").to_pylist(),
                probabilities,
                strict=True,
            )
        ],
    )
    if candidates.num_rows:
        values = seal(
            [str(v) for v in candidates.column("value").to_pylist()],
            keys,
            ATTRIBUTES_TABLE,
            "value",
        )
        candidate_keys = seal(
            candidates.column("record_key").to_pylist(), keys, ATTRIBUTES_TABLE, "record_key"
        )
        columns = {
            name: candidates.column(name).to_pylist()
            for name in (
                "profile_id", "attribute", "source_id", "version", "updated_at", "priority",
                "support", "chosen",
            )
        }  # fmt: skip
        session.execute(
            insert(ProfileAttribute),
            [
                {
                    "id": new_id(),
                    "profile_id": columns["profile_id"][i],
                    "kind": kind,
                    "attribute": columns["attribute"][i],
                    "value": values[i],
                    "source_id": columns["source_id"][i],
                    "source_version": columns["version"][i],
                    "record_key": candidate_keys[i],
                    "updated_at": columns["updated_at"][i],
                    "priority": columns["priority"][i],
                    "support": columns["support"][i],
                    "chosen": bool(columns["chosen"][i]),
                }
                for i in range(candidates.num_rows)
            ],
        )
    session.flush()


def _upsert_profiles(
    session: Session,
    *,
    kind: str,
    organisation_id: str,
    run_id: str,
    counts: Counter[str],
    now: datetime,
) -> None:
    existing = {
        profile.id: profile
        for profile in session.scalars(select(Profile).where(Profile.id.in_(sorted(counts))))
    }
    new_rows: list[dict[str, Any]] = []
    for pid, count in sorted(counts.items()):
        profile = existing.get(pid)
        if profile is None:
            new_rows.append(
                {
                    "id": pid,
                    "kind": kind,
                    "organisation_id": organisation_id,
                    "status": "active",
                    "record_count": count,
                    "run_id": run_id,
                    "created_at": now,
                    "updated_at": now,
                }
            )
        else:
            profile.status, profile.merged_into = "active", None
            profile.record_count, profile.run_id, profile.updated_at = count, run_id, now
    if new_rows:
        session.execute(insert(Profile), new_rows)


def resolve_alias(session: Session, profile_id: str) -> str:
    alias = session.get(ProfileAlias, profile_id)
    return alias.profile_id if alias is not None else profile_id
