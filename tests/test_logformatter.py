"""Scrapy's per-item messages are made only when the crawl's LOG_LEVEL shows them."""

from __future__ import annotations

import logging

import pytest
from scrapy.exceptions import DropItem
from scrapy.utils.test import get_crawler

from finews_spider.extensions.logformatter import LevelAwareLogFormatter
from finews_spider.spiders.replay import ReplaySpider


@pytest.mark.parametrize("level", ["INFO", "WARNING", logging.INFO])
def test_below_the_log_level_no_message_is_made(level: str | int) -> None:
    crawler = get_crawler(ReplaySpider, {"LOG_LEVEL": level})
    formatter = LevelAwareLogFormatter.from_crawler(crawler)
    spider = crawler.spidercls  # only its class name is read
    assert formatter.scraped({"a": 1}, None, spider) is None
    quiet = DropItem("rejected", log_level="DEBUG")
    assert formatter.dropped({"a": 1}, quiet, None, spider) is None
    loud = DropItem("bad item", log_level="ERROR")
    assert formatter.dropped({"a": 1}, loud, None, spider)["level"] == logging.ERROR


def test_at_debug_every_message_is_made_as_scrapy_makes_it() -> None:
    crawler = get_crawler(ReplaySpider, {"LOG_LEVEL": "DEBUG"})
    formatter = LevelAwareLogFormatter.from_crawler(crawler)
    spider = crawler.spidercls
    scraped = formatter.scraped({"a": 1}, None, spider)
    assert scraped is not None and scraped["level"] == logging.DEBUG
    dropped = formatter.dropped({"a": 1}, DropItem("x", log_level="DEBUG"), None, spider)
    assert dropped is not None and dropped["level"] == logging.DEBUG


def test_the_crawl_uses_it() -> None:
    from scrapy.settings import default_settings
    from scrapy.utils.misc import load_object
    from scrapy.utils.project import get_project_settings

    assert hasattr(default_settings, "LOG_FORMATTER")  # the name Scrapy reads
    formatter = get_project_settings()["LOG_FORMATTER"]
    assert load_object(formatter) is LevelAwareLogFormatter
