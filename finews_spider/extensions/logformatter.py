"""Scrapy's per-item log messages, built only when the crawl's log level shows them.

Scrapy logs every scraped item at DEBUG and every dropped one at its DropItem's level; the
record is made, then thrown away by the handler, which Scrapy sets to LOG_LEVEL. At the
default INFO that is a record per page for nothing, so these messages are not made at all
below LOG_LEVEL (`-L DEBUG` shows them as before).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any, Self

from scrapy.logformatter import LogFormatter, LogFormatterResult

if TYPE_CHECKING:
    from scrapy import Spider
    from scrapy.crawler import Crawler
    from scrapy.http import Response
    from twisted.python.failure import Failure


class LevelAwareLogFormatter(LogFormatter):
    def __init__(self, level: int = logging.DEBUG) -> None:
        self.level = level

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        level = crawler.settings.get("LOG_LEVEL") or logging.DEBUG
        if isinstance(level, str):
            level = logging.getLevelName(level.upper())  # an unknown name: not an int
        return cls(level if isinstance(level, int) else logging.DEBUG)

    def scraped(
        self, item: Any, response: Response | Failure | None, spider: Spider
    ) -> LogFormatterResult | None:
        if self.level > logging.DEBUG:
            return None
        return super().scraped(item, response, spider)

    def dropped(
        self,
        item: Any,
        exception: BaseException,
        response: Response | Failure | None,
        spider: Spider,
    ) -> LogFormatterResult | None:
        result = super().dropped(item, exception, response, spider)
        return result if result["level"] >= self.level else None
