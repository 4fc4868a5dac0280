"""Chinese word segmentation for the catalog index (jieba, via ``rjieba``).

Documents are indexed under every dictionary word found inside their text,
not only under the words of one segmentation. jieba's search mode (fine +
coarse words) keeps the words of the precise segmentation and the dictionary
words within them, but it misses a word that straddles two precise words:
"人力资源和社会保障局" segments as 人力资源/和/社会/保障局, so search mode
never yields 社会保障, and "克拉玛依市" yields 克拉玛依市 but not 克拉玛依.
A query is segmented precisely, so a user typing 社会保障 would not find the
bureau. Indexing every dictionary word of two or more characters (jieba's full
mode, a superset of search mode's multi-character words) plus the single
characters the precise segmentation leaves on their own (the 人 of 法定代表人) makes a
query word match whenever it occurs in the text. Single characters inside
words are not indexed: this is word search, not character n-grams.

Both sides run without jieba's HMM guesser, whose invented words depend on the
surrounding text and so differ between a query and a document. Latin text is
lower-cased; punctuation and whitespace are dropped, as are a few function
words that would otherwise make a query such as 企业的登记信息 match nothing.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import rjieba

# Function words that carry no meaning in a catalog search but, as query
# words, would have to appear in the entry.
STOP_WORDS = frozenset({"的", "地", "得", "了", "之", "与", "及", "以及", "或", "或者", "和", "等"})

# A resource code (``101001/000001``) is looked up whole, never segmented.
_RESOURCE_CODE = re.compile(r"\d{3,9}/\d{6}")
_LETTER_OR_DIGIT = re.compile(r"[^\W_]")


def _is_word(token: str) -> bool:
    """A token with at least one letter, digit or Han character, not a stop word."""
    # ``isalnum`` first: almost every token is all Han characters, and this is hot.
    return token not in STOP_WORDS and (
        token.isalnum() or _LETTER_OR_DIGIT.search(token) is not None
    )


def index_words(text: str) -> list[str]:
    """The words a document's text is indexed under, with repeats (for term frequency).

    Every dictionary word of two or more characters inside the text, and the
    single-character words of its precise segmentation; a superset of the
    words of jieba's search mode.
    """
    lowered = text.lower()
    words = [token for token in rjieba.cut_all(lowered) if len(token) > 1 and _is_word(token)]
    words.extend(
        token for token in rjieba.cut(lowered, False) if len(token) == 1 and _is_word(token)
    )
    return words


def search_mode_words(text: str) -> list[str]:
    """jieba's search mode (fine and coarse words), normalised like the index.

    Kept for comparison and tests: :func:`index_words` always contains these.
    """
    return [token for token in rjieba.cut_for_search(text.lower(), False) if _is_word(token)]


def query_words(text: str) -> list[str]:
    """The words a query is segmented into (precise mode), without repeats.

    Each must match for an entry to be found. A whitespace-separated chunk
    that is a resource code stays whole.
    """
    words: list[str] = []
    for chunk in text.lower().split():
        if _RESOURCE_CODE.fullmatch(chunk):
            words.append(chunk)
        else:
            words.extend(token for token in rjieba.cut(chunk, False) if _is_word(token))
    return list(dict.fromkeys(words))


def joined(words: Iterable[str]) -> str:
    """Words as one whitespace-separated string, for the index's whitespace tokenizer.

    Segmenting in Python and letting tantivy split on spaces is much cheaper
    than building a pre-tokenized string token by token.
    """
    return " ".join(words)
