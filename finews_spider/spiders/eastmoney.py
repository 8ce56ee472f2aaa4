"""Eastmoney article pages by id or URL, or the news about securities (a watchlist).

scrapy crawl eastmoney -a ids=202203032295917825,… [-a base_url=URL]
scrapy crawl eastmoney -a urls=https://finance.eastmoney.com/a/<id>.html,…
scrapy crawl eastmoney -a codes=600519,00700,贵州茅台 [-a pages=N] [-a page_size=N]
                       [-a sort=time] [-a search_url=URL] [-a base_url=URL]

`codes` (codes or names) reads Eastmoney's search API for each, page by page, and fetches
each article page with its search record as context (title, date, outlet).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator
from typing import Any
from urllib.parse import urljoin, urlsplit

import scrapy
from scrapy.http import Response
from twisted.python.failure import Failure

from finews_spider.meta import ARTICLE, CONTEXT
from finews_spider.model import Draft, Rejected, Rejection
from finews_spider.normalize.identity import ids_in
from finews_spider.origins import origin
from finews_spider.parsing.search import (
    DEFAULT_SEARCH_URL,
    REFERER,
    parse_search_answer,
    search_request_url,
)
from finews_spider.spiders.base import ArticleSpider, flag, split_arg

DEFAULT_BASE_URL = "https://finance.eastmoney.com/"

logger = logging.getLogger(__name__)


class EastmoneySpider(ArticleSpider):
    name = "eastmoney"

    def __init__(
        self,
        ids: str | None = None,
        urls: str | None = None,
        codes: str | None = None,
        base_url: str = DEFAULT_BASE_URL,
        search_url: str = DEFAULT_SEARCH_URL,
        pages: str = "5",
        page_size: str = "50",
        sort: str = "default",
        refresh: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.base_url = base_url.rstrip("/") + "/"
        self.urls = [self.article_url(i) for i in split_arg(ids)] + split_arg(urls)
        self.keywords = list(dict.fromkeys(split_arg(codes)))
        if not self.urls and not self.keywords:
            raise ValueError("eastmoney needs -a ids=…, -a urls=… or -a codes=…")
        for url in [*self.urls, search_url]:
            if urlsplit(url).scheme not in ("http", "https"):
                raise ValueError(f"eastmoney: not an http(s) URL: {url}")
        self.search_url = search_url
        self.pages = int(pages)
        self.page_size = int(page_size)
        if self.pages < 1 or not 1 <= self.page_size <= 100:
            raise ValueError("eastmoney: pages >= 1 and 1 <= page_size <= 100")
        if sort not in ("default", "time"):
            raise ValueError("eastmoney: sort=default or sort=time")
        self.sort = sort
        # Each page given, the search API and the article site are this crawl's origins: a
        # redirect must stay on one of them.
        self.origins = {o for o in map(origin, [*self.urls, self.search_url, self.base_url]) if o}
        self.refresh = flag(refresh)
        #: article ids each keyword's answers named so far: a page naming none new ends paging
        self._named: dict[str, set[str]] = {}

    def article_url(self, article_id: str) -> str:
        return urljoin(self.base_url, f"a/{article_id}.html")

    async def start(self) -> AsyncIterator[scrapy.Request]:
        for url in self.urls:
            if len(ids := ids_in(url)) == 1:
                self.first_time(next(iter(ids)))  # so a search naming it asks no second time
            yield scrapy.Request(
                url, callback=self.parse_article, errback=self.article_failed, meta={ARTICLE: True}
            )
        for keyword in self.keywords:
            yield self.search_request(keyword, 1)

    def search_request(self, keyword: str, page: int) -> scrapy.Request:
        url = search_request_url(
            keyword, page, self.page_size, endpoint=self.search_url, sort=self.sort
        )
        return scrapy.Request(
            url,
            callback=self.parse_search,
            errback=self.search_failed,
            headers={"Referer": REFERER},
            cb_kwargs={"keyword": keyword, "page": page},
            dont_filter=True,
        )

    def parse_search(self, response: Response, keyword: str, page: int) -> Iterator[scrapy.Request]:
        self.count("search/answers")
        try:
            answer = parse_search_answer(response.url, response.body)
        except Rejected as error:
            # A list page, not an article: nothing to account in the ledger, but the run is
            # not healthy (the error ceiling fails it) and the line says what came back.
            self.count("search/unreadable")
            logger.error("search for %r page %d: %s", keyword, page, error.detail)
            return
        self.count("search/records", len(answer.records))
        if answer.not_articles:
            self.count("search/not_articles", answer.not_articles)
        if not answer.records:
            if page > 1:  # the previous page was full and this one ends the paging
                self.count("search/end_of_results")
                return
            kind = "foreign" if answer.other_types else "empty"
            self.count(f"search/{kind}")
            others = ", ".join(answer.other_types) or "no records"
            logger.info("search for %r page %d: no articles (%s)", keyword, page, others)
            return
        named = self._named.setdefault(keyword, set())
        new = [r for r in answer.records if r["article_id"] not in named]
        named.update(r["article_id"] for r in new)
        for record in new:
            if self.first_time(record["article_id"]):
                yield self.article_request(record)
        more = len(answer.records) >= self.page_size and bool(new)
        if more and page < self.pages:
            yield self.search_request(keyword, page + 1)

    def search_failed(self, failure: Failure) -> None:
        """A search that could not be fetched finds nothing: say so, and fail the run (an
        error line), rather than finish healthy with no news."""
        self.count("search/failed")
        request = getattr(failure, "request", None)
        kwargs = request.cb_kwargs if request is not None else {}
        status = getattr(getattr(failure.value, "response", None), "status", None)
        logger.error(
            "search for %r page %s: could not fetch the search API (%s): %s",
            kwargs.get("keyword"),
            kwargs.get("page"),
            f"HTTP {status}" if status else type(failure.value).__name__,
            str(failure.value)[:300],
        )

    def article_request(self, record: dict[str, str]) -> scrapy.Request:
        # The page is read at base_url, whatever host the record names: one URL per article
        # across routes (ids, urls, codes), and tests stay on loopback.
        context = {k: v for k, v in record.items() if k != "article_id"}
        return scrapy.Request(
            self.article_url(record["article_id"]),
            callback=self.parse_article,
            errback=self.article_failed,
            cb_kwargs={"record": context},
            meta={ARTICLE: True, CONTEXT: {"list_record": context}},
            dont_filter=True,
        )

    def parse_article(
        self, response: Response, record: dict[str, Any] | None = None
    ) -> Iterator[Draft | Rejection]:
        yield self.read_article(response, list_record=record)
