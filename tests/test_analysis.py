"""The notebook API (`finews_spider.analysis.Articles`), `finews export` and `finews search`
against a real server holding the replayed fixtures; every answer is checked against the
raw documents, and exported files are read back with pandas."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from analysis_store import finews, replayed_fixtures
from pymongo import MongoClient

from finews_spider.analysis import BEIJING, Articles, Filters, to_instant
from finews_spider.analysis.export import columns
from finews_spider.analysis.search import TextQuery
from finews_spider.normalize.terms import query_terms, search_terms

pytestmark = pytest.mark.store
Store = tuple[str, str]


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("home")


@pytest.fixture(scope="module")
def store(mongo_uri: str, home: Path) -> Iterator[Store]:
    with replayed_fixtures(mongo_uri, home) as database:
        yield mongo_uri, database


@pytest.fixture(scope="module")
def raw(store: Store) -> list[dict]:
    uri, database = store
    with MongoClient(uri, tz_aware=True) as client:
        return list(client[database].articles.find().sort("published_at", 1))


@pytest.fixture
def news(store: Store) -> Iterator[Articles]:
    with Articles(*store) as articles:
        yield articles


# -- times ------------------------------------------------------------------------------


def test_times_without_offset_are_beijing() -> None:
    assert to_instant("2024-03-05") == datetime(2024, 3, 4, 16, tzinfo=UTC)
    assert to_instant("2024-03-05", end=True) == datetime(2024, 3, 5, 16, tzinfo=UTC)
    assert to_instant(date(2024, 3, 5)) == datetime(2024, 3, 4, 16, tzinfo=UTC)
    assert to_instant(datetime(2024, 3, 5, 18, 20)) == datetime(2024, 3, 5, 10, 20, tzinfo=UTC)
    assert to_instant("2024-03-05T18:20:00+00:00") == datetime(2024, 3, 5, 18, 20, tzinfo=UTC)
    assert to_instant("2024-03-05 18:20") == datetime(2024, 3, 5, 10, 20, tzinfo=UTC)
    with pytest.raises(ValueError, match="unreadable time"):
        to_instant("next tuesday-ish")


def test_a_beijing_day_includes_its_evening(news: Articles, raw: list[dict]) -> None:
    # 202403052987654321 is 18:20 Beijing on 5 March, 10:20 UTC: inside the Beijing day.
    found = news.find(since="2024-03-05", until="2024-03-05")
    expected = [
        a["_id"] for a in raw if a["published_at"].astimezone(BEIJING).date() == date(2024, 3, 5)
    ]
    assert [a.id for a in found] == expected == ["202403052987654321"]


# -- filters ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("filters", "keep"),
    [
        ({"code": "600519"}, lambda a: "600519" in a["stock_codes"]),
        ({"code": "600519,00700"}, lambda a: {"600519", "00700"} & set(a["stock_codes"])),
        ({"secid": "90.BK0493"}, lambda a: any(s["secid"] == "90.BK0493" for s in a["stocks"])),
        ({"name": "贵州茅台"}, lambda a: any(s["name"] == "贵州茅台" for s in a["stocks"])),
        (
            {"code": "600519", "role": "chart"},
            lambda a: any(s["code"] == "600519" and "chart" in s["roles"] for s in a["stocks"]),
        ),
        ({"role": "chart"}, lambda a: any("chart" in s["roles"] for s in a["stocks"])),
        ({"outlet": "证券时报"}, lambda a: a["outlet"] == "证券时报"),
        ({"category": "emnews"}, lambda a: a["category"] == "emnews"),
        ({"text": "贵州茅台"}, lambda a: "贵州茅台" in a["title"] + a["body_text"]),
    ],
)
def test_filters_match_the_documents(news: Articles, raw: list[dict], filters, keep) -> None:
    expected = sorted(a["_id"] for a in raw if keep(a))
    assert expected, "a filter that selects nothing proves nothing"
    found = news.find(**filters)
    assert sorted(a.id for a in found) == expected
    assert news.count(**filters) == len(expected)
    assert [a.published_at for a in found] == sorted((a.published_at for a in found), reverse=True)


def test_records_are_typed_and_aware(news: Articles) -> None:
    (tencent,) = news.find(code="00700", role="chart")
    assert tencent.published_at == datetime(2024, 3, 5, 10, 20, 31, tzinfo=UTC)
    assert tencent.published_beijing.hour == 18
    assert tencent.stocks[0].secid == "116.00700" and tencent.stocks[0].roles == ("chart",)
    assert tencent.first_seen_at is not None and tencent.first_seen_at.tzinfo is not None
    assert not hasattr(tencent, "search_terms")


def test_role_counts_only_that_role(news: Articles, raw: list[dict]) -> None:
    rows = news.most_mentioned(role="chart", limit=100)
    expected = {s["secid"] for a in raw for s in a["stocks"] if "chart" in s["roles"]}
    assert {r.secid for r in rows} == expected
    assert all(r.articles == r.chart for r in rows)


def test_most_mentioned_names_and_counts_each_role(news: Articles, raw: list[dict]) -> None:
    rows = news.most_mentioned(limit=100)
    for row in rows:
        entries = [s for a in raw for s in a["stocks"] if s["secid"] == row.secid]
        names = [s["name"] for s in entries if s["name"]]
        assert row.name == (max(names) if names else None), row
        for role, n in row.by_role.items():
            assert n == sum(role in s["roles"] for s in entries), (row, role)


def test_timeline_of_a_security(news: Articles, raw: list[dict]) -> None:
    rows = news.timeline(code="600519")
    days = sorted(
        a["published_at"].astimezone(BEIJING).strftime("%Y-%m-%d")
        for a in raw
        if "600519" in a["stock_codes"]
    )
    assert [(r.day, r.articles) for r in rows] == [(d, days.count(d)) for d in sorted(set(days))]


def test_frame_has_aware_datetimes(news: Articles, raw: list[dict]) -> None:
    pd = pytest.importorskip("pandas", reason="pandas is in the `analysis` extra")
    frame = news.frame()
    assert len(frame) == len(raw)
    assert str(frame["published_at"].dtype) == "datetime64[ms, UTC]" or str(
        frame["published_at"].dtype
    ).endswith(", UTC]")
    assert frame.loc["202403052987654321", "published_at"] == pd.Timestamp(
        "2024-03-05 10:20:31", tz="UTC"
    )
    beijing = news.frame(
        code="00700", role="chart", tz="Asia/Shanghai", columns=["published_at", "title"]
    )
    assert list(beijing.columns) == ["published_at", "title"]
    assert beijing["published_at"].iloc[0].hour == 18
    assert "search_terms" not in frame.columns


# -- search -----------------------------------------------------------------------------


def test_terms_are_bigrams_and_whole_latin_words() -> None:
    assert search_terms("碳中和", "ESG 2024年A股") == sorted({"碳中", "中和", "esg", "2024", "a"})
    assert query_terms("碳中和") == ["碳中", "中和"]
    assert query_terms("A股") == ["a"]  # a lone CJK character is checked in the text
    assert TextQuery.parse("ESG").matches("", "ESG投资") and not TextQuery.parse("ESG").matches(
        "", "ESGs"
    )


def test_every_stored_article_has_its_terms(raw: list[dict]) -> None:
    for a in raw:
        assert a["search_terms"] == search_terms(a["title"], a["body_text"]), a["_id"]


def test_search_ranks_and_highlights(news: Articles, raw: list[dict]) -> None:
    hits = news.search("贵州茅台")
    expected = {a["_id"] for a in raw if "贵州茅台" in a["title"] + a["body_text"]}
    assert {h.article.id for h in hits} == expected
    assert hits[0].article.id == "202403132991300006"  # named in the title: ranked first
    assert "【贵州茅台】" in hits[0].title and "【贵州茅台】" in hits[0].snippet
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
    assert news.search("贵州茅台", since="2024-03-10") == [
        h for h in hits if h.article.published_at >= to_instant("2024-03-10")
    ]


def test_search_uses_the_term_index(news: Articles) -> None:
    query = news.query(Filters.of(text="半导体"))
    assert "search_terms" in str(news.db.articles.find(query).explain())


def test_terms_follow_a_changed_document(news: Articles, store: Store, home: Path) -> None:
    """A document stored without terms (before they existed) gets them at the next write."""
    uri, database = store
    news.db.articles.update_one(
        {"_id": "202403052987654321"},
        {"$unset": {"search_terms": ""}},
        bypass_document_validation=True,
    )
    run = finews(
        uri, database, home, "batch", "fixtures/finews_source", "--workers", "1", "--no-progress"
    )
    assert run.returncode == 0, run.stderr[-2000:]
    doc = news.db.articles.find_one({"_id": "202403052987654321"})
    assert doc is not None
    assert doc["search_terms"] == search_terms(doc["title"], doc["body_text"])


def test_search_command(store: Store, home: Path) -> None:
    run = finews(*store, home, "search", "贵州茅台", "--limit", "1")
    assert run.returncode == 0, run.stderr
    assert "202403132991300006" in run.stdout and "【贵州茅台】" in run.stdout
    assert "articles match '贵州茅台'; 1 shown" in run.stderr
    run = finews(*store, home, "search", "贵州茅台", "--since", "someday")
    assert run.returncode == 2 and "unreadable time" in run.stderr


# -- export -----------------------------------------------------------------------------


def _expected_rows(raw: list[dict], keep=lambda a: True) -> list[dict]:
    return [{k: a.get(k) for k in columns()} for a in raw if keep(a)]


def test_export_jsonl_round_trip(store: Store, home: Path, raw: list[dict], tmp_path: Path) -> None:
    out = tmp_path / "articles.jsonl"
    run = finews(*store, home, "export", str(out), "--code", "600519")
    assert run.returncode == 0, run.stderr
    rows = [json.loads(line) for line in out.read_text("utf-8").splitlines()]
    expected = _expected_rows(raw, lambda a: "600519" in a["stock_codes"])
    assert [r["_id"] for r in rows] == [a["_id"] for a in expected]
    for row, doc in zip(rows, expected, strict=True):
        assert datetime.fromisoformat(row["published_at"]) == doc["published_at"]
        assert row["published_at"].endswith("+00:00")
        assert row["stocks"] == doc["stocks"] and row["title"] == doc["title"]
    assert f"exported {len(expected)} articles" in run.stderr


def test_export_csv_round_trip(store: Store, home: Path, raw: list[dict], tmp_path: Path) -> None:
    pd = pytest.importorskip("pandas", reason="pandas is in the `analysis` extra")
    out = tmp_path / "articles.csv"
    run = finews(*store, home, "export", str(out), "--no-progress")
    assert run.returncode == 0, run.stderr
    frame = pd.read_csv(out, dtype=str, keep_default_na=False)
    assert list(frame.columns) == columns()
    assert list(frame["_id"]) == [a["_id"] for a in raw]
    stamps = pd.to_datetime(frame["published_at"], utc=True)
    assert list(stamps) == [pd.Timestamp(a["published_at"]) for a in raw]
    assert [json.loads(s) for s in frame["stocks"]] == [a["stocks"] for a in raw]
    assert list(frame["body_text"]) == [a["body_text"] for a in raw]


def test_export_parquet_round_trip(
    store: Store, home: Path, raw: list[dict], tmp_path: Path
) -> None:
    pd = pytest.importorskip("pandas", reason="pandas is in the `analysis` extra")
    pq = pytest.importorskip("pyarrow.parquet", reason="pyarrow is in the `analysis` extra")
    out = tmp_path / "articles.parquet"
    run = finews(*store, home, "export", str(out), "--batch-size", "5", "--no-progress")
    assert run.returncode == 0, run.stderr
    meta = pq.ParquetFile(out)
    assert meta.metadata.num_row_groups == -(-len(raw) // 5)  # one row group per batch
    assert str(meta.schema_arrow.field("stocks").type).startswith("list<element: struct<secid")
    frame = pd.read_parquet(out)
    assert str(frame["published_at"].dtype) == "datetime64[ms, UTC]"
    assert list(frame["_id"]) == [a["_id"] for a in raw]
    assert list(frame["published_at"]) == [pd.Timestamp(a["published_at"]) for a in raw]
    stocks = [[{**s, "roles": list(s["roles"])} for s in cell] for cell in frame["stocks"]]
    assert stocks == [a["stocks"] for a in raw]
    assert [list(c) for c in frame["stock_codes"]] == [a["stock_codes"] for a in raw]


def test_export_refuses_an_unknown_field(store: Store, home: Path, tmp_path: Path) -> None:
    run = finews(*store, home, "export", str(tmp_path / "x.jsonl"), "--fields", "title,nope")
    assert run.returncode == 2 and "unknown field 'nope'" in run.stderr


def test_a_script_that_fails_without_close_leaves_no_embedded_server(tmp_path: Path) -> None:
    """Articles() started the embedded store; the script raised before close(): the server
    must stop with the interpreter, not hold FINEWS_HOME's lock as an orphan."""
    import os
    import subprocess
    import sys

    home = tmp_path / "home"
    script = (
        "from finews_spider.analysis import Articles\n"
        "news = Articles()\n"
        "raise RuntimeError('the notebook cell failed')\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "MONGO_URI"}
    env["FINEWS_HOME"] = str(home)
    run = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=120
    )
    assert "the notebook cell failed" in run.stderr
    assert (home / "db").is_dir()  # the embedded store was started
    servers = subprocess.run(["ps", "-ww", "-eo", "args"], capture_output=True, text=True).stdout
    assert str(home) not in servers
