"""HTML article pages: rendered finews posts and Eastmoney article pages."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from lxml import etree
from parsel.csstranslator import HTMLTranslator

from finews_spider.model import PageContext, ParsedPage, Rejected
from finews_spider.parsing.search import strip_highlights
from finews_spider.parsing.text import info_code_from_url, one_line, outlet_from_tags
from finews_spider.parsing.tree import limit_depth
from finews_spider.site import POST_PATH, SOURCE_LABEL, is_mirror_url, web_url

Element = Any  # lxml.etree._Element (lxml ships no stubs by default)
#: Plain strings, as lxml.html's `text_content` gives (an XPath compiled once).
_STRING = etree.XPath("string()", smart_strings=False)

#: Open elements kept when a page nests deeper than libxml2 reads (see `_page_root`).
_MAX_DEPTH = 200


def _page_root(text: str, *, empty_ok: bool) -> Element:
    """The page's lxml.html tree, parsed once (the one parse both page kinds share).

    libxml2 silently drops everything past its nesting limit, so when it reports that limit
    the page is parsed again flattened to `_MAX_DEPTH` open elements (text kept)."""
    root, too_deep = _parse_html(text)
    if too_deep:
        root, _ = _parse_html(limit_depth(text, _MAX_DEPTH))
    if root is None:
        if not empty_ok:
            raise etree.ParserError("Document is empty")
        root = etree.fromstring(b"<html/>", _html_parser())
    return root


def _html_parser() -> etree.HTMLParser:
    # recover, utf-8 and no NULs as parsel's own parse; no huge_tree: the strict depth limit.
    # lxml.html's parser builds the same tree, but its element classes cost a Python call for
    # every element the parsers touch.
    return etree.HTMLParser(recover=True, encoding="utf-8", no_network=True)


def _parse_html(text: str) -> tuple[Element | None, bool]:
    parser = _html_parser()
    data = text.strip().replace("\x00", "").encode("utf-8", "replace") or b"<html/>"
    root = etree.fromstring(data, parser)
    return root, any(e.level == etree.ErrorLevels.FATAL for e in parser.error_log)


def _text(node: Element) -> str:
    """All the text inside `node` (lxml.html's `text_content`)."""
    return _STRING(node)


def _outer(node: Element) -> str:
    return etree.tostring(node, encoding="unicode", method="html", with_tail=False)


def _is_source_link(node: Element) -> str | None:
    """kramdown renders `<http://…>` as a paragraph holding one link whose text is its href."""
    links = node.findall("a") if node.tag == "p" else []
    if len(links) != 1:
        return None
    # The cheap tests first: most paragraphs with one link hold an inline stock tag.
    href = links[0].get("href", "")
    if not href.startswith(("http://", "https://")) or href != one_line(_text(links[0])):
        return None
    return href if one_line(_text(node)) == href else None


def _is_back_link(node: Element) -> bool:
    links = node.findall(".//a")
    return bool(links) and all(
        _text(a).strip().startswith("返回") or is_mirror_url(a.get("href")) for a in links
    )


#: The section's children whose text a post page's fields come from.
_READ_TAGS = frozenset({"small", "h1", "blockquote"})


def parse_finews_page(url: str, text: str, context: PageContext) -> ParsedPage:
    root = _page_root(text, empty_ok=False)
    section = root.find(".//section")
    if section is None:
        raise Rejected("parse", "layout_unrecognised", "no <section> in a finews post page")
    date_raw, title, tags = "", "", []
    summary: str | None = None
    source_url: str | None = None
    body: list[str] = []
    seen_title = False
    for node in section:
        tag = node.tag
        if not isinstance(tag, str):
            continue  # comments
        # Only these elements' text is read: the body's paragraphs are not tidied here.
        text_content = one_line(_text(node)) if tag in _READ_TAGS else ""
        if tag == "small" and not seen_title and "GMT" in text_content:
            date_raw = text_content
        elif tag == "h1" and not seen_title:
            title, seen_title = text_content, True
        elif tag == "small" and text_content.startswith("tags:"):
            tags = [one_line(_text(em)) for em in node.iter("em")]
        elif not seen_title:
            continue
        elif tag == "blockquote" and not body and summary is None:
            summary = text_content or None
        elif next(node.iter("a"), None) is None:  # without a link: neither link line below
            body.append(_outer(node))
        elif (href := _is_source_link(node)) is not None:
            source_url = href
        elif _is_back_link(node):
            continue
        else:
            body.append(_outer(node))
    if not seen_title:
        raise Rejected("parse", "layout_unrecognised", "no <h1> title in the post section")
    post = POST_PATH.match(urlsplit(url).path)
    # The post's own category is the last one its permalink names.
    category = post.group(1).rstrip("/").rsplit("/", 1)[-1] if post else ""
    return ParsedPage(
        url=url,
        kind="finews_page",
        title=title,
        date_raw=date_raw,
        body_html="\n".join(body),
        context=context,
        summary=summary,
        category=category or None,
        tags=tags,
        outlet_tag=outlet_from_tags(tags),
        source_url=source_url,
        info_code=info_code_from_url(source_url),
        id_hints=[h for h in (source_url, url, context.file_name) if h],
    )


def _css(query: str) -> etree.XPath:
    """A CSS query (with parsel's ::text and ::attr()) compiled once, not once per page."""
    return etree.XPath(_TRANSLATOR.css_to_xpath(query))


_TRANSLATOR = HTMLTranslator()


def _has_class(name: str) -> str:
    """Predicates on a class attribute node: it holds the class `name` (CSS `.name`)."""
    return f"[contains(., '{name}')][contains(concat(' ', normalize-space(.), ' '), ' {name} ')]"


# Queries by class or id, CSS in the comments, are written as XPath that tests attribute
# nodes, `//div/@class[…]/..`, instead of parsel's translation, `descendant-or-self::div[@class
# …]`: the same nodes (the page root is the document element), but libxml2 evaluates the
# predicates only on the attributes that exist, not on every element (up to twice as fast).
_EM_BODY = etree.XPath(
    "//@id[. = 'ContentBody']/.."  # #ContentBody
    f" | //div/@class{_has_class('newsContent')}/../descendant::div/@class{_has_class('Body')}/.."
    # div.newsContent div.Body
    " | //article/@id[. = 'zwtext']/.."  # article#zwtext
)
_EM_TITLES = (
    etree.XPath(
        f"//div/@class{_has_class('newsContent')}/../descendant::h1/text()"  # div.newsContent h1
        f" | //div/@class{_has_class('title')}/../text()"  # div.title::text
        f" | //div/@class{_has_class('detail-title')}/../descendant::h1/text()"
        # div.detail-title h1::text
    ),
    _css("h1::text"),
    _css('meta[property="og:title"]::attr(content)'),
)
_EM_DATES = (
    etree.XPath(
        f"//div/@class{_has_class('newsContent')}/../descendant::div/@class{_has_class('time')}"
        "/../text()"  # div.newsContent div.time::text
        f" | //div/@class{_has_class('infos')}/../descendant::div/@class{_has_class('item')}"
        f"{_has_class('time')}/../text()"  # div.infos div.item.time::text
    ),
    etree.XPath(
        "//div/@class[contains(., 'infos')]/../div/@class[contains(., 'item')]"
        "/parent::*[re:test(normalize-space(.), '^\\d{4}年')]/text()",
        namespaces={"re": "http://exslt.org/regular-expressions"},
    ),
    etree.XPath(
        "//@id[. = 'zwtime']/../text()"  # #zwtime::text
        f" | //@class{_has_class('time')}/../text()"  # .time::text
    ),
)
_EM_SOURCE = etree.XPath(
    "//div/@class[contains(., 'source')]/.."  # //div[contains(@class,'source')]
    " | //div/@class[contains(., 'infos')]/../div[contains(normalize-space(.), '来源')]"
)
_EM_CANONICAL = _css('link[rel="canonical"]::attr(href)')


def _first(root: Element, *queries: etree.XPath) -> str | None:
    """The first result of the first query that has one, as text."""
    for query in queries:
        if found := query(root):
            return str(found[0])
    return None


def _record_text(record: dict[str, object], *keys: str) -> str:
    for key in keys:
        value = record.get(key)
        if isinstance(value, str) and value.strip():
            return value
    return ""


def parse_eastmoney_page(url: str, text: str, context: PageContext) -> ParsedPage:
    root = _page_root(text, empty_ok=True)
    body_node = _EM_BODY(root)
    if not body_node:
        raise Rejected("parse", "layout_unrecognised", "no #ContentBody / div.Body / #zwtext")
    title = one_line(_first(root, *_EM_TITLES))
    date_raw = one_line(_first(root, *_EM_DATES))
    source = _EM_SOURCE(root)
    outlet = None
    if source:
        outlet = one_line(SOURCE_LABEL.sub("", one_line(_STRING(source[0]))))
    # A page's statement about itself is untrusted: only a web URL that parses is kept.
    canonical = web_url(_first(root, _EM_CANONICAL))
    # A search record that led here (its title with <em> highlights) fills what the page
    # lacks; the page's own values win, so every route to the article yields one content_hash.
    record = context.list_record or {}
    record_outlet = strip_highlights(_record_text(record, "mediaName", "medianame"))
    return ParsedPage(
        url=url,
        kind="eastmoney_page",
        title=title or strip_highlights(record.get("title")),
        date_raw=date_raw or one_line(_record_text(record, "date", "showtime")),
        body_html=_outer(body_node[0]),
        context=context,
        outlet_hint=outlet or record_outlet or None,
        source_url=canonical or (url if url.startswith("http") else None),
        id_hints=[h for h in (canonical, url, context.file_name) if h],
    )
