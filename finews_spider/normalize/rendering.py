"""Rendering a cleaned body tree twice: plain text (one line per block) and sanitised HTML
(an explicit nh3 allow-list over HTML emitted from allowed tags only)."""

from __future__ import annotations

import html as _html
import re
from typing import Any

import lxml.etree as etree
import nh3

from finews_spider.normalize.furniture import is_stock_link
from finews_spider.normalize.html_tags import (
    BLOCK_TAGS,
    DROP_IF_EMPTY,
    HTML_ATTRIBUTES,
    HTML_CLEAN_CONTENT,
    HTML_LINK_REL,
    HTML_RENAME,
    HTML_TAGS,
)
from finews_spider.normalize.html_tree import WS, ZERO_WIDTH, Element, normalise_line
from finews_spider.parsing.tree import VOID_ELEMENTS
from finews_spider.site import web_url

_MAX_HTML_DEPTH = 32  # emitted nesting handed to nh3 (html5ever is slow on deep trees)
_EMPTY_PARAGRAPH = re.compile(r"<p>(?:\s|<br>)*</p>")


def render(root: Element, skip: set[Element]) -> tuple[str, str]:
    lines: list[str] = []  # body_text: one line per block and per <br>, whitespace collapsed
    buffer: list[str] = []
    html_sink = _HtmlSink()

    def flush() -> None:
        if buffer:
            line = normalise_line("".join(buffer))
            buffer.clear()
            if line:
                lines.append(line)

    # `walk`'s events and the text sink inlined, the HTML sink's methods bound once: this
    # loop runs for every node of every body.
    text = buffer.append
    html_start, html_end, html_text = html_sink.start, html_sink.end, html_sink.text
    walker = etree.iterwalk(root, events=("start", "end", "comment", "pi"))
    for event, el in walker:
        if event == "start":
            if el is root:
                flush()
            elif el in skip:
                walker.skip_subtree()
                continue
            else:
                tag = el.tag  # lxml builds a new string on every read
                if tag in _OPAQUE:
                    if tag in _LINE_STARTS:
                        flush()
                    elif tag in _CELLS:
                        text(" ")
                    html_start(el, tag)
            if piece := el.text:
                text(piece)
                html_text(piece)
            continue
        if event == "end":
            if el is root:
                flush()
                break
            if el not in skip:
                tag = el.tag
                if tag in _OPAQUE:
                    if tag in BLOCK_TAGS:
                        flush()
                    elif tag in _CELLS:
                        text(" ")
                    html_end(tag)
        if piece := el.tail:  # after an element, a comment or a processing instruction
            text(piece)
            html_text(piece)
    flush()
    body_text = "\n".join(lines)
    body_html = _sanitise("".join(html_sink.tokens))
    if body_text and not body_html:  # never leave the HTML empty when there is text
        body_html = "".join(f"<p>{_html.escape(line, quote=False)}</p>" for line in lines)
    return body_text, body_html


_LINE_STARTS = BLOCK_TAGS | {"br"}
_CELLS = frozenset({"td", "th"})


#: The tags either sink acts on: lines, cells and every tag body_html may emit (under its own
#: name or renamed). Any other tag is inline and never emitted, and `_HtmlSink.start` would
#: only open a frame passing its content on to its parent's: `render` skips the sinks for it
#: (its content marks the parent's frame directly, the same result), so the most common
#: element of a body, a stock tag's span, costs no sink call.
_OPAQUE = frozenset(
    _LINE_STARTS
    | _CELLS
    | {tag for tag in HTML_TAGS if tag not in HTML_RENAME}
    | {tag for tag, name in HTML_RENAME.items() if name in HTML_TAGS}
)

# A frame of `_HtmlSink`, one per open element: [emitted tag, or None when the element is
# rendered transparently; index in the token list where its open tag went; whether text or
# an image is inside]. A list: this is made for every element of every body.
_NAME, _START, _CONTENT = 0, 1, 2


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
        self.frames: list[list[Any]] = []
        self.open: list[str] = []  # emitted, not yet closed (non-void) tags
        self.paragraphs = 0  # open <p>/<h*> among them
        self.links = 0  # open <a> among them
        self.line_start = True
        #: a <br> owed before the next content (never emitted at a line's start or end)
        self.pending_break = False

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

    def start(self, el: Element, tag: str) -> None:
        if tag in BLOCK_TAGS:
            self._block_boundary()
        name: str | None = HTML_RENAME.get(tag, tag)
        if name not in HTML_TAGS:
            self.frames.append([None, len(self.tokens), False])
            return
        attrs = ""
        if name == "a" or name == "img":
            name, attrs = _html_tag(el, name)
        if name is not None and (
            (name not in VOID_ELEMENTS and len(self.open) >= _MAX_HTML_DEPTH)
            or (self.paragraphs and name in self._NOT_IN_PARAGRAPH)
            or (self.links and name == "a")
        ):
            name = None
        tokens = self.tokens
        if name == "br":
            self._line_break()
            self.frames.append([None, len(tokens), False])
            return
        if name == "img":
            if self.pending_break:
                tokens.append("<br>")
                self.pending_break = False
            tokens.append(f"<img{attrs}>")
            if self.frames:
                self.frames[-1][_CONTENT] = True
            self.line_start = False
            self.frames.append([None, len(tokens), True])
            return
        self.frames.append([name, len(tokens), False])
        if name is not None:
            tokens.append(f"<{name}{attrs}>")
            self.open.append(name)
            if name in self._PARAGRAPHS:
                self.paragraphs += 1
            elif name == "a":
                self.links += 1

    def end(self, tag: str) -> None:
        name, start, content = self.frames.pop()
        block = tag in BLOCK_TAGS
        if name is not None:
            self.open.pop()
            if name in self._PARAGRAPHS:
                self.paragraphs -= 1
            elif name == "a":
                self.links -= 1
            if not content and name in DROP_IF_EMPTY:
                del self.tokens[start:]
            else:
                if block or name in _CELLS:
                    self._trim_line_end()
                    self.pending_break = False
                self.tokens.append(f"</{name}>")
        if content and self.frames:
            self.frames[-1][_CONTENT] = True
        if block:
            if name is None:
                self._block_boundary()
            self.line_start = True

    def text(self, piece: str) -> None:
        # Printable text holds no zero-width character and no whitespace but " ".
        if not piece.isprintable():
            if "\u200b" in piece or "\ufeff" in piece:
                piece = ZERO_WIDTH.sub("", piece)
            piece = WS.sub(" ", piece)
        elif "  " in piece:
            piece = WS.sub(" ", piece)
        if self.line_start:
            piece = piece.lstrip()
        if not piece:
            return
        # Whitespace is now single spaces: a piece that is not " " shows something.
        if piece == " ":
            if (self.open[-1] if self.open else None) not in self._STRUCTURAL:
                self.tokens.append(" ")
            return
        if self.pending_break:
            self.tokens.append("<br>")
            self.pending_break = False
        if "&" in piece or "<" in piece or ">" in piece:
            piece = _html.escape(piece, quote=False)
        self.tokens.append(piece)
        if self.frames:
            self.frames[-1][_CONTENT] = True
        self.line_start = False


def _safe_url(value: str | None) -> str | None:
    """A link or image address worth keeping: a web URL that parses (protocol-relative ones
    read as https); anything else renders the element as its content only."""
    url = (value or "").strip()
    return web_url("https:" + url if url.startswith("//") else url)


def _html_tag(el: Element, name: str) -> tuple[str | None, str]:
    """The tag name and attribute string to emit for `el`, a link or an image (`name`);
    (None, "") renders it transparently (its content only)."""
    if name == "a":
        if is_stock_link(el):
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
            attrs.append(f' alt="{_html.escape(normalise_line(alt))}"')
        for dimension in ("width", "height"):
            value = (el.get(dimension) or "").strip()
            if value.isdigit() and len(value) <= 5:
                attrs.append(f' {dimension}="{value}"')
        return "img", "".join(attrs)
    return name, ""


#: Built once: `nh3.clean` builds the same sanitiser from its arguments on every call.
_CLEANER = nh3.Cleaner(
    tags=set(HTML_TAGS),
    clean_content_tags=set(HTML_CLEAN_CONTENT),
    attributes={tag: set(names) for tag, names in HTML_ATTRIBUTES.items()},
    url_schemes={"http", "https"},
    url_relative="deny",
    link_rel=HTML_LINK_REL,
    strip_comments=True,
)


def _sanitise(fragment: str) -> str:
    cleaned = _CLEANER.clean(fragment)
    # Defensive: html5ever may still have split a paragraph into empty ones.
    return _EMPTY_PARAGRAPH.sub("", cleaned).strip()
