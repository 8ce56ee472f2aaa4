"""The writer's flow: batch sizes under a slow store, kinds written at once, nothing lost
when one kind's write fails while the others go on."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import OperationFailure
from test_store import database, dump, run

from finews_spider.model import Rejection
from finews_spider.store import ArticleWriter
from finews_spider.store.deadletters import decode

pytestmark = pytest.mark.store

Doc = dict[str, Any]
MakeArticle = Callable[..., Doc]


class _Recorded:
    """Bulk writes wait for the gate, then record how many ops they carried; finds find
    nothing."""

    def __init__(self, gate: asyncio.Event, sizes: list[int]) -> None:
        self.gate = gate
        self.sizes = sizes

    def find(self, *args: Any, **kwargs: Any) -> Any:
        class Empty:
            def __aiter__(self) -> Empty:
                return self

            async def __anext__(self) -> Doc:
                raise StopAsyncIteration

        return Empty()

    async def bulk_write(self, ops: list[Any], ordered: bool = False) -> Any:
        await self.gate.wait()
        self.sizes.append(len(ops))

        class Result:
            matched_count = 0

        return Result()


def test_a_slow_store_gets_full_batches_not_ever_smaller_ones(tmp_path: Path) -> None:
    """While a write is in flight the age flush waits: what arrives meanwhile is written as
    full batches, not as one small batch per flush interval."""

    async def scenario() -> None:
        gate = asyncio.Event()
        sizes: list[int] = []
        db: Any = {"rejects": _Recorded(gate, sizes)}
        writer = ArticleWriter(
            db, batch_size=50, flush_seconds=0.05, max_queued=10, dead_letter_dir=tmp_path
        )
        for n in range(5):
            await writer.add_rejection(Rejection(f"https://x.test/{n}", "dates", "no_date", ""))
        await asyncio.sleep(0.2)  # aged: flushed, and its write waits for the gate
        assert len(writer._tasks) == 1
        for n in range(5, 105):
            await writer.add_rejection(Rejection(f"https://x.test/{n}", "dates", "no_date", ""))
            await asyncio.sleep(0.002)  # 0.2 s: four flush intervals pass meanwhile
        assert len(writer._tasks) == 3  # the first, then two full batches; nothing by age
        gate.set()
        await writer.close()
        assert sizes == [5, 50, 50]
        assert writer.counts.rejects == 105

    run(scenario())


def test_an_aged_buffer_is_flushed_once_the_write_in_flight_ends(tmp_path: Path) -> None:
    async def scenario() -> None:
        gate = asyncio.Event()
        sizes: list[int] = []
        db: Any = {"rejects": _Recorded(gate, sizes)}
        writer = ArticleWriter(db, batch_size=50, flush_seconds=0.05, dead_letter_dir=tmp_path)
        await writer.add_rejection(Rejection("https://x.test/a", "dates", "no_date", ""))
        await asyncio.sleep(0.2)
        await writer.add_rejection(Rejection("https://x.test/b", "dates", "no_date", ""))
        await asyncio.sleep(0.2)  # aged, but a write is in flight
        assert sizes == [] and len(writer._buf) == 1
        gate.set()
        for _ in range(100):
            if sizes == [1, 1]:
                break
            await asyncio.sleep(0.01)
        assert sizes == [1, 1]  # written without close
        await writer.close()

    run(scenario())


class _FailingPages:
    """The database, but every write to `pages` is refused."""

    def __init__(self, db: AsyncDatabase[Doc]) -> None:
        self.db = db

    def __getitem__(self, name: str) -> Any:
        if name != "pages":
            return self.db[name]
        real = self.db[name]

        class Pages:
            def find(self, *args: Any, **kwargs: Any) -> Any:
                return real.find(*args, **kwargs)

            async def bulk_write(self, ops: list[Any], **kwargs: Any) -> Any:
                await asyncio.sleep(0.05)  # fails while the articles are being written
                raise OperationFailure("pages refused", code=2)

        return Pages()


def test_a_failed_kind_is_dead_lettered_while_the_others_are_stored(
    mongo_uri: str, mongo_db: str, make_article: MakeArticle, tmp_path: Path
) -> None:
    """The kinds of a batch are written at once: pages failing mid-way lose nothing, and
    the articles, rejects and the securities master written beside them are stored."""
    docs = [make_article(n) for n in range(1, 31)]

    async def scenario() -> None:
        async with database(mongo_uri, mongo_db) as real:
            db: Any = _FailingPages(real)
            writer = ArticleWriter(db, batch_size=100, dead_letter_dir=tmp_path)
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
