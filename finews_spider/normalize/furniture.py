"""Eastmoney's furniture around an article body, and how each piece is recognised.

See the field guide (../shared/reference/eastmoney.md), "Text furniture around the body".
Each rule marks elements in `skip` (not rendered) and records its code in `removed`.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from lxml import etree

from finews_spider.normalize.html_tags import ACTIVE_CONTENT, BLOCK_TAGS, CONTAINER_TAGS
from finews_spider.normalize.html_tree import (
    CANDIDATE_LIMIT,
    WS,
    Element,
    all_text,
    class_names,
    cut_after,
    is_visible,
    line_container,
    line_container_compact,
    nearest_block,
    normalise_line,
    text_candidates,
    text_from,
    visible_text,
)
from finews_spider.site import (
    KLINE_SRC,
    QUOTE_SPAN_ID,
    SOURCE_LABEL_TEXT,
    SOURCE_LINE_CLASS,
    STOCK_SPAN_ID,
    WIDGET_LINK_CLASS,
    WIDGET_MARKER,
    hides,
    is_mirror_url,
)

_SOURCE_LINE = re.compile(rf"^[（(]?\s*{SOURCE_LABEL_TEXT}(?P<outlet>.*?)\s*[)）]?$", re.DOTALL)
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
#: Class names are compared lower-cased.
_WIDGET_CLASS = WIDGET_LINK_CLASS.lower()


def remove_widgets(
    root: Element, markers: list[tuple[str, Element]], skip: set[Element], removed: set[str]
) -> None:
    """Everything between EM_StockImg_Start and EM_StockImg_End (paired in order);
    `markers`: `Markup.markers`."""
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


_STOCK_LINK_CLASSES = frozenset({"keytip", "infokey"})


def is_stock_link(el: Element) -> bool:
    """`a.keytip`, `a.infokey`, or a link inside a stock/board/Info span."""
    # As `class_names(el) & _STOCK_LINK_CLASSES`, without building the set: every link of
    # every body is asked.
    value = el.get("class")
    if value and not _STOCK_LINK_CLASSES.isdisjoint(value.lower().split()):
        return True
    parent = el.getparent()
    return (
        parent is not None
        and parent.tag == "span"
        and STOCK_SPAN_ID.match(parent.get("id") or "") is not None
    )


class Markup(NamedTuple):
    """What `mark_by_markup`'s walk found for the later rules, each list in document order."""

    em_media: list[Element]  # `.em_media` elements (`read_source_lines`)
    link_candidates: list[Element]  # links to the mirror (`mark_back_links`)
    markers: list[tuple[str, Element]]  # widget comments: ("start" | "end", comment)
    containers: list[Element]  # the root, then every container tag below it (`wrap_bare_runs`)
    links: list[Element]  # every <a> (`remove_link_labels`)


def mark_by_markup(root: Element, skip: set[Element], removed: set[str]) -> Markup:
    """Furniture recognisable from tags and attributes alone, in one walk of the tree that
    also collects what the other rules start from (`Markup`). Changes no text and no
    structure, so it may run before `remove_widgets`."""
    em_media: list[Element] = []
    link_candidates: list[Element] = []
    markers: list[tuple[str, Element]] = []
    containers: list[Element] = [root]
    links: list[Element] = []
    for el in root.iter():
        tag = el.tag
        if not isinstance(tag, str):
            if tag is etree.Comment and (match := WIDGET_MARKER.match(el.text or "")):
                markers.append((match.group(1).lower(), el))
            continue
        if tag in CONTAINER_TAGS and el is not root:
            containers.append(el)
        elif tag == "a":
            links.append(el)
        if tag in ACTIVE_CONTENT:
            skip.add(el)
            removed.add("active_content")
            continue
        if not el.keys():
            continue
        if el.get("hidden") is not None or hides(el.get("style")):
            skip.add(el)
            removed.add("hidden")
            continue
        names = class_names(el)
        if _WIDGET_CLASS in names:
            skip.add(el)
            removed.add("widget")
        elif tag == "img" and KLINE_SRC.search(el.get("src") or ""):
            skip.add(el)
            parent = el.getparent()
            if parent is not None and parent.tag == "a":
                skip.add(parent)
            removed.add("widget")
        elif "toplink" in names or (tag == "img" and "em_handle_adv_close" in names):
            skip.add(el)
            removed.add("promotion")
        elif tag == "span" and QUOTE_SPAN_ID.match(el.get("id") or ""):
            skip.add(el)
        elif SOURCE_LINE_CLASS in names:
            em_media.append(el)
        elif tag == "a" and is_mirror_url(el.get("href")):
            link_candidates.append(el)
    return Markup(em_media, link_candidates, markers, containers, links)


def mark_back_links(
    candidates: list[Element], skip: set[Element], removed: set[str]
) -> list[Element]:
    """The mirror's rendered back links among `Markup.link_candidates` (their text, read
    after `remove_widgets`, starts with 返回); returns them (handled later)."""
    mirror_links: list[Element] = []
    for el in candidates:
        if all_text(el).strip().startswith("返回"):
            skip.add(el)
            mirror_links.append(el)
            removed.add("back_links")
    return mirror_links


def read_source_lines(em_media: list[Element], skip: set[Element], removed: set[str]) -> str | None:
    """Drop the `p.em_media` source lines; the first one names the outlet."""
    outlet: str | None = None
    for el in em_media:
        if el in skip:
            continue
        text = visible_text(el, skip, limit=200)
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
    name = normalise_line(name).strip("（）() ")
    return name if name and len(name) <= 40 else None


def wrap_bare_runs(containers: list[Element], skip: set[Element]) -> None:
    """Wrap inline content sitting directly in the root or a <div>-like container in <p>,
    so that bare text is a block (a line) like any paragraph. Block children never move.
    `containers`: `Markup.containers` (the tree's structure has not changed since)."""
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
        if isinstance(child.tag, str) and child.tag in BLOCK_TAGS:
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


def cut_disclaimer(root: Element, skip: set[Element], removed: set[str], haystack: str) -> None:
    """Cut from `郑重声明：东方财富…` to the end of the body. `haystack`: `all_text(root)`."""
    for owner, is_tail, text in text_candidates(root, skip, "郑重声明", haystack):
        block = nearest_block(owner.getparent() if is_tail else owner, root)
        offset = text.find("郑重声明")
        while offset != -1:
            following = text_from(block, skip, owner, is_tail, offset, limit=60)
            if _DISCLAIMER.match(WS.sub("", following)):
                cut_after(root, owner, is_tail, offset, skip)
                removed.add("disclaimer")
                return
            offset = text.find("郑重声明", offset + 1)


def remove_text_furniture(
    root: Element,
    skip: set[Element],
    removed: set[str],
    mirror_links: list[Element],
    outlet: str | None,
    haystack: str,
) -> str | None:
    """Editor line, bare source line, promotion, back links; returns the outlet.
    `haystack`: `all_text(root)`, or any text holding it (words absent from it are not
    searched for)."""
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
    for kind, words in keywords:
        seen: set[tuple[Element, bool]] = set()
        for word in words:
            for owner, is_tail, _ in text_candidates(root, skip, word, haystack):
                if (owner, is_tail) not in seen:
                    seen.add((owner, is_tail))
                    candidates[kind].append((owner, is_tail))

    def owner_of(el: Element, is_tail: bool) -> Element:
        return el.getparent() if is_tail else el

    for el, is_tail in candidates["editor"]:
        if not is_visible(owner_of(el, is_tail), root, skip):
            continue
        found = line_container(owner_of(el, is_tail), root, skip, _EDITOR_LINE)
        if found:
            skip.add(found[0])
            removed.add("editor_line")

    for el, is_tail in candidates["source"]:
        if not is_visible(owner_of(el, is_tail), root, skip):
            continue
        found = line_container(owner_of(el, is_tail), root, skip, _BARE_SOURCE_LINE)
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
            if not is_visible(owner_of(el, is_tail), root, skip):
                continue
            compact_match = line_container_compact(owner_of(el, is_tail), root, skip, whole)
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
        block = nearest_block(link, root)
        if block is root or block in skip:
            continue
        text = visible_text(block, skip)
        if text is not None and _SEPARATORS_ONLY.match(text):
            skip.add(block)
    return outlet


_LINK_LABEL = re.compile(r"^\s*(?:点击|请点击)?(?:阅读|查看|浏览|下载)[^（）()<>\n]{0,12}$")
_OPENS_LABEL = re.compile(r"[（(]\s*$")
_CLOSES_LABEL = re.compile(r"^\s*[）)]")


def remove_link_labels(links: list[Element], skip: set[Element], removed: set[str]) -> None:
    """Drop ``（<a>点击阅读报告全文</a>）``: a link label and the parentheses around it.
    `links`: `Markup.links` (the rules before only wrap runs of nodes in new <p>, which
    keeps every link, in the same document order)."""
    for seen, link in enumerate(links):
        if seen >= CANDIDATE_LIMIT * 4:
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
