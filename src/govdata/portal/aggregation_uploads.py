"""Streaming a source file upload to the inbox's staging area.

A source file may be gigabytes, so the multipart body is parsed as it
arrives and the file part is written to ``<inbox>/.partial/<random>`` chunk
by chunk; it is never held in memory, nor spooled elsewhere first. The small
text fields (the CSRF token) must come before the file, as browsers send
them in the form's order: nothing is written for a request whose token is
wrong. Whatever goes wrong (a bad token, a malformed body, a body over the
upload limit, a client that goes away), the partial file is removed.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from python_multipart.exceptions import FormParserError
from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request

from govdata.errors import InvalidInput
from govdata.web.auth import Caller, require_csrf

if TYPE_CHECKING:
    from python_multipart.multipart import MultipartCallbacks

FILE_FIELD = "file"
MAX_TEXT_FIELDS = 20
MAX_TEXT_BYTES = 10_000

Event = tuple[str, bytes]


@dataclass
class Upload:
    """A file streamed to the staging area, and the text fields sent with it."""

    file_name: str
    staged: Path
    size: int
    fields: dict[str, str]


def _collector(events: list[Event]) -> MultipartCallbacks:
    def mark(kind: str) -> Callable[[], None]:
        return lambda: events.append((kind, b""))

    def data(kind: str) -> Callable[[bytes, int, int], None]:
        return lambda chunk, start, end: events.append((kind, chunk[start:end]))

    return {
        "on_part_begin": mark("begin"),
        "on_header_field": data("field"),
        "on_header_value": data("value"),
        "on_header_end": mark("header_end"),
        "on_headers_finished": mark("headers_done"),
        "on_part_data": data("data"),
        "on_part_end": mark("end"),
    }


@dataclass
class _Receiver:
    """Turns parser events into text fields and one file written to ``staging``."""

    request: Request
    caller: Caller
    staging: Path
    fields: dict[str, str] = field(default_factory=dict)
    file_name: str = ""
    staged: Path | None = None
    size: int = 0
    _file: BinaryIO | None = None
    _header: tuple[bytes, bytes] = (b"", b"")
    _headers: dict[bytes, bytes] = field(default_factory=dict)
    _name: str = ""
    _skip: bool = False
    _text: bytearray = field(default_factory=bytearray)

    async def handle(self, events: list[Event]) -> None:
        pending = bytearray()
        for kind, data in events:
            if kind == "begin":
                self._headers, self._header, self._text = {}, (b"", b""), bytearray()
            elif kind == "field":
                self._header = (self._header[0] + data, self._header[1])
            elif kind == "value":
                self._header = (self._header[0], self._header[1] + data)
            elif kind == "header_end":
                self._headers[self._header[0].strip().lower()] = self._header[1].strip()
                self._header = (b"", b"")
            elif kind == "headers_done":
                self._start_part()
            elif kind == "data":
                if self._file is not None:
                    pending += data
                elif not self._skip:
                    self._text += data
                    if len(self._text) > MAX_TEXT_BYTES:
                        raise InvalidInput("表单字段过长", fields={self._name: "过长"})
            elif kind == "end":
                await self._write(pending)
                pending = bytearray()
                self._end_part()
        await self._write(pending)

    def _start_part(self) -> None:
        disposition = self._headers.get(b"content-disposition", b"").decode("latin-1")
        _, options = parse_options_header(disposition)
        self._name = options.get(b"name", b"").decode("utf-8", errors="replace")
        self._skip = False
        filename = options.get(b"filename")
        if filename is None:
            if len(self.fields) >= MAX_TEXT_FIELDS:
                raise InvalidInput("表单字段过多")
            return
        # A file input left empty is sent as a part without a file name.
        if self._name != FILE_FIELD or not filename:
            self._skip = True
            return
        if self.staged is not None:
            raise InvalidInput("一次只能上传一个文件", fields={FILE_FIELD: "多于一个"})
        require_csrf(self.request, self.caller, self.fields.get("csrf_token"))
        self.file_name = filename.decode("utf-8", errors="replace")
        self.staging.mkdir(parents=True, exist_ok=True)
        self.staged = self.staging / secrets.token_hex(16)
        self._file = self.staged.open("xb")

    async def _write(self, data: bytearray) -> None:
        if self._file is not None and data:
            await run_in_threadpool(self._file.write, bytes(data))
            self.size += len(data)

    def _end_part(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None
        elif not self._skip and self._name:
            self.fields[self._name] = self._text.decode("utf-8", errors="replace")

    @property
    def unfinished(self) -> bool:
        """The body ended inside the file part (no closing boundary)."""
        return self._file is not None

    def discard(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None
        if self.staged is not None:
            self.staged.unlink(missing_ok=True)
            self.staged = None


def _check_complete(request: Request, caller: Caller, receiver: _Receiver) -> None:
    if receiver.unfinished:
        raise InvalidInput("上传不完整（文件未传完），请重新上传", fields={FILE_FIELD: "不完整"})
    if receiver.staged is None:
        require_csrf(request, caller, receiver.fields.get("csrf_token"))
        raise InvalidInput("请选择要上传的文件", fields={FILE_FIELD: "未选择文件"})
    if receiver.size == 0:
        raise InvalidInput("上传的文件是空的", fields={FILE_FIELD: "空文件"})


async def receive_upload(request: Request, caller: Caller, staging: Path) -> Upload:
    """Stream the request's ``file`` part to ``staging``; the caller keeps or removes it."""
    content_type, params = parse_options_header(request.headers.get("content-type", ""))
    boundary = params.get(b"boundary")
    if content_type != b"multipart/form-data" or not boundary:
        raise InvalidInput("请用文件上传表单（multipart/form-data）提交文件")
    events: list[Event] = []
    receiver = _Receiver(request, caller, staging)
    try:
        parser = MultipartParser(boundary, _collector(events))
        async for chunk in request.stream():
            parser.write(chunk)
            await receiver.handle(events)
            events.clear()
        parser.finalize()
        await receiver.handle(events)
        _check_complete(request, caller, receiver)
    except FormParserError:
        receiver.discard()
        raise InvalidInput("上传的表单格式错误，请重新选择文件上传") from None
    except BaseException:
        receiver.discard()
        raise
    assert receiver.staged is not None  # noqa: S101 (checked complete)
    return Upload(
        file_name=receiver.file_name,
        staged=receiver.staged,
        size=receiver.size,
        fields=dict(receiver.fields),
    )
