"""The securities master: grown from `articles`, kept current by every write path (replay,
reparse, batch), and always equal to its rebuild."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from pymongo import AsyncMongoClient, MongoClient, monitoring

from finews_spider.normalize.securities import stock_codes
from finews_spider.schema import page_kinds
from finews_spider.store import ArticleWriter, ensure_collections
from finews_spider.store.securities import master_documents

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "fixtures"
KINDS = page_kinds()
Run = Callable[..., subprocess.CompletedProcess[str]]


def _entry(secid: str, name: str | None, *roles: str) -> dict[str, Any]:
    market_id, code = secid.split(".")
    return {
        "secid": secid,
        "code": code,
        "market_id": int(market_id),
        "market": "HK",
        "kind": "stock",
        "name": name,
        "roles": list(roles),
    }


def test_master_documents_count_names_roles_and_instants() -> None:
    day = [datetime(2024, 3, d, tzinfo=UTC) for d in (1, 2, 3)]
    articles = [
        {"published_at": day[1], "stocks": [_entry("116.00700", "腾讯控股", "tag", "text")]},
        {"published_at": day[0], "stocks": [_entry("116.00700", None, "chart")]},
        {"published_at": day[2], "stocks": [_entry("116.00700", "腾讯", "tag")]},
        {"published_at": day[2], "stocks": [_entry("116.00992", "联想集团", "text")]},
    ]
    docs = master_documents(articles)
    assert list(docs) == ["116.00700", "116.00992"]
    tencent = docs["116.00700"]
    assert (tencent["articles"], tencent["roles"]) == (3, {"chart": 1, "tag": 2, "text": 1})
    assert (tencent["first_seen"], tencent["last_seen"]) == (day[0], day[2])
    assert tencent["names"] == [
        {"name": "腾讯", "count": 1, "first_seen": day[2], "last_seen": day[2]},
        {"name": "腾讯控股", "count": 1, "first_seen": day[1], "last_seen": day[1]},
    ]
    assert master_documents(articles, {"116.00992"}).keys() == {"116.00992"}


def _assert_master_equals_rebuild(mongo_uri: str, mongo_db: str) -> list[dict[str, Any]]:
    with MongoClient(mongo_uri, tz_aware=True) as client:
        db = client[mongo_db]
        rebuilt = master_documents(db.articles.find({}, {"stocks": 1, "published_at": 1}))
        kept = {doc["_id"]: doc for doc in db.securities.find()}
    assert kept == rebuilt
    assert rebuilt  # the fixtures name securities
    return list(kept.values())


def _outdate_articles(mongo_uri: str, mongo_db: str) -> None:
    """Stored articles as an older parser wrote them: no securities. The master, maintained
    by the writer only, now disagrees with its rebuild until the articles are brought up
    to date."""
    with MongoClient(mongo_uri, tz_aware=True) as client:
        db = client[mongo_db]
        db.articles.update_many(
            {}, {"$set": {"parser_version": "0", "stocks": [], "stock_codes": []}}
        )
        assert master_documents(db.articles.find({}, {"stocks": 1, "published_at": 1})) == {}
        assert db.securities.count_documents({}) > 0


def _finews(mongo_uri: str, mongo_db: str, home: Path, *args: str) -> str:
    env = {**os.environ, "MONGO_URI": mongo_uri, "MONGO_DATABASE": mongo_db}
    run = subprocess.run(
        [sys.executable, "-m", "finews_spider.cli", *args],
        cwd=ROOT,
        env={**env, "FINEWS_HOME": str(home)},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    return run.stdout


@pytest.mark.store
def test_master_equals_its_rebuild_after_replay_reparse_and_batch(
    scrapy_run: Run, mongo_uri: str, mongo_db: str, tmp_path: Path
) -> None:
    for kind in KINDS:
        run = scrapy_run("crawl", "replay", "-a", f"path={FIXTURES / kind}")
        assert run.returncode == 0, run.stderr[-3000:]
    docs = _assert_master_equals_rebuild(mongo_uri, mongo_db)
    by_id = {d["_id"]: d for d in docs}
    # the chart widget alone names no security; the text names 00700 腾讯控股
    assert "腾讯控股" in [n["name"] for n in by_id["116.00700"]["names"]]
    assert by_id["116.00700"]["roles"]["text"] >= 1 and by_id["116.00700"]["roles"]["chart"] >= 1

    _outdate_articles(mongo_uri, mongo_db)  # as an older parser left them
    run = scrapy_run("crawl", "reparse")
    assert run.returncode == 0, run.stderr[-3000:]
    assert _assert_master_equals_rebuild(mongo_uri, mongo_db) == docs

    _outdate_articles(mongo_uri, mongo_db)
    _finews(mongo_uri, mongo_db, tmp_path / "home", "batch", "--from-store", "--no-progress")
    before = _assert_master_equals_rebuild(mongo_uri, mongo_db)
    assert before == docs

    out = _finews(mongo_uri, mongo_db, tmp_path / "home", "securities", "--rebuild", "腾讯")
    assert out.startswith(f"rebuilt: {len(before)} securities") and "116.00700" in out
    assert "116.00992" not in out  # the query narrows the list
    assert _assert_master_equals_rebuild(mongo_uri, mongo_db) == before


def _post(article_id: str, day: str, title: str, body: str) -> str:
    return f"""---
layout: post
title: "{title}"
date: 2024-03-{day} 10:00:00 +0800
categories: emnews
tags: 东财滚动新闻
---
<p>{body}</p>

<http://finance.eastmoney.com/news/1355,{article_id}.html>
"""


@pytest.mark.store
def test_reparse_links_names_the_master_knows(
    scrapy_run: Run, mongo_uri: str, mongo_db: str, tmp_path: Path
) -> None:
    posts = tmp_path / "posts"
    posts.mkdir()
    (posts / "2024-03-24-202403242993600017.md").write_text(
        _post("202403242993600017", "24", "白酒股走强", "贵州茅台(600519.SH)收涨2%。"), "utf-8"
    )
    (posts / "2024-03-25-202403252993700018.md").write_text(
        _post("202403252993700018", "25", "消费板块回暖", "贵州茅台领涨，茅台酒价回落。"), "utf-8"
    )
    run = scrapy_run("crawl", "replay", "-a", f"path={posts}")
    assert run.returncode == 0, run.stderr[-3000:]
    with MongoClient(mongo_uri, tz_aware=True) as client:
        assert client[mongo_db].articles.find_one({"_id": "202403252993700018"})["stocks"] == []

    for _ in range(2):  # the second reparse finds nothing more to link
        run = scrapy_run("crawl", "reparse")
        assert run.returncode == 0, run.stderr[-3000:]
        with MongoClient(mongo_uri, tz_aware=True) as client:
            doc = client[mongo_db].articles.find_one({"_id": "202403252993700018"})
        assert [(s["secid"], s["name"], s["roles"]) for s in doc["stocks"]] == [
            ("1.600519", "贵州茅台", ["name"])
        ]
        assert doc["stock_codes"] == ["600519"] and doc["version"] == 1
        masters = _assert_master_equals_rebuild(mongo_uri, mongo_db)
        assert masters[0]["roles"] == {"name": 1, "text": 1}
        # a name learned from this master is not counted as seen again
        assert masters[0]["names"][0]["count"] == 1
    assert "updated=0" in run.stderr


class _Finds(monitoring.CommandListener):
    """Counts reads of `articles` by security (what a recount of the master does)."""

    def __init__(self) -> None:
        self.recounts = 0
        self.recounted: set[str] = set()

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        command = event.command
        if event.command_name == "find" and "stocks.secid" in (command.get("filter") or {}):
            self.recounts += 1
            self.recounted |= set(command["filter"]["stocks.secid"]["$in"])

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        pass

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        pass


async def _write(
    mongo_uri: str,
    mongo_db: str,
    tmp_path: Path,
    listener: _Finds,
    docs: list[dict[str, Any]],
) -> None:
    """Store `docs` through an ArticleWriter (small batches), watched by `listener`."""
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(
        mongo_uri, tz_aware=True, event_listeners=[listener]
    )
    try:
        db = client[mongo_db]
        await ensure_collections(db)
        writer = ArticleWriter(db, batch_size=3, dead_letter_dir=tmp_path / "dead")
        for doc in docs:
            await writer.add(doc)
        await writer.close()
        assert writer.counts.dead_lettered == 0 and writer.counts.refused == 0
    finally:
        await client.close()


def _stocked(
    make_article: Callable[..., dict[str, Any]], n: int, *stocks: dict[str, Any], **changes: Any
) -> dict[str, Any]:
    entries = list(stocks)
    return make_article(n, stocks=entries, stock_codes=stock_codes(entries), **changes)


@pytest.mark.store
def test_master_kept_by_additions_equals_its_rebuild(
    mongo_uri: str,
    mongo_db: str,
    tmp_path: Path,
    make_article: Callable[..., dict[str, Any]],
) -> None:
    """Replay, re-replay, a second route that adds roles and a name, a reparse and a new
    version that change the securities: after each, the master the writer maintains equals
    its rebuild; what only adds to the master reads no article."""
    tencent, lenovo, hsbc = "116.00700", "116.00992", "116.00005"
    first = [
        _stocked(
            make_article,
            1,
            _entry(tencent, "腾讯控股", "tag", "text"),
            _entry(lenovo, None, "chart"),
        ),
        _stocked(make_article, 2, _entry(tencent, None, "chart")),
        _stocked(make_article, 3, _entry(tencent, "腾讯", "text"), _entry(hsbc, "汇丰控股", "tag")),
        _stocked(
            make_article, 4, _entry(lenovo, "联想集团", "text"), _entry(lenovo, "联想", "tag")
        ),
        _stocked(make_article, 5),  # names no security
    ]
    second_route = _stocked(
        make_article,
        2,
        _entry(tencent, "腾讯控股", "tag"),
        _entry(hsbc, None, "chart"),
        url="https://emweb.securities.eastmoney.com/a/202203030000000002.html",
    )
    reparsed = _stocked(
        make_article, 3, _entry(hsbc, "汇丰控股", "tag"), parser_version="0.0.0-next"
    )
    new_version = _stocked(
        make_article,
        1,
        _entry(lenovo, "联想集团", "text"),
        body_text="改写后的正文。",
        title="新标题",
    )
    later = _stocked(
        make_article,
        6,
        _entry(tencent, "腾讯控股", "text"),
        published_at=datetime(2030, 1, 1, tzinfo=UTC),
    )
    listener = _Finds()

    def write(docs: list[dict[str, Any]]) -> None:
        asyncio.run(_write(mongo_uri, mongo_db, tmp_path, listener, docs))

    write(first)
    assert listener.recounts == 0  # new articles only add
    docs = _assert_master_equals_rebuild(mongo_uri, mongo_db)
    write(first)  # the re-replay changes nothing
    assert _assert_master_equals_rebuild(mongo_uri, mongo_db) == docs
    write([second_route, later])  # a route adds roles and a name; a new article
    assert listener.recounts == 0
    after_route = _assert_master_equals_rebuild(mongo_uri, mongo_db)
    assert after_route != docs
    by_id = {d["_id"]: d for d in after_route}
    assert by_id[hsbc]["roles"] == {"chart": 1, "tag": 1}
    assert by_id[tencent]["last_seen"] == datetime(2030, 1, 1, tzinfo=UTC)
    write([reparsed, new_version])  # a security lost, others changed
    assert listener.recounts > 0
    final = {d["_id"]: d for d in _assert_master_equals_rebuild(mongo_uri, mongo_db)}
    assert final[tencent]["articles"] == 2 and final[lenovo]["articles"] == 2


@pytest.mark.store
def test_an_instant_that_moves_is_applied_in_place_unless_it_held_the_extreme(
    mongo_uri: str,
    mongo_db: str,
    tmp_path: Path,
    make_article: Callable[..., dict[str, Any]],
) -> None:
    """A route to the second refines an article's instant. Where another article holds the
    security's (and the name's) first and last instant, the master moves in place without
    reading articles: a recount reads every article naming the security, which grows with
    the collection. Where the article held the extreme, the recount keeps it exact."""
    tencent, lenovo, hsbc = "116.00700", "116.00992", "116.00005"

    def at(hour: int, minute: int, second: int = 0) -> datetime:
        return datetime(2022, 3, 3, hour, minute, second, tzinfo=UTC)

    def post(n: int, instant: datetime, *stocks: dict[str, Any], **changes: Any) -> Any:
        return _stocked(make_article, n, *stocks, published_at=instant, **changes)

    def route(n: int, instant: datetime, *stocks: dict[str, Any]) -> Any:
        url = f"https://emweb.securities.eastmoney.com/a/{202203030000000000 + n}.html"
        return post(n, instant, *stocks, url=url)

    named = _entry(tencent, "腾讯控股", "tag")
    first = [
        post(4, at(8, 0), _entry(hsbc, None, "chart")),
        post(1, at(8, 30), named, _entry(lenovo, None, "tag"), _entry(hsbc, None, "tag")),
        post(2, at(8, 40), _entry(tencent, None, "chart"), _entry(lenovo, None, "chart")),
        post(3, at(9, 0), named),  # holds the latest
    ]
    listener = _Finds()

    def write(docs: list[dict[str, Any]]) -> None:
        asyncio.run(_write(mongo_uri, mongo_db, tmp_path, listener, docs))

    write(first)
    # Later to the second: the latest moves on; the middle one moves inside the range,
    # and gains a role (an addition alongside the move).
    moved = [
        route(3, at(9, 0, 41), named),
        route(
            2, at(8, 40, 12), _entry(tencent, None, "chart", "text"), _entry(lenovo, None, "chart")
        ),
    ]
    write(moved)
    assert listener.recounts == 0
    by_id = {d["_id"]: d for d in _assert_master_equals_rebuild(mongo_uri, mongo_db)}
    assert (by_id[tencent]["first_seen"], by_id[tencent]["last_seen"]) == (at(8, 30), at(9, 0, 41))
    assert by_id[tencent]["roles"] == {"chart": 1, "tag": 2, "text": 1}
    assert (by_id[lenovo]["first_seen"], by_id[lenovo]["last_seen"]) == (at(8, 30), at(8, 40, 12))
    # The earliest article of 00700 and 00992 moves later: only a recount knows the next
    # earliest. 00005's earliest is another article's: it moves in place.
    moved = route(1, at(8, 30, 5), named, _entry(lenovo, None, "tag"), _entry(hsbc, None, "tag"))
    write([moved])
    assert listener.recounts > 0
    assert listener.recounted == {tencent, lenovo}
    by_id = {d["_id"]: d for d in _assert_master_equals_rebuild(mongo_uri, mongo_db)}
    assert by_id[tencent]["first_seen"] == at(8, 30, 5)
    assert by_id[tencent]["names"][0]["first_seen"] == at(8, 30, 5)
    assert (by_id[hsbc]["first_seen"], by_id[hsbc]["last_seen"]) == (at(8, 0), at(8, 30, 5))
