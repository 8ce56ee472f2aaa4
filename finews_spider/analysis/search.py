"""Chinese keyword search over the stored `search_terms` (see normalize/terms.py): the
index narrows to the articles holding every term of every phrase, the text confirms the
phrase, a score ranks, a snippet highlights. Pure apart from the filter it returns.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from finews_spider.normalize.terms import phrase_pattern, query_terms, split_query

#: Marks around a match in highlights (full-width brackets read naturally in Chinese).
MARK = ("【", "】")
#: A title match counts this many body matches.
TITLE_WEIGHT = 5


@dataclass(frozen=True)
class TextQuery:
    """A parsed query: phrases (all required), their index terms and their patterns."""

    phrases: tuple[str, ...]
    terms: tuple[str, ...]
    patterns: tuple[re.Pattern[str], ...]

    @classmethod
    def parse(cls, query: str) -> TextQuery:
        phrases = tuple(split_query(query))
        if not phrases:
            raise ValueError("empty search query")
        terms = tuple(dict.fromkeys(t for p in phrases for t in query_terms(p)))
        patterns = tuple(re.compile(phrase_pattern(p), re.IGNORECASE) for p in phrases)
        return cls(phrases, terms, patterns)

    def mongo(self, term: str | None = None) -> dict[str, Any]:
        """The filter that finds every candidate: equality on one term of the index (the
        rarest, when the caller knows it; else the first), or, for a query without a term
        (a single CJK character), a `$regex` scan of title and body.

        One term rather than `$all`: MongoDB's planner bounds an `$all` scan by one of its
        terms anyway, SecantusDB's does not use the index for it at all, and the phrase
        check that follows implies every other term."""
        if self.terms:
            return {"search_terms": term or self.terms[0]}
        return self.regex_filter()

    def regex_filter(self) -> dict[str, Any]:
        """The same question as a plain `$regex` scan (the baseline search is measured
        against: same answers, no index)."""
        return {
            "$and": [
                {
                    "$or": [
                        {"title": {"$regex": phrase_pattern(p), "$options": "i"}},
                        {"body_text": {"$regex": phrase_pattern(p), "$options": "i"}},
                    ]
                }
                for p in self.phrases
            ]
        }

    def matches(self, title: str, body: str) -> bool:
        return all(p.search(title) or p.search(body) for p in self.patterns)

    def score(self, title: str, body: str) -> int:
        """Matches in the title weigh TITLE_WEIGHT times matches in the body."""
        return sum(
            TITLE_WEIGHT * len(p.findall(title)) + len(p.findall(body)) for p in self.patterns
        )

    def highlight(self, text: str, width: int = 60) -> str:
        """`text` around its first match (about `width` characters), every match marked
        【like this】; the text's start when nothing matches."""
        spans = sorted(m.span() for p in self.patterns for m in p.finditer(text))
        if not spans:
            return _squash(text[:width])
        first = spans[0][0]
        start = max(0, first - width // 3)
        end = min(len(text), start + width)
        out: list[str] = ["…" if start else ""]
        at = start
        for s, e in spans:
            if s < at or e > end:
                continue
            out += [text[at:s], MARK[0], text[s:e], MARK[1]]
            at = e
        out += [text[at:end], "…" if end < len(text) else ""]
        return _squash("".join(out))


def _squash(text: str) -> str:
    return " ".join(text.split())


def rank_key(score: int, published_at: datetime | None) -> tuple[int, float]:
    """Higher score first, then newer first."""
    return (-score, -(published_at or _EPOCH).timestamp())


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
