"""The store side of a run: articles, rejections, raw pages and the run's record.

One `Sink` per run (per process), over one `ArticleWriter`: every shell (the Scrapy store
pipeline, `finews batch`, `reparse`) writes through it, so what reaches the store, which
raw pages are kept, and how the run's record is dead-lettered are decided once, here.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from finews_spider.ingest.ledger import store_stats
from finews_spider.model import Article, Rejection, context_json
from finews_spider.parsing import MAX_PAGE_BYTES
from finews_spider.store import (
    ArticleWriter,
    OpenStore,
    RetryPolicy,
    StoreConfig,
    WriteTuning,
    open_store,
    redact,
)
from finews_spider.store.runs import run_record

logger = logging.getLogger(__name__)

#: what became of the run's record (`Sink.record_run`)
RECORDED, DEAD_LETTERED, NOT_RECORDED = "recorded", "dead_lettered", "not_recorded"


def document(result: Any) -> dict[str, Any]:
    """The writer's document for an article result: the one place an article item becomes
    what the store keeps (the writer takes its own shallow copy, so no copy here)."""
    if isinstance(result, Article):
        return result.document()
    if isinstance(result, dict):
        return result  # already a document (a project pipeline of the user's own)
    from itemadapter import ItemAdapter  # another item type handed in by a Scrapy shell

    return ItemAdapter(result).asdict()


@dataclass(frozen=True)
class SinkOptions:
    """How the writer batches and retries (`store.config.write_tuning` reads the settings)."""

    batch_size: int = 200
    flush_seconds: float = 2.0
    timeout_s: float = 5.0
    retry: RetryPolicy | None = None
    write_concern: str | None = None

    @classmethod
    def from_tuning(cls, tuning: WriteTuning, write_concern: str | None = None) -> SinkOptions:
        return cls(
            batch_size=tuning.batch_size,
            flush_seconds=tuning.flush_seconds,
            timeout_s=tuning.timeout_s,
            retry=RetryPolicy(tries=tuning.retry_tries, budget=tuning.retry_seconds),
            write_concern=write_concern,
        )


class Sink:
    def __init__(
        self,
        writer: ArticleWriter,
        store: OpenStore | None = None,
        *,
        store_pages: bool = True,
        log: logging.Logger | None = None,
    ) -> None:
        self.writer = writer
        self.store = store
        #: keep raw pages (False when the pages are the input, as in reparse)
        self.store_pages = store_pages
        self.log = log or logger

    @classmethod
    async def open(
        cls,
        config: StoreConfig,
        options: SinkOptions | None = None,
        *,
        appname: str | None = None,
        store_pages: bool = True,
        log: logging.Logger | None = None,
    ) -> Sink:
        """Connect (starting the embedded server without a URI), or raise StoreUnavailable
        naming the redacted URI: a run that cannot store must not run."""
        options = options or SinkOptions()
        store = await open_store(
            config,
            timeout_s=options.timeout_s,
            write_concern=options.write_concern,
            appname=appname,
        )
        log = log or logger
        if store.server is not None:
            log.info("embedded store %s, data in %s", store.uri, store.server.data_dir)
        writer = ArticleWriter(
            store.db,
            batch_size=options.batch_size,
            flush_seconds=options.flush_seconds,
            retry=options.retry or RetryPolicy(),
            dead_letter_dir=config.dead_letter_dir,
        )
        return cls(writer, store, store_pages=store_pages, log=log)

    @property
    def uri(self) -> str:
        """The store's address with any credentials removed (for logs and stats)."""
        return redact(self.store.uri) if self.store is not None else ""

    async def put(self, result: Any, *, terms: list[str] | None = None) -> None:
        """An article or a rejection to the store. `terms`: the article's search terms, when
        computed already (`store.articles.prepare`)."""
        if isinstance(result, Rejection):
            await self.writer.add_rejection(result)
        else:
            await self.writer.add(document(result), terms=terms)

    def add_page(
        self,
        url: str,
        body: bytes,
        content_type: str | None,
        context: Mapping[str, Any] | str | None = None,
    ) -> bool:
        """Keep an article page's raw body and the context its parse needs; False when it
        is not kept. A body over the parser's limit is refused by the parser
        (page_too_large), so a reparse must not inflate it again."""
        if not self.store_pages or len(body) > MAX_PAGE_BYTES:
            return False
        if context is not None and not isinstance(context, str):
            context = context_json(context) if context else None
        self.writer.add_page(url, body, content_type, context=context)
        return True

    def store_stats(self, present: Mapping[str, Any]) -> dict[str, int]:
        """The writer's counts under their stats keys (see `ledger.store_stats`)."""
        return store_stats(self.writer.counts.as_dict(), present)

    async def close(self) -> None:
        """Write everything buffered (the store stays open for the run's record)."""
        await self.writer.close()

    def log_summary(self) -> None:
        """The store's line at the end of a run, dead letters included."""
        c = self.writer.counts
        line = (
            f"finews store: {c.new} new, {c.updated} updated, {c.unchanged} unchanged, "
            f"{c.refused} refused, {c.rejects} rejects, {c.pages_stored} pages stored "
            f"({c.pages_unchanged} unchanged), {c.retries} retries; "
        )
        if c.dead_lettered:
            self.log.warning(
                "%s%d writes DEAD-LETTERED to %s (send them with `finews resend-dead-letters`)",
                line,
                c.dead_lettered,
                self.writer.dead_letter_path,
            )
        else:
            self.log.info("%sno dead letters", line)

    async def record_run(
        self,
        run_id: str,
        spider: str,
        book: dict[str, Any],
        *,
        reason: str,
        failed: bool,
        started_at: datetime | None,
    ) -> str:
        """The run's ledger in `runs`, dead-lettered like any write when the store cannot
        take it: RECORDED, DEAD_LETTERED (logged: someone must resend it) or NOT_RECORDED
        (logged: the record could not even be made or buffered)."""
        try:
            record = run_record(
                run_id, spider, book, reason=reason, failed=failed, started_at=started_at
            )
            lost_before = self.writer.counts.dead_lettered
            await self.writer.add_run(record)
            await self.writer.close()
        except Exception:
            self.log.exception("could not record the run's ledger in `runs`")
            return NOT_RECORDED
        if self.writer.counts.dead_lettered > lost_before:
            self.log.error(
                "could not record the run's ledger in `runs`: dead-lettered to %s "
                "(send it with `finews resend-dead-letters`)",
                self.writer.dead_letter_path,
            )
            return DEAD_LETTERED
        return RECORDED

    async def release(self) -> None:
        """Let the store go (stopping the embedded server this run started)."""
        store, self.store = self.store, None
        if store is not None:
            await store.close()
