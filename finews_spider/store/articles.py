"""What one article item does to its stored document: pure functions, no I/O.

new -> insert (version 1); same content_hash -> touch (last_seen_at, urls) plus a merge of
the route-dependent fields; same content, other parser_version -> parser fields set in place;
other content_hash -> previous document archived, replaced, version + 1, except when only the
instant differs (the mirror's rendered page shows offset-less posts 8 hours late): then the
instant with the strongest evidence is kept and the routes' instants are recorded
(`published_at_routes`), with no new version, whatever order the routes arrive in.
Every update is guarded by the stored state it was planned from (optimistic concurrency).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from typing import Any, Literal

from jsonschema import FormatChecker
from pymongo import InsertOne, ReplaceOne, UpdateOne

from finews_spider.normalize.contract import Unsupported, compile_schema, no_naive_datetime
from finews_spider.normalize.identity import content_hash
from finews_spider.normalize.securities import stock_codes
from finews_spider.normalize.terms import search_terms
from finews_spider.schema import article_schema, mongo_validator

Doc = dict[str, Any]
Outcome = Literal["new", "updated", "unchanged"]
ArticleOp = InsertOne[Doc] | ReplaceOne[Doc] | UpdateOne

#: Filled from a later route only when the stored value is null.
FILL_FIELDS = ("summary", "outlet", "source_url", "info_code")
#: Taken together from a route that states the time to the second (see `_more_precise`).
DATE_FIELDS = ("published_at", "published_at_raw", "published_tz", "tz_assumed")
#: Must be strings before a document can be planned (they go into filters).
KEY_FIELDS = ("_id", "url", "content_hash", "parser_version")


@cache
def store_fields() -> frozenset[str]:
    props = article_schema()["properties"]
    return frozenset(name for name, sub in props.items() if sub.get("x-store"))


@cache
def _max_items(field: str) -> int:
    return int(article_schema()["properties"][field].get("maxItems", 10**6))


@cache
def _stored_check() -> tuple[Any, bool] | None:
    """The contract compiled for a whole stored document (the store's fields required, as
    the collection's validator requires them), or None when it cannot be compiled."""
    schema = {**article_schema(), "required": mongo_validator()["$jsonSchema"]["required"]}
    try:
        return compile_schema(schema, FormatChecker())
    except Unsupported:
        return None


def proven_valid(doc: Doc) -> bool:
    """True only when `doc`, as a whole stored document, satisfies the contract the
    collection's validator is derived from; the writer skips the server's re-check
    (bypassDocumentValidation) for these and lets it decide every other document."""
    compiled = _stored_check()
    if compiled is None:
        return False
    check, closed = compiled
    return bool(check(doc)) and (closed or no_naive_datetime(doc))


class UnsafeDocument(ValueError):
    """A document that must not be written as it is (operator-like key, missing key field)."""


def check_keys(value: Any, path: str = "") -> None:
    """Refuse `$`-prefixed or dotted keys anywhere: page data must never become operators."""
    if isinstance(value, dict):
        for key, sub in value.items():
            if not isinstance(key, str) or key.startswith("$") or "." in key:
                raise UnsafeDocument(f"key {key!r} at {path or '(document)'} is not allowed")
            if isinstance(sub, dict | list | tuple):  # scalars need no call (most values)
                check_keys(sub, f"{path}/{key}")
    elif isinstance(value, list | tuple):
        for i, sub in enumerate(value):
            if isinstance(sub, dict | list | tuple):
                check_keys(sub, f"{path}/{i}")


def prepare(item: Doc, terms: list[str] | None = None) -> Doc:
    """A copy of an article item fit for planning: store fields dropped, keys checked.
    `terms`: the item's `article_terms`, when the caller computed them already (batch
    workers do, so the parent that writes does not)."""
    doc = {k: v for k, v in item.items() if k not in store_fields()}
    for name in KEY_FIELDS:
        if not isinstance(doc.get(name), str) or not doc[name]:
            raise UnsafeDocument(f"{name} must be a non-empty string, got {doc.get(name)!r}")
    check_keys(doc)
    doc["search_terms"] = article_terms(doc) if terms is None else terms
    return doc


def article_terms(doc: Mapping[str, Any]) -> list[str]:
    """The `search_terms` of a document: computed here only, so every write path (crawl,
    replay, reparse, batch, resend) stores the terms of exactly the text it stores."""
    title, body = doc.get("title"), doc.get("body_text")
    return search_terms(
        title if isinstance(title, str) else None, body if isinstance(body, str) else None
    )


def aware(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def merge_stocks(stored: list[Doc], new: list[Doc]) -> list[Doc]:
    """Stored entries first, in their order; per secid: roles united, first non-null name."""
    out = [dict(s) for s in stored]
    by_secid = {s["secid"]: s for s in out}
    for entry in new:
        current = by_secid.get(entry["secid"])
        if current is None:
            current = dict(entry)
            out.append(current)
            by_secid[entry["secid"]] = current
            continue
        roles = list(current.get("roles") or [])
        roles += [r for r in entry.get("roles") or [] if r not in roles]
        current["roles"] = roles
        if current.get("name") is None and entry.get("name") is not None:
            current["name"] = entry["name"]
    return out[: _max_items("stocks")]


def merge_route_fields(stored: Doc, item: Doc) -> Doc:
    """The route-dependent fields whose merged value differs from the stored one."""
    changes: Doc = {}
    tags = list(stored.get("tags") or [])
    tags += [t for t in dict.fromkeys(item.get("tags") or []) if t not in tags]
    tags = tags[: _max_items("tags")]
    if tags != stored.get("tags"):
        changes["tags"] = tags
    stocks = merge_stocks(stored.get("stocks") or [], item.get("stocks") or [])
    if stocks != stored.get("stocks"):
        changes["stocks"] = stocks
    codes = stock_codes(stocks)
    if codes != stored.get("stock_codes"):
        changes["stock_codes"] = codes
    for name in FILL_FIELDS:
        if stored.get(name) is None and item.get(name) is not None:
            changes[name] = item[name]
    if _more_precise(item.get("published_at"), stored.get("published_at")):
        changes.update({name: item[name] for name in DATE_FIELDS})
    if item["content_hash"] != stored.get("content_hash"):  # a reconciled, stronger instant
        changes.update({name: item[name] for name in (*DATE_FIELDS, "content_hash")})
    routes = item.get("published_at_routes")
    if routes is not None and routes != stored.get("published_at_routes"):
        changes["published_at_routes"] = routes
    return changes


def instant_evidence(doc: Doc) -> int:
    """How far a route's instant can be trusted: 2 an explicit offset, 1 an assumed one
    (Beijing), 0 the mirror's rendered page (offset-less posts show 8 hours late)."""
    if doc.get("page_kind") == "finews_page":
        return 0
    return 1 if doc.get("tz_assumed") else 2


def _route_instant(doc: Doc) -> Doc:
    return {
        "published_at": aware(doc["published_at"]),
        "published_at_raw": doc.get("published_at_raw"),
        "tz_assumed": doc.get("tz_assumed"),
        "page_kind": doc.get("page_kind"),
        "url": doc.get("url"),
        "evidence": instant_evidence(doc),
    }


def reconcile_instant(item: Doc, stored: Doc) -> Doc | None:
    """`item` as it merges into `stored` when the two differ only in their instant, else None.

    The instant with the strongest evidence wins (a tie keeps the stored one); both routes'
    instants are recorded in `published_at_routes`, strongest first."""
    instant = stored.get("published_at")
    if not isinstance(instant, datetime) or not isinstance(item.get("published_at"), datetime):
        return None
    same_text = content_hash(item["title"], aware(instant), item["body_text"])
    if same_text != stored.get("content_hash"):
        return None
    routes = [
        {**r, "published_at": aware(r["published_at"])}
        for r in stored.get("published_at_routes") or []
    ]
    if not routes:
        routes.append(_route_instant(stored))
    kept = max(
        (r["evidence"] for r in routes if r["published_at"] == aware(instant)),
        default=instant_evidence(stored),
    )
    new = _route_instant(item)
    if not any(
        (r["published_at"], r["page_kind"]) == (new["published_at"], new["page_kind"])
        for r in routes
    ):
        routes.append(new)
    merged = dict(item)
    if new["evidence"] <= kept:
        merged.update({name: stored.get(name) for name in DATE_FIELDS})
        merged["content_hash"] = stored["content_hash"]
    routes.sort(key=lambda r: (-r["evidence"], r["published_at"], r["page_kind"] or ""))
    merged["published_at_routes"] = routes[: _max_items("published_at_routes")]
    return merged


def version_hashes(doc: Doc) -> set[str]:
    """The content hashes a stored version stands for: its own, and that of its text at
    each instant another route gave it (`published_at_routes`). A route merged into an
    earlier version is then known as seen before, as the version itself is."""
    hashes = {doc["content_hash"]} if doc.get("content_hash") else set()
    for route in doc.get("published_at_routes") or []:
        instant = route.get("published_at")
        if isinstance(instant, datetime) and doc.get("title") and doc.get("body_text"):
            hashes.add(content_hash(doc["title"], aware(instant), doc["body_text"]))
    return hashes


def _more_precise(new: Any, old: Any) -> bool:
    """An Eastmoney page header says `2024年03月05日 18:20`, the list or post says
    `18:20:31`: both routes hash alike (content_hash is to the minute) and the document
    keeps the time to the second, whichever route came first."""
    if not isinstance(new, datetime) or not isinstance(old, datetime):
        return False
    new, old = aware(new), aware(old)
    return old.second == 0 and new.second != 0 and new.replace(second=0) == old


def pinned(value: Any) -> Doc:
    """A guard's condition that a field still holds `value`: `$eq` said the other way round,
    which SecantusDB's planner leaves to the `_id` lookup instead of looking for an index on
    each guarded field first (a third of a guarded update's cost); the same match on MongoDB."""
    return {"$not": {"$ne": value}}


def new_document(item: Doc, seen_at: datetime) -> Doc:
    return {
        **item,
        "urls": [item["url"]],
        "version": 1,
        "first_seen_at": seen_at,
        "last_seen_at": seen_at,
        "updated_at": seen_at,
    }


@dataclass
class Plan:
    item: Doc
    outcome: Outcome
    op: ArticleOp | None  # None: the stored document already says all this item says
    archive: Doc | None = None  # the previous version, written before `op`
    whole: Doc | None = None  # the whole document the op stores, when known exactly
    #: the stored document once `op` is applied, as far as the securities master reads it
    after: Doc | None = None
    reparsed: bool = False  # the same content, another parser's fields set in place

    @property
    def proven(self) -> bool:
        """The op stores a whole document the contract proves valid (see `proven_valid`)."""
        return self.whole is not None and proven_valid(self.whole)

    @property
    def guarded(self) -> bool:
        """The op matches only the state it was planned from (an insert cannot be matched)."""
        return self.op is not None and not isinstance(self.op, InsertOne)


def plan_article(
    item: Doc,
    stored: Doc | None,
    seen_at: datetime,
    *,
    replay: bool = False,
    seen_before: bool = False,
) -> Plan:
    """The write that brings `stored` up to date with `item` (a `prepare`d copy).

    `replay`: the item comes from a dead letter and may be older than what is stored;
    older content then only adds its URL instead of replacing newer content.
    `seen_before`: the item's content is an archived earlier version of this article
    (another route still serves it); it only adds its URL too, so runs do not flip-flop."""
    if stored is None:
        doc = new_document(item, seen_at)
        return Plan(item, "new", InsertOne(doc), whole=doc, after=doc)
    url = item["url"]
    version = stored.get("version")
    # The version (and content) this plan was made from; parser fields are last-writer-wins.
    guard: Doc = {
        "_id": {"$eq": stored["_id"]},
        "version": pinned(version),
        "content_hash": pinned(stored.get("content_hash")),
    }
    stored_last_seen = aware(stored.get("last_seen_at") or seen_at)
    last_seen = max(stored_last_seen, seen_at)
    stale = seen_before or (replay and seen_at < aware(stored.get("updated_at") or seen_at))
    same = item["content_hash"] == stored.get("content_hash")
    # An earlier version's content (stale) only adds its URL, whatever its instant says.
    if not same and not stale and (reconciled := reconcile_instant(item, stored)) is not None:
        item, same = reconciled, True
    if not same and not stale:
        doc = new_document(item, seen_at)
        doc.update(
            urls=_union(stored.get("urls") or [], url),
            version=(version or 0) + 1,
            first_seen_at=stored.get("first_seen_at") or seen_at,
            last_seen_at=last_seen,
        )
        archive = {
            "_id": f"{stored['_id']}@{version}",
            "article_id": stored["_id"],
            "version": version,
            "archived_at": seen_at,
            "doc": stored,
        }
        return Plan(item, "updated", ReplaceOne(guard, doc), archive, whole=doc, after=doc)
    touch: Doc = {"$addToSet": {"urls": url}, "$max": {"last_seen_at": seen_at}}
    if same and not stale and item["parser_version"] != stored.get("parser_version"):
        fields = {k: v for k, v in item.items() if k != "_id"}
        touch["$set"] = {**fields, "updated_at": seen_at}
        after = _touched(stored, touch["$set"], url, last_seen)
        op = UpdateOne(guard, touch)
        return Plan(
            item, "updated", op, whole=_whole(stored, url, after), after=after, reparsed=True
        )
    changes = merge_route_fields(stored, item) if same else {}
    # A document stored before the terms existed (or by an older tokenizer) gets them now.
    kept = item if same else stored
    terms = kept["search_terms"] if same and "search_terms" in kept else article_terms(kept)
    if terms != stored.get("search_terms"):
        changes["search_terms"] = terms
    known = url in (stored.get("urls") or [])
    if not changes and known and last_seen == stored_last_seen:
        return Plan(item, "unchanged", None)
    if changes:
        # Guard the merged fields too: a concurrent merge must not be overwritten.
        guard.update({name: pinned(stored.get(name)) for name in changes})
        touch["$set"] = {**changes, "updated_at": seen_at}
    after = _touched(stored, touch.get("$set", {}), url, last_seen)
    return Plan(
        item, "unchanged", UpdateOne(guard, touch), whole=_whole(stored, url, after), after=after
    )


def _touched(stored: Doc, sets: Doc, url: str, last_seen: datetime) -> Doc:
    """The document a touch leaves: `stored`, the `$set` fields, the URL and the instant."""
    return {
        **stored,
        **sets,
        "urls": _union(stored.get("urls") or [], url),
        "last_seen_at": last_seen,
    }


def _whole(stored: Doc, url: str, after: Doc) -> Doc | None:
    """`after` as the whole document an update stores, when nothing a concurrent writer may
    do meanwhile can change its validity: its guard pins every field it sets, and `urls`
    (the only field other touches grow, up to maxItems) does not grow here. An update
    that adds a URL is left to the server's validator."""
    return after if url in (stored.get("urls") or []) else None


def _union(urls: list[str], url: str) -> list[str]:
    return urls if url in urls else [*urls, url]
