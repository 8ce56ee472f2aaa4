"""One run's ingestion without an engine: each result through the ledger to the sink, and
the run's end (store line, summary line, verdict, the record in `runs`).

`finews batch` is its shell. A Scrapy crawl does the same with the same pieces spread over
its components (the spiders count pages in, `pipelines.store` and `pipelines.ledger` take
the results, `extensions.summary` judges), because Scrapy splits the work that way.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from finews_spider.ingest.ledger import Ledger, ledger, run_id_for, summary_line
from finews_spider.ingest.sink import RECORDED, Sink
from finews_spider.model import Rejection

logger = logging.getLogger(__name__)
summary_logger = logging.getLogger("finews.summary")

#: a raw page to keep: (request URL, body, content type header, the context its parse needs)
RawPage = tuple[str, bytes, str | None, Mapping[str, Any] | str | None]


@dataclass
class RunResult:
    stats: dict[str, Any]
    book: dict[str, Any]
    line: str
    reason: str
    errors: int

    @property
    def ok(self) -> bool:
        return self.reason == "finished" and bool(self.book["balanced"]) and not self.errors


@dataclass
class Ingestion:
    """The ledger and the sink of one run, named `spider` in the summary and in `runs`."""

    sink: Sink
    spider: str
    started: datetime
    ledger: Ledger = field(default_factory=Ledger)

    @property
    def run_id(self) -> str:
        return run_id_for(None, self.spider, self.started)

    async def take(
        self,
        url: str,
        result: Any,
        *,
        page: RawPage | None = None,
        error: str | None = None,
        terms: list[str] | None = None,
    ) -> None:
        """One page that entered the run, with what the core made of it: an article, a
        Rejection, or None when the core failed on it (`error`). `terms`: the article's
        search terms, when computed already (`Sink.put`)."""
        if page is not None:
            self.sink.add_page(*page)
        self.ledger.page_read()
        if result is None:
            # Neither article nor rejection: the ledger will not balance, and the run fails.
            self.ledger.error()
            logger.error("failed on %s: %s", url, error)
            return
        if isinstance(result, Rejection):
            logger.debug(
                "rejected %s [%s/%s]: %s", result.url, result.stage, result.reason, result.detail
            )
        self.ledger.account(result)
        await self.sink.put(result, terms=terms)

    def stats(self) -> dict[str, Any]:
        """The run's stats under a crawl's keys: the ledger, the writer's counts, the store."""
        return {
            **self.ledger.stats(),
            "finews/store": self.sink.uri,
            "downloader/request_count": 0,  # not a single request: files or stored pages
            "response_received_count": 0,
            **self.sink.store_stats({}),
        }

    async def finish(self, reason: str, seconds: float) -> RunResult:
        """Write what is buffered, log the store line and the summary line, and record the
        run in `runs`; a record that does not reach the store fails the run."""
        try:
            await self.sink.close()
        finally:
            result = self._judge(reason, seconds)
            recorded = await self.sink.record_run(
                self.run_id,
                self.spider,
                result.book,
                reason=result.reason,
                failed=not result.ok,
                started_at=self.started,
            )
            if recorded != RECORDED:
                result.errors += 1
        return result

    def _judge(self, reason: str, seconds: float) -> RunResult:
        self.sink.log_summary()
        stats = self.stats()
        book = ledger(stats)
        errors = self.ledger.errors
        bad = reason != "finished" or not book["balanced"] or errors > 0
        line = summary_line(
            self.spider, "FAILED" if bad else reason, book, seconds, run_id=self.run_id
        )
        (summary_logger.error if bad else summary_logger.info)(line)
        return RunResult(stats, book, line, reason, errors)
