"""Securities named in an Eastmoney body: the chart widget and the inline tags.

`extract_securities(body_html)` gives the article's ``stocks`` entries (schema:
``article.schema.json``, ``stocks``); `stock_codes(stocks)` its ``stock_codes``.

Sources (field guide, "Stock references inside the body HTML"):

* the chart widget between ``<!-- EM_StockImg_Start -->`` and ``<!-- EM_StockImg_End -->``:
  ``a.EmImageRemark`` (``data-code="00992|116|5"``, ``data-code2``, ``href=…/unify/r/116.00992``)
  and its ``img`` (``data-code="K 00992|116|5"``, ``src=…GetPic.aspx?nid=116.00992``): role
  ``chart``;
* inline tags: ``a.keytip[data-code="0,300115"]`` (stock, ``Info.`` and ``bk_`` spans),
  ``span.em_stock_key_common[data-code="106,NIO"]``, ``a.infokey`` with a quote link, and the
  2016–2017 forms (``SZ300104.html``, ``us/AAPL.html?Market=NASDAQ``, ``hk/00948.html``,
  ``fund.eastmoney.com/501300.html``, ``span#stock_3001042``): role ``tag``.

Nothing inside the source line (``p.em_media``: the tagger marks words of outlet names, e.g.
上海证券报 → 90.BK0473) or inside a hidden element counts. An element's own ``data-code``, when
present, is the only thing read from it: a value that is not a valid ``market_id,code`` /
``code|market_id|…`` for a known market makes the element no security (no fallback to its
``href``). The body is untrusted: parsing is linear, values are bounded, nothing raises.

`securities_in_text(texts)` reads securities written out with their codes in plain text
(title, digest, cleaned body; field guide, "Signals in the text itself"): role ``text``.
`merge_stocks` adds them to the markup's entries (one entry per secid, roles merged).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from functools import lru_cache
from typing import Any, Final
from urllib.parse import parse_qs, urlsplit

from lxml import etree

from finews_spider.normalize.markets import (
    HK_IDS,
    SH,
    SZ,
    TEXT_SUFFIX_IDS,
    US_EXCHANGE_IDS,
    US_IDS,
    a_share_plan,
    canonical_code,
    classify,
    fund_market_id,
    secid_of,
)
from finews_spider.site import (
    CONTROL,
    KLINE_SRC,
    SOURCE_LINE_CLASS,
    STOCK_TAG_CLASSES,
    WIDGET_LINK_CLASS,
    WIDGET_MARKER,
    hides,
)

#: Schema limits: `stocks.maxItems`, `name.maxLength`.
MAX_ENTRIES: Final = 500
MAX_NAME_LEN: Final = 200


# Longest attribute value worth reading; longer values are not securities.
_MAX_DATA_CODE = 64
_MAX_URL = 2048
_MAX_ID = 64
# Name extraction reads at most this many nodes of a tag's subtree (keeps nested tags linear).
_NAME_NODES = 32

_RAW_CODE = r"[0-9A-Za-z._-]{1,20}"
# Inline: `market_id,code`.
_INLINE_CODE = re.compile(rf"\s*([0-9]{{1,3}})\s*,\s*({_RAW_CODE})\s*")
# Widget: `code|market_id|suffix` (img: `K code|market_id|suffix`; data-code2 adds a `|`).
_WIDGET_CODE = re.compile(
    rf"\s*(?:K\s+)?({_RAW_CODE})\|([0-9]{{1,3}})(?:\|[0-9]{{0,3}}){{0,2}}\|?\s*"
)
_SECID = re.compile(rf"([0-9]{{1,3}})\.({_RAW_CODE})")
_UNIFY_PATH = re.compile(rf"/unify/r/([0-9]{{1,3}})\.({_RAW_CODE})/?")
# Old quote pages: /sh600519.html, /SZ300104.html, /bj830799.html, /zs399006.html.
_OLD_A_PATH = re.compile(r"/(sh|sz|bj|zs)([0-9]{6})\.html?", re.IGNORECASE)
_OLD_HK_PATH = re.compile(r"/hk/([0-9]{1,5})\.html?", re.IGNORECASE)
_OLD_US_PATH = re.compile(rf"/us/({_RAW_CODE})\.html?", re.IGNORECASE)
_FUND_PATH = re.compile(r"/([0-9]{6})\.html?")
# Old tag ids: stock_ + 6-digit code + one-digit suffix (1 SH, 2 SZ); stock_NASDAQ_AAPL7.
_OLD_ID = re.compile(r"stock_([0-9]{6})([12])")
_OLD_US_ID = re.compile(r"stock_(NASDAQ|NYSE|AMEX)_([0-9A-Za-z._-]{1,20}?)[0-9]", re.IGNORECASE)
# Current tag ids: stock_0.300115, Info.116.00700, bk_90.BK0493.
_NEW_ID = re.compile(rf"(?:stock_|Info\.|bk_)([0-9]{{1,3}})\.({_RAW_CODE})")
#: Every id form above starts with one of these, lower-cased.
_ID_PREFIXES = ("stock_", "info.", "bk_")
_SPACES = re.compile(r"\s+")
_FULL_DOCUMENT = re.compile(rb"\s*<(?:!doctype|html)\b", re.IGNORECASE)

Found = tuple[int | None, str]  # (market_id, raw code)


def extract_securities(body_html: str, root: Any = None) -> list[dict[str, Any]]:
    """One ``stocks`` entry per secid named in `body_html` (an HTML fragment).

    Each entry is ``{secid, code, market_id, market, kind, name, roles}``; chart-widget
    securities first, then the others in order of first appearance. Never raises: an
    unreadable body gives []. `root`, when given, is the body's tree as `_parse` builds it
    (see `parses_alike`); it is only read.
    """
    if root is None:
        root = _parse(body_html)
    if root is None:
        return []
    entries: dict[str, dict[str, Any]] = {}
    in_widget = False
    try:
        # Only links, spans, images and comments (the widget markers) matter; lxml's tag
        # filter skips every other element in C.
        excluded = _exclusion(root)
        for el in root.iter("a", "span", "img", etree.Comment):
            if not isinstance(el.tag, str):
                if marker := WIDGET_MARKER.match(el.text or ""):
                    in_widget = marker.group(1).lower() == "start"
            else:
                _visit(el, in_widget, entries, excluded)
    except (etree.LxmlError, ValueError, TypeError):  # pragma: no cover - defensive
        pass
    ordered = sorted(entries.values(), key=lambda e: "chart" not in e["roles"])
    out = ordered[:MAX_ENTRIES]
    for entry in out:
        entry["roles"] = sorted(entry["roles"])
    return out


def stock_codes(stocks: Iterable[Mapping[str, Any]]) -> list[str]:
    """Sorted unique codes of the `stocks` entries whose kind is ``stock``."""
    codes = {
        s["code"]
        for s in stocks
        if isinstance(s, Mapping) and s.get("kind") == "stock" and isinstance(s.get("code"), str)
    }
    return sorted(codes)


# --- parsing -------------------------------------------------------------------------------


def _parse(body_html: str) -> Any:
    """The fragment's container element (its <body>), or None when nothing can be read."""
    if not isinstance(body_html, str) or not body_html.strip():
        return None
    # Bytes with an explicit encoding: no lone surrogates, no in-body charset declarations.
    data = CONTROL.sub("", body_html).encode("utf-8", "replace")
    if not _FULL_DOCUMENT.match(data):
        data = b"<html><body>" + data + b"</body></html>"
    # Plain etree parser, as lxml.html.fragment_fromstring without its Python call per node.
    parser = etree.HTMLParser(encoding="utf-8", remove_blank_text=False, no_network=True)
    try:
        doc = etree.fromstring(data, parser)
    except (etree.LxmlError, ValueError, TypeError):
        return None
    return doc.find("body") if doc is not None else None


#: Nesting well below libxml2's default limit (256 open elements): `_parse` reads it all.
_SHALLOW_DEPTH = 240
#: Well below libxml2's default limits on names (50,000 bytes) and text: `_parse` reads it all.
_SHORT_SOURCE = 12_000
_TOO_DEEP = etree.XPath(f"boolean(.//*[count(ancestor::*) >= {_SHALLOW_DEPTH}])")
_FULL_DOCUMENT_TEXT = re.compile(r"\s*<(?:!doctype|html)\b", re.IGNORECASE)


def parses_alike(without_controls: str, source: str, root: Any) -> bool:
    """True when `_parse(body_html)` builds the same tree as `root`, the body cleaner's
    one-go parse of `source`, given `(without_controls, source) =
    cleaning.coerce_body(body_html)`; then one parse serves both. So: the cleaner removed
    only control characters (no document tags), the fragment is wrapped the same way,
    holds no processing instruction (the cleaner's parser drops them) and stays well inside
    the limits the cleaner's parser lifts (huge_tree)."""
    return (
        len(source) < _SHORT_SOURCE
        and source == without_controls
        and "<?" not in source
        and not _FULL_DOCUMENT_TEXT.match(source)
        # fewer tags than that cannot nest that deep
        and (source.count("<") < _SHALLOW_DEPTH or not _TOO_DEEP(root))
    )


def _classes(el: Any) -> set[str]:
    value = el.get("class")
    return set(value.split()) if value else set()


def _exclusion(root: Any) -> Callable[[Any], bool]:
    """Whether an element lies in a source line or a hidden element (itself or an ancestor
    below `root`): not read. Asked only of elements that name a security, so most bodies
    test a few ancestors instead of every element; verdicts are memoised along each path."""
    memo: dict[Any, bool] = {}

    def excluded(el: Any) -> bool:
        path: list[Any] = []
        node = el
        verdict = False
        while node is not None and node is not root:
            known = memo.get(node)
            if known is not None:
                verdict = known
                break
            path.append(node)
            if _is_excluded(node):
                verdict = True
                break
            node = node.getparent()
        for seen in path:
            memo[seen] = verdict
        return verdict

    return excluded


def _is_excluded(el: Any) -> bool:
    """Source line (``.em_media``) or hidden (``display:none``, ``hidden``)."""
    value = el.get("class")
    # The substring test first: the class names are split only where they may hold it.
    if value and SOURCE_LINE_CLASS in value and SOURCE_LINE_CLASS in value.split():
        return True
    return el.get("hidden") is not None or hides(el.get("style"))


def _attr(el: Any, name: str, limit: int) -> str | None:
    value = el.get(name)
    if value is None or len(value) > limit:
        return None
    return value


# --- one element -----------------------------------------------------------------------------


def _visit(
    el: Any,
    in_widget: bool,
    entries: dict[str, dict[str, Any]],
    excluded: Callable[[Any], bool],
) -> None:
    tag = el.tag
    if tag not in ("a", "span", "img"):
        return
    # A span is never part of the widget (and its classes are not needed).
    if tag != "span" and _is_widget(el, tag, _classes(el), in_widget):
        found = _widget_security(el, tag)
        if found is not None and not excluded(el):
            _add(entries, found, "chart")
        return
    found = _tag_security(el, tag)
    if found is not None and not excluded(el):
        _add(entries, found, "tag", named=el)


def _is_widget(el: Any, tag: str, classes: set[str], in_widget: bool) -> bool:
    """Whether `el`, a link or an image, belongs to the chart widget."""
    if tag == "a" and WIDGET_LINK_CLASS in classes:
        return True
    if tag == "img":
        src = _attr(el, "src", _MAX_URL) or ""
        code = el.get("data-code") or ""
        if KLINE_SRC.search(src) or code.startswith("K "):
            return True
    return in_widget and not (classes & STOCK_TAG_CLASSES)


def _widget_security(el: Any, tag: str) -> Found | None:
    if el.get("data-code") is not None:
        return _parse_data_code(el.get("data-code"))
    if el.get("data-code2") is not None:
        return _parse_data_code(el.get("data-code2"))
    if tag == "img":
        return _nid(_attr(el, "src", _MAX_URL))
    return _parse_href(el, _attr(el, "href", _MAX_URL))


def _tag_security(el: Any, tag: str) -> Found | None:
    if tag == "img":
        return None
    if el.get("data-code") is not None:
        return _parse_data_code(el.get("data-code"))
    href = el.get("href")
    if href is not None:
        return _parse_href(el, href if len(href) <= _MAX_URL else None)
    if tag == "span":
        return _span_id_security(el)
    return None


def _span_id_security(el: Any) -> Found | None:
    """A tag span whose link is missing: read its id (``stock_3001042``, ``stock_0.300115``)."""
    span_id = _attr(el, "id", _MAX_ID)
    if not span_id:
        return None
    if span_id.isascii() and not span_id.lower().startswith(_ID_PREFIXES):
        return None  # no id form below can match (the quote spans after every tag)
    for child in el:
        if child.tag == "a" and (child.get("href") or child.get("data-code")):
            return None  # the link says it (and wins over the id)
    if m := _NEW_ID.fullmatch(span_id):
        return int(m.group(1)), m.group(2)
    if m := _OLD_ID.fullmatch(span_id):
        return (SH if m.group(2) == "1" else SZ), m.group(1)
    if m := _OLD_US_ID.fullmatch(span_id):
        return US_EXCHANGE_IDS[m.group(1).upper()], m.group(2)
    return None


# --- values ----------------------------------------------------------------------------------


def _parse_data_code(value: str | None) -> Found | None:
    if not value or len(value) > _MAX_DATA_CODE:
        return None
    if m := _INLINE_CODE.fullmatch(value):
        return int(m.group(1)), m.group(2)
    if m := _WIDGET_CODE.fullmatch(value):
        return int(m.group(2)), m.group(1)
    return None


def _nid(src: str | None) -> Found | None:
    if not src:
        return None
    try:
        nids = parse_qs(urlsplit(src).query).get("nid", [])
    except ValueError:
        return None
    if nids and (m := _SECID.fullmatch(nids[0].strip())):
        return int(m.group(1)), m.group(2)
    return None


def _parse_href(el: Any, href: str | None) -> Found | None:
    """Security of an Eastmoney quote or fund link; None for any other link."""
    if not href:
        return None
    try:
        parts = urlsplit(href.strip())
        host = (parts.hostname or "").lower()
    except ValueError:
        return None
    if host and host != "eastmoney.com" and not host.endswith(".eastmoney.com"):
        return None
    path = parts.path
    if m := _UNIFY_PATH.fullmatch(path):
        return int(m.group(1)), m.group(2)
    if host.startswith("fund."):
        if m := _FUND_PATH.fullmatch(path):
            return fund_market_id(m.group(1)), m.group(1)
        return None
    if m := _OLD_A_PATH.fullmatch(path):
        prefix, code = m.group(1).lower(), m.group(2)
        if prefix == "zs":  # old index pages: 399xxx Shenzhen, others Shanghai
            return (SZ if code.startswith("399") else SH), code
        return (SH if prefix == "sh" else SZ), code  # sz and bj both use market id 0
    if m := _OLD_HK_PATH.fullmatch(path):
        return 116, m.group(1)
    if m := _OLD_US_PATH.fullmatch(path):
        market_id = _us_exchange(parts.query, el)
        return None if market_id is None else (market_id, m.group(1))
    return None


def _us_exchange(query: str, el: Any) -> int | None:
    """`?Market=NASDAQ`, else the enclosing old tag id (``stock_NASDAQ_AAPL7``)."""
    for key, values in parse_qs(query).items():
        if key.lower() == "market" and values:
            return US_EXCHANGE_IDS.get(values[0].strip().upper())
    parent = el.getparent()
    span_id = _attr(parent, "id", _MAX_ID) if parent is not None else None
    if span_id and (m := _OLD_US_ID.fullmatch(span_id)):
        return US_EXCHANGE_IDS[m.group(1).upper()]
    return None  # a US ticker without its exchange: no secid (choice)


def _short_text(el: Any) -> str | None:
    """The tag's text, whitespace-normalised, at most MAX_NAME_LEN characters; None if empty."""
    if not len(el):  # no children: its own text is all of it
        name = _SPACES.sub(" ", (el.text or "")[: MAX_NAME_LEN * 2]).strip()[:MAX_NAME_LEN].strip()
        return name or None
    parts: list[str] = []
    size = 0
    events = etree.iterwalk(el, events=("start", "end", "comment"))
    for seen, (event, node) in enumerate(events):
        if seen >= _NAME_NODES * 2:
            break
        # start: the element's own text; end of an element or a comment: the text after it.
        text = node.text if event == "start" else (node.tail if node is not el else None)
        if text:
            parts.append(text[: MAX_NAME_LEN * 2])
            size += len(parts[-1])
            if size > MAX_NAME_LEN * 2:
                break
    name = _SPACES.sub(" ", "".join(parts)).strip()[:MAX_NAME_LEN].strip()
    return name or None


@lru_cache(maxsize=4096)
def _security(market_id: int | None, raw: str) -> tuple[str, str, str, str] | None:
    """(code, secid, market, kind) of a found value, or None when it names no security."""
    code = canonical_code(market_id, raw)
    if code is None:
        return None
    market, kind = classify(market_id, code)
    return code, secid_of(market_id, code), market, kind


def _add(
    entries: dict[str, dict[str, Any]],
    found: Found,
    role: str,
    name: str | None = None,
    named: Any = None,
) -> None:
    """Record `found` with `role` and its `name`, or the name `_short_text(named)` gives
    (read only while the entry has none)."""
    market_id, raw = found
    security = _security(market_id, raw)
    if security is None:
        return
    code, secid, market, kind = security
    entry = entries.get(secid)
    if entry is None:
        if len(entries) >= MAX_ENTRIES * 2:  # bounded memory on hostile input
            return
        entry = {
            "secid": secid,
            "code": code,
            "market_id": market_id,
            "market": market,
            "kind": kind,
            "name": None,
            "roles": [],
        }
        entries[secid] = entry
    if role not in entry["roles"]:
        entry["roles"].append(role)
    if entry["name"] is None:
        if named is not None:
            name = _short_text(named)
        if name:
            entry["name"] = name


# --- securities written in the text ----------------------------------------------------------

# A parenthetical: `腾讯控股(00700.HK)`, `宁德时代（300750）`, `索菲亚(002572.SZ，最新价：23.21元)`.
_PAREN = re.compile(r"[（(]([^（）()\n]{1,80})[）)]")
_PIECE_SEP = re.compile(r"\s*[，,、/；;]\s*|\s+")
# One written code: optional exchange prefix (`SH600519`, `HK.00700`), the code, optional
# exchange suffix (`.SH`, `.HK`, `.N`, `.O`, `.OQ`).
_WRITTEN_CODE = re.compile(
    r"(?:(?P<pfx>SH|SZ|BJ|HK)\.?)?"
    r"(?P<code>[0-9]{4,6}|[A-Z][A-Z0-9]{0,5}(?:[_-][A-Z])?)"
    r"(?:\.(?P<sfx>[A-Za-z]{1,2}))?"
)
_NAME_CHARS = re.compile(r"[\u3400-\u9fffA-Za-z0-9*＊·]")
_NAME_MAX = 16  # characters read back from the parenthesis
# Words that end a name's run: what comes before them is the sentence, not the name.
_NAME_STOPS = re.compile(
    r".*(?:的|了|维持|给予|首次覆盖|覆盖|买入|增持|推荐|看好|关注|持有|收购|入股|参股|控股股东|"
    r"股东|旗下|子公司|包括|例如|比如|其中|以及|还有|宣布|公告|表示|披露|发布|"
    r"获悉|研报称|据悉|截至|今日|今天|昨日|盘中|午后|早盘|尾盘|开盘|收盘|港股|美股|A股|个股|标的|"
    r"北交所|上交所|深交所|港交所|沪市|深市|创业板|科创板|主板|新三板|"
    r"[0-9]+[年月日号])"
)
# A parenthesised number after these words is not a security (phone, product, document…).
_NOT_A_NAME = re.compile(
    r"(?:电话|热线|传真|邮编|编号|型号|批号|文号|货号|账号|代码|号码|手机|订单)$"
)
_CONJUNCTIONS: Final = frozenset("和与及或、")
_TEXT_KINDS: Final = frozenset({"stock", "index", "fund"})
_SUFFIX_MARKETS: Final[dict[str, frozenset[str]]] = {
    "SH": frozenset({"SH", "INDEX"}),
    "SS": frozenset({"SH", "INDEX"}),
    "SZ": frozenset({"SZ", "INDEX"}),
    "BJ": frozenset({"BJ"}),
}
_MAX_TEXT = 200_000  # characters of text read per article


def securities_in_text(texts: Iterable[str | None]) -> list[dict[str, Any]]:
    """``stocks`` entries (role ``text``) for the securities `texts` write out with a code.

    Forms: ``name(code.SUFFIX)`` (``.SH``/``.SZ``/``.BJ``/``.HK``/``.N``/``.O``/``.OQ``, or a
    ``SH``/``SZ``/``BJ``/``HK`` prefix) and ``name（code）`` for a bare six-digit A-share code
    whose number plan names its exchange. A code with an explicit exchange may be followed by a
    note (``002572.SZ，最新价：23.21元``); a bare code must fill the parentheses and follow a
    name. Years, dates, amounts, phone numbers, product codes and abbreviations (``(HUD)``,
    ``(ADR)``) match none of these. Never raises.
    """
    entries: dict[str, dict[str, Any]] = {}
    budget = _MAX_TEXT
    for text in texts:
        if not isinstance(text, str) or budget <= 0:
            continue
        text = text[:budget]
        budget -= len(text)
        for match in _PAREN.finditer(text):
            found = _written_codes(match.group(1))
            if not found:
                continue
            name = _name_before(text, match.start())
            if name is not None and _NOT_A_NAME.search(name):
                continue
            for market_id, code, explicit in found:
                if not explicit and (name is None or len(name) < 2):
                    continue
                _add(entries, (market_id, code), "text", name)
    return list(entries.values())[:MAX_ENTRIES]


def merge_stocks(
    stocks: list[dict[str, Any]], extra: Iterable[Mapping[str, Any]]
) -> list[dict[str, Any]]:
    """`stocks` with `extra`'s entries added: roles merged for a secid both name, new secids
    after the existing ones; a missing name is taken from `extra`."""
    by_secid = {s["secid"]: s for s in stocks}
    out = list(stocks)
    for entry in extra:
        known = by_secid.get(entry["secid"])
        if known is None:
            if len(out) >= MAX_ENTRIES:
                break
            known = {**entry, "roles": list(entry["roles"])}
            by_secid[entry["secid"]] = known
            out.append(known)
        else:
            known["roles"] = sorted(set(known["roles"]) | set(entry["roles"]))
            if known.get("name") is None:
                known["name"] = entry.get("name")
    for entry in out:
        entry["roles"] = sorted(entry["roles"])
    return out


def _written_codes(inner: str) -> list[tuple[int, str, bool]]:
    """(market id, code, explicit exchange?) of the codes a parenthetical holds; [] if none."""
    pieces = [p for p in _PIECE_SEP.split(inner.strip()) if p]
    out: list[tuple[int, str, bool]] = []
    for i, piece in enumerate(pieces):
        m = _WRITTEN_CODE.fullmatch(piece)
        found = _written_code(m) if m else None
        if found is None:
            # A note may follow codes whose exchange is written; bare codes must fill it.
            return out if out and all(explicit for _, _, explicit in out) and i > 0 else []
        out.append(found)
    return out


def _written_code(m: re.Match[str]) -> tuple[int, str, bool] | None:
    code, pfx, sfx = m.group("code"), m.group("pfx"), m.group("sfx")
    sfx = sfx.upper() if sfx else None
    if pfx and sfx and pfx != sfx:
        return None
    exchange = sfx or pfx
    if exchange is None:
        plan = a_share_plan(code)
        return (plan[0], code, False) if plan else None
    market_id = TEXT_SUFFIX_IDS.get(exchange)
    if market_id is None:
        return None  # `.US` and unknown suffixes: no exchange, no secid
    is_digits = code.isdigit()
    if market_id in US_IDS:
        if is_digits:
            return None
    elif market_id in HK_IDS:
        if not is_digits or len(code) > 5:
            return None
    else:
        if not is_digits or len(code) != 6:
            return None
        market, kind = classify(market_id, code)
        if kind not in _TEXT_KINDS or market not in _SUFFIX_MARKETS[exchange]:
            return None
    canonical = canonical_code(market_id, code)
    return (market_id, canonical, True) if canonical else None


def _name_before(text: str, end: int) -> str | None:
    """The name written right before a parenthesis: the run of name characters, cut after
    the last word that belongs to the sentence rather than the name."""
    start = end
    while start > 0 and end - start < _NAME_MAX and _NAME_CHARS.match(text, start - 1):
        start -= 1
    run = text[start:end]
    # `甲(…)和乙(…)`: a conjunction right after the previous parenthesis is not the name's.
    if start > 0 and text[start - 1] in "）)" and run[:1] in _CONJUNCTIONS:
        run = run[1:]
    if m := _NAME_STOPS.match(run):
        run = run[m.end() :]
    run = run.strip("*＊·") if not run.startswith(("*ST", "＊ST")) else run
    return run[:MAX_NAME_LEN] or None
