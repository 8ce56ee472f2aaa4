"""Keyword search on the real corpus: for every query of a fixed list, the term index finds
exactly the articles a `$regex` scan finds (same recall, same precision)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from analysis_store import finews
from pymongo import MongoClient

from finews_spider.analysis import Articles
from finews_spider.analysis.search import TextQuery

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "corpus" / "posts"

pytestmark = [pytest.mark.store, pytest.mark.corpus]

#: Chinese words and phrases, Latin words, numbers, mixed, several phrases, a single
#: character (no bigram: answered by the scan), and words the corpus does not hold.
QUERIES = [
    "茅台",
    "半导体",
    "人民币",
    "军工板块",
    "同比增长",
    "北上资金",
    "消费 电子",
    "雪球 信托",
    "苹果 目标价",
    "FF",
    "ipo",
    "ETF",
    "VR",
    "Level Infinite",
    "A股",
    "2021",
    "2000元",
    "1117%",
    "01548.HK",
    "茅",
    "碳中和",
    "元宇宙",
    "NFT",
]


@pytest.fixture(scope="module")
def corpus_store(mongo_uri: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if not CORPUS.is_dir():
        pytest.skip(f"real corpus not found at {CORPUS} (only beside the project's checkout)")
    database = f"finews_test_{uuid.uuid4().hex[:12]}"
    home = tmp_path_factory.mktemp("home")
    run = finews(mongo_uri, database, home, "batch", str(CORPUS), "--workers", "1", "--no-progress")
    assert run.returncode == 0, run.stderr[-2000:]
    try:
        yield database
    finally:
        with MongoClient(mongo_uri) as client:
            client.drop_database(database)


@pytest.mark.parametrize("query", QUERIES)
def test_search_finds_what_a_regex_scan_finds(
    mongo_uri: str, corpus_store: str, query: str
) -> None:
    with Articles(mongo_uri, corpus_store) as news:
        found = {hit.article.id for hit in news.search(query, limit=None)}
        scanned = {d["_id"] for d in news.db.articles.find(TextQuery.parse(query).regex_filter())}
    assert found == scanned


def test_the_query_list_finds_something(mongo_uri: str, corpus_store: str) -> None:
    with Articles(mongo_uri, corpus_store) as news:
        answered = [q for q in QUERIES if news.search(q, limit=1)]
    assert len(answered) >= len(QUERIES) - 4, answered  # the list is not vacuous
