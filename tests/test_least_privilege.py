"""A crawler whose user has only the readWrite role: setup changes only what differs, and
`finews init-db` is the administrator's way to apply a new contract."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from pymongo import AsyncMongoClient, MongoClient, monitoring

from finews_spider.store.setup import connect, default_appname, ensure_collections

ROOT = Path(__file__).resolve().parents[1]
#: commands a readWrite user may be refused (collMod) or that change the database
SETUP_COMMANDS = {"create", "collMod", "createIndexes"}


class Commands(monitoring.CommandListener):
    def __init__(self) -> None:
        self.names: list[str] = []

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        self.names.append(event.command_name)

    def succeeded(self, event: Any) -> None:
        pass

    def failed(self, event: Any) -> None:
        pass


async def _setup_twice(uri: str, database: str) -> tuple[list[str], list[str], list[str]]:
    listener = Commands()
    client: AsyncMongoClient[Any] = AsyncMongoClient(uri, event_listeners=[listener])
    try:
        first = await ensure_collections(client[database])
        listener.names.clear()
        second = await ensure_collections(client[database])
        return first, second, list(listener.names)
    finally:
        await client.close()


def test_setup_changes_nothing_when_nothing_differs(mongo_uri: str, mongo_db: str) -> None:
    first, second, sent = asyncio.run(_setup_twice(mongo_uri, mongo_db))
    assert "created articles" in first and "index articles.published_at" in first
    assert second == []
    assert not SETUP_COMMANDS & set(sent), sent  # only listCollections and listIndexes


def test_init_db_applies_a_validator_that_differs(mongo_uri: str, mongo_db: str) -> None:
    asyncio.run(_setup_twice(mongo_uri, mongo_db))
    with MongoClient(mongo_uri) as client:
        client[mongo_db].command("collMod", "articles", validator={"title": {"$type": "string"}})
        client[mongo_db].articles.drop_index("urls")
    env = {**os.environ, "MONGO_URI": mongo_uri, "MONGO_DATABASE": mongo_db}
    run = subprocess.run(
        [sys.executable, "-m", "finews_spider.cli", "init-db"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == f"{mongo_db}: validator of articles, index articles.urls"
    again = subprocess.run(
        [sys.executable, "-m", "finews_spider.cli", "init-db"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert again.stdout.strip() == f"{mongo_db}: up to date"


def test_the_client_names_itself(mongo_uri: str) -> None:
    async def name() -> str:
        client = await connect(mongo_uri, appname=default_appname("finews"))
        try:
            return client.options.pool_options.metadata["application"]["name"]
        finally:
            await client.close()

    assert asyncio.run(name()).startswith("finews/") and asyncio.run(name()).endswith(" finews")
