"""The crawl summary: one line at the end of every crawl, and the verdict on the run.

The ledger, the verdict and the line are `finews_spider.ingest.ledger`'s (shared with
`finews batch`); this extension judges the crawl stats when the spider closes, records the
verdict in them, and makes sure the line reaches stderr whatever the log level
(`-L WARNING`, `--nolog`, `LOG_FILE`).
"""

from __future__ import annotations

import logging
import sys
from typing import Any

from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.statscollectors import StatsCollector

from finews_spider.ingest.ledger import judge, run_id_for

logger = logging.getLogger("finews.summary")


class CrawlSummary:
    def __init__(self, stats: StatsCollector, settings: Any = None) -> None:
        self.stats = stats
        self.settings = settings

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CrawlSummary:
        assert crawler.stats is not None
        ext = cls(crawler.stats, crawler.settings)
        crawler.signals.connect(ext.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        return ext

    def spider_opened(self, spider: Spider) -> None:
        self.stats.set_value(
            "finews/run_id",
            run_id_for(self.settings, spider.name, self.stats.get_value("start_time")),
        )

    def spider_closed(self, spider: Spider, reason: str) -> None:
        stats = self.stats.get_stats()
        if "start_time" not in stats:
            return  # never opened: the crawl command reports why, in one line
        verdict = judge(stats, reason, spider.name, self.settings)
        self.stats.set_value("finews/balanced", verdict.book["balanced"])
        self.stats.set_value("finews/failed", verdict.failed)
        self.stats.set_value("finews/failure_reasons", verdict.reasons)
        self.stats.set_value("finews/duration", verdict.seconds)
        self.stats.set_value("finews/summary", verdict.line)
        bad, line = verdict.failed, verdict.line
        level = logging.ERROR if bad else logging.INFO
        logger.log(level, line)
        if not _reaches_stderr(logger, level):
            print(line, file=sys.stderr, flush=True)


def _reaches_stderr(log: logging.Logger, level: int) -> bool:
    """Whether logging `level` on `log` already writes to stderr (Scrapy's root handler at
    the crawl's LOG_LEVEL; none with --nolog, a file with LOG_FILE)."""
    if not log.isEnabledFor(level):
        return False
    current: logging.Logger | None = log
    while current is not None:
        for handler in current.handlers:
            if (
                isinstance(handler, logging.StreamHandler)
                and getattr(handler, "stream", None) in (sys.stderr, sys.__stderr__)
                and level >= handler.level
                and all(
                    f.filter(_probe(log, level)) for f in handler.filters if hasattr(f, "filter")
                )
            ):
                return True
        current = current.parent if current.propagate else None
    return False


def _probe(log: logging.Logger, level: int) -> logging.LogRecord:
    return log.makeRecord(log.name, level, __file__, 0, "", (), None)
