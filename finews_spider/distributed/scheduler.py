"""scrapy-redis's Scheduler and RFPDupeFilter, adapted to Scrapy 2.13+ and to runs.

What scrapy-redis 0.9.1 does not do for Scrapy 2.19, and what is changed here:

- Fingerprints: its RFPDupeFilter hashes (method, canonical URL, body) itself and ignores
  REQUEST_FINGERPRINTER_CLASS; RunDupeFilter uses `crawler.request_fingerprinter`, like
  Scrapy's own filter, so every process agrees with the configured fingerprinter.
- Its filter's `close()` deletes the shared fingerprint set (Scrapy's scheduler calls it
  when a spider closes): one worker finishing would wipe the filter for all. Here `close`
  keeps it; a run's filter expires instead (FINEWS_RUN_TTL after the run finishes).
- One filter key per spider forever (`<spider>:dupefilter`) grows without bound; here a key
  per run (`finews:<spider>:dupefilter:<run-id>`).
- `SCHEDULER_IDLE_BEFORE_CLOSE` makes `next_request` a blocking BRPOP on the reactor thread
  (every download stalls meanwhile) and the default PriorityQueue ignores it anyway; idling
  is left to the worker extension (`spider_idle`), and `next_request` never blocks.
- Stats calls pass `spider=` and `open()` logs with `Spider.log()`, both deprecated in
  Scrapy 2.19; the filter does not count `dupefilter/filtered`.
- A worker hoards: the engine pulls requests until CONCURRENT_REQUESTS are active, though a
  one-site crawl downloads only CONCURRENT_REQUESTS_PER_DOMAIN at a time; the rest wait in
  this worker while others idle, and are lost if it dies. `next_request` stops at
  FINEWS_PREFETCH requests in this worker's downloader.
- Pickle is replaced by JSON (finews_spider.distributed.serializer).
- Roles: a seed pushes the spider's start requests and downloads nothing.

`dont_filter=True` requests (list, category and feed pages, retries) bypass the filter, as
upstream: they are queued on every run. One exception: article requests
(`meta[finews_spider.meta.ARTICLE]`) are sent with dont_filter too, so that no fingerprint
memory outlives a crash (the store decides what is known), and are asked for once per run
(`ArticleSpider.first_time`, the run scope). Across workers, the run's filter is that
"once": a first attempt at an article is filtered here; a retry (`retry_times` in meta) is
not. The filter lives one run, so it never hides an article the store lacks from the next
run.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any, Self

from scrapy.exceptions import CloseSpider
from scrapy.utils.misc import load_object
from scrapy_redis.dupefilter import RFPDupeFilter
from scrapy_redis.scheduler import Scheduler

from finews_spider.distributed import coordinator_of, serializer
from finews_spider.distributed.coordinator import Coordinator, RunInProgress
from finews_spider.meta import ARTICLE

if TYPE_CHECKING:
    from scrapy import Request, Spider
    from scrapy.crawler import Crawler
    from scrapy.statscollectors import StatsCollector
    from scrapy.utils.request import RequestFingerprinterProtocol

logger = logging.getLogger(__name__)

DEFAULT_QUEUE = "scrapy_redis.queue.PriorityQueue"


def _coordinator(crawler: Crawler) -> Coordinator:
    coordinator = coordinator_of(crawler)
    if coordinator is None:
        raise RuntimeError(
            "the Redis scheduler runs with the finews_spider.distributed.Distributed add-on"
        )
    return coordinator


class RunDupeFilter(RFPDupeFilter):
    """Shared request filter of the current run, with Scrapy's request fingerprinter."""

    def __init__(
        self,
        coordinator: Coordinator,
        fingerprinter: RequestFingerprinterProtocol,
        stats: StatsCollector | None = None,
        debug: bool = False,
    ) -> None:
        # not super().__init__: `key` is the current run's, a property
        self.server = coordinator.server
        self.coordinator = coordinator
        self.fingerprinter = fingerprinter
        self.stats = stats
        self.debug = debug
        self.logdupes = True

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(
            _coordinator(crawler),
            crawler.request_fingerprinter,
            crawler.stats,
            crawler.settings.getbool("DUPEFILTER_DEBUG"),
        )

    @classmethod
    def from_spider(cls, spider: Spider) -> Self:
        return cls.from_crawler(spider.crawler)

    @property
    def key(self) -> str:  # type: ignore[override]
        key = self.coordinator.dupefilter_key()
        if key is None:
            raise RuntimeError("no run: a request was filtered before the worker joined a run")
        return key

    def request_fingerprint(self, request: Request) -> str:
        return self.fingerprinter.fingerprint(request).hex()

    def close(self, reason: str = "") -> None:
        """Keep the shared filter: other workers still use it (upstream deletes it)."""

    def log(self, request: Request, spider: Spider) -> None:
        super().log(request, spider)
        if self.stats is not None:
            self.stats.inc_value("dupefilter/filtered")


class RedisScheduler(Scheduler):
    """The shared queue; the seed only pushes, workers pop (at most FINEWS_PREFETCH held)."""

    coordinator: Coordinator
    crawler: Crawler
    seeded = False

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        coordinator = _coordinator(crawler)
        scheduler = cls(
            server=coordinator.server,
            persist=True,
            queue_key=coordinator.keys.queue,
            queue_cls=crawler.settings.get("SCHEDULER_QUEUE_CLASS") or DEFAULT_QUEUE,
            dupefilter=RunDupeFilter.from_crawler(crawler),
            serializer=serializer,
        )
        scheduler.server.ping()
        scheduler.stats = crawler.stats
        scheduler.coordinator = coordinator
        scheduler.crawler = crawler
        return scheduler

    @property
    def seeding(self) -> bool:
        return self.coordinator.role == "seed"

    def open(self, spider: Spider) -> None:
        # as upstream, without its deprecated Spider.log() and its flush_on_start
        self.spider = spider
        self.queue = load_object(self.queue_cls)(
            server=self.server, spider=spider, key=self.queue_key, serializer=self.serializer
        )
        if waiting := len(self.queue):
            logger.info("%d requests already queued at %s", waiting, self.queue_key)
        if self.seeding:
            try:
                run_id = self.coordinator.begin_run()
            except RunInProgress as exc:
                logger.error("%s", exc)
                raise CloseSpider("run_in_progress") from exc
            logger.info("seeding run %s of %s", run_id, spider.name)
            self.seeded = True

    def close(self, reason: str) -> None:
        """Nothing to flush: the queue and the run's filter are shared (SCHEDULER_PERSIST)."""
        if self.seeded:
            pushed = self.stats.get_value("scheduler/enqueued/redis", 0) if self.stats else 0
            logger.info(
                "seeded run %s of %s: %d requests queued at %s (%d waiting in all); "
                "workers: scrapy crawl %s <the same -a arguments>",
                self.coordinator.run_id,
                self.spider.name,
                pushed,
                self.coordinator.keys.queue,
                self.coordinator.queue_length(),
                self.spider.name,
            )

    def enqueue_request(self, request: Request) -> bool:
        if self._filtered(request) and self.df.request_seen(request):
            self.df.log(request, self.spider)
            return False
        try:
            self.queue.push(request)
        except (TypeError, ValueError) as exc:  # a callback that is not a spider method
            logger.error("cannot queue %s: %s", request, exc)
            self._inc("finews/distributed/unqueueable")
            return False
        self._inc("scheduler/enqueued/redis")
        return True

    def next_request(self) -> Request | None:
        if self.seeding or self.coordinator.run_id is None or self._saturated():
            return None
        while True:
            try:
                request = self.queue.pop()
            except Exception as exc:  # corrupt entry, or a callback this spider lacks
                logger.error("dropped an undecodable queued request: %s", exc)
                self._inc("finews/distributed/undecodable")
                continue
            if request is None:
                return None
            self.coordinator.publish(busy=True, refresh=False)
            self._inc("scheduler/dequeued/redis")
            return request

    @staticmethod
    def _filtered(request: Request) -> bool:
        if not request.dont_filter:
            return True
        return bool(request.meta.get(ARTICLE)) and "retry_times" not in request.meta

    def has_pending_requests(self) -> bool:
        return not self.seeding and self.coordinator.run_id is not None and len(self) > 0

    def _saturated(self) -> bool:
        downloader = getattr(getattr(self.crawler, "engine", None), "downloader", None)
        active = getattr(downloader, "active", ())
        return len(active) >= max(self.coordinator.options.prefetch, 1)

    def _inc(self, key: str, *args: Any) -> None:
        if self.stats is not None:
            self.stats.inc_value(key, *args)
