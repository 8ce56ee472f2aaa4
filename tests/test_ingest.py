"""The ingestion service (`finews_spider.ingest`) against the real store: the ledger's
counts and stats keys, the sink's writes, and one run from first page to its `runs` record."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import zlib
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pymongo import MongoClient

from finews_spider.ingest.ledger import Ledger, ledger, ledger_of, store_stats
from finews_spider.ingest.pages import StoredPage, stored_page
from finews_spider.ingest.run import Ingestion
from finews_spider.ingest.sink import RECORDED, Sink, SinkOptions, document
from finews_spider.model import ARTICLE_FIELDS, Article, Rejection
from finews_spider.parsing import MAX_PAGE_BYTES
from finews_spider.store import resolve_config

MakeArticle = Callable[..., dict[str, Any]]


def test_ingest_knows_nothing_of_scrapy_or_its_shells() -> None:
    code = (
        "import sys; import finews_spider.ingest.run, finews_spider.ingest.pages; "
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'scrapy', 'twisted', 'pipelines'}"
        " | {m for m in sys.modules if m.startswith(('finews_spider.extensions', "
        "'finews_spider.spiders', 'finews_spider.batch'))}))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.stdout.strip() == "[]", out.stdout + out.stderr


def _rejection(reason: str = "no_body", url: str = "https://x.test/r") -> Rejection:
    return Rejection(url, "parse", reason, "empty")


class _Stats:
    """A crawl's stats collector as far as `Ledger.publish` uses it."""

    def __init__(self) -> None:
        self.values: dict[str, Any] = {}
        self.sets = 0

    def set_value(self, key: str, value: Any) -> None:
        self.values[key] = value
        self.sets += 1


def test_ledger_counts_under_the_crawl_keys_and_balances(make_article: MakeArticle) -> None:
    book = Ledger()
    assert book.stats() == {}  # nothing moved: no key, as a crawl that counted nothing
    book.page_read(3)
    book.account(make_article(1))
    book.account(_rejection("no_body"))
    book.account(_rejection("no_body", "https://x.test/s"))
    stats = book.stats()
    assert stats["finews/pages_read"] == 3
    assert stats["finews/articles"] == 1
    assert stats["finews/rejected"] == 2 and stats["finews/rejected/no_body"] == 2
    assert stats["finews/coverage/title"] == 1
    accounts = ledger(stats)
    assert accounts["balanced"] and accounts["rejected_by_reason"] == {"no_body": 2}


def test_a_page_that_became_nothing_unbalances_the_ledger() -> None:
    book = Ledger()
    book.page_read()
    book.error()
    assert book.stats()["finews/batch/errors"] == 1
    assert not ledger(book.stats())["balanced"]


def test_the_stats_copy_the_ledger_and_only_what_changed(make_article: MakeArticle) -> None:
    book, stats = Ledger(), _Stats()
    book.page_read()
    book.publish(stats)
    book.account(make_article(1))
    book.publish(stats)
    sets = stats.sets
    book.publish(stats)  # nothing changed: nothing written
    assert stats.sets == sets
    assert stats.values == book.stats()


def test_one_ledger_per_run() -> None:
    class Run:
        pass

    one, other = Run(), Run()
    assert ledger_of(one) is ledger_of(one)
    assert ledger_of(one) is not ledger_of(other)


def test_store_stats_keep_a_key_once_shown() -> None:
    counts = {"new": 0, "updated": 2, "unchanged": 0, "refused": 0, "pages_stored": 0}
    counts |= {"pages_unchanged": 0, "dead_lettered": 0, "dead_lettered_articles": 0}
    counts |= {"retries": 0}
    assert store_stats(counts, {}) == {"finews/articles/updated": 2}
    shown = {"finews/articles/new": 1}
    assert store_stats(counts, shown) == {"finews/articles/updated": 2, "finews/articles/new": 0}


def test_document_is_the_one_way_an_article_becomes_the_writers(
    make_article: MakeArticle,
) -> None:
    doc = make_article(1)
    assert document(doc) is doc  # a document already: passed on as it is
    article = Article(**{k: v for k, v in doc.items() if k in ARTICLE_FIELDS})
    assert document(article) == article.document()
    assert list(document(article)) == [k for k in ARTICLE_FIELDS if k in doc]


def test_a_stored_page_reads_back_or_is_rejected() -> None:
    context = '{"url": "https://x.test/a", "fetched_at": null}'
    read = stored_page("file:///a.md", zlib.compress(b"body"), context, None, None)
    assert isinstance(read, StoredPage) and read.url == "https://x.test/a"
    assert read.body == b"body" and read.context.fetched_at is None
    bad = stored_page("file:///b.md", zlib.compress(b"body"), "{not json", None, None)
    assert isinstance(bad, Rejection) and bad.reason == "context_invalid"
    assert bad.url == "file:///b.md"


def test_sink_writes_articles_rejects_and_pages(
    mongo_uri: str, mongo_db: str, make_article: MakeArticle, tmp_path: Path
) -> None:
    doc = make_article(5)

    async def scenario() -> Sink:
        config = resolve_config(uri=mongo_uri, database=mongo_db, home=str(tmp_path))
        sink = await Sink.open(config, SinkOptions(flush_seconds=0))
        await sink.put(doc)
        await sink.put(_rejection())
        assert sink.add_page(doc["url"], b"<html>a</html>", "text/html", {"url": doc["url"]})
        # over the parser's limit: the parser refuses it, so a reparse must never see it
        assert not sink.add_page("https://x.test/big", b"x" * (MAX_PAGE_BYTES + 1), None)
        await sink.close()
        await sink.release()
        return sink

    sink = asyncio.run(scenario())
    assert sink.store_stats({}) == {"finews/articles/new": 1, "finews/pages/stored": 1}
    with MongoClient(mongo_uri) as client:
        db = client[mongo_db]
        assert db.articles.count_documents({}) == 1
        assert db.rejects.count_documents({"reason": "no_body"}) == 1
        page = db.pages.find_one({})
        assert page is not None and page["_id"] == doc["url"]
        assert page["context"] == '{"url": "' + doc["url"] + '"}'


def test_sink_keeps_no_pages_when_they_are_the_input(
    mongo_uri: str, mongo_db: str, tmp_path: Path
) -> None:
    async def scenario() -> None:
        config = resolve_config(uri=mongo_uri, database=mongo_db, home=str(tmp_path))
        sink = await Sink.open(config, store_pages=False)
        assert not sink.add_page("https://x.test/a", b"a", None)
        await sink.close()
        await sink.release()

    asyncio.run(scenario())
    with MongoClient(mongo_uri) as client:
        assert client[mongo_db].pages.count_documents({}) == 0


def test_a_run_from_first_page_to_its_record(
    mongo_uri: str, mongo_db: str, make_article: MakeArticle, tmp_path: Path
) -> None:
    started = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)

    async def scenario() -> Any:
        config = resolve_config(uri=mongo_uri, database=mongo_db, home=str(tmp_path))
        sink = await Sink.open(config)
        run = Ingestion(sink, "batch", started)
        page = ("file:///a.md", b"a", None, '{"fetched_at": null}')
        await run.take("file:///a.md", make_article(1), page=page)
        await run.take("file:///b.md", _rejection("date_missing", "file:///b.md"))
        result = await run.finish("finished", 1.0)
        await sink.release()
        return result

    result = asyncio.run(scenario())
    assert result.ok and result.errors == 0
    assert result.line.startswith("batch-20260102T030405+0000 finews batch: finished; ")
    assert "pages=2 articles new=1 updated=0 unchanged=0 rejected=1 (date_missing:1)" in result.line
    assert "balanced=yes" in result.line
    with MongoClient(mongo_uri) as client:
        db = client[mongo_db]
        record = db.runs.find_one({"run_id": "batch-20260102T030405+0000"})
        assert record is not None and record["pages_read"] == 2 and record["balanced"]
        assert record["rejected_by_reason"] == {"date_missing": 1} and not record["failed"]
        assert db.pages.count_documents({}) == 1


def test_a_page_nobody_accounts_for_fails_the_run(
    mongo_uri: str, mongo_db: str, tmp_path: Path
) -> None:
    """The core failing on a page (neither article nor reject) unbalances the ledger."""

    async def scenario() -> Any:
        config = resolve_config(uri=mongo_uri, database=mongo_db, home=str(tmp_path))
        sink = await Sink.open(config)
        run = Ingestion(sink, "batch", datetime.now(UTC))
        await run.take("file:///x.md", None, error="TypeError: boom")
        result = await run.finish("finished", 1.0)
        await sink.release()
        return result

    result = asyncio.run(scenario())
    assert not result.ok and result.errors == 1
    assert "balanced=NO" in result.line and "FAILED" in result.line
    with MongoClient(mongo_uri) as client:
        record = client[mongo_db].runs.find_one({})
        assert record is not None and record["failed"] and not record["balanced"]


def test_a_run_record_the_store_cannot_take_is_dead_lettered(
    mongo_uri: str, mongo_db: str, tmp_path: Path
) -> None:
    async def scenario() -> tuple[str, Sink]:
        config = resolve_config(uri=mongo_uri, database=mongo_db, home=str(tmp_path))
        sink = await Sink.open(config)
        await sink.release()  # the store is gone when the run ends
        from finews_spider.store import RetryPolicy

        sink.writer.retry = RetryPolicy(tries=1, first_delay=0, budget=0.1)
        book = ledger({})
        recorded = await sink.record_run(
            "r1", "batch", book, reason="finished", failed=False, started_at=None
        )
        return recorded, sink

    recorded, sink = asyncio.run(scenario())
    assert recorded != RECORDED
    assert sink.writer.dead_letter_path is not None and sink.writer.dead_letter_path.exists()
