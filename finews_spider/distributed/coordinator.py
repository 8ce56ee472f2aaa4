"""The shared state of a distributed crawl in Redis: runs, their filters, worker heartbeats.

One `Coordinator` per crawler process; the scheduler, the dupefilter, the worker extension
and the spiders' once-per-run list pages all go through it. Calls are synchronous redis-py
round trips on the reactor thread (sub-millisecond on a LAN), as scrapy-redis does.
"""

from __future__ import annotations

import logging
import secrets
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from finews_spider.settings import number as settings_number
from finews_spider.settings import setting
from finews_spider.store.runs import worker_name

if TYPE_CHECKING:
    from redis import Redis
    from scrapy.settings import Settings

logger = logging.getLogger(__name__)

BUSY, IDLE = "busy", "idle"
_TRUE = ("1", "true", "yes", "on")


class RunInProgress(Exception):
    """A seed found the previous run still working (queued requests or busy workers)."""


def new_run_id(now: datetime | None = None) -> str:
    """Sortable and unique: `20240320T100000Z-1a2b3c`."""
    now = now or datetime.now(UTC)
    return f"{now:%Y%m%dT%H%M%SZ}-{secrets.token_hex(3)}"


@dataclass(frozen=True)
class Keys:
    prefix: str
    spider: str

    def _k(self, *parts: str) -> str:
        return ":".join((self.prefix, self.spider, *parts))

    @property
    def queue(self) -> str:
        return self._k("requests")

    @property
    def current(self) -> str:
        return self._k("run")

    @property
    def workers(self) -> str:
        return self._k("workers")

    def run(self, run_id: str) -> str:
        return self._k("run", run_id)

    def dupefilter(self, run_id: str) -> str:
        return self._k("dupefilter", run_id)

    def seen(self, kind: str, run_id: str) -> str:
        return self._k(kind, run_id)

    def worker(self, name: str) -> str:
        return self._k("worker", name)

    def of_run(self, run_id: str) -> list[str]:
        return [self.run(run_id), self.dupefilter(run_id), self.seen("lists", run_id)]


@dataclass(frozen=True)
class Options:
    heartbeat_s: float = 1.0
    worker_ttl_s: float = 30.0
    idle_close_s: float = 10.0
    wait_for_run_s: float = 60.0
    run_ttl_s: int = 2 * 24 * 3600
    prefetch: int = 4
    force: bool = False


class Coordinator:
    def __init__(
        self,
        server: Redis,
        keys: Keys,
        *,
        role: str = "worker",
        worker: str | None = None,
        options: Options | None = None,
    ) -> None:
        self.server = server
        self.keys = keys
        self.role = role
        self.worker = worker or worker_name()
        self.options = options or Options()
        self.run_id: str | None = None
        self._published: tuple[str, float] | None = None  # (state, when)

    @classmethod
    def from_settings(cls, settings: Settings, spider: str, role: str) -> Coordinator:
        from scrapy_redis.connection import get_redis_from_settings

        def number(name: str) -> float:
            return settings_number(name, setting(settings, name))

        per_domain = settings.getint("CONCURRENT_REQUESTS_PER_DOMAIN")
        options = Options(
            heartbeat_s=number("FINEWS_HEARTBEAT_SECONDS"),
            worker_ttl_s=number("FINEWS_WORKER_TTL"),
            idle_close_s=number("FINEWS_IDLE_CLOSE_SECONDS"),
            wait_for_run_s=number("FINEWS_WAIT_FOR_RUN_SECONDS"),
            run_ttl_s=int(number("FINEWS_RUN_TTL")),
            prefetch=int(setting(settings, "FINEWS_PREFETCH") or per_domain),
            force=str(setting(settings, "FINEWS_SEED_FORCE")).lower() in _TRUE,
        )
        keys = Keys(str(setting(settings, "FINEWS_REDIS_PREFIX")), spider)
        return cls(get_redis_from_settings(settings), keys, role=role, options=options)

    # --- runs -------------------------------------------------------------------------------

    def plan_run(self, run_id: str | None = None) -> str:
        """Seed: the id of the run it will open (`begin_run`), given or new."""
        self.run_id = run_id or new_run_id()
        return self.run_id

    def begin_run(self) -> str:
        """Seed: open the planned run (its own filter) and make it current. Refuses while
        the previous run still has queued requests or busy workers (unless `force`), and
        an id that was used before (its filter would hide everything)."""
        run_id = self.run_id or self.plan_run()
        if self.server.exists(self.keys.run(run_id)):
            raise RunInProgress(f"run {run_id} exists already: give a new FINEWS_RUN_ID")
        queued, busy = self.queue_length(), self.busy_workers()
        if (queued or busy) and not self.options.force:
            raise RunInProgress(
                f"the previous run is still working ({queued} requests queued, busy workers: "
                f"{', '.join(busy) or 'none'}); not seeding (FINEWS_SEED_FORCE=1 seeds anyway)"
            )
        previous = self._text(self.server.get(self.keys.current))
        pipe = self.server.pipeline()
        pipe.hset(
            self.keys.run(run_id),
            mapping={"seeded_at": _now(), "seeder": self.worker, "spider": self.keys.spider},
        )
        pipe.set(self.keys.current, run_id)
        if previous:  # a run nobody finished (every worker died) still expires
            for key in self.keys.of_run(previous):
                pipe.expire(key, self.options.run_ttl_s)
        pipe.execute()
        return run_id

    def current_run(self) -> str | None:
        """The current run if a worker should join it: still open, or requests queued."""
        run_id = self._text(self.server.get(self.keys.current))
        if run_id is None:
            return None
        if self.server.hexists(self.keys.run(run_id), "finished_at") and not self.queue_length():
            return None
        return run_id

    def wait_for_run(self, poll_s: float = 0.25) -> str | None:
        """Worker, before the crawl starts: join the current run, waiting up to
        FINEWS_WAIT_FOR_RUN_SECONDS for a seed (registered as idle meanwhile).
        None: nothing to do."""
        deadline = time.monotonic() + self.options.wait_for_run_s
        while (run_id := self.current_run()) is None and time.monotonic() < deadline:
            self.publish(busy=False)
            time.sleep(poll_s)
        self.run_id = run_id
        if run_id is None:
            logger.warning(
                "no run of %s to work on in Redis: seed one first (finews seed %s …)",
                self.keys.spider,
                self.keys.spider,
            )
        else:
            logger.info("joined run %s of %s as worker %s", run_id, self.keys.spider, self.worker)
        return run_id

    def dupefilter_key(self) -> str | None:
        return self.keys.dupefilter(self.run_id) if self.run_id else None

    def first_sighting(self, kind: str, value: str) -> bool:
        assert self.run_id is not None
        return bool(self.server.sadd(self.keys.seen(kind, self.run_id), value))

    def finish_run(self) -> None:
        """The queue is empty and nobody is busy: mark the run finished and let its filter
        expire after FINEWS_RUN_TTL (kept that long for inspection). Idempotent."""
        if self.run_id is None:
            return
        pipe = self.server.pipeline()
        pipe.hsetnx(self.keys.run(self.run_id), "finished_at", _now())
        for key in self.keys.of_run(self.run_id):
            pipe.expire(key, self.options.run_ttl_s)
        pipe.execute()

    def queue_length(self) -> int:
        return int(self.server.zcard(self.keys.queue))

    # --- workers ----------------------------------------------------------------------------

    def publish(self, busy: bool, *, refresh: bool = True) -> None:
        """Heartbeat: this worker's state with a TTL (a killed worker's expires). Without
        `refresh`, only a change of state is written (cheap enough for every request)."""
        state = BUSY if busy else IDLE
        now = time.monotonic()
        if not refresh and self._published is not None and self._published[0] == state:
            return
        ttl_ms = max(int(self.options.worker_ttl_s * 1000), 100)
        pipe = self.server.pipeline()
        pipe.set(self.keys.worker(self.worker), state, px=ttl_ms)
        pipe.sadd(self.keys.workers, self.worker)
        pipe.execute()
        self._published = (state, now)

    def busy_workers(self, *, others_only: bool = False) -> list[str]:
        """Live workers that said `busy` in their last heartbeat; forgets expired ones."""
        names = sorted(self._text(n) or "" for n in self.server.smembers(self.keys.workers))
        if not names:
            return []
        states = self.server.mget([self.keys.worker(n) for n in names])
        gone = [n for n, s in zip(names, states, strict=True) if s is None]
        if gone:
            self.server.srem(self.keys.workers, *gone)
        return [
            n
            for n, s in zip(names, states, strict=True)
            if self._text(s) == BUSY and not (others_only and n == self.worker)
        ]

    def leave(self) -> None:
        pipe = self.server.pipeline()
        pipe.delete(self.keys.worker(self.worker))
        pipe.srem(self.keys.workers, self.worker)
        pipe.execute()
        self._published = None

    @staticmethod
    def _text(value: Any) -> str | None:
        if value is None:
            return None
        return value.decode() if isinstance(value, bytes) else str(value)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")
