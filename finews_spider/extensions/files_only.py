"""Files only: `-s FINEWS_STORE=off` runs every step but the store, for people who want files.

    scrapy crawl replay -a path=fixtures -O out.jsonl -s FINEWS_STORE=off

No database is opened or started (the MongoPipeline stands down), nothing already stored is
skipped, and the feed (`-O`/`-o`, or FEEDS) is the only output, so the run fails when there
is none, or when a feed could not be written. The ledger counts articles as emitted (to the
feeds) instead of new/updated/unchanged; rejects are counted by reason and logged.
"""

from __future__ import annotations

import logging
from typing import Any

from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured

from finews_spider.settings import store_off

logger = logging.getLogger("finews.summary")

#: `finews/store` in the stats when the crawl writes files only
STORE_OFF = "off"


class FilesOnly:
    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> FilesOnly:
        if not store_off(crawler.settings):
            raise NotConfigured  # the usual case: no message, so Scrapy logs no warning
        ext = cls(crawler)
        crawler.signals.connect(ext.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.feed_exporter_closed, signal=signals.feed_exporter_closed)
        return ext

    async def spider_opened(self, spider: Spider) -> None:
        assert self.crawler.stats is not None
        self.crawler.stats.set_value("finews/store", STORE_OFF)
        feeds = self.crawler.settings.getdict("FEEDS")
        if feeds:
            logger.info("store off: files only, to %s", ", ".join(map(str, feeds)))
            return
        logger.error(
            "FINEWS_STORE=off and no feed: the articles would go nowhere; "
            "add -O out.jsonl (or -o, or FEEDS), or turn the store on"
        )
        assert self.crawler.engine is not None
        await self.crawler.engine.close_spider_async(reason="no_feed")

    def feed_exporter_closed(self, *args: Any) -> None:
        """The feeds are the output: one that could not be written fails the run (after the
        summary line, which cannot wait for the storage to finish)."""
        stats = self.crawler.stats
        assert stats is not None
        failures = {
            k.removeprefix("feedexport/failed_count/"): v
            for k, v in stats.get_stats().items()
            if k.startswith("feedexport/failed_count/") and v
        }
        if failures:
            stats.set_value("finews/failed", True)
            logger.error(
                "finews %s: FAILED; %s feed(s) could not be written (%s): see the error above, "
                "fix the feed URI or its folder and run again",
                getattr(self.crawler.spider, "name", "?"),
                sum(failures.values()),
                ", ".join(failures),
            )
