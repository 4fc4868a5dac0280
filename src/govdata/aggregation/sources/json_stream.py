"""The elements of one JSON array inside a document, without loading the document.

The document is decoded as UTF-8 (a BOM is allowed) a piece at a time; each
element of the array is parsed on its own with the standard library's
decoder, so memory holds one element (and one read-ahead piece) at a time.
Everything around the array is checked too, so a document cut short after
the array is still refused.
"""

from __future__ import annotations

import codecs
import json
import re
from collections.abc import Iterator, Sequence
from typing import Any, BinaryIO

from govdata.aggregation.sources.records import DECODER
from govdata.errors import SourceFailed

_PIECE_BYTES = 1 << 20
_NOT_WHITESPACE = re.compile(r"[^ \t\n\r]")
# Longer than any literal or split number ("false", "-1.5e", ...).
_MARGIN = 64


class JsonText:
    """The decoded text of a document, read on demand and dropped once parsed."""

    def __init__(self, handle: BinaryIO) -> None:
        self._handle = handle
        self._decoder = codecs.getincrementaldecoder("utf-8-sig")("strict")
        self._text = ""
        self._pos = 0
        self._at_end = False
        self.bytes_read = 0
        self.values_read = 0

    def peek(self) -> str:
        """The next character that is not whitespace ("" at the end of the document)."""
        while True:
            found = _NOT_WHITESPACE.search(self._text, self._pos)
            if found is not None:
                self._pos = found.start()
                return found.group()
            self._pos = len(self._text)
            if not self._read():
                return ""

    def take(self, expected: str, what: str) -> None:
        """Consume the character ``expected`` (after whitespace), or fail naming ``what``."""
        found = self.peek()
        if found != expected:
            raise self.unexpected(found, what)
        self._pos += 1

    def value(self) -> Any:
        """Parse the next JSON value."""
        self.peek()
        while True:
            near_end = len(self._text) - _MARGIN
            try:
                value, end = DECODER.raw_decode(self._text, self._pos)
            except json.JSONDecodeError as exc:
                # Only an error at the end of the text read so far may be cured by reading on.
                cut = exc.pos >= near_end or exc.msg.startswith("Unterminated")
                if cut and self._grow():
                    continue
                raise self._invalid(exc) from None
            # A value ending at the end of the text read so far may go on ("12" of "123").
            if end >= near_end and self._grow():
                continue
            self._pos = end
            self.values_read += 1
            return value

    def unexpected(self, found: str, what: str) -> SourceFailed:
        if not found:
            return truncated(self.values_read)
        return SourceFailed(
            f"JSON文档格式错误：第{self.values_read + 1}个值附近应为{what}，实为“{found}”",
            code="source_malformed",
        )

    def _invalid(self, exc: json.JSONDecodeError) -> SourceFailed:
        ends_early = exc.pos >= len(self._text.rstrip()) or exc.msg.startswith("Unterminated")
        if ends_early:
            return truncated(self.values_read)
        return SourceFailed(
            f"JSON文档格式错误：第{self.values_read + 1}个值附近{exc.msg}", code="source_malformed"
        )

    def _grow(self) -> bool:
        """Read until the unparsed text has doubled; False when nothing is left."""
        wanted = max(2 * (len(self._text) - self._pos), _PIECE_BYTES)
        grown = False
        while len(self._text) - self._pos < wanted and self._read():
            grown = True
        return grown

    def _read(self) -> bool:
        if self._at_end:
            return False
        piece = self._handle.read(_PIECE_BYTES)
        self._at_end = not piece
        self.bytes_read += len(piece)
        try:
            text = self._decoder.decode(piece, final=self._at_end)
        except UnicodeDecodeError as exc:
            if self._at_end:
                raise truncated(self.values_read) from None
            raise SourceFailed(
                f"JSON文档第{self.bytes_read - len(piece) + exc.start + 1}字节附近不是UTF-8编码",
                code="source_encoding",
            ) from None
        self._text = self._text[self._pos :] + text
        self._pos = 0
        return True


def truncated(values_read: int) -> SourceFailed:
    return SourceFailed(
        f"JSON文档在第{values_read + 1}个值附近意外结束，文件可能被截断，请重新获取完整的文件",
        code="source_truncated",
    )


def array_elements(text: JsonText, path: Sequence[str]) -> Iterator[Any]:
    """The elements of the array at ``path`` (keys of nested objects; empty: the document)."""
    if not text.peek():
        raise SourceFailed("JSON文件为空", code="source_empty")
    for depth, key in enumerate(path):
        _enter_member(text, key, ".".join(path[: depth + 1]))
    if text.peek() != "[":
        where = f"records_path“{'.'.join(path)}”处" if path else "文档顶层"
        hint = "" if path else "；记录在对象中时请设置 records_path"
        raise SourceFailed(f"JSON文档{where}不是数组{hint}", code="source_malformed")
    text.take("[", "“[”")
    if text.peek() == "]":
        text.take("]", "“]”")
    else:
        while True:
            yield text.value()
            if text.peek() == ",":
                text.take(",", "“,”")
                continue
            text.take("]", "“,”或“]”")
            break
    for _ in path:
        _leave_object(text)
    found = text.peek()
    if found:
        raise SourceFailed(
            f"JSON文档在数组之后还有多余的内容（“{found}”）", code="source_malformed"
        )


def _enter_member(text: JsonText, key: str, shown: str) -> None:
    """Move to the value of member ``key`` of the object that comes next."""
    if text.peek() != "{":
        raise SourceFailed(
            f"JSON文档中找不到 records_path“{shown}”：上一层不是对象", code="source_malformed"
        )
    text.take("{", "“{”")
    if text.peek() != "}":
        while True:
            name = text.value()
            text.take(":", "“:”")
            if name == key:
                return
            text.value()
            if text.peek() != ",":
                break
            text.take(",", "“,”")
    text.take("}", "“,”或“}”")
    raise SourceFailed(f"JSON文档中找不到 records_path“{shown}”", code="source_malformed")


def _leave_object(text: JsonText) -> None:
    """Check the rest of an object whose member was read, up to its closing brace."""
    while text.peek() == ",":
        text.take(",", "“,”")
        text.value()
        text.take(":", "“:”")
        text.value()
    text.take("}", "“,”或“}”")
