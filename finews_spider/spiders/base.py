"""What every article spider shares: hand a page to the parsers, account for it once."""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from typing import Any

import scrapy
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response
from twisted.python.failure import Failure

from finews_spider.core import read_page
from finews_spider.extensions.run_scope import RunScope, run_scope
from finews_spider.ingest.ledger import ledger_of
from finews_spider.ingest.pages import unreadable
from finews_spider.meta import LIST_FAILURES, SKIPPED
from finews_spider.model import Draft, PageContext, Rejection, error_code
from finews_spider.origins import RedirectOffsite

#: how many unreadable list pages are named in the stats (`LIST_FAILURES`)
MAX_NAMED = 20

logger = logging.getLogger(__name__)


class ArticleSpider(scrapy.Spider):
    """Spiders route URLs; the parsers and the pipelines do the rest."""

    _scope: RunScope | None = None

    @property
    def scope(self) -> RunScope:
        """What "once per run" means for this crawl (FINEWS_RUN_SCOPE): this process, or
        every worker of a distributed run."""
        if self._scope is None:
            self._scope = run_scope(self.crawler)
        return self._scope

    def first_time(self, key: str) -> bool:
        """Article requests are sent with dont_filter: the store, not a JOBDIR's fingerprint
        memory, decides what is known. (After a crash, a fingerprint of an article whose item
        never reached the store would otherwise hide it for good.) Within one run, each
        article is still asked for once."""
        return self.scope.first("articles", key)

    def count(self, key: str, n: int = 1) -> None:
        assert self.crawler.stats is not None
        self.crawler.stats.inc_value(f"finews/{key}", n)

    def page_entered(self) -> None:
        """A page entered the run: counted once on the run's ledger, here, before anything
        can fail on it, so a page that then gives no item unbalances the ledger rather than
        vanishing from it."""
        assert self.crawler.stats is not None
        ledger = ledger_of(self.crawler)
        ledger.page_read()
        ledger.publish(self.crawler.stats)

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
        """Parse a fetched article page into a Draft for the pipelines, or a Rejection."""
        return self.read_page(
            url or response.url,
            response.body,
            list_record=list_record,
            fetched_at=fetched_at or (datetime.now(UTC) if fetched_at_known else None),
            content_type=content_type or _header(response, b"Content-Type"),
        )

    def read_page(
        self,
        url: str,
        body: bytes,
        *,
        list_record: dict[str, Any] | None = None,
        fetched_at: datetime | None = None,
        content_type: str | None = None,
        names: Mapping[str, Any] | None = None,
    ) -> Draft | Rejection:
        """Every page a spider hands to the parsers is counted here, once."""
        self.page_entered()
        context = PageContext(
            fetched_at=fetched_at,
            content_type=content_type,
            list_record=list_record,
            names=names,
        )
        return read_page(url, body, context)

    def article_failed(self, failure: Failure) -> Iterator[Rejection]:
        """Errback for article requests: a page that could not be fetched is still accounted
        (as read and rejected, with the reason), except one skipped as already known, or one
        robots.txt forbids (a link not followed, counted as such: it was never read)."""
        request = getattr(failure, "request", None)
        if request is not None and request.meta.get(SKIPPED):
            return
        reason = fetch_reason(failure)
        if reason == "robots_disallowed":
            self.count("links/robots_disallowed")
            return
        self.page_entered()
        # The URL the spider asked for (the one it counted), not where a redirect led.
        url = (request.meta.get("redirect_urls") or [request.url])[0] if request else "?"
        yield unreadable(url, reason, failure.value)

    def list_failed(self, failure: Failure) -> None:
        """Errback for list pages: each one that could not be read is counted and named in
        the stats (`LIST_FAILURES`); a run that could read none of them fails (monitors)."""
        request = getattr(failure, "request", None)
        url = request.url if request is not None else "?"
        reason = fetch_reason(failure)
        self.count("list_pages_failed")
        if reason == "robots_disallowed":
            self.count("links/robots_disallowed")
        stats = self.crawler.stats
        assert stats is not None
        named = list(stats.get_value(LIST_FAILURES) or [])
        if len(named) < MAX_NAMED:
            stats.set_value(LIST_FAILURES, [*named, f"{url} ({reason})"])
        logger.warning("list page %s could not be read (%s)", url, reason)


def fetch_reason(failure: Failure) -> str:
    """A stable code for why a request failed: http_<status>, robots_disallowed, too_large,
    or the error's own code (download_timeout_error, connection_refused_error, ...)."""
    error = failure.value
    status = getattr(getattr(error, "response", None), "status", None)
    if status:
        return f"http_{status}"
    if failure.check(RedirectOffsite):
        return "redirect_offsite"
    if failure.check(IgnoreRequest) and "robots.txt" in str(error):
        return "robots_disallowed"
    if "larger than download max size" in str(error):  # DOWNLOAD_MAXSIZE, as Scrapy says it
        return "too_large"
    return error_code(error)


def _header(response: Response, name: bytes) -> str | None:
    value = response.headers.get(name)
    return value.decode("latin-1") if value else None


def split_arg(value: str | None) -> list[str]:
    """`-a name=a,b,c` as a list."""
    return [v.strip() for v in (value or "").split(",") if v.strip()]


def flag(value: str | None) -> bool:
    return (value or "").strip().lower() in ("1", "true", "yes", "on")
