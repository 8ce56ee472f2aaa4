"""A worker's life in a distributed run: heartbeat, when to exit, its mark in `runs`.

A worker exits when the shared queue is empty and no other live worker has said `busy`
for FINEWS_IDLE_CLOSE_SECONDS (a busy worker may still push what it discovers). A worker
that dies stops heartbeating; after FINEWS_WORKER_TTL the others stop waiting for it.
Requests it had taken are not put back: the run's filter remembers them, so they come back
with the next scheduled run (list pages are seeded again, and every article not stored is
fetched, stored ones are skipped).

scrapy-redis's own idle handling does not fit: SCHEDULER_IDLE_BEFORE_CLOSE blocks the
reactor in BRPOP (and PriorityQueue ignores it), and RedisSpider's MAX_IDLE_TIME_BEFORE_CLOSE
needs spiders rewritten as RedisSpider and knows nothing of the other workers' work.
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from scrapy import Spider, signals
from scrapy.exceptions import CloseSpider, DontCloseSpider, NotConfigured
from twisted.internet.task import LoopingCall

from finews_spider.distributed import coordinator_of
from finews_spider.distributed.runs import mark_started
from pipelines.store import MongoPipeline

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

    from finews_spider.distributed.coordinator import Coordinator

logger = logging.getLogger(__name__)


class SkipStartInWorkers:
    """Spider middleware for workers: start requests are the seed's job (`finews seed`)."""

    async def process_start(self, start: AsyncIterator[Any]) -> AsyncIterator[Any]:
        return
        yield  # an empty async generator


class DistributedRun:
    def __init__(self, crawler: Crawler, coordinator: Coordinator) -> None:
        self.crawler = crawler
        self.coordinator = coordinator
        self.started_at = datetime.now(UTC)
        self.idle_since: float | None = None
        self.unreachable_since: float | None = None
        self.loop: LoopingCall | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> DistributedRun:
        coordinator = coordinator_of(crawler)
        if coordinator is None or coordinator.role != "worker":
            raise NotConfigured  # a seed closes as soon as its start requests are queued
        ext = cls(crawler, coordinator)
        crawler.signals.connect(ext.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.spider_idle, signal=signals.spider_idle)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        return ext

    # --- signals ----------------------------------------------------------------------------

    async def spider_opened(self, spider: Spider) -> None:
        await self._mark_started(spider)
        self.coordinator.publish(busy=False)
        self.loop = LoopingCall(self.tick)
        self.loop.start(self.coordinator.options.heartbeat_s, now=False)

    def spider_idle(self, spider: Spider) -> None:
        """Nothing here to do: wait while the queue has requests or another worker is busy;
        exit once that has been so for FINEWS_IDLE_CLOSE_SECONDS."""
        c = self.coordinator
        if c.run_id is None:
            return  # no run was seeded (said when starting): nothing to wait for
        now = time.monotonic()
        try:
            waiting = c.queue_length() > 0 or bool(c.busy_workers(others_only=True))
            c.publish(busy=False, refresh=False)
            self.unreachable_since = None
        except Exception as exc:  # Redis unreachable: wait for it, a while
            self.unreachable_since = self.unreachable_since or now
            if now - self.unreachable_since > c.options.worker_ttl_s:
                raise CloseSpider("redis_unreachable") from exc
            logger.warning("cannot reach Redis to decide whether to exit: %s", exc)
            waiting = True
        if waiting or self.idle_since is None:
            self.idle_since = None if waiting else now
            raise DontCloseSpider
        if now - self.idle_since < c.options.idle_close_s:
            raise DontCloseSpider
        c.finish_run()
        logger.info("run %s: the queue is empty and no worker is busy", c.run_id)

    def spider_closed(self, spider: Spider, reason: str) -> None:
        if self.loop is not None and self.loop.running:
            self.loop.stop()
        try:
            self.coordinator.leave()
        except Exception as exc:
            logger.warning("could not deregister from Redis: %s", exc)

    # --- heartbeat --------------------------------------------------------------------------

    def tick(self) -> None:
        """Publish busy/idle (with a TTL), and wake the engine so that requests others
        pushed are taken (and idling re-checked) now rather than at the engine's 5 s
        heartbeat."""
        engine = self.crawler.engine
        try:
            self.coordinator.publish(_in_flight(engine))
        except Exception as exc:  # keep the LoopingCall alive through a Redis hiccup
            logger.warning("heartbeat failed: %s", exc)
        _wake(engine)

    async def _mark_started(self, spider: Spider) -> None:
        """This worker's record in `runs`, unfinished until the store's own ledger record
        replaces it when the crawl closes: a worker that died stays visible."""
        run_id = self.coordinator.run_id
        store = getattr(self.crawler.get_item_pipeline(MongoPipeline), "store", None)
        if run_id is None or store is None:
            return
        try:
            await mark_started(
                store.db,
                run_id=run_id,
                spider=spider.name,
                worker=self.coordinator.worker,
                started_at=self.started_at,
            )
        except Exception as exc:
            logger.warning("could not record this worker in `runs`: %s", exc)


def _in_flight(engine: Any) -> bool:
    """This worker has requests downloading or responses being processed."""
    scraper_slot = getattr(getattr(engine, "scraper", None), "slot", None)
    downloading = bool(getattr(getattr(engine, "downloader", None), "active", ()))
    return downloading or (scraper_slot is not None and not scraper_slot.is_idle())


def _wake(engine: Any) -> None:
    """Ask the engine to pull from the scheduler now. Scrapy has no public call for this
    (its slot heartbeat runs every 5 s); without the private hook the worker is only slower."""
    nextcall = getattr(getattr(engine, "_slot", None), "nextcall", None)
    if nextcall is not None:
        nextcall.schedule()
