"""Choosing a CSV file's encoding and handing its text to pyarrow as UTF-8.

Detection looks at a sample of the first bytes only (the file may be several
gigabytes): a UTF-8 BOM means UTF-8, a UTF-16 BOM UTF-16; a sample that
decodes strictly as UTF-8 is UTF-8; else one that decodes as GB18030 (which
covers GBK and GB2312, what Chinese Excel and most government systems save)
is GB18030. Bytes further on that do not fit the chosen encoding stop the read
with the line and byte offset where they are.

UTF-8 files go to pyarrow untouched (it validates UTF-8 itself while
converting); anything else is decoded to UTF-8 by :class:`Utf8Stream`
(GB18030 with ``iconv``, see :mod:`govdata.aggregation.sources.iconv_decoding`;
other encodings with Python's incremental decoder). Either way pyarrow gets
reads of the block size it asks for, less the bytes of a character cut at
the end, so a field longer than the block still fails the same way whatever
the encoding.
"""

from __future__ import annotations

import codecs
import ctypes
import io
from pathlib import Path
from typing import Any

import pyarrow as pa
from charset_normalizer import from_bytes

from govdata.aggregation.sources.iconv_decoding import (
    IconvDecoder,
    Utf8Decoder,
    utf8_decoder,
)
from govdata.errors import SourceFailed

SAMPLE_BYTES = 1 << 20
_PIECE_BYTES = 1 << 20
_WHOLE_READ_BYTES = 16 << 20
# The blocks handed to pyarrow come from malloc: with Arrow's default pool
# (mimalloc) the UTF-8 read measured in csv_source took 2.3-2.8 CPU-seconds
# instead of 1.9 (the kernel zeroing fresh pages); jemalloc did no better.
_POOL = pa.system_memory_pool()
_HINT_BYTES = 64 << 10
_UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)


def codec_name(encoding: str) -> str:
    """The canonical codec name of an encoding option, or source_encoding."""
    try:
        return codecs.lookup(encoding).name
    except LookupError:
        raise SourceFailed(
            f"未知的文件编码“{encoding}”，常用的有UTF-8、GBK、GB18030", code="source_encoding"
        ) from None


def detect_encoding(sample: bytes) -> str:
    """The encoding of a file judged from its first bytes (see the module docstring)."""
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if sample.startswith(_UTF16_BOMS):
        return "utf-16"
    failed_at = first_undecodable(sample, "utf-8", final=False)
    if failed_at is None:
        return "utf-8"
    if first_undecodable(sample, "gb18030", final=False) is None:
        return "gb18030"
    line = sample.count(b"\n", 0, failed_at) + 1
    # charset-normalizer guesses wildly on short or mixed text: a hint, not a decision.
    guess = from_bytes(sample[:_HINT_BYTES]).best()
    hint = f"（可能是{guess.encoding}编码）" if guess is not None else ""
    raise SourceFailed(
        f"无法识别文件编码：第{line}行（第{failed_at + 1}字节）既不是UTF-8也不是GBK/GB18030编码"
        f"{hint}，请指定文件编码（encoding）或另存为UTF-8",
        code="source_encoding",
    )


def check_sample(sample: bytes, encoding: str) -> None:
    """Refuse a declared encoding that the file's first bytes do not decode in."""
    failed_at = first_undecodable(sample, encoding, final=False)
    if failed_at is not None:
        raise undecodable_at(sample.count(b"\n", 0, failed_at) + 1, failed_at, encoding, True)


def first_undecodable(data: bytes, encoding: str, *, final: bool) -> int | None:
    """Offset of the first byte that does not decode, or None when all does."""
    try:
        codecs.getincrementaldecoder(encoding)("strict").decode(data, final)
    except UnicodeDecodeError as exc:
        return exc.start
    return None


def passes_through(encoding: str) -> bool:
    """True when the file's bytes can go to pyarrow as they are."""
    return codec_name(encoding) in {"utf-8", "utf-8-sig"}


def decoding_failure(path: Path, encoding: str, declared: bool) -> SourceFailed | None:
    """The error for the first undecodable bytes of a file, or None if it all decodes.

    Used once a read has failed, to say where: it rescans the file, which is
    affordable only on this error path. Bytes that stop short at the end of
    the file mean it was truncated in the middle of a character.
    """
    decoder = codecs.getincrementaldecoder(encoding)("strict")
    offset = 0
    with path.open("rb") as handle:
        while True:
            piece = handle.read(_PIECE_BYTES)
            pending = len(decoder.getstate()[0])
            try:
                decoder.decode(piece, final=not piece)
            except UnicodeDecodeError as exc:
                start = max(offset - pending + exc.start, 0)
                return _undecodable_at(path, start, encoding, declared, at_end=not piece)
            if not piece:
                return None
            offset += len(piece)


def _undecodable_at(
    path: Path, offset: int, encoding: str, declared: bool, *, at_end: bool
) -> SourceFailed:
    line = _line_at(path, offset)
    if at_end:
        return SourceFailed(
            f"文件在第{line}行的一个字符中间结束（第{offset + 1}字节起的字符不完整），"
            "文件可能被截断，请重新获取完整的文件",
            code="source_truncated",
        )
    return undecodable_at(line, offset, encoding, declared)


def undecodable_at(line: int, offset: int, encoding: str, declared: bool) -> SourceFailed:
    """The error for bytes at ``offset`` (on ``line``) that are not in ``encoding``."""
    how = f"按指定的编码{encoding}" if declared else f"按检测到的编码{encoding}"
    return SourceFailed(
        f"第{line}行（第{offset + 1}字节）无法{how}读取，请确认文件编码（常见为UTF-8或GBK），"
        "并在数据源中指定正确的编码（encoding）",
        code="source_encoding",
    )


def _line_at(path: Path, offset: int) -> int:
    newlines = 0
    remaining = offset
    with path.open("rb") as handle:
        while remaining > 0 and (piece := handle.read(min(_PIECE_BYTES, remaining))):
            newlines += piece.count(b"\n")
            remaining -= len(piece)
    return newlines + 1


class Utf8Stream(io.RawIOBase):
    """A binary file read as UTF-8: decoded from ``encoding`` unless it passes through.

    pyarrow reads on its I/O thread, ahead of parsing, through
    :meth:`read_buffer` (a file object's ``read_buffer`` is what pyarrow calls
    when there is one; :meth:`read` gives the same as bytes). Each read
    returns the size asked for, less the bytes of a character cut at the end
    (kept for the next read), so that what pyarrow has is always whole text.
    Once :meth:`stop` is called reads return end-of-file, which lets the
    reader wind pyarrow down before closing (see ``CsvReader.close``). The
    stream keeps the last two reads, so the end of the text can be inspected
    once pyarrow is done, and counts the raw bytes consumed for progress.

    Passed-through and ``iconv``-decoded text is read (or decoded) straight
    into a fresh Arrow buffer that pyarrow takes over without a copy, the raw
    bytes to decode being read into one reused 1 MiB buffer. Joining, slicing
    and zero-filling blocks instead had cost about 0.5 of the 3.6 CPU-seconds
    of the GBK read measured in :mod:`govdata.aggregation.sources.csv_source`.
    """

    def __init__(self, raw: io.BufferedIOBase, encoding: str) -> None:
        super().__init__()
        self._raw = raw
        self._encoding = encoding
        self._decoder = None if passes_through(encoding) else utf8_decoder(encoding)
        self._iconv = self._decoder if isinstance(self._decoder, IconvDecoder) else None
        # Raw bytes read and not decoded yet (iconv): self._input[_start:_end].
        self._input = pa.allocate_buffer(_PIECE_BYTES if self._iconv else 0)
        self._input_view = memoryview(self._input).cast("B")
        self._start = self._end = 0
        # UTF-8 read or decoded but not handed out yet.
        self._pending = b""
        self._at_end = False
        self._stopped = False
        self.raw_bytes_read = 0
        self.undecodable: UnicodeDecodeError | None = None
        self._previous: Any = b""
        self._last: Any = b""

    def readable(self) -> bool:
        return True

    def read(self, size: int | None = -1) -> bytes:
        if size is None or size < 0:
            return b"".join(iter(lambda: self.read(_WHOLE_READ_BYTES), b""))
        data = self.read_buffer(size)
        return data if isinstance(data, bytes) else data.to_pybytes()

    def read_buffer(self, size: int) -> Any:
        """Up to ``size`` bytes of UTF-8, as a ``pyarrow.Buffer`` or bytes; empty at the end."""
        if self._stopped or size <= 0:
            return b""
        try:
            if self._decoder is None:
                chunk = self._passed_through(size)
            elif self._iconv is not None:
                chunk = self._iconv_decoded(self._iconv, size)
            else:
                chunk = self._codec_decoded(self._decoder, size)
        except UnicodeDecodeError as exc:
            self.undecodable = exc
            raise
        if not len(chunk):
            return b""
        # Indexed, not through memoryview: a resized Arrow buffer exports its capacity.
        if len(chunk) > 1 and chunk[len(chunk) - 1] == _CR:
            # pyarrow's CSV reader drops the "\n" of a quoted "\r\n" split between
            # two reads (pyarrow 26): a read never ends in "\r" while more follows.
            self._pending = b"\r" + self._pending
            chunk = chunk[:-1] if isinstance(chunk, bytes) else _shortened(chunk)
        self._previous, self._last = self._last, chunk
        return chunk

    def stop(self) -> None:
        """From now on, reads return end-of-file."""
        self._stopped = True

    def tail(self) -> bytes:
        """The last bytes handed out (the last two reads)."""
        return b"".join((self._previous, self._last))

    def close(self) -> None:
        self._raw.close()
        if self._decoder is not None:
            self._decoder.close()
        super().close()

    def _passed_through(self, size: int) -> Any:
        output = pa.allocate_buffer(size, memory_pool=_POOL, resizable=True)
        with memoryview(output).cast("B") as view:
            have = self._take_pending(view)
            got = self._raw.readinto(view[have:]) or 0
            self.raw_bytes_read += got
            have += got
            # Past the end of the file, an unfinished character is handed out as it is.
            unfinished = _unfinished_bytes(view[max(have - 3, 0) : have]) if got else 0
            if 0 < unfinished < have:  # else the read is shorter than one character
                self._pending = bytes(view[have - unfinished : have]) + self._pending
                have -= unfinished
        output.resize(have)
        return output

    def _iconv_decoded(self, decoder: IconvDecoder, size: int) -> Any:
        output = pa.allocate_buffer(size, memory_pool=_POOL, resizable=True)
        with memoryview(output).cast("B") as view:
            have = self._take_pending(view)
        target, source = output.address, self._input.address
        while have < size:
            consumed, written, full = decoder.convert(
                source + self._start, self._end - self._start, target + have, size - have
            )
            self._start += consumed
            have += written
            if full:
                if not have:  # the next character is longer than the read
                    have = self._split_character(decoder, target, size)
                break
            # All the input is decoded, but maybe a character cut at its end.
            if not self._refill():
                break
        output.resize(have)
        return output

    def _refill(self) -> bool:
        """Read the next raw piece after the undecoded rest; False at the end of the file."""
        rest = self._end - self._start
        if rest:  # the start of a character cut at the end of the last piece
            self._input_view[:rest] = bytes(self._input_view[self._start : self._end])
        got = 0 if self._at_end else self._raw.readinto(self._input_view[rest:]) or 0
        self._at_end = not got
        self.raw_bytes_read += got
        self._start, self._end = 0, rest + got
        if self._at_end and rest:
            raise UnicodeDecodeError(
                self._encoding,
                bytes(self._input_view[:rest]),
                0,
                rest,
                "incomplete multibyte sequence",
            )
        return got > 0

    def _split_character(self, decoder: IconvDecoder, target: int, size: int) -> int:
        """Hand out the first ``size`` bytes of the next character, keep the rest pending."""
        character = ctypes.create_string_buffer(4)
        consumed, written, _ = decoder.convert(
            self._input.address + self._start,
            self._end - self._start,
            ctypes.addressof(character),
            len(character),
        )
        self._start += consumed
        ctypes.memmove(target, character, size)
        self._pending = character.raw[size:written]
        return size

    def _take_pending(self, view: memoryview) -> int:
        taken = min(len(self._pending), len(view))
        view[:taken] = self._pending[:taken]
        self._pending = self._pending[taken:]
        return taken

    def _codec_decoded(self, decoder: Utf8Decoder, size: int) -> bytes:
        parts = [self._pending]
        have = len(self._pending)
        while have < size and not self._at_end:
            text = self._next_piece(decoder)
            parts.append(text)
            have += len(text)
        data = b"".join(parts) if len(parts) > 1 else parts[0]
        # A read shorter than one character hands out the start of the character.
        cut = len(data) if size >= len(data) else _character_start(data, size) or size
        if cut == len(data):
            self._pending = b""
            return data
        chunk, self._pending = data[:cut], data[cut:]
        return chunk

    def _next_piece(self, decoder: Utf8Decoder) -> bytes:
        piece = self._raw.read(_PIECE_BYTES)
        self._at_end = not piece
        self.raw_bytes_read += len(piece)
        return decoder.decode(piece, self._at_end)


_CR = 0x0D


def _shortened(buffer: Any) -> Any:
    """A resizable Arrow buffer less its last byte."""
    buffer.resize(len(buffer) - 1)
    return buffer


def _unfinished_bytes(end: memoryview) -> int:
    """How many of the last bytes of UTF-8 text (``end``, up to 3) begin an unfinished character."""
    for back in range(1, len(end) + 1):
        byte = end[-back]
        if byte & 0xC0 != 0x80:  # the first byte of a character: 0xxxxxxx, 110xxxxx, ...
            length = 1 if byte < 0x80 else 2 if byte < 0xE0 else 3 if byte < 0xF0 else 4
            return back if length > back else 0
    return 0


def _character_start(data: bytes, offset: int) -> int:
    """``offset``, moved back to the start of the UTF-8 character it falls in."""
    start = offset
    # Continuation bytes are 10xxxxxx; a character has at most three of them.
    while start > offset - 3 and start > 0 and data[start] & 0xC0 == 0x80:
        start -= 1
    return start
