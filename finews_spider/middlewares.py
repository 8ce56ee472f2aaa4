"""Downloader middlewares: incremental crawls (don't fetch what is already known), and
polite retries (wait as long as the site's Retry-After asks).

SkipStoredArticles: don't fetch what is already known.

An article request is not sent (unless the spider runs with `-a refresh=1`) when its URL
names an article id that the store already holds (`finews/skipped_stored`), or when the
store's `rejects` holds its URL with a rejection for what the page is, not for how its
fetch went (`finews/skipped_rejected`): a site notice stays a site notice, while a page
that failed with a 5xx, a timeout or a lost connection is asked for again on the next run.
List, category and feed pages are never skipped: they are how new articles are found.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

from scrapy import Request, Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response

from finews_spider.meta import (
    ARTICLE,
    CONTEXT,
    INFO_CODE,
    LINKS,
    SKIPPED,
    SKIPPED_REJECTED,
    SKIPPED_STORED,
)
from finews_spider.normalize.identity import ids_in
from pipelines.store import MongoPipeline

logger = logging.getLogger(__name__)


class SkipStoredArticles:
    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> SkipStoredArticles:
        middleware = cls(crawler)
        crawler.signals.connect(middleware.spider_closed, signal=signals.spider_closed)
        return middleware

    def spider_closed(self, spider: Spider) -> None:
        """One line saying what the run left alone, so a quiet run explains itself."""
        stats = self.crawler.stats.get_stats() if self.crawler.stats is not None else {}
        line = incremental_line(spider.name, stats)
        if line:
            logger.info(line)

    async def process_request(self, request: Request) -> None:
        if not request.meta.get(ARTICLE) or getattr(self.crawler.spider, "refresh", False):
            return
        pipeline = self.crawler.get_item_pipeline(MongoPipeline)
        store = getattr(pipeline, "store", None)
        if store is None:
            return
        why = await stored_article(store.db, request) or await known_reject(store.db, request)
        if why is None:
            return
        stat, message = why
        assert self.crawler.stats is not None
        self.crawler.stats.inc_value(stat)
        request.meta[SKIPPED] = True  # the errback: not a page read, nothing to account
        raise IgnoreRequest(f"{message} (use -a refresh=1 to fetch it again)")


def incremental_line(spider: str, stats: dict[str, Any]) -> str | None:
    """`finews finews: not fetched again: stored=19 rejected=1 (-a refresh=1 fetches them);
    links not followed: duplicate=12 not_a_post=2`, or None when there is nothing to say."""
    skipped = {"stored": stats.get(SKIPPED_STORED, 0), "rejected": stats.get(SKIPPED_REJECTED, 0)}
    links = {
        key.removeprefix(LINKS): value
        for key, value in sorted(stats.items())
        if key.startswith(LINKS) and value
    }
    if not any(skipped.values()) and not links:
        return None
    parts = []
    if any(skipped.values()):
        counts = " ".join(f"{k}={v}" for k, v in skipped.items())
        parts.append(f"not fetched again: {counts} (-a refresh=1 fetches them)")
    if links:
        parts.append("links not followed: " + " ".join(f"{k}={v}" for k, v in links.items()))
    return f"finews {spider}: " + "; ".join(parts)


#: Rejection stages that judge the page itself; `fetch` (the request failed) and `store`
#: (the database refused the write) say nothing about the page, so those are tried again.
CONTENT_STAGES = ("parse", "dates", "securities", "cleaning", "identity", "validation")


async def stored_article(db: Any, request: Request) -> tuple[str, str] | None:
    ids = ids_in(request.url) | ids_in(request.meta.get(INFO_CODE) or "")
    if len(ids) != 1:
        return None
    article_id = next(iter(ids))
    if await db.articles.find_one({"_id": article_id}, {"_id": 1}) is None:
        return None
    return SKIPPED_STORED, f"article {article_id} is already stored"


async def known_reject(db: Any, request: Request) -> tuple[str, str] | None:
    if (request.meta.get(CONTEXT) or {}).get("list_record") is not None:
        # The list record is part of what the page is judged on (a NewsShare text asked for
        # by code alone lacks its time): the same URL with a record may well be an article.
        return None
    query = {"url": {"$eq": request.url}, "stage": {"$in": list(CONTENT_STAGES)}}
    found = await db.rejects.find_one(query, {"stage": 1, "reason": 1})
    if found is None:
        return None
    reason = f"{found.get('stage')}/{found.get('reason')}"
    return SKIPPED_REJECTED, f"{request.url} was rejected before ({reason})"


class RetryAfter:
    """Honour `Retry-After` on 429 and 503 before Scrapy's RetryMiddleware asks again.

    Scrapy retries at once; a site that says "come back in N seconds" is asked again only
    after N seconds (capped by FINEWS_RETRY_AFTER_MAX, default 60). Only this response
    waits: other requests go on meanwhile."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.cap = crawler.settings.getfloat("FINEWS_RETRY_AFTER_MAX", 60.0)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RetryAfter:
        return cls(crawler)

    async def process_response(self, request: Request, response: Response) -> Response:
        if response.status not in (429, 503):
            return response
        delay = retry_after_seconds(response.headers.get(b"Retry-After"))
        if delay is not None and delay > 0:
            assert self.crawler.stats is not None
            self.crawler.stats.inc_value("finews/retry_after_waits")
            await asyncio.sleep(min(delay, self.cap))
        return response


def retry_after_seconds(value: bytes | None) -> float | None:
    """`Retry-After: 120` or an HTTP date; None when absent or unreadable."""
    if not value:
        return None
    text = value.decode("latin-1").strip()
    if text.isdigit():
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        return None
    return max(0.0, (when - datetime.now(UTC)).total_seconds())
