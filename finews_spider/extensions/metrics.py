"""The last run's metrics for Prometheus, as its conventions for batch jobs ask.

A crawl is a batch job: nothing to scrape while it runs, so at the end it leaves its
numbers where Prometheus finds them, labelled by spider:

FINEWS_METRICS_TEXTFILE     a file for node_exporter's textfile collector, written
                            atomically (`{spider}` in the path is replaced by the spider's
                            name, so spiders sharing a collector directory keep one file each)
FINEWS_METRICS_PUSHGATEWAY  a Pushgateway URL (job `finews`, grouping key `spider`)

Unset, nothing is written. `finews_last_success_timestamp_seconds` moves only when a run
succeeds (a failed run keeps the previous value: alert on its age), as the Pushgateway
documentation recommends.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Any

from scrapy import Spider, signals
from scrapy.crawler import Crawler

from finews_spider.ingest.ledger import ledger
from finews_spider.settings import setting

logger = logging.getLogger("finews.metrics")

JOB = "finews"
LAST_SUCCESS = "finews_last_success_timestamp_seconds"


def run_registry(
    spider: str, stats: dict[str, Any], *, previous_success: float | None = None
) -> Any:
    """A prometheus_client registry holding one run's metrics."""
    from prometheus_client import CollectorRegistry, Gauge

    registry = CollectorRegistry()
    book = ledger(stats)
    failed = bool(stats.get("finews/failed", True))
    now = time.time()

    def gauge(name: str, doc: str, value: float, **labels: str) -> None:
        metric = Gauge(name, doc, ["spider", *labels], registry=registry)
        metric.labels(spider=spider, **labels).set(value)

    gauge("finews_last_run_success", "1 if the last run was healthy, else 0", 0 if failed else 1)
    gauge("finews_last_run_timestamp_seconds", "When the last run ended (Unix time)", now)
    success = now if not failed else previous_success
    if success is not None:
        gauge(LAST_SUCCESS, "When a run last succeeded (Unix time)", success)
    gauge(
        "finews_last_run_duration_seconds",
        "How long the last run took",
        float(stats.get("finews/duration") or 0.0),
    )
    gauge("finews_last_run_requests", "Requests the last run sent", book["requests"])
    gauge("finews_last_run_pages", "Pages the last run read", book["pages_read"])
    articles = Gauge(
        "finews_last_run_articles",
        "Articles of the last run by outcome in the store",
        ["spider", "outcome"],
        registry=registry,
    )
    for outcome in ("new", "updated", "unchanged"):
        articles.labels(spider=spider, outcome=outcome).set(book.get(f"articles_{outcome}", 0))
    rejects = Gauge(
        "finews_last_run_rejects",
        "Pages the last run rejected, by reason",
        ["spider", "reason"],
        registry=registry,
    )
    for reason, n in book["rejected_by_reason"].items():
        rejects.labels(spider=spider, reason=reason).set(n)
    gauge(
        "finews_last_run_dead_letters", "Writes the last run dead-lettered", book["dead_lettered"]
    )
    return registry


def previous_success(path: Path, spider: str) -> float | None:
    """The last success time an earlier run left in the textfile, if any."""
    from prometheus_client.parser import text_string_to_metric_families

    try:
        text = path.read_text(encoding="utf-8")
    except OSError:
        return None
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == LAST_SUCCESS and sample.labels.get("spider") == spider:
                return float(sample.value)
    return None


def write_textfile(path: Path, spider: str, stats: dict[str, Any]) -> None:
    """Atomically: node_exporter must never read a half-written file."""
    from prometheus_client import write_to_textfile

    path.parent.mkdir(parents=True, exist_ok=True)
    registry = run_registry(spider, stats, previous_success=previous_success(path, spider))
    # write_to_textfile writes a temporary file beside `path`, then renames it over `path`
    write_to_textfile(str(path), registry)


def push(url: str, spider: str, stats: dict[str, Any], timeout: float = 10.0) -> None:
    """POST (pushadd), not PUT: a failed run leaves the group's last success time alone."""
    from prometheus_client import pushadd_to_gateway

    registry = run_registry(spider, stats)
    pushadd_to_gateway(
        url, job=JOB, registry=registry, grouping_key={"spider": spider}, timeout=timeout
    )


class RunMetrics:
    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RunMetrics:
        ext = cls(crawler)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        return ext

    def _setting(self, name: str) -> str:
        return str(setting(self.crawler.settings, name) or "")

    def spider_closed(self, spider: Spider, reason: str) -> None:
        assert self.crawler.stats is not None
        stats = self.crawler.stats.get_stats()
        if "start_time" not in stats:
            return  # never opened: there was no run
        textfile = self._setting("FINEWS_METRICS_TEXTFILE")
        gateway = self._setting("FINEWS_METRICS_PUSHGATEWAY")
        if textfile:
            path = Path(textfile.replace("{spider}", spider.name))
            try:
                write_textfile(path, spider.name, stats)
            except (OSError, ValueError) as exc:
                logger.warning("could not write the metrics to %s: %s", path, exc)
        if gateway:
            try:
                push(gateway, spider.name, stats)
            except OSError as exc:
                logger.warning("could not push the metrics to %s: %s", gateway, exc)
