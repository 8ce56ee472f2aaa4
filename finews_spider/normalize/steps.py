"""The normalisation steps. Each reads `draft.page` and fills `draft.doc`.

`finews_spider.core.STEPS` runs them in order; every runtime goes through the core.
"""

from __future__ import annotations

from collections.abc import Callable

from finews_spider.model import PARSER_VERSION, Draft, Rejected
from finews_spider.normalize.attribution import attributed_outlet
from finews_spider.normalize.cleaning import clean_body, coerce_body
from finews_spider.normalize.dates import check_against_article_id, parse_published
from finews_spider.normalize.html_tree import read_fragment
from finews_spider.normalize.identity import article_id, content_hash, url_id
from finews_spider.normalize.names import link_names
from finews_spider.normalize.securities import (
    extract_securities,
    merge_stocks,
    parses_alike,
    securities_in_text,
    stock_codes,
)
from finews_spider.parsing.text import one_line, visible

Step = Callable[[Draft], None]


def normalize_dates(draft: Draft) -> None:
    page = draft.page
    date = parse_published(page.date_raw, fetched_at=page.context.fetched_at)
    draft.doc.update(
        published_at=date.instant,
        published_at_raw=date.raw,
        published_tz=date.tz,
        tz_assumed=date.tz_assumed,
    )


def normalize_body(draft: Draft) -> None:
    """Securities from the body's markup, then the title and the cleaned body: one parse of
    the body serves both whenever the two parsers would build the same tree."""
    page = draft.page
    body = page.body_html
    root = None
    shared = False
    try:
        without_controls, source = coerce_body(body)
    except Rejected:
        source = None  # `clean_body` raises it again, after the title is checked
    if source is not None:
        root, whole = read_fragment(source)
        shared = whole and parses_alike(without_controls, source, root)
    stocks = extract_securities(body, root if shared else None)
    draft.doc.update(stocks=stocks, stock_codes=stock_codes(stocks))
    title = one_line(page.title)
    if not visible(title):
        raise Rejected("cleaning", "title_missing", "the page has no title")
    clean = clean_body(body, root)
    draft.doc.update(
        title=title,
        body_text=clean.body_text,
        body_html=clean.body_html,
        # Source line, then list record; the attribution and the post tag come in `signals`.
        outlet=one_line(clean.outlet or page.outlet_hint) or None,
        summary=one_line(page.summary) or None,
        category=page.category,
        tags=list(page.tags),
    )


def normalize_signals(draft: Draft) -> None:
    """What the cleaned text itself says: securities written with their codes (role `text`),
    securities the master knows by a name the text writes (role `name`, given a name table)
    and, when neither the source line nor the list record named one, the outlet of a
    trailing attribution, else of the post tag."""
    page, doc = draft.page, draft.doc
    texts = (doc["title"], doc["summary"], doc["body_text"])
    written = securities_in_text(texts)
    if written:
        stocks = merge_stocks(doc["stocks"], written)
        doc.update(stocks=stocks, stock_codes=stock_codes(stocks))
    if page.context.names:
        named = link_names(texts, doc["stocks"], page.context.names)
        if named:
            stocks = merge_stocks(doc["stocks"], named)
            doc.update(stocks=stocks, stock_codes=stock_codes(stocks))
    if doc["outlet"] is None:
        outlet = attributed_outlet(doc["summary"], doc["body_text"]) or page.outlet_tag
        doc["outlet"] = one_line(outlet) or None


def normalize_identity(draft: Draft) -> None:
    page, doc = draft.page, draft.doc
    found = article_id(page)
    if found is not None:
        check_against_article_id(doc["published_at"], found)
    if found is None and page.source_url is None:
        raise Rejected(
            "identity",
            "not_an_article",
            "no Eastmoney article id and no source link: not an article (a site notice?)",
        )
    doc.update(
        _id=found or url_id(page.source_url or page.url),
        info_code=page.info_code,
        url=page.url,
        source_url=page.source_url,
        page_kind=page.kind,
        repairs=list(page.repairs),
        content_hash=content_hash(doc["title"], doc["published_at"], doc["body_text"]),
        parser_version=PARSER_VERSION,
    )
