"""The README's three example queries, run against a real server on replayed fixtures."""

from __future__ import annotations

import subprocess
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from pymongo import MongoClient

from finews_spider.store.queries import (
    articles_about,
    articles_about_by_evidence,
    counts_per_outlet_per_day,
    most_mentioned,
)

ROOT = Path(__file__).resolve().parents[1]
Run = Callable[..., subprocess.CompletedProcess[str]]
START, END = datetime(2024, 3, 1, tzinfo=UTC), datetime(2024, 3, 20, tzinfo=UTC)

pytestmark = pytest.mark.store


@pytest.fixture
def articles(scrapy_run: Run, mongo_uri: str, mongo_db: str) -> list[dict]:
    for kind in ("finews_source", "finews_page", "eastmoney_page", "newsshare_json"):
        run = scrapy_run("crawl", "replay", "-a", f"path={ROOT / 'fixtures' / kind}")
        assert run.returncode == 0, run.stderr[-2000:]
    with MongoClient(mongo_uri, tz_aware=True) as client:
        return list(client[mongo_db].articles.find())


def test_articles_about_a_code_in_a_date_range(
    articles: list[dict], mongo_uri: str, mongo_db: str
) -> None:
    with MongoClient(mongo_uri, tz_aware=True) as client:
        found = list(
            client[mongo_db]
            .articles.find(articles_about("00700", START, END))
            .sort("published_at", -1)
        )
        plan = client[mongo_db].articles.find(articles_about("00700", START, END)).explain()
    # the chart widget of one article, the text of the other (腾讯控股(00700.HK))
    assert [d["_id"] for d in found] == ["202403182993000011", "202403052987654321"]
    assert "IXSCAN" in str(plan)  # served by an index, not a collection scan
    expected = [a for a in articles if "00700" in a["stock_codes"]]
    assert len(found) == len(expected)


@pytest.mark.parametrize(
    ("roles", "ids"),
    [
        (["chart"], ["202403052987654321"]),
        (["text"], ["202403182993000011"]),
        (["chart", "tag", "text"], ["202403182993000011", "202403052987654321"]),
    ],
)
def test_articles_about_a_code_by_evidence(
    articles: list[dict], mongo_uri: str, mongo_db: str, roles: list[str], ids: list[str]
) -> None:
    query = articles_about_by_evidence("00700", roles, START, END)
    with MongoClient(mongo_uri, tz_aware=True) as client:
        found = list(client[mongo_db].articles.find(query).sort("published_at", -1))
    assert [d["_id"] for d in found] == ids


def test_counts_per_outlet_per_day(articles: list[dict], mongo_uri: str, mongo_db: str) -> None:
    with MongoClient(mongo_uri, tz_aware=True) as client:
        rows = list(client[mongo_db].articles.aggregate(counts_per_outlet_per_day(START, END)))
    got = {(r["_id"]["outlet"], r["_id"]["day"]): r["articles"] for r in rows}
    beijing = timedelta(hours=8)
    expected = Counter(
        (a["outlet"], (a["published_at"] + beijing).strftime("%Y-%m-%d"))
        for a in articles
        if START <= a["published_at"] < END
    )
    assert got == dict(expected)


def test_most_mentioned_securities_of_a_week(
    articles: list[dict], mongo_uri: str, mongo_db: str
) -> None:
    week = (datetime(2024, 3, 4, tzinfo=UTC), datetime(2024, 3, 11, tzinfo=UTC))
    with MongoClient(mongo_uri, tz_aware=True) as client:
        rows = list(client[mongo_db].articles.aggregate(most_mentioned(*week, limit=100)))
    expected = Counter(
        s["secid"] for a in articles if week[0] <= a["published_at"] < week[1] for s in a["stocks"]
    )
    assert {r["_id"]: r["articles"] for r in rows} == dict(expected)
    assert rows[0]["articles"] == max(expected.values())
