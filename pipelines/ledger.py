"""The last pipeline: each item out is counted on the run's ledger, and rejections are kept
out of the feeds.

The spiders count every page they hand to a parser once as read on the same ledger
(`finews_spider.ingest.ledger.ledger_of(crawler)`); here each one is counted once more as
an article or a rejection (by reason), and the counts are copied into the crawl stats.
"""

from __future__ import annotations

import logging
from typing import Any

from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem

from finews_spider.ingest.ledger import ledger_of
from finews_spider.model import Rejection

logger = logging.getLogger(__name__)


class LedgerPipeline:
    def __init__(self, crawler: Crawler) -> None:
        assert crawler.stats is not None
        self.stats = crawler.stats
        self.ledger = ledger_of(crawler)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> LedgerPipeline:
        return cls(crawler)

    def process_item(self, item: Any) -> Any:
        self.ledger.account(item)
        self.ledger.publish(self.stats)
        if isinstance(item, Rejection):
            logger.warning(
                "rejected %s [%s/%s]: %s", item.url, item.stage, item.reason, item.detail
            )
            # Already logged and (with a store) recorded: keep it out of the feed quietly.
            raise DropItem(f"rejected: {item.reason}", log_level="DEBUG")
        return item
