"""Fault injection with a real server: whatever fails underneath, no article is lost or
duplicated and every crawl's ledger balances."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from pymongo import MongoClient
from sites import LoopbackSite
from sites.server import MAX_DELAY

from finews_spider.store.embedded import EmbeddedServer

ROOT = Path(__file__).resolve().parents[1]
Run = Callable[..., subprocess.CompletedProcess[str]]
FAST = ["-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=0", "-s", "FINEWS_MAX_REJECT_RATIO=1"]

pytestmark = pytest.mark.store


def stored_ids(uri: str, db: str) -> list[str]:
    with MongoClient(uri, serverSelectionTimeoutMS=5000) as client:
        return sorted(d["_id"] for d in client[db].articles.find({}, {"_id": 1}))


def reject_reasons(uri: str, db: str) -> dict[str, str]:
    with MongoClient(uri, serverSelectionTimeoutMS=5000) as client:
        return {r["url"]: r["reason"] for r in client[db].rejects.find()}


def expected_ids(site: LoopbackSite) -> list[str]:
    return sorted({p.article_id for p in site.posts if p.article_id})


def balanced(run: subprocess.CompletedProcess[str]) -> bool:
    return "balanced=yes" in run.stderr


def test_retry_after_is_honoured_for_429_and_503(
    loopback_site: LoopbackSite, scrapy_run: Run, mongo_uri: str, mongo_db: str
) -> None:
    posts = [p for p in loopback_site.posts if p.article_id]
    loopback_site.fail(posts[0].url, status=429, retry_after=1, times=1)
    loopback_site.fail(posts[1].url, status=503, retry_after=1, times=1)
    started = time.monotonic()
    run = scrapy_run("crawl", "finews", *FAST, "-a", f"base_url={loopback_site.base_url}")
    assert run.returncode == 0, run.stderr[-3000:]
    assert time.monotonic() - started >= 1  # it waited as asked
    assert [h.status for h in loopback_site.hits(posts[0].url)] == [429, 200]
    assert [h.status for h in loopback_site.hits(posts[1].url)] == [503, 200]
    assert "'finews/retry_after_waits': 2" in run.stderr
    assert stored_ids(mongo_uri, mongo_db) == expected_ids(loopback_site)
    assert balanced(run)


def test_connection_reset_mid_body_and_one_unresolvable_host(
    loopback_site: LoopbackSite, scrapy_run: Run, mongo_uri: str, mongo_db: str
) -> None:
    posts = [p for p in loopback_site.posts if p.article_id]
    loopback_site.fail(f"/a/{posts[0].article_id}.html", reset=True)
    ids = [p.article_id for p in posts]
    run = scrapy_run(
        "crawl",
        "eastmoney",
        *FAST,
        "-s",
        "RETRY_TIMES=1",
        "-s",
        "DNS_RESOLVER=dns_blackhole.Resolver",
        "-a",
        f"base_url={loopback_site.base_url}",
        "-a",
        "ids=" + ",".join(ids),
        "-a",
        "urls=http://news.host.invalid/a/202403052987654399.html",
        env={"PYTHONPATH": str(ROOT / "tests")},
    )
    assert run.returncode == 0, run.stderr[-3000:]
    reasons = reject_reasons(mongo_uri, mongo_db)
    assert reasons[loopback_site.url(f"/a/{posts[0].article_id}.html")] in (
        "response_data_loss_error",
        "connection_lost",
        "response_never_received",
    )
    assert (
        reasons["http://news.host.invalid/a/202403052987654399.html"] == "cannot_resolve_host_error"
    )
    assert stored_ids(mongo_uri, mongo_db) == sorted(ids[1:])
    assert balanced(run)


def test_store_refusing_writes_loses_nothing(
    loopback_site: LoopbackSite, scrapy_run: Run, mongo_uri: str, mongo_db: str
) -> None:
    # A unique index the pipeline does not know: two posts of one category collide.
    with MongoClient(mongo_uri) as client:
        client[mongo_db].articles.create_index("category", unique=True)
    run = scrapy_run("crawl", "finews", *FAST, "-a", f"base_url={loopback_site.base_url}")
    assert balanced(run), run.stderr[-3000:]
    refused = [r for r in reject_reasons(mongo_uri, mongo_db).values() if r == "store_refused"]
    stored = stored_ids(mongo_uri, mongo_db)
    assert refused, "the collision should have been refused"
    assert len(stored) + len(refused) == len(expected_ids(loopback_site))


@pytest.fixture
def own_server(tmp_path: Path) -> EmbeddedServer:
    server = EmbeddedServer(tmp_path / "store")
    server.start()
    yield server
    server.stop()


def _crawl_process(
    site: LoopbackSite, uri: str, db: str, home: Path, *extra: str
) -> subprocess.Popen[str]:
    env = {**os.environ, "MONGO_URI": uri, "MONGO_DATABASE": db, "FINEWS_HOME": str(home)}
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "scrapy",
            "crawl",
            "finews",
            *FAST,
            "-a",
            f"base_url={site.base_url}",
            *extra,
        ],
        cwd=ROOT,
        env=env,
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
    )


def _wait_for_articles(uri: str, db: str, n: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if len(stored_ids(uri, db)) >= n:
                return
        except Exception:
            pass
        time.sleep(0.1)
    raise AssertionError(f"fewer than {n} articles after {timeout}s")


def _slow(site: LoopbackSite, seconds: float) -> None:
    for post in site.posts:
        site.fail(post.url, delay=seconds)


def test_store_stopped_mid_crawl_and_started_again(
    loopback_site: LoopbackSite, own_server: EmbeddedServer, tmp_path: Path
) -> None:
    _slow(loopback_site, 3.0)
    loopback_site.clear_faults(next(p.url for p in loopback_site.posts if p.article_id))
    crawl = _crawl_process(
        loopback_site,
        own_server.uri,
        "faults",
        tmp_path / "home",
        "-s",
        "CONCURRENT_REQUESTS_PER_DOMAIN=1",
        "-s",
        "MONGO_BATCH_SIZE=1",
    )
    _wait_for_articles(own_server.uri, "faults", 1)
    own_server.stop()
    time.sleep(3)
    own_server.start()
    _, err = crawl.communicate(timeout=180)
    assert "balanced=yes" in err, err[-3000:]
    assert stored_ids(own_server.uri, "faults") == expected_ids(loopback_site)
    assert "dead_lettered=0" in err


def test_store_down_past_the_retry_budget_dead_letters_then_resend(
    loopback_site: LoopbackSite, own_server: EmbeddedServer, tmp_path: Path
) -> None:
    # One post answers at once; the others come back while the store is down.
    _slow(loopback_site, 3.0)
    loopback_site.clear_faults(next(p.url for p in loopback_site.posts if p.article_id))
    home = tmp_path / "home"
    crawl = _crawl_process(
        loopback_site,
        own_server.uri,
        "faults",
        home,
        "-s",
        "CONCURRENT_REQUESTS_PER_DOMAIN=1",
        "-s",
        "MONGO_BATCH_SIZE=1",
        "-s",
        "MONGO_RETRY_TRIES=2",
        "-s",
        "MONGO_RETRY_SECONDS=1",
    )
    _wait_for_articles(own_server.uri, "faults", 1)
    own_server.stop()
    _, err = crawl.communicate(timeout=180)
    assert crawl.returncode != 0  # the crawl says it could not store everything
    summary = next(line for line in err.splitlines() if "finews.summary" in line)
    assert "balanced=yes" in summary and "dead_lettered=0" not in summary
    own_server.start()
    resend = subprocess.run(
        [
            sys.executable,
            "-m",
            "finews_spider.cli",
            "resend-dead-letters",
            "--uri",
            own_server.uri,
            "--database",
            "faults",
            "--home",
            str(home),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert resend.returncode == 0, resend.stderr[-3000:]
    assert stored_ids(own_server.uri, "faults") == expected_ids(loopback_site)


def test_sigkill_mid_crawl_then_resume_from_jobdir(
    loopback_site: LoopbackSite, scrapy_run: Run, mongo_uri: str, mongo_db: str, tmp_path: Path
) -> None:
    # One post answers at once, the others are still in flight when the crawl is killed.
    _slow(loopback_site, 5.0)
    loopback_site.clear_faults(next(p.url for p in loopback_site.posts if p.article_id))
    jobdir = ["-s", f"JOBDIR={tmp_path / 'job'}"]
    crawl = _crawl_process(
        loopback_site,
        mongo_uri,
        mongo_db,
        tmp_path / "home",
        *jobdir,
        "-s",
        "CONCURRENT_REQUESTS_PER_DOMAIN=1",
        "-s",
        "MONGO_BATCH_SIZE=1",
    )
    _wait_for_articles(mongo_uri, mongo_db, 1)
    crawl.send_signal(signal.SIGKILL)
    crawl.wait(timeout=30)
    assert len(stored_ids(mongo_uri, mongo_db)) < len(expected_ids(loopback_site))
    loopback_site.clear_faults()
    resumed = scrapy_run(
        "crawl", "finews", *FAST, *jobdir, "-a", f"base_url={loopback_site.base_url}"
    )
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    assert balanced(resumed)
    assert stored_ids(mongo_uri, mongo_db) == expected_ids(loopback_site)  # none lost
    with MongoClient(mongo_uri) as client:  # none duplicated, no spurious versions
        docs = list(client[mongo_db].articles.find())
    assert all(d["version"] == 1 and len(d["urls"]) == 1 for d in docs)


def test_store_down_at_the_end_dead_letters_the_runs_record_then_resend(
    loopback_site: LoopbackSite, own_server: EmbeddedServer, tmp_path: Path
) -> None:
    # Every post is stored at once; the feed keeps the crawl open until the store is down
    # (however slow the machine), so only the run's ledger record is left to write.
    loopback_site.fail("/feed.xml", delay=MAX_DELAY)
    home = tmp_path / "home"
    crawl = _crawl_process(
        loopback_site,
        own_server.uri,
        "faults",
        home,
        *("-s", "MONGO_BATCH_SIZE=1", "-s", "MONGO_RETRY_TRIES=2", "-s", "MONGO_RETRY_SECONDS=1"),
        *("-s", "MONGO_TIMEOUT_SECONDS=1", "-s", "FINEWS_RUN_ID=run-down-at-end"),
    )
    _wait_for_articles(own_server.uri, "faults", len(expected_ids(loopback_site)))
    own_server.stop()
    loopback_site.release("/feed.xml")
    _, err = crawl.communicate(timeout=180)
    assert crawl.returncode != 0, err[-3000:]  # the run's record is not in the store
    assert "could not record the run's ledger in `runs`: dead-lettered to" in err
    print(
        "\n".join(line for line in err.splitlines() if "finews.summary" in line or "ledger" in line)
    )
    letters = list((home / "dead_letters").glob("*.jsonl"))
    assert [line for f in letters for line in f.read_text().splitlines() if '"run"' in line]

    own_server.start()
    cli = [sys.executable, "-m", "finews_spider.cli"]
    store = ["--uri", own_server.uri, "--database", "faults", "--home", str(home)]
    resend = subprocess.run(
        [*cli, "resend-dead-letters", *store], cwd=ROOT, capture_output=True, text=True
    )
    assert resend.returncode == 0, resend.stderr[-3000:]
    assert "runs 1," in resend.stdout
    ledger = subprocess.run(
        [*cli, "ledger", "run-down-at-end", *store], cwd=ROOT, capture_output=True, text=True
    )
    assert ledger.returncode == 0, ledger.stdout + ledger.stderr[-3000:]
    assert "balanced=yes" in ledger.stdout
    print(resend.stdout + resend.stderr[-500:] + ledger.stdout)
    with MongoClient(own_server.uri) as client:
        record = client["faults"].runs.find_one({"run_id": "run-down-at-end"})
    assert record is not None and record["articles_new"] == len(expected_ids(loopback_site))


# --------------------------------------------------------------------------- issue 15


@pytest.mark.parametrize("store", ["embedded", "finews serve"])
def test_acknowledged_writes_survive_sigkill_of_the_embedded_server(
    store: str, tmp_path: Path, make_article: Callable[..., dict[str, Any]]
) -> None:
    """Every write the writer counted as stored (acknowledged) is there after SIGKILL of
    the server right after the last acknowledgement and a restart: the embedded store the
    crawl starts itself, and one it reaches by MONGO_URI (`finews serve`)."""
    import asyncio

    from finews_spider.store import ArticleWriter, open_store, resolve_config

    home = tmp_path / "home"
    outside = EmbeddedServer(home) if store == "finews serve" else None
    uri = outside.start() if outside is not None else None
    config = resolve_config(uri=uri, database="durable", home=home)
    docs = [make_article(n) for n in range(300)]

    async def crawl() -> tuple[int, EmbeddedServer]:
        opened = await open_store(config)
        writer = ArticleWriter(opened.db, batch_size=10, dead_letter_dir=home / "dead")
        for doc in docs:
            await writer.add(doc)
        await writer.close()
        server = opened.server or outside
        assert server is not None and server._proc is not None
        os.kill(server._proc.pid, signal.SIGKILL)  # right after the last acknowledgement
        server._proc.wait(10)
        await opened.client.close()
        return writer.counts.new, server

    acknowledged, server = asyncio.run(crawl())
    server.stop()  # releases the data directory's lock
    with EmbeddedServer(home) as again:
        assert acknowledged == len(docs)
        assert len(stored_ids(again.uri, "durable")) == acknowledged


def _secantusd_on(data_dir: Path) -> list[int]:
    """Running secantusd-py processes serving `data_dir`."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            args = (entry / "cmdline").read_bytes().split(b"\0")
            state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if os.fsencode(data_dir) in args and state != "Z":
            found.append(int(entry.name))
    return found


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc")
def test_a_crawl_killed_with_sigkill_does_not_lock_out_the_next_run(
    tmp_path: Path, mongo_uri: str
) -> None:
    """The default (embedded) store: a replay is killed with SIGKILL while its server runs;
    the next replay on the same FINEWS_HOME stops the orphan and runs, and no server is
    left behind."""
    from test_replay_files import write_posts

    write_posts(tmp_path / "saved", 300)
    home = tmp_path / "home"
    env = {k: v for k, v in os.environ.items() if k != "MONGO_URI"}
    env.update(FINEWS_HOME=str(home), MONGO_DATABASE="orphan")
    args = [sys.executable, "-m", "scrapy", "crawl", "replay", "-a", f"path={tmp_path / 'saved'}"]
    args += ["-s", "MONGO_BATCH_SIZE=5"]  # slow enough to be killed mid-run
    first = subprocess.Popen(
        args, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    lock = home / "db.lock"
    deadline = time.monotonic() + 120
    while "secantusd-py pid" not in (lock.read_text() if lock.exists() else ""):
        assert first.poll() is None and time.monotonic() < deadline, "no server started"
        time.sleep(0.1)
    time.sleep(1)
    first.kill()
    first.wait(10)
    orphans = _secantusd_on(home / "db")
    assert orphans, "the killed crawl's server should be the orphan here"

    second = subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert "StoreLocked" not in second.stderr and "is in use" not in second.stderr
    assert second.returncode == 0, second.stderr[-3000:]
    assert "balanced=yes" in second.stderr
    time.sleep(0.5)
    assert _secantusd_on(home / "db") == []
    for pid in orphans:
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)
