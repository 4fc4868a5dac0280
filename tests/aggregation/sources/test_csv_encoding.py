"""The UTF-8 stream pyarrow reads CSV text through: any read size gives the text back whole."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from govdata.aggregation.sources import csv_encoding
from govdata.aggregation.sources.csv_encoding import Utf8Stream
from govdata.aggregation.sources.iconv_decoding import CodecDecoder, IconvDecoder, utf8_decoder

from .conftest import WriteText, read_all

# Four-byte GB18030 (𠀀), the euro sign, two-byte Chinese, ASCII and line breaks.
TEXT = "".join(
    itertools.islice(itertools.cycle(["张三", "a,b", "𠀀", "€", "\n", "呼和浩特"]), 5000)
)
SIZES = {"tiny": [1, 2, 3, 4, 5, 7, 64, 4096], "whole": [4, 5, 7, 64, 4096]}
# The stream's decoders: passing UTF-8 through, iconv, and CPython's codec as fallback.
DECODERS = {"utf-8": "utf-8", "iconv": "gb18030", "codec": "gb18030"}


@pytest.fixture(params=list(DECODERS))
def decoder(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    if request.param == "codec":
        monkeypatch.setattr(csv_encoding, "utf8_decoder", CodecDecoder)
    elif request.param == "iconv" and not isinstance(utf8_decoder("gb18030"), IconvDecoder):
        pytest.skip("the C library has no iconv for GB18030")
    return str(request.param)


def stream_of(path: Path, encoding: str) -> Utf8Stream:
    return Utf8Stream(path.open("rb"), encoding)


def reads(stream: Utf8Stream, sizes: list[int]) -> list[bytes]:
    """Every read up to the first empty one, cycling through ``sizes``."""
    chunks = []
    for size in itertools.cycle(sizes):
        chunk = stream.read(size)
        assert len(chunk) <= size
        if not chunk:
            return chunks
        chunks.append(chunk)
    raise AssertionError("unreachable")


@pytest.mark.parametrize("sizes", list(SIZES))
def test_reads_of_any_size_give_the_whole_text(
    write_text: WriteText, decoder: str, sizes: str
) -> None:
    encoding = DECODERS[decoder]
    path = write_text(TEXT, encoding=encoding)
    stream = stream_of(path, encoding)

    chunks = reads(stream, SIZES[sizes])

    assert b"".join(chunks).decode("utf-8") == TEXT
    assert stream.raw_bytes_read == path.stat().st_size
    assert stream.tail() == b"".join(chunks[-2:])
    stream.close()


def test_reads_of_at_least_four_bytes_hand_out_whole_characters(
    write_text: WriteText, decoder: str
) -> None:
    encoding = DECODERS[decoder]
    stream = stream_of(write_text(TEXT, encoding=encoding), encoding)

    chunks = reads(stream, SIZES["whole"])

    assert "".join(chunk.decode("utf-8") for chunk in chunks) == TEXT
    stream.close()


def test_two_byte_codes_that_iconv_decodes_to_four_utf8_bytes(tmp_path: Path) -> None:
    # glibc follows GB18030-2005: FE51 is U+20087, twice as long in UTF-8.
    if not isinstance(utf8_decoder("gb18030"), IconvDecoder):
        pytest.skip("the C library has no iconv for GB18030")
    path = tmp_path / "wide.csv"
    path.write_bytes(b"a\xfe\x51\n" * 3000)
    stream = stream_of(path, "gb18030")

    chunks = reads(stream, [5, 6, 7, 100])

    assert "".join(chunk.decode("utf-8") for chunk in chunks) == "a\U00020087\n" * 3000
    stream.close()


@pytest.mark.parametrize("decoder", ["iconv", "codec"], indirect=True)
def test_a_character_cut_by_the_end_of_the_file_does_not_decode(
    tmp_path: Path, decoder: str
) -> None:
    path = tmp_path / "cut.csv"
    path.write_bytes(TEXT.encode("gb18030") + "张".encode("gb18030")[:1])
    stream = stream_of(path, "gb18030")

    with pytest.raises(UnicodeDecodeError):
        reads(stream, [4096])

    assert stream.undecodable is not None
    stream.close()


def test_a_stopped_stream_is_at_its_end(write_text: WriteText, decoder: str) -> None:
    encoding = DECODERS[decoder]
    stream = stream_of(write_text(TEXT, encoding=encoding), encoding)
    assert stream.read(100)

    stream.stop()

    assert stream.read(100) == b""
    assert stream.read_buffer(100) == b""
    stream.close()


def test_gbk_csv_reads_with_the_codec_when_iconv_is_missing(
    write_text: WriteText, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(csv_encoding, "utf8_decoder", CodecDecoder)
    path = write_text("姓名,地址\n张三,呼和浩特市\n李四,包头市\n", encoding="gbk")

    result = read_all("csv", path)

    assert result.records == [
        {"姓名": "张三", "地址": "呼和浩特市"},
        {"姓名": "李四", "地址": "包头市"},
    ]
    assert result.rows == [2, 3]
    assert result.progress.bytes_read == path.stat().st_size
