"""The store keeps what it acknowledged (issue 15): a refused archive stops its replace,
every batch size makes progress, journaled writes survive SIGKILL of the embedded server,
and a killed crawl's embedded server does not lock every later run out."""

from __future__ import annotations

import asyncio
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import bson
import pytest
from pymongo import MongoClient
from test_replay_files import write_posts
from test_store import database, write

from finews_spider.store.articles import new_document, prepare
from finews_spider.store.writer import utcnow

pytestmark = pytest.mark.store

ROOT = Path(__file__).resolve().parents[1]
Doc = dict[str, Any]
MakeArticle = Callable[..., Doc]
Run = Callable[..., subprocess.CompletedProcess[str]]
BSON_LIMIT = 16 * 1024 * 1024


# --------------------------------------------------------------------------- archives


def test_a_refused_archive_stops_the_replace(
    mongo_uri: str, mongo_db: str, make_article: MakeArticle, tmp_path: Path
) -> None:
    """The store refuses the archive (here: a validator on article_versions): version 1 stays
    as it was, and the new content is a reject, not a silent loss of version 1."""
    old = make_article(1)
    new = make_article(1, body_text="改过的正文。")

    async def scenario() -> None:
        async with database(mongo_uri, mongo_db) as db:
            await write(db, [old], tmp_path)
            v1 = await db.articles.find_one({"_id": old["_id"]})
            await db.command(
                "collMod", "article_versions", validator={"version": {"$type": "string"}}
            )
            writer = await write(db, [new], tmp_path)
            assert (writer.counts.updated, writer.counts.refused) == (0, 1)
            assert await db.articles.find_one({"_id": old["_id"]}) == v1
            reject = await db.rejects.find_one({"url": new["url"]})
            assert reject is not None
            assert (reject["stage"], reject["reason"]) == ("store", "archive_refused")
            assert "archived" in reject["detail"]

    asyncio.run(scenario())


def test_an_article_too_large_to_archive_keeps_its_version(
    mongo_uri: str, mongo_db: str, make_article: MakeArticle, tmp_path: Path
) -> None:
    """Close to 16 MiB the article fits, its archive (the article plus the archive's own
    fields) does not: version 1 must stay."""
    small = make_article(2, body_text="x")
    stored_size = len(bson.encode(new_document(prepare(small), utcnow())))
    # "x x x …" has the same search terms as "x", so only the body's length differs.
    old = make_article(2, body_text="x " * ((BSON_LIMIT - stored_size - 16) // 2))

    async def scenario() -> None:
        async with database(mongo_uri, mongo_db) as db:
            first = await write(db, [old], tmp_path)
            assert first.counts.new == 1, first.counts
            v1 = await db.articles.find_one({"_id": old["_id"]}, {"content_hash": 1})
            assert BSON_LIMIT - 100 < len(bson.encode(await db.articles.find_one())) <= BSON_LIMIT
            writer = await write(db, [make_article(2, body_text="新的正文。")], tmp_path)
            assert writer.counts.updated == 0
            stored = await db.articles.find_one({"_id": old["_id"]}, {"content_hash": 1})
            assert stored == v1
            assert writer.counts.refused + writer.counts.dead_lettered == 1

    asyncio.run(scenario())


# --------------------------------------------------------------------------- batch size 1


def test_batch_size_one_makes_progress_at_the_stores_pace(
    tmp_path: Path, scrapy_run: Run, mongo_uri: str, mongo_db: str
) -> None:
    """One write per bulk is slow, not stuck: the items waiting for the store wake once per
    written batch, not once per queued write each."""
    write_posts(tmp_path / "saved", 300)
    env = {"MONGO_BATCH_SIZE": "1"}
    run = scrapy_run("crawl", "replay", "-a", f"path={tmp_path / 'saved'}", env=env, timeout=240)
    assert "balanced=yes" in run.stderr, run.stderr[-3000:]
    with MongoClient(mongo_uri) as client:
        assert client[mongo_db].articles.count_documents({}) == 300
        assert client[mongo_db].pages.count_documents({}) == 300
