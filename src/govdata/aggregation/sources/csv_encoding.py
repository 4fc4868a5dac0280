"""Choosing a CSV file's encoding and handing its text to pyarrow as UTF-8.

Detection looks at a sample of the first bytes only (the file may be several
gigabytes): a UTF-8 BOM means UTF-8, a UTF-16 BOM UTF-16; a sample that
decodes strictly as UTF-8 is UTF-8; else one that decodes as GB18030 (which
covers GBK and GB2312, what Chinese Excel and most government systems save)
is GB18030. Bytes further on that do not fit the chosen encoding stop the read
with the line and byte offset where they are.

UTF-8 files go to pyarrow untouched (it validates UTF-8 itself while
converting); anything else is decoded by :class:`Utf8Stream` in 1 MiB pieces
to UTF-8 (GB18030 with ``iconv``, see
:mod:`govdata.aggregation.sources.iconv_decoding`; other encodings with
Python's incremental decoder), in reads of exactly the block size pyarrow
asks for, so a field longer than the block still fails the same way whatever
the encoding.
"""

from __future__ import annotations

import codecs
import io
from pathlib import Path
from typing import BinaryIO

from charset_normalizer import from_bytes

from govdata.aggregation.sources.iconv_decoding import utf8_decoder
from govdata.errors import SourceFailed

SAMPLE_BYTES = 1 << 20
_PIECE_BYTES = 1 << 20
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

    pyarrow calls :meth:`read` on its I/O thread, reading ahead. Each read
    returns the size asked for, less the bytes of a character cut at the end
    (kept for the next read), so that what pyarrow has is always whole text.
    Once :meth:`stop` is called reads return end-of-file, which lets the
    reader wind pyarrow down before closing (see ``CsvReader.close``). The
    stream keeps the last two reads, so the end of the text can be inspected
    once pyarrow is done, and counts the raw bytes consumed for progress.
    """

    def __init__(self, raw: BinaryIO, encoding: str) -> None:
        super().__init__()
        self._raw = raw
        self._decoder = None if passes_through(encoding) else utf8_decoder(encoding)
        self._pending = b""
        self._at_end = False
        self._stopped = False
        self.raw_bytes_read = 0
        self.undecodable: UnicodeDecodeError | None = None
        self._previous = b""
        self._last = b""

    def readable(self) -> bool:
        return True

    def read(self, size: int | None = -1) -> bytes:
        if self._stopped:
            return b""
        parts = [self._pending]
        have = len(self._pending)
        wanted = size if size is not None and size >= 0 else None
        while (wanted is None or have < wanted) and not self._at_end:
            text = self._next_piece()
            parts.append(text)
            have += len(text)
        data = b"".join(parts)
        cut = len(data) if wanted is None or wanted >= len(data) else _character_start(data, wanted)
        chunk, self._pending = data[:cut], data[cut:]
        if chunk:
            self._previous, self._last = self._last, chunk
        return chunk

    def stop(self) -> None:
        """From now on, reads return end-of-file."""
        self._stopped = True

    def tail(self) -> bytes:
        """The last bytes handed out (the last two reads)."""
        return self._previous + self._last

    def close(self) -> None:
        self._raw.close()
        if self._decoder is not None:
            self._decoder.close()
        super().close()

    def _next_piece(self) -> bytes:
        piece = self._raw.read(_PIECE_BYTES)
        self._at_end = not piece
        self.raw_bytes_read += len(piece)
        if self._decoder is None:
            return piece
        try:
            return self._decoder.decode(piece, self._at_end)
        except UnicodeDecodeError as exc:
            self.undecodable = exc
            raise


def _character_start(data: bytes, offset: int) -> int:
    """``offset``, moved back to the start of the UTF-8 character it falls in."""
    start = offset
    # Continuation bytes are 10xxxxxx; a character has at most three of them.
    while start > offset - 3 and start > 0 and data[start] & 0xC0 == 0x80:
        start -= 1
    return start
