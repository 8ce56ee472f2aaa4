"""HTML tree tools for the body cleaner: parsing a fragment, walking it without recursion,
reading visible text and cutting nodes.

Every pass is linear (iterative walks, no per-node string concatenation) because bodies are
untrusted: a hostile body may be megabytes of nesting or repeated furniture words.
"""

from __future__ import annotations

import html as _html
import re
from collections.abc import Iterator
from typing import Any

import lxml.etree as etree

from finews_spider.normalize.html_tags import BLOCK_TAGS
from finews_spider.parsing.tree import limit_depth
from finews_spider.site import CONTROL

Element = Any  # lxml.etree._Element (lxml ships no stubs by default)

_MAX_PARSE_DEPTH = 256  # open elements kept when libxml2 hits its depth limit
WS = re.compile(r"\s+")
ZERO_WIDTH = re.compile("[\u200b\ufeff]")
TEXT_LIMIT = 300  # characters read to decide that an element is a furniture line
_WALK_BUDGET = 2000  # events read for the same decision
CANDIDATE_LIMIT = 64  # furniture candidates examined per kind
#: Compiled once: `el.xpath(expression)` compiles its expression again on every call.
_TEXT_HOLDING = etree.XPath(".//text()[contains(., $word)]")
_STRING = etree.XPath("string()")


# --------------------------------------------------------------------------- parsing


def parse_fragment(source: str) -> Element:
    """Parse a fragment; return a container element (the <body>) holding it."""
    return read_fragment(source)[0]


def read_fragment(source: str) -> tuple[Element, bool]:
    """`parse_fragment`, and whether libxml2 read the fragment as it is, in one go (neither
    flattened nor read as text)."""
    try:
        root, fatal = _parse_once(source)
        if not fatal:
            return root, True
        # libxml2 stops at its depth limit and silently drops the rest: flatten first.
        root, fatal = _parse_once(limit_depth(source, _MAX_PARSE_DEPTH))
    except (etree.LxmlError, ValueError, TypeError, AssertionError):
        return _parse_as_text(source), False
    if fatal:
        return _parse_as_text(source), False
    return root, False


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
    text = CONTROL.sub("", text)
    root = etree.Element("body")
    for line in text.split("\n"):
        if line.strip():
            etree.SubElement(root, "p").text = line
    return root


# --------------------------------------------------------------------------- tree walking

START, END, TEXT, TAIL = 0, 1, 2, 3


def walk(top: Element, skip: set[Element]) -> Iterator[tuple[int, Element]]:
    """Document-order events below `top` (not its tail), without recursion.

    Skipped elements, comments and processing instructions contribute only their tail.
    ``TEXT`` means ``el.text``, ``TAIL`` means ``el.tail``.
    """
    walker = etree.iterwalk(top, events=("start", "end", "comment", "pi"))
    for event, el in walker:
        if event == "start":
            if el in skip and el is not top:
                walker.skip_subtree()
                continue
            yield START, el
            if el.text:
                yield TEXT, el
        elif event == "end":
            if el is top:
                yield END, el
                return
            if el not in skip:
                yield END, el
            if el.tail:
                yield TAIL, el
        elif el.tail:  # comment or processing instruction
            yield TAIL, el


def text_candidates(
    root: Element, skip: set[Element], word: str, haystack: str | None = None
) -> list[tuple[Element, bool, str]]:
    """Visible text nodes containing `word`, in document order: (owner, is_tail, text).

    `haystack` (all the text, hidden included) saves the node search when `word` is absent."""
    found: list[tuple[Element, bool, str]] = []
    if haystack is not None and word not in haystack:
        return found
    for result in _TEXT_HOLDING(root, word=word):
        owner = result.getparent()
        if owner is None:
            continue
        is_tail = bool(result.is_tail)
        holder = owner.getparent() if is_tail else owner
        if is_visible(holder, root, skip) and (is_tail or isinstance(owner.tag, str)):
            found.append((owner, is_tail, str(result)))
            if len(found) >= CANDIDATE_LIMIT:
                break
    return found


def all_text(root: Element) -> str:
    return str(_STRING(root))


def is_visible(el: Element | None, root: Element, skip: set[Element]) -> bool:
    node = el
    while node is not None and node is not root:
        if node in skip or not isinstance(node.tag, str):
            return False
        node = node.getparent()
    return node is root


def visible_text(el: Element, skip: set[Element], limit: int = TEXT_LIMIT) -> str | None:
    """The normalised visible text of `el`, or None when it is longer than `limit`."""
    parts: list[str] = []
    size = 0
    for budget, (kind, node) in enumerate(walk(el, skip)):
        if budget > _WALK_BUDGET:
            return None
        if kind == TEXT:
            piece = node.text
        elif kind == TAIL:
            piece = node.tail
        elif kind == START and node.tag == "br":
            piece = " "
        else:
            continue
        parts.append(piece)
        size += len(piece)
        if size > limit * 4:
            return None
    text = normalise_line("".join(parts))
    return text if len(text) <= limit else None


def normalise_line(text: str) -> str:
    """Collapse whitespace (incl. U+3000 and no-break spaces) to one space and strip."""
    if "\u200b" in text or "\ufeff" in text:
        text = ZERO_WIDTH.sub("", text)
    return " ".join(text.split())


def class_names(el: Element) -> set[str]:
    """The lower-cased class names of `el`."""
    value = el.get("class")
    return set(value.lower().split()) if value else set()


def nearest_block(el: Element, root: Element) -> Element:
    node = el
    while node is not None and node is not root:
        if node.tag in BLOCK_TAGS:
            return node
        node = node.getparent()
    return root


# --------------------------------------------------------------------------- reading and cutting


def text_from(
    block: Element, skip: set[Element], owner: Element, is_tail: bool, offset: int, limit: int
) -> str:
    """Up to `limit` characters of `block`'s visible text, from a point in one text node."""
    wanted = TAIL if is_tail else TEXT
    parts: list[str] = []
    size = 0
    started = False
    for kind, el in walk(block, skip):
        if kind not in (TEXT, TAIL):
            continue
        piece = el.text if kind == TEXT else el.tail
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


def cut_after(
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


def line_container(
    owner: Element, root: Element, skip: set[Element], pattern: re.Pattern[str]
) -> tuple[Element, re.Match[str]] | None:
    """The element (the text's owner or an ancestor, up to its block) whose whole visible
    text matches `pattern`."""
    node = owner
    while node is not None and node is not root:
        text = visible_text(node, skip)
        if text is None:
            return None
        match = pattern.match(text)
        if match:
            return node, match
        if node.tag in BLOCK_TAGS:
            return None
        node = node.getparent()
    return None


def line_container_compact(
    owner: Element, root: Element, skip: set[Element], pattern: re.Pattern[str]
) -> Element | None:
    """Like `line_container`, matching the text with all whitespace removed."""
    node = owner
    while node is not None and node is not root:
        text = visible_text(node, skip)
        if text is None:
            return None
        if pattern.match(WS.sub("", text)):
            return node
        if node.tag in BLOCK_TAGS:
            return None
        node = node.getparent()
    return None
