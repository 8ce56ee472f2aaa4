"""Page parsers: plain code over (url, body), independent of Scrapy.

`parse_page` recognises the page kind from the content (not the file extension) and
returns the raw fields as the page states them; normalisation happens in `normalize`.
"""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import PurePosixPath
from urllib.parse import unquote, urlsplit

from lxml import etree

from finews_spider.model import PageContext, ParsedPage, Rejected
from finews_spider.parsing.kinds import KINDS, PARSERS
from finews_spider.parsing.text import decode, undo_double_encoding

__all__ = ["detect_kind", "parse_page"]

#: A page larger than this is refused before parsing (hostile or broken).
MAX_PAGE_BYTES = 10 * 1024 * 1024

_SHARE_SHELL = re.compile(r"NewsShare|GetNewsText\.do")


def detect_kind(text: str) -> str:
    """The first kind of the registry (`parsing.kinds.KINDS`) whose recogniser matches."""
    for kind in KINDS:
        if kind.recognise(text):
            return kind.name
    if _SHARE_SHELL.search(text) and "<script" in text.lower():
        raise Rejected(
            "parse",
            "share_shell",
            "a NewsShare page is a JavaScript shell without the article; "
            "its text comes from NewsData/GetNewsText.do?id=<infoCode>",
        )
    raise Rejected("parse", "unknown_page_kind", "not a finews post, Eastmoney article or JSON")


def parse_page(url: str, body: bytes, context: PageContext | None = None) -> ParsedPage:
    """Parse one page. Raises Rejected with a readable reason when it is not an article."""
    context = context or PageContext()
    if not body or not body.strip():
        raise Rejected("parse", "empty_page", "the page has no content")
    if len(body) > MAX_PAGE_BYTES:
        raise Rejected("parse", "page_too_large", f"{len(body):,} bytes (limit {MAX_PAGE_BYTES:,})")
    if b"\x00" in body[:4096]:
        raise Rejected("parse", "binary_page", "the page holds NUL bytes: binary, not text")
    text = decode(body, _charset(context.content_type))
    # A page saved after being misread as latin-1/windows-1252 (`å¤®è¡Œ` for `央行`) is valid
    # UTF-8 mojibake: restore the text exactly, and say so (fixtures/hostile/encoding).
    restored = undo_double_encoding(text)
    if restored is not None:
        text = restored
    if context.file_name is None:
        name = PurePosixPath(unquote(urlsplit(url).path)).name
        context = replace(context, file_name=name or None)
    kind = detect_kind(text)
    try:
        page = PARSERS[kind](url, text, context)
        if restored is not None:
            page.repairs.append("double_encoded_utf8")
        return page
    except Rejected:
        raise
    except (
        ValueError,
        TypeError,
        LookupError,
        AttributeError,
        RecursionError,
        etree.LxmlError,
    ) as exc:
        # lxml/parsel raise these on pathological markup: say so instead of crashing.
        # Hostile-corpus additions: RecursionError (a backstop for nesting the parsers' own
        # depth limits miss) and LxmlError (a rendered post that is only a comment raised
        # lxml's ParserError "Document is empty" out of the core).
        raise Rejected("parse", "malformed_page", f"{kind}: {type(exc).__name__}: {exc}") from None


def _charset(content_type: str | None) -> str | None:
    match = re.search(r"charset=([\w-]+)", content_type or "", re.I)
    return match.group(1) if match else None
