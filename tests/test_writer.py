"""The writer's flow: batch sizes under a slow store, kinds written at once, nothing lost
when one kind's write fails while the others go on."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from pymongo import AsyncMongoClient, monitoring
from test_store import database, dump, run

from finews_spider.model import Rejection
from finews_spider.store import ArticleWriter
from finews_spider.store.deadletters import decode

pytestmark = pytest.mark.store

Doc = dict[str, Any]
MakeArticle = Callable[..., Doc]


class _Writes(monitoring.CommandListener):
    """The sizes of the `rejects` updates the server acknowledged, in order."""

    def __init__(self) -> None:
        self.asked: dict[int, int] = {}
        self.sizes: list[int] = []

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        if event.command_name == "update" and event.command.get("update") == "rejects":
            self.asked[event.request_id] = len(event.command.get("updates", []))

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        if event.request_id in self.asked:
            self.sizes.append(self.asked.pop(event.request_id))

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        pass


@asynccontextmanager
async def slow_store(tmp_path: Path, block_ms: int) -> AsyncIterator[tuple[Any, _Writes]]:
    """A store whose first `rejects` write takes `block_ms` (a fail point of an in-process
    embedded server, which takes test commands), and what it acknowledged."""
    from secantus.server import SecantusDBServer

    server = SecantusDBServer(port=0, storage_path=str(tmp_path / "db"))
    server.start()
    appname = "finews-slow-store-test"
    writes = _Writes()
    client: AsyncMongoClient[Doc] = AsyncMongoClient(
        f"mongodb://127.0.0.1:{server.port}/", appname=appname, event_listeners=[writes]
    )
    try:
        await client.admin.command(
            "configureFailPoint",
            "failCommand",
            mode={"times": 1},
            data={
                "failCommands": ["update"],
                "blockConnection": True,
                "blockTimeMS": block_ms,
                "appName": appname,
            },
        )
        yield client["finews_slow"], writes
    finally:
        await client.close()
        server.stop()


def _rejection(n: int) -> Rejection:
    return Rejection(f"https://x.test/{n}", "dates", "no_date", "")


def test_a_slow_store_gets_full_batches_not_ever_smaller_ones(tmp_path: Path) -> None:
    """While a write is in flight the age flush waits: what arrives meanwhile is written as
    full batches, not as one small batch per flush interval."""

    async def scenario() -> None:
        async with slow_store(tmp_path, block_ms=4000) as (db, writes):
            writer = ArticleWriter(
                db, batch_size=50, flush_seconds=0.05, max_queued=10, dead_letter_dir=tmp_path
            )
            for n in range(5):
                await writer.add_rejection(_rejection(n))
            await asyncio.sleep(0.2)  # aged: flushed, and the server holds its write
            assert len(writer._tasks) == 1
            for n in range(5, 105):
                await writer.add_rejection(_rejection(n))
                await asyncio.sleep(0.002)  # 0.2 s: four flush intervals pass meanwhile
            assert len(writer._tasks) == 3  # the first, then two full batches; nothing by age
            await writer.close()
            assert writes.sizes == [5, 50, 50]
            assert writer.counts.rejects == 105
            assert await db.rejects.count_documents({}) == 105

    run(scenario())


def test_an_aged_buffer_is_flushed_once_the_write_in_flight_ends(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with slow_store(tmp_path, block_ms=1500) as (db, writes):
            writer = ArticleWriter(db, batch_size=50, flush_seconds=0.05, dead_letter_dir=tmp_path)
            await writer.add_rejection(_rejection(1))
            await asyncio.sleep(0.2)  # aged: flushed, and the server holds its write
            await writer.add_rejection(_rejection(2))
            await asyncio.sleep(0.2)  # aged too, but a write is in flight
            assert writes.sizes == [] and len(writer._buf) == 1
            for _ in range(1000):
                if writes.sizes == [1, 1]:
                    break
                await asyncio.sleep(0.01)
            assert writes.sizes == [1, 1]  # written without close
            await writer.close()
            assert await db.rejects.count_documents({}) == 2

    run(scenario())


def test_a_failed_kind_is_dead_lettered_while_the_others_are_stored(
    mongo_uri: str, mongo_db: str, make_article: MakeArticle, tmp_path: Path
) -> None:
    """The kinds of a batch are written at once: pages failing mid-way lose nothing, and
    the articles, rejects and the securities master written beside them are stored."""
    docs = [make_article(n) for n in range(1, 31)]

    async def scenario() -> None:
        async with database(mongo_uri, mongo_db) as real:
            # the server refuses every page: a validator no page document meets
            await real.command(
                "collMod", "pages", validator={"$jsonSchema": {"required": ["never_there"]}}
            )
            writer = ArticleWriter(real, batch_size=100, dead_letter_dir=tmp_path)
            for doc in docs:
                writer.add_page(doc["url"], b"<html>" + doc["_id"].encode(), "text/html")
                await writer.add(doc)
            for n in range(3):
                await writer.add_rejection(Rejection(f"https://x.test/{n}", "dates", "x", ""))
            await writer.close()
            assert len(await dump(real, "articles")) == 30
            assert len(await dump(real, "rejects")) == 3
            assert await real.pages.count_documents({}) == 0
            counts = writer.counts
            assert (counts.new, counts.rejects, counts.pages_stored) == (30, 3, 0)
            assert (counts.dead_lettered, counts.dead_lettered_articles) == (30, 0)
            assert writer.dead_letter_path is not None
            lines = writer.dead_letter_path.read_text("utf-8").splitlines()
            assert sorted(decode(line).doc["url"] for line in lines) == sorted(
                d["url"] for d in docs
            )
            stocks = {s["secid"] for d in docs for s in d.get("stocks") or []}
            assert {m["_id"] for m in await dump(real, "securities")} == stocks

    run(scenario())
