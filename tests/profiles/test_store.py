"""Profiles at rest: no record key or attribute value is stored in clear."""

from __future__ import annotations

import pyarrow as pa
from sqlalchemy import select
from sqlalchemy.orm import Session

from govdata.crypto.keystore import MemoryKeyStore, ensure_master_key
from govdata.profiles import store
from govdata.profiles.golden import golden_records
from govdata.profiles.kinds import PERSON
from govdata.profiles.linking import LinkOptions, SourceBatch, link
from govdata.profiles.models import Profile, ProfileAttribute, ProfileRecord
from govdata.profiles.stable import assign_profile_ids
from tests.factories import region
from tests.profiles.test_linking import ZHANG, person


def test_identity_numbers_and_phones_are_encrypted_in_the_profile_tables(session: Session) -> None:
    keystore = MemoryKeyStore()
    ensure_master_key(keystore)
    org = region(session, "150000")
    rows = [person(ZHANG, ZHANG, "张伟", phone="13904719999")]  # the ID is also the record key
    result = link(
        [SourceBatch("src-a", pa.Table.from_pylist(rows), priority=1)],
        PERSON,
        LinkOptions(probabilistic=False),
    )
    state = store.load_state(session, keystore, "person", org.id)
    assignment = assign_profile_ids(result.records, state)
    store.save_build(
        session,
        keystore,
        kind="person",
        organisation_id=org.id,
        run_id="run-1",
        records=result.records,
        assignment=assignment,
        candidates=golden_records(result.records, assignment.profile_ids, PERSON, candidates=True),
    )
    stored = [
        *session.scalars(select(ProfileRecord.record_key)),
        *session.scalars(select(ProfileAttribute.value)),
        *session.scalars(select(ProfileAttribute.record_key)),
    ]
    assert stored
    for value in stored:
        assert ZHANG.encode() not in value
        assert b"13904719999" not in value
    # ... and the next build finds the same profile again through the sealed keys.
    again = store.load_state(session, keystore, "person", org.id)
    assert again.mapping.column("record_key").to_pylist() == [ZHANG]
    assert [p.id for p in session.scalars(select(Profile))] == assignment.profile_ids.to_pylist()
