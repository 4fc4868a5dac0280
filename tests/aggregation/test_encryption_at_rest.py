"""Encryption at rest of sensitive columns through the real runner and actions (X4).

Citizen ID and phone number columns are stored as SM4-SIV ciphertexts under
the table's data key; reads, filters, merges and library builds see plain text.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from govdata.actions import ActionRegistry, Context
from govdata.crypto.datakeys import DataKeys
from govdata.crypto.errors import CryptoError, DecryptionFailed
from govdata.crypto.keystore import MemoryKeyStore
from govdata.errors import InvalidInput
from govdata.lake.checksum import checksum_python
from govdata.lake.protection import KEY_VERSION_METADATA, purpose_of
from govdata.lake.tables import LakeTable
from govdata.services import Services
from tests.aggregation.conftest import (
    CLEAN_ROWS,
    POPULATION_HEADER,
    Run,
    population_columns,
    write_csv,
)

ID_ZHANG = "11010519491231002X"
ID_LI = "150102199003071237"


def _register(as_provider: Run, entry_id: str, location: str, **extra: Any) -> Any:
    return as_provider(
        "source_register",
        {
            "entry_id": entry_id,
            "name": "户籍人口（加密存储）",
            "kind": "csv",
            "location": location,
            "columns": extra.pop("columns", population_columns()),
            "key_columns": ["id_number"],
            "updated_column": "updated_at",
            **extra,
        },
    )


def _lake(ctx: Context, source: Any) -> LakeTable:
    return LakeTable(ctx.services.lake, source.table_name)


def _file_bytes(lake: LakeTable, version: int | None = None) -> bytes:
    return b"".join(Path(uri).read_bytes() for uri in lake.file_uris(version))


def test_id_and_phone_columns_are_stored_as_ciphertext_and_read_back_in_plain_text(
    as_provider: Run, provider: Context, entry_id: str, inbox: Path, run_now: Callable[..., Any]
) -> None:
    location = write_csv(inbox, "people.csv", [POPULATION_HEADER, *CLEAN_ROWS], encoding="utf-8")
    source = _register(as_provider, entry_id, location, strategy="full")

    run = run_now(source.id)

    assert run.status == "succeeded", run.error_message
    lake = _lake(provider, source)
    stored = lake.schema()
    assert pa.types.is_binary(stored.field("id_number").type)
    assert pa.types.is_binary(stored.field("phone").type)
    assert pa.types.is_string(stored.field("name").type)
    files = _file_bytes(lake)
    for secret in (ID_ZHANG, ID_LI, "13800138000", "0471-6951234"):
        assert secret.encode() not in files
    assert "张三".encode() in files  # names are not declared encrypted here
    assert lake.history(1)[0].metadata[KEY_VERSION_METADATA] == "1"
    page = as_provider("data_read", {"source_id": source.id})
    assert {row["id_number"] for row in page.rows} == {
        ID_ZHANG,
        ID_LI,
        "150104198512120023",
    }
    assert {row["phone"] for row in page.rows} >= {"13800138000", "0471-6951234"}


def test_equality_filters_on_encrypted_columns_match_the_stored_ciphertexts(
    as_provider: Run, entry_id: str, inbox: Path, run_now: Callable[..., Any]
) -> None:
    location = write_csv(inbox, "people.csv", [POPULATION_HEADER, *CLEAN_ROWS])
    source = _register(as_provider, entry_id, location, strategy="full")
    run_now(source.id)

    one = as_provider("data_read", {"source_id": source.id, "where": {"id_number": ID_LI}})
    both = as_provider(
        "data_read", {"source_id": source.id, "where": {"id_number": ID_ZHANG, "name": "张三"}}
    )
    none = as_provider(
        "data_read", {"source_id": source.id, "where": {"id_number": "150102199003071231"}}
    )

    assert [row["name"] for row in one.rows] == ["李四"]
    assert one.total == 1
    assert [row["phone"] for row in both.rows] == ["13800138000"]
    assert (none.total, none.rows) == (0, [])


def test_a_column_declaration_turns_encryption_on_or_off(
    as_provider: Run, provider: Context, entry_id: str, inbox: Path, run_now: Callable[..., Any]
) -> None:
    columns = [
        column
        | {"encrypted": {"name": True, "phone": False}.get(column["name"], column["encrypted"])}
        for column in population_columns()
    ]
    location = write_csv(inbox, "people.csv", [POPULATION_HEADER, *CLEAN_ROWS])
    source = _register(as_provider, entry_id, location, strategy="full", columns=columns)

    run_now(source.id)

    stored = _lake(provider, source).schema()
    assert pa.types.is_binary(stored.field("name").type)
    assert pa.types.is_string(stored.field("phone").type)
    assert pa.types.is_binary(stored.field("id_number").type)
    page = as_provider("data_read", {"source_id": source.id, "where": {"name": "王芳"}})
    assert page.rows[0]["id_number"] == "150104198512120023"


def test_only_text_columns_can_be_declared_encrypted(as_provider: Run, entry_id: str) -> None:
    columns = [
        column | ({"encrypted": True} if column["name"] == "birth_date" else {})
        for column in population_columns()
    ]
    with pytest.raises(InvalidInput) as caught:
        _register(as_provider, entry_id, "people.csv", strategy="full", columns=columns)

    assert "只有文本列可以加密存储" in " ".join(caught.value.fields.values())


def test_merges_keep_the_tables_key_version_after_a_rotation_and_full_loads_take_the_new_one(
    as_provider: Run, provider: Context, entry_id: str, inbox: Path, run_now: Callable[..., Any]
) -> None:
    location = write_csv(inbox, "people.csv", [POPULATION_HEADER, *CLEAN_ROWS])
    source = _register(as_provider, entry_id, location, strategy="incremental")
    assert run_now(source.id).status == "succeeded"
    lake = _lake(provider, source)
    DataKeys(provider.session, provider.services.keystore).rotate(purpose_of(lake.name))
    provider.session.commit()
    changed = CLEAN_ROWS[1].replace("中山路8号", "大学西街1号").replace("2024-01-02", "2024-02-02")
    write_csv(inbox, "people.csv", [POPULATION_HEADER, *CLEAN_ROWS[:1], changed, *CLEAN_ROWS[2:]])

    merged = run_now(source.id)

    assert merged.status == "succeeded", merged.error_message
    assert (merged.rows_inserted, merged.rows_updated) == (0, 1)
    assert lake.history(1)[0].metadata[KEY_VERSION_METADATA] == "1"
    full = run_now(source.id, strategy="full")
    assert full.status == "succeeded", full.error_message
    assert lake.history(1)[0].metadata[KEY_VERSION_METADATA] == "2"
    for version in (1, merged.version, full.version):
        page = as_provider(
            "data_read", {"source_id": source.id, "version": version, "where": {"id_number": ID_LI}}
        )
        assert page.total == 1, version
    latest = as_provider("data_read", {"source_id": source.id, "where": {"id_number": ID_LI}})
    assert latest.rows[0]["address"].endswith("大学西街1号")


def test_a_node_without_its_master_key_refuses_to_load_or_read_encrypted_columns(
    registry: ActionRegistry,
    provider: Context,
    as_provider: Run,
    entry_id: str,
    inbox: Path,
    run_now: Callable[..., Any],
    agg_services: Services,
) -> None:
    location = write_csv(inbox, "people.csv", [POPULATION_HEADER, *CLEAN_ROWS])
    source = _register(as_provider, entry_id, location, strategy="full")
    run_now(source.id)
    keyless = replace(provider, services=replace(agg_services, keystore=MemoryKeyStore()))

    with pytest.raises(CryptoError) as caught:
        registry.run("data_read", keyless, {"source_id": source.id})

    assert caught.value.status == 503
    assert caught.value.error_code in {"key_store_missing", "master_key_missing"}


def test_a_changed_ciphertext_in_a_data_file_is_refused_not_served(
    as_provider: Run, provider: Context, entry_id: str, inbox: Path, run_now: Callable[..., Any]
) -> None:
    location = write_csv(inbox, "people.csv", [POPULATION_HEADER, *CLEAN_ROWS])
    source = _register(as_provider, entry_id, location, strategy="full")
    run_now(source.id)
    lake = _lake(provider, source)
    path = Path(lake.file_uris()[0])
    rows = pq.read_table(path)
    forged = rows.column("id_number").to_pylist()
    forged[0] = forged[0][:-1] + bytes([forged[0][-1] ^ 1])
    index = rows.schema.get_field_index("id_number")
    pq.write_table(rows.set_column(index, "id_number", pa.array(forged, pa.binary())), path)

    with pytest.raises(DecryptionFailed, match="id_number"):
        as_provider("data_read", {"source_id": source.id})


def test_the_version_checksum_covers_the_stored_ciphertexts(
    as_provider: Run, provider: Context, entry_id: str, inbox: Path, run_now: Callable[..., Any]
) -> None:
    location = write_csv(inbox, "people.csv", [POPULATION_HEADER, *CLEAN_ROWS])
    source = _register(as_provider, entry_id, location, strategy="full")
    run = run_now(source.id)
    lake = _lake(provider, source)

    stored = lake.dataset(run.version).to_table()
    rows = [tuple(row.values()) for row in stored.to_pylist()]

    assert checksum_python(rows) == run.checksum
