"""Eastmoney article pages by id or URL.

scrapy crawl eastmoney -a ids=202203032295917825,… [-a base_url=URL]
scrapy crawl eastmoney -a urls=https://finance.eastmoney.com/a/<id>.html,…
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any
from urllib.parse import urljoin, urlsplit

import scrapy
from scrapy.http import Response

from finews_spider.model import Draft, Rejection
from finews_spider.origins import origin
from finews_spider.spiders.base import ARTICLE, ArticleSpider, flag, split_arg

DEFAULT_BASE_URL = "https://finance.eastmoney.com/"


class EastmoneySpider(ArticleSpider):
    name = "eastmoney"

    def __init__(
        self,
        ids: str | None = None,
        urls: str | None = None,
        base_url: str = DEFAULT_BASE_URL,
        refresh: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        base = base_url.rstrip("/") + "/"
        self.urls = [urljoin(base, f"a/{i}.html") for i in split_arg(ids)] + split_arg(urls)
        if not self.urls:
            raise ValueError("eastmoney needs -a ids=… or -a urls=…")
        for url in self.urls:
            if urlsplit(url).scheme not in ("http", "https"):
                raise ValueError(f"eastmoney: not an http(s) URL: {url}")
        # Each page given is an origin of this crawl: a redirect must stay on one of them.
        self.origins = {o for o in map(origin, self.urls) if o}
        self.refresh = flag(refresh)

    async def start(self) -> AsyncIterator[scrapy.Request]:
        for url in self.urls:
            yield scrapy.Request(
                url, callback=self.parse_article, errback=self.article_failed, meta={ARTICLE: True}
            )

    def parse_article(self, response: Response) -> Iterator[Draft | Rejection]:
        yield self.read_article(response)
