"""News for a watchlist: Eastmoney's search API (pure parsing, with saved answers and their
expected readings) and `scrapy crawl eastmoney -a codes=…` against the loopback site.

Saved answers live in tests/search_answers/NAME.(jsonp|html) with NAME.expected.json beside
them; after a deliberate change, regenerate and review the diff:

    .venv/bin/python tests/test_watchlist.py && git diff tests/search_answers/
"""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from pymongo import MongoClient
from sites import LoopbackSite

from finews_spider.core import process_page
from finews_spider.model import Article, PageContext, Rejected
from finews_spider.parsing.search import parse_search_answer, search_request_url

ANSWERS = Path(__file__).resolve().parent / "search_answers"
ANSWER_URL = "https://search-api-web.eastmoney.com/search/jsonp?cb=jQuery_finews"
Run = Callable[..., subprocess.CompletedProcess[str]]
FAST = ["-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=0", "-s", "LOG_LEVEL=INFO"]


def reading(path: Path) -> dict[str, Any]:
    """What the parser makes of a saved answer, in the expected file's shape."""
    try:
        return {"answer": asdict(parse_search_answer(ANSWER_URL, path.read_bytes()))}
    except Rejected as error:
        return {"rejection": {"stage": error.stage, "reason": error.reason}}


def saved_answers() -> list[Path]:
    return sorted(p for p in ANSWERS.iterdir() if not p.name.endswith(".expected.json"))


@pytest.mark.parametrize("path", saved_answers(), ids=lambda p: p.name)
def test_saved_answer_reads_as_expected(path: Path) -> None:
    expected = json.loads(path.with_name(path.stem + ".expected.json").read_text("utf-8"))
    assert reading(path) == expected


def test_answers_cover_both_shapes_highlights_and_the_empty_outcomes() -> None:
    listed = parse_search_answer(ANSWER_URL, (ANSWERS / "list-form.jsonp").read_bytes())
    assert [r["article_id"] for r in listed.records] == ["202403082990000002", "202403062988001122"]
    assert listed.not_articles == 1  # a caifuhao post is no /a/<id>.html article page
    assert all("<em>" not in r["title"] + r["content"] for r in listed.records)
    assert listed.records[0]["content"].endswith("&份额……")  # entities read
    obj = parse_search_answer(ANSWER_URL, (ANSWERS / "object-form.jsonp").read_bytes())
    assert len(obj.records) == 1 and obj.total == 57
    foreign_body = (ANSWERS / "foreign-passport-only.jsonp").read_bytes()
    foreign = parse_search_answer(ANSWER_URL, foreign_body)
    assert not foreign.records and foreign.other_types == ["passportWeb"]
    for name in ("empty.jsonp", "no-result.jsonp"):
        empty = parse_search_answer(ANSWER_URL, (ANSWERS / name).read_bytes())
        assert not empty.records and not empty.other_types


def test_request_url_carries_the_documented_param() -> None:
    url = search_request_url("贵州茅台", 2, 50, endpoint="http://127.0.0.1:1/search/jsonp")
    query = parse_qs(urlsplit(url).query)
    param = json.loads(query["param"][0])
    assert query["cb"] and param["keyword"] == "贵州茅台" and param["type"] == ["cmsArticleWebOld"]
    paging = param["param"]["cmsArticleWebOld"]
    assert (paging["pageIndex"], paging["pageSize"], paging["preTag"]) == (2, 50, "<em>")
    assert " " not in query["param"][0]  # compact JSON


PAGE = """<html><head><meta charset="utf-8"></head><body><div class="newsContent">{head}
<div class="txtinfos" id="ContentBody"><p>贵州茅台今日公告，一季度营业收入同比增长。</p></div>
</div></body></html>"""
RECORD = {
    "title": "<em>贵州茅台</em>：一季度营收增长",
    "content": "…",
    "date": "2024-03-08 21:30:00",
    "mediaName": "证券时报",
    "url": "http://finance.eastmoney.com/a/202403082990000002.html",
}
URL = "https://finance.eastmoney.com/a/202403082990000002.html"


def test_search_record_fills_what_the_article_page_lacks_highlights_removed() -> None:
    body = PAGE.format(head="").encode()
    doc = process_page(URL, body, PageContext(list_record=RECORD))
    assert isinstance(doc, Article), doc
    assert doc.title == "贵州茅台：一季度营收增长"
    assert doc.outlet == "证券时报"
    assert doc.published_at_raw == "2024-03-08 21:30:00" and doc.tz_assumed is True
    without = process_page(URL, body, PageContext())
    assert not isinstance(without, Article)  # no title, no date: rejected without the record


def test_the_article_page_wins_over_its_search_record() -> None:
    head = '<h1>页面标题</h1><div class="time">2024年03月08日 21:30</div>'
    head += '<div class="source">来源：经济参考网</div>'
    doc = process_page(URL, PAGE.format(head=head).encode(), PageContext(list_record=RECORD))
    assert isinstance(doc, Article), doc
    assert (doc.title, doc.outlet) == ("页面标题", "经济参考网")
    # one content_hash whichever route read the page
    plain = process_page(URL, PAGE.format(head=head).encode(), PageContext())
    assert isinstance(plain, Article) and plain.content_hash == doc.content_hash


# --- the crawl ------------------------------------------------------------------------------


def crawl(run: Run, site: LoopbackSite, *args: str) -> subprocess.CompletedProcess[str]:
    argv = ["crawl", "eastmoney", *FAST]
    argv += ["-a", f"base_url={site.base_url}", "-a", f"search_url={site.search_url()}"]
    for arg in args:
        argv += ["-a", arg]
    return run(*argv)


def search_pages(site: LoopbackSite) -> list[tuple[str, int]]:
    """(keyword, pageIndex) of every search request, in order."""
    found = []
    for hit in site.hits("/search/jsonp"):
        param = json.loads(parse_qs(urlsplit(hit.path).query)["param"][0])
        found.append((param["keyword"], param["param"]["cmsArticleWebOld"]["pageIndex"]))
    return found


def article_hits(site: LoopbackSite) -> list[str]:
    return [h.path for h in site.access_log if re.fullmatch(r"/a/\d{18}\.html", h.path)]


def stat(stderr: str, key: str) -> int:
    match = re.search(rf"'finews/{re.escape(key)}': (\d+)", stderr)
    return int(match.group(1)) if match else 0


@pytest.mark.store
def test_watchlist_crawl_stores_each_article_once_with_its_outlet_then_only_new(
    loopback_site: LoopbackSite, scrapy_run: Run, mongo_uri: str, mongo_db: str
) -> None:
    posts = {p.article_id: p for p in loopback_site.posts if p.article_id}
    codes = "00700,腾讯控股,公司,600519,999999,不存在的公司名"
    run = crawl(scrapy_run, loopback_site, f"codes={codes}", "page_size=2")
    assert run.returncode == 0, run.stderr[-3000:]
    assert "balanced=yes" in run.stderr
    pages = search_pages(loopback_site)
    keywords = [k for k in codes.split(",") if k]

    def naming(keyword: str) -> set[str]:  # what the loopback search API answers with
        return {i for i, p in posts.items() if keyword in p.title or keyword in p.body_html}

    # 公司 names several articles: full pages of 2, then a short (or empty) page ends paging
    assert [p for k, p in pages if k == "公司"] == list(range(1, len(naming("公司")) // 2 + 2))
    assert {k for k, _ in pages} == set(keywords)
    with MongoClient(mongo_uri) as client:
        stored = {d["_id"]: d for d in client[mongo_db].articles.find()}
        context = {p["_id"]: json.loads(p["context"]) for p in client[mongo_db].pages.find()}
    expected = set().union(*map(naming, keywords))
    assert {
        "202403052987654321",  # 00700, 腾讯控股, 公司
        "202403082990000002",  # 600519, 公司
        "202403092990500003",  # 公司
    } <= expected
    assert set(stored) == expected
    # one fetch per article, though several keywords name the same one
    assert sorted(article_hits(loopback_site)) == sorted(f"/a/{i}.html" for i in expected)
    for article_id, doc in stored.items():
        assert doc["page_kind"] == "eastmoney_page" and doc["title"] == posts[article_id].title
        record = context[doc["url"]]["list_record"]
        # the page's source line names the post's outlet, or 东方财富网 for a post without one
        assert doc["outlet"] == (posts[article_id].outlet or "东方财富网"), article_id
        assert record["mediaName"] == (posts[article_id].outlet or "")
        assert "<em>" not in record["title"]
    assert stat(run.stderr, "search/foreign") == 1  # a name no article mentions: accounts only
    assert stat(run.stderr, "search/empty") == 1  # 999999: no records at all
    assert "no articles (passportWeb)" in run.stderr
    assert f"new={len(expected)} " in run.stderr

    # Incremental: the searches are asked again, no stored article page is.
    loopback_site.clear_log()
    again = crawl(scrapy_run, loopback_site, f"codes={codes}", "page_size=2")
    assert again.returncode == 0, again.stderr[-3000:]
    assert article_hits(loopback_site) == []
    assert len(search_pages(loopback_site)) == len(pages)
    assert stat(again.stderr, "skipped_stored") == len(expected)
    assert "pages=0 articles new=0" in again.stderr


@pytest.mark.store
def test_pages_cap_and_the_id_route_are_one_article(
    loopback_site: LoopbackSite, scrapy_run: Run, mongo_uri: str, mongo_db: str
) -> None:
    run = crawl(scrapy_run, loopback_site, "codes=公司", "page_size=1", "pages=2")
    assert run.returncode == 0, run.stderr[-3000:]
    assert search_pages(loopback_site) == [("公司", 1), ("公司", 2)]
    assert len(article_hits(loopback_site)) == 2
    # The same article by id (refreshed): the same document, unchanged.
    first = article_hits(loopback_site)[0].removeprefix("/a/").removesuffix(".html")
    by_id = crawl(scrapy_run, loopback_site, f"ids={first}", "refresh=1")
    assert by_id.returncode == 0, by_id.stderr[-3000:]
    assert "new=0 updated=0 unchanged=1" in by_id.stderr
    with MongoClient(mongo_uri) as client:
        assert client[mongo_db].articles.count_documents({}) == 2


@pytest.mark.store
@pytest.mark.parametrize(
    ("status", "said"),
    [
        (200, "search for '00700' page 1: not a JSONP search answer"),
        (404, "search for '00700' page 1: could not fetch the search API (HTTP 404)"),
    ],
)
def test_a_search_that_fails_fails_the_run_saying_so(
    loopback_site: LoopbackSite, scrapy_run: Run, status: int, said: str
) -> None:
    loopback_site.fail("/search/jsonp", status=status, body=b"<html>maintenance</html>")
    run = crawl(scrapy_run, loopback_site, "codes=00700")
    assert run.returncode == 1
    assert said in run.stderr
    assert "finews eastmoney: FAILED;" in run.stderr


def regenerate() -> None:
    for path in saved_answers():
        text = json.dumps(reading(path), ensure_ascii=False, indent=2) + "\n"
        path.with_name(path.stem + ".expected.json").write_text(text, "utf-8")
        print(path.with_name(path.stem + ".expected.json"))


if __name__ == "__main__":
    regenerate()
