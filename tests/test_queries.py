"""The README's analyst examples, as calls of the notebook API (`Articles`), against a real
server holding the replayed fixtures; each answer is checked against the raw documents."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from analysis_store import replayed_fixtures
from pymongo import MongoClient

from finews_spider.analysis import Articles, Filters

pytestmark = pytest.mark.store
START, END = datetime(2024, 3, 1, tzinfo=UTC), datetime(2024, 3, 20, tzinfo=UTC)


@pytest.fixture(scope="module")
def store(mongo_uri: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    with replayed_fixtures(mongo_uri, tmp_path_factory.mktemp("home")) as database:
        yield mongo_uri, database


@pytest.fixture(scope="module")
def raw(store: tuple[str, str]) -> list[dict]:
    uri, database = store
    with MongoClient(uri, tz_aware=True) as client:
        return list(client[database].articles.find())


@pytest.fixture
def news(store: tuple[str, str]) -> Iterator[Articles]:
    with Articles(*store) as articles:
        yield articles


def test_articles_about_a_code_in_a_date_range(news: Articles, raw: list[dict]) -> None:
    found = news.find(code="00700", since=START, until=END)
    # the chart widget of one article, the text of the other (腾讯控股(00700.HK))
    assert [a.id for a in found] == ["202403182993000011", "202403052987654321"]
    assert found[0].published_at.tzinfo is not None
    expected = [a for a in raw if "00700" in a["stock_codes"] and START <= a["published_at"] < END]
    assert len(found) == len(expected)
    query = news.query(Filters.of(code="00700", since=START, until=END))
    plan = news.db.articles.find(query).explain()
    assert "IXSCAN" in str(plan)  # served by an index, not a collection scan


@pytest.mark.parametrize(
    ("role", "ids"),
    [
        ("chart", ["202403052987654321"]),
        ("text", ["202403182993000011"]),
        (None, ["202403182993000011", "202403052987654321"]),
    ],
)
def test_articles_about_a_code_by_evidence(
    news: Articles, raw: list[dict], role: str | None, ids: list[str]
) -> None:
    found = news.find(code="00700", role=role, since=START, until=END)
    assert [a.id for a in found] == ids
    expected = [
        a["_id"]
        for a in raw
        if any(s["code"] == "00700" and (role is None or role in s["roles"]) for s in a["stocks"])
        and START <= a["published_at"] < END
    ]
    assert sorted(ids) == sorted(expected)


def test_counts_per_outlet_per_day(news: Articles, raw: list[dict]) -> None:
    rows = news.per_day(by="outlet", since=START, until=END)
    got = {(r.key, r.day): r.articles for r in rows}
    beijing = timedelta(hours=8)
    expected = Counter(
        (a["outlet"], (a["published_at"] + beijing).strftime("%Y-%m-%d"))
        for a in raw
        if START <= a["published_at"] < END
    )
    assert got == dict(expected)
    assert [r.day for r in rows] == sorted(r.day for r in rows)


def test_most_mentioned_securities_of_a_week(news: Articles, raw: list[dict]) -> None:
    week = (datetime(2024, 3, 4, tzinfo=UTC), datetime(2024, 3, 11, tzinfo=UTC))
    rows = news.most_mentioned(limit=100, since=week[0], until=week[1])
    in_week = [a for a in raw if week[0] <= a["published_at"] < week[1]]
    expected = Counter(s["secid"] for a in in_week for s in a["stocks"])
    assert {r.secid: r.articles for r in rows} == dict(expected)
    assert rows[0].articles == max(expected.values())
    charts = Counter(s["secid"] for a in in_week for s in a["stocks"] if "chart" in s["roles"])
    assert {r.secid: r.chart for r in rows if r.chart} == dict(charts)
