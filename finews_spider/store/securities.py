"""The securities master: one document per secid in `securities`, grown from `articles`.

A master document is a function of the stored articles alone (`master_documents`), so the
collection can be rebuilt exactly (`rebuild`). Every write path keeps it current the same
way, from the `ArticleWriter`'s plan of each written article (`Delta`): what an article
adds (a new article, a route that adds roles or a name) is added in place, one atomic
pipeline update per security ($add, $min, $max; names and roles kept in the rebuild's
order), so the cost does not grow with the collection. An article whose instant moves (a
route to the second, a better evidenced offset) moves in place too, guarded on the stored
document showing that another article holds the extreme the old instant may have been. A
change that takes something away (an article leaving a security, a moved instant that held
the extreme, a parser's new output, a resent dead letter, a write another writer raced)
has its securities recomputed from the articles that name them now (`refresh`), which
reads every article naming them. No second pass.

    {_id: secid, code, market_id, market, kind,
     names: [{name, count, first_seen, last_seen}],   # count = articles; seen = published_at
     roles: {chart: n, tag: n, text: n},              # articles per role
     articles: n, first_seen, last_seen}
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterable, Iterable
from datetime import UTC, datetime
from typing import Any

from pymongo import DeleteOne, ReplaceOne, UpdateOne
from pymongo.asynchronous.database import AsyncDatabase

from finews_spider.normalize.names import NAME_SOURCES, name_table

Doc = dict[str, Any]

SECURITIES = "securities"
_PROJECTION = {"stocks": 1, "published_at": 1}
_READ_BATCH = 500
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


def contributions(article: Doc | None) -> dict[str, Doc]:
    """What one stored article counts for each secid it names (unfinished master docs)."""
    out: dict[str, Doc] = {}
    if article:
        add_article(out, article)
    return out


def _merge(into: Doc, part: Doc) -> None:
    """Add one contribution to another (as `add_article` adds articles)."""
    into["articles"] += part["articles"]
    for role, n in part["roles"].items():
        into["roles"][role] = into["roles"].get(role, 0) + n
    for key, pick in (("first_seen", min), ("last_seen", max)):
        into[key] = pick(filter(None, (into[key], part[key])), default=None)
    for name, entry in part["names"].items():
        known = into["names"].get(name)
        if known is None:
            into["names"][name] = dict(entry)
            continue
        known["count"] += entry["count"]
        for key, pick in (("first_seen", min), ("last_seen", max)):
            known[key] = pick(filter(None, (known[key], entry[key])), default=None)


class Delta:
    """The master's change from a flush's written articles: additions per secid, and the
    secids to recompute exactly (`refresh`)."""

    def __init__(self) -> None:
        self.adds: dict[str, Doc] = {}
        self.exact: set[str] = set()
        self.moves: list[tuple[str, Doc, Doc]] = []  # (secid, addition, guard)

    def __bool__(self) -> bool:
        return bool(self.adds or self.exact or self.moves)

    def recompute(self, *docs: Doc | None) -> None:
        self.exact |= secids_of(*docs)

    def recompute_added(self) -> None:
        """Recount instead of adding (idempotent, for a retried write)."""
        self.exact |= self.adds.keys() | {secid for secid, _, _ in self.moves}

    def article(self, before: Doc | None, after: Doc | None) -> None:
        """One article written: `before` and `after` are its stored states (None: absent)."""
        old, new = contributions(before), contributions(after)
        self.exact |= old.keys() - new.keys()
        for secid, part in new.items():
            was = old.get(secid)
            if was is None:
                self._add(secid, part)
            elif was == part or self._moved(secid, was, part):
                continue
            elif (
                was["first_seen"] != part["first_seen"]
                or any(was[k] != part[k] for k in _ENTRY_FIELDS)
                or not was["roles"].keys() <= part["roles"].keys()
                or any(part["names"].get(n) != e for n, e in was["names"].items())
            ):
                self.exact.add(secid)  # something taken away: only a recount is exact
            else:
                gained = {
                    **part,
                    "articles": 0,
                    "roles": {r: n for r, n in part["roles"].items() if r not in was["roles"]},
                    "names": {n: e for n, e in part["names"].items() if n not in was["names"]},
                }
                self._add(secid, gained)

    def _moved(self, secid: str, was: Doc, part: Doc) -> bool:
        """The article's instant moved (a more precise or better evidenced route) and
        nothing was taken away: queue the move, applied in place only where the stored
        document shows another article holds the extreme the old instant may have been."""
        old, new = was["first_seen"], part["first_seen"]
        if (
            old is None
            or new is None
            or old == new
            or any(was[k] != part[k] for k in _ENTRY_FIELDS)
            or not was["roles"].keys() <= part["roles"].keys()
            or not was["names"].keys() <= part["names"].keys()
        ):
            return False
        # Moving later can only raise the minimum, which is exact when the minimum is
        # below the old instant (held by another article); moving earlier, the maximum.
        extreme, beyond = ("first_seen", "$lt") if new > old else ("last_seen", "$gt")
        guard: Doc = {extreme: {beyond: old}}
        if was["names"]:
            guard = {
                "$and": [
                    guard,
                    *(
                        {"names": {"$elemMatch": {"name": name, extreme: {beyond: old}}}}
                        for name in sorted(was["names"])
                    ),
                ]
            }
        addition = {
            **part,
            "articles": 0,
            "roles": {r: n for r, n in part["roles"].items() if r not in was["roles"]},
            # A name the article already counted only moves: count 0, seen at the new instant.
            "names": {
                n: {**e, "count": 0} if n in was["names"] else e for n, e in part["names"].items()
            },
        }
        self.moves.append((secid, addition, guard))
        return True

    def _add(self, secid: str, part: Doc) -> None:
        known = self.adds.get(secid)
        if known is None:
            copy = {**part, "roles": dict(part["roles"])}
            copy["names"] = {n: dict(e) for n, e in part["names"].items()}
            self.adds[secid] = copy
        else:
            _merge(known, part)

    async def apply(self, db: AsyncDatabase[Doc]) -> int:
        """Write the additions, then recount the exact secids; returns the ops written."""
        ops: list[Any] = [
            UpdateOne({"_id": secid}, _add_pipeline(part), upsert=True)
            for secid, part in sorted(self.adds.items())
            if secid not in self.exact  # the recount reads this flush's articles too
        ]
        if ops:
            await db[SECURITIES].bulk_write(ops, ordered=False)
        moves: dict[str, list[tuple[Doc, Doc]]] = {}
        for secid, addition, guard in self.moves:
            if secid not in self.exact:
                moves.setdefault(secid, []).append((addition, guard))
        # One command per security, so that a guard that does not match sends only its
        # own security to the recount.
        moved = await asyncio.gather(*(_move(db, s, m) for s, m in moves.items()))
        self.exact |= {secid for secid, done in zip(moves, moved, strict=True) if not done}
        written = len(ops) + sum(len(m) for m in moves.values())
        return written + (await refresh(db, self.exact) if self.exact else 0)


async def _move(db: AsyncDatabase[Doc], secid: str, moves: list[tuple[Doc, Doc]]) -> bool:
    """Apply one security's guarded moves in order; False when a guard did not match (the
    moved article may have held the extreme: only a recount is exact)."""
    for addition, guard in moves:
        result = await db[SECURITIES].update_one({"_id": secid, **guard}, _add_pipeline(addition))
        if result.matched_count == 0:
            return False
    return True


def _lit(value: Any) -> Doc:
    """Page data as a value, never as a field path or an operator."""
    return {"$literal": value}


def _add_pipeline(part: Doc) -> list[Doc]:
    """One secid's update: `part` added to the stored master document (or to nothing),
    names and roles left in `finish`'s order so the document equals its rebuild."""
    new = {"$eq": [{"$type": "$articles"}, "missing"]}
    old_names = {"$ifNull": ["$names", []]}
    names_of_old = {"$map": {"input": old_names, "as": "o", "in": "$$o.name"}}
    branches = [
        {
            "case": {"$eq": ["$$n.name", _lit(name)]},
            "then": {
                "name": "$$n.name",
                "count": {"$add": ["$$n.count", entry["count"]]},
                "first_seen": {"$min": ["$$n.first_seen", _lit(entry["first_seen"])]},
                "last_seen": {"$max": ["$$n.last_seen", _lit(entry["last_seen"])]},
            },
        }
        for name, entry in part["names"].items()
    ]
    updated: Any = old_names
    if branches:
        updated = {
            "$map": {
                "input": old_names,
                "as": "n",
                "in": {"$switch": {"branches": branches, "default": "$$n"}},
            }
        }
    added = {
        "$filter": {
            "input": _lit(list(part["names"].values())),
            "as": "a",
            "cond": {"$not": [{"$in": ["$$a.name", names_of_old]}]},
        }
    }
    roles = {
        "$mergeObjects": [
            {"$ifNull": ["$roles", {}]},
            {r: {"$add": [{"$ifNull": [f"$roles.{r}", 0]}, n]} for r, n in part["roles"].items()},
        ]
    }
    return [
        {
            "$set": {
                **{k: {"$cond": [new, _lit(part[k]), f"${k}"]} for k in _ENTRY_FIELDS},
                "names": {
                    "$sortArray": {
                        "input": {"$concatArrays": [updated, added]},
                        "sortBy": {"count": -1, "name": 1},
                    }
                },
                "roles": {
                    "$arrayToObject": {
                        "$sortArray": {"input": {"$objectToArray": roles}, "sortBy": {"k": 1}}
                    }
                },
                "articles": {"$add": [{"$ifNull": ["$articles", 0]}, part["articles"]]},
                "first_seen": {"$min": ["$first_seen", _lit(part["first_seen"])]},
                "last_seen": {"$max": ["$last_seen", _lit(part["last_seen"])]},
            }
        }
    ]


def finish(doc: Doc) -> Doc:
    """Names as a list, most seen first (then by name): a stable order for equality."""
    names = sorted(doc["names"].values(), key=lambda n: (-n["count"], n["name"]))
    return {**doc, "names": names, "roles": dict(sorted(doc["roles"].items()))}


async def _articles(db: AsyncDatabase[Doc], secids: list[str] | None) -> AsyncIterable[Doc]:
    # Bounded batches: a popular security is named by a large share of the collection,
    # and a recount must not hold all of it at once.
    query = {"stocks.secid": {"$in": secids}} if secids is not None else {}
    async for article in db.articles.find(query, _PROJECTION, batch_size=_READ_BATCH):
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
