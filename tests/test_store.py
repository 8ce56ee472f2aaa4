"""The store against a real wire-protocol server: what reaches the collections, not calls."""

from __future__ import annotations

import asyncio
import shutil
import time
import zlib
from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import asynccontextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from pymongo import AsyncMongoClient, monitoring
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import WriteError
from scrapy import Request, Spider, signals
from scrapy.http import HtmlResponse
from scrapy.utils.test import get_crawler

from finews_spider.meta import ARTICLE
from finews_spider.model import Rejection
from finews_spider.schema import mongo_validator
from finews_spider.store import (
    ArticleWriter,
    EmbeddedServer,
    RetryPolicy,
    StoreLocked,
    StoreUnavailable,
    connect,
    ensure_collections,
    redact,
    resend_dead_letters,
)
from finews_spider.store.embedded import free_port
from finews_spider.store.writer import utcnow
from pipelines.store import MongoPipeline

pytestmark = pytest.mark.store

Doc = dict[str, Any]
MakeArticle = Callable[..., Doc]


def run(coro: Coroutine[Any, Any, Any]) -> Any:
    return asyncio.run(coro)


@asynccontextmanager
async def database(
    uri: str, name: str, timeout_s: float = 5.0
) -> AsyncIterator[AsyncDatabase[Doc]]:
    client: AsyncMongoClient[Doc] = await connect(uri, timeout_s=timeout_s)
    try:
        db = client[name]
        await ensure_collections(db)
        yield db
    finally:
        await client.close()


async def dump(db: AsyncDatabase[Doc], name: str, drop: tuple[str, ...] = ()) -> list[Doc]:
    docs = await db[name].find().sort("_id", 1).to_list()
    return [{k: v for k, v in d.items() if k not in drop} for d in docs]


async def write(db: AsyncDatabase[Doc], docs: list[Doc], tmp: Path, **kw: Any) -> ArticleWriter:
    writer = ArticleWriter(db, dead_letter_dir=tmp / "dead_letters", **kw)
    for doc in docs:
        await writer.add(doc)
    await writer.close()
    return writer


def test_rerun_is_idempotent(
    mongo_uri: str, mongo_db: str, make_article: MakeArticle, tmp_path: Path
) -> None:
    docs = [make_article(n) for n in range(50)]

    async def scenario() -> None:
        async with database(mongo_uri, mongo_db) as db:
            first = await write(db, docs, tmp_path, batch_size=16)
            assert (first.counts.new, first.counts.unchanged) == (50, 0)
            before = await dump(db, "articles")
            await asyncio.sleep(0.01)  # last_seen_at must be able to move
            second = await write(db, docs, tmp_path, batch_size=16)
            assert (second.counts.new, second.counts.updated, second.counts.unchanged) == (0, 0, 50)
            after = await dump(db, "articles")
            assert len(after) == 50
            assert {d["version"] for d in after} == {1}
            strip = ("last_seen_at",)
            assert [{k: v for k, v in d.items() if k not in strip} for d in before] == [
                {k: v for k, v in d.items() if k not in strip} for d in after
            ]
            moved = zip(after, before, strict=True)
            assert all(a["last_seen_at"] > b["last_seen_at"] for a, b in moved)
            assert await db.article_versions.count_documents({}) == 0
            assert first.dead_letter_path is None and second.dead_letter_path is None

    run(scenario())


def test_changed_content_is_a_new_version(
    mongo_uri: str, mongo_db: str, make_article: MakeArticle, tmp_path: Path
) -> None:
    old = make_article(1)
    new = make_article(1, body_text="改过的正文。", url="https://example.test/other-route")

    async def scenario() -> None:
        async with database(mongo_uri, mongo_db) as db:
            await write(db, [old], tmp_path)
            stored_v1 = await db.articles.find_one({"_id": old["_id"]})
            writer = await write(db, [new], tmp_path)
            assert writer.counts.updated == 1
            stored = await db.articles.find_one({"_id": old["_id"]})
            assert stored is not None and stored_v1 is not None
            assert stored["version"] == 2
            assert stored["body_text"] == "改过的正文。"
            assert stored["first_seen_at"] == stored_v1["first_seen_at"]
            assert stored["urls"] == [old["url"], new["url"]]
            archived = await db.article_versions.find({"article_id": old["_id"]}).to_list()
            assert len(archived) == 1
            assert archived[0]["version"] == 1 and archived[0]["doc"] == stored_v1
            # the same new content again: nothing more to archive
            again = await write(db, [new], tmp_path)
            assert again.counts.unchanged == 1
            assert await db.article_versions.count_documents({}) == 1

    run(scenario())


def test_same_id_twice_in_one_batch(
    mongo_uri: str, mongo_db: str, make_article: MakeArticle, tmp_path: Path
) -> None:
    async def scenario() -> None:
        async with database(mongo_uri, mongo_db) as db:
            docs = [make_article(2), make_article(2, title="新标题")]
            writer = await write(db, docs, tmp_path, batch_size=100)
            assert (writer.counts.new, writer.counts.updated) == (1, 1)
            stored = await db.articles.find_one({"_id": docs[0]["_id"]})
            assert stored is not None and (stored["version"], stored["title"]) == (2, "新标题")

    run(scenario())


def test_repeated_ids_in_one_batch_are_written_in_order_without_extra_flushes(
    mongo_uri: str, mongo_db: str, make_article: MakeArticle, tmp_path: Path
) -> None:
    """A, B, A', C, A'', B' in one buffer: one batch, written as three waves of one item
    per id, each planned from the state the one before left."""
    docs = [
        make_article(1),
        make_article(2),
        make_article(1, title="第二版"),
        make_article(3),
        make_article(1, title="第三版"),
        make_article(2),
    ]

    async def scenario() -> None:
        async with database(mongo_uri, mongo_db) as db:
            writer = ArticleWriter(db, batch_size=100, dead_letter_dir=tmp_path)
            for doc in docs:
                await writer.add(doc)
            assert len(writer._buf) == len(docs)  # a repeated id did not flush the buffer
            await writer.close()
            counts = writer.counts
            assert (counts.new, counts.updated, counts.unchanged) == (3, 2, 1)
            stored = {d["_id"]: d for d in await dump(db, "articles")}
            first = stored[docs[0]["_id"]]
            assert (first["version"], first["title"]) == (3, "第三版")
            assert stored[docs[1]["_id"]]["version"] == 1
            versions = await dump(db, "article_versions")
            assert [v["doc"]["title"] for v in versions] == [docs[0]["title"], "第二版"]

    run(scenario())


class _GatedCollection:
    """Bulk writes wait for the gate; finds find nothing."""

    def __init__(self, gate: asyncio.Event) -> None:
        self.gate = gate

    def find(self, *args: Any, **kwargs: Any) -> Any:
        class Empty:
            def __aiter__(self) -> Any:
                return self

            async def __anext__(self) -> Doc:
                raise StopAsyncIteration

        return Empty()

    async def bulk_write(self, ops: list[Any], ordered: bool = False) -> Any:
        await self.gate.wait()

        class Result:
            matched_count = 0

        return Result()


def test_a_store_that_falls_behind_slows_the_adds_down(tmp_path: Path) -> None:
    """Pages are buffered without waiting (signal handlers cannot await); once more than
    `max_queued` batches wait for the store, adding an item waits for the oldest."""

    async def scenario() -> None:
        gate = asyncio.Event()
        collection = _GatedCollection(gate)
        db: Any = {name: collection for name in ("articles", "rejects", "pages")}
        writer = ArticleWriter(
            db, batch_size=2, flush_seconds=0, max_queued=2, dead_letter_dir=tmp_path
        )
        for n in range(6):  # three batches of two pages, taken out, waiting for the store
            writer.add_page(f"https://x.test/{n}", b"body")
        rejection = Rejection("https://x.test/r", "dates", "date_missing", "no date")
        add = asyncio.ensure_future(writer.add_rejection(rejection))
        await asyncio.sleep(0.1)
        assert not add.done() and len(writer._tasks) == 3
        gate.set()
        await asyncio.wait_for(add, 5)
        await writer.close()
        assert (writer.counts.pages_stored, writer.counts.rejects) == (6, 1)

    run(scenario())


def test_two_routes_make_one_document(
    mongo_uri: str, mongo_db: str, make_article: MakeArticle, tmp_path: Path
) -> None:
    column = make_article(
        3,
        tags=["A股"],
        stocks=[_stock("116.00992", "00992", None, ["chart"])],
        stock_codes=["00992"],
    )
    newsshare = make_article(
        3,
        url="https://newsshare.example/3",
        page_kind="newsshare_json",
        tags=["港股", "A股"],
        summary="摘要",
        source_url="https://finance.eastmoney.com/a/202203030000000003.html",
        stocks=[
            _stock("116.00992", "00992", "联想集团", ["tag"]),
            _stock("1.600000", "600000", "浦发银行", ["tag"]),
            _stock("90.BK0475", "BK0475", "银行", ["tag"], kind="board", market="BK"),
        ],
        stock_codes=["00992", "600000"],
    )

    async def scenario() -> None:
        async with database(mongo_uri, mongo_db) as db:
            writer = await write(db, [column, newsshare], tmp_path)
            assert (writer.counts.new, writer.counts.unchanged) == (1, 1)
            docs = await dump(db, "articles")
            assert len(docs) == 1
            doc = docs[0]
            assert doc["urls"] == [column["url"], newsshare["url"]]
            assert doc["tags"] == ["A股", "港股"]
            assert doc["summary"] == "摘要" and doc["source_url"] == newsshare["source_url"]
            assert doc["stocks"][0]["roles"] == ["chart", "tag"]
            assert doc["stocks"][0]["name"] == "联想集团"
            assert [s["secid"] for s in doc["stocks"]] == ["116.00992", "1.600000", "90.BK0475"]
            assert doc["stock_codes"] == ["00992", "600000"]
            assert doc["version"] == 1
            # both routes again, in either order: nothing but last_seen_at moves
            for order in ([column, newsshare], [newsshare, column]):
                again = await write(db, order, tmp_path)
                assert again.counts.unchanged == 2
                same = await dump(db, "articles", drop=("last_seen_at",))
                assert same == [{k: v for k, v in doc.items() if k != "last_seen_at"}]

    run(scenario())


def test_parser_version_change_updates_in_place(
    mongo_uri: str, mongo_db: str, make_article: MakeArticle, tmp_path: Path
) -> None:
    async def scenario() -> None:
        async with database(mongo_uri, mongo_db) as db:
            await write(db, [make_article(4)], tmp_path)
            reparsed = make_article(4, parser_version="2099.01.01", repairs=["nbsp"])
            writer = await write(db, [reparsed], tmp_path)
            assert writer.counts.updated == 1
            stored = await db.articles.find_one({"_id": reparsed["_id"]})
            assert stored is not None
            assert (stored["version"], stored["parser_version"]) == (1, "2099.01.01")
            assert stored["repairs"] == ["nbsp"]
            assert await db.article_versions.count_documents({}) == 0

    run(scenario())


def test_validator_refuses_and_writer_routes_to_rejects(
    mongo_uri: str, mongo_db: str, make_article: MakeArticle, tmp_path: Path
) -> None:
    bad = make_article(5)
    bad["published_tz"] = "Beijing"  # breaks the contract's pattern
    unsafe = make_article(6)
    unsafe["$where"] = "sleep(1000)"
    good = make_article(7)

    async def scenario() -> None:
        async with database(mongo_uri, mongo_db) as db:
            direct = {**bad, "urls": [bad["url"]], "version": 1}
            now = utcnow()
            direct.update(first_seen_at=now, last_seen_at=now, updated_at=now)
            with pytest.raises(WriteError) as refused:
                await db.articles.insert_one(direct)
            assert refused.value.code == 121

            writer = await write(db, [bad, unsafe, good], tmp_path)
            assert (writer.counts.new, writer.counts.refused) == (1, 2)
            assert [d["_id"] for d in await dump(db, "articles")] == [good["_id"]]
            rejects = {r["url"]: r for r in await db.rejects.find().to_list()}
            assert set(rejects) == {bad["url"], unsafe["url"]}
            for reject in rejects.values():
                assert (reject["stage"], reject["reason"]) == ("store", "store_refused")
            assert "121" in rejects[bad["url"]]["detail"]
            assert "$where" in rejects[unsafe["url"]]["detail"]

    run(scenario())


class _Commands(monitoring.CommandListener):
    def __init__(self) -> None:
        self.commands: list[Doc] = []

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        self.commands.append({"name": event.command_name, **event.command})

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        pass

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        pass


def test_validated_documents_skip_the_validator_until_the_server_refuses_it(
    make_article: MakeArticle, tmp_path: Path
) -> None:
    """Inserts of documents the contract proves valid ask the server to skip its validator;
    a user without the bypassDocumentValidation action (code 13, here a fail point) gets
    the same writes validated by the server instead, and the writer stops asking."""
    from secantus.server import SecantusDBServer  # in-process: it takes test commands

    server = SecantusDBServer(port=0, storage_path=str(tmp_path / "db"))
    server.start()
    appname = "finews-bypass-test"
    listener = _Commands()

    async def scenario() -> None:
        client: AsyncMongoClient[Doc] = AsyncMongoClient(
            f"mongodb://127.0.0.1:{server.port}/",
            tz_aware=True,
            appname=appname,
            event_listeners=[listener],
        )
        try:
            db = client["finews_bypass"]
            await ensure_collections(db)
            first = await write(db, [make_article(1)], tmp_path)
            assert first.bypass_validation and first.counts.new == 1
            await client.admin.command(
                "configureFailPoint",
                "failCommand",
                mode={"times": 1},
                data={"failCommands": ["insert"], "errorCode": 13, "appName": appname},
            )
            bad = make_article(3)
            bad["published_tz"] = "Beijing"  # not proven valid: the server decides, refuses
            writer = ArticleWriter(db, batch_size=2, dead_letter_dir=tmp_path / "dead")
            for doc in (make_article(2), bad, make_article(4), make_article(5)):
                await writer.add(doc)
            await writer.close()
            assert not writer.bypass_validation
            assert (writer.counts.new, writer.counts.refused) == (3, 1)
            assert writer.counts.dead_lettered == 0
            stored = [d["_id"] for d in await dump(db, "articles")]
            assert stored == sorted(make_article(i)["_id"] for i in (1, 2, 4, 5))
        finally:
            await client.close()

    try:
        run(scenario())
    finally:
        server.stop()
    inserts = [c for c in listener.commands if c["name"] == "insert" and c["insert"] == "articles"]
    bypassed = [bool(c.get("bypassDocumentValidation")) for c in inserts]
    # first writer: one insert, bypassed; then the refused try, its resend, and the
    # validated writes after it (the unproven document always went to the validator)
    assert bypassed[0] and bypassed[1] and not any(bypassed[2:])
    assert len(inserts) >= 4


def test_validator_follows_the_contract(mongo_uri: str, mongo_db: str) -> None:
    async def scenario() -> None:
        async with database(mongo_uri, mongo_db) as db:
            await db.command("collMod", "articles", validator={"$jsonSchema": {"required": ["x"]}})
            await ensure_collections(db)
            info = await (await db.list_collections(filter={"name": "articles"})).to_list()
            assert info[0]["options"]["validator"] == mongo_validator()

    run(scenario())


def test_rejects_are_deduplicated_with_a_count(
    mongo_uri: str, mongo_db: str, tmp_path: Path
) -> None:
    first = Rejection("https://x.test/1", "dates", "date_unreadable", "no date", "excerpt")
    other = Rejection("https://x.test/1", "parse", "no_body", "empty body")

    async def scenario() -> None:
        async with database(mongo_uri, mongo_db) as db:
            writer = ArticleWriter(db, batch_size=2, dead_letter_dir=tmp_path)
            for rejection in (first, first, other, first):
                await writer.add_rejection(rejection)
            await writer.close()
            rows = await db.rejects.find().sort("reason", 1).to_list()
            assert [(r["reason"], r["count"]) for r in rows] == [
                ("date_unreadable", 3),
                ("no_body", 1),
            ]
            assert rows[0]["first_seen_at"] <= rows[0]["last_seen_at"]
            assert rows[0]["detail"] == "no date" and rows[0]["excerpt"] == "excerpt"

    run(scenario())


def test_pages_are_stored_once_per_body(mongo_uri: str, mongo_db: str, tmp_path: Path) -> None:
    url = "https://finance.eastmoney.com/a/1.html"

    async def scenario() -> None:
        async with database(mongo_uri, mongo_db) as db:
            writer = ArticleWriter(db, dead_letter_dir=tmp_path)
            writer.add_page(url, "<html>一</html>".encode(), "text/html; charset=utf-8")
            await writer.flush()
            stored = await db.pages.find_one({"_id": url})
            writer.add_page(url, "<html>一</html>".encode(), "text/html; charset=utf-8")
            await writer.flush()
            again = await db.pages.find_one({"_id": url})
            writer.add_page(url, b"<html>2</html>", "text/html")
            await writer.close()
            changed = await db.pages.find_one({"_id": url})
            assert stored is not None and again is not None and changed is not None
            assert zlib.decompress(stored["body"]) == "<html>一</html>".encode()
            assert again["body"] == stored["body"] and again["sha256"] == stored["sha256"]
            assert again["last_seen_at"] >= stored["last_seen_at"]
            assert zlib.decompress(changed["body"]) == b"<html>2</html>"
            assert changed["first_seen_at"] == stored["first_seen_at"]
            assert (writer.counts.pages_stored, writer.counts.pages_unchanged) == (2, 1)

    run(scenario())


def test_concurrent_adds_all_reach_the_store(
    mongo_uri: str, mongo_db: str, make_article: MakeArticle, tmp_path: Path
) -> None:
    docs = [make_article(n) for n in range(2000)]

    async def scenario() -> None:
        async with database(mongo_uri, mongo_db) as db:
            writer = ArticleWriter(db, batch_size=200, dead_letter_dir=tmp_path)
            await asyncio.gather(*(writer.add(doc) for doc in docs))
            await writer.close()
            assert await db.articles.count_documents({}) == 2000
            assert writer.counts.new == 2000 and writer.counts.dead_lettered == 0

    run(scenario())


def test_age_flush_writes_without_close(
    mongo_uri: str, mongo_db: str, make_article: MakeArticle, tmp_path: Path
) -> None:
    async def scenario() -> None:
        async with database(mongo_uri, mongo_db) as db:
            writer = ArticleWriter(db, batch_size=1000, flush_seconds=0.2, dead_letter_dir=tmp_path)
            await writer.add(make_article(8))
            for _ in range(50):
                if await db.articles.count_documents({}):
                    break
                await asyncio.sleep(0.05)
            assert await db.articles.count_documents({}) == 1
            await writer.close()

    run(scenario())


def test_dead_letters_then_resend(
    restartable_server: EmbeddedServer, make_article: MakeArticle, tmp_path: Path
) -> None:
    server = restartable_server
    docs = [make_article(n) for n in range(300)]
    dead_dir = tmp_path / "dead_letters"
    fast = RetryPolicy(tries=2, first_delay=0.1, budget=2.0)

    async def crawl() -> ArticleWriter:
        async with database(server.uri, "finews", timeout_s=0.5) as db:
            writer = ArticleWriter(db, batch_size=50, retry=fast, dead_letter_dir=dead_dir)
            for doc in docs[:100]:
                await writer.add(doc)
            await writer.flush()
            stopping = asyncio.create_task(asyncio.to_thread(server.stop))
            await asyncio.gather(*(writer.add(doc) for doc in docs[100:290]))
            await stopping
            for doc in docs[290:]:
                await writer.add(doc)
            await writer.add_rejection(Rejection("https://x.test/9", "parse", "no_body", "-"))
            writer.add_page("https://x.test/9", b"\x00\xffbody")
            await writer.close()
            return writer

    async def resend() -> tuple[Any, ...]:
        async with database(server.uri, "finews") as db:
            counts = await resend_dead_letters(db, dead_dir)
            ids = await db.articles.distinct("_id")
            versions = await db.articles.distinct("version")
            rejects = await db.rejects.find().to_list()
            page = await db.pages.find_one({"_id": "https://x.test/9"})
            return counts, ids, versions, rejects, page

    crashed = run(crawl())
    assert crashed.counts.dead_lettered > 0
    assert crashed.counts.new + crashed.counts.dead_lettered == 302
    assert crashed.dead_letter_path is not None and crashed.dead_letter_path.exists()
    dead_file = crashed.dead_letter_path

    server.start()  # same port, same data
    counts, ids, versions, rejects, page = run(resend())
    # A batch whose reply was lost when the server went down may be stored *and*
    # dead-lettered: resending it finds it already there (unchanged), never twice.
    assert counts.new + counts.unchanged + crashed.counts.new == 300
    assert counts.dead_lettered == 0
    assert sorted(ids) == sorted(d["_id"] for d in docs) and versions == [1]
    assert [(r["url"], r["count"]) for r in rejects] == [("https://x.test/9", 1)]
    assert page is not None and zlib.decompress(page["body"]) == b"\x00\xffbody"
    assert not dead_file.exists() and (dead_dir / "sent" / dead_file.name).exists()

    # sending the same file again changes nothing but last_seen_at
    shutil.copy(dead_dir / "sent" / dead_file.name, dead_file)
    counts, ids, versions, _, _ = run(resend())
    assert counts.new == 0 and counts.updated == 0 and len(ids) == 300 and versions == [1]


def test_unreachable_server_fails_fast_and_redacted() -> None:
    uri = f"mongodb://finews:hunter2@127.0.0.1:{free_port()}/"
    started = time.monotonic()
    with pytest.raises(StoreUnavailable) as error:
        run(connect(uri, timeout_s=2))
    assert time.monotonic() - started < 10
    assert "hunter2" not in str(error.value) and "127.0.0.1" in str(error.value)
    assert redact(uri) in str(error.value)


def test_pipeline_refuses_to_start_without_a_store(tmp_path: Path) -> None:
    uri = f"mongodb://127.0.0.1:{free_port()}/"
    crawler = get_crawler(
        Spider,
        {"MONGO_URI": uri, "MONGO_TIMEOUT_SECONDS": 1, "FINEWS_HOME": str(tmp_path)},
    )
    pipeline = MongoPipeline.from_crawler(crawler)
    started = time.monotonic()
    with pytest.raises(StoreUnavailable, match=r"127\.0\.0\.1"):
        run(pipeline.open_spider())
    assert time.monotonic() - started < 10


def test_pipeline_stores_items_pages_and_counts(
    mongo_uri: str, mongo_db: str, make_article: MakeArticle, tmp_path: Path
) -> None:
    class NewsSpider(Spider):
        name = "news"

    settings = {"MONGO_URI": mongo_uri, "MONGO_DATABASE": mongo_db, "FINEWS_HOME": str(tmp_path)}
    crawler = get_crawler(NewsSpider, settings)
    spider = NewsSpider()
    doc = make_article(10)
    rejection = Rejection("https://x.test/r", "parse", "no_body", "empty")
    page_url = doc["url"]

    async def scenario() -> None:
        pipeline = MongoPipeline.from_crawler(crawler)
        await pipeline.open_spider()
        assert await pipeline.process_item(doc) is doc
        assert await pipeline.process_item(rejection) is rejection
        for meta in ({ARTICLE: True}, {}):
            request = Request(page_url if meta else "https://x.test/list", meta=meta)
            response = HtmlResponse(request.url, body=b"<html>a</html>", request=request)
            crawler.signals.send_catch_log(
                signals.response_received, response=response, request=request, spider=spider
            )
        await pipeline.close_spider()
        async with database(mongo_uri, mongo_db) as db:
            assert await db.articles.count_documents({}) == 1
            assert await db.rejects.count_documents({"reason": "no_body"}) == 1
            assert await db.pages.distinct("_id") == [page_url]

    run(scenario())
    stats = crawler.stats
    assert stats is not None
    assert stats.get_value("finews/articles/new") == 1
    assert stats.get_value("finews/pages/stored") == 1
    assert stats.get_value("finews/dead_lettered") is None


def test_data_dir_is_locked(restartable_server: EmbeddedServer) -> None:
    with pytest.raises(StoreLocked, match="in use"):
        EmbeddedServer(restartable_server.home).start()


def _stock(
    secid: str,
    code: str,
    name: str | None,
    roles: list[str],
    kind: str = "stock",
    market: str | None = None,
) -> Doc:
    market_id = int(secid.split(".")[0])
    default_market = {116: "HK", 1: "SH", 0: "SZ"}.get(market_id, "OTHER")
    return {
        "secid": secid,
        "code": code,
        "market_id": market_id,
        "market": market or default_market,
        "kind": kind,
        "name": name,
        "roles": roles,
    }


def test_seen_times_are_milliseconds() -> None:
    now = utcnow()
    assert now.microsecond % 1000 == 0 and now.utcoffset() == timedelta(0)


@pytest.mark.parametrize("stored_before", [False, True], ids=["inserting", "merging"])
def test_two_writers_at_once_lose_nothing(
    mongo_uri: str, mongo_db: str, make_article: MakeArticle, tmp_path: Path, stored_before: bool
) -> None:
    """Two routes of the same 300 articles written at once: the guards (or the duplicate
    key on insert) make the later writer plan again, so no URL or tag is lost."""
    ids = range(300)
    route_a = [make_article(n, tags=["甲"]) for n in ids]
    route_b = [make_article(n, tags=["乙"], url=f"https://newsshare.example/{n}") for n in ids]

    async def feed(writer: ArticleWriter, docs: list[Doc]) -> None:
        for doc in docs:
            await writer.add(doc)
        await writer.close()

    async def scenario() -> None:
        async with database(mongo_uri, mongo_db) as db:
            if stored_before:
                await write(db, [make_article(n) for n in ids], tmp_path)
            writers = [ArticleWriter(db, batch_size=25, dead_letter_dir=tmp_path) for _ in "ab"]
            await asyncio.gather(feed(writers[0], route_a), feed(writers[1], route_b))
            docs = await dump(db, "articles")
            assert len(docs) == 300
            assert all({"甲", "乙"} <= set(d["tags"]) and len(d["urls"]) == 2 for d in docs)
            counts = [w.counts for w in writers]
            assert sum(c.new for c in counts) == (0 if stored_before else 300)
            assert sum(c.unchanged for c in counts) == (600 if stored_before else 300)
            assert sum(c.dead_lettered for c in counts) == 0

    run(scenario())


def test_a_full_page_buffer_flushes_in_the_background(mongo_uri: str, mongo_db: str) -> None:
    async def scenario() -> None:
        async with database(mongo_uri, mongo_db) as db:
            writer = ArticleWriter(db, batch_size=3, flush_seconds=0, dead_letter_dir=Path("."))
            for n in range(3):
                writer.add_page(f"https://x.test/{n}", b"body %d" % n)
            for _ in range(100):
                if await db.pages.count_documents({}) == 3:
                    break
                await asyncio.sleep(0.02)
            assert await db.pages.count_documents({}) == 3
            await writer.close()
            assert writer.counts.pages_stored == 3

    run(scenario())
