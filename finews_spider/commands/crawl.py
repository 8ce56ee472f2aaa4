"""`scrapy crawl` with an exit status schedulers can trust and one line per failure.

Scrapy exits 0 whenever the process starts; cron and scrapyd need to know when a crawl
failed, and why. The CrawlSummary extension judges a run that ran (`finews/failed` in the
stats); this command refuses unknown spider arguments before anything starts, and turns a
crawl that could not start (a missing path, an unreachable store or Redis) into one line on
stderr and the status documented in `finews_spider.exits`. `-L DEBUG` keeps the tracebacks.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import re
import sys
from typing import Any

from scrapy import signals
from scrapy.commands.crawl import Command as ScrapyCrawl
from scrapy.crawler import Crawler
from scrapy.exceptions import UsageError

from finews_spider.exits import FAILED, UNAVAILABLE, USAGE, UsageFailure, check_spider_arguments
from finews_spider.exits import classify as classify_failure

logger = logging.getLogger("finews.crawl")

#: Where Scrapy logs the errors of closing a spider that never opened.
_CLOSE_LOGGERS = ("scrapy.utils.signal", "scrapy.core.engine", "scrapy.core.scraper", "asyncio")
#: Where Scrapy logs a request that failed without an errback.
_FETCH_LOGGERS = ("scrapy.core.scraper", "scrapy.downloadermiddlewares.robotstxt")


class _QuietUntilOpened(logging.Filter):
    """Until the spider has opened, errors with a traceback are consequences of the failure
    this command reports in one line (Scrapy closing a spider that never opened logs one per
    extension); at DEBUG they pass."""

    def __init__(self) -> None:
        super().__init__()
        self.opened = False

    def filter(self, record: logging.LogRecord) -> bool:
        if self.opened or record.levelno < logging.ERROR:
            return True
        return not (record.exc_info or record.name == "asyncio")


class _ShortNetworkErrors(logging.Filter):
    """A page that could not be fetched (DNS, refused, timeout, reset) is a fact about the
    network, not a bug: one line with the cause instead of a Twisted traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        if exc is not None and _is_network_error(exc):
            record.msg = f"{record.getMessage()}: {type(exc).__name__}: {exc}"
            record.args = None
            record.exc_info = record.exc_text = None
        return True


def _is_network_error(exc: BaseException) -> bool:
    module = type(exc).__module__
    return isinstance(exc, OSError | TimeoutError) or module.startswith(
        ("twisted.internet.error", "twisted.web._newclient", "scrapy.exceptions")
    )


class _ShortMonitorReports(logging.Filter):
    """Spidermon reports a failed monitor with the assertion's traceback; its last line (the
    monitor's message) is what an operator needs."""

    TRACEBACK = re.compile(r"Traceback \(most recent call last\):\n(?:[ \t]+.*\n)+")

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if "[Spidermon]" in message and "Traceback (most recent call last)" in message:
            record.msg, record.args = self.TRACEBACK.sub("", message), None
        return True


class Command(ScrapyCrawl):
    _spider_name = "?"

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        if len(args) != 1:
            raise UsageError("give exactly one spider name")
        assert self.crawler_process is not None
        try:
            spidercls = self.crawler_process.spider_loader.load(args[0])
        except KeyError:
            known = ", ".join(sorted(self.crawler_process.spider_loader.list()))
            self._fail(USAGE, f"no spider named {args[0]!r}; the spiders are: {known}")
            return
        try:
            check_spider_arguments(spidercls, opts.spargs)
        except UsageFailure as exc:
            self._fail(USAGE, str(exc))
            return
        self._spider_name = args[0]
        crawler = self._create_crawler(args[0])
        assert self.settings is not None
        debug = str(self.settings.get("LOG_LEVEL", "DEBUG")).upper() == "DEBUG"
        quiet = _QuietUntilOpened()
        if not debug:
            # On the loggers, not the handlers: Scrapy replaces its root handler at crawl start.
            for name in _CLOSE_LOGGERS:
                logging.getLogger(name).addFilter(quiet)
            for name in _FETCH_LOGGERS:
                logging.getLogger(name).addFilter(_ShortNetworkErrors())
            logging.getLogger(spidercls.name).addFilter(_ShortMonitorReports())

        def opened(spider: Any) -> None:
            quiet.opened = True

        crawler.signals.connect(opened, signal=signals.spider_opened)
        failures: list[BaseException] = []
        self._watch(self.crawler_process.crawl(crawler, **opts.spargs), failures)
        self.crawler_process.start()
        if failures:
            self._report(failures[0], debug)
            return
        stats = _stats(crawler)
        verdict = stats.get("finews/failed")
        if self.crawler_process.bootstrap_failed or verdict is not False:
            # The summary line above says it all; this last line is for whoever reads only
            # the tail of the log (the one line per failure).
            reasons = "; ".join(stats.get("finews/failure_reasons") or ["no verdict"])
            run = stats.get("finews/run_id", args[0])
            if _nothing_answered(stats):
                self._fail(
                    UNAVAILABLE,
                    f"run {run} FAILED: the site did not answer: {reasons}; check the "
                    "network, DNS and the base_url",
                )
            else:
                self._fail(FAILED, f"run {run} FAILED: {reasons}")

    @staticmethod
    def _watch(pending: Any, failures: list[BaseException]) -> None:
        """Keep the exception a crawl that could not start ends with (a Task or a Deferred,
        depending on the reactor), so it is reported once, here, not logged as unhandled."""
        if isinstance(pending, asyncio.Future):

            def done(task: asyncio.Future[Any]) -> None:
                if not task.cancelled() and task.exception() is not None:
                    failures.append(task.exception())  # type: ignore[arg-type]

            pending.add_done_callback(done)
        elif hasattr(pending, "addErrback"):
            pending.addErrback(lambda failure: failures.append(failure.value))

    def _report(self, exc: BaseException, debug: bool) -> None:
        known = classify_failure(exc)
        if known is None:
            if isinstance(exc, ValueError):
                # A spider's __init__ refusing its arguments (e.g. replay without a path).
                known = (USAGE, str(exc))
            else:
                logger.error("the crawl could not start", exc_info=exc)
                self._fail(FAILED, f"the crawl could not start: {type(exc).__name__}: {exc}")
                return
        if debug:
            logger.debug("the crawl could not start", exc_info=exc)
        self._fail(*known)
        if known[0] != USAGE:
            # Spidermon never ran, so its alerts did not: a cron job whose store is down
            # must still page someone.
            from finews_spider.alerts import alert_not_started

            assert self.settings is not None
            alert_not_started(self.settings, self._spider_name, known[1])

    def _fail(self, status: int, line: str) -> None:
        print(f"finews: {line}", file=sys.stderr, flush=True)
        self.exitcode = status


def _stats(crawler: Crawler) -> dict[str, Any]:
    # Crawler.stats raises until the crawl has started (Scrapy ≥ 2.13).
    try:
        return crawler.stats.get_stats() if crawler.stats is not None else {}
    except RuntimeError:
        return {}


def _nothing_answered(stats: dict[str, Any]) -> bool:
    """The run sent requests and not one came back: the site (or the network) is down."""
    return bool(stats.get("downloader/request_count")) and not stats.get("response_received_count")
