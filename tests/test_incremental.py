"""Scheduled runs against the loopback mirror: a quiet run is green, a run that could read
none of its list pages is red and names them, every link is followed or counted."""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from pymongo import MongoClient
from sites import CATEGORYLESS_POST, LoopbackSite, default_posts_dir

ROOT = Path(__file__).resolve().parents[1]
CORPUS_POSTS = ROOT.parent / "shared" / "corpus" / "posts"
Run = Callable[..., subprocess.CompletedProcess[str]]
# Default monitors: these tests are about what a scheduled run decides on its own.
FAST = ["-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=0", "-s", "LOG_LEVEL=INFO"]
POST = re.compile(r"^/(?:[^/]+/)*\d{4}/\d{2}/\d{2}/[^/]+\.html$")

pytestmark = pytest.mark.store


def crawl(run: Run, site: LoopbackSite, *args: str) -> subprocess.CompletedProcess[str]:
    return run("crawl", "finews", *FAST, "-a", f"base_url={site.base_url}", *args)


def post_hits(site: LoopbackSite) -> list[str]:
    return [h.path for h in site.access_log if POST.match(h.path.split("?")[0])]


def summary(run: subprocess.CompletedProcess[str]) -> str:
    return next(line for line in run.stderr.splitlines() if "finews.summary" in line)


def stat(run: subprocess.CompletedProcess[str], key: str) -> int | None:
    found = re.search(rf"'{re.escape(key)}': (\d+)", run.stderr)
    return int(found.group(1)) if found else None


def stored(uri: str, db: str) -> dict[str, dict]:
    with MongoClient(uri) as client:
        return {d["_id"]: d for d in client[db].articles.find()}


def rejected(uri: str, db: str) -> dict[str, str]:
    with MongoClient(uri) as client:
        return {r["url"]: f"{r['stage']}/{r['reason']}" for r in client[db].rejects.find()}


@pytest.fixture(params=["fixtures", pytest.param("corpus", marks=pytest.mark.corpus)])
def mirror(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[LoopbackSite]:
    """The loopback mirror with a site notice and a post at a category-less permalink: the
    project's post fixtures plus one such post, or the real posts of the mirror (their site
    notice `2021-12-01-init.md`, three posts Jekyll publishes without a category)."""
    if request.param == "fixtures":
        with LoopbackSite(default_posts_dir(tmp_path)) as site:
            site.add_post(*CATEGORYLESS_POST)
            yield site
        return
    if not CORPUS_POSTS.is_dir():
        pytest.skip(f"corpus not found at {CORPUS_POSTS}")
    folder = tmp_path / "posts"
    folder.mkdir()
    for path in CORPUS_POSTS.glob("_posts__*.md"):
        shutil.copyfile(path, folder / path.name.removeprefix("_posts__"))
    with LoopbackSite(folder) as site:
        yield site


def test_two_incremental_runs_the_second_quiet_and_green(
    mirror: LoopbackSite,
    scrapy_run: Run,
    mongo_uri: str,
    mongo_db: str,
    request: pytest.FixtureRequest,
) -> None:
    posts = mirror.posts
    categoryless = [p for p in posts if not p.categories]
    notices = [p for p in posts if not p.article_id]
    assert categoryless and notices  # what this test is about is on the site

    first = crawl(scrapy_run, mirror)
    assert first.returncode == 0, first.stderr[-3000:]
    assert sorted(post_hits(mirror)) == sorted(p.url for p in posts)  # every post, once
    articles = stored(mongo_uri, mongo_db)
    rejects = rejected(mongo_uri, mongo_db)
    for post in posts:  # each one stored or rejected with a reason, none dropped
        url = mirror.post_url(post)
        assert (post.article_id in articles) != (url in rejects), url
    for post in notices:
        assert rejects[mirror.post_url(post)] == "identity/not_an_article"
    if request.node.callspec.params["mirror"] == "fixtures":  # only the notice is rejected
        assert set(rejects) == {mirror.post_url(p) for p in notices}
    assert all(p.article_id in articles for p in categoryless if p.front_matter)

    mirror.clear_log()
    second = crawl(scrapy_run, mirror)
    assert second.returncode == 0, second.stderr[-3000:]
    assert post_hits(mirror) == []  # no post page body downloaded again
    line = summary(second)
    assert "articles new=0 updated=0 unchanged=0 rejected=0" in line and "FAILED" not in line
    # one skip per post page (two posts of the mirror are one article by two routes)
    assert stat(second, "finews/skipped_stored") == sum(p.article_id in articles for p in posts)
    assert stat(second, "finews/skipped_rejected") == len(rejects)
    skipped = sum(p.article_id in articles for p in posts)
    assert f"finews finews: not fetched again: stored={skipped} rejected={len(rejects)} " in (
        second.stderr
    )

    # -a refresh=1 reads every post again, the known rejects too
    mirror.clear_log()
    refresh = crawl(scrapy_run, mirror, "-a", "refresh=1")
    assert refresh.returncode == 0, refresh.stderr[-3000:]
    assert sorted(post_hits(mirror)) == sorted(p.url for p in posts)
    assert "articles new=0 " in summary(refresh)


def test_a_transient_failure_is_fetched_again_on_the_next_run(
    loopback_site: LoopbackSite, scrapy_run: Run, mongo_uri: str, mongo_db: str
) -> None:
    post = next(p for p in loopback_site.posts if p.article_id)
    loopback_site.fail(post.url, status=503)
    first = crawl(scrapy_run, loopback_site, "-s", "RETRY_TIMES=0")
    assert rejected(mongo_uri, mongo_db)[loopback_site.post_url(post)] == "fetch/http_503"
    assert post.article_id not in stored(mongo_uri, mongo_db), first.stderr[-3000:]

    loopback_site.clear_faults()
    loopback_site.clear_log()
    second = crawl(scrapy_run, loopback_site)
    assert second.returncode == 0, second.stderr[-3000:]
    assert post_hits(loopback_site) == [post.url]  # that one only: the rest is known
    assert post.article_id in stored(mongo_uri, mongo_db)
    assert "articles new=1 " in summary(second)


@pytest.mark.parametrize(
    "how",
    [
        pytest.param({"status": 404}, id="404"),
        pytest.param({"status": 403}, id="403"),
        pytest.param({"reset": True}, id="connection-reset"),
        pytest.param("too-large", id="too-large"),
    ],
)
def test_a_run_that_reads_none_of_its_list_pages_fails_and_names_them(
    how: dict | str, loopback_site: LoopbackSite, scrapy_run: Run
) -> None:
    lists = ["/", "/emnews/", "/feed.xml"]
    extra: list[str] = ["-s", "RETRY_TIMES=0"]
    if how == "too-large":
        extra += ["-s", "DOWNLOAD_MAXSIZE=200"]  # every list page is larger
    else:
        for path in lists:
            loopback_site.fail(path, **how)
    run = crawl(scrapy_run, loopback_site, *extra)
    assert run.returncode == 1
    line = summary(run)
    assert "FAILED" in line and "list pages fetched" in line
    assert "none of the 3 list pages could be read" in run.stderr
    for path in lists:
        assert loopback_site.url(path) in run.stderr
    if how == "too-large":
        assert f"{loopback_site.url('/')} (too_large)" in run.stderr


def test_a_run_with_some_list_pages_failing_still_passes(
    loopback_site: LoopbackSite, scrapy_run: Run, mongo_uri: str, mongo_db: str
) -> None:
    loopback_site.fail("/emnews/", status=404)
    run = crawl(scrapy_run, loopback_site)
    assert run.returncode == 0, run.stderr[-3000:]
    assert stat(run, "finews/list_pages_failed") == 1
    assert f"list page {loopback_site.url('/emnews/')} could not be read (http_404)" in run.stderr


@pytest.mark.parametrize(
    ("settings", "fails"),
    [
        pytest.param([], False, id="tiny-run-under-the-floor"),
        pytest.param(["-s", "FINEWS_REJECT_RATIO_MIN_PAGES=1"], True, id="floor-lowered"),
    ],
)
def test_the_reject_ceiling_applies_from_a_floor_of_pages(
    settings: list[str], fails: bool, tmp_path: Path, scrapy_run: Run
) -> None:
    # A mirror of two posts, one of them a site notice: 50% rejected, of 2 pages read.
    folder = tmp_path / "posts"
    folder.mkdir()
    for path in default_posts_dir(tmp_path).glob("2024-0*.md"):
        if "site-notice" in path.name or "NW202403052987654321" in path.name:
            shutil.copyfile(path, folder / path.name)
    with LoopbackSite(folder) as site:
        run = crawl(scrapy_run, site, "-s", "FINEWS_MAX_REJECT_RATIO=0.4", *settings)
    assert "pages=2 " in summary(run)
    assert (run.returncode == 1) is fails, run.stderr[-3000:]
    assert ("reject ratio under the ceiling" in summary(run)) is fails


def test_every_permalink_form_is_followed_and_other_links_counted(
    loopback_site: LoopbackSite, scrapy_run: Run, mongo_uri: str, mongo_db: str
) -> None:
    several = loopback_site.add_post(
        "2024-03-03-NW202403032987000003.md",
        '---\nlayout: post\ntitle: "两个分类的稿件"\ndate: 2024-03-03 10:00:00 +0800\n'
        "categories: [cailianshe, Kuaixun]\ntags: 财联社新闻\n---\n<p>两个分类的正文。</p>\n\n"
        "<http://finews.zning.xyz/html_News/NewsShare.html?infoCode=NW202403032987000003>\n",
    )
    assert several is not None and several.url.startswith("/cailianshe/kuaixun/2024/03/03/")
    links = (
        b'<a href="http://elsewhere.invalid/emnews/2024/03/07/x.html">offsite</a>'
        b'<a href="/about.html">about</a><a href="mailto:x@example.com">mail</a></body>'
    )
    home = loopback_site.files["/index.html"]
    loopback_site.files["/index.html"] = home.replace(b"</body>", links)
    run = crawl(scrapy_run, loopback_site)
    assert run.returncode == 0, run.stderr[-3000:]
    articles = stored(mongo_uri, mongo_db)
    assert {p.article_id for p in loopback_site.posts if p.article_id} == set(articles)
    assert articles["202403032987000003"]["url"].endswith(several.url)
    assert sorted(post_hits(loopback_site)) == sorted(p.url for p in loopback_site.posts)
    assert stat(run, "finews/links/offsite") == 1
    assert (stat(run, "finews/links/not_a_post") or 0) >= 2  # /about.html, mailto:
    assert (stat(run, "finews/links/duplicate") or 0) > 0  # home, category page and feed

    # -a categories still narrows: by any of a post's categories; a post without one is out
    with MongoClient(mongo_uri) as client:
        client.drop_database(mongo_db)
    loopback_site.clear_log()
    # the category page is /category/Kuaixun.html, the permalink /cailianshe/kuaixun/…
    narrowed = crawl(scrapy_run, loopback_site, "-a", "categories=Kuaixun")
    assert narrowed.returncode == 0, narrowed.stderr[-3000:]
    assert post_hits(loopback_site) == [several.url], narrowed.stderr[-6000:]
    assert (stat(narrowed, "finews/links/filtered") or 0) > 0


def test_a_reject_that_lacked_its_list_record_is_read_again_with_one(
    loopback_site: LoopbackSite, scrapy_run: Run, mongo_uri: str, mongo_db: str
) -> None:
    post = next(p for p in loopback_site.posts if p.info_code)
    base = ["-a", f"base_url={loopback_site.base_url}"]
    share = loopback_site.newsshare_share_url(post.info_code)
    bare = scrapy_run("crawl", "newsshare", *FAST, *base, "-a", f"urls={share}")
    assert bare.returncode == 0, bare.stderr[-3000:]
    assert list(rejected(mongo_uri, mongo_db).values()) == ["dates/date_missing"]
    again = scrapy_run("crawl", "newsshare", *FAST, *base, "-a", f"urls={share}")
    assert stat(again, "finews/skipped_rejected") == 1  # the same question, the same answer
    listed = scrapy_run("crawl", "newsshare", *FAST, *base)
    assert listed.returncode == 0, listed.stderr[-3000:]
    assert post.article_id in stored(mongo_uri, mongo_db)  # its list record gives it a time
