"""Decoding GB18030, GBK and GB2312 text to UTF-8 with the C library's ``iconv``.

CPython's GB18030 codec holds the interpreter lock while it decodes, so on a
large file it is the one thing the rest of the load cannot run beside.
``iconv`` called through ctypes runs without the lock (ctypes releases it
for the call) and measured faster too: on the 669 MB GBK file described in
:mod:`govdata.aggregation.sources.csv_source`, decoding to UTF-8 in 1 MiB
pieces took 1.26-1.45 CPU-seconds with :meth:`IconvDecoder.decode` against
3.36-3.54 with :class:`CodecDecoder` (three runs each, same session);
``iconv -f GB18030`` from the shell 1.37-1.48.

GBK and GB2312 files are decoded as GB18030, their superset. glibc follows
GB18030-2005: the 25 two-byte codes that the 2005 edition moved out of the
Private Use Area (vertical punctuation such as ︐, and characters such as 龴)
decode to those standard characters, where CPython's codec gives the old
private-use code points; six of them (FE51, FE52...) are beyond the BMP, so
their UTF-8 is twice as long. glibc refuses the four-byte codes CPython's
codec writes for those characters (84318236 for ︐). Elsewhere the two agree,
on what they accept too.

Where the C library has no ``iconv`` for GB18030, :func:`utf8_decoder` falls
back to CPython's codec.
"""

from __future__ import annotations

import codecs
import ctypes
import ctypes.util
import errno
import threading
from typing import Protocol

_NATIVE_NAMES = {"gb18030": b"GB18030", "gbk": b"GB18030", "gb2312": b"GB18030"}
_FAILED = ctypes.c_size_t(-1).value


class Utf8Decoder(Protocol):
    """Turns pieces of encoded bytes into UTF-8 bytes, keeping split characters."""

    def decode(self, data: bytes, final: bool) -> bytes: ...

    def close(self) -> None: ...


def _load_iconv() -> ctypes.CDLL | None:
    name = ctypes.util.find_library("c")
    if name is None:
        return None
    try:
        library = ctypes.CDLL(name, use_errno=True)
        functions = (library.iconv_open, library.iconv, library.iconv_close)
    except (OSError, AttributeError):
        return None
    iconv_open, iconv, iconv_close = functions
    iconv_open.restype = ctypes.c_void_p
    iconv_open.argtypes = [ctypes.c_char_p, ctypes.c_char_p]
    pointer, size = ctypes.POINTER(ctypes.c_char_p), ctypes.POINTER(ctypes.c_size_t)
    iconv.restype = ctypes.c_size_t
    iconv.argtypes = [ctypes.c_void_p, pointer, size, pointer, size]
    iconv_close.restype = ctypes.c_int
    iconv_close.argtypes = [ctypes.c_void_p]
    return library


_LIBC = _load_iconv()


class IconvDecoder:
    """An ``iconv`` conversion to UTF-8; raises UnicodeDecodeError like a codec.

    :meth:`convert` works on memory the caller owns, which lets
    :class:`~govdata.aggregation.sources.csv_encoding.Utf8Stream` decode
    straight from its input buffer into the buffer it hands to pyarrow;
    :meth:`decode` is the bytes-in, bytes-out form of :class:`Utf8Decoder`.
    """

    def __init__(self, encoding: str) -> None:
        if _LIBC is None:
            raise LookupError(encoding)
        self._encoding = encoding
        handle = _LIBC.iconv_open(b"UTF-8", _NATIVE_NAMES[encoding])
        if handle is None or handle == _FAILED:
            raise LookupError(encoding)
        self._handle: int | None = handle
        self._pending = b""
        self._output = ctypes.create_string_buffer(0)
        # Decoding runs on pyarrow's I/O thread, closing on ours: never both at once.
        self._lock = threading.Lock()

    def convert(
        self, source: int, length: int, target: int, capacity: int
    ) -> tuple[int, int, bool]:
        """Decode ``length`` bytes at address ``source`` into ``capacity`` bytes at ``target``.

        Returns the bytes consumed, the bytes written and whether the output
        filled up (its room left is less than the next character needs).
        Otherwise all input was consumed but an incomplete character at its
        end, which a caller with more input passes again ahead of it. Only
        whole characters are written. Bytes that are not GB18030 raise
        UnicodeDecodeError. The caller keeps both memory areas alive.
        """
        with self._lock:
            if _LIBC is None or self._handle is None:
                raise ValueError("decoder is closed")
            in_pointer, in_left = ctypes.c_char_p(source), ctypes.c_size_t(length)
            out_pointer, out_left = ctypes.c_char_p(target), ctypes.c_size_t(capacity)
            result = _LIBC.iconv(
                self._handle,
                ctypes.byref(in_pointer),
                ctypes.byref(in_left),
                ctypes.byref(out_pointer),
                ctypes.byref(out_left),
            )
            failed = ctypes.get_errno() if result == _FAILED else 0
        consumed, written = length - in_left.value, capacity - out_left.value
        if failed == errno.EILSEQ:
            data = ctypes.string_at(source, length)
            raise UnicodeDecodeError(
                self._encoding, data, consumed, consumed + 1, "illegal multibyte sequence"
            )
        return consumed, written, failed == errno.E2BIG

    def decode(self, data: bytes, final: bool) -> bytes:
        source = self._pending + data if self._pending else data
        self._pending = b""
        # UTF-8 is at most twice as long: glibc decodes a few two-byte codes
        # (FE51, FE52...) to characters beyond the BMP, four bytes in UTF-8.
        room = 2 * len(source) + 4
        if len(self._output) < room:
            self._output = ctypes.create_string_buffer(room)
        output = ctypes.addressof(self._output)
        address = ctypes.cast(ctypes.c_char_p(source), ctypes.c_void_p).value or 0
        consumed, written, _ = self.convert(address, len(source), output, room)
        if consumed < len(source):
            if final:
                raise UnicodeDecodeError(
                    self._encoding, source, consumed, len(source), "incomplete multibyte sequence"
                )
            self._pending = source[consumed:]  # a character split across pieces
        return ctypes.string_at(output, written)

    def close(self) -> None:
        with self._lock:
            if self._handle is not None and _LIBC is not None:
                _LIBC.iconv_close(self._handle)
            self._handle = None

    def __del__(self) -> None:
        if hasattr(self, "_lock"):
            self.close()


class CodecDecoder:
    """CPython's incremental decoder, re-encoding to UTF-8."""

    def __init__(self, encoding: str) -> None:
        self._decoder = codecs.getincrementaldecoder(encoding)("strict")

    def decode(self, data: bytes, final: bool) -> bytes:
        return self._decoder.decode(data, final).encode("utf-8")

    def close(self) -> None:
        """Nothing to release."""


def utf8_decoder(encoding: str) -> Utf8Decoder:
    """The fastest decoder to UTF-8 for a (canonical) codec name."""
    if encoding in _NATIVE_NAMES:
        try:
            return IconvDecoder(encoding)
        except LookupError:
            pass
    return CodecDecoder(encoding)
