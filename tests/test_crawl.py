"""The live spiders against sites served on 127.0.0.1 (no live site is reachable)."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from pymongo import MongoClient
from sites import LoopbackSite

from finews_spider.store.securities import master_documents

ROOT = Path(__file__).resolve().parents[1]
Run = Callable[..., subprocess.CompletedProcess[str]]
FAST = ["-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=0", "-s", "LOG_LEVEL=INFO"]
# These sites are small and the tests break them on purpose: no reject-ratio ceiling.
FAST += ["-s", "FINEWS_MAX_REJECT_RATIO=1"]
POST = re.compile(r"^/(?:[^/]+/)*\d{4}/\d{2}/\d{2}/[^/]+\.html$")

pytestmark = pytest.mark.store


def crawl(run: Run, spider: str, *args: str) -> subprocess.CompletedProcess[str]:
    """`name=value` is a spider argument (-a); `-s`, `NAME=value` pairs pass through."""
    argv = ["crawl", spider, *FAST]
    after_flag = False
    for arg in args:
        argv += ["-a", arg] if "=" in arg and not after_flag else [arg]
        after_flag = arg == "-s"
    return run(*argv)


def post_hits(site: LoopbackSite) -> list[str]:
    return [h.path for h in site.access_log if POST.match(h.path.split("?")[0])]


def articles(uri: str, db: str) -> dict[str, dict]:
    with MongoClient(uri) as client:
        return {d["_id"]: d for d in client[db].articles.find()}


def rejects(uri: str, db: str) -> list[dict]:
    with MongoClient(uri) as client:
        return list(client[db].rejects.find())


def test_full_crawl_stores_every_article_exactly_once_then_only_what_is_new(
    loopback_site: LoopbackSite, scrapy_run: Run, mongo_uri: str, mongo_db: str
) -> None:
    posts = loopback_site.posts
    with_id = {p.article_id for p in posts if p.article_id}
    run = crawl(scrapy_run, "finews", f"base_url={loopback_site.base_url}")
    assert run.returncode == 0, run.stderr[-3000:]
    assert "balanced=yes" in run.stderr
    hits = post_hits(loopback_site)
    assert sorted(hits) == sorted(p.url for p in posts)  # each post fetched exactly once
    stored = articles(mongo_uri, mongo_db)
    assert set(stored) == with_id
    assert all(len(d["urls"]) == 1 and d["page_kind"] == "finews_page" for d in stored.values())
    assert {r["reason"] for r in rejects(mongo_uri, mongo_db)} == {"not_an_article"}

    # A second scheduled run after two new posts: the list pages and those two, nothing else.
    new = [
        loopback_site.add_post(
            f"2024-03-20-NW20240320299900000{i}.md",
            f'---\nlayout: post\ntitle: "新稿件{i}"\ndate: 2024-03-20 10:0{i}:00 +0800\n'
            f"categories: cailianshe\ntags: 财联社新闻\n---\n<p>新稿件{i}的正文。</p>\n\n"
            f"<http://finews.zning.xyz/html_News/NewsShare.html?infoCode=NW20240320299900000{i}>\n",
        )
        for i in (1, 2)
    ]
    assert all(p is not None for p in new)
    loopback_site.clear_log()
    again = crawl(scrapy_run, "finews", f"base_url={loopback_site.base_url}")
    assert again.returncode == 0, again.stderr[-3000:]
    # only the new ones: the site notice was rejected for what it is, and is known now
    assert sorted(post_hits(loopback_site)) == sorted(p.url for p in new if p)
    lists = {h.path for h in loopback_site.access_log} - set(post_hits(loopback_site))
    assert {"/", "/feed.xml"} <= lists
    assert len(articles(mongo_uri, mongo_db)) == len(with_id) + 2
    assert "new=2 " in again.stderr
    with MongoClient(mongo_uri, tz_aware=True) as client:  # the crawl kept the master current
        db = client[mongo_db]
        rebuilt = master_documents(db.articles.find({}, {"stocks": 1, "published_at": 1}))
        assert rebuilt and {d["_id"]: d for d in db.securities.find()} == rebuilt


def test_robots_disallow_is_honoured(
    loopback_site: LoopbackSite, scrapy_run: Run, mongo_uri: str, mongo_db: str
) -> None:
    loopback_site.set_robots("User-agent: *\nDisallow: /emnews/\n")
    run = crawl(scrapy_run, "finews", f"base_url={loopback_site.base_url}")
    assert run.returncode == 0, run.stderr[-3000:]
    assert not [p for p in post_hits(loopback_site) if p.startswith("/emnews/")]
    # a page robots.txt forbids is a link not followed (counted), not a page read
    emnews = [p for p in loopback_site.posts if p.url.startswith("/emnews/")]
    assert f"'finews/links/robots_disallowed': {len(emnews) + 1}," in run.stderr  # + /emnews/
    assert "robots_disallowed" not in {r["reason"] for r in rejects(mongo_uri, mongo_db)}
    assert "balanced=yes" in run.stderr


def test_server_errors_are_retried_then_rejected_and_faults_do_not_stop_the_crawl(
    loopback_site: LoopbackSite, scrapy_run: Run, mongo_uri: str, mongo_db: str
) -> None:
    posts = [p for p in loopback_site.posts if p.article_id]
    broken, slow, cut = posts[0], posts[1], posts[2]
    loopback_site.fail(broken.url, status=500)
    loopback_site.fail(slow.url, delay=5)
    loopback_site.fail(cut.url, truncate=True)
    run = crawl(
        scrapy_run,
        "finews",
        f"base_url={loopback_site.base_url}",
        "-s",
        "DOWNLOAD_TIMEOUT=1",
        "-s",
        "RETRY_TIMES=2",
    )
    assert run.returncode == 0, run.stderr[-3000:]
    assert len(loopback_site.hits(broken.url)) == 3  # the first try and two retries
    found = {
        r["url"].removeprefix(loopback_site.base_url): r["reason"]
        for r in rejects(mongo_uri, mongo_db)
    }
    assert found[broken.url] == "http_500"
    assert found[slow.url] == "download_timeout_error"
    assert found[cut.url] == "response_data_loss_error"
    stored = articles(mongo_uri, mongo_db)
    assert set(stored) == {p.article_id for p in posts[3:]}
    assert "balanced=yes" in run.stderr


def test_links_to_other_domains_are_not_followed(
    loopback_site: LoopbackSite, scrapy_run: Run, mongo_uri: str, mongo_db: str
) -> None:
    target = loopback_site.posts[0].url
    links = (
        f'<a href="http://elsewhere.invalid{target}">x</a>'
        f'<a href="//finews.withounder.com{target}">y</a></body>'
    ).encode()
    home = loopback_site.files["/index.html"]
    loopback_site.files["/index.html"] = home.replace(b"</body>", links)  # inside the page
    run = crawl(scrapy_run, "finews", f"base_url={loopback_site.base_url}")
    assert run.returncode == 0, run.stderr[-3000:]
    assert "elsewhere.invalid" not in run.stderr and "withounder" not in run.stderr
    assert "'finews/links/offsite': 2," in run.stderr
    assert post_hits(loopback_site).count(target) == 1


def test_categories_and_since_narrow_the_crawl(
    loopback_site: LoopbackSite, scrapy_run: Run, mongo_uri: str, mongo_db: str
) -> None:
    run = crawl(
        scrapy_run,
        "finews",
        f"base_url={loopback_site.base_url}",
        "categories=emnews,zhengquanshibao",
        "since=2024-03-07",
    )
    assert run.returncode == 0, run.stderr[-3000:]
    hits = post_hits(loopback_site)
    assert hits and all(h.split("/")[1] in ("emnews", "zhengquanshibao") for h in hits)
    assert all(h.split("/")[2:5] >= ["2024", "03", "07"] for h in hits)


def test_newsshare_lists_then_article_json_with_the_list_record(
    loopback_site: LoopbackSite, scrapy_run: Run, mongo_uri: str, mongo_db: str
) -> None:
    run = crawl(scrapy_run, "newsshare", f"base_url={loopback_site.base_url}")
    assert run.returncode == 0, run.stderr[-3000:]
    stored = articles(mongo_uri, mongo_db)
    shared = [p for p in loopback_site.posts if p.info_code]
    assert set(stored) == {p.article_id for p in shared} and stored
    for doc in stored.values():
        assert doc["page_kind"] == "newsshare_json" and doc["info_code"].startswith("NW")
        assert doc["title"] and doc["outlet"]


def test_a_bare_share_link_never_gets_an_invented_time(
    loopback_site: LoopbackSite, scrapy_run: Run, mongo_uri: str, mongo_db: str
) -> None:
    code = next(p.info_code for p in loopback_site.posts if p.info_code)
    run = crawl(
        scrapy_run,
        "newsshare",
        f"base_url={loopback_site.base_url}",
        f"urls={loopback_site.newsshare_share_url(code)}",
    )
    assert run.returncode == 0, run.stderr[-3000:]
    assert articles(mongo_uri, mongo_db) == {}
    assert [r["reason"] for r in rejects(mongo_uri, mongo_db)] == ["date_missing"]


def test_eastmoney_pages_by_id(
    loopback_site: LoopbackSite, scrapy_run: Run, mongo_uri: str, mongo_db: str
) -> None:
    ids = [p.article_id for p in loopback_site.posts if p.article_id][:3]
    run = crawl(
        scrapy_run, "eastmoney", f"base_url={loopback_site.base_url}", "ids=" + ",".join(ids)
    )
    assert run.returncode == 0, run.stderr[-3000:]
    stored = articles(mongo_uri, mongo_db)
    assert sorted(stored) == sorted(ids)
    assert all(d["page_kind"] == "eastmoney_page" for d in stored.values())


def test_http_cache_records_a_crawl_and_replays_it_offline(
    loopback_site: LoopbackSite, scrapy_run: Run, mongo_uri: str, mongo_db: str, tmp_path: Path
) -> None:
    cache = ["-s", "HTTPCACHE_ENABLED=1", "-s", f"HTTPCACHE_DIR={tmp_path / 'cache'}"]
    base = f"base_url={loopback_site.base_url}"
    first = crawl(scrapy_run, "finews", base, *cache)
    assert first.returncode == 0, first.stderr[-3000:]
    stored = articles(mongo_uri, mongo_db)
    loopback_site.stop()  # the site is gone: only the cache can answer now
    offline = crawl(
        scrapy_run, "finews", base, "refresh=1", *cache, "-s", "HTTPCACHE_IGNORE_MISSING=1"
    )
    assert offline.returncode == 0, offline.stderr[-3000:]
    assert f"unchanged={len(stored)} " in offline.stderr
    assert articles(mongo_uri, mongo_db).keys() == stored.keys()


def test_exit_status_when_nothing_can_be_fetched(scrapy_run: Run) -> None:
    run = crawl(scrapy_run, "finews", "base_url=http://127.0.0.1:9/", "-s", "RETRY_TIMES=0")
    assert run.returncode != 0
    assert "FAILED" in run.stderr


def test_a_failed_monitor_shows_in_the_summary_and_the_exit_status(
    loopback_site: LoopbackSite, scrapy_run: Run
) -> None:
    run = crawl(
        scrapy_run,
        "finews",
        f"base_url={loopback_site.base_url}",
        "-s",
        "FINEWS_MIN_ARTICLES=100",
        "-s",
        'FINEWS_FIELD_COVERAGE={"stock_codes": 1.0}',
    )
    assert run.returncode == 1
    summary = next(line for line in run.stderr.splitlines() if "finews.summary" in line)
    assert "FAILED" in summary and "minimum article count" in summary
    assert "stock_codes" in run.stderr and "field coverage" in summary
