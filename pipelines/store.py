"""MongoPipeline: the Scrapy shell over the run's sink (`finews_spider.ingest.sink`).

It reads the settings, connects the signals and copies the writer's counts into the crawl
stats; what is stored, and how, is the sink's. Its settings (MONGO_*, FINEWS_HOME,
FINEWS_STORE) are declared, with defaults, in `finews_spider/settings.py`.
"""

from __future__ import annotations

import copy
import logging
from typing import TYPE_CHECKING, Any, Self

from scrapy import signals
from scrapy.exceptions import NotConfigured

from finews_spider.ingest.ledger import failed, ledger, run_id_for
from finews_spider.ingest.sink import DEAD_LETTERED, Sink, SinkOptions
from finews_spider.meta import ARTICLE, CONTEXT
from finews_spider.settings import store_off
from finews_spider.store import OpenStore, StoreConfig, resolve_config, write_tuning
from finews_spider.store.setup import default_appname
from finews_spider.store.writer import utcnow

if TYPE_CHECKING:
    from scrapy import Request, Spider
    from scrapy.crawler import Crawler
    from scrapy.http import Response

    from finews_spider.store import ArticleWriter
    from finews_spider.store.writer import WriteCounts

logger = logging.getLogger(__name__)


class MongoPipeline:
    def __init__(self, crawler: Crawler, config: StoreConfig, options: SinkOptions) -> None:
        self.crawler = crawler
        self.config = config
        self.options = options
        self.sink: Sink | None = None
        #: the writer's counts as last copied into the stats (`_publish_stats`)
        self._published: WriteCounts | None = None

    @property
    def store(self) -> OpenStore | None:
        """The crawl's one connection (the incremental middleware and reparse read it)."""
        return self.sink.store if self.sink is not None else None

    @property
    def writer(self) -> ArticleWriter | None:
        return self.sink.writer if self.sink is not None else None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        s = crawler.settings
        if store_off(s):
            raise NotConfigured("FINEWS_STORE=off: no database, files only")
        config = resolve_config(
            uri=s.get("MONGO_URI"), database=s.get("MONGO_DATABASE"), home=s.get("FINEWS_HOME")
        )
        # e.g. "majority" on a replica set; None: the server's default (or $MONGO_WRITE_CONCERN)
        options = SinkOptions.from_tuning(write_tuning(s.get), s.get("MONGO_WRITE_CONCERN"))
        pipeline = cls(crawler, config, options)
        crawler.signals.connect(pipeline.response_received, signal=signals.response_received)
        # After CrawlSummary (an extension, connected earlier) has judged the run.
        crawler.signals.connect(pipeline.spider_closed, signal=signals.spider_closed)
        return pipeline

    async def open_spider(self) -> None:
        """Connect (starting the embedded server without MONGO_URI), or raise StoreUnavailable
        naming the redacted URI: a crawl that cannot store must not run."""
        spider = getattr(self.crawler, "spider", None)
        self.sink = sink = await Sink.open(
            self.config,
            self.options,
            appname=default_appname(spider.name if spider is not None else ""),
            store_pages=getattr(spider, "store_pages", True),
            log=logger,
        )
        logger.info("storing to %s, database %s", sink.uri, self.config.database)
        if self.crawler.stats is not None:
            self.crawler.stats.set_value("finews/store", sink.uri)

    async def process_item(self, item: Any) -> Any:
        """Articles and rejections go to the store; the item is returned as it came."""
        if self.sink is not None:
            await self.sink.put(item)
            self._publish_stats()
        return item

    def response_received(self, response: Response, request: Request, spider: Spider) -> None:
        """Keep the raw body of article pages (`meta[ARTICLE]`), unless the spider
        says `store_pages = False`."""
        if self.sink is None or not request.meta.get(ARTICLE):
            return
        if not getattr(spider, "store_pages", True):
            return
        content_type = response.headers.get(b"Content-Type")
        self.sink.add_page(
            response.url,
            response.body,
            content_type.decode("latin-1") if content_type else None,
            request.meta.get(CONTEXT),
        )

    async def close_spider(self) -> None:
        try:
            if self.sink is not None:
                await self.sink.close()
                self._publish_stats()
                self.sink.log_summary()
        except BaseException:
            await self._release()
            raise
        # The store stays open until spider_closed: the run's ledger goes to `runs` then.

    async def spider_closed(self, spider: Spider, reason: str) -> None:
        """Record this run's ledger in `runs` (dead-lettered, like any write, when the store
        cannot take it), then let the store go."""
        try:
            stats = self.crawler.stats
            if self.sink is not None and stats is not None:
                values = stats.get_stats()
                # the id the summary line starts with (CrawlSummary sets it when the spider opens)
                run_id = values.get("finews/run_id") or run_id_for(
                    self.crawler.settings, spider.name, values.get("start_time", utcnow())
                )
                stats.set_value("finews/run_id", run_id)
                recorded = await self.sink.record_run(
                    run_id,
                    spider.name,
                    ledger(values),
                    reason=reason,
                    failed=failed(values, reason),
                    started_at=values.get("start_time"),
                )
                if recorded == DEAD_LETTERED:
                    # Safe on disk but not in the store: someone must resend it.
                    stats.set_value("finews/failed", True)
                    stats.set_value("finews/run_dead_lettered", True)
        except Exception:
            logger.exception("could not record the run's ledger in `runs`")
        finally:
            await self._release()

    def _publish_stats(self) -> None:
        """The writer's counts copied into the crawl stats, when they changed (they change
        when a batch is written, not with every item)."""
        stats = self.crawler.stats
        if self.sink is None or stats is None:
            return
        counts = self.sink.writer.counts
        if counts == self._published:
            return
        self._published = copy.copy(counts)
        for key, value in self.sink.store_stats(stats.get_stats()).items():
            if stats.get_value(key) != value:
                stats.set_value(key, value)

    async def _release(self) -> None:
        sink, self.sink = self.sink, None
        if sink is not None:
            await sink.release()
