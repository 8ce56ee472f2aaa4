"""What every article spider shares: hand a page to the parsers, account for it once."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import scrapy
from scrapy.http import Response
from twisted.python.failure import Failure

from finews_spider.model import Draft, PageContext, Rejected, Rejection
from finews_spider.parsing import parse_page
from finews_spider.parsing.text import excerpt

#: Request.meta key marking a request whose response is an article page (not a list page).
ARTICLE = "finews_article"


class ArticleSpider(scrapy.Spider):
    """Spiders route URLs; the parsers and the pipelines do the rest."""

    def count(self, key: str, n: int = 1) -> None:
        assert self.crawler.stats is not None
        self.crawler.stats.inc_value(f"finews/{key}", n)

    def read_article(
        self,
        response: Response,
        *,
        url: str | None = None,
        list_record: dict[str, Any] | None = None,
        fetched_at: datetime | None = None,
        fetched_at_known: bool = True,
        content_type: str | None = None,
    ) -> Draft | Rejection:
        """Parse an article page into a Draft for the pipelines, or a Rejection."""
        self.count("pages_read")
        url = url or response.url
        context = PageContext(
            fetched_at=fetched_at or (datetime.now(UTC) if fetched_at_known else None),
            content_type=content_type or _header(response, b"Content-Type"),
            list_record=list_record,
        )
        try:
            return Draft(parse_page(url, response.body, context))
        except Rejected as error:
            return Rejection.from_error(url, error, excerpt(response.body))

    def article_failed(self, failure: Failure) -> Rejection:
        """Errback for article requests: a page that could not be fetched is still accounted."""
        self.count("pages_read")
        request = getattr(failure, "request", None)
        url = request.url if request is not None else "?"
        error = failure.value
        status = getattr(getattr(error, "response", None), "status", None)
        reason = f"http_{status}" if status else type(error).__name__
        detail = f"could not fetch the page: {reason}: {str(error)[:300]}"
        return Rejection(url, "fetch", reason, detail)


def _header(response: Response, name: bytes) -> str | None:
    value = response.headers.get(name)
    return value.decode("latin-1") if value else None
