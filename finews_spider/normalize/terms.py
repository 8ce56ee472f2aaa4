"""Search terms for Chinese text: what MongoDB's text index cannot do (it does not segment
Chinese), done as data: CJK character bigrams plus lower-cased Latin words and numbers.

Pure: `search_terms(title, body)` is stored with each article (field `search_terms`, a
multikey index) and `query_terms(phrase)` turns a query into the terms every matching
article must have. Bigrams over-approximate a phrase (碳中 + 中和 also match 碳中…中和), so
the reader confirms each candidate against the text with `phrase_pattern`; the result is
exactly what a `$regex` scan with that pattern finds, from the index instead of a scan.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

#: CJK unified ideographs (basic, extension A, compatibility, extensions B-F).
_CJK_CLASS = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002ebef\U00030000-\U0003134f"
_RUN = re.compile(f"[{_CJK_CLASS}]+|[0-9A-Za-z]+")
_LATIN = re.compile("[0-9A-Za-z]")
#: Every pair of adjacent CJK characters (the lookahead lets the pairs overlap), found in C.
_BIGRAM = re.compile(f"(?=([{_CJK_CLASS}]{{2}}))")
_WORD = re.compile("[0-9A-Za-z]+")
#: Longer Latin runs (a hash, a base64 blob) are indexed by their start; the phrase check
#: still compares them whole.
MAX_TERM = 64


def _terms(text: str) -> Iterable[str]:
    # A lone CJK character yields no bigram: queries never look for one.
    yield from _BIGRAM.findall(text)
    yield from (word[:MAX_TERM].lower() for word in _WORD.findall(text))


def search_terms(*texts: str | None) -> list[str]:
    """The sorted distinct terms of `texts` (title, body): CJK bigrams, Latin words and
    numbers lower-cased."""
    found: set[str] = set()
    for text in texts:
        if text:
            found.update(_terms(text))
    return sorted(found)


def query_terms(phrase: str) -> list[str]:
    """Terms an article must have to contain `phrase`: its CJK bigrams and Latin words.

    A lone CJK character in the query gives no term (in the text it may sit inside a longer
    run, indexed only as bigrams); the phrase check then decides. Empty for a query such as
    `油`: the caller falls back to a scan."""
    terms: list[str] = []
    for match in _RUN.finditer(phrase):
        run = match.group()
        if _LATIN.match(run):
            terms.append(run[:MAX_TERM].lower())
        elif len(run) > 1:
            terms.extend(run[i : i + 2] for i in range(len(run) - 1))
    return list(dict.fromkeys(terms))


def phrase_pattern(phrase: str) -> str:
    """The regular expression (PCRE and Python alike, case-insensitive) a text containing
    `phrase` matches: the phrase literally, and a Latin word or number only whole (ESG does
    not match inside ESGs, 2024 not inside 20240305), as the terms index them."""
    pattern = re.escape(phrase)
    if _LATIN.match(phrase[:1]):
        pattern = "(?<![0-9A-Za-z])" + pattern
    if _LATIN.match(phrase[-1:]):
        pattern += "(?![0-9A-Za-z])"
    return pattern


def split_query(query: str) -> list[str]:
    """Phrases of a query: separated by white space, all required."""
    return list(dict.fromkeys(query.split()))
