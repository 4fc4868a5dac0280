"""Paged HTTP JSON APIs, read page by page with httpx.

``location`` is the first page's URL. Options:

``records_path``
    Dotted path to the list of records in each page (default: the page
    itself is the list).
``paging``
    ``"page"`` (default): parameter ``page_param`` (default ``page``) counts
    from ``first_page`` (default 1); ``size_param`` with ``page_size`` asks
    for that many records per page. ``"offset"``: ``offset_param`` (default
    ``offset``) and ``limit_param`` (default ``limit``) with ``page_size``
    (default 100). ``"next"``: the next page's URL is at the dotted path
    ``next_path`` in each page. ``"none"``: a single page.
    Paging stops at an empty page, at a page shorter than ``page_size``
    (page and offset paging), or when there is no next URL.
``headers``
    Extra request headers (for example an API key).
``max_pages``
    Safety limit (default 10,000): an API still paging after that fails the
    read rather than loop for ever or load part of the data.
``retries`` / ``retry_backoff`` / ``timeout``
    A page answered with 5xx or not answered at all is retried up to
    ``retries`` times (default 3), waiting ``retry_backoff`` seconds
    (default 0.5), doubling each time; ``timeout`` is per request (default
    30 s). Other HTTP errors fail at once.

Records become text columns as in :mod:`govdata.aggregation.sources.records`;
a record that is not an object is a :class:`RejectedRow`
(``malformed_record``). Row numbers count records across pages from 1.
Errors name the page's URL without its query string, which may hold keys.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx

from govdata.aggregation.sources.base import RejectedRow, SourceBatch
from govdata.aggregation.sources.records import (
    FirstBatchReader,
    dotted_path,
    loads,
    malformed_record,
)
from govdata.errors import SourceFailed

DEFAULT_MAX_PAGES = 10_000
DEFAULT_PAGE_SIZE = 100
PAGING_STYLES = ("page", "offset", "next", "none")


class HttpReader(FirstBatchReader):
    """Streams the records of a paged JSON API."""

    def __init__(self, location: str, options: Mapping[str, Any], *, batch_rows: int) -> None:
        super().__init__()
        self._url = location
        self._options = options
        self._batch_rows = batch_rows
        self._paging = str(options.get("paging") or "page")
        if self._paging not in PAGING_STYLES:
            raise SourceFailed(
                f"不支持的分页方式“{self._paging}”（可用：{'、'.join(PAGING_STYLES)}）",
                code="source_malformed",
            )
        self._path = dotted_path(options.get("records_path"))
        self._page_size = _optional_int(options.get("page_size"))
        self._max_pages = int(options.get("max_pages") or DEFAULT_MAX_PAGES)
        self._retries = int(options.get("retries", 3))
        self._backoff = float(options.get("retry_backoff", 0.5))
        self._client = httpx.Client(
            headers={str(k): str(v) for k, v in dict(options.get("headers") or {}).items()},
            timeout=float(options.get("timeout") or 30),
            follow_redirects=True,
        )
        self._pages = self._records()
        self._read_first()

    def close(self) -> None:
        self._client.close()

    def _next_batch(self) -> SourceBatch | None:
        records: list[dict[str, Any]] = []
        rows: list[int] = []
        rejected: list[RejectedRow] = []
        for row, record, page in self._pages:
            if isinstance(record, dict):
                records.append(record)
                rows.append(row)
            else:
                rejected.append(malformed_record(row, record, f"第{page}页的第{row}条记录"))
            if len(records) + len(rejected) >= self._batch_rows:
                break
        if not records and not rejected:
            return None
        self._progress.rows_read += len(records) + len(rejected)
        return self._record_columns.batch(records, rows, rejected)

    def _records(self) -> Iterator[tuple[int, Any, int]]:
        """Every record of every page: (row number, record, page number)."""
        row = 0
        for page, items in enumerate(self._page_items(), start=1):
            for item in items:
                row += 1
                yield row, item, page

    def _page_items(self) -> Iterator[list[Any]]:
        options = self._options
        size_param = options.get("size_param")
        page_number = int(options.get("first_page", 1))
        offset = 0
        url = self._url
        for page in range(1, self._max_pages + 1):
            params: dict[str, Any] = {}
            if self._paging == "page":
                params[str(options.get("page_param") or "page")] = page_number
                if size_param and self._page_size:
                    params[str(size_param)] = self._page_size
            elif self._paging == "offset":
                params[str(options.get("offset_param") or "offset")] = offset
                params[str(options.get("limit_param") or "limit")] = self._limit()
            body = self._fetch(url, params, page)
            items = self._items(body, page)
            if not items:
                return
            yield items
            if self._paging == "none":
                return
            if self._paging == "next":
                next_url = self._next_url(body, url)
                if next_url is None:
                    return
                url = next_url
            elif self._stops_short() and len(items) < self._limit():
                return
            page_number += 1
            offset += len(items)
        raise SourceFailed(
            f"接口翻页超过{self._max_pages}页仍未结束（max_pages），请检查分页设置",
            code="source_malformed",
        )

    def _stops_short(self) -> bool:
        """Whether a page shorter than the page size is the last one."""
        return self._page_size is not None or self._paging == "offset"

    def _limit(self) -> int:
        return self._page_size or DEFAULT_PAGE_SIZE

    def _fetch(self, url: str, params: Mapping[str, Any], page: int) -> Any:
        shown = public_url(url)
        delay = self._backoff
        for attempt in range(self._retries + 1):
            last = attempt == self._retries
            try:
                # Merged by hand: httpx's params= would replace the URL's own query.
                response = self._client.get(httpx.URL(url).copy_merge_params(dict(params)))
            except httpx.HTTPError as exc:
                if last:
                    raise SourceFailed(
                        f"无法访问数据接口 {shown}（第{page}页，重试{self._retries}次后仍失败）："
                        f"{type(exc).__name__}",
                        code="source_http_error",
                    ) from None
            else:
                if response.status_code < 400:
                    self._progress.bytes_read += len(response.content)
                    return self._parsed(response, page, shown)
                if response.status_code < 500 or last:
                    tried = (
                        f"，重试{self._retries}次后仍失败" if response.status_code >= 500 else ""
                    )
                    raise SourceFailed(
                        f"数据接口 {shown} 第{page}页返回 HTTP {response.status_code}{tried}",
                        code="source_http_error",
                    )
            time.sleep(delay)
            delay *= 2
        raise AssertionError("unreachable")  # pragma: no cover

    def _parsed(self, response: httpx.Response, page: int, shown: str) -> Any:
        try:
            return loads(response.content.decode(response.encoding or "utf-8"))
        except (ValueError, LookupError):
            raise SourceFailed(
                f"数据接口 {shown} 第{page}页返回的不是有效的JSON", code="source_malformed"
            ) from None

    def _items(self, body: Any, page: int) -> list[Any]:
        found = _at_path(body, self._path)
        if not isinstance(found, list):
            where = f"“{'.'.join(self._path)}”处" if self._path else ""
            raise SourceFailed(
                f"数据接口第{page}页{where}没有记录列表（records_path）", code="source_malformed"
            )
        return found

    def _next_url(self, body: Any, current: str) -> str | None:
        found = _at_path(body, dotted_path(self._options.get("next_path") or "next"))
        if not found or not isinstance(found, str):
            return None
        return str(httpx.URL(current).join(found))


def public_url(url: str) -> str:
    """The URL without credentials, query string or fragment, safe to show."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.port is not None:
        host = f"{host}:{parts.port}"
    return urlunsplit((parts.scheme, host, parts.path, "", ""))


def _at_path(value: Any, path: list[str]) -> Any:
    for key in path:
        if not isinstance(value, dict):
            return None
        value = value.get(key)
    return value


def _optional_int(value: object) -> int | None:
    return int(str(value)) if value not in (None, "") else None
