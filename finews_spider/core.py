"""The core's entry: one page in, one Article or Rejection out. No Scrapy, no MongoDB.

    read_page(url, body, context) -> Draft | Rejection     parse (finews_spider.parsing)
    complete(draft)               -> Article | Rejection   normalise (STEPS), then validate
    process_page(url, body, context) = complete(read_page(url, body, context))

Every runtime runs exactly this: the crawl's spiders call `read_page` and its
`NormalizePipeline` calls `complete`; `finews batch` and the goldens call `process_page`.
"""

from __future__ import annotations

from typing import Any

from finews_spider.model import ARTICLE_FIELDS, Article, Draft, PageContext, Rejected, Rejection
from finews_spider.normalize.contract import is_valid
from finews_spider.normalize.steps import (
    Step,
    normalize_body,
    normalize_dates,
    normalize_identity,
    normalize_signals,
)
from finews_spider.parsing import parse_page
from finews_spider.parsing.text import excerpt
from finews_spider.schema import validate_article

__all__ = ["STEPS", "build_article", "complete", "finish", "process_page", "read_page"]

#: The normalisation steps, in order: (what it does, the step). A rejection names its own stage.
STEPS: tuple[tuple[str, Step], ...] = (
    ("dates", normalize_dates),
    ("securities, cleaning", normalize_body),
    ("signals", normalize_signals),
    ("identity", normalize_identity),
)


def read_page(url: str, body: bytes, context: PageContext | None = None) -> Draft | Rejection:
    """Parse one page into a Draft (carrying the raw page's excerpt), or its Rejection."""
    try:
        page = parse_page(url, body, context)
    except Rejected as error:
        return Rejection.from_error(url, error, excerpt(body))
    return Draft(page, excerpt=excerpt(body))


def complete(draft: Draft | Rejection) -> Article | Rejection:
    """Normalise and validate a Draft; a Rejection passes through. Never raises Rejected."""
    if isinstance(draft, Rejection):
        return draft
    try:
        return build_article(draft)
    except Rejected as error:
        page = draft.page
        return Rejection.from_error(page.url, error, draft.excerpt, page_kind=page.kind)


def process_page(url: str, body: bytes, context: PageContext | None = None) -> Article | Rejection:
    """The whole core for one page: parse, normalise, validate. Never raises Rejected."""
    return complete(read_page(url, body, context))


def build_article(draft: Draft) -> Article:
    """Run every step over the draft, then `finish` it. Raises Rejected."""
    for _stage, step in STEPS:
        step(draft)
    return finish(draft)


def finish(draft: Draft) -> Article:
    """The validated Article. Raises Rejected(validation, …) naming what is wrong."""
    doc = {name: draft.doc[name] for name in ARTICLE_FIELDS if name in draft.doc}
    # Proven valid and storable in one pass over the document (jsonschema would cost a
    # third of the core's time); otherwise the slow checks decide, in the same order.
    if not is_valid(doc):
        _check_text(doc)
        validate_article(doc)  # decides, and words the errors
    return Article(**doc)


def _check_text(value: Any, path: str = "") -> None:
    """Lone surrogates (`\\ud800` escapes in JSON) cannot be stored as UTF-8/BSON: reject the
    page with its reason instead of letting the store fail on it."""
    kind = type(value)
    if kind is str:
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise Rejected(
                "validation", "invalid_text", f"{path or 'a field'} holds unpaired surrogates"
            ) from None
    elif kind is dict or isinstance(value, dict):
        for key, sub in value.items():
            if type(sub) is not str or not sub.isascii():  # ASCII cannot hold a surrogate
                _check_text(sub, f"{path}/{key}")
    elif kind is list or isinstance(value, list):
        for sub in value:
            if type(sub) is not str or not sub.isascii():
                _check_text(sub, path)
