"""The crawl summary: one line at the end of every run, and the verdict on the run.

pages read = articles (new + updated + unchanged) + rejected + dead-lettered.
A run failed when it closed for any reason but `finished`, when the store failed, a monitor
failed, writes were dead-lettered, or not a single response could be fetched; a FAILED line
names each of those reasons. The line starts with the run id (`finews ledger RUN_ID`) and
reaches stderr whatever the log level (`-L WARNING`, `--nolog`, `LOG_FILE`).
"""

from __future__ import annotations

import logging
import sys
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.statscollectors import StatsCollector

from finews_spider.settings import setting

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


def run_id_for(settings: Any, spider: str, start_time: datetime | None) -> str:
    """The run id `finews ledger` takes: FINEWS_RUN_ID (a distributed run's, or the
    operator's), else the spider and its start time."""
    given = setting(settings, "FINEWS_RUN_ID") or ""
    return str(given) or f"{spider}-{(start_time or datetime.now(UTC)):%Y%m%dT%H%M%S%z}"


def summary_line(
    spider: str,
    reason: str,
    book: dict[str, Any],
    seconds: float,
    monitors: list[str] | None = None,
    *,
    run_id: str | None = None,
    reasons: list[str] | None = None,
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
        (f"{run_id} " if run_id else "")
        + f"finews {spider}: {reason}; requests={book['requests']} pages={book['pages_read']} "
        f"{stored} rejected={book['rejected']} ({by_reason}) "
        f"dead_lettered={book['dead_lettered']} "
        f"balanced={'yes' if book['balanced'] else 'NO'} "
        + ("store=off " if book.get("store") == "off" else "")
        + f"duration={seconds:.1f}s"
        + (f" monitors FAILED: {'; '.join(monitors)}" if monitors else "")
        + (f" reasons: {'; '.join(reasons)}" if reasons else "")
    )


def failure_reasons(stats: dict[str, Any], reason: str) -> list[str]:
    """Why a run failed, one short phrase each (empty: it did not)."""
    book = ledger(stats)
    reasons = []
    if reason != "finished":
        reasons.append(f"not finished (closed: {reason})")
    if stats.get("finews/store_failed"):
        reasons.append(f"store failed ({stats['finews/store_failed']})")
    monitors = stats.get("finews/monitors_failed")
    if monitors:
        reasons.append(f"monitors failed ({', '.join(monitors)})")
    if book["dead_lettered"] > 0:
        # Dead letters are safe on disk but not in the store: someone must re-send them.
        reasons.append(f"{book['dead_lettered']} dead letters (finews resend-dead-letters)")
    if book["requests"] > 0 and book["responses"] == 0:
        reasons.append(f"no responses to {book['requests']} requests{_fetch_errors(stats)}")
    return reasons


def _fetch_errors(stats: dict[str, Any]) -> str:
    """The download errors by kind (`downloader/exception_type_count/…`), to name the cause
    of a run that got no response at all (DNS, refused connections, timeouts)."""
    prefix = "downloader/exception_type_count/"
    kinds = {
        k.removeprefix(prefix).rsplit(".", 1)[-1]: v
        for k, v in stats.items()
        if k.startswith(prefix)
    }
    return f": {', '.join(f'{k} {v}' for k, v in sorted(kinds.items()))}" if kinds else ""


def failed(stats: dict[str, Any], reason: str) -> bool:
    """The verdict on a run: closed for any reason but `finished`, the store failed, a
    monitor failed, writes were dead-lettered, or not one response came back."""
    return bool(failure_reasons(stats, reason))


@dataclass(frozen=True)
class Verdict:
    """A run judged from its stats: what the summary line, the alerts and the metrics say."""

    run_id: str
    spider: str
    failed: bool
    reasons: list[str]
    book: dict[str, Any]
    seconds: float
    line: str


def judge(stats: dict[str, Any], reason: str, spider: str, settings: Any = None) -> Verdict:
    book = ledger(stats)
    start = stats.get("start_time") or datetime.now(UTC)
    seconds = (datetime.now(UTC) - start).total_seconds()
    reasons = failure_reasons(stats, reason)
    run_id = stats.get("finews/run_id") or run_id_for(settings, spider, start)
    line = summary_line(
        spider, "FAILED" if reasons else reason, book, seconds, run_id=run_id, reasons=reasons
    )
    return Verdict(run_id, spider, bool(reasons), reasons, book, seconds, line)


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
