"""The engine's ceiling: Scrapy reading the same saved pages as `replay`, doing nothing else.

Same listing (`saved_pages`), same file:// requests, same concurrency settings as
`ReplaySpider`; each response yields only its URL. Run with the item pipelines off:

    scrapy runspider benchmarks/bare_spider.py -a path=PAGES -s 'ITEM_PIPELINES={}'
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import scrapy
from scrapy.http import Response

from finews_spider.spiders.replay import ReplaySpider, saved_pages


class BareSpider(scrapy.Spider):
    name = "bare"
    custom_settings = dict(ReplaySpider.custom_settings)

    def __init__(self, path: str | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if not path:
            raise ValueError("bare needs -a path=FOLDER")
        self.root = Path(path)

    async def start(self) -> AsyncIterator[scrapy.Request]:
        for page in saved_pages(self.root):
            yield scrapy.Request(page.as_uri(), callback=self.parse, dont_filter=True)

    def parse(self, response: Response, **kwargs: Any) -> Iterator[dict[str, str]]:
        yield {"url": response.url}
