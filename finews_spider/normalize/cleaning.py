"""Body cleaning: strip Eastmoney's furniture from an article body and render it twice.

``clean_body(body_html)`` parses the body fragment with lxml, marks the furniture (see the
Eastmoney field guide, "Text furniture around the body") and produces, from the same cleaned
tree, a plain-text body (one line per block) and a sanitised HTML body (an explicit nh3
allow-list). Pure code: no Scrapy, no MongoDB.

What is removed, and how it is recognised:

- ``widget``: the chart widget, everything between ``<!-- EM_StockImg_Start -->`` and
  ``<!-- EM_StockImg_End -->``; without the markers, ``a.EmImageRemark`` and any
  ``img`` served by ``webquoteklinepic.eastmoney.com/GetPic.aspx`` (with its link).
- ``hidden``: ``display:none`` / ``visibility:hidden`` styles and the ``hidden`` attribute.
- ``active_content``: script, style, iframe, object, embed, form, noscript, template, svg,
  math (and head-only tags), with their content.
- ``source_line``: ``p.em_media`` ``（文章来源：经济参考网）`` (the outlet is read from it),
  or any block whose whole text is ``（文章来源：…）``.
- ``editor_line``: an element whose whole text is ``（责任编辑：…）``.
- ``disclaimer``: ``郑重声明：东方财富…`` and everything after it in document order.
- ``promotion``: ``在东方财富看资讯行情，选东方财富证券一站式开户交易>>``, ``.toplink``,
  ``img.em_handle_adv_close``.
- ``back_links``: the mirror's ``[返回…新闻](…)｜[返回首页](…)`` (markdown or rendered links
  to finews.withounder.com / finews.zning.*).
- ``link_label``: an in-article link label in parentheses, ``（<a>点击阅读报告全文</a>）``,
  with its parentheses (it is not text of the article, nor an attribution).

Empty quote spans (``span[id^=quote_]``, ``span[id^=bkquote_]``) are dropped and inline stock
tags (``span#stock_…``, ``span#Info.…``, ``span#bk_…``, ``a.keytip``, ``a.infokey``,
``span.em_stock_key_common``) are reduced to their text; neither is recorded in ``removed``.

Robustness: every pass is linear (iterative walks, no per-node string concatenation, no
recursion), input is capped in depth before libxml2 would silently truncate it, and the
HTML handed to nh3 is nested at most ``_MAX_HTML_DEPTH`` deep.
"""

from __future__ import annotations

import html as _html
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from html.parser import HTMLParser as _StdlibHTMLParser
from typing import Any, ClassVar

import lxml.etree as etree
import nh3

from finews_spider.model import Rejected

__all__ = ["REMOVAL_CODES", "CleanBody", "clean_body"]

STAGE = "cleaning"

#: Codes that can appear in ``CleanBody.removed``, in the order they are reported.
REMOVAL_CODES: tuple[str, ...] = (
    "widget",
    "hidden",
    "active_content",
    "source_line",
    "editor_line",
    "disclaimer",
    "promotion",
    "back_links",
    "link_label",
)

Element = Any  # lxml.etree._Element (lxml ships no stubs by default)


@dataclass(frozen=True)
class CleanBody:
    """A cleaned article body."""

    body_text: str  # paragraphs separated by "\n"
    body_html: str  # sanitised HTML
    outlet: str | None  # from the em_media source line, injected tags reduced to text
    removed: tuple[str, ...]  # codes from REMOVAL_CODES, in that order


# --------------------------------------------------------------------------- vocabulary

_HEADINGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})

#: Elements that start and end a line of body_text.
_BLOCK_TAGS = frozenset(
    {
        "p",
        "div",
        "li",
        "blockquote",
        "center",
        "tr",
        "ul",
        "ol",
        "dl",
        "dt",
        "dd",
        "table",
        "thead",
        "tbody",
        "tfoot",
        "caption",
        "section",
        "article",
        "header",
        "footer",
        "aside",
        "nav",
        "main",
        "figure",
        "figcaption",
        "pre",
        "address",
        "hr",
        "details",
        "summary",
        "fieldset",
        "legend",
        "hgroup",
        "body",
        "html",
    }
    | _HEADINGS
)

#: Block elements that are not kept in body_html: their bare inline content is wrapped in <p>.
_CONTAINER_TAGS = frozenset(
    {
        "div",
        "section",
        "article",
        "header",
        "footer",
        "aside",
        "nav",
        "main",
        "figure",
        "details",
        "fieldset",
        "hgroup",
        "body",
    }
)

#: Removed together with their content, in both outputs.
_ACTIVE_CONTENT = frozenset(
    {
        "script",
        "style",
        "iframe",
        "frame",
        "frameset",
        "object",
        "embed",
        "applet",
        "form",
        "noscript",
        "template",
        "svg",
        "math",
        "head",
        "title",
        "meta",
        "link",
        "base",
        "canvas",
        "audio",
        "video",
        "select",
        "textarea",
        "button",
        "input",
    }
)

_HTML_TAGS = frozenset(
    {
        "p",
        "br",
        "strong",
        "b",
        "em",
        "i",
        "u",
        "sub",
        "sup",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "ul",
        "ol",
        "li",
        "blockquote",
        "table",
        "thead",
        "tbody",
        "tr",
        "th",
        "td",
        "img",
        "a",
        "center",
    }
)
_HTML_ATTRIBUTES = {"a": {"href"}, "img": {"src", "alt", "width", "height"}}
_HTML_CLEAN_CONTENT = frozenset(
    {"script", "style", "iframe", "object", "embed", "form", "noscript", "template", "svg", "math"}
)
_HTML_LINK_REL = "noopener noreferrer nofollow"
#: Source tags rendered under another allowed name in body_html.
_HTML_RENAME = {
    "h1": "h2",
    "tfoot": "tbody",
    "figcaption": "p",
    "summary": "p",
    "legend": "p",
    "dt": "p",
    "dd": "p",
    "pre": "p",
    "address": "p",
}
#: Emitted tags dropped from body_html when nothing (no text, no image) is left in them.
_DROP_IF_EMPTY = frozenset(_HTML_TAGS - {"br", "img", "td", "th"})
_MAX_HTML_DEPTH = 32  # emitted nesting handed to nh3 (html5ever is slow on deep trees)
_MAX_PARSE_DEPTH = 256  # open elements kept when libxml2 hits its depth limit
_VOID_ELEMENTS = frozenset(
    {
        "area",
        "base",
        "br",
        "col",
        "embed",
        "hr",
        "img",
        "input",
        "link",
        "meta",
        "param",
        "source",
        "track",
        "wbr",
    }
)

_STOCK_SPAN_ID = re.compile(r"^(?:stock_|Info\.|bk_)", re.IGNORECASE)
_QUOTE_SPAN_ID = re.compile(r"^(?:quote_|bkquote_)", re.IGNORECASE)
_HIDDEN_STYLE = re.compile(
    r"(?:^|[;\s])(?:display\s*:\s*none|visibility\s*:\s*hidden)\b", re.IGNORECASE
)
_KLINE_SRC = re.compile(r"webquoteklinepic\.eastmoney\.com/GetPic\.aspx", re.IGNORECASE)
_WIDGET_MARKER = re.compile(r"^\s*EM_StockImg_(Start|End)\s*$", re.IGNORECASE)
_MIRROR_HREF = re.compile(
    r"^(?:https?:)?//finews\.(?:withounder\.com|zning\.[a-z]+)(?:[/?#]|$)", re.IGNORECASE
)
_SAFE_URL = re.compile(r"^https?://[^\s\"'<>\\]+$", re.IGNORECASE)

_SOURCE_LINE = re.compile(r"^[（(]?\s*(?:文章)?来源\s*[：:]\s*(?P<outlet>.*?)\s*[)）]?$", re.DOTALL)
_BARE_SOURCE_LINE = re.compile(r"^[（(]\s*文章来源\s*[：:]\s*(?P<outlet>[^（）()]{1,40}?)\s*[)）]$")
_EDITOR_LINE = re.compile(r"^[（(]?\s*责任编辑\s*[：:]\s*[^（）()]{0,40}?\s*[)）]?$")
_PROMOTION = re.compile(r"^在?东方财富看资讯行情[，,]?选东方财富证券一站式开户交易[>＞》»]*$")
_PROMOTION_LITERAL = re.compile(
    r"在?东方财富看资讯行情\s*[，,]?\s*选东方财富证券一站式开户交易\s*(?:>|＞|》|»|&gt;)*"
)
_BACK_LINKS = re.compile(r"^(?:\[返回[^\]\n]{0,60}\]\([^)\s]{0,300}\)\s*[｜|/]?\s*)+$")
_BACK_LINKS_LITERAL = re.compile(r"\[返回[^\]\n]{0,60}\]\([^)\s]{0,300}\)\s*[｜|/]?")
_SEPARATORS_ONLY = re.compile(r"^[\s｜|/]*$")
_DISCLAIMER = re.compile(r"^郑重声明[：:]?东方财富")

_WS = re.compile(r"\s+")
_EMPTY_PARAGRAPH = re.compile(r"<p>(?:\s|<br>)*</p>")
_ZERO_WIDTH = re.compile("[\u200b\ufeff]")
#: Characters that never occur in a real body and that lxml cannot take.
_STRIP_CHARS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
#: ... the same plus U+FFFD: a body made mostly of these is binary garbage.
_GARBAGE_CHARS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff\ufffd]")
_GARBAGE_RATIO = 0.1
_DOCUMENT_TAGS = re.compile(r"</?(?:html|body)\b[^<>]{0,2000}>|<!doctype\b[^<>]{0,2000}>", re.I)

_TEXT_LIMIT = 300  # characters read to decide that an element is a furniture line
_WALK_BUDGET = 2000  # events read for the same decision
_CANDIDATE_LIMIT = 64  # furniture candidates examined per kind


# --------------------------------------------------------------------------- entry point


def clean_body(body_html: str | bytes) -> CleanBody:
    """Remove the furniture from an article body and render it as text and as safe HTML.

    Raises ``Rejected("cleaning", "empty_body", …)`` when nothing textual remains and
    ``Rejected("cleaning", "body_unparseable", …)`` when the body cannot be read at all.
    """
    source = _coerce(body_html)
    root = _parse(source)
    skip: set[Element] = set()
    removed: set[str] = set()

    _remove_widgets(root, skip, removed)
    em_media, mirror_links = _mark_by_markup(root, skip, removed)
    outlet = _read_source_lines(em_media, skip, removed)
    _wrap_bare_runs(root, skip)
    _cut_disclaimer(root, skip, removed)
    outlet = _remove_text_furniture(root, skip, removed, mirror_links, outlet)
    _remove_link_labels(root, skip, removed)

    body_text, body_html_out = _render(root, skip)
    if not any(ch.isalnum() for ch in body_text):
        what = ", ".join(code for code in REMOVAL_CODES if code in removed)
        detail = "no text left after cleaning" + (f" (removed: {what})" if what else "")
        raise Rejected(STAGE, "empty_body", detail)
    return CleanBody(
        body_text=body_text,
        body_html=body_html_out,
        outlet=outlet,
        removed=tuple(code for code in REMOVAL_CODES if code in removed),
    )


# --------------------------------------------------------------------------- input and parsing


def _coerce(body: str | bytes) -> str:
    if isinstance(body, bytes | bytearray | memoryview):
        body = bytes(body).decode("utf-8", errors="replace")
    if not isinstance(body, str):
        raise TypeError(f"body_html must be str or bytes, not {type(body).__name__}")
    if not body.strip():
        raise Rejected(STAGE, "empty_body", "the body is empty")
    _, garbage = _GARBAGE_CHARS.subn("", body)
    if garbage >= 8 and garbage >= _GARBAGE_RATIO * len(body):
        raise Rejected(
            STAGE, "empty_body", f"the body looks binary ({garbage} of {len(body)} chars)"
        )
    body = _STRIP_CHARS.sub("", body)
    # A stray </body></html> makes libxml2 ignore everything after it.
    return _DOCUMENT_TAGS.sub("", body)


def _parse(source: str) -> Element:
    """Parse a fragment; return a container element (the <body>) holding it."""
    try:
        root, fatal = _parse_once(source)
        if fatal:
            # libxml2 stops at its depth limit and silently drops the rest: flatten first.
            root, fatal = _parse_once(_limit_depth(source, _MAX_PARSE_DEPTH))
    except (etree.LxmlError, ValueError, TypeError, AssertionError):
        return _parse_as_text(source)
    if fatal:
        return _parse_as_text(source)
    return root


def _parse_once(source: str) -> tuple[Element, str | None]:
    # Plain etree parser: lxml.html's element class lookup costs a Python call per node.
    parser = etree.HTMLParser(
        huge_tree=True,
        remove_comments=False,
        remove_pis=True,
        remove_blank_text=False,
        collect_ids=False,
        default_doctype=False,
        no_network=True,
    )
    doc = etree.fromstring(f"<html><body>{source}</body></html>", parser=parser)
    if doc is None:
        doc = etree.Element("html")
    fatal = next((e.message for e in parser.error_log if e.level == etree.ErrorLevels.FATAL), None)
    body = doc.find("body")
    if body is None:
        body = etree.SubElement(doc, "body")
    return body, fatal


class _DepthLimiter(_StdlibHTMLParser):
    """Re-emit HTML with at most ``limit`` open elements (deeper tags dropped, text kept)."""

    _AUTO_CLOSE: ClassVar[dict[str, frozenset[str]]] = {
        "p": frozenset({"p"}),
        "li": frozenset({"li"}),
        "dt": frozenset({"dt", "dd"}),
        "dd": frozenset({"dt", "dd"}),
        "tr": frozenset({"tr", "td", "th"}),
        "td": frozenset({"td", "th"}),
        "th": frozenset({"td", "th"}),
        "option": frozenset({"option"}),
    }
    _MATCH_WINDOW = 32

    def __init__(self, limit: int) -> None:
        super().__init__(convert_charrefs=False)
        self.limit = limit
        self.out: list[str] = []
        self.stack: list[str] = []
        self.dropped: Counter[str] = Counter()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        raw = self.get_starttag_text() or ""
        if tag in _VOID_ELEMENTS:
            self.out.append(raw)
            return
        closes = self._AUTO_CLOSE.get(tag)
        if closes and self.stack and self.stack[-1] in closes:
            self.stack.pop()
        if len(self.stack) >= self.limit:
            self.dropped[tag] += 1
            return
        self.stack.append(tag)
        self.out.append(raw)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.out.append(self.get_starttag_text() or "")

    def handle_endtag(self, tag: str) -> None:
        if self.dropped[tag] > 0:
            self.dropped[tag] -= 1
            return
        stack = self.stack
        for i in range(len(stack) - 1, max(len(stack) - self._MATCH_WINDOW, 0) - 1, -1):
            if stack[i] == tag:
                del stack[i:]
                break
        self.out.append(f"</{tag}>")

    def handle_data(self, data: str) -> None:
        self.out.append(data)

    def handle_entityref(self, name: str) -> None:
        self.out.append(f"&{name};")

    def handle_charref(self, name: str) -> None:
        self.out.append(f"&#{name};")

    def handle_comment(self, data: str) -> None:
        self.out.append(f"<!--{data}-->")


def _limit_depth(source: str, limit: int) -> str:
    limiter = _DepthLimiter(limit)
    limiter.feed(source)
    limiter.close()
    return "".join(limiter.out)


_TEXT_FALLBACK_DROP = re.compile(
    r"<(script|style|noscript|template|iframe|svg|math)\b[^<>]{0,2000}>.*?(?:</\1\s*>|\Z)"
    r"|<!--.*?(?:-->|\Z)",
    re.IGNORECASE | re.DOTALL,
)
_TEXT_FALLBACK_BREAK = re.compile(
    r"</?(?:p|div|br|li|tr|h[1-6]|blockquote|center|table|ul|ol)\b[^<>]{0,2000}>", re.IGNORECASE
)
_TEXT_FALLBACK_TAG = re.compile(r"<[^<>]{0,2000}>")


def _parse_as_text(source: str) -> Element:
    """Last resort when libxml2 cannot read the body: keep its text, one <p> a line."""
    text = _TEXT_FALLBACK_DROP.sub("", source)
    text = _TEXT_FALLBACK_BREAK.sub("\n", text)
    text = _html.unescape(_TEXT_FALLBACK_TAG.sub("", text))
    text = _STRIP_CHARS.sub("", text)
    root = etree.Element("body")
    for line in text.split("\n"):
        if line.strip():
            etree.SubElement(root, "p").text = line
    return root


# --------------------------------------------------------------------------- tree walking

_START, _END, _TEXT, _TAIL = 0, 1, 2, 3


def _walk(top: Element, skip: set[Element]) -> Iterator[tuple[int, Element]]:
    """Document-order events below `top` (not its tail), without recursion.

    Skipped elements, comments and processing instructions contribute only their tail.
    ``_TEXT`` means ``el.text``, ``_TAIL`` means ``el.tail``.
    """
    walker = etree.iterwalk(top, events=("start", "end", "comment", "pi"))
    for event, el in walker:
        if event == "start":
            if el in skip and el is not top:
                walker.skip_subtree()
                continue
            yield _START, el
            if el.text:
                yield _TEXT, el
        elif event == "end":
            if el is top:
                yield _END, el
                return
            if el not in skip:
                yield _END, el
            if el.tail:
                yield _TAIL, el
        elif el.tail:  # comment or processing instruction
            yield _TAIL, el


def _text_candidates(
    root: Element, skip: set[Element], word: str, haystack: str | None = None
) -> list[tuple[Element, bool, str]]:
    """Visible text nodes containing `word`, in document order: (owner, is_tail, text).

    `haystack` (all the text, hidden included) saves the node search when `word` is absent."""
    found: list[tuple[Element, bool, str]] = []
    if haystack is not None and word not in haystack:
        return found
    for result in root.xpath(".//text()[contains(., $word)]", word=word):
        owner = result.getparent()
        if owner is None:
            continue
        is_tail = bool(result.is_tail)
        holder = owner.getparent() if is_tail else owner
        if _is_visible(holder, root, skip) and (is_tail or isinstance(owner.tag, str)):
            found.append((owner, is_tail, str(result)))
            if len(found) >= _CANDIDATE_LIMIT:
                break
    return found


def _all_text(root: Element) -> str:
    return str(root.xpath("string()"))


def _is_visible(el: Element | None, root: Element, skip: set[Element]) -> bool:
    node = el
    while node is not None and node is not root:
        if node in skip or not isinstance(node.tag, str):
            return False
        node = node.getparent()
    return node is root


def _visible_text(el: Element, skip: set[Element], limit: int = _TEXT_LIMIT) -> str | None:
    """The normalised visible text of `el`, or None when it is longer than `limit`."""
    parts: list[str] = []
    size = 0
    for budget, (kind, node) in enumerate(_walk(el, skip)):
        if budget > _WALK_BUDGET:
            return None
        if kind == _TEXT:
            piece = node.text
        elif kind == _TAIL:
            piece = node.tail
        elif kind == _START and node.tag == "br":
            piece = " "
        else:
            continue
        parts.append(piece)
        size += len(piece)
        if size > limit * 4:
            return None
    text = _normalise_line("".join(parts))
    return text if len(text) <= limit else None


def _normalise_line(text: str) -> str:
    """Collapse whitespace (incl. U+3000 and no-break spaces) to one space and strip."""
    return " ".join(_ZERO_WIDTH.sub("", text).split())


def _classes(el: Element) -> set[str]:
    value = el.get("class")
    return set(value.lower().split()) if value else set()


def _nearest_block(el: Element, root: Element) -> Element:
    node = el
    while node is not None and node is not root:
        if node.tag in _BLOCK_TAGS:
            return node
        node = node.getparent()
    return root


# --------------------------------------------------------------------------- furniture


def _remove_widgets(root: Element, skip: set[Element], removed: set[str]) -> None:
    """Everything between EM_StockImg_Start and EM_StockImg_End (paired in order)."""
    markers: list[tuple[str, Element]] = []
    for comment in root.iter(etree.Comment):
        match = _WIDGET_MARKER.match(comment.text or "")
        if match:
            markers.append((match.group(1).lower(), comment))
    pairs: list[tuple[Element, Element]] = []
    start: Element | None = None
    for kind, comment in markers:
        if kind == "start":
            start = comment
        elif start is not None:
            pairs.append((start, comment))
            start = None
    if not pairs:
        return
    order = list(root.iter())
    position = {node: index for index, node in enumerate(order)}
    for start, end in pairs:
        first, last = position[start], position[end]
        end_ancestors = set(end.iterancestors())
        in_range: set[Element] = set()
        for node in order[first + 1 : last]:
            if node in end_ancestors:
                node.text = None  # its text lies between the markers
                continue
            in_range.add(node)
            if node.getparent() not in in_range:  # a topmost node of the range
                node.tail = None
                if isinstance(node.tag, str):
                    skip.add(node)
        start.tail = None
        for ancestor in start.iterancestors():
            if ancestor in end_ancestors:
                break
            ancestor.tail = None
        removed.add("widget")


def _is_hidden(el: Element) -> bool:
    if el.get("hidden") is not None:
        return True
    style = el.get("style")
    return bool(style) and _HIDDEN_STYLE.search(style) is not None


def _is_stock_link(el: Element) -> bool:
    """`a.keytip`, `a.infokey`, or a link inside a stock/board/Info span."""
    if _classes(el) & {"keytip", "infokey"}:
        return True
    parent = el.getparent()
    return (
        parent is not None
        and parent.tag == "span"
        and _STOCK_SPAN_ID.match(parent.get("id") or "") is not None
    )


def _mark_by_markup(
    root: Element, skip: set[Element], removed: set[str]
) -> tuple[list[Element], list[Element]]:
    """Furniture recognisable from tags and attributes alone. Returns the em_media
    elements and the mirror's rendered back links (both handled later)."""
    em_media: list[Element] = []
    mirror_links: list[Element] = []
    for el in root.iter(*_ACTIVE_CONTENT):
        skip.add(el)
        removed.add("active_content")
    for el in root.iter():
        tag = el.tag
        if not isinstance(tag, str) or tag in _ACTIVE_CONTENT or not el.keys():
            continue
        if _is_hidden(el):
            skip.add(el)
            removed.add("hidden")
            continue
        classes = _classes(el)
        if "emimageremark" in classes:
            skip.add(el)
            removed.add("widget")
        elif tag == "img" and _KLINE_SRC.search(el.get("src") or ""):
            skip.add(el)
            parent = el.getparent()
            if parent is not None and parent.tag == "a":
                skip.add(parent)
            removed.add("widget")
        elif "toplink" in classes or (tag == "img" and "em_handle_adv_close" in classes):
            skip.add(el)
            removed.add("promotion")
        elif tag == "span" and _QUOTE_SPAN_ID.match(el.get("id") or ""):
            skip.add(el)
        elif "em_media" in classes:
            em_media.append(el)
        elif (
            tag == "a"
            and _MIRROR_HREF.match((el.get("href") or "").strip())
            and str(el.xpath("string()")).strip().startswith("返回")
        ):
            skip.add(el)
            mirror_links.append(el)
            removed.add("back_links")
    return em_media, mirror_links


def _read_source_lines(
    em_media: list[Element], skip: set[Element], removed: set[str]
) -> str | None:
    """Drop the `p.em_media` source lines; the first one names the outlet."""
    outlet: str | None = None
    for el in em_media:
        if el in skip:
            continue
        text = _visible_text(el, skip, limit=200)
        if text is None:  # not a source line, whatever its class says
            continue
        skip.add(el)
        removed.add("source_line")
        if outlet is None:
            outlet = _outlet_from(text)
    return outlet


def _outlet_from(text: str) -> str | None:
    match = _SOURCE_LINE.match(text)
    name = match.group("outlet") if match else text.strip("（）() ")
    name = _normalise_line(name).strip("（）() ")
    return name if name and len(name) <= 40 else None


def _wrap_bare_runs(root: Element, skip: set[Element]) -> None:
    """Wrap inline content sitting directly in the root or a <div>-like container in <p>,
    so that bare text is a block (a line) like any paragraph. Block children never move."""
    containers = [root]
    containers.extend(el for el in root.iter(*_CONTAINER_TAGS) if el is not root)
    for container in containers:
        if container not in skip:
            _wrap_container(container, skip)


def _wrap_container(container: Element, skip: set[Element]) -> None:
    def has_content(text: str | None, nodes: list[Element]) -> bool:
        if text and text.strip():
            return True
        for node in nodes:
            if isinstance(node.tag, str) and node not in skip and node.tag != "br":
                return True
            if node.tail and node.tail.strip():
                return True
        return False

    runs: list[tuple[Element | None, list[Element], Element | None]] = []
    owner: Element | None = None  # whose text/tail opens the current run (None: container)
    nodes: list[Element] = []
    for child in container:
        if isinstance(child.tag, str) and child.tag in _BLOCK_TAGS:
            runs.append((owner, nodes, child))
            owner, nodes = child, []
        else:
            nodes.append(child)
    runs.append((owner, nodes, None))

    for owner, nodes, before in runs:
        lead = container.text if owner is None else owner.tail
        if not has_content(lead, nodes):
            continue
        para = etree.Element("p")
        para.text = lead
        if owner is None:
            container.text = None
        else:
            owner.tail = None
        for node in nodes:
            para.append(node)  # moves the node with its tail
        if before is None:
            container.append(para)
        else:
            before.addprevious(para)


def _cut_disclaimer(root: Element, skip: set[Element], removed: set[str]) -> None:
    """Cut from `郑重声明：东方财富…` to the end of the body."""
    for owner, is_tail, text in _text_candidates(root, skip, "郑重声明", _all_text(root)):
        block = _nearest_block(owner.getparent() if is_tail else owner, root)
        offset = text.find("郑重声明")
        while offset != -1:
            following = _text_from(block, skip, owner, is_tail, offset, limit=60)
            if _DISCLAIMER.match(_WS.sub("", following)):
                _cut_after(root, owner, is_tail, offset, skip)
                removed.add("disclaimer")
                return
            offset = text.find("郑重声明", offset + 1)


def _text_from(
    block: Element, skip: set[Element], owner: Element, is_tail: bool, offset: int, limit: int
) -> str:
    """Up to `limit` characters of `block`'s visible text, from a point in one text node."""
    wanted = _TAIL if is_tail else _TEXT
    parts: list[str] = []
    size = 0
    started = False
    for kind, el in _walk(block, skip):
        if kind not in (_TEXT, _TAIL):
            continue
        piece = el.text if kind == _TEXT else el.tail
        if not started:
            if el is not owner or kind != wanted:
                continue
            started = True
            piece = piece[offset:]
        parts.append(piece)
        size += len(piece)
        if size >= limit:
            break
    return "".join(parts)


def _cut_after(
    root: Element, owner: Element, is_tail: bool, offset: int, skip: set[Element]
) -> None:
    def drop(node: Element) -> None:
        node.tail = None
        if isinstance(node.tag, str):
            skip.add(node)

    if is_tail:
        owner.tail = owner.tail[:offset] or None
    else:
        owner.text = owner.text[:offset] or None
        for child in owner:
            drop(child)
        if owner is root:
            return
        owner.tail = None
    node = owner
    while node is not None and node is not root:
        for sibling in node.itersiblings():
            drop(sibling)
        parent = node.getparent()
        if parent is None or parent is root:
            break
        parent.tail = None
        node = parent


def _line_container(
    owner: Element, root: Element, skip: set[Element], pattern: re.Pattern[str]
) -> tuple[Element, re.Match[str]] | None:
    """The element (the text's owner or an ancestor, up to its block) whose whole visible
    text matches `pattern`."""
    node = owner
    while node is not None and node is not root:
        text = _visible_text(node, skip)
        if text is None:
            return None
        match = pattern.match(text)
        if match:
            return node, match
        if node.tag in _BLOCK_TAGS:
            return None
        node = node.getparent()
    return None


def _remove_text_furniture(
    root: Element,
    skip: set[Element],
    removed: set[str],
    mirror_links: list[Element],
    outlet: str | None,
) -> str | None:
    """Editor line, bare source line, promotion, back links; returns the outlet."""
    candidates: dict[str, list[tuple[Element, bool]]] = {
        "editor": [],
        "source": [],
        "promotion": [],
        "back_links": [],
    }
    keywords = (
        ("editor", ("责任编辑",)),
        ("source", ("文章来源",)),
        ("promotion", ("开户", "看资讯")),
        ("back_links", ("[返回",)),
    )
    haystack = _all_text(root)
    for kind, words in keywords:
        seen: set[tuple[Element, bool]] = set()
        for word in words:
            for owner, is_tail, _ in _text_candidates(root, skip, word, haystack):
                if (owner, is_tail) not in seen:
                    seen.add((owner, is_tail))
                    candidates[kind].append((owner, is_tail))

    def owner_of(el: Element, is_tail: bool) -> Element:
        return el.getparent() if is_tail else el

    for el, is_tail in candidates["editor"]:
        if not _is_visible(owner_of(el, is_tail), root, skip):
            continue
        found = _line_container(owner_of(el, is_tail), root, skip, _EDITOR_LINE)
        if found:
            skip.add(found[0])
            removed.add("editor_line")

    for el, is_tail in candidates["source"]:
        if not _is_visible(owner_of(el, is_tail), root, skip):
            continue
        found = _line_container(owner_of(el, is_tail), root, skip, _BARE_SOURCE_LINE)
        if found:
            skip.add(found[0])
            removed.add("source_line")
            if outlet is None:
                outlet = _outlet_from(found[1].group(0))

    for kind, whole, literal in (
        ("promotion", _PROMOTION, _PROMOTION_LITERAL),
        ("back_links", _BACK_LINKS, _BACK_LINKS_LITERAL),
    ):
        for el, is_tail in candidates[kind]:
            if not _is_visible(owner_of(el, is_tail), root, skip):
                continue
            compact_match = _line_container_compact(owner_of(el, is_tail), root, skip, whole)
            if compact_match is not None:
                skip.add(compact_match)
                removed.add(kind)
                continue
            text = el.tail if is_tail else el.text
            if text and literal.search(text):
                cleaned = literal.sub("", text) or None
                if is_tail:
                    el.tail = cleaned
                else:
                    el.text = cleaned
                removed.add(kind)

    for link in mirror_links:
        block = _nearest_block(link, root)
        if block is root or block in skip:
            continue
        text = _visible_text(block, skip)
        if text is not None and _SEPARATORS_ONLY.match(text):
            skip.add(block)
    return outlet


_LINK_LABEL = re.compile(r"^\s*(?:点击|请点击)?(?:阅读|查看|浏览|下载)[^（）()<>\n]{0,12}$")
_OPENS_LABEL = re.compile(r"[（(]\s*$")
_CLOSES_LABEL = re.compile(r"^\s*[）)]")


def _remove_link_labels(root: Element, skip: set[Element], removed: set[str]) -> None:
    """Drop ``（<a>点击阅读报告全文</a>）``: a link label and the parentheses around it."""
    for seen, link in enumerate(root.iter("a")):
        if seen >= _CANDIDATE_LIMIT * 4:
            break
        if link in skip or len(link) or not _LINK_LABEL.match(link.text or ""):
            continue
        before = link.getprevious()
        opener = before.tail if before is not None else link.getparent().text
        closer = link.tail or ""
        if not opener or not _OPENS_LABEL.search(opener) or not _CLOSES_LABEL.match(closer):
            continue
        opener = _OPENS_LABEL.sub("", opener)
        if before is not None:
            before.tail = opener
        else:
            link.getparent().text = opener
        link.tail = _CLOSES_LABEL.sub("", link.tail, count=1)
        skip.add(link)
        removed.add("link_label")


def _line_container_compact(
    owner: Element, root: Element, skip: set[Element], pattern: re.Pattern[str]
) -> Element | None:
    """Like `_line_container`, matching the text with all whitespace removed."""
    node = owner
    while node is not None and node is not root:
        text = _visible_text(node, skip)
        if text is None:
            return None
        if pattern.match(_WS.sub("", text)):
            return node
        if node.tag in _BLOCK_TAGS:
            return None
        node = node.getparent()
    return None


# --------------------------------------------------------------------------- rendering


def _render(root: Element, skip: set[Element]) -> tuple[str, str]:
    text_sink = _TextSink()
    html_sink = _HtmlSink()
    # `_walk`'s events, inlined and with the sinks' methods bound once: this loop runs for
    # every node of every body (a generator and attribute lookups per node cost a third).
    text_start, text_end, text_text = text_sink.start, text_sink.end, text_sink.buffer.append
    html_start, html_end, html_text = html_sink.start, html_sink.end, html_sink.text
    walker = etree.iterwalk(root, events=("start", "end", "comment", "pi"))
    for event, el in walker:
        if event == "start":
            if el is root:
                text_sink.flush()
            elif el in skip:
                walker.skip_subtree()
                continue
            else:
                text_start(el)
                html_start(el)
            if piece := el.text:
                text_text(piece)
                html_text(piece)
            continue
        if event == "end":
            if el is root:
                text_sink.flush()
                break
            if el not in skip:
                text_end(el)
                html_end(el)
        if piece := el.tail:  # after an element, a comment or a processing instruction
            text_text(piece)
            html_text(piece)
    text_sink.flush()
    body_text = "\n".join(text_sink.lines)
    body_html = _sanitise(html_sink.result())
    if body_text and not body_html:  # never leave the HTML empty when there is text
        body_html = "".join(f"<p>{_html.escape(line, quote=False)}</p>" for line in text_sink.lines)
    return body_text, body_html


class _TextSink:
    """One line per block and per <br>; whitespace collapsed."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.buffer: list[str] = []

    def flush(self) -> None:
        if self.buffer:
            line = _normalise_line("".join(self.buffer))
            self.buffer.clear()
            if line:
                self.lines.append(line)

    def start(self, el: Element) -> None:
        tag = el.tag
        if tag in _BLOCK_TAGS or tag == "br":
            self.flush()
        elif tag in ("td", "th"):
            self.buffer.append(" ")

    def end(self, el: Element) -> None:
        tag = el.tag
        if tag in _BLOCK_TAGS:
            self.flush()
        elif tag in ("td", "th"):
            self.buffer.append(" ")

    def text(self, piece: str) -> None:
        self.buffer.append(piece)


class _Frame:
    __slots__ = ("content", "name", "start")

    def __init__(self, name: str | None, start: int) -> None:
        self.name = name  # emitted tag, None when the element is rendered transparently
        self.start = start  # index in the token list where its open tag went
        self.content = False  # text or image inside


class _HtmlSink:
    """Serialise the cleaned tree as allowed tags only; empty blocks are dropped."""

    _STRUCTURAL = frozenset({None, "ul", "ol", "table", "thead", "tbody", "tr"})
    #: Tags that cannot sit inside an open paragraph or heading (html5ever would close it
    #: and leave an empty <p> behind): rendered transparently there, with a <br>.
    _PARAGRAPHS = frozenset({"p", "h2", "h3", "h4", "h5", "h6"})
    _NOT_IN_PARAGRAPH = frozenset(
        {"p", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "li", "blockquote", "center"}
        | {"table", "thead", "tbody", "tr", "th", "td"}
    )

    def __init__(self) -> None:
        self.tokens: list[str] = []  # tags start with "<"; escaped text never does
        self.frames: list[_Frame] = []
        self.open: list[str] = []  # emitted, not yet closed (non-void) tags
        self.paragraphs = 0  # open <p>/<h*> among them
        self.links = 0  # open <a> among them
        self.line_start = True
        #: a <br> owed before the next content (never emitted at a line's start or end)
        self.pending_break = False

    def result(self) -> str:
        return "".join(self.tokens)

    def _trim_line_end(self) -> None:
        """Drop trailing <br> and whitespace up to the last tag (never past an open tag)."""
        tokens = self.tokens
        while tokens:
            last = tokens[-1]
            if last == "<br>":
                tokens.pop()
            elif last.startswith("<"):
                return
            else:
                stripped = last.rstrip()
                if stripped:
                    tokens[-1] = stripped
                    return
                tokens.pop()

    def _mark_content(self) -> None:
        if self.frames:
            self.frames[-1].content = True
        self.line_start = False

    def _pay_break(self) -> None:
        if self.pending_break:
            self.tokens.append("<br>")
            self.pending_break = False

    def _line_break(self) -> None:
        if not self.line_start:
            self._trim_line_end()
            self.pending_break = True
        self.line_start = True

    def _block_boundary(self) -> None:
        if self.paragraphs:  # a block inside an open paragraph: a line break
            self._line_break()
            return
        self._trim_line_end()
        self.pending_break = False
        self.line_start = True

    def start(self, el: Element) -> None:
        tag = el.tag
        block = tag in _BLOCK_TAGS
        if block:
            self._block_boundary()
        name, attrs = _html_tag(el)
        if name is not None and (
            (name not in _VOID_ELEMENTS and len(self.open) >= _MAX_HTML_DEPTH)
            or (self.paragraphs and name in self._NOT_IN_PARAGRAPH)
            or (self.links and name == "a")
        ):
            name = None
        if name == "br":
            self._line_break()
            self.frames.append(_Frame(None, len(self.tokens)))
            return
        if name == "img":
            self._pay_break()
            self.tokens.append(f"<img{attrs}>")
            self._mark_content()
            frame = _Frame(None, len(self.tokens))
            frame.content = True
            self.frames.append(frame)
            return
        frame = _Frame(name, len(self.tokens))
        self.frames.append(frame)
        if name is not None:
            self.tokens.append(f"<{name}{attrs}>")
            self.open.append(name)
            self.paragraphs += name in self._PARAGRAPHS
            self.links += name == "a"

    def end(self, el: Element) -> None:
        frame = self.frames.pop()
        block = el.tag in _BLOCK_TAGS
        if frame.name is not None:
            self.open.pop()
            self.paragraphs -= frame.name in self._PARAGRAPHS
            self.links -= frame.name == "a"
            if not frame.content and frame.name in _DROP_IF_EMPTY:
                del self.tokens[frame.start :]
            else:
                if block or frame.name in ("td", "th"):
                    self._trim_line_end()
                    self.pending_break = False
                self.tokens.append(f"</{frame.name}>")
        if frame.content and self.frames:
            self.frames[-1].content = True
        if block:
            if frame.name is None:
                self._block_boundary()
            self.line_start = True

    def text(self, piece: str) -> None:
        if "\u200b" in piece or "\ufeff" in piece:
            piece = _ZERO_WIDTH.sub("", piece)
        piece = _WS.sub(" ", piece)
        if self.line_start:
            piece = piece.lstrip()
        if not piece:
            return
        if piece == " " and (self.open[-1] if self.open else None) in self._STRUCTURAL:
            return
        if piece.strip():
            self._pay_break()
        self.tokens.append(_html.escape(piece, quote=False))
        if piece.strip():
            self._mark_content()


def _safe_url(value: str | None) -> str | None:
    if not value:
        return None
    url = value.strip()
    if url.startswith("//"):
        url = "https:" + url
    return url if _SAFE_URL.match(url) else None


def _html_tag(el: Element) -> tuple[str | None, str]:
    """The tag name and attribute string to emit for `el`; (None, "") renders it
    transparently (its content only)."""
    tag = el.tag
    name = _HTML_RENAME.get(tag, tag)
    if name not in _HTML_TAGS:
        return None, ""
    if name == "a":
        if _is_stock_link(el):
            return None, ""
        href = _safe_url(el.get("href"))
        if href is None:
            return None, ""
        return "a", f' href="{_html.escape(href)}"'
    if name == "img":
        src = _safe_url(el.get("src"))
        if src is None:
            return None, ""
        attrs = [f' src="{_html.escape(src)}"']
        alt = el.get("alt")
        if alt is not None:
            attrs.append(f' alt="{_html.escape(_normalise_line(alt))}"')
        for dimension in ("width", "height"):
            value = (el.get(dimension) or "").strip()
            if value.isdigit() and len(value) <= 5:
                attrs.append(f' {dimension}="{value}"')
        return "img", "".join(attrs)
    return name, ""


def _sanitise(fragment: str) -> str:
    cleaned = nh3.clean(
        fragment,
        tags=set(_HTML_TAGS),
        clean_content_tags=set(_HTML_CLEAN_CONTENT),
        attributes={tag: set(names) for tag, names in _HTML_ATTRIBUTES.items()},
        url_schemes={"http", "https"},
        url_relative="deny",
        link_rel=_HTML_LINK_REL,
        strip_comments=True,
    )
    # Defensive: html5ever may still have split a paragraph into empty ones.
    return _EMPTY_PARAGRAPH.sub("", cleaned).strip()
