"""Distributed mode: N workers share one Redis queue, by configuration alone.

With `REDIS_URL` set (a setting or the environment variable), the `Distributed` add-on
(ADDONS in settings.py) swaps Scrapy's scheduler for a shared Redis one built on scrapy-redis.
Without it nothing changes and `redis`/`scrapy-redis` need not be installed.

    finews seed finews -a base_url=URL        # a new run: the spider's start requests -> Redis
    scrapy crawl finews -a base_url=URL       # a worker, on any number of machines

Roles (`FINEWS_ROLE`): `worker` (the default) joins the current run (waiting for a seed if
there is none yet), never runs the spider's `start()`, takes requests from the shared queue,
pushes what it discovers back, and exits once the queue has been empty and no live worker
busy for FINEWS_IDLE_CLOSE_SECONDS. `seed` (what `finews seed` runs) opens a new run,
queues the spider's start requests and exits. Each run has its own request filter; the run
id is the crawl's FINEWS_RUN_ID, so each worker's ledger record in `runs` carries it.

Its settings (REDIS_URL, FINEWS_ROLE, FINEWS_REDIS_PREFIX, the worker timings...) are
declared with their defaults in finews_spider/settings.py. It also sets FINEWS_RUN_SCOPE to
`SharedRunScope`, so "once per run" holds across every worker.

Redis keys, per spider (`<prefix>:<spider>:…`): `requests` (the shared priority queue, kept
across runs), `run` (the current run id), `run:<id>` (when it was seeded and finished),
`dupefilter:<id>` (the run's request fingerprints), `lists:<id>` (list pages queued in the
run), `workers` and `worker:<host:pid>` (heartbeats, with a TTL).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from finews_spider.extensions.run_scope import LocalRunScope
from finews_spider.settings import setting

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from scrapy.settings import Settings

    from finews_spider.distributed.coordinator import Coordinator

__all__ = ["ROLES", "Distributed", "SharedRunScope", "coordinator_of"]

ROLES = ("worker", "seed")


class Distributed:
    """Scrapy add-on: distributed mode when REDIS_URL is set, otherwise disabled.

    It also fixes the crawl's FINEWS_RUN_ID (the store's ledger record in `runs` is keyed
    by it): a seed opens a new run (FINEWS_RUN_ID if given, else a fresh id); a worker joins
    the current run, waiting up to FINEWS_WAIT_FOR_RUN_SECONDS for one to be seeded."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self._coordinator: Coordinator | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Distributed:
        return cls(crawler)

    def update_settings(self, settings: Settings) -> None:
        # Imported here: `finews seed` and `finews ledger` import this package for their
        # parsers and should not load Scrapy for them.
        from scrapy.exceptions import NotConfigured

        url = setting(settings, "REDIS_URL")
        if not url:
            raise NotConfigured  # silently off: a single-process crawl
        role = str(setting(settings, "FINEWS_ROLE")).strip().lower()
        if role not in ROLES:
            raise ValueError(f"FINEWS_ROLE must be one of {', '.join(ROLES)}, not {role!r}")
        if role == "worker" and not setting(settings, "MONGO_URI"):
            raise ValueError(
                "distributed mode (REDIS_URL is set) needs MONGO_URI: every worker must write "
                "to the same MongoDB, not to an embedded store of its own"
            )
        try:
            from finews_spider.distributed.coordinator import Coordinator
            from finews_spider.distributed.worker import DistributedRun, SkipStartInWorkers
        except ImportError as exc:
            raise ValueError(
                "REDIS_URL is set but scrapy-redis is not installed: "
                "pip install 'finews[distributed]' (scrapy-redis, redis)"
            ) from exc
        here = "finews_spider.distributed"
        settings.set("REDIS_URL", url, priority="addon")
        settings.set("SCHEDULER", f"{here}.scheduler.RedisScheduler", priority="addon")
        settings.set("DUPEFILTER_CLASS", f"{here}.scheduler.RunDupeFilter", priority="addon")
        settings.set("SCHEDULER_PERSIST", True, priority="addon")
        settings.set("SCHEDULER_QUEUE_CLASS", "scrapy_redis.queue.PriorityQueue", priority="addon")
        settings.set("SCHEDULER_SERIALIZER", f"{here}.serializer", priority="addon")
        settings.set_in_component_priority_dict("EXTENSIONS", DistributedRun, 800)
        # Declared settings hold their defaults at "project" priority, above "addon": this
        # replaces the default but not an explicit -s.
        settings.set("FINEWS_RUN_SCOPE", f"{here}.SharedRunScope", priority="project")

        coordinator = Coordinator.from_settings(settings, self.crawler.spidercls.name, role)
        self._coordinator = coordinator
        given = setting(settings, "FINEWS_RUN_ID")
        if role == "seed":
            from pipelines.store import MongoPipeline

            # The seed downloads and stores nothing: `runs` holds one record per worker.
            settings.set_in_component_priority_dict("ITEM_PIPELINES", MongoPipeline, None)
            run_id = coordinator.plan_run(str(given) if given else None)
        else:
            settings.set_in_component_priority_dict("SPIDER_MIDDLEWARES", SkipStartInWorkers, 10)
            run_id = coordinator.wait_for_run()
            if given and run_id is not None and str(given) != run_id:
                raise ValueError(
                    f"FINEWS_RUN_ID={given} but the current run in Redis is {run_id}: "
                    "a worker joins the current run (leave FINEWS_RUN_ID unset)"
                )
        if run_id is not None and not given:
            settings.set("FINEWS_RUN_ID", run_id, priority="project")

    def coordinator(self) -> Coordinator:
        """The crawl's one Coordinator (Redis connection, keys, run and worker state)."""
        if self._coordinator is None:
            raise RuntimeError("the Distributed add-on has not configured this crawl")
        return self._coordinator


def coordinator_of(crawler: Crawler | None) -> Coordinator | None:
    """The Coordinator when this crawl runs distributed, else None."""
    addon = crawler.get_addon(Distributed) if crawler is not None else None
    return addon.coordinator() if addon is not None else None


class SharedRunScope(LocalRunScope):
    """FINEWS_RUN_SCOPE in a distributed run: "once" across every worker of the run (a
    Redis set per run and kind); this process alone while no run is known."""

    def __init__(self, coordinator: Coordinator | None) -> None:
        super().__init__()
        self.coordinator = coordinator

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> SharedRunScope:
        return cls(coordinator_of(crawler))

    def first(self, kind: str, value: str) -> bool:
        coordinator = self.coordinator
        if coordinator is not None and coordinator.run_id is not None:
            return coordinator.first_sighting(kind, value)
        return super().first(kind, value)
