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

The work is split by job: `html_tree` (parsing and walking the fragment), `furniture` (the
rules above), `rendering` (text and sanitised HTML) and `html_tags` (the tag tables).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from finews_spider.model import Rejected
from finews_spider.normalize.furniture import (
    cut_disclaimer,
    mark_back_links,
    mark_by_markup,
    read_source_lines,
    remove_link_labels,
    remove_text_furniture,
    remove_widgets,
    wrap_bare_runs,
)
from finews_spider.normalize.html_tree import Element, all_text, parse_fragment
from finews_spider.normalize.rendering import render
from finews_spider.site import CONTROL

__all__ = ["REMOVAL_CODES", "CleanBody", "clean_body", "coerce_body"]

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


@dataclass(frozen=True)
class CleanBody:
    """A cleaned article body."""

    body_text: str  # paragraphs separated by "\n"
    body_html: str  # sanitised HTML
    outlet: str | None  # from the em_media source line, injected tags reduced to text
    removed: tuple[str, ...]  # codes from REMOVAL_CODES, in that order


#: A body made mostly of control characters and U+FFFD is binary garbage.
_GARBAGE_RATIO = 0.1
_DOCUMENT_TAGS = re.compile(r"</?(?:html|body)\b[^<>]{0,2000}>|<!doctype\b[^<>]{0,2000}>", re.I)


def clean_body(body_html: str | bytes, root: Element | None = None) -> CleanBody:
    """Remove the furniture from an article body and render it as text and as safe HTML.

    `root`, when given, is `parse_fragment(coerce_body(body_html)[1])`, made by the caller to
    share one parse (the tree is changed).
    Raises ``Rejected("cleaning", "empty_body", …)`` when nothing textual remains and
    ``Rejected("cleaning", "body_unparseable", …)`` when the body cannot be read at all.
    """
    if root is None:
        root = parse_fragment(coerce_body(body_html)[1])
    skip: set[Element] = set()
    removed: set[str] = set()

    markup = mark_by_markup(root, skip, removed)
    remove_widgets(root, markup.markers, skip, removed)
    # A back link's text is read after the widgets are gone.
    mirror_links = mark_back_links(markup.link_candidates, skip, removed)
    outlet = read_source_lines(markup.em_media, skip, removed)
    wrap_bare_runs(markup.containers, skip)
    # Read once: cutting the disclaimer only removes text, so the words it holds stay a
    # superset of what the later rules can find.
    haystack = all_text(root)
    cut_disclaimer(root, skip, removed, haystack)
    outlet = remove_text_furniture(root, skip, removed, mirror_links, outlet, haystack)
    remove_link_labels(markup.links, skip, removed)

    body_text, body_html_out = render(root, skip)
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


def coerce_body(body: str | bytes) -> tuple[str, str]:
    """(the body without its control characters, the source the cleaner parses: also
    without stray document tags). Raises Rejected(cleaning, empty_body) for an empty or
    binary body."""
    if isinstance(body, bytes | bytearray | memoryview):
        body = bytes(body).decode("utf-8", errors="replace")
    if not isinstance(body, str):
        raise TypeError(f"body_html must be str or bytes, not {type(body).__name__}")
    if not body.strip():
        raise Rejected(STAGE, "empty_body", "the body is empty")
    # One scan: the garbage characters are the control characters and U+FFFD.
    without_controls, controls = CONTROL.subn("", body)
    garbage = controls + body.count("\ufffd")
    if garbage >= 8 and garbage >= _GARBAGE_RATIO * len(body):
        raise Rejected(
            STAGE, "empty_body", f"the body looks binary ({garbage} of {len(body)} chars)"
        )
    # A stray </body></html> makes libxml2 ignore everything after it.
    return without_controls, _DOCUMENT_TAGS.sub("", without_controls)
