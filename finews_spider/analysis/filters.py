"""Query filters over `articles`, pure: what the notebook API, `finews export`, `finews
search` and `finews report` share (no I/O here).

Times: an aware datetime is taken as it is; a naive datetime, a `date` or a string without
an offset is read as **Beijing time** (UTC+8, the clock Chinese financial news is published
on), because that is what an analyst typing `2024-03-05` means.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, timezone
from typing import Any

from dateutil import parser as dateparser

from finews_spider.schema import stock_roles

#: Beijing has kept UTC+8 without daylight saving since 1991.
BEIJING = timezone(timedelta(hours=8), "Asia/Shanghai")
Role = str  # one of finews_spider.schema.stock_roles()
When = datetime | date | str


def to_instant(value: When, *, end: bool = False) -> datetime:
    """`value` as an aware UTC datetime; naive values and dates are Beijing time.

    A date alone (`date(2024, 3, 5)`, `"2024-03-05"`) means that Beijing day's midnight, or
    with `end=True` the next midnight, so `until="2024-03-05"` includes all of 5 March."""
    if isinstance(value, str):
        text = value.strip()
        if not text:
            raise ValueError("empty time")
        try:
            parsed = dateparser.isoparse(text)
        except ValueError:
            try:
                parsed = dateparser.parse(text)
            except (ValueError, OverflowError) as exc:
                raise ValueError(f"unreadable time {value!r}: use 2024-03-05 or ISO 8601") from exc
        if len(text) <= 10 and parsed.tzinfo is None and parsed.time() == time(0):
            value = parsed.date()
        else:
            value = parsed
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=BEIJING)
        return value.astimezone(UTC)
    if isinstance(value, date):
        day = value + timedelta(days=1) if end else value
        return datetime.combine(day, time(0), BEIJING).astimezone(UTC)
    raise TypeError(f"a time must be a datetime, date or string, not {type(value).__name__}")


def beijing_day(instant: datetime) -> str:
    """`YYYY-MM-DD` of the Beijing calendar day of an aware instant."""
    return instant.astimezone(BEIJING).strftime("%Y-%m-%d")


def _listed(value: str | Iterable[str] | None) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [v.strip() for v in value.split(",") if v.strip()]
    return [v for v in value if v]


@dataclass(frozen=True)
class Filters:
    """Which articles: every given criterion must hold (lists: any of their values).

    code: stock codes (`stock_codes`: shares, index `stock_published`); secid: Eastmoney
    security ids (`116.00700`, also boards and indexes); name: security names as tagged;
    role: the evidence (`chart` widget, inline `tag`, code written in the `text`, or a known
    `name`; see the contract's `stocks.roles`) for the security
    named by code/secid/name, or for any security when none is; outlet, category: exact;
    since (inclusive) / until (exclusive) on `published_at`, see `to_instant`; text: phrases
    that must all appear in the title or body (see `finews_spider.analysis.search`)."""

    code: list[str] = field(default_factory=list)
    secid: list[str] = field(default_factory=list)
    name: list[str] = field(default_factory=list)
    role: Role | None = None
    outlet: list[str] = field(default_factory=list)
    category: list[str] = field(default_factory=list)
    since: datetime | None = None
    until: datetime | None = None
    text: str | None = None

    @classmethod
    def of(
        cls,
        *,
        code: str | Iterable[str] | None = None,
        secid: str | Iterable[str] | None = None,
        name: str | Iterable[str] | None = None,
        role: Role | None = None,
        outlet: str | Iterable[str] | None = None,
        category: str | Iterable[str] | None = None,
        since: When | None = None,
        until: When | None = None,
        text: str | None = None,
    ) -> Filters:
        """Filters from friendly values: comma-separated strings or lists; times as in
        `to_instant` (naive = Beijing)."""
        if role is not None and role not in stock_roles():
            raise ValueError(f"role must be one of {', '.join(stock_roles())}, not {role!r}")
        return cls(
            code=_listed(code),
            secid=_listed(secid),
            name=_listed(name),
            role=role,
            outlet=_listed(outlet),
            category=_listed(category),
            since=None if since is None else to_instant(since),
            until=None if until is None else to_instant(until, end=True),
            text=text.strip() if text and text.strip() else None,
        )

    def mongo(self) -> dict[str, Any]:
        """The MongoDB filter (without `text`, which `search` adds as terms)."""
        query: dict[str, Any] = {}
        if self.code:
            query["stock_codes"] = self.code[0] if len(self.code) == 1 else {"$in": self.code}
        security: dict[str, Any] = {}
        for key, values in (("code", self.code), ("secid", self.secid), ("name", self.name)):
            if values:
                security[key] = values[0] if len(values) == 1 else {"$in": values}
        if self.role:
            security["roles"] = self.role
        # code alone is answered by stock_codes; anything more must hold for one entry.
        if security and set(security) != {"code"}:
            query["stocks"] = {"$elemMatch": security}
        for key, values in (("outlet", self.outlet), ("category", self.category)):
            if values:
                query[key] = values[0] if len(values) == 1 else {"$in": values}
        published: dict[str, datetime] = {}
        if self.since is not None:
            published["$gte"] = self.since
        if self.until is not None:
            published["$lt"] = self.until
        if published:
            query["published_at"] = published
        return query
