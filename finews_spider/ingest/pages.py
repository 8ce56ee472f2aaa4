"""A page as it enters a run: a stored raw page made ready for the core again (what
`scrapy crawl reparse` and `finews batch --from-store` both read from a `pages` document),
and the rejections of a page that could not be read, worded once for every run.

Pure (no store driver, no Scrapy): batch workers import it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from finews_spider.model import PageContext, Rejection
from finews_spider.parsing import MAX_PAGE_BYTES
from finews_spider.saved import Refused, check_meta, inflate


def refusal(url: str, refused: Refused) -> Rejection:
    """A page refused before it was read (a bad sidecar or context, a file that is not a
    regular file inside its folder, a body over the parser's limit): its rejection."""
    return Rejection(url, refused.stage, refused.reason, refused.detail)


def unreadable(url: str, reason: str, error: BaseException) -> Rejection:
    """A page that could not be fetched or read: read, and rejected with the reason."""
    detail = f"could not fetch the page: {type(error).__name__}: {str(error)[:300]}"
    return Rejection(url, "fetch", reason, detail)


@dataclass(frozen=True)
class StoredPage:
    url: str  # the article's address (the context's `url`, else the page's id)
    body: bytes
    context: PageContext


def stored_page(
    page_id: str,
    packed: bytes,
    context: str | None,
    content_type: str | None,
    body_seen_at: datetime | None,
    names: Mapping[str, Any] | None = None,
) -> StoredPage | Rejection:
    """The page's body and parse context, or its rejection (a bad stored context, or a body
    stored before pages were size-checked, is that page's reject, never the run's end)."""
    try:
        meta = check_meta(json.loads(context or "{}"))
    except (ValueError, TypeError) as exc:
        return Rejection(page_id, "parse", "context_invalid", str(exc)[:500])
    # A crawled page was fetched when its body was stored; a replayed saved page says when
    # it was fetched, or that nobody knows (None: relative dates stay rejected).
    page_context = PageContext.from_meta(
        meta, fetched_at=body_seen_at, content_type=content_type, names=names
    )
    url = meta.get("url") or page_id
    try:
        body = inflate(packed, MAX_PAGE_BYTES)
    except Refused as refused:
        return refusal(url, refused)
    return StoredPage(url, body, page_context)
