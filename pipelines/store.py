"""MongoPipeline: the Scrapy side of the store (settings, signals, stats).

Everything else is in `finews_spider.store`. Settings (each falls back to the environment
variable of the same name, then to the default):

MONGO_URI             server to write to; unset: the embedded SecantusDB under FINEWS_HOME/db
MONGO_DATABASE        database name (finews)
FINEWS_HOME           data, logs and dead letters (./.finews)
MONGO_BATCH_SIZE      writes per bulk (200)
MONGO_FLUSH_SECONDS   longest a write waits in the buffer (2)
MONGO_TIMEOUT_SECONDS server selection / startup ping timeout (5)
MONGO_RETRY_TRIES     tries per database call on network faults (5)
MONGO_RETRY_SECONDS   time budget of those tries (30)
MONGO_WRITE_CONCERN   e.g. `majority` on a replica set (default: the server's)
FINEWS_STORE          `off`: no database at all, files only (finews_spider/extensions/files_only.py)
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any, Self

from itemadapter import ItemAdapter
from scrapy import signals
from scrapy.exceptions import NotConfigured

from finews_spider.extensions.files_only import store_off
from finews_spider.extensions.summary import failed, ledger, run_id_for
from finews_spider.meta import ARTICLE, CONTEXT
from finews_spider.model import Article, Rejection, context_json
from finews_spider.parsing import MAX_PAGE_BYTES
from finews_spider.store import (
    ArticleWriter,
    OpenStore,
    RetryPolicy,
    StoreConfig,
    open_store,
    redact,
    resolve_config,
    write_tuning,
)
from finews_spider.store.runs import run_record
from finews_spider.store.setup import default_appname
from finews_spider.store.writer import utcnow

if TYPE_CHECKING:
    from scrapy import Request, Spider
    from scrapy.crawler import Crawler
    from scrapy.http import Response

logger = logging.getLogger(__name__)

#: counts of the writer published as crawler stats
STATS = {
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


class MongoPipeline:
    def __init__(
        self,
        crawler: Crawler,
        config: StoreConfig,
        *,
        batch_size: int = 200,
        flush_seconds: float = 2.0,
        timeout_s: float = 5.0,
        retry: RetryPolicy | None = None,
    ) -> None:
        self.crawler = crawler
        self.config = config
        self.batch_size = batch_size
        self.flush_seconds = flush_seconds
        self.timeout_s = timeout_s
        self.retry = retry or RetryPolicy()
        self.store: OpenStore | None = None
        #: e.g. "majority" on a replica set; None: the server's default (or $MONGO_WRITE_CONCERN)
        self.write_concern: str | None = crawler.settings.get("MONGO_WRITE_CONCERN")
        self.writer: ArticleWriter | None = None
        #: the writer's counts as last published to the crawl stats
        self._published: dict[str, int] = {}

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        s = crawler.settings
        if store_off(s):
            raise NotConfigured("FINEWS_STORE=off: no database, files only")
        config = resolve_config(
            uri=s.get("MONGO_URI"), database=s.get("MONGO_DATABASE"), home=s.get("FINEWS_HOME")
        )
        tuning = write_tuning(s.get)
        pipeline = cls(
            crawler,
            config,
            batch_size=tuning.batch_size,
            flush_seconds=tuning.flush_seconds,
            timeout_s=tuning.timeout_s,
            retry=RetryPolicy(tries=tuning.retry_tries, budget=tuning.retry_seconds),
        )
        crawler.signals.connect(pipeline.response_received, signal=signals.response_received)
        # After CrawlSummary (an extension, connected earlier) has judged the run.
        crawler.signals.connect(pipeline.spider_closed, signal=signals.spider_closed)
        return pipeline

    async def open_spider(self) -> None:
        """Connect (starting the embedded server without MONGO_URI), or raise StoreUnavailable
        naming the redacted URI: a crawl that cannot store must not run."""
        spider = getattr(self.crawler, "spider", None)
        self.store = store = await open_store(
            self.config,
            timeout_s=self.timeout_s,
            write_concern=self.write_concern,
            appname=default_appname(spider.name if spider is not None else ""),
        )
        if store.server is not None:
            logger.info("embedded store %s, data in %s", store.uri, store.server.data_dir)
        self.writer = ArticleWriter(
            store.db,
            batch_size=self.batch_size,
            flush_seconds=self.flush_seconds,
            retry=self.retry,
            dead_letter_dir=self.config.dead_letter_dir,
        )
        logger.info("storing to %s, database %s", redact(store.uri), self.config.database)
        if self.crawler.stats is not None:
            self.crawler.stats.set_value("finews/store", redact(store.uri))

    async def process_item(self, item: Any) -> Any:
        """Articles and rejections go to the store; the item is returned as it came."""
        if self.writer is not None:
            if isinstance(item, Rejection):
                await self.writer.add_rejection(item)
            elif isinstance(item, Article):
                await self.writer.add(item.document())
            elif isinstance(item, dict):
                # An article document: the writer takes its own shallow copy (`prepare`) and
                # never modifies nested values, so no deep copy.
                await self.writer.add(item)
            elif ItemAdapter.is_item(item):
                await self.writer.add(ItemAdapter(item).asdict())
            self._publish_stats()
        return item

    def response_received(self, response: Response, request: Request, spider: Spider) -> None:
        """Keep the raw body of article pages (`meta[ARTICLE]`), unless the spider
        says `store_pages = False`."""
        if self.writer is None or not request.meta.get(ARTICLE):
            return
        if not getattr(spider, "store_pages", True):
            return
        if len(response.body) > MAX_PAGE_BYTES:
            return  # the parser refuses it (page_too_large): a reparse must not inflate it again
        content_type = response.headers.get(b"Content-Type")
        context = request.meta.get(CONTEXT)
        self.writer.add_page(
            response.url,
            response.body,
            content_type.decode("latin-1") if content_type else None,
            context=context_json(context) if context else None,
        )

    async def close_spider(self) -> None:
        try:
            if self.writer is not None:
                await self.writer.close()
                self._publish_stats()
                self._log_summary(self.writer)
        except BaseException:
            await self._release()
            raise
        # The store stays open until spider_closed: the run's ledger goes to `runs` then.

    async def spider_closed(self, spider: Spider, reason: str) -> None:
        """Record this run's ledger in `runs` (dead-lettered, like any write, when the store
        cannot take it), then let the store go."""
        try:
            stats = self.crawler.stats
            if self.writer is not None and stats is not None:
                values = stats.get_stats()
                # the id the summary line starts with (CrawlSummary sets it when the spider opens)
                run_id = values.get("finews/run_id") or run_id_for(
                    self.crawler.settings, spider.name, values.get("start_time", utcnow())
                )
                stats.set_value("finews/run_id", run_id)
                record = run_record(
                    run_id,
                    spider.name,
                    ledger(values),
                    reason=reason,
                    failed=failed(values, reason),
                    started_at=values.get("start_time"),
                )
                lost_before = self.writer.counts.dead_lettered
                await self.writer.add_run(record)
                await self.writer.close()
                if self.writer.counts.dead_lettered > lost_before:
                    # Safe on disk but not in the store: someone must resend it.
                    stats.set_value("finews/failed", True)
                    stats.set_value("finews/run_dead_lettered", True)
                    logger.error(
                        "could not record the run's ledger in `runs`: dead-lettered to %s "
                        "(send it with `finews resend-dead-letters`)",
                        self.writer.dead_letter_path,
                    )
        except Exception:
            logger.exception("could not record the run's ledger in `runs`")
        finally:
            await self._release()

    def _publish_stats(self) -> None:
        """The writer's counts as crawl stats, when they changed (they change when a batch
        is written, not with every item)."""
        stats = self.crawler.stats
        if self.writer is None or stats is None:
            return
        counts = vars(self.writer.counts)  # the live fields, not a copy
        if counts == self._published:
            return
        self._published = dict(counts)
        for field, key in STATS.items():
            if counts[field] or stats.get_value(key) is not None:
                stats.set_value(key, counts[field])

    @staticmethod
    def _log_summary(writer: ArticleWriter) -> None:
        c = writer.counts
        line = (
            f"finews store: {c.new} new, {c.updated} updated, {c.unchanged} unchanged, "
            f"{c.refused} refused, {c.rejects} rejects, {c.pages_stored} pages stored "
            f"({c.pages_unchanged} unchanged), {c.retries} retries; "
        )
        if c.dead_lettered:
            logger.warning(
                "%s%d writes DEAD-LETTERED to %s (send them with `finews resend-dead-letters`)",
                line,
                c.dead_lettered,
                writer.dead_letter_path,
            )
        else:
            logger.info("%sno dead letters", line)

    async def _release(self) -> None:
        store, self.store = self.store, None
        if store is not None:
            await store.close()
