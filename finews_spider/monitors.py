"""Monitors run at the close of every crawl (Spidermon).

A failed monitor is recorded in the stats (`finews/monitors_failed`); the crawl summary
shows it and the crawl exits non-zero. Thresholds are settings:

FINEWS_MIN_ARTICLES        articles a run must yield (default 0: an incremental run may
                           legitimately find nothing new)
FINEWS_FIELD_COVERAGE      {field: minimum share of articles with a non-empty value}
FINEWS_MAX_REJECT_RATIO    rejected / pages read (default 0.5)
FINEWS_REJECT_RATIO_MIN_PAGES  pages a run must read before that ceiling applies (default
                           10: one site notice out of one page read is not a broken site)
FINEWS_MAX_ERRORS          ERROR log lines, retries given up aside (default 0)

A run that could read none of its list pages (all answered 404, were too large, refused,
disallowed...) fails, naming them: it cannot be told from a quiet run otherwise.
"""

from __future__ import annotations

from typing import Any

from spidermon import Monitor, MonitorSuite, monitors
from spidermon.core.actions import Action

from finews_spider.ingest.ledger import ledger
from finews_spider.meta import LIST_FAILURES, LIST_PAGES, LIST_PAGES_FAILED
from finews_spider.settings import setting

DEFAULT_FIELD_COVERAGE = {"published_at": 1.0, "title": 1.0, "body_text": 1.0, "stock_codes": 0.0}


class _FinewsMonitor(Monitor):
    @property
    def stats(self) -> dict[str, Any]:
        return self.data.stats

    def setting(self, name: str) -> Any:
        return setting(self.data.crawler.settings, name)


@monitors.name("articles")
class ArticleCountMonitor(_FinewsMonitor):
    @monitors.name("minimum article count")
    def test_minimum_articles(self) -> None:
        minimum = int(self.setting("FINEWS_MIN_ARTICLES"))
        articles = ledger(self.stats)["articles"]
        self.assertGreaterEqual(articles, minimum, f"{articles} articles, expected ≥ {minimum}")


@monitors.name("field coverage")
class FieldCoverageMonitor(_FinewsMonitor):
    @monitors.name("fields present in enough articles")
    def test_field_coverage(self) -> None:
        configured = self.data.crawler.settings.getdict("FINEWS_FIELD_COVERAGE")
        rules = {**DEFAULT_FIELD_COVERAGE, **configured}
        articles = self.stats.get("finews/articles", 0)
        if not articles:
            return
        short = []
        for field, minimum in rules.items():
            share = self.stats.get(f"finews/coverage/{field}", 0) / articles
            if share < float(minimum):
                short.append(f"{field} {share:.0%} < {float(minimum):.0%}")
        self.assertFalse(short, "; ".join(short))


@monitors.name("rejects and errors")
class CeilingMonitor(_FinewsMonitor):
    @monitors.name("reject ratio under the ceiling")
    def test_reject_ratio(self) -> None:
        book = ledger(self.stats)
        ceiling = float(self.setting("FINEWS_MAX_REJECT_RATIO"))
        if book["pages_read"] < int(self.setting("FINEWS_REJECT_RATIO_MIN_PAGES")):
            return  # too few pages for a ratio to say anything about the site
        ratio = book["rejected"] / book["pages_read"] if book["pages_read"] else 0.0
        self.assertLessEqual(
            ratio, ceiling, f"{ratio:.0%} of pages rejected (ceiling {ceiling:.0%})"
        )

    @monitors.name("error log lines under the ceiling")
    def test_errors(self) -> None:
        # Scrapy logs each retry given up, and each robots.txt it could not fetch, as an
        # ERROR; those pages are rejects already (fetch/…) and count against that ceiling.
        expected = self.stats.get("retry/max_reached", 0) + sum(
            v for k, v in self.stats.items() if k.startswith("robotstxt/exception_count/")
        )
        errors = self.stats.get("log_count/ERROR", 0) - expected
        ceiling = int(self.setting("FINEWS_MAX_ERRORS"))
        self.assertLessEqual(errors, ceiling, f"{errors} errors logged (ceiling {ceiling})")


@monitors.name("list pages")
class ListPagesMonitor(_FinewsMonitor):
    @monitors.name("list pages fetched")
    def test_list_pages_read(self) -> None:
        read = self.stats.get(LIST_PAGES, 0)
        failed = self.stats.get(LIST_PAGES_FAILED, 0)
        named = "; ".join(self.stats.get(LIST_FAILURES) or [])
        if failed and not read:
            self.fail(f"none of the {failed} list pages could be read: {named}")


@monitors.name("ledger")
class LedgerMonitor(_FinewsMonitor):
    @monitors.name("pages read = articles + rejected + dead-lettered")
    def test_balanced(self) -> None:
        book = ledger(self.stats)
        self.assertTrue(book["balanced"], f"the ledger does not balance: {book}")


class RecordMonitorResults(Action):
    """Put the failed monitors where the crawl summary and the exit status see them."""

    def run_action(self) -> None:
        failed = [getattr(r.item, "name", str(r.item)) for r in self.result.monitors_failed_results]
        self.data.crawler.stats.set_value("finews/monitors_failed", failed)


class CloseMonitorSuite(MonitorSuite):
    monitors = [
        ArticleCountMonitor,
        FieldCoverageMonitor,
        CeilingMonitor,
        ListPagesMonitor,
        LedgerMonitor,
    ]
    monitors_finished_actions = [RecordMonitorResults]
