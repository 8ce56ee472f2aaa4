"""The crawl summary: one line at the end of every run, and the verdict on the run.

pages read = articles (new + updated + unchanged) + rejected + dead-lettered.
A run failed when it closed for any reason but `finished`, when the store failed, or when
not a single response could be fetched.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.statscollectors import StatsCollector

logger = logging.getLogger("finews.summary")


def ledger(stats: dict[str, Any]) -> dict[str, Any]:
    """The run's accounts, from the crawl stats."""
    rejected = {
        key.removeprefix("finews/rejected/"): value
        for key, value in sorted(stats.items())
        if key.startswith("finews/rejected/")
    }
    if stats.get("finews/store/refused"):
        # Articles the store's validator refused: recorded in `rejects` (stage store).
        rejected["store_refused"] = rejected.get("store_refused", 0) + stats["finews/store/refused"]
    stored = {k: stats.get(f"finews/articles/{k}", 0) for k in ("new", "updated", "unchanged")}
    store_off = stats.get("finews/store") == "off"  # FINEWS_STORE=off: articles only emitted
    with_store = "finews/store" in stats and not store_off
    articles = sum(stored.values()) if with_store else stats.get("finews/articles", 0)
    dead = stats.get("finews/dead_lettered", 0)
    pages = stats.get("finews/pages_read", 0)
    return {
        "pages_read": pages,
        "articles": articles,
        **({f"articles_{k}": v for k, v in stored.items()} if with_store else {}),
        "rejected": sum(rejected.values()),
        "rejected_by_reason": rejected,
        "dead_lettered": dead,
        "balanced": pages == articles + sum(rejected.values()) + dead,
        "requests": stats.get("downloader/request_count", 0),
        "responses": stats.get("response_received_count", 0),
        **({"store": "off"} if store_off else {}),
    }


def summary_line(
    spider: str,
    reason: str,
    book: dict[str, Any],
    seconds: float,
    monitors: list[str] | None = None,
) -> str:
    if "articles_new" in book:
        stored = (
            f"articles new={book['articles_new']} updated={book['articles_updated']}"
            f" unchanged={book['articles_unchanged']}"
        )
    elif book.get("store") == "off":
        stored = f"articles emitted={book['articles']}"
    else:
        stored = f"articles={book['articles']}"
    by_reason = ",".join(f"{k}:{v}" for k, v in book["rejected_by_reason"].items()) or "-"
    return (
        f"finews {spider}: {reason}; requests={book['requests']} pages={book['pages_read']} "
        f"{stored} rejected={book['rejected']} ({by_reason}) "
        f"dead_lettered={book['dead_lettered']} "
        f"balanced={'yes' if book['balanced'] else 'NO'} "
        + ("store=off " if book.get("store") == "off" else "")
        + f"duration={seconds:.1f}s"
        + (f" monitors FAILED: {'; '.join(monitors)}" if monitors else "")
    )


def failed(stats: dict[str, Any], reason: str) -> bool:
    """The verdict on a run: closed for any reason but `finished`, the store failed, a
    monitor failed, writes were dead-lettered, or not one response came back."""
    book = ledger(stats)
    return (
        reason != "finished"
        or bool(stats.get("finews/store_failed"))
        or bool(stats.get("finews/monitors_failed"))
        # Dead letters are safe on disk but not in the store: someone must re-send them.
        or book["dead_lettered"] > 0
        or (book["requests"] > 0 and book["responses"] == 0)
    )


class CrawlSummary:
    def __init__(self, stats: StatsCollector) -> None:
        self.stats = stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CrawlSummary:
        assert crawler.stats is not None
        ext = cls(crawler.stats)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        return ext

    def spider_closed(self, spider: Spider, reason: str) -> None:
        stats = self.stats.get_stats()
        book = ledger(stats)
        start = stats.get("start_time") or datetime.now(UTC)
        seconds = (datetime.now(UTC) - start).total_seconds()
        bad = failed(stats, reason)
        self.stats.set_value("finews/balanced", book["balanced"])
        self.stats.set_value("finews/failed", bad)
        monitors = list(stats.get("finews/monitors_failed") or [])
        line = summary_line(spider.name, "FAILED" if bad else reason, book, seconds, monitors)
        (logger.error if bad else logger.info)(line)
