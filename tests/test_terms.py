"""Search terms are a stored field and the search index's keys: how they are computed may
change, what they are may not (stored articles would stop matching their own text)."""

from __future__ import annotations

import re

from hypothesis import example, given
from hypothesis import strategies as st

from finews_spider.normalize.terms import _CJK_CLASS, MAX_TERM, search_terms

_RUN = re.compile(f"[{_CJK_CLASS}]+|[0-9A-Za-z]+")


def _by_runs(text: str) -> set[str]:
    """The definition: each run of CJK characters gives its bigrams, each run of ASCII
    letters and digits itself (lower-cased, cut at MAX_TERM)."""
    terms: set[str] = set()
    for match in _RUN.finditer(text):
        run = match.group()
        if run[0].isascii():
            terms.add(run[:MAX_TERM].lower())
        else:
            terms.update(run[i : i + 2] for i in range(len(run) - 1))
    return terms


# CJK (basic, extension A and B, compatibility), ASCII letters and digits, and characters
# that look close: full-width digits, dotted and dotless i, the Kelvin sign (it lower-cases
# to an ASCII k), accented letters, punctuation, white space.
_CJK = ["中", "和", "碳", "股", "\u3400", "\U00020000", "\uf900"]
_CHARS = st.sampled_from(
    [*_CJK, "A", "a", "Z", "0", "9", "İ", "ı", "\u212a", "é", "０", "。", "，", "-", "_", " ", "\n"]
)


@given(st.lists(st.lists(_CHARS, max_size=40).map("".join), max_size=3))
@example(["碳中和", "ESG 2024年A股"])
@example(["x" * (MAX_TERM + 5)])
def test_search_terms_are_the_bigrams_of_each_cjk_run_and_each_latin_word(
    texts: list[str],
) -> None:
    expected = set().union(*(_by_runs(t) for t in texts)) if texts else set()
    assert search_terms(*texts) == sorted(expected)
