"""The finews Jekyll mirror: discover posts from the home page, category pages and the
Atom feed, then read each rendered post.

    scrapy crawl finews [-a base_url=URL] [-a categories=a,b] [-a since=YYYY-MM-DD] [-a refresh=1]
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterator
from datetime import date
from typing import Any
from urllib.parse import urljoin, urlsplit

import scrapy
from scrapy.http import Response, XmlResponse

from finews_spider.distributed import first_in_run
from finews_spider.model import Draft, Rejection
from finews_spider.origins import origin, same_origin
from finews_spider.spiders.base import ARTICLE, ArticleSpider, flag, split_arg

DEFAULT_BASE_URL = "https://finews.withounder.com/"
# Jekyll's permalink for a post with a category: /<category>/<yyyy>/<mm>/<dd>/<slug>.html
POST_PATH = re.compile(r"^/([^/]+)/(\d{4})/(\d{2})/(\d{2})/[^/]+\.html$")
LIST_PATH = re.compile(r"^/(?:category/[^/]+\.html|emnews/?|index\.html)?$")


class FinewsSpider(ArticleSpider):
    name = "finews"

    def __init__(
        self,
        base_url: str = DEFAULT_BASE_URL,
        categories: str | None = None,
        since: str | None = None,
        refresh: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.base_url = base_url.rstrip("/") + "/"
        self.host = urlsplit(self.base_url).hostname or ""
        self.allowed_domains = [self.host]
        self.origin = origin(self.base_url)
        self.origins = {self.origin} if self.origin else set()
        self.categories = set(split_arg(categories))
        self.since = date.fromisoformat(since) if since else None
        self.refresh = flag(refresh)
        self._lists_seen: set[str] = set()

    async def start(self) -> AsyncIterator[scrapy.Request]:
        paths = [f"category/{c}.html" for c in sorted(self.categories)] or ["", "emnews/"]
        for path in [*paths, "feed.xml"]:
            request = self.list_request(urljoin(self.base_url, path))
            if request is not None:
                yield request

    def list_request(self, url: str) -> scrapy.Request | None:
        # List pages are fetched on every run (dont_filter: a JOBDIR's remembered
        # fingerprints must not turn the next scheduled run into a no-op), once per run
        # (in a distributed run, once across all its workers).
        if not first_in_run(self, "lists", url, self._lists_seen):
            return None
        return scrapy.Request(url, callback=self.parse_list, dont_filter=True)

    def parse_list(self, response: Response) -> Iterator[scrapy.Request]:
        self.count("list_pages")
        if isinstance(response, XmlResponse) or response.url.endswith(".xml"):
            selector = response.selector
            selector.remove_namespaces()
            hrefs = selector.xpath("//entry/link/@href | //item/link/text()").getall()
        else:
            hrefs = response.css("a::attr(href)").getall()
        for href in hrefs:
            url = response.urljoin(href.strip())
            if not same_origin(url, self.origin):
                continue
            parts = urlsplit(url)
            post = POST_PATH.match(parts.path)
            if post and self.wanted(post) and self.first_time(url):
                yield scrapy.Request(
                    url,
                    callback=self.parse_post,
                    errback=self.article_failed,
                    meta={ARTICLE: True},
                    dont_filter=True,
                )
            elif not post and not self.categories and LIST_PATH.match(parts.path):
                request = self.list_request(url)
                if request is not None:
                    yield request

    def wanted(self, post: re.Match[str]) -> bool:
        category, year, month, day = post.groups()
        if self.categories and category not in self.categories:
            return False
        if self.since is not None:
            try:
                return date(int(year), int(month), int(day)) >= self.since
            except ValueError:
                return False
        return True

    def parse_post(self, response: Response) -> Iterator[Draft | Rejection]:
        yield self.read_article(response)
