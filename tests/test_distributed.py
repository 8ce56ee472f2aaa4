"""Distributed mode on loopback: one Redis (started here), workers as `scrapy crawl`
subprocesses, the loopback finews site, the test MongoDB.

Each worker sends its own User-Agent, and the site's app is wrapped to note who asked for
what (the access log does not say), so the split of work can be counted and printed.
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from pymongo import MongoClient
from redis_server import RedisServer, available
from sites import LoopbackSite, Response

pytest.importorskip(
    "scrapy_redis", reason="scrapy-redis is not installed: pip install 'finews[distributed]'"
)
pytestmark = pytest.mark.store
NO_REDIS = (
    "redis-server is not on PATH (apt-get install redis-server): "
    "the distributed-mode tests start a Redis server of their own"
)

from redis import Redis  # noqa: E402
from scrapy import Request  # noqa: E402
from scrapy.exceptions import NotConfigured  # noqa: E402
from scrapy.settings import Settings  # noqa: E402
from scrapy.utils.misc import load_object  # noqa: E402
from scrapy.utils.request import RequestFingerprinter, request_from_dict  # noqa: E402

from finews_spider.distributed import Distributed, SharedRunScope, serializer  # noqa: E402
from finews_spider.distributed.coordinator import (  # noqa: E402
    Coordinator,
    Keys,
    Options,
    RunInProgress,
)
from finews_spider.distributed.scheduler import RedisScheduler, RunDupeFilter  # noqa: E402
from finews_spider.extensions.run_scope import LocalRunScope  # noqa: E402
from finews_spider.meta import ARTICLE  # noqa: E402
from finews_spider.spiders.finews import FinewsSpider  # noqa: E402
from finews_spider.spiders.newsshare import NewsShareSpider  # noqa: E402
from finews_spider.store.setup import connect, write_concern_options  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
HOST = socket.gethostname()
FAST = ["-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=0", "-s", "LOG_LEVEL=INFO"]
#: A worker's share can be the site notice alone (rejected: not an article), 100% rejects;
#: the reject-ratio monitor judges one process, so it is off here (the run's sum is checked).
WORKER = ["-s", "FINEWS_MAX_REJECT_RATIO=1"]
#: each worker downloads (and holds) at most two requests at a time
TWO_AT_A_TIME = ["-s", "CONCURRENT_REQUESTS_PER_DOMAIN=2"]
LISTS = {"/", "/emnews/", "/feed.xml"}
#: test-speed coordination: heartbeat, exit after 0.3 s idle, a dead worker noticed in 1.5 s
TIMING = {
    "FINEWS_HEARTBEAT_SECONDS": "0.1",
    "FINEWS_IDLE_CLOSE_SECONDS": "0.3",
    "FINEWS_WORKER_TTL": "1.5",
    "FINEWS_WAIT_FOR_RUN_SECONDS": "30",
}


@pytest.fixture
def redis_url(tmp_path: Path) -> Iterator[str]:
    if not available():
        pytest.skip(NO_REDIS)
    with RedisServer(tmp_path / "redis") as server:
        yield server.url


class WhoAsked:
    """Wraps the site's app: (worker, path, arrival time) of every page served."""

    def __init__(self, site: LoopbackSite) -> None:
        self.hits: list[tuple[str, str, float]] = []
        self._lock = threading.Lock()
        app = site.server.app

        def noted(method: str, path: str, headers: Mapping[str, str]) -> Response:
            agent = next((v for k, v in headers.items() if k.lower() == "user-agent"), "")
            with self._lock:
                self.hits.append((agent.removeprefix("finews-test/"), path, time.monotonic()))
            return app(method, path, headers)

        site.server.app = noted

    def _hits(self, workers: Iterable[str] | None) -> list[tuple[str, str, float]]:
        with self._lock:
            hits = list(self.hits)
        return [h for h in hits if workers is None or h[0] in workers]

    def posts(self, *workers: str) -> list[str]:
        return [p for _, p, _ in self._hits(workers or None) if is_post(p)]

    def clear(self) -> None:
        with self._lock:
            self.hits.clear()

    def span(self, workers: Iterable[str], delay: float) -> float:
        """Their first request to their last post's answer (`delay` after it was asked)."""
        hits = [h for h in self._hits(list(workers)) if h[1] != "/robots.txt"]
        return max(t for _, p, t in hits if is_post(p)) + delay - min(t for _, _, t in hits)


POST_PATH = re.compile(r"/(?:[^/]+/)*\d{4}/\d{2}/\d{2}/[^/]+\.html")  # any category segments


def is_post(path: str) -> bool:
    return POST_PATH.fullmatch(path.split("?")[0]) is not None


class Cluster:
    """Seeds, workers and the ledger against one site, one Redis, one database."""

    def __init__(
        self,
        site: LoopbackSite,
        mongo_uri: str,
        mongo_db: str,
        redis_url: str,
        tmp: Path,
        prefix: str = "finews",
        spider: str = "finews",
    ) -> None:
        self.site, self.mongo_uri, self.mongo_db = site, mongo_uri, mongo_db
        self.redis_url, self.tmp, self.prefix, self.spider = redis_url, tmp, prefix, spider

    def env(self, home: str = "home") -> dict[str, str]:
        return {
            **os.environ,
            "MONGO_URI": self.mongo_uri,
            "MONGO_DATABASE": self.mongo_db,
            "FINEWS_HOME": str(self.tmp / home),
            "REDIS_URL": self.redis_url,
            "FINEWS_REDIS_PREFIX": self.prefix,
            "MONGO_WRITE_CONCERN": "majority",  # as on a replica set (a standalone takes it)
            **TIMING,
        }

    def seed(self, *args: str) -> subprocess.Popen[str]:
        """`finews seed SPIDER -a base_url=…` (the documented command)."""
        argv = [sys.executable, "-m", "finews_spider.cli", "seed", self.spider]
        return subprocess.Popen(
            [*argv, "-a", f"base_url={self.site.base_url}", *FAST, *args],
            cwd=ROOT,
            env=self.env("seed"),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    def worker(self, name: str, *args: str) -> subprocess.Popen[bytes]:
        """`scrapy crawl SPIDER -a base_url=…` with REDIS_URL in the environment."""
        log = (self.tmp / f"worker-{name}.log").open("wb")
        site, agent = f"base_url={self.site.base_url}", f"USER_AGENT=finews-test/{name}"
        argv = [sys.executable, "-m", "scrapy", "crawl", self.spider, "-a", site, "-s", agent]
        return subprocess.Popen(
            [*argv, *FAST, *WORKER, *args],
            cwd=ROOT,
            env=self.env(f"worker-{name}"),
            stdout=subprocess.DEVNULL,
            stderr=log,
        )

    def launch(self, names: list[str], *args: str) -> Launch:
        """Workers first (they wait for a run, registered in Redis as idle), then the seed:
        the workers start crawling together, and their start-up overlaps the seed's."""
        return self.start(self.spawn(names, *args), *args)

    def spawn(self, names: list[str], *args: str) -> dict[str, Any]:
        return {name: self.worker(name, *args) for name in names}

    def start(self, workers: dict[str, Any], *args: str) -> Launch:
        """Seed once all `workers` wait for a run."""
        deadline = time.monotonic() + 30
        with Redis.from_url(self.redis_url) as redis:
            while redis.scard(f"{self.prefix}:{self.spider}:workers") < len(workers):
                dead = [n for n, w in workers.items() if w.poll() is not None]
                assert not dead and time.monotonic() < deadline, self.log(dead[0])[-3000:]
                time.sleep(0.05)
        return Launch(self, self.seed(*args), workers)

    def log(self, name: str) -> str:
        return (self.tmp / f"worker-{name}.log").read_text(errors="replace")

    def ledger(self, run_id: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "finews_spider.cli", "ledger", run_id],
            cwd=ROOT,
            env=self.env(),
            capture_output=True,
            text=True,
            timeout=60,
        )

    def runs(self, run_id: str) -> dict[str, dict[str, Any]]:
        with MongoClient(self.mongo_uri) as client:
            return {d["worker"]: d for d in client[self.mongo_db].runs.find({"run_id": run_id})}

    def articles(self) -> dict[str, dict[str, Any]]:
        with MongoClient(self.mongo_uri) as client:
            return {d["_id"]: d for d in client[self.mongo_db].articles.find()}

    def rejected_urls(self) -> set[str]:
        with MongoClient(self.mongo_uri) as client:
            return {d["url"] for d in client[self.mongo_db].rejects.find()}


class Launch:
    def __init__(
        self, cluster: Cluster, seed: subprocess.Popen[str], workers: dict[str, Any]
    ) -> None:
        self.cluster, self.seed, self.workers = cluster, seed, workers
        self.started = time.monotonic()
        self._run_id: str | None = None

    @property
    def run_id(self) -> str:
        if self._run_id is None:
            out, err = self.seed.communicate(timeout=60)
            assert self.seed.returncode == 0, err[-3000:]
            assert "seeded run" in err
            self._run_id = out.strip()
        return self._run_id

    def finish(self, *names: str) -> float:
        """Wait for the workers (all, or `names`): each exits 0 with a balanced ledger.
        Returns the seconds from the seed to the last exit."""
        return finish_all([(self, list(names or self.workers))])[0]


def finish_all(launches: list[tuple[Launch, list[str]]], timeout: float = 60) -> list[float]:
    """Wait for several launches' workers at once; each launch's seconds from its seed to
    its last worker's exit."""
    for launch, _ in launches:
        _ = launch.run_id
    exited: dict[tuple[int, str], float] = {}
    deadline = time.monotonic() + timeout
    while len(exited) < sum(len(names) for _, names in launches):
        for i, (launch, names) in enumerate(launches):
            for name in names:
                if (i, name) not in exited and launch.workers[name].poll() is not None:
                    exited[i, name] = time.monotonic()
        if time.monotonic() > deadline:
            for i, (launch, names) in enumerate(launches):
                for name in names:
                    if (i, name) not in exited:
                        launch.workers[name].kill()
                        launch.workers[name].wait()
                        log = launch.cluster.log(name)[-3000:]
                        pytest.fail(f"worker {name} did not exit:\n{log}")
        time.sleep(0.02)
    for launch, names in launches:
        for name in names:
            log = launch.cluster.log(name)
            assert launch.workers[name].returncode == 0 and "balanced=yes" in log, log[-3000:]
    return [
        max(exited[i, name] for name in names) - launch.started
        for i, (launch, names) in enumerate(launches)
    ]


@pytest.fixture
def cluster(
    loopback_site: LoopbackSite, mongo_uri: str, mongo_db: str, redis_url: str, tmp_path: Path
) -> Cluster:
    return Cluster(loopback_site, mongo_uri, mongo_db, redis_url, tmp_path)


def slow_posts(site: LoopbackSite, delay: float) -> None:
    for post in site.posts:
        site.fail(post.url, delay=delay)


def new_post(site: LoopbackSite, n: int, day: int = 20) -> Any:
    code = f"NW202403{day:02d}29990{n:05d}"
    post = site.add_post(
        f"2024-03-{day:02d}-{code}.md",
        f'---\nlayout: post\ntitle: "新稿件{n}"\ndate: 2024-03-{day:02d} 10:{n % 60:02d}:00 +0800\n'
        f"categories: cailianshe\ntags: 财联社新闻\n---\n<p>新稿件{n}的正文。</p>\n\n"
        f"<http://finews.zning.xyz/html_News/NewsShare.html?infoCode={code}>\n",
    )
    assert post is not None
    return post


# --- the crawl, distributed -------------------------------------------------------------------


def test_two_workers_share_a_run_and_the_next_run_fetches_only_new_posts(
    cluster: Cluster, loopback_site: LoopbackSite
) -> None:
    site, who = loopback_site, WhoAsked(loopback_site)
    posts = site.posts
    with_id = {p.article_id for p in posts if p.article_id}
    slow_posts(site, 0.4)  # so that both workers get some

    run = cluster.launch(["a", "b"], *TWO_AT_A_TIME)
    run.finish()

    hits = [h.path for h in site.access_log]
    assert sorted(p for p in hits if is_post(p)) == sorted(p.url for p in posts)  # each once
    lists = Counter(p for p in hits if not is_post(p) and p != "/robots.txt")
    assert set(lists) == LISTS and set(lists.values()) == {1}  # each list page once, too
    stored = cluster.articles()
    assert set(stored) == with_id and all(len(d["urls"]) == 1 for d in stored.values())

    ledger = cluster.ledger(run.run_id)
    assert ledger.returncode == 0, ledger.stdout + ledger.stderr[-2000:]
    assert "complete=yes balanced=yes" in ledger.stdout
    records = cluster.runs(run.run_id)
    assert set(records) == {f"{HOST}:{w.pid}" for w in run.workers.values()}
    assert sum(r["pages_read"] for r in records.values()) == len(posts)
    assert sum(r["articles_new"] for r in records.values()) == len(with_id)
    split = {name: sorted(who.posts(name)) for name in run.workers}
    print(f"\nwork split over {len(posts)} posts: { {k: len(v) for k, v in split.items()} }")
    print(ledger.stdout)

    # The run's filter is bounded: it expires (FINEWS_RUN_TTL) now that the run is over.
    with Redis.from_url(cluster.redis_url) as redis:
        assert redis.ttl(f"finews:finews:dupefilter:{run.run_id}") > 0
        assert redis.ttl(f"finews:finews:lists:{run.run_id}") > 0
        assert redis.hexists(f"finews:finews:run:{run.run_id}", "finished_at")
        assert redis.zcard("finews:finews:requests") == 0

    # The next scheduled run: the list pages again, the two new posts, nothing stored.
    new = [new_post(site, i) for i in (1, 2)]
    site.clear_log()
    again = cluster.launch(["c", "d"], *TWO_AT_A_TIME)
    again.finish()
    assert again.run_id != run.run_id
    hits = [h.path for h in site.access_log]
    # the site notice was rejected for what it is: known, not fetched again
    assert sorted(p for p in hits if is_post(p)) == sorted(p.url for p in new)
    assert Counter(p for p in hits if not is_post(p) and p != "/robots.txt") == dict.fromkeys(
        LISTS, 1
    )
    assert set(cluster.articles()) == with_id | {p.article_id for p in new}
    records = cluster.runs(again.run_id).values()
    assert sum(r["articles_new"] for r in records) == 2 and all(r["balanced"] for r in records)


def test_a_killed_worker_loses_only_what_it_held_and_the_next_run_recovers_it(
    cluster: Cluster, loopback_site: LoopbackSite
) -> None:
    site, who = loopback_site, WhoAsked(loopback_site)
    posts = site.posts
    with_id = {p.article_id for p in posts if p.article_id}
    by_url = {p.url: p for p in posts}
    slow_posts(site, 1.5)  # time to kill `a` while it waits for its posts

    run = cluster.launch(["a", "b"], *TWO_AT_A_TIME)
    a = run.workers["a"]
    deadline = time.monotonic() + 30
    while not who.posts("a") and time.monotonic() < deadline and a.poll() is None:
        time.sleep(0.02)
    assert who.posts("a"), "worker a never asked for a post"
    # Kill `a` once every post is queued: a worker killed while it still parses a list page
    # loses the links it had not queued yet (the next run finds them; not this test's subject).
    with Redis.from_url(cluster.redis_url) as redis:
        queued = f"finews:finews:dupefilter:{run.run_id}"
        while redis.scard(queued) < len(posts) and time.monotonic() < deadline:
            time.sleep(0.01)
        assert redis.scard(queued) == len(posts), "the list pages' links were never all queued"
    a.send_signal(signal.SIGKILL)
    a.wait(timeout=10)

    run.finish("b")  # b finishes the queue, then waits out a's heartbeat (FINEWS_WORKER_TTL)
    # What `a` held when it died: the posts it asked for (never answered) and those it had
    # popped but not yet sent (still in its store check or download slot): nobody asked.
    held = set(who.posts("a")) | (set(by_url) - set(who.posts()))
    assert len(held) <= 2, held  # FINEWS_PREFETCH = CONCURRENT_REQUESTS_PER_DOMAIN
    assert sorted(who.posts("b")) == sorted(set(by_url) - held)  # b: the rest, once each
    lost = with_id - set(cluster.articles())
    assert lost, "a was killed too late: its posts were answered (a loaded machine?)"
    assert lost <= {by_url[u].article_id for u in held}  # only what `a` held is missing
    ledger = cluster.ledger(run.run_id)
    assert ledger.returncode == 3, ledger.stdout  # balanced, but one worker never finished
    assert f"{HOST}:{a.pid}: started" in ledger.stdout and "balanced=yes" in ledger.stdout
    print(f"\nkilled worker a held {sorted(held)}; b fetched {len(who.posts('b'))} posts")
    print(ledger.stdout)

    # The guarantee: the next scheduled run fetches exactly what is not stored yet.
    site.clear_faults()
    who.clear()
    known = cluster.rejected_urls()  # a notice `b` read is known; one `a` held is not
    again = cluster.launch(["c"])
    again.finish()
    notices = {p.url for p in posts if not p.article_id and site.post_url(p) not in known}
    assert sorted(who.posts()) == sorted({p.url for p in posts if p.article_id in lost} | notices)
    assert set(cluster.articles()) == with_id
    records = list(cluster.runs(again.run_id).values())
    assert len(records) == 1 and records[0]["balanced"]


def test_two_workers_crawl_faster_than_one(
    loopback_site: LoopbackSite,
    mongo_uri: str,
    mongo_db: str,
    redis_url: str,
    tmp_path: Path,
) -> None:
    """The two crawls run at once, to keep the test short, against the same site (their
    requests told apart by User-Agent), each with its own Redis keys and database."""
    site, who = loopback_site, WhoAsked(loopback_site)
    for n in range(6):
        new_post(site, n, day=10 + n)
    delay = 0.4
    slow_posts(site, delay)
    posts = len(site.posts)
    one = Cluster(site, mongo_uri, mongo_db, redis_url, tmp_path, prefix="one")
    two = Cluster(site, mongo_uri, f"{mongo_db}_two", redis_url, tmp_path, prefix="two")
    try:
        waiting = {  # every worker started and waiting before either run is seeded
            "1 worker": (one, one.spawn(["one"], *TWO_AT_A_TIME)),
            "2 workers": (two, two.spawn(["two-a", "two-b"], *TWO_AT_A_TIME)),
        }
        runs = {label: c.start(workers, *TWO_AT_A_TIME) for label, (c, workers) in waiting.items()}
        seconds = finish_all([(run, list(run.workers)) for run in runs.values()])
        walls = dict(zip(runs, seconds, strict=True))
    finally:
        with MongoClient(mongo_uri) as client:
            client.drop_database(f"{mongo_db}_two")
    spans = {label: who.span(run.workers, delay) for label, run in runs.items()}
    for label, run in runs.items():
        split = {name: len(who.posts(name)) for name in run.workers}
        assert sum(split.values()) == posts, split
        print(
            f"\n{label}: {posts} posts ({delay}s each, 2 at a time per worker) crawled in "
            f"{spans[label]:.1f}s ({walls[label]:.1f}s from the seed to the last exit), "
            f"split {split}"
        )
    assert spans["2 workers"] < spans["1 worker"]  # ideally half: both numbers are printed


def test_newsshare_and_eastmoney_run_distributed_unchanged(
    loopback_site: LoopbackSite, mongo_uri: str, mongo_db: str, redis_url: str, tmp_path: Path
) -> None:
    """Both at once (their keys differ by spider name), each into its own database."""
    site = loopback_site
    ids = [p.article_id for p in site.posts if p.article_id]
    shared = {p.article_id for p in site.posts if p.info_code}
    spiders = {"newsshare": [], "eastmoney": ["-a", "ids=" + ",".join(ids)]}
    clusters = {
        name: Cluster(site, mongo_uri, f"{mongo_db}_{name}", redis_url, tmp_path, spider=name)
        for name in spiders
    }
    try:
        runs = {name: c.launch([name], *spiders[name]) for name, c in clusters.items()}
        for run in runs.values():
            run.finish()
        assert set(clusters["newsshare"].articles()) == shared
        assert sorted(clusters["eastmoney"].articles()) == sorted(ids)
        for name, run in runs.items():
            records = list(clusters[name].runs(run.run_id).values())
            assert len(records) == 1 and records[0]["balanced"], records
    finally:
        with MongoClient(mongo_uri) as client:
            for name in spiders:
                client.drop_database(f"{mongo_db}_{name}")


# --- the parts --------------------------------------------------------------------------------


def test_queued_requests_are_json_and_come_back_whole() -> None:
    spider = NewsShareSpider(base_url="http://127.0.0.1:1/")
    request = spider.article_request("NW202403052987654321", {"title": "标题", "showtime": "x"})
    request.headers[b"Accept"] = [b"text/html"]
    request.meta.update({"retry_times": 1, "download_latency": 0.5, "opaque": object()})
    data = serializer.dumps(request.to_dict(spider=spider))
    assert data.startswith(b"{")  # not a pickle: nothing in Redis can run code on a worker
    back = request_from_dict(serializer.loads(data), spider=spider)
    assert back.url == request.url and back.callback == spider.parse_article
    assert back.errback == spider.article_failed and back.cb_kwargs == request.cb_kwargs
    assert back.headers.getlist(b"Accept") == [b"text/html"]
    assert back.dont_filter and "opaque" not in back.meta
    assert {k: v for k, v in back.meta.items()} == {
        k: v for k, v in request.meta.items() if k != "opaque"
    }


def test_the_scheduler_filters_per_run_and_lets_list_pages_and_retries_through(
    redis_url: str,
) -> None:
    redis = Redis.from_url(redis_url)
    spider = FinewsSpider(base_url="http://127.0.0.1:1/")
    seed = Coordinator(redis, Keys("finews", "finews"), role="seed")
    seed.plan_run("run-1")
    fingerprinter = RequestFingerprinter()
    scheduler = RedisScheduler(
        server=redis,
        persist=True,
        queue_key=seed.keys.queue,
        queue_cls="scrapy_redis.queue.PriorityQueue",
        dupefilter=RunDupeFilter(seed, fingerprinter),
        serializer=serializer,
    )
    scheduler.coordinator = seed
    scheduler.crawler = SimpleNamespace(engine=None)  # type: ignore[assignment]
    scheduler.open(spider)
    listing = Request("http://127.0.0.1:1/", callback=spider.parse_list, dont_filter=True)
    post = Request(
        "http://127.0.0.1:1/emnews/2024/03/06/202403062988001122.html",
        callback=spider.parse_post,
        meta={ARTICLE: True},
        dont_filter=True,  # articles are dont_filter: once per process, once per run here
    )
    retry = post.replace(meta={**post.meta, "retry_times": 1})
    plain = Request("http://127.0.0.1:1/a/1.html", callback=spider.parse_post)
    queued = [scheduler.enqueue_request(r) for r in (listing, listing, post, post, retry, plain)]
    assert queued == [True, True, True, False, True, True]
    assert not scheduler.enqueue_request(plain.replace(url="http://127.0.0.1:1/a/1.html#x"))
    assert not scheduler.has_pending_requests()  # a seed only pushes
    fp = fingerprinter.fingerprint(post).hex()
    assert redis.sismember("finews:finews:dupefilter:run-1", fp)  # Scrapy's fingerprint
    assert redis.zcard(seed.keys.queue) == 4  # the two identical list requests are one entry

    # A worker takes them; its filter dies with the run, not with a worker.
    worker = Coordinator(redis, Keys("finews", "finews"), role="worker")
    assert worker.wait_for_run() == "run-1"
    scheduler.coordinator = worker
    taken = [scheduler.next_request() for _ in range(5)]
    assert [r.url for r in taken if r] and taken[-1] is None
    scheduler.df.close("finished")
    scheduler.close("finished")
    assert redis.exists("finews:finews:dupefilter:run-1")
    worker.finish_run()
    assert 0 < redis.ttl("finews:finews:dupefilter:run-1") <= Options().run_ttl_s


def test_a_seed_refuses_while_the_last_run_is_busy_and_a_worker_waits_for_a_seed(
    redis_url: str,
) -> None:
    redis = Redis.from_url(redis_url)
    keys = Keys("finews", "finews")
    quick = Options(worker_ttl_s=0.3, idle_close_s=0.3, wait_for_run_s=0.3)
    first = Coordinator(redis, keys, role="seed")
    first.plan_run()
    first.begin_run()
    busy = Coordinator(redis, keys, role="worker", worker="elsewhere:1", options=quick)
    busy.publish(busy=True)
    second = Coordinator(redis, keys, role="seed")
    second.plan_run()
    with pytest.raises(RunInProgress, match="elsewhere:1"):
        second.begin_run()
    time.sleep(0.5)  # the busy worker died: its heartbeat expires
    assert second.busy_workers() == []
    assert second.begin_run() == second.run_id
    again = Coordinator(redis, keys, role="seed")
    again.plan_run(second.run_id)
    with pytest.raises(RunInProgress, match="exists already"):
        again.begin_run()
    # A finished run is not joined: a worker waits for the next seed, then gives up.
    second.finish_run()
    late = Coordinator(redis, keys, role="worker", options=quick)
    assert late.wait_for_run() is None


def test_the_add_on_is_off_without_redis_and_needs_a_shared_store(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    redis_url = "redis://127.0.0.1:1/0"  # planning a seed's run does not connect yet
    monkeypatch.delenv("REDIS_URL", raising=False)
    monkeypatch.delenv("MONGO_URI", raising=False)
    crawler = SimpleNamespace(spidercls=FinewsSpider)
    addon = Distributed(crawler)  # type: ignore[arg-type]
    with pytest.raises(NotConfigured):
        addon.update_settings(Settings())
    with pytest.raises(ValueError, match="needs MONGO_URI"):
        addon.update_settings(Settings({"REDIS_URL": redis_url}))
    settings = Settings(
        {
            "REDIS_URL": redis_url,
            "MONGO_URI": "mongodb://127.0.0.1:1/",
            "FINEWS_ROLE": "seed",
            "ITEM_PIPELINES": {"pipelines.store.MongoPipeline": 800},
        }
    )
    addon.update_settings(settings)
    assert settings["SCHEDULER"].endswith("RedisScheduler") and settings["SCHEDULER_PERSIST"]
    assert settings["FINEWS_RUN_ID"] == addon.coordinator().run_id
    assert not [v for v in settings.getdict("ITEM_PIPELINES").values() if v is not None]


def test_the_add_on_swaps_in_the_shared_run_scope(
    monkeypatch: pytest.MonkeyPatch, redis_url: str
) -> None:
    """Spiders ask FINEWS_RUN_SCOPE whether they have asked for something in this run: in
    memory by default, across every worker once the add-on is on (over the project's
    declared defaults, which sit above the add-on priority)."""
    for name in ("REDIS_URL", "MONGO_URI", "FINEWS_ROLE", "FINEWS_RUN_ID", "FINEWS_RUN_SCOPE"):
        monkeypatch.delenv(name, raising=False)
    settings = Settings()
    settings.setmodule("finews_spider.settings", priority="project")
    assert load_object(settings["FINEWS_RUN_SCOPE"]) is LocalRunScope
    for name, value in {"REDIS_URL": redis_url, "MONGO_URI": "mongodb://127.0.0.1:1/"}.items():
        settings.set(name, value, priority="cmdline")
    settings.set("FINEWS_ROLE", "seed", priority="cmdline")
    addon = Distributed(SimpleNamespace(spidercls=FinewsSpider))  # type: ignore[arg-type]
    addon.update_settings(settings)
    assert load_object(settings["FINEWS_RUN_SCOPE"]) is SharedRunScope
    run_id = addon.coordinator().run_id
    assert run_id is not None and settings["FINEWS_RUN_ID"] == run_id

    redis, keys = Redis.from_url(redis_url), Keys("finews", "scope-test")
    workers = [Coordinator(redis, keys, role="worker", worker=f"w:{n}") for n in (1, 2)]
    for worker in workers:
        worker.run_id = "run-scope"
    a, b = (SharedRunScope(worker) for worker in workers)
    assert a.first("articles", "u1") and not b.first("articles", "u1")
    assert b.first("lists", "u1")  # kinds are kept apart
    local_a, local_b = LocalRunScope(), LocalRunScope()
    assert local_a.first("articles", "u1") and not local_a.first("articles", "u1")
    assert local_b.first("articles", "u1")  # another process knows nothing of it


def test_the_store_takes_a_write_concern(monkeypatch: pytest.MonkeyPatch, mongo_uri: str) -> None:
    assert write_concern_options("majority") == {"w": "majority"}
    assert write_concern_options("2") == {"w": 2}
    monkeypatch.setenv("MONGO_WRITE_CONCERN", "majority")
    assert write_concern_options() == {"w": "majority"}
    monkeypatch.delenv("MONGO_WRITE_CONCERN")
    assert write_concern_options() == {}  # the URI's, or the server's default

    async def check() -> dict[str, Any]:
        client = await connect(mongo_uri, write_concern="majority")
        try:
            return client.write_concern.document
        finally:
            await client.close()

    assert asyncio.run(check()) == {"w": "majority"}
