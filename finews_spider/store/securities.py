"""The securities master: one document per secid in `securities`, grown from `articles`.

A master document is a function of the stored articles alone (`master_documents`), so the
collection can be rebuilt exactly (`rebuild`) and every write path keeps it current the same
way: the `ArticleWriter` recomputes, after each write, the secids its articles named before
or after the write (`refresh`), from the articles that name them now. No second pass.

    {_id: secid, code, market_id, market, kind,
     names: [{name, count, first_seen, last_seen}],   # count = articles; seen = published_at
     roles: {chart: n, tag: n, text: n},              # articles per role
     articles: n, first_seen, last_seen}
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterable, Iterable
from datetime import UTC, datetime
from typing import Any

from pymongo import DeleteOne, ReplaceOne
from pymongo.asynchronous.database import AsyncDatabase

from finews_spider.normalize.names import NAME_SOURCES, name_table

Doc = dict[str, Any]

SECURITIES = "securities"
_PROJECTION = {"stocks": 1, "published_at": 1}
_ENTRY_FIELDS = ("code", "market_id", "market", "kind")


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def master_documents(articles: Iterable[Doc], secids: set[str] | None = None) -> dict[str, Doc]:
    """Master documents of `secids` (all when None) from articles' `stocks` and instants."""
    out: dict[str, Doc] = {}
    for article in articles:
        add_article(out, article, secids)
    return {secid: finish(doc) for secid, doc in sorted(out.items())}


def add_article(out: dict[str, Doc], article: Doc, secids: set[str] | None = None) -> None:
    seen = article.get("published_at")
    seen = _aware(seen) if isinstance(seen, datetime) else None
    counted: set[str] = set()
    for entry in article.get("stocks") or []:
        secid = entry.get("secid")
        if not isinstance(secid, str) or secid in counted or (secids and secid not in secids):
            continue
        counted.add(secid)
        doc = out.get(secid)
        if doc is None:
            doc = out[secid] = {
                "_id": secid,
                **{k: entry.get(k) for k in _ENTRY_FIELDS},
                "names": {},
                "roles": {},
                "articles": 0,
                "first_seen": None,
                "last_seen": None,
            }
        doc["articles"] += 1
        for role in entry.get("roles") or []:
            doc["roles"][role] = doc["roles"].get(role, 0) + 1
        if seen is not None:
            doc["first_seen"] = min(filter(None, (doc["first_seen"], seen)))
            doc["last_seen"] = max(filter(None, (doc["last_seen"], seen)))
        name = entry.get("name")
        # A `name` link's name came from this master: it is not seen again.
        if isinstance(name, str) and name and NAME_SOURCES.intersection(entry.get("roles") or []):
            known = doc["names"].setdefault(
                name, {"name": name, "count": 0, "first_seen": seen, "last_seen": seen}
            )
            known["count"] += 1
            if seen is not None:
                known["first_seen"] = min(filter(None, (known["first_seen"], seen)))
                known["last_seen"] = max(filter(None, (known["last_seen"], seen)))


def finish(doc: Doc) -> Doc:
    """Names as a list, most seen first (then by name): a stable order for equality."""
    names = sorted(doc["names"].values(), key=lambda n: (-n["count"], n["name"]))
    return {**doc, "names": names, "roles": dict(sorted(doc["roles"].items()))}


async def _articles(db: AsyncDatabase[Doc], secids: list[str] | None) -> AsyncIterable[Doc]:
    query = {"stocks.secid": {"$in": secids}} if secids is not None else {}
    async for article in db.articles.find(query, _PROJECTION):
        yield article


async def compute(db: AsyncDatabase[Doc], secids: list[str] | None = None) -> dict[str, Doc]:
    """Master documents of `secids` (all when None), from the stored articles."""
    wanted = set(secids) if secids is not None else None
    out: dict[str, Doc] = {}
    async for article in _articles(db, secids):
        add_article(out, article, wanted)
    return {secid: finish(doc) for secid, doc in sorted(out.items())}


async def refresh(db: AsyncDatabase[Doc], secids: Iterable[str]) -> int:
    """Recompute the master documents of `secids`; a secid no article names any more is
    removed. Returns the number of documents written or removed."""
    wanted = sorted(set(secids))
    if not wanted:
        return 0
    docs = await compute(db, wanted)
    ops: list[Any] = [ReplaceOne({"_id": s}, docs[s], upsert=True) for s in wanted if s in docs]
    ops += [DeleteOne({"_id": s}) for s in wanted if s not in docs]
    await db[SECURITIES].bulk_write(ops, ordered=False)
    return len(ops)


async def rebuild(db: AsyncDatabase[Doc]) -> int:
    """The whole collection again from `articles`; returns the number of securities."""
    docs = await compute(db)
    stale = [d["_id"] async for d in db[SECURITIES].find({}, {"_id": 1}) if d["_id"] not in docs]
    ops: list[Any] = [ReplaceOne({"_id": s}, doc, upsert=True) for s, doc in docs.items()]
    ops += [DeleteOne({"_id": s}) for s in stale]
    for start in range(0, len(ops), 1000):
        await db[SECURITIES].bulk_write(ops[start : start + 1000], ordered=False)
    return len(docs)


async def search(db: AsyncDatabase[Doc], query: str | None, limit: int = 50) -> list[Doc]:
    """Securities whose code, secid or a name contains `query` (all when empty), most
    written about first."""
    flt: Doc = {}
    if query:
        pattern = {"$regex": re.escape(query), "$options": "i"}
        flt = {"$or": [{"_id": pattern}, {"code": pattern}, {"names.name": pattern}]}
    cursor = db[SECURITIES].find(flt).sort([("articles", -1), ("_id", 1)]).limit(limit)
    return [doc async for doc in cursor]


async def load_name_table(db: AsyncDatabase[Doc]) -> dict[str, Any]:
    """The core's name table (`normalize.names`) from the master as stored now."""
    fields = {"code": 1, "market_id": 1, "market": 1, "kind": 1, "names.name": 1}
    return name_table([doc async for doc in db[SECURITIES].find({}, fields)])


def secids_of(*docs: Doc | None) -> set[str]:
    """The secids the documents' `stocks` name."""
    return {
        s["secid"]
        for doc in docs
        if doc
        for s in doc.get("stocks") or []
        if isinstance(s, dict) and isinstance(s.get("secid"), str)
    }
