"""The aggregation and library pages of the portal: upload a source file, register
the source, run it, read the run, its quarantine and the data; build a library.

Each test drives the pages as a person would, through the forms and their CSRF
token. The app has a data directory of the test's own (inbox, lake, quarantine)
and runs loads inline, so a run started from a page has finished when the
redirect comes back.
"""

from __future__ import annotations

import asyncio
import csv
import io
import itertools
import re
import tempfile
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import parse_qs, urlsplit

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import settings as settings_for_hypothesis
from hypothesis import strategies as st
from sqlalchemy.orm import Session
from starlette.requests import Request

from govdata.actions import ActionRegistry, Context
from govdata.aggregation.dispatch import JobDispatcher
from govdata.aggregation.models import Source
from govdata.app import create_app
from govdata.authz import ANONYMOUS
from govdata.catalog.indexing import SearchService
from govdata.db import Database
from govdata.lake.location import LocalLocation
from govdata.libraries.standards import get_standard
from govdata.portal.aggregation_runs import duration, neutralised
from govdata.portal.aggregation_uploads import receive_upload
from govdata.services import Services
from govdata.settings import Settings
from govdata.web.auth import Caller
from tests.aggregation.conftest import CLEAN_ROWS, POPULATION_HEADER, valid_id
from tests.catalog.conftest import entry_data
from tests.factories import department, login

T = TypeVar("T")
HTML = {"Accept": "text/html"}
MARKET = "内蒙古自治区市场监督管理局"
AUTHORITY = "内蒙古自治区政务服务与数据管理局"
HEADER_COLUMNS = POPULATION_HEADER.split(",")
BAD_ID = "150102199003071230,赵六,1,1990-03-07,150102,某地,13800000000,2024-01-04 00:00:00"
RAGGED = "150102199003071234,多一列,1,1990-03-07,150102,某地,13800000000,2024-01-04 00:00:00,多余"
FORMULA = f'{valid_id("11010519491231003")},=HYPERLINK("http://x"),2,1949-12-31,110105,某地,,'


def gbk_people_csv() -> bytes:
    """Three clean rows, a wrong ID check digit, a ragged row and formula-looking text."""
    lines = [POPULATION_HEADER, *CLEAN_ROWS, BAD_ID, RAGGED, FORMULA]
    return ("\n".join(lines) + "\n").encode("gbk")


@pytest.fixture
def node_settings(settings: Settings, tmp_path: Path) -> Settings:
    data_dir = tmp_path / "node"
    data_dir.mkdir()
    return settings.model_copy(update={"data_dir": data_dir})


@pytest.fixture
def app(node_settings: Settings, db: Database, services: Services, tmp_path: Path) -> FastAPI:
    own = replace(
        services,
        search=SearchService(tmp_path / "search"),
        lake=LocalLocation(node_settings.data_dir / "lake"),
        jobs=JobDispatcher(node_settings),
    )
    return create_app(node_settings, db, own)


def post(client: TestClient, path: str, data: dict[str, Any]) -> Any:
    return client.post(path, data=data, headers=HTML, follow_redirects=False)


def redirected_id(response: Any, prefix: str) -> str:
    assert response.status_code == 303, response.text
    match = re.fullmatch(rf"{prefix}/([^/?#]+)", response.headers["location"])
    assert match is not None, response.headers["location"]
    return match.group(1)


def create_entry(client: TestClient, csrf: str, session: Session) -> str:
    market = department(session, MARKET)
    data = entry_data(market.id, None, code="102001/000001", name="人员登记信息")
    data["resources"] = []
    response = client.post("/api/v1/catalog/entries", json=data, headers={"X-CSRF-Token": csrf})
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def publish_entry_of(registry: ActionRegistry, operator: Context, source_id: str) -> None:
    """Complete and publish the (draft) entry of a source: until then its data is
    ungraded, which only the holder's provider officer may read (X2)."""
    source = operator.session.get(Source, source_id)
    assert source is not None
    market = department(operator.session, MARKET)
    system = registry.run(
        "system_register", operator, {"organisation_id": market.id, "name": "人员登记系统"}
    )
    data = entry_data(market.id, system.id, code="102001/000001", name="人员登记信息")
    del data["organisation_id"]
    registry.run("entry_update", operator, {"id": source.entry_id, **data})
    registry.run("entry_submit", operator, {"id": source.entry_id})
    registry.run("entry_review", operator, {"id": source.entry_id, "decision": "publish"})


def upload(client: TestClient, csrf: str, content: bytes, name: str = "人口.csv") -> Any:
    return client.post(
        "/aggregation/inbox",
        data={"csrf_token": csrf},
        files={"file": (name, content, "text/csv")},
        headers=HTML,
        follow_redirects=False,
    )


def standard_rows(columns: list[str]) -> dict[str, str]:
    """The population standard's rows as the form posts them, adopting ``columns``."""
    rows: dict[str, str] = {}
    for index, column in enumerate(get_standard("population").columns):
        if column.name in columns:
            rows[f"std-{index}-use"] = "on"
        rows[f"std-{index}-source"] = ""
    return rows


def source_form(csrf: str, entry_id: str, location: str, **changes: str) -> dict[str, str]:
    return {
        "csrf_token": csrf,
        "entry_id": entry_id,
        "name": "户籍人口（GBK 文件）",
        "kind": "csv",
        "mode": "physical",
        "location": location,
        "encoding": "",
        "column_mode": "standard",
        "standard": "population",
        "std_loaded": "population",
        "strategy": "full",
        "key_columns": "id_number",
        "updated_column": "",
        "drift_policy": "fail",
        "max_bad_percent": "60",
        "schedule": "",
        "blank_rows": "10",
        **standard_rows(HEADER_COLUMNS),
        **changes,
    }


@pytest.fixture
def provider_csrf(client: TestClient) -> str:
    return login(client, "provider")


@pytest.fixture
def location(client: TestClient, provider_csrf: str) -> str:
    response = upload(client, provider_csrf, gbk_people_csv())
    assert response.status_code == 303, response.text
    query = parse_qs(urlsplit(response.headers["location"]).query)
    return query["location"][0]


@pytest.fixture
def source_id(client: TestClient, provider_csrf: str, session: Session, location: str) -> str:
    entry_id = create_entry(client, provider_csrf, session)
    response = post(
        client, "/aggregation/sources/new", source_form(provider_csrf, entry_id, location)
    )
    return redirected_id(response, "/aggregation/sources")


@pytest.fixture
def run_id(client: TestClient, provider_csrf: str, source_id: str) -> str:
    response = post(client, f"/aggregation/sources/{source_id}/runs", {"csrf_token": provider_csrf})
    return redirected_id(response, "/aggregation/runs")


# --- uploading and registering -----------------------------------------------------


def test_an_upload_is_kept_in_the_inbox_and_fills_the_registration_form(
    client: TestClient, provider_csrf: str, node_settings: Settings
) -> None:
    response = upload(client, provider_csrf, gbk_people_csv())

    assert response.status_code == 303
    query = parse_qs(urlsplit(response.headers["location"]).query)
    stored = node_settings.inbox_dir / query["location"][0]
    assert stored.read_bytes() == gbk_people_csv()
    assert list((node_settings.inbox_dir / ".partial").iterdir()) == []
    form = client.get(response.headers["location"], headers=HTML)
    assert "已上传“人口.csv”" in form.text
    assert f'value="{query["location"][0]}"' in form.text


def test_an_upload_answers_json_clients_with_the_location(
    client: TestClient, provider_csrf: str
) -> None:
    response = client.post(
        "/aggregation/inbox",
        data={"csrf_token": provider_csrf},
        files={"file": ("people.csv", b"id_number\n1\n", "text/csv")},
        headers={"Accept": "application/json"},
    )
    assert response.status_code == 201
    assert response.json()["location"].endswith("-people.csv")
    assert response.json()["bytes"] == len(b"id_number\n1\n")


def test_an_upload_without_the_csrf_token_is_refused_and_nothing_is_kept(
    client: TestClient, provider_csrf: str, node_settings: Settings
) -> None:
    response = upload(client, "not-the-token", gbk_people_csv())

    assert response.status_code == 403
    assert not (node_settings.inbox_dir / "uploads").exists()
    partial = node_settings.inbox_dir / ".partial"
    assert not partial.exists() or list(partial.iterdir()) == []


def test_an_upload_without_a_file_shows_the_form_with_the_problem(
    client: TestClient, provider_csrf: str
) -> None:
    response = client.post(
        "/aggregation/inbox",
        data={"csrf_token": provider_csrf},
        files={"file": ("", b"", "application/octet-stream")},
        headers=HTML,
    )
    assert response.status_code == 422
    assert "请选择要上传的文件" in response.text


def test_an_upload_over_the_limit_is_refused_midway_and_its_partial_file_removed(
    node_settings: Settings, db: Database, services: Services, tmp_path: Path
) -> None:
    # Uploads may always be as large as any other body (64 KiB in the tests).
    small = node_settings.model_copy(update={"max_upload_bytes": 65_536})
    app = create_app(small, db, replace(services, search=SearchService(tmp_path / "s")))
    boundary = "govdata-test-boundary"

    def chunked_body(csrf: str) -> Any:
        yield (
            f"--{boundary}\r\n"
            'Content-Disposition: form-data; name="csrf_token"\r\n\r\n'
            f"{csrf}\r\n--{boundary}\r\n"
            'Content-Disposition: form-data; name="file"; filename="big.csv"\r\n'
            "Content-Type: text/csv\r\n\r\n"
        ).encode()
        for _ in range(100):
            yield b"x" * 1024  # no Content-Length: the limit applies while streaming
        yield f"\r\n--{boundary}--\r\n".encode()

    with TestClient(app, base_url="http://testserver") as client:
        csrf = login(client, "provider")
        response = client.post(
            "/aggregation/inbox",
            content=chunked_body(csrf),
            headers={**HTML, "Content-Type": f"multipart/form-data; boundary={boundary}"},
        )

    assert response.status_code == 413, response.text
    partial = small.inbox_dir / ".partial"
    assert not partial.exists() or list(partial.iterdir()) == []
    assert not (small.inbox_dir / "uploads").exists()


def run_coroutine(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run on a loop of its own (the browser tests leave one running in this thread)."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


class LostConnectionError(Exception):
    pass


def test_a_file_cut_off_while_streaming_leaves_no_partial_file(tmp_path: Path) -> None:
    boundary = "b0undary"
    messages = [
        (
            f"--{boundary}\r\n"
            'Content-Disposition: form-data; name="csrf_token"\r\n\r\ntoken\r\n'
            f"--{boundary}\r\n"
            'Content-Disposition: form-data; name="file"; filename="人口.csv"\r\n\r\n'
        ).encode(),
        b"id_number,name\n" * 1000,
    ]

    async def receive() -> dict[str, Any]:
        if messages:
            return {"type": "http.request", "body": messages.pop(0), "more_body": True}
        raise LostConnectionError  # what the body limit or a gone client does mid-stream

    scope = {
        "type": "http",
        "method": "POST",
        "path": "/aggregation/inbox",
        "headers": [(b"content-type", f"multipart/form-data; boundary={boundary}".encode())],
    }
    caller = Caller(actor=ANONYMOUS, session_token="session", csrf_token="token")
    staging = tmp_path / ".partial"

    with pytest.raises(LostConnectionError):
        run_coroutine(receive_upload(Request(scope, receive), caller, staging))

    assert staging.is_dir()
    assert list(staging.iterdir()) == []


def _multipart(boundary: str, fields: dict[str, str], file_name: str, content: bytes) -> bytes:
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
        for name, value in fields.items()
    ]
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
        f'filename="{file_name}"\r\nContent-Type: application/octet-stream\r\n\r\n'
    )
    return "".join([*parts, head]).encode() + content + f"\r\n--{boundary}--\r\n".encode()


def _stream(body: bytes, cuts: list[int], boundary: str, staging: Path) -> Any:
    """``receive_upload`` fed ``body`` in pieces cut at ``cuts``."""
    edges = [0, *sorted({c % (len(body) + 1) for c in cuts}), len(body)]
    pieces = [body[a:b] for a, b in itertools.pairwise(edges)]

    async def receive() -> dict[str, Any]:
        piece = pieces.pop(0) if pieces else b""
        return {"type": "http.request", "body": piece, "more_body": bool(pieces)}

    scope = {
        "type": "http",
        "method": "POST",
        "path": "/aggregation/inbox",
        "headers": [(b"content-type", f"multipart/form-data; boundary={boundary}".encode())],
    }
    caller = Caller(actor=ANONYMOUS, session_token="session", csrf_token="token")
    return run_coroutine(receive_upload(Request(scope, receive), caller, staging))


@settings_for_hypothesis(max_examples=60, deadline=None)
@given(
    content=st.binary(min_size=1, max_size=3000),
    cuts=st.lists(st.integers(min_value=0, max_value=4000), max_size=12),
    note=st.text(alphabet=st.characters(codec="utf-8", exclude_characters="\r\n"), max_size=30),
)
def test_an_upload_streams_the_same_bytes_however_the_body_is_cut(
    content: bytes, cuts: list[int], note: str
) -> None:
    boundary = "----govdata7MA4YWxkTrZu0gW"
    body = _multipart(boundary, {"csrf_token": "token", "note": note}, "人口.csv", content)
    with tempfile.TemporaryDirectory() as scratch:
        staging = Path(scratch) / ".partial"
        upload = _stream(body, cuts, boundary, staging)
        assert upload.staged.read_bytes() == content
        assert (upload.file_name, upload.size) == ("人口.csv", len(content))
        assert upload.fields == {"csrf_token": "token", "note": note}
        assert list(staging.iterdir()) == [upload.staged]


def test_a_refused_registration_keeps_the_input_and_marks_the_field(
    client: TestClient, provider_csrf: str, session: Session, location: str
) -> None:
    entry_id = create_entry(client, provider_csrf, session)
    form = source_form(
        provider_csrf,
        entry_id,
        location,
        column_mode="custom",
        **{"columns-0-name": "ID号", "columns-0-type": "string", "columns-0-label": "身份证"},
    )

    response = post(client, "/aggregation/sources/new", form)

    assert response.status_code == 422
    assert "列第1行·列名" in response.text
    assert 'value="ID号"' in response.text
    assert 'id="f-columns-0-name" name="columns-0-name" value="ID号"' in response.text
    assert 'aria-invalid="true"' in response.text


def test_more_column_rows_are_added_ten_at_a_time(
    client: TestClient, provider_csrf: str, session: Session, location: str
) -> None:
    entry_id = create_entry(client, provider_csrf, session)
    form = source_form(
        provider_csrf, entry_id, location, column_mode="custom", intent="more_columns"
    )

    response = post(client, "/aggregation/sources/new", form)

    assert response.status_code == 200
    assert 'name="columns-19-name"' in response.text
    assert 'name="columns-20-name"' not in response.text


def test_a_registered_source_shows_its_declared_columns(client: TestClient, source_id: str) -> None:
    page = client.get(f"/aggregation/sources/{source_id}", headers=HTML)

    assert page.status_code == 200
    assert "户籍人口（GBK 文件）" in page.text
    assert "公民身份号码（GB 11643 校验码）" in page.text
    assert "尚未归集入库" in page.text
    listing = client.get("/aggregation", headers=HTML)
    assert f"/aggregation/sources/{source_id}" in listing.text
    assert "物理归集" in listing.text


# --- running and reading ----------------------------------------------------------------


def test_the_run_page_shows_the_counts_and_the_quarantine_with_chinese_reasons(
    client: TestClient, run_id: str
) -> None:
    page = client.get(f"/aggregation/runs/{run_id}", headers=HTML)

    assert page.status_code == 200
    text = page.text
    assert 'data-status="succeeded"' in text
    assert '<span data-field="rows_read">6</span>' in text
    assert '<span data-field="rows_written">3</span>' in text
    assert '<span data-field="rows_quarantined">3</span>' in text
    assert "隔离区（3 行）" in text
    assert "公民身份号码校验码错误" in text
    assert "字段数与表头不一致" in text
    assert "疑似公式" in text
    assert "赵六" in text
    assert f"/aggregation/runs/{run_id}/quarantine.csv" in text
    assert "/static/run-progress.js" in text


def test_a_reviewer_sees_the_run_but_not_the_quarantined_values_of_ungraded_data(
    client: TestClient, run_id: str
) -> None:
    """The source's entry is a draft: its data is ungraded, decided as core data (X2)."""
    client.cookies.clear()
    login(client, "reviewer")

    page = client.get(f"/aggregation/runs/{run_id}", headers=HTML)

    assert page.status_code == 200
    assert "隔离区（3 行）" in page.text
    assert 'id="quarantine-refused"' in page.text
    assert "未定级数据（按核心数据对待）" in page.text
    assert "赵六" not in page.text
    download = client.get(f"/aggregation/runs/{run_id}/quarantine.csv", headers=HTML)
    assert download.status_code == 403
    assert "赵六" not in download.text


def test_the_quarantine_downloads_as_excel_friendly_csv_with_formulas_neutralised(
    client: TestClient, run_id: str
) -> None:
    response = client.get(f"/aggregation/runs/{run_id}/quarantine.csv")

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    assert response.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0][:3] == ["行号", "原因", "原因代码"]
    assert [row[0] for row in rows[1:]] == ["5", "6", "7"]
    by_number = {row[0]: dict(zip(rows[0], row, strict=True)) for row in rows[1:]}
    assert by_number["5"]["name"] == "赵六"
    assert "公民身份号码校验码错误" in by_number["5"]["原因"]
    assert by_number["6"]["原始内容"].endswith("多余")
    assert by_number["7"]["name"] == '\'=HYPERLINK("http://x")'


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("=1+2", "'=1+2"),
        ("+86 138", "'+86 138"),
        ("-1", "'-1"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("张三", "张三"),
        (None, ""),
        (5, "5"),
    ],
)
def test_formula_looking_cells_get_a_leading_apostrophe(value: object, shown: str) -> None:
    assert neutralised(value) == shown


@pytest.mark.parametrize(
    ("seconds", "said"),
    [(None, "—"), (0.4, "不到1秒"), (42, "约42秒"), (125, "约2分5秒"), (3723, "约1小时2分3秒")],
)
def test_time_left_reads_as_people_say_it(seconds: float | None, said: str) -> None:
    assert duration(seconds) == said


def test_the_source_page_lists_version_one_and_previews_its_rows(
    client: TestClient, source_id: str, run_id: str
) -> None:
    page = client.get(f"/aggregation/sources/{source_id}", headers=HTML)

    assert page.status_code == 200
    versions = page.text[page.text.index('id="versions-table"') :]
    assert "第1版" in versions
    assert "全量覆盖" in versions
    assert f"/aggregation/runs/{run_id}" in versions
    preview = page.text[page.text.index('id="data-table"') :]
    assert "李四" in preview
    assert "公民身份号码" in preview
    assert "共 3 行" in page.text


def test_the_lineage_page_draws_the_source_from_its_file_to_its_table(
    client: TestClient, source_id: str, run_id: str
) -> None:
    source_page = client.get(f"/aggregation/sources/{source_id}", headers=HTML)
    assert f'href="/lineage?source_id={source_id}"' in source_page.text

    page = client.get("/lineage", params={"source_id": source_id}, headers=HTML)

    assert page.status_code == 200
    graph = page.text[page.text.index('id="lineage-graph"') : page.text.index("</svg>")]
    assert graph.count('class="lineage-node') == 3
    assert graph.count("<line ") == 2
    assert "当前版本 1" in graph
    assert f'href="/aggregation/sources/{source_id}"' in graph
    columns = page.text[page.text.index('id="column-lineage"') :]
    assert "<code>id_number</code>" in columns


def test_an_objection_is_filed_from_the_source_page_and_answered_on_its_own_page(
    client: TestClient, provider_csrf: str, source_id: str, run_id: str
) -> None:
    source_page = client.get(f"/aggregation/sources/{source_id}", headers=HTML)
    assert f'href="/objections/new?source_id={source_id}"' in source_page.text
    form = client.get("/objections/new", params={"source_id": source_id}, headers=HTML)
    assert 'name="key-id_number"' in form.text

    filed = post(
        client,
        "/objections/new",
        {
            "csrf_token": provider_csrf,
            "source_id": source_id,
            "version": "1",
            "key-id_number": "150102199003071237",
            "field": "address",
            "reason": "住址已变更",
            "evidence": "迁入证明",
        },
    )
    assert filed.status_code == 303, filed.text
    listing = client.get("/objections", headers=HTML)
    link = re.search(r'href="/objections/([0-9a-f-]{36})"', listing.text)
    assert link is not None
    objection_path = f"/objections/{link.group(1)}"
    answered = post(
        client,
        f"{objection_path}/answer",
        {"csrf_token": provider_csrf, "outcome": "rejected", "reply": "经核对登记无误"},
    )
    assert answered.status_code == 303, answered.text
    page = client.get(objection_path, headers=HTML)

    facts = page.text[page.text.index('id="objection-facts"') :]
    assert "150102199003071237" in facts
    assert "已答复" in facts and "驳回：经核对登记无误" in facts
    steps = page.text[page.text.index('id="objection-steps"') :]
    assert "提出异议——住址已变更" in steps and "答复——经核对登记无误" in steps


def test_the_preview_filters_by_a_column_value_and_reads_old_versions(
    client: TestClient, source_id: str, run_id: str
) -> None:
    page = client.get(
        f"/aggregation/sources/{source_id}",
        params={"version": "1", "column": "name", "value": "李四"},
        headers=HTML,
    )
    assert "共 1 行" in page.text
    assert "张三" not in page.text[page.text.index('id="data-table"') :]


def test_a_second_run_while_one_is_queued_is_refused_on_the_source_page(
    client: TestClient, provider_csrf: str, source_id: str, app: FastAPI
) -> None:
    app.state.runtime.services.jobs.mode = "none"  # leave the first run queued
    first = post(client, f"/aggregation/sources/{source_id}/runs", {"csrf_token": provider_csrf})
    assert first.status_code == 303

    second = post(client, f"/aggregation/sources/{source_id}/runs", {"csrf_token": provider_csrf})

    assert second.status_code == 409
    assert "已有进行中的归集任务" in second.text
    queued = client.get(first.headers["location"], headers=HTML)
    assert 'data-status="queued"' in queued.text
    assert "本页每秒自动更新" in queued.text


def test_a_logical_source_is_read_at_the_source_only_when_asked(
    client: TestClient, provider_csrf: str, session: Session, location: str
) -> None:
    entry_id = create_entry(client, provider_csrf, session)
    form = source_form(
        provider_csrf, entry_id, location, mode="logical", name="户籍人口（逻辑接入）"
    )
    source_id = redirected_id(
        post(client, "/aggregation/sources/new", form), "/aggregation/sources"
    )

    page = client.get(f"/aggregation/sources/{source_id}", headers=HTML)
    assert "立即归集" not in page.text
    assert "查询源端数据" in page.text
    assert 'id="data-table"' not in page.text

    asked = client.get(
        f"/aggregation/sources/{source_id}",
        params={"preview": "1", "column": "name", "value": "王芳"},
        headers=HTML,
    )
    assert "源端实时数据" in asked.text
    rows = asked.text[asked.text.index('id="data-table"') :]
    assert "王芳" in rows
    assert "张三" not in rows


# --- who may open which page ------------------------------------------------------------


@pytest.mark.parametrize("path", ["/aggregation", "/aggregation/sources/new", "/libraries"])
def test_a_person_without_an_aggregation_role_gets_the_forbidden_page(
    client: TestClient, path: str
) -> None:
    login(client, "consumer")

    page = client.get(path, headers=HTML)

    assert page.status_code == 403
    assert "出错了" in page.text


def test_a_reviewer_may_read_sources_but_not_register_them(
    client: TestClient, source_id: str
) -> None:
    client.cookies.clear()
    login(client, "reviewer")
    listing = client.get("/aggregation", headers=HTML)
    assert f"/aggregation/sources/{source_id}" in listing.text
    assert "登记数据源" not in listing.text
    assert client.get("/aggregation/sources/new", headers=HTML).status_code == 403
    page = client.get(f"/aggregation/sources/{source_id}", headers=HTML)
    assert "立即归集" not in page.text


def test_signed_out_visitors_are_sent_to_log_in(client: TestClient) -> None:
    response = client.get("/aggregation", headers=HTML, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=/aggregation"


# --- libraries ----------------------------------------------------------------------------


def test_a_population_library_is_created_fed_built_and_previewed(
    client: TestClient,
    session: Session,
    source_id: str,
    run_id: str,
    registry: ActionRegistry,
    operator: Context,
) -> None:
    publish_entry_of(registry, operator, source_id)
    client.cookies.clear()
    csrf = login(client, "reviewer")
    authority = department(session, AUTHORITY)
    created = post(
        client,
        "/libraries/new",
        {
            "csrf_token": csrf,
            "kind": "base",
            "organisation_id": authority.id,
            "code": "",
            "name": "",
            "standard": "population",
        },
    )
    library_id = redirected_id(created, "/libraries")
    page = client.get(f"/libraries/{library_id}", headers=HTML)
    assert "人口基础库" in page.text
    assert "尚未构建" in page.text

    chosen = client.get(f"/libraries/{library_id}", params={"member_source": source_id})
    assert '<option value="id_number" selected>' in chosen.text
    mapping = {f"map-{name}": name for name in HEADER_COLUMNS}
    added = post(
        client,
        f"/libraries/{library_id}/members",
        {"csrf_token": csrf, "source_id": source_id, "priority": "10", **mapping},
    )
    assert added.status_code == 303
    build = post(client, f"/libraries/{library_id}/build", {"csrf_token": csrf})
    build_run = redirected_id(build, "/aggregation/runs")
    run_page = client.get(f"/aggregation/runs/{build_run}", headers=HTML)
    assert 'data-status="succeeded"' in run_page.text
    assert f"/libraries/{library_id}" in run_page.text

    page = client.get(
        f"/libraries/{library_id}", params={"column": "name", "value": "李四"}, headers=HTML
    )
    members = page.text[page.text.index('id="members-table"') :]
    assert "户籍人口（GBK 文件）" in members
    preview = page.text[page.text.index('id="data-table"') :]
    assert "李四" in preview
    assert "来源数据源" in preview
    assert "户籍人口（GBK 文件）" in preview
    # The reviewer is not the holding department: ID numbers and phones are masked.
    assert re.search(r"\d{6}\*{8}[0-9X]{4}", preview)
    assert not re.search(r"\d{17}[0-9X]", preview)
    assert "公民身份号码（部分遮蔽）" in page.text
    assert "共 1 行" in page.text


def test_a_theme_library_needs_its_columns_and_key(client: TestClient, session: Session) -> None:
    csrf = login(client, "reviewer")
    authority = department(session, AUTHORITY)
    form = {
        "csrf_token": csrf,
        "kind": "theme",
        "organisation_id": authority.id,
        "theme": "theme_credit",
        "key_columns": "",
    }
    refused = post(client, "/libraries/new", form)
    assert refused.status_code == 422
    assert "主题库须声明列" in refused.text

    form |= {
        "key_columns": "credit_code",
        "columns-0-name": "credit_code",
        "columns-0-label": "统一社会信用代码",
        "columns-0-type": "string",
        "columns-0-check": "credit_code",
        "columns-0-required": "on",
    }
    library_id = redirected_id(post(client, "/libraries/new", form), "/libraries")
    page = client.get(f"/libraries/{library_id}", headers=HTML)
    assert "信用体系主题库" in page.text
    assert "统一社会信用代码（GB 32100 校验码）" in page.text
