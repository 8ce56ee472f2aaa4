"""The main job against a real server: `scrapy crawl replay` stores, re-runs are idempotent,
`reparse` applies parser changes without the network, a down store fails the crawl."""

from __future__ import annotations

import asyncio
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from pymongo import MongoClient
from scrapy import signals
from scrapy.utils.test import get_crawler

from finews_spider.meta import CONTEXT
from finews_spider.model import PARSER_VERSION
from finews_spider.schema import page_kinds
from finews_spider.spiders.replay import ReplaySpider
from finews_spider.store.embedded import EmbeddedServer, free_port

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "fixtures"
NORMAL = [FIXTURES / k for k in page_kinds()]
Run = Callable[..., subprocess.CompletedProcess[str]]

pytestmark = pytest.mark.store


def replay_all(scrapy_run: Run) -> subprocess.CompletedProcess[str]:
    run = None
    for folder in NORMAL:
        run = scrapy_run("crawl", "replay", "-a", f"path={folder}")
        assert run.returncode == 0, run.stderr[-3000:]
        assert "balanced=yes" in run.stderr
    assert run is not None
    return run


def test_replay_reads_its_folder_only_as_fast_as_the_pipelines_take_items(
    tmp_path: Path,
) -> None:
    """With `max_in_flight` pages handed to the pipelines and not yet out of them, `start()`
    waits for one to come out instead of reading the whole folder ahead of a slow store;
    each page read is a response (kept raw) with its sidecar in the stored context."""
    for n in range(3):
        (tmp_path / f"{n}.md").write_text("---\ntitle: x\n---\n")
    (tmp_path / "1.meta.json").write_text('{"url": "https://x.test/1"}')
    crawler = get_crawler(ReplaySpider)
    crawler.engine = SimpleNamespace(scraper=None)  # only the spider's own waits matter here
    spider = ReplaySpider.from_crawler(crawler, path=str(tmp_path))
    spider.max_in_flight = 1
    received: list[Any] = []
    crawler.signals.connect(
        lambda request, **_: received.append(request), signal=signals.response_received, weak=False
    )

    def out(item: Any) -> None:  # what the scraper says when an item leaves the pipelines
        crawler.signals.send_catch_log(signals.item_scraped, item=item, spider=spider)

    async def scenario() -> list[Any]:
        pages = spider.start()
        items = [await anext(pages)]
        following = asyncio.ensure_future(anext(pages))
        await asyncio.sleep(0.05)
        assert not following.done() and len(received) == 1  # waits, the next page unread
        out(items[0])
        items.append(await following)
        out(items[1])
        async for item in pages:  # the last one: start() returns once it is out too
            items.append(item)
            out(item)
        return items

    items = asyncio.run(scenario())
    assert [r.url.rsplit("/", 1)[-1] for r in received] == ["0.md", "1.md", "2.md"]
    urls = [getattr(i, "url", None) or i.page.url for i in items]  # a Rejection or a Draft
    assert [u.rsplit("/", 1)[-1] for u in urls] == ["0.md", "1", "2.md"]
    assert received[1].meta[CONTEXT] == {"fetched_at": None, "url": "https://x.test/1"}
    assert crawler.stats.get_value("finews/pages_read") == 3


def test_a_page_the_parser_fails_on_is_logged_counted_and_the_replay_goes_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As a failing callback did: the error is logged and counted, the page stays counted
    as read (the ledger then does not balance), and the next pages are still replayed."""
    import finews_spider.spiders.base as base

    for n in range(3):
        (tmp_path / f"{n}.md").write_text("---\ntitle: x\n---\n")
    real = base.read_page

    def read_page(url: str, *args: Any, **kwargs: Any) -> Any:
        if url.endswith("/1.md"):
            raise RuntimeError("a parser bug")
        return real(url, *args, **kwargs)

    monkeypatch.setattr(base, "read_page", read_page)
    crawler = get_crawler(ReplaySpider)
    crawler.engine = SimpleNamespace(scraper=None)
    spider = ReplaySpider.from_crawler(crawler, path=str(tmp_path))

    async def scenario() -> list[Any]:
        items = []
        async for item in spider.start():
            items.append(item)
            crawler.signals.send_catch_log(signals.item_scraped, item=item, spider=spider)
        return items

    items = asyncio.run(scenario())
    assert [getattr(i, "url", None) or i.page.url for i in items] == [
        (tmp_path / "0.md").as_uri(),
        (tmp_path / "2.md").as_uri(),
    ]
    assert crawler.stats.get_value("spider_exceptions/RuntimeError") == 1
    assert crawler.stats.get_value("finews/pages_read") == 3


def snapshot(uri: str, db: str) -> dict[str, list[dict[str, Any]]]:
    """Every collection, sorted, without the fields a re-run is allowed to move."""
    moving = {"last_seen_at"}
    with MongoClient(uri) as client:
        out = {}
        for name in ("articles", "article_versions", "pages", "rejects"):
            docs = list(client[db][name].find().sort("_id", 1))
            for doc in docs:
                for key in moving:
                    doc.pop(key, None)
                if name == "rejects":
                    doc.pop("count", None)  # times rejected: it counts the re-run, by design
            out[name] = docs
        return out


def test_running_twice_changes_nothing_but_last_seen(
    scrapy_run: Run, mongo_uri: str, mongo_db: str
) -> None:
    replay_all(scrapy_run)
    first = snapshot(mongo_uri, mongo_db)
    run = replay_all(scrapy_run)
    assert "updated=0" in run.stderr and "new=0" in run.stderr
    second = snapshot(mongo_uri, mongo_db)
    assert second == first
    assert len(first["articles"]) >= 13
    with MongoClient(mongo_uri) as client:
        rejects = list(client[mongo_db].rejects.find())
    assert {r["reason"] for r in rejects} >= {"date_missing", "title_missing", "not_an_article"}
    assert all(r["count"] == 2 and r["detail"] and r["url"] for r in rejects)


def test_one_article_through_two_routes_is_one_document(
    scrapy_run: Run, mongo_uri: str, mongo_db: str
) -> None:
    replay_all(scrapy_run)
    with MongoClient(mongo_uri, tz_aware=True) as client:
        docs = list(client[mongo_db].articles.find({"_id": "202403052987654321"}))
    assert len(docs) == 1
    doc = docs[0]
    assert doc["version"] == 1
    assert len(doc["urls"]) == 2  # the Eastmoney page and the finews post
    # The page header says 18:20, the post says 18:20:31: the document keeps the seconds.
    assert doc["published_at"].isoformat() == "2024-03-05T10:20:31+00:00"
    # the post source was replayed first: its route fields stay, the page only adds its URL
    assert (doc["category"], doc["page_kind"]) == ("jingjicankaowang", "finews_source")


def test_reparse_applies_a_parser_change_without_the_network(
    scrapy_run: Run, mongo_uri: str, mongo_db: str
) -> None:
    replay_all(scrapy_run)
    with MongoClient(mongo_uri) as client:
        articles = client[mongo_db].articles
        # What an older parser had stored: a stale parser_version and a worse outlet.
        articles.update_many({}, {"$set": {"parser_version": "2020.1.1", "outlet": "旧"}})
        total = articles.count_documents({})
    run = scrapy_run("crawl", "reparse")
    assert run.returncode == 0, run.stderr[-3000:]
    assert "requests=0 " in run.stderr  # not a single network request
    assert f"updated={total} " in run.stderr  # one route per article updates it
    with MongoClient(mongo_uri) as client:
        articles = client[mongo_db].articles
        assert articles.count_documents({"parser_version": PARSER_VERSION}) == total
        assert articles.count_documents({"outlet": "旧"}) == 0
        assert articles.count_documents({"version": {"$ne": 1}}) == 0
    again = scrapy_run("crawl", "reparse")
    assert "new=0 updated=0 " in again.stderr
    assert run.stderr.count("rejected=") == again.stderr.count("rejected=")
    # the same rejections as the replay: a saved page without a fetch time stays rejected
    assert "date_relative_without_fetch_time:1" in again.stderr


def test_unreachable_store_fails_the_crawl_at_once(scrapy_run: Run) -> None:
    uri = f"mongodb://finews:s3cret@127.0.0.1:{free_port()}/"
    started = time.monotonic()
    run = scrapy_run(
        "crawl",
        "replay",
        "-a",
        f"path={FIXTURES / 'finews_source'}",
        env={"MONGO_URI": uri, "MONGO_TIMEOUT_SECONDS": "2"},
    )
    assert run.returncode != 0
    assert time.monotonic() - started < 60
    assert "s3cret" not in run.stderr  # credentials never in logs
    assert "127.0.0.1" in run.stderr and "store is unreachable" in run.stderr


def test_main_job_without_a_server_uses_the_embedded_store(scrapy_run: Run, tmp_path: Path) -> None:
    home = tmp_path / "home"
    run = scrapy_run(
        "crawl",
        "replay",
        "-a",
        f"path={FIXTURES / 'finews_source'}",
        env={"MONGO_URI": "", "FINEWS_HOME": str(home), "MONGO_DATABASE": "finews"},
    )
    assert run.returncode == 0, run.stderr[-3000:]
    assert "embedded store" in run.stderr
    with EmbeddedServer(home) as server, MongoClient(server.uri) as client:
        assert client.finews.articles.count_documents({}) == 11
        assert client.finews.articles.find_one({"_id": "202403052987654321"})["title"]
