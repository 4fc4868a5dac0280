"""Reading paged JSON APIs from a real HTTP server started by the tests."""

from __future__ import annotations

import json
import threading
from collections import Counter
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from govdata.errors import SourceFailed

from .conftest import read_all

RECORDS = [
    {"id": 1, "名称": "呼和浩特市政务服务局", "金额": 10.50},
    {"id": 2, "名称": "包头市数据局", "金额": 3},
    {"id": 3, "名称": "乌海市统计局", "地址": {"区": "海勃湾"}},
    {"id": 4, "名称": "赤峰市档案馆", "金额": None},
    {"id": 5, "名称": "通辽市民政局", "在用": True},
]
FAST = {"retry_backoff": 0.01}
# Paths that answer the same whatever the page.
FIXED_ANSWERS: dict[str, tuple[int, Any]] = {
    "/down": (503, {"error": "down"}),
    "/forbidden": (403, {"error": "no"}),
    "/no-list": (200, {"data": {"message": "没有数据"}}),
    "/endless": (200, RECORDS[:1]),
}


class Api:
    """What the test server answers, and what it was asked."""

    def __init__(self) -> None:
        self.hits: Counter[str] = Counter()
        self.headers: list[dict[str, str]] = []

    def answer(self, path: str, query: dict[str, str]) -> tuple[int, Any]:
        self.hits[path] += 1
        if path == "/page":
            size = int(query.get("size", "2"))
            start = (int(query["page"]) - 1) * size
            return 200, {"data": {"items": RECORDS[start : start + size]}}
        if path == "/page-until-empty":
            page = int(query["p"])
            return 200, RECORDS[page * 2 : page * 2 + 2]
        if path == "/offset":
            offset, limit = int(query["offset"]), int(query["limit"])
            return 200, {"rows": RECORDS[offset : offset + limit]}
        if path == "/next":
            cursor = int(query.get("cursor", "0"))
            body: dict[str, Any] = {"items": RECORDS[cursor : cursor + 2]}
            if cursor + 2 < len(RECORDS):
                body["links"] = {"next": f"/next?cursor={cursor + 2}"}
            return 200, body
        return self._trouble(path, query)

    def _trouble(self, path: str, query: dict[str, str]) -> tuple[int, Any]:
        first_page = query.get("page") == "1"
        if path == "/flaky":
            if self.hits[path] == 1:
                return 500, {"error": "busy"}
            return 200, RECORDS[:2] if first_page else []
        if path == "/not-json":
            return 200, RECORDS[:2] if first_page else "<html>出错了</html>"
        if path == "/mixed":
            return 200, [RECORDS[0], "文本", 7, RECORDS[1]] if first_page else []
        return FIXED_ANSWERS.get(path, (200, []))


@pytest.fixture(scope="module")
def server() -> Iterator[tuple[str, Api]]:
    api = Api()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            query = {key: values[0] for key, values in parse_qs(parts.query).items()}
            api.headers.append(dict(self.headers))
            status, body = api.answer(parts.path, query)
            data = body.encode() if isinstance(body, str) else json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            pass  # keep the test output quiet

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}", api
    finally:
        httpd.shutdown()
        httpd.server_close()


@pytest.fixture
def base(server: tuple[str, Api]) -> str:
    return server[0]


@pytest.fixture
def api(server: tuple[str, Api]) -> Api:
    server[1].hits.clear()
    server[1].headers.clear()
    return server[1]


def failure(url: str, **options: object) -> SourceFailed:
    with pytest.raises(SourceFailed) as caught:
        read_all("http", url, {**FAST, **options})
    return caught.value


def test_page_numbers_with_page_size_stop_at_a_short_page(base: str, api: Api) -> None:
    options = {"records_path": "data.items", "size_param": "size", "page_size": 2}

    result = read_all("http", f"{base}/page", options)

    assert result.columns == ["id", "名称", "金额", "地址", "在用"]
    assert result.records[0] == {
        "id": "1",
        "名称": "呼和浩特市政务服务局",
        "金额": "10.5",
        "地址": None,
        "在用": None,
    }
    assert result.records[2]["地址"] == '{"区":"海勃湾"}'
    assert result.records[4]["在用"] == "true"
    assert result.rows == [1, 2, 3, 4, 5]
    assert api.hits["/page"] == 3


def test_page_numbers_without_page_size_stop_at_an_empty_page(base: str, api: Api) -> None:
    options = {"page_param": "p", "first_page": 0}

    result = read_all("http", f"{base}/page-until-empty", options)

    assert [record["id"] for record in result.records] == ["1", "2", "3", "4", "5"]
    assert api.hits["/page-until-empty"] == 4


def test_offset_paging(base: str, api: Api) -> None:
    options = {"paging": "offset", "page_size": 2, "records_path": "rows"}

    result = read_all("http", f"{base}/offset", options)

    assert [record["id"] for record in result.records] == ["1", "2", "3", "4", "5"]
    assert api.hits["/offset"] == 3


def test_next_links_are_followed(base: str, api: Api) -> None:
    options = {"paging": "next", "next_path": "links.next", "records_path": "items"}

    result = read_all("http", f"{base}/next", options)

    assert [record["id"] for record in result.records] == ["1", "2", "3", "4", "5"]
    assert api.hits["/next"] == 3


def test_headers_are_sent(base: str, api: Api) -> None:
    read_all(
        "http", f"{base}/page-until-empty", {"page_param": "p", "headers": {"X-Api-Key": "k1"}}
    )

    assert all(headers.get("X-Api-Key") == "k1" for headers in api.headers)


def test_a_failing_page_is_retried(base: str, api: Api) -> None:
    result = read_all("http", f"{base}/flaky", FAST)

    assert [record["id"] for record in result.records] == ["1", "2"]
    assert api.hits["/flaky"] == 3


def test_a_page_that_keeps_failing_fails_with_its_status(base: str, api: Api) -> None:
    error = failure(f"{base}/down?token=secret-token", retries=2)

    assert error.error_code == "source_http_error"
    assert "HTTP 503" in error.message
    assert f"{base}/down" in error.message
    assert "secret-token" not in error.message
    assert api.hits["/down"] == 3


def test_client_errors_are_not_retried(base: str, api: Api) -> None:
    error = failure(f"{base}/forbidden")

    assert error.error_code == "source_http_error"
    assert "HTTP 403" in error.message
    assert api.hits["/forbidden"] == 1


def test_unreachable_api_fails_after_retries() -> None:
    error = failure("http://127.0.0.1:1/api", retries=1)

    assert error.error_code == "source_http_error"


def test_page_that_is_not_json_is_malformed_naming_the_page(base: str, api: Api) -> None:
    error = failure(f"{base}/not-json")

    assert error.error_code == "source_malformed"
    assert "第2页" in error.message


def test_page_without_a_list_at_records_path_is_malformed(base: str, api: Api) -> None:
    error = failure(f"{base}/no-list", records_path="data.items")

    assert error.error_code == "source_malformed"
    assert "第1页" in error.message
    assert "data.items" in error.message


def test_empty_first_page_gives_no_rows(base: str, api: Api) -> None:
    result = read_all("http", f"{base}/empty")

    assert (result.columns, result.records) == ([], [])
    assert api.hits["/empty"] == 1


def test_records_that_are_not_objects_are_rejected(base: str, api: Api) -> None:
    result = read_all("http", f"{base}/mixed")

    assert [record["id"] for record in result.records] == ["1", "2"]
    assert result.rows == [1, 4]
    assert [(r.row, r.raw, r.reason_code) for r in result.rejected] == [
        (2, "文本", "malformed_record"),
        (3, "7", "malformed_record"),
    ]


def test_paging_that_never_ends_stops_at_max_pages(base: str, api: Api) -> None:
    error = failure(f"{base}/endless", max_pages=5)

    assert error.error_code == "source_malformed"
    assert "max_pages" in error.message
    assert api.hits["/endless"] == 5


def test_batches_gather_pages_up_to_batch_rows(base: str, api: Api) -> None:
    options = {"records_path": "data.items", "size_param": "size", "page_size": 1}

    result = read_all("http", f"{base}/page", options, batch_rows=2)

    assert [table.num_rows for table in result.tables] == [2, 2, 1]
    assert result.progress.rows_read == 5
    assert result.progress.bytes_read > 0
