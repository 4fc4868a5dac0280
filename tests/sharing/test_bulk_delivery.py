"""Bulk delivery (S3): a granted table delivered as CSV and Parquet files with
checksums and a manifest, or into the grantee's own database; only the granted
fields, masked as granted, and the rows of the grant's scope; resumable by part;
ledgered."""

from __future__ import annotations

import hashlib
import json
from dataclasses import replace
from typing import Any

import pyarrow.parquet as pq
import pytest
from sqlalchemy import create_engine, text

from govdata.actions import ActionRegistry, Context
from govdata.crypto.primitives import sm3_hex
from govdata.db import Database
from govdata.errors import Forbidden, NotFound
from govdata.lake.checksum import Checksum
from govdata.ledger import decode_entry, entries_about, get_leaf
from govdata.ledger.entries import EntryKind
from govdata.services import Services
from govdata.settings import Settings
from govdata.sharing.bulk import delivery_dir, run_delivery
from tests.aggregation.conftest import Run
from tests.databases import create_scratch_database, drop_scratch_database
from tests.sharing.delivery_fixtures import approve

ID_LI = "150102199003071237"
POSTGRES_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


@pytest.fixture
def grant_id(as_consumer: Run, as_provider: Run, source: Any, conditional_entry: str) -> str:
    return approve(as_consumer, as_provider, conditional_entry, ["bulk", "query"])


@pytest.fixture
def deliver(consumer: Context, db: Database, agg_settings: Settings, agg_services: Services) -> Any:
    """Commit what the consumer started, then run the delivery to its end."""

    def run(delivery_id: str, settings: Settings = agg_settings, **options: Any) -> str:
        consumer.session.commit()
        return run_delivery(db, settings, agg_services, delivery_id, **options)

    return run


def test_files_with_checksums_and_a_manifest_hold_exactly_the_granted_masked_scoped_rows(
    registry: ActionRegistry,
    as_consumer: Run,
    consumer: Context,
    grant_id: str,
    source: Any,
    deliver: Any,
    agg_settings: Settings,
) -> None:
    started = as_consumer("delivery_start", {"grant_id": grant_id})

    assert deliver(started.id) == "succeeded"

    folder = delivery_dir(agg_settings, started.id)
    manifest = json.loads((folder / "manifest.json").read_text("utf-8"))
    assert (manifest["grant_id"], manifest["version"], manifest["total_rows"]) == (
        grant_id,
        started.version,
        2,
    )
    for listed in manifest["files"]:
        data = (folder / listed["name"]).read_bytes()
        assert listed["sha256"] == hashlib.sha256(data).hexdigest()
        assert listed["sm3"] == sm3_hex(data)
    csv = (folder / "part-00001.csv").read_bytes()
    assert csv.startswith(b"\xef\xbb\xbf")
    table = pq.read_table(folder / "part-00001.parquet")
    assert table.column_names == ["id_number", "name", "division_code"]
    assert sorted(table.column("division_code").to_pylist()) == ["150102", "150104"]
    checksum = Checksum()
    checksum.add_batch(table)
    assert manifest["checksum"] == checksum.hexdigest()
    # The same rows, masked the same way, as a read under the grant serves them.
    page = registry.run("data_read", consumer, {"source_id": source.id})
    assert sorted(map(str, table.to_pylist()), key=str) == sorted(map(str, page.rows), key=str)
    li = next(row for row in table.to_pylist() if row["division_code"] == "150102")
    assert li["id_number"] != ID_LI and li["name"].startswith("李") and li["name"] != "李四"


def test_a_filtered_extract_delivers_only_the_rows_asked_for(
    as_consumer: Run, grant_id: str, deliver: Any, agg_settings: Settings
) -> None:
    started = as_consumer(
        "delivery_start", {"grant_id": grant_id, "where": {"division_code": "150104"}}
    )
    deliver(started.id)

    table = pq.read_table(delivery_dir(agg_settings, started.id) / "part-00001.parquet")
    assert table.column("division_code").to_pylist() == ["150104"]


def test_an_extract_cannot_filter_on_a_field_not_granted(as_consumer: Run, grant_id: str) -> None:
    with pytest.raises(Forbidden) as caught:
        as_consumer("delivery_start", {"grant_id": grant_id, "where": {"phone": "13800138000"}})

    assert caught.value.error_code == "grant_field_not_granted"


def test_a_delivery_into_the_grantees_postgresql_table(
    as_consumer: Run, grant_id: str, deliver: Any
) -> None:
    try:
        url = create_scratch_database(POSTGRES_SERVER)
    except Exception as error:  # noqa: BLE001 (no local PostgreSQL: nothing to deliver into)
        pytest.skip(f"PostgreSQL at 127.0.0.1:5432 unreachable: {error}")
    try:
        started = as_consumer(
            "delivery_start",
            {
                "grant_id": grant_id,
                "target": "database",
                "database_url": url,
                "table_name": "people_received",
            },
        )
        assert deliver(started.id) == "succeeded"
        engine = create_engine(url)
        with engine.connect() as connection:
            rows = connection.execute(
                text("SELECT division_code, name FROM people_received ORDER BY division_code")
            ).all()
        engine.dispose()
        assert [row[0] for row in rows] == ["150102", "150104"]
        assert all(row[1] not in ("李四", "王芳") for row in rows)
    finally:
        drop_scratch_database(url)


class Interrupted(Exception):
    """Stands for the process being killed between two parts."""


def test_an_interrupted_delivery_resumes_from_the_last_completed_part(
    registry: ActionRegistry, consumer: Context, grant_id: str, deliver: Any
) -> None:
    one_row_parts = consumer.settings.model_copy(update={"delivery_part_rows": 1})
    started = registry.run(
        "delivery_start", replace(consumer, settings=one_row_parts), {"grant_id": grant_id}
    )
    assert started.parts_total == 3

    def killed_after_first(number: int) -> None:
        if number == 1:
            raise Interrupted

    with pytest.raises(Interrupted):
        deliver(started.id, one_row_parts, after_part=killed_after_first)
    consumer.session.expire_all()
    halfway = registry.run("delivery_get", consumer, {"id": started.id})
    assert (halfway.status, halfway.parts_done) == ("running", 1)

    resumed: list[int] = []
    assert deliver(started.id, one_row_parts, after_part=resumed.append) == "succeeded"

    assert resumed == [2, 3]
    consumer.session.expire_all()
    done = registry.run("delivery_get", consumer, {"id": started.id})
    assert (done.rows, done.parts_done) == (2, 3)  # 3 stored rows, 2 in the grant's scope


def test_refused_without_a_grant_to_the_caller(as_consumer: Run, source: Any) -> None:
    with pytest.raises(NotFound) as caught:
        as_consumer("delivery_start", {"grant_id": "00000000-0000-0000-0000-000000000000"})

    assert caught.value.error_code == "grant_not_found"


def test_refused_when_the_grant_does_not_carry_bulk_delivery(
    as_consumer: Run, as_provider: Run, source: Any, publish_entry: Any
) -> None:
    entry_id = publish_entry("conditional")
    query_only = approve(as_consumer, as_provider, entry_id, ["query"])

    with pytest.raises(Forbidden) as caught:
        as_consumer("delivery_start", {"grant_id": query_only})

    assert caught.value.error_code == "grant_method_not_granted"


def test_refused_once_the_grant_is_revoked_and_its_files_no_longer_download(
    as_consumer: Run, as_provider: Run, grant_id: str, deliver: Any
) -> None:
    started = as_consumer("delivery_start", {"grant_id": grant_id})
    deliver(started.id)
    assert as_consumer("delivery_file", {"id": started.id, "name": "manifest.json"}).path

    as_provider("grant_revoke", {"id": grant_id, "reason": "停止共享"})

    for name, data in (
        ("delivery_start", {"grant_id": grant_id}),
        ("delivery_file", {"id": started.id, "name": "manifest.json"}),
    ):
        with pytest.raises(Forbidden) as caught:
            as_consumer(name, data)
        assert caught.value.error_code == "grant_revoked"


def test_the_holders_officer_cannot_start_a_delivery(as_provider: Run, grant_id: str) -> None:
    with pytest.raises(Forbidden):
        as_provider("delivery_start", {"grant_id": grant_id})


def test_a_delivery_made_is_ledgered_with_who_which_grant_version_rows_and_checksum(
    as_consumer: Run, consumer: Context, grant_id: str, deliver: Any
) -> None:
    started = as_consumer("delivery_start", {"grant_id": grant_id})
    deliver(started.id)
    consumer.session.commit()

    entries = [
        decode_entry(get_leaf(consumer.session, i).entry)
        for i in entries_about(consumer.session, started.id)
    ]
    made = next(e for e in entries if e.kind == EntryKind.DELIVERY_MADE)
    data = made.body["data"]
    assert (data["grant_id"], data["rows"], data["requested_by"]) == (
        grant_id,
        2,
        consumer.actor.name,
    )
    assert data["checksum"] == as_consumer("delivery_get", {"id": started.id}).checksum
    assert data["manifest_sha256"] and data["manifest_sm3"]
