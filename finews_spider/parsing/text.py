"""Small text helpers shared by the parsers: decoding bytes and tidying one-line values."""

from __future__ import annotations

import re

from finews_spider.model import Rejected

_WS = re.compile(r"[\s\u3000\xa0]+")
_META_CHARSET = re.compile(
    rb"""<meta[^>]{0,200}?charset\s*=\s*["']?\s*([A-Za-z0-9_-]{2,40})""", re.I
)
# Chinese pages lie about their charset: GBK pages declared as gb2312 use GBK-only
# characters, so decode declared GB variants as their superset GB18030.
_GB_FAMILY = {"gb2312", "gbk", "gb18030", "x-gbk", "cp936"}


def one_line(value: str | None) -> str:
    """Collapse all whitespace (including full-width and no-break spaces) to single spaces."""
    return _WS.sub(" ", value or "").strip()


def decode(body: bytes, declared: str | None = None) -> str:
    """Decode a page: BOM, then UTF-8, then the declared charset, then GB18030.

    Valid UTF-8 wins over a declared charset: GBK text is almost never valid UTF-8,
    while GB18030 decodes nearly any bytes (a wrong declaration would give mojibake).

    Raises Rejected(parse, undecodable) when none of them decodes the bytes without errors,
    rather than storing mojibake."""
    if body.startswith(b"\xef\xbb\xbf"):
        return body[3:].decode("utf-8", errors="strict")
    candidates: list[str] = ["utf-8"]
    if declared:
        candidates.append(declared)
    match = _META_CHARSET.search(body[:4096])
    if match:
        candidates.append(match.group(1).decode("ascii").lower())
    candidates.append("gb18030")
    seen: set[str] = set()
    for name in candidates:
        name = "gb18030" if name.lower() in _GB_FAMILY else name.lower()
        if name in seen:
            continue
        seen.add(name)
        try:
            return body.decode(name, errors="strict")
        except (UnicodeDecodeError, LookupError):
            continue
    raise Rejected("parse", "undecodable", "the bytes are neither valid UTF-8 nor GB18030")


def excerpt(body: bytes, limit: int = 300) -> str:
    """A short, printable look at a page for a person reading a reject."""
    return body[: limit * 4].decode("utf-8", errors="replace")[:limit]
