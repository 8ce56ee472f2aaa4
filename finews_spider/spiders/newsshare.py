"""Eastmoney NewsShare: list endpoint records -> each article's GetNewsText.do JSON.

    scrapy crawl newsshare [-a base_url=URL] [-a pages=N] [-a page_size=N]
    scrapy crawl newsshare -a info_codes=NW…,NW…      # or -a urls=<share links>

A list record carries the title, time and outlet; the article JSON carries the body.
An article asked for by code or share link alone has no record: it is stored only if its
JSON states a title and a time itself, and otherwise rejected, never given an invented time.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from typing import Any
from urllib.parse import urlencode, urljoin

import scrapy
from scrapy.http import Response

from finews_spider.meta import ARTICLE, CONTEXT, INFO_CODE
from finews_spider.model import Draft, Rejection
from finews_spider.origins import origin
from finews_spider.parsing.text import info_code_from_url
from finews_spider.site import SHARE_BASE_URL
from finews_spider.spiders.base import ArticleSpider, flag, split_arg

DEFAULT_BASE_URL = SHARE_BASE_URL
LIST_PATH = "NewsData/GetNewsList.do"
TEXT_PATH = "NewsData/GetNewsText.do"


class NewsShareSpider(ArticleSpider):
    name = "newsshare"

    def __init__(
        self,
        base_url: str = DEFAULT_BASE_URL,
        info_codes: str | None = None,
        urls: str | None = None,
        pages: str = "1",
        page_size: str = "50",
        refresh: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.base_url = base_url.rstrip("/") + "/"
        self.origins = {o for o in [origin(self.base_url)] if o}
        codes = split_arg(info_codes)
        for url in split_arg(urls):
            code = info_code_from_url(url)
            if code is None:
                raise ValueError(f"newsshare: no infoCode in {url}")
            codes.append(code)
        self.codes = codes
        self.pages = int(pages)
        self.page_size = int(page_size)
        self.refresh = flag(refresh)

    async def start(self) -> AsyncIterator[scrapy.Request]:
        for code in self.codes:
            yield self.article_request(code, None)
        if self.codes:
            return
        for page in range(1, self.pages + 1):
            query = urlencode({"pageIndex": page, "pageSize": self.page_size})
            yield scrapy.Request(
                urljoin(self.base_url, f"{LIST_PATH}?{query}"),
                callback=self.parse_list,
                errback=self.list_failed,
                dont_filter=True,
            )

    def article_request(self, code: str, record: dict[str, Any] | None) -> scrapy.Request:
        return scrapy.Request(
            urljoin(self.base_url, f"{TEXT_PATH}?{urlencode({'id': code})}"),
            callback=self.parse_article,
            errback=self.article_failed,
            cb_kwargs={"record": record},
            meta={ARTICLE: True, INFO_CODE: code, CONTEXT: {"list_record": record}},
            dont_filter=True,
        )

    def parse_list(self, response: Response) -> Iterator[scrapy.Request]:
        self.count("list_pages")
        data = json.loads(response.text)
        records = (data.get("data") or {}).get("list") if isinstance(data, dict) else None
        for record in records or []:
            code = record.get("infoCode") if isinstance(record, dict) else None
            if isinstance(code, str) and code and self.first_time(code):
                yield self.article_request(code, record)

    def parse_article(
        self, response: Response, record: dict[str, Any] | None
    ) -> Iterator[Draft | Rejection]:
        yield self.read_article(response, list_record=record)
