"""The analysts' example queries (shown in the README, run by tests/test_queries.py).

Each is plain pymongo: a filter or an aggregation pipeline over `articles`, served by the
indexes `ensure_collections` creates.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

#: Beijing calendar days: what "per day" means to readers of Chinese financial news.
BEIJING = "+08:00"


def articles_about(code: str, start: datetime, end: datetime) -> dict[str, Any]:
    """Articles naming a security code in [start, end) — index `stock_codes_published`."""
    return {"stock_codes": code, "published_at": {"$gte": start, "$lt": end}}


def articles_about_by_evidence(
    code: str, roles: list[str], start: datetime, end: datetime
) -> dict[str, Any]:
    """Articles naming the stock `code` with one of `roles` (``chart``, ``tag``, ``text``) in
    [start, end) — index `stock_codes_published`."""
    # `stock_codes` picks the articles through its index; `$elemMatch` then keeps the code and
    # the role in one entry.
    return {
        "stock_codes": code,
        "stocks": {"$elemMatch": {"code": code, "roles": {"$in": roles}}},
        "published_at": {"$gte": start, "$lt": end},
    }


def counts_per_outlet_per_day(start: datetime, end: datetime) -> list[dict[str, Any]]:
    day = {"$dateToString": {"format": "%Y-%m-%d", "date": "$published_at", "timezone": BEIJING}}
    return [
        {"$match": {"published_at": {"$gte": start, "$lt": end}}},
        {"$group": {"_id": {"outlet": "$outlet", "day": day}, "articles": {"$sum": 1}}},
        {"$sort": {"_id.day": 1, "articles": -1, "_id.outlet": 1}},
    ]


def most_mentioned(start: datetime, end: datetime, limit: int = 10) -> list[dict[str, Any]]:
    """Securities named by the most articles in [start, end) (any evidence)."""
    return [
        {"$match": {"published_at": {"$gte": start, "$lt": end}}},
        {"$unwind": "$stocks"},
        {
            "$group": {
                "_id": "$stocks.secid",
                "code": {"$first": "$stocks.code"},
                "name": {"$max": "$stocks.name"},
                "articles": {"$sum": 1},
            }
        },
        {"$sort": {"articles": -1, "_id": 1}},
        {"$limit": limit},
    ]
