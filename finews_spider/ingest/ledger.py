"""The run's ledger: what came in, what came out, and whether the two sides balance.

pages read = articles (new + updated + unchanged) + rejected + dead-lettered.
A run failed when it closed for any reason but `finished`, when the store failed, a monitor
failed, writes were dead-lettered, or not a single response could be fetched; a FAILED line
names each of those reasons. The line starts with the run id (`finews ledger RUN_ID`).

`Ledger` keeps the counts of one run; its `stats()` are the crawl stats keys that monitors,
metrics, alerts and `ledger()` read, so a Scrapy crawl copies them into its stats and
`finews batch` judges the same dict.
"""

from __future__ import annotations

import weakref
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from finews_spider.meta import PAGES_READ
from finews_spider.model import Rejection
from finews_spider.settings import setting

#: the writer's counts (`WriteCounts` fields) under their stats keys
STORE_STATS = {
    "new": "finews/articles/new",
    "updated": "finews/articles/updated",
    "unchanged": "finews/articles/unchanged",
    "refused": "finews/store/refused",
    "pages_stored": "finews/pages/stored",
    "pages_unchanged": "finews/pages/unchanged",
    "dead_lettered": "finews/dead_lettered_writes",
    "dead_lettered_articles": "finews/dead_lettered",
    "retries": "finews/store/retries",
}
#: the article fields whose coverage the close monitors check
COVERED = ("published_at", "title", "body_text", "stock_codes", "outlet", "summary")
#: pages the core failed on, neither article nor rejection (a crawl's failures on a page are
#: Scrapy's own stats, spider_exceptions/… and item errors, and unbalance the ledger alike)
ERRORS = "finews/batch/errors"
ARTICLES, REJECTED, COVERAGE = ("finews/articles", "finews/rejected", "finews/coverage/")


class Stats(Protocol):
    """Where a shell publishes the ledger (Scrapy's StatsCollector has this method)."""

    def set_value(self, key: str, value: Any) -> None: ...


@dataclass
class Ledger:
    """The counts of one run (one process). Every page that enters is counted once by
    `page_read`, and leaves as an article, a rejection or an error."""

    pages_read: int = 0
    articles: int = 0
    rejected: Counter[str] = field(default_factory=Counter)
    coverage: Counter[str] = field(default_factory=Counter)
    errors: int = 0
    #: the values last copied by `publish`
    _published: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)
    #: the stats keys whose counts moved since the last `publish` (it reads only those)
    _moved: set[str] = field(default_factory=set, repr=False, compare=False)

    def __post_init__(self) -> None:
        self._moved.update(self.stats())

    def page_read(self, n: int = 1) -> None:
        self.pages_read += n
        self._moved.add(PAGES_READ)

    def account(self, result: Any) -> None:
        """One result out: a Rejection by its reason, anything else as an article."""
        if isinstance(result, Rejection):
            self.rejected[result.reason] += 1
            self._moved.update((REJECTED, REJECTED + "/" + result.reason))
            return
        self.articles += 1
        self._moved.add(ARTICLES)
        for name in COVERED:
            if _get(result, name):
                self.coverage[name] += 1
                self._moved.add(COVERAGE + name)

    def error(self) -> None:
        """A page that became neither an article nor a rejection: the ledger will not
        balance, and says so."""
        self.errors += 1
        self._moved.add(ERRORS)

    def stats(self) -> dict[str, Any]:
        """The counts under their stats keys; a count that never moved has no key, as a
        crawl's `inc_value` leaves it."""
        stats: dict[str, Any] = {}
        if self.pages_read:
            stats[PAGES_READ] = self.pages_read
        if self.rejected:
            stats[REJECTED] = sum(self.rejected.values())
        for reason, n in self.rejected.items():
            stats[f"{REJECTED}/{reason}"] = n
        if self.articles:
            stats[ARTICLES] = self.articles
        for name, n in self.coverage.items():
            stats[COVERAGE + name] = n
        if self.errors:
            stats[ERRORS] = self.errors
        return stats

    def publish(self, stats: Stats) -> None:
        """Copy the counts that changed since the last call into a crawl's stats (which
        monitors, metrics and alerts read): the stats are a copy, the ledger the source."""
        moved, self._moved = self._moved, set()
        for key in moved:
            value = self._value(key)
            if self._published.get(key) != value:
                stats.set_value(key, value)
                self._published[key] = value

    def _value(self, key: str) -> int:
        """One count of `stats()` by its key."""
        if key == PAGES_READ:
            return self.pages_read
        if key == ARTICLES:
            return self.articles
        if key == REJECTED:
            return sum(self.rejected.values())
        if key == ERRORS:
            return self.errors
        if key.startswith(COVERAGE):
            return self.coverage[key.removeprefix(COVERAGE)]
        return self.rejected[key.removeprefix(REJECTED + "/")]


_RUNS: weakref.WeakKeyDictionary[object, Ledger] = weakref.WeakKeyDictionary()


def ledger_of(run: object) -> Ledger:
    """The one ledger of a run, keyed by the object that stands for it (a crawl's Crawler):
    the spiders count pages in and the last pipeline counts results out on the same one."""
    book = _RUNS.get(run)
    if book is None:
        book = _RUNS[run] = Ledger()
    return book


def _get(result: Any, name: str) -> Any:
    getter = getattr(result, "get", None)
    return getter(name) if getter is not None else getattr(result, name, None)


def store_stats(counts: Mapping[str, int], present: Mapping[str, Any]) -> dict[str, int]:
    """The writer's counts under their stats keys: those that moved, and those already
    published (`present`), so a count once shown keeps being updated."""
    return {
        key: counts[name]
        for name, key in STORE_STATS.items()
        if counts[name] or present.get(key) is not None
    }


def ledger(stats: Mapping[str, Any]) -> dict[str, Any]:
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
    pages = stats.get(PAGES_READ, 0)
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


def failure_reasons(stats: Mapping[str, Any], reason: str) -> list[str]:
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


def _fetch_errors(stats: Mapping[str, Any]) -> str:
    """The download errors by kind (`downloader/exception_type_count/…`), to name the cause
    of a run that got no response at all (DNS, refused connections, timeouts)."""
    prefix = "downloader/exception_type_count/"
    kinds = {
        k.removeprefix(prefix).rsplit(".", 1)[-1]: v
        for k, v in stats.items()
        if k.startswith(prefix)
    }
    return f": {', '.join(f'{k} {v}' for k, v in sorted(kinds.items()))}" if kinds else ""


def failed(stats: Mapping[str, Any], reason: str) -> bool:
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


def judge(stats: Mapping[str, Any], reason: str, spider: str, settings: Any = None) -> Verdict:
    book = ledger(stats)
    start = stats.get("start_time") or datetime.now(UTC)
    seconds = (datetime.now(UTC) - start).total_seconds()
    reasons = failure_reasons(stats, reason)
    run_id = stats.get("finews/run_id") or run_id_for(settings, spider, start)
    line = summary_line(
        spider, "FAILED" if reasons else reason, book, seconds, run_id=run_id, reasons=reasons
    )
    return Verdict(run_id, spider, bool(reasons), reasons, book, seconds, line)
