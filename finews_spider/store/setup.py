"""Connecting, and the collections with their validator and indexes."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Any

from pymongo import ASCENDING, DESCENDING, AsyncMongoClient, IndexModel, WriteConcern
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import CollectionInvalid, OperationFailure, PyMongoError

from finews_spider.schema import mongo_validator
from finews_spider.settings import resolve
from finews_spider.store.config import StoreConfig, redact
from finews_spider.store.embedded import EmbeddedServer
from finews_spider.store.errors import StoreUnavailable

Doc = dict[str, Any]

ARTICLES = "articles"
ARTICLE_VERSIONS = "article_versions"
REJECTS = "rejects"
PAGES = "pages"
RUNS = "runs"

_NAMESPACE_EXISTS = 48
#: Unauthorized, and what some servers answer for a command the role lacks
UNAUTHORIZED = (13, 8000)

logger = logging.getLogger(__name__)


def default_appname(purpose: str = "") -> str:
    """What the server's logs, currentOp and profiler show for this client."""
    from finews_spider import version

    return f"finews/{version()}" + (f" {purpose}" if purpose else "")


#: Chinese keyword search (finews_spider.analysis.search). Not made on SecantusDB, whose
#: multikey index upkeep cuts its insert rate about 25-fold; search still answers there, by scan.
SEARCH_INDEX = IndexModel([("search_terms", ASCENDING)], name="search_terms")

_INDEXES: dict[str, list[IndexModel]] = {
    ARTICLES: [
        IndexModel([("published_at", DESCENDING)], name="published_at"),
        IndexModel(
            [("stock_codes", ASCENDING), ("published_at", DESCENDING)], name="stock_published"
        ),
        IndexModel(
            [("category", ASCENDING), ("published_at", DESCENDING)], name="category_published"
        ),
        IndexModel([("outlet", ASCENDING), ("published_at", DESCENDING)], name="outlet_published"),
        # The securities master recomputes a security from the articles naming it.
        IndexModel([("stocks.secid", ASCENDING)], name="stocks_secid"),
        IndexModel([("info_code", ASCENDING)], name="info_code"),
        IndexModel([("urls", ASCENDING)], name="urls"),
        SEARCH_INDEX,
    ],
    "securities": [
        IndexModel([("code", ASCENDING)], name="code"),
        IndexModel([("names.name", ASCENDING)], name="names"),
    ],
    ARTICLE_VERSIONS: [
        IndexModel([("article_id", ASCENDING), ("version", ASCENDING)], unique=True, name="key"),
        IndexModel([("article_id", ASCENDING), ("doc.content_hash", ASCENDING)], name="hash"),
    ],
    REJECTS: [
        IndexModel(
            [("url", ASCENDING), ("stage", ASCENDING), ("reason", ASCENDING)],
            unique=True,
            name="key",
        ),
        IndexModel([("reason", ASCENDING), ("last_seen_at", DESCENDING)], name="reason_seen"),
    ],
    PAGES: [],  # _id is the URL
    RUNS: [],
}


def write_concern_options(value: str | None = None) -> dict[str, Any]:
    """Client options for MONGO_WRITE_CONCERN (the argument, else resolved: environment, default):
    `majority`, a number of members, or a tag set name; unset keeps the URI's (or the
    server's default). Retryable writes are pymongo's default (`retryWrites=true`)."""
    value = str((value if value is not None else resolve("MONGO_WRITE_CONCERN")) or "").strip()
    if not value:
        return {}
    return {"w": int(value) if value.isdigit() else value}


async def is_secantus(client: AsyncMongoClient[Doc]) -> bool:
    """Whether the server is SecantusDB (the embedded store, or `finews serve`)."""
    try:
        info = await client.admin.command("buildInfo")
    except PyMongoError:
        return False
    return "secantusVersion" in info


def journaled(db: AsyncDatabase[Doc]) -> AsyncDatabase[Doc]:
    """`db` whose writes are acknowledged once journaled (j: true). SecantusDB does not sync
    its journal on commit by default: an acknowledged write was lost when it was killed."""
    concern = db.write_concern.document
    if concern.get("w") == 0:
        return db  # unacknowledged on purpose: nothing to journal
    return db.with_options(write_concern=WriteConcern(**{**concern, "j": True}))


async def connect(
    uri: str,
    *,
    timeout_s: float = 5.0,
    write_concern: str | None = None,
    appname: str | None = None,
) -> AsyncMongoClient[Doc]:
    """A client that has answered `ping`, or StoreUnavailable naming the redacted URI.

    `timeout_s` is also the server-selection timeout of every later operation, which
    the writer's retries build on. `write_concern`: see `write_concern_options`."""
    ms = max(int(timeout_s * 1000), 100)
    client: AsyncMongoClient[Doc] = AsyncMongoClient(
        uri,
        tz_aware=True,
        serverSelectionTimeoutMS=ms,
        connectTimeoutMS=ms,
        appname=appname or default_appname(),
        **write_concern_options(write_concern),
    )
    try:
        await client.admin.command("ping")
    except PyMongoError as exc:
        await client.close()
        raise StoreUnavailable(
            f"MongoDB at {redact(uri)} did not answer within {timeout_s:g}s: "
            f"{type(exc).__name__}: {str(exc)[:300]}"
        ) from exc
    return client


async def ensure_collections(
    db: AsyncDatabase[Doc], *, admin: bool = False, search_index: bool | None = None
) -> list[str]:
    """Make the collections, the articles validator and the indexes what the contract says,
    changing only what differs; returns what was changed.

    A crawler's user needs only the readWrite role: it creates what is missing (readWrite
    may) and leaves the rest alone. A validator that differs needs `collMod` (dbAdmin):
    without it, a crawl warns and goes on with the old validator, and `finews init-db`
    (`admin=True`: a refusal is an error) applies it. `search_index`: whether to make the
    search-terms index (None: on every server but SecantusDB, see SEARCH_INDEX)."""
    if search_index is None:
        search_index = not await is_secantus(db.client)
    validation = {
        "validator": mongo_validator(),
        "validationLevel": "strict",
        "validationAction": "error",
    }
    changed: list[str] = []
    existing = {c["name"]: c.get("options", {}) async for c in await db.list_collections()}
    for name, indexes in _INDEXES.items():
        wanted = validation if name == ARTICLES else {}
        if name not in existing:
            try:
                await db.create_collection(name, **wanted)
                changed.append(f"created {name}")
            except CollectionInvalid:
                existing[name] = {}  # another crawl created it since the listing
            except OperationFailure as exc:
                if exc.code != _NAMESPACE_EXISTS:
                    raise
                existing[name] = {}
        if name in existing and any(existing[name].get(k) != v for k, v in wanted.items()):
            try:
                await db.command("collMod", name, **wanted)
                changed.append(f"validator of {name}")
            except OperationFailure as exc:
                if admin or exc.code not in UNAUTHORIZED:
                    raise
                logger.warning(
                    "the %s validator differs from the contract and this user may not change "
                    "it (collMod needs dbAdmin): run `finews init-db` as an administrator",
                    name,
                )
        if not search_index:
            indexes = [i for i in indexes if i is not SEARCH_INDEX]
        if indexes:
            present = await db[name].index_information()
            missing = [i for i in indexes if not _has_index(present, i)]
            if missing:
                await db[name].create_indexes(missing)
                changed += [f"index {name}.{i.document['name']}" for i in missing]
    return changed


def _has_index(present: dict[str, Any], index: IndexModel) -> bool:
    spec = index.document
    found = present.get(spec["name"])
    return (
        found is not None
        and [tuple(k) for k in found["key"]] == list(spec["key"].items())
        and bool(found.get("unique")) == bool(spec.get("unique"))
    )


@dataclass
class OpenStore:
    """A connected, set-up database, and the embedded server behind it if one was started."""

    uri: str
    client: AsyncMongoClient[Doc]
    db: AsyncDatabase[Doc]
    server: EmbeddedServer | None = None

    async def close(self) -> None:
        try:
            await self.client.close()
        finally:
            if self.server is not None:
                await asyncio.to_thread(self.server.stop)  # blocking, and slow


async def open_store(
    config: StoreConfig,
    *,
    timeout_s: float = 5.0,
    write_concern: str | None = None,
    appname: str | None = None,
    setup: bool = True,
) -> OpenStore:
    """Connect to `config.uri`, or start the embedded server when there is none; then
    ensure the collections. Raises StoreUnavailable / EmbeddedUnavailable / StoreLocked."""
    server: EmbeddedServer | None = None
    uri = config.uri
    client: AsyncMongoClient[Doc] | None = None
    try:
        if uri is None:
            server = EmbeddedServer(config.home)
            uri = await asyncio.to_thread(server.start)
        client = await connect(
            uri, timeout_s=timeout_s, write_concern=write_concern, appname=appname
        )
        db = client[config.database]
        if server is not None or await is_secantus(client):
            db = journaled(db)
        if setup:
            await ensure_collections(db)
    except BaseException:
        if client is not None:
            await client.close()
        if server is not None:
            await asyncio.to_thread(server.stop)
        raise
    return OpenStore(uri, client, db, server)
