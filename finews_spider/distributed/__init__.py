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

Settings (each also read from the environment variable of the same name):

REDIS_URL                    redis://[:password@]host:port/db; unset: distributed mode is off
FINEWS_ROLE                  worker | seed (worker)
FINEWS_RUN_ID                seed: the new run's id (default: UTC time + random suffix)
FINEWS_REDIS_PREFIX          key prefix (finews): keys are `<prefix>:<spider>:…`
FINEWS_IDLE_CLOSE_SECONDS    a worker exits after the queue was empty, no worker busy, this
                             long (10)
FINEWS_WAIT_FOR_RUN_SECONDS  a worker started before the seed waits this long for it (60)
FINEWS_HEARTBEAT_SECONDS     a worker publishes busy/idle and polls the queue this often (1)
FINEWS_WORKER_TTL            a worker silent this long is dead; others stop waiting (30)
FINEWS_PREFETCH              requests one worker holds at once (CONCURRENT_REQUESTS_PER_DOMAIN)
FINEWS_RUN_TTL               seconds a finished run's filter stays in Redis (172800: 2 days)
FINEWS_SEED_FORCE            seed even while the previous run still has work (off)

Redis keys, per spider (`<prefix>:<spider>:…`): `requests` (the shared priority queue, kept
across runs), `run` (the current run id), `run:<id>` (when it was seeded and finished),
`dupefilter:<id>` (the run's request fingerprints), `lists:<id>` (list pages queued in the
run), `workers` and `worker:<host:pid>` (heartbeats, with a TTL).
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from scrapy.exceptions import NotConfigured

if TYPE_CHECKING:
    from scrapy import Spider
    from scrapy.crawler import Crawler
    from scrapy.settings import Settings

    from finews_spider.distributed.coordinator import Coordinator

__all__ = ["ROLES", "Distributed", "coordinator_of", "first_in_run", "setting"]

ROLES = ("worker", "seed")


def setting(settings: Settings, name: str, default: Any = None) -> Any:
    """A setting, else the environment variable of the same name, else `default`."""
    for value in (settings.get(name), os.environ.get(name)):
        if value is not None and value != "":
            return value
    return default


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
        url = setting(settings, "REDIS_URL")
        if not url:
            raise NotConfigured  # silently off: a single-process crawl
        role = str(setting(settings, "FINEWS_ROLE", "worker")).strip().lower()
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
            settings.set("FINEWS_RUN_ID", run_id, priority="addon")

    def coordinator(self) -> Coordinator:
        """The crawl's one Coordinator (Redis connection, keys, run and worker state)."""
        if self._coordinator is None:
            raise RuntimeError("the Distributed add-on has not configured this crawl")
        return self._coordinator


def coordinator_of(crawler: Crawler | None) -> Coordinator | None:
    """The Coordinator when this crawl runs distributed, else None."""
    addon = crawler.get_addon(Distributed) if crawler is not None else None
    return addon.coordinator() if addon is not None else None


def first_in_run(spider: Spider, kind: str, value: str, local: set[str]) -> bool:
    """True the first time `value` is seen in this run: across every worker of a
    distributed run (a Redis set per run), else in this process (`local`)."""
    coordinator = coordinator_of(getattr(spider, "crawler", None))
    if coordinator is not None and coordinator.run_id is not None:
        return coordinator.first_sighting(kind, value)
    if value in local:
        return False
    local.add(value)
    return True
