"""The page kinds, declared once: (name, recogniser, parser), in the order they are tried.

`detect_kind` tries the recognisers in this order on the decoded text (the content, never
the file name) and the first that matches names the kind and its parser. The names are the
article contract's `page_kind` enum (`finews_spider/schema/article.schema.json`; a test
checks they agree). Adding a page kind: a parser module, one line here, the schema enum
value, and fixtures under `fixtures/<kind>/`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from finews_spider.model import PageContext, ParsedPage
from finews_spider.parsing.finews_source import parse_finews_source
from finews_spider.parsing.html_pages import parse_eastmoney_page, parse_finews_page
from finews_spider.parsing.newsshare import parse_newsshare_json

Recogniser = Callable[[str], object]  # truthy when the decoded page is of the kind
Parser = Callable[[str, str, PageContext], ParsedPage]  # (url, text, context)


@dataclass(frozen=True, slots=True)
class PageKind:
    name: str
    recognise: Recogniser
    parse: Parser


def _starts_with(prefix: str) -> Recogniser:
    """The text begins with `prefix` after a BOM and blank space."""
    return re.compile(r"[\ufeff \t\r\n]*" + re.escape(prefix)).match


def _holds(pattern: str, *anchors: tuple[str, int]) -> Recogniser:
    """`pattern` occurs in the text. With `anchors`, (word, reach): every match holds one
    of the words at most `reach` characters after its start, so the pattern is tried only
    there (str.find runs in C; a search for a pattern without a literal prefix does not)."""
    compiled = re.compile(pattern)
    if not anchors:
        return compiled.search

    def recognise(text: str) -> bool:
        for word, reach in anchors:
            at = text.find(word)
            while at != -1:
                for start in range(max(at - reach, 0), at + 1):
                    if compiled.match(text, start):
                        return True
                at = text.find(word, at + 1)
        return False

    return recognise


KINDS: tuple[PageKind, ...] = (
    # finews post source: markdown with YAML front matter
    PageKind("finews_source", _starts_with("---"), parse_finews_source),
    # NewsShare GetNewsText.do JSON (+ its list record)
    PageKind("newsshare_json", _starts_with("{"), parse_newsshare_json),
    # rendered finews post (Jekyll `post` layout)
    PageKind(
        "finews_page",
        _holds(r"<small>\s*\(GMT\+8, Asia/Shanghai", ("<small>", 0)),
        parse_finews_page,
    ),
    # finance.eastmoney.com/a/<id>.html article page
    PageKind(
        "eastmoney_page",
        _holds(
            r"""id=["']?(ContentBody|zwtext)\b|class=["']?newsContent\b""",
            ("ContentBody", 4),
            ("zwtext", 4),
            ("newsContent", 7),
        ),
        parse_eastmoney_page,
    ),
)

#: kind name -> its parser
PARSERS: dict[str, Parser] = {kind.name: kind.parse for kind in KINDS}


def kind_names() -> tuple[str, ...]:
    """Every page kind's name, in recognition order."""
    return tuple(kind.name for kind in KINDS)
