"""`Articles`: the stored articles for a notebook, a script or the `finews` commands.

    from finews_spider.analysis import Articles
    with Articles() as news:                      # $MONGO_URI, else the embedded store
        news.find(code="00700", since="2024-03-01", until="2024-03-31")
        news.frame(outlet="经济参考网")              # pandas, with the `analysis` extra
        news.search("碳中和", code="600519")

Every query takes the same filters (`FilterArgs`, see `Filters`); times without an offset
are Beijing time. Results are `Article` records with aware UTC datetimes; `frame` gives a
DataFrame whose datetime columns are tz-aware (UTC, or `tz=` of your choice).
"""

from __future__ import annotations

import weakref
from collections.abc import Iterable, Iterator
from types import TracebackType
from typing import TYPE_CHECKING, Any, TypedDict, Unpack

from pymongo import ASCENDING, DESCENDING, MongoClient
from pymongo.database import Database

from finews_spider.analysis.filters import Filters, Role, When, beijing_day
from finews_spider.analysis.records import Article, DayCount, Hit, Mention
from finews_spider.analysis.search import TextQuery, rank_key
from finews_spider.schema import stock_roles
from finews_spider.store.config import StoreConfig, resolve_config
from finews_spider.store.embedded import EmbeddedServer

if TYPE_CHECKING:
    import pandas as pd

Doc = dict[str, Any]
#: Fields a reader never needs from the store (internal index data).
HIDDEN = ("search_terms",)
#: Datetime fields of an article.
DATETIMES = ("published_at", "first_seen_at", "last_seen_at", "updated_at")


class FilterArgs(TypedDict, total=False):
    """The filters every query accepts (see `Filters` for their meaning)."""

    code: str | Iterable[str]
    secid: str | Iterable[str]
    name: str | Iterable[str]
    role: Role
    outlet: str | Iterable[str]
    category: str | Iterable[str]
    since: When
    until: When
    text: str


class Articles:
    """A read-only view of one finews database.

    `uri`/`database`/`home` resolve as everywhere in finews (argument, else MONGO_URI /
    MONGO_DATABASE / FINEWS_HOME): with no URI the embedded store under `home` is started
    and stopped on `close()` (it cannot be open in `finews serve` at the same time: point
    `uri` at that server instead). The client is synchronous and `tz_aware=True`."""

    def __init__(
        self,
        uri: str | None = None,
        database: str | None = None,
        home: str | None = None,
        *,
        config: StoreConfig | None = None,
    ) -> None:
        self.config = config or resolve_config(uri=uri, database=database, home=home)
        self.server: EmbeddedServer | None = None
        address = self.config.uri
        if address is None:
            self.server = EmbeddedServer(self.config.home)
            address = self.server.start()
            # A notebook or script that ends (or fails) without close() still stops it.
            self._stop_at_exit = weakref.finalize(self, self.server.stop)
        self.client: MongoClient[Doc] = MongoClient(
            address, tz_aware=True, serverSelectionTimeoutMS=5000
        )
        self.db: Database[Doc] = self.client[self.config.database]

    def close(self) -> None:
        try:
            self.client.close()
        finally:
            if self.server is not None:
                self._stop_at_exit()
                self.server = None

    def __enter__(self) -> Articles:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # -- articles -----------------------------------------------------------------------

    def query(self, filters: Filters) -> dict[str, Any]:
        """The MongoDB filter for `filters`, text phrases as terms (candidates: a text
        filter must still be confirmed with `TextQuery.matches`)."""
        query = filters.mongo()
        if filters.text:
            text = TextQuery.parse(filters.text)
            query.update(text.mongo(self.rarest(text)))
        return query

    def rarest(self, text: TextQuery, cap: int = 100) -> str | None:
        """The query's term held by the fewest articles, counted on the term index up to
        `cap` each (a count costs what it counts on some servers; past the cap, any term
        narrows about as well, and the first is taken)."""
        if len(text.terms) < 2:
            return text.terms[0] if text.terms else None
        counts = {
            t: self.db.articles.count_documents({"search_terms": t}, limit=cap) for t in text.terms
        }
        return min(text.terms, key=lambda t: counts[t])

    def documents(
        self,
        filters: Filters,
        *,
        limit: int | None = None,
        newest_first: bool = True,
        batch_size: int = 1000,
        fields: Iterable[str] | None = None,
    ) -> Iterator[Doc]:
        """Stored documents matching `filters`, streamed from a cursor in batches."""
        projection: dict[str, int] = (
            {name: 1 for name in fields} if fields else {name: 0 for name in HIDDEN}
        )
        text = TextQuery.parse(filters.text) if filters.text else None
        if text and fields:
            projection.update(title=1, body_text=1)
        # Sorted on published_at alone, so the index serves the order (no in-memory sort
        # of a million documents); allow_disk_use covers filters whose index cannot.
        cursor = self.db.articles.find(
            self.query(filters), projection, batch_size=batch_size, allow_disk_use=True
        ).sort("published_at", DESCENDING if newest_first else ASCENDING)
        if limit and not text:
            cursor = cursor.limit(limit)
        given = 0
        for doc in cursor:
            if text and not text.matches(doc.get("title", ""), doc.get("body_text", "")):
                continue
            yield doc
            given += 1
            if limit and given >= limit:
                break

    def find(
        self, *, limit: int | None = None, newest_first: bool = True, **filters: Unpack[FilterArgs]
    ) -> list[Article]:
        """Articles matching the filters, newest first (a time without offset is Beijing)."""
        return [
            Article.from_doc(doc)
            for doc in self.documents(Filters.of(**filters), limit=limit, newest_first=newest_first)
        ]

    def count(self, **filters: Unpack[FilterArgs]) -> int:
        """How many articles match."""
        parsed = Filters.of(**filters)
        if parsed.text:
            return sum(1 for _ in self.documents(parsed, fields=("_id",)))
        return self.db.articles.count_documents(parsed.mongo())

    def frame(
        self,
        *,
        limit: int | None = None,
        columns: Iterable[str] | None = None,
        tz: str = "UTC",
        **filters: Unpack[FilterArgs],
    ) -> pd.DataFrame:
        """A pandas DataFrame of the matching articles (needs the `analysis` extra).

        One row per article, index `id`; `stocks` holds lists of dicts; datetime columns
        are tz-aware in `tz` (UTC by default; `"Asia/Shanghai"` for Beijing's clock)."""
        pd = _pandas()
        docs = self.documents(Filters.of(**filters), limit=limit, fields=columns)
        frame = pd.DataFrame.from_records(list(docs))
        if frame.empty:
            frame = pd.DataFrame(columns=["_id", *(columns or [])])
        frame = frame.rename(columns={"_id": "id"}).set_index("id")
        for name in DATETIMES:
            if name in frame.columns:
                frame[name] = pd.to_datetime(frame[name], utc=True).dt.tz_convert(tz)
        if columns:
            frame = frame[[c for c in columns if c != "_id" and c in frame.columns]]
        return frame

    def search(
        self,
        query: str,
        *,
        limit: int | None = 20,
        scan: bool = False,
        **filters: Unpack[FilterArgs],
    ) -> list[Hit]:
        """Articles containing every phrase of `query` (white space separates phrases),
        best first: a title match weighs five body matches, then newer first; each with the
        title and a body snippet, matches marked 【like this】.

        `scan=True` finds the candidates with a `$regex` scan instead of the term index
        (same answers; the baseline the index is measured against)."""
        text = TextQuery.parse(query)
        parsed = Filters.of(**filters)
        found = text.regex_filter() if scan else text.mongo(self.rarest(text))
        scored: list[tuple[tuple[int, float], str, int]] = []
        # Rank on the text alone; whole documents are read only for the hits returned.
        candidates = self.db.articles.find(
            {**parsed.mongo(), **found},
            {"title": 1, "body_text": 1, "published_at": 1},
            batch_size=500,
        )
        for doc in candidates:
            title, body = doc.get("title", ""), doc.get("body_text", "")
            if not text.matches(title, body):
                continue
            score = text.score(title, body)
            scored.append((rank_key(score, doc.get("published_at")), doc["_id"], score))
        scored.sort()
        top = scored[:limit]
        docs = {
            d["_id"]: d
            for d in self.db.articles.find(
                {"_id": {"$in": [i for _, i, _ in top]}}, {name: 0 for name in HIDDEN}
            )
        }
        return [
            Hit(
                article=Article.from_doc(docs[i]),
                score=score,
                title=text.highlight(docs[i].get("title", ""), width=200),
                snippet=text.highlight(docs[i].get("body_text", "")),
            )
            for _, i, score in top
            if i in docs
        ]

    # -- aggregates ---------------------------------------------------------------------

    def per_day(self, by: str | None = "outlet", **filters: Unpack[FilterArgs]) -> list[DayCount]:
        """Articles per Beijing calendar day, per value of the field `by` (`outlet`,
        `category`, …; None: all together), days ascending."""
        parsed = Filters.of(**filters)
        day = {
            "$dateToString": {"format": "%Y-%m-%d", "date": "$published_at", "timezone": "+08:00"}
        }
        pipeline: list[Doc] = [
            {"$match": self.query(parsed)},
            {"$group": {"_id": {"key": f"${by}" if by else None, "day": day}, "n": {"$sum": 1}}},
            {"$sort": {"_id.day": 1, "n": -1, "_id.key": 1}},
        ]
        if parsed.text:  # phrases need the text check: count in Python
            counts: dict[tuple[str, Any], int] = {}
            for doc in self.documents(parsed, fields=("published_at", by or "_id")):
                key = (beijing_day(doc["published_at"]), doc.get(by) if by else None)
                counts[key] = counts.get(key, 0) + 1
            rows = sorted(counts.items(), key=lambda kv: (kv[0][0], -kv[1], str(kv[0][1])))
            return [DayCount(d, k, n) for (d, k), n in rows]
        return [
            DayCount(r["_id"]["day"], r["_id"]["key"], r["n"])
            for r in self.db.articles.aggregate(pipeline)
        ]

    def timeline(self, **filters: Unpack[FilterArgs]) -> list[DayCount]:
        """Articles per Beijing day for the filters (e.g. one security: `code="00700"`)."""
        return self.per_day(by=None, **filters)

    def most_mentioned(self, limit: int = 10, **filters: Unpack[FilterArgs]) -> list[Mention]:
        """Securities named by the most matching articles, with how many per evidence
        (`Mention.by_role`); `role=` counts only mentions in that role."""
        parsed = Filters.of(**filters)
        match: Doc = {}
        if parsed.role:
            match["stocks.roles"] = parsed.role
        pipeline: list[Doc] = [
            {"$match": self.query(parsed)},
            {"$project": {"stocks": 1}},
            {"$unwind": "$stocks"},
            {"$match": match},
            {
                "$group": {
                    "_id": "$stocks.secid",
                    "code": {"$first": "$stocks.code"},
                    "name": {"$max": "$stocks.name"},
                    "articles": {"$sum": 1},
                    # prefixed: the role `name` must not overwrite the group's `name`
                    **{
                        f"role_{role}": {
                            "$sum": {"$cond": [{"$in": [role, "$stocks.roles"]}, 1, 0]}
                        }
                        for role in stock_roles()
                    },
                }
            },
            {"$sort": {"articles": -1, "_id": 1}},
            {"$limit": limit},
        ]
        if parsed.text:
            raise ValueError("most_mentioned does not take text=; search first, then count")
        return [
            Mention(
                r["_id"],
                r["code"],
                r.get("name"),
                r["articles"],
                {k: r[f"role_{k}"] for k in stock_roles()},
            )
            for r in self.db.articles.aggregate(pipeline)
        ]

    # -- the store's other records ------------------------------------------------------

    def runs(self, since: When | None = None, until: When | None = None) -> list[Doc]:
        """Crawl ledger records (`runs`) that finished in the window, oldest first."""
        query = _window("finished_at", since, until)
        return list(self.db.runs.find(query).sort([("finished_at", 1), ("_id", 1)]))

    def rejects(self, since: When | None = None, until: When | None = None) -> list[Doc]:
        """Rejected pages last seen in the window (`rejects`), newest first."""
        query = _window("last_seen_at", since, until)
        return list(self.db.rejects.find(query).sort([("last_seen_at", -1), ("_id", 1)]))


def _window(field: str, since: When | None, until: When | None) -> Doc:
    """`field` in [since, until) (naive times are Beijing, as in every filter)."""
    window = Filters.of(since=since, until=until)
    bounds: Doc = {}
    if window.since:
        bounds["$gte"] = window.since
    if window.until:
        bounds["$lt"] = window.until
    return {field: bounds} if bounds else {}


def _pandas() -> Any:
    try:
        import pandas as pd
    except ImportError:
        raise ImportError(
            "pandas is not installed: install the `analysis` extra (pip install 'finews[analysis]')"
        ) from None
    return pd
