"""Small text helpers shared by the parsers: decoding bytes and tidying one-line values."""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import parse_qs, urlsplit

from finews_spider.model import Rejected
from finews_spider.site import CONTROL_NOT_SPACE

_WS = re.compile(r"[\s\u3000\xa0]+")
_META_CHARSET = re.compile(
    rb"""<meta[^>]{0,200}?charset\s*=\s*["']?\s*([A-Za-z0-9_-]{2,40})""", re.I
)
_BOM = b"\xef\xbb\xbf"
# The cp1252 characters of bytes 0x80-0x9f, back to those bytes (as latin-1 characters):
# `undo_double_encoding` reverses a latin-1 or a windows-1252 misreading with one table.
_CP1252_TO_BYTE = {
    ord(bytes([b]).decode("cp1252")): chr(b)
    for b in range(0x80, 0xA0)
    if b not in (0x81, 0x8D, 0x8F, 0x90, 0x9D)  # undefined in cp1252
}
_CP1252_MAX = max(chr(c) for c in _CP1252_TO_BYTE)  # U+2122: CJK text is above it
_ABOVE_CP1252 = re.compile(f"[{chr(ord(_CP1252_MAX) + 1)}-\U0010ffff]")


def one_line(value: str | None) -> str:
    """Collapse all whitespace (including full-width and no-break spaces) to single spaces
    and drop control characters."""
    return _WS.sub(" ", CONTROL_NOT_SPACE.sub("", value or "")).strip()


def visible(value: str) -> bool:
    """True when `value` has a character that shows: format characters (Unicode category Cf:
    zero-width spaces and joiners, word joiner, BOM, bidi overrides) and whitespace alone
    make a string that reads as empty."""
    return any(not ch.isspace() and unicodedata.category(ch) != "Cf" for ch in value)


def decode(body: bytes, declared: str | None = None) -> str:
    """Decode a page: UTF-8 (a BOM is dropped), else GB18030 (the superset of GB2312/GBK).

    Eastmoney and the finews mirror publish UTF-8 and the GB family only, so a declared
    charset (`declared`, from the HTTP header, or a <meta> tag) never chooses the codec.
    A declared single-byte charset decodes *any* bytes and big5 decodes most GBK bytes, so
    honouring them would store mojibake; a UTF-8 page with a few foreign bytes spliced in
    would read "cleanly" as GB18030 mojibake, so it is refused.

    Raises Rejected(parse, undecodable) rather than storing mojibake."""
    if body.startswith(_BOM):
        # A BOM may sit in front of GBK bytes: drop it and let the bytes speak.
        body = body[len(_BOM) :]
    try:
        return body.decode("utf-8", errors="strict")
    except UnicodeDecodeError:
        pass
    said = declared or _declared_in_page(body)
    shown = f" (declared: {said})" if said else ""
    if _mostly_utf8(body):
        raise Rejected(
            "parse",
            "undecodable",
            "mixed encodings: mostly UTF-8 with some bytes that are not UTF-8" + shown,
        )
    try:
        return body.decode("gb18030", errors="strict")
    except UnicodeDecodeError:
        raise Rejected(
            "parse", "undecodable", "the bytes are neither valid UTF-8 nor GB18030" + shown
        ) from None


def _declared_in_page(body: bytes) -> str | None:
    match = _META_CHARSET.search(body[:4096])
    return match.group(1).decode("ascii").lower() if match else None


def _mostly_utf8(body: bytes) -> bool:
    """More valid non-ASCII UTF-8 characters than invalid bytes: UTF-8 with foreign bytes.

    GBK text read as UTF-8 gives about one valid character for every ten invalid bytes."""
    text = body.decode("utf-8", errors="replace")
    bad = text.count("\ufffd")
    good = len(text) - len(text.encode("ascii", "ignore")) - bad  # non-ASCII, C speed
    return good > bad


def undo_double_encoding(text: str) -> str | None:
    """The text before it was double-encoded (UTF-8 read as latin-1 or windows-1252, then
    saved as UTF-8 again: `å¤®è¡Œ` for `央行`), or None when it was not.

    Exact, not a guess: every character must map back to one byte, and those bytes must be
    valid UTF-8, which text in those code pages practically never is."""
    # `max(text) > _CP1252_MAX`, stopping at the first such character instead of reading
    # the whole page.
    if text.isascii() or _ABOVE_CP1252.search(text):
        return None
    try:
        return text.translate(_CP1252_TO_BYTE).encode("latin-1").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return None


def excerpt(body: bytes, limit: int = 300) -> str:
    """A short, printable look at a page for a person reading a reject."""
    return body[: limit * 4].decode("utf-8", errors="replace")[:limit]


#: An Eastmoney infoCode: two letters (NW news, AN announcement, AP report) and digits.
INFO_CODE = re.compile(r"[A-Z]{2}\d{6,24}")


def info_code_from_url(url: str | None) -> str | None:
    """The infoCode a share link or GetNewsText.do URL names (`infoCode=` or `id=`)."""
    query = parse_qs(urlsplit(url or "").query)
    for key in ("id", "infoCode", "infocode"):
        for value in query.get(key, []):
            if INFO_CODE.fullmatch(value):
                return value
    return None


def outlet_from_tags(tags: list[str]) -> str | None:
    """The mirror tags an outlet's posts `<outlet>新闻`; 东财滚动新闻 is Eastmoney's rolling
    news, not an outlet."""
    return next(
        (t[: -len("新闻")] for t in tags if t.endswith("新闻") and t != "东财滚动新闻"), None
    )
