"""The finews Jekyll mirror: discover posts from the home page, category pages and the
Atom feed, then read each rendered post.

    scrapy crawl finews [-a base_url=URL] [-a categories=a,b] [-a since=YYYY-MM-DD] [-a refresh=1]

Every link a list page offers is either followed or counted, by reason, in the stats
(`finews/links/<reason>`): offsite, not_a_post, filtered (by -a categories/since),
duplicate (already asked for in this run); robots.txt refusals are counted when the
request is refused (`finews/links/robots_disallowed`).
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterator
from datetime import date
from typing import Any
from urllib.parse import unquote, urldefrag, urljoin, urlsplit

import scrapy
from scrapy.http import Response, XmlResponse

from finews_spider.meta import ARTICLE
from finews_spider.model import Draft, Rejection
from finews_spider.origins import origin, same_origin
from finews_spider.site import MIRROR_BASE_URL, POST_PATH
from finews_spider.spiders.base import ArticleSpider, flag, split_arg

DEFAULT_BASE_URL = MIRROR_BASE_URL
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
        # The category page is named as the user wrote it; permalinks are matched lower-cased.
        self.category_pages = sorted(set(split_arg(categories)))
        self.categories = {c.lower() for c in self.category_pages}
        self.since = date.fromisoformat(since) if since else None
        self.refresh = flag(refresh)

    async def start(self) -> AsyncIterator[scrapy.Request]:
        paths = [f"category/{c}.html" for c in self.category_pages] or ["", "emnews/"]
        for path in [*paths, "feed.xml"]:
            request = self.list_request(urljoin(self.base_url, path))
            if request is not None:
                yield request

    def list_request(self, url: str) -> scrapy.Request | None:
        # List pages are fetched on every run (dont_filter: a JOBDIR's remembered
        # fingerprints must not turn the next scheduled run into a no-op), once per run
        # (in a distributed run, once across all its workers).
        if not self.scope.first("lists", url):
            return None
        return scrapy.Request(
            url, callback=self.parse_list, errback=self.list_failed, dont_filter=True
        )

    def parse_list(self, response: Response) -> Iterator[scrapy.Request]:
        self.count("list_pages")
        if isinstance(response, XmlResponse) or response.url.endswith(".xml"):
            selector = response.selector
            selector.remove_namespaces()
            hrefs = selector.xpath("//entry/link/@href | //item/link/text()").getall()
        else:
            hrefs = response.css("a::attr(href)").getall()
        for href in hrefs:
            url = urldefrag(response.urljoin(href.strip()))[0]
            request, reason = self.follow(url)
            if request is not None:
                yield request
            if reason is not None:
                self.count(f"links/{reason}")

    def follow(self, url: str) -> tuple[scrapy.Request | None, str | None]:
        """The request for a link, or why it is not followed (None: already asked for in
        this run, or a list page this run does not read)."""
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https"):
            return None, "not_a_post"
        if self.offsite(url):
            return None, "offsite"
        post = POST_PATH.match(parts.path)
        if post is not None:
            if not self.wanted(post):
                return None, "filtered"
            if not self.first_time(url):
                return None, "duplicate"
            request = scrapy.Request(
                url,
                callback=self.parse_post,
                errback=self.article_failed,
                meta={ARTICLE: True},
                dont_filter=True,
            )
            return request, None
        if LIST_PATH.match(parts.path):
            if self.categories:
                return None, "filtered"  # only the chosen categories' pages are read
            request = self.list_request(url)
            return request, None if request is not None else "duplicate"
        return None, "not_a_post"

    def offsite(self, url: str) -> bool:
        """Links to another origin (scheme, host, port) are not followed."""
        return not same_origin(url, self.origin)

    def wanted(self, post: re.Match[str]) -> bool:
        segments, year, month, day = post.groups()
        # Jekyll writes the categories lower-cased and percent-encoded into the path
        categories = {unquote(c).lower() for c in segments.split("/") if c}
        if self.categories and not categories & self.categories:
            return False
        if self.since is not None:
            try:
                return date(int(year), int(month), int(day)) >= self.since
            except ValueError:
                return False
        return True

    def parse_post(self, response: Response) -> Iterator[Draft | Rejection]:
        yield self.read_article(response)
