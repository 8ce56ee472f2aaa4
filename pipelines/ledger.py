"""The last pipeline: counts what came out and keeps rejections out of the feeds.

Every page the spiders hand to a parser is counted once as read (`finews/pages_read`);
here each one is counted once more as an article or a rejection (by reason), so the
crawl summary can show that the two sides balance.
"""

from __future__ import annotations

import logging
from typing import Any

from itemadapter import ItemAdapter
from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem

from finews_spider.model import Rejection

logger = logging.getLogger(__name__)

COVERED = ("published_at", "title", "body_text", "stock_codes", "outlet", "summary")


class LedgerPipeline:
    def __init__(self, crawler: Crawler) -> None:
        assert crawler.stats is not None
        self.stats = crawler.stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> LedgerPipeline:
        return cls(crawler)

    def process_item(self, item: Any) -> Any:
        if isinstance(item, Rejection):
            self.stats.inc_value("finews/rejected")
            self.stats.inc_value(f"finews/rejected/{item.reason}")
            logger.warning(
                "rejected %s [%s/%s]: %s", item.url, item.stage, item.reason, item.detail
            )
            # Already logged and (with a store) recorded: keep it out of the feed quietly.
            raise DropItem(f"rejected: {item.reason}", log_level="DEBUG")
        self.stats.inc_value("finews/articles")
        adapter = ItemAdapter(item)
        for field in COVERED:  # field coverage for the close monitors
            if adapter.get(field):
                self.stats.inc_value(f"finews/coverage/{field}")
        return item
