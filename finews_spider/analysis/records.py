"""Typed records the notebook API returns (plain dataclasses; datetimes are aware UTC)."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import datetime
from typing import Any

from finews_spider.analysis.filters import BEIJING


@dataclass(frozen=True)
class Stock:
    """One security an article names (`stocks[]` in the contract)."""

    secid: str
    code: str
    market_id: int | None
    market: str
    kind: str
    name: str | None
    roles: tuple[str, ...]

    @classmethod
    def from_doc(cls, doc: dict[str, Any]) -> Stock:
        return cls(
            secid=doc["secid"],
            code=doc["code"],
            market_id=doc.get("market_id"),
            market=doc.get("market", "OTHER"),
            kind=doc.get("kind", "other"),
            name=doc.get("name"),
            roles=tuple(doc.get("roles") or ()),
        )


@dataclass(frozen=True)
class Article:
    """One stored article (the contract's fields; `id` is the document's `_id`)."""

    id: str
    title: str
    published_at: datetime
    outlet: str | None = None
    category: str | None = None
    summary: str | None = None
    body_text: str = ""
    stocks: tuple[Stock, ...] = ()
    stock_codes: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    info_code: str | None = None
    url: str = ""
    source_url: str | None = None
    urls: tuple[str, ...] = ()
    page_kind: str = ""
    published_at_raw: str = ""
    published_tz: str = ""
    tz_assumed: bool = False
    repairs: tuple[str, ...] = ()
    body_html: str = field(default="", repr=False)
    content_hash: str = field(default="", repr=False)
    parser_version: str = ""
    version: int = 1
    first_seen_at: datetime | None = None
    last_seen_at: datetime | None = None
    updated_at: datetime | None = None

    @property
    def published_beijing(self) -> datetime:
        """`published_at` on Beijing's clock."""
        return self.published_at.astimezone(BEIJING)

    @classmethod
    def from_doc(cls, doc: dict[str, Any]) -> Article:
        known = {f.name for f in fields(cls)}
        values: dict[str, Any] = {"id": doc["_id"]}
        for key, value in doc.items():
            if key == "stocks":
                values[key] = tuple(Stock.from_doc(s) for s in value or ())
            elif key in known and key != "id":
                values[key] = tuple(value) if isinstance(value, list) else value
        return cls(**values)


@dataclass(frozen=True)
class Hit:
    """A search result: the article, its score and highlighted title and snippet."""

    article: Article
    score: int
    title: str
    snippet: str


@dataclass(frozen=True)
class Mention:
    """A security and how many articles name it (in a role, when one was asked for)."""

    secid: str
    code: str
    name: str | None
    articles: int
    #: of which per evidence (`chart`, `tag`, `text`, `name`: the contract's stocks.roles)
    by_role: dict[str, int] = field(default_factory=dict)

    @property
    def chart(self) -> int:
        return self.by_role.get("chart", 0)

    @property
    def tag(self) -> int:
        return self.by_role.get("tag", 0)


@dataclass(frozen=True)
class DayCount:
    """Articles on one Beijing calendar day, per `key` (an outlet, a code, …)."""

    day: str
    key: str | None
    articles: int
