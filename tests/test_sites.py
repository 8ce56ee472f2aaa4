"""The loopback test sites (tests/sites): what they render and serve, and that the project's
parsers read it. Fast: everything is local, faults use sub-second delays."""

from __future__ import annotations

import http.client
import json
import re
import shutil
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import pytest
import yaml
from lxml import html as lxml_html
from sites import (
    BUNDLED_LAYOUTS,
    CORPUS_SITE,
    FIXTURE_POSTS,
    LoopbackSite,
    Post,
    RenderedSite,
    build_site,
    layouts_dir,
    loopback_site,
    post_source,
    render_site,
    write_sample_posts,
)
from sites.jekyll import SITE_TZ

from finews_spider.model import PageContext, Rejected
from finews_spider.parsing import parse_page
from finews_spider.parsing.text import one_line

__all__ = ["loopback_site"]  # the fixture, imported so pytest finds it here

REPO = Path(__file__).resolve().parents[1]
CORPUS_POSTS = REPO.parent / "shared" / "corpus" / "posts"
BASE = "http://127.0.0.1:8000"
ATOM = "{http://www.w3.org/2005/Atom}"


# --- helpers ----------------------------------------------------------------------------------


def _copy_corpus(prefix: str, dest: Path) -> Path:
    """The corpus stores `_posts/x.md` as `_posts__x.md`: copy one folder back under real names."""
    if not CORPUS_POSTS.is_dir():
        pytest.skip(f"corpus not found at {CORPUS_POSTS} (the shared corpus is outside this repo)")
    dest.mkdir(parents=True, exist_ok=True)
    for path in CORPUS_POSTS.glob(f"{prefix}__*.md"):
        shutil.copyfile(path, dest / path.name.removeprefix(f"{prefix}__"))
    return dest


def _posts_folder(kind: str, tmp_path: Path) -> Path:
    if kind == "samples":
        write_sample_posts(tmp_path / "samples")
        return tmp_path / "samples"
    if kind == "fixtures":
        if not any(FIXTURE_POSTS.glob("*.md")):
            pytest.skip(f"no post fixtures in {FIXTURE_POSTS} yet")
        return FIXTURE_POSTS
    return _copy_corpus(kind, tmp_path / kind)


POST_SETS = [
    "samples",
    "fixtures",
    pytest.param("_posts", marks=pytest.mark.corpus),
    pytest.param("old_post", marks=pytest.mark.corpus),
]
LAYOUTS = [
    pytest.param(BUNDLED_LAYOUTS, id="bundled-layouts"),
    pytest.param(CORPUS_SITE, id="corpus-layouts", marks=pytest.mark.corpus),
]


def _layouts(folder: Path) -> Path:
    if not folder.is_dir():
        pytest.skip(f"layouts not found at {folder}")
    return folder


def _front_matter(path: Path) -> tuple[dict[str, Any], dict[str, bool]] | None:
    """The front matter as Jekyll finds it (first line `---`), and which values were quoted."""
    text = path.read_text(encoding="utf-8")
    match = re.match(r"---\s*\n(.*?\n)---\s*\n", text, re.S)
    if not match:
        return None
    data = yaml.load(match.group(1), Loader=yaml.BaseLoader)  # BaseLoader: strings only
    quoted = {
        m.group(1): m.group(2)[:1] in "\"'"
        for m in re.finditer(r"^(\w+):[ \t]*(.*)$", match.group(1), re.M)
    }
    return data, quoted


def _shown_date(raw: str, quoted: bool) -> str | None:
    """The time the Jekyll page shows for a front-matter date (None: a form not checked here).
    SafeYAML reads an unquoted date without offset as UTC; the page shows Asia/Shanghai."""
    m = re.fullmatch(r"(\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2})(?: ([+-]\d{4}))?", raw.strip())
    if m is None:
        return None
    if m.group(2):
        when = datetime.strptime(f"{m.group(1)} {m.group(2)}", "%Y-%m-%d %H:%M:%S %z")
    else:
        naive = datetime.strptime(m.group(1), "%Y-%m-%d %H:%M:%S")
        when = naive.replace(tzinfo=SITE_TZ if quoted else UTC)
    return when.astimezone(SITE_TZ).strftime("%Y-%m-%d %H:%M:%S")


def _source_link(path: Path) -> str | None:
    links = re.findall(r"^<((?:https?:)?//[^\s<>]+)>\s*$", path.read_text(encoding="utf-8"), re.M)
    return links[-1] if links else None


def _section_links(body: bytes) -> list[str]:
    root = lxml_html.document_fromstring(body)
    return [str(h) for h in root.xpath("//section//a/@href")]


def _get(url: str, timeout: float = 5.0) -> tuple[int, dict[str, str], bytes]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status, dict(response.headers.items()), response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers.items()), exc.read()


def _raw_get(site: LoopbackSite, path: str, timeout: float = 5.0) -> http.client.HTTPResponse:
    """A plain http.client request (no redirects followed)."""
    host, port = site.base_url.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=timeout)
    conn.request("GET", path)
    return conn.getresponse()


@pytest.fixture
def sample_site(tmp_path: Path) -> Iterator[LoopbackSite]:
    """A LoopbackSite over the sample posts (known shapes, whatever the fixtures hold)."""
    write_sample_posts(tmp_path / "posts")
    with LoopbackSite(tmp_path / "posts") as site:
        yield site


# --- rendering: post pages ------------------------------------------------------------------


@pytest.mark.parametrize("layouts", LAYOUTS)
@pytest.mark.parametrize("posts", POST_SETS)
def test_every_post_page_parses_to_its_front_matter(
    posts: str, layouts: Path, tmp_path: Path
) -> None:
    folder = _posts_folder(posts, tmp_path)
    site = build_site(folder, site_url=BASE, layouts=_layouts(layouts))
    assert site.posts, "nothing rendered"
    for post in site.posts:
        url = BASE + post.url
        page = parse_page(url, site.files[post.path])
        assert page.kind == "finews_page", url
        assert page.date_raw.startswith("(GMT+8, Asia/Shanghai, CST) "), url
        assert page.source_url == _source_link(post.source), url
        found = _front_matter(post.source)
        if found is None:  # no front matter for Jekyll: titled from the slug, dated by name
            assert post.front_matter is None
            assert page.title == post.slug
            assert page.date_raw.endswith(f"{post.source.name[:10]} 00:00:00"), url
            assert page.category is None
            continue
        data, quoted = found
        assert page.title == one_line(data.get("title")), url
        shown = _shown_date(str(data.get("date", "")), quoted.get("date", False))
        if shown is not None:
            assert page.date_raw.endswith(" " + shown), (url, data.get("date"))
        categories = str(data.get("categories", "")).split()
        assert page.category == (categories[-1].lower() if categories else None), url
        assert [t for t in page.tags if t] == str(data.get("tags", "")).split(), url
        digest = re.search(
            r"^---\s*\n.*?\n---\s*\n> ([^\n]*)$", post.source.read_text("utf-8"), re.S | re.M
        )
        assert page.summary == (one_line(digest.group(1)) if digest else None), url


def test_permalinks_are_jekylls_default_for_posts_with_categories(tmp_path: Path) -> None:
    site = build_site(write_sample_posts(tmp_path), site_url=BASE)
    urls = {p.source.name: p.url for p in site.posts}
    assert urls["2022-03-03-NW202203031234567890.md"] == (
        "/jingjicankaowang/2022/03/03/NW202203031234567890.html"
    )
    # 10:46:18 without an offset is read as UTC by SafeYAML: 18:46:18 in Asia/Shanghai
    post = site.post("202112081234567893")
    assert post.url == "/emnews/2021/12/08/202112081234567893.html"
    assert post.date.strftime("%H:%M:%S") == "18:46:18"
    assert post.published.strftime("%H:%M:%S") == "10:46:18"
    assert b"2021-12-08 18:46:18</small>" in site.files[post.path]


def test_naive_late_evening_date_moves_the_permalink_to_the_next_day(tmp_path: Path) -> None:
    text = post_source(
        title="夜间消息", date="2022-05-29 21:00:08", category="emnews", tag="东财滚动新闻",
        body="<p>正文。</p>", source_link="http://finance.eastmoney.com/a/202205291234567000.html",
    )  # fmt: skip
    (tmp_path / "2022-05-29-202205291234567000.md").write_text(text, encoding="utf-8")
    jekyll = build_site(tmp_path, site_url=BASE).posts[0]
    assert jekyll.url == "/emnews/2022/05/30/202205291234567000.html"
    assert jekyll.date.strftime("%Y-%m-%d %H:%M:%S") == "2022-05-30 05:00:08"
    beijing = build_site(tmp_path, site_url=BASE, naive_dates="site").posts[0]
    assert beijing.url == "/emnews/2022/05/29/202205291234567000.html"
    assert beijing.date.strftime("%Y-%m-%d %H:%M:%S") == "2022-05-29 21:00:08"
    quoted = text.replace("date: 2022-05-29 21:00:08", 'date: "2022-05-29 21:00:08"')
    (tmp_path / "2022-05-29-202205291234567000.md").write_text(quoted, encoding="utf-8")
    assert build_site(tmp_path, site_url=BASE).posts[0].date == beijing.date  # a string: local


def test_broken_posts_are_rendered_or_skipped_as_jekyll_would(tmp_path: Path) -> None:
    good = post_source(
        title="T", date="2022-05-30 10:00:00 +0800", category="emnews", tag="东财滚动新闻",
        body="<p>正文。</p>", source_link="http://finance.eastmoney.com/a/202205301234567001.html",
    )  # fmt: skip
    files = {
        "2022-05-30-202205301234567001.md": good,
        "-202205301234567002.md": good,  # no date in the name: not a post
        "2022-05-30-202205301234567003.md": good.replace("+0800", "").replace(
            "date: 2022-05-30 10:00:00", "date:  +0800"
        ),  # unreadable date: a Jekyll build fails
        "2022-05-30-202205301234567004.md": good.replace('title: "T"', 'title: ""'),
        "2022-05-30-202205301234567005.md": "\n" + good,  # front matter after a blank line
        "2022-05-30-202205301234567006.md": good.replace("layout: post", "published: false"),
        "2022-05-30-202205301234567007.md": good.replace("<p>正文。</p>", "{% if %}"),
        "_draft-2022-05-30-x.md": good,  # Jekyll ignores names starting with _
    }
    for name, text in files.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    site = build_site(tmp_path, site_url=BASE)
    assert set(site.skipped) == {
        "-202205301234567002.md",
        "2022-05-30-202205301234567003.md",
        "2022-05-30-202205301234567006.md",
        "2022-05-30-202205301234567007.md",
    }
    assert "file name" in site.skipped["-202205301234567002.md"]
    assert "+0800" in site.skipped["2022-05-30-202205301234567003.md"]
    assert "Liquid" in site.skipped["2022-05-30-202205301234567007.md"]
    empty = site.post("202205301234567004")
    assert b"<h1></h1>" in site.files[empty.path]
    assert parse_page(BASE + empty.url, site.files[empty.path]).title == ""
    blank = site.post("202205301234567005")
    assert blank.front_matter is None and blank.url == "/2022/05/30/202205301234567005.html"
    page = parse_page(BASE + blank.url, site.files[blank.path])
    assert (page.title, page.category) == ("202205301234567005", None)
    assert "layout: post" in page.body_html  # the YAML is shown as text
    assert len(site.posts) == 3


def test_markdown_is_kramdown_like(tmp_path: Path) -> None:
    site = build_site(write_sample_posts(tmp_path), site_url=BASE)
    emnews = site.post("202205301234567892")
    assert emnews.content.startswith("<blockquote>\n<p>周一某研究课题组")
    link = "http://finance.eastmoney.com/news/1355,202205301234567892.html"
    assert f'<p><a href="{link}">{link}</a></p>' in emnews.content
    assert '<p><a href="//finews.withounder.com/emnews/">返回东财滚动新闻</a>｜' in emnews.content
    plain = site.post("202112081234567893")
    assert plain.content.startswith("<p>某市人均可支配收入")


# --- rendering: index pages and the feed --------------------------------------------------


@pytest.mark.parametrize("layouts", LAYOUTS)
@pytest.mark.parametrize("posts", POST_SETS)
def test_home_category_pages_and_feed_link_every_post(
    posts: str, layouts: Path, tmp_path: Path
) -> None:
    site = build_site(_posts_folder(posts, tmp_path), site_url=BASE, layouts=_layouts(layouts))
    newest_first = [p.url for p in site.posts]
    assert _section_links(site.files["/index.html"]) == newest_first[:100]
    assert set(site.categories) == {c for p in site.posts for c in p.categories}
    for category, members in site.categories.items():
        links = _section_links(site.files[f"/category/{category}.html"])
        assert links == [p.url for p in members], category
    feed = ElementTree.fromstring(site.files["/feed.xml"])
    entries = feed.findall(f"{ATOM}entry")
    assert [e.find(f"{ATOM}link").get("href") for e in entries] == [
        BASE + u for u in newest_first[:10]
    ]
    for entry, post in zip(entries, site.posts, strict=False):
        assert entry.findtext(f"{ATOM}title") == one_line(post.title)
        assert entry.findtext(f"{ATOM}id") == BASE + post.id
        assert datetime.fromisoformat(entry.findtext(f"{ATOM}updated") or "") == post.date
    # /emnews/: the list is a kramdown code block (escaped text, no links), as on the mirror
    emnews_page = site.files["/emnews/index.html"].decode()
    assert _section_links(site.files["/emnews/index.html"]) == []
    emnews_posts = [p.url for p in site.posts if "东财滚动新闻" in p.tags][:20]
    positions = [emnews_page.find(f"&lt;a href=&quot;{u}&quot;") for u in emnews_posts]
    assert all(i > 0 for i in positions) and positions == sorted(positions)


def test_home_shows_100_newest_and_feed_10_newest(tmp_path: Path) -> None:
    for i in range(105):
        day = f"2022-01-{1 + i // 10:02d}"
        name = f"{day}-NW{day.replace('-', '')}{i:010d}.md"
        text = post_source(
            title=f"第{i}条", date=f"{day} 08:{i % 60:02d}:{i % 7:02d} +0800",
            category="cailianshe", tag="财联社新闻", body="<p>正文。</p>",
            source_link=f"http://finews.zning.xyz/html_News/NewsShare.html?infoCode={name[11:-3]}",
        )  # fmt: skip
        (tmp_path / name).write_text(text, encoding="utf-8")
    site = build_site(tmp_path, site_url=BASE)
    assert len(site.posts) == 105
    assert _section_links(site.files["/index.html"]) == [p.url for p in site.posts[:100]]
    assert len(_section_links(site.files["/category/cailianshe.html"])) == 105
    feed = ElementTree.fromstring(site.files["/feed.xml"])
    assert [e.findtext(f"{ATOM}title") for e in feed.findall(f"{ATOM}entry")] == [
        p.title for p in site.posts[:10]
    ]


def test_og_description_carries_the_raw_content_like_the_real_layout(tmp_path: Path) -> None:
    # page.content is written unescaped into <meta content="...">: on the home page that is
    # the unrendered source, so `{{ post.url }}` turns up as a link (a crawler will 404 on it)
    site = build_site(write_sample_posts(tmp_path), site_url=BASE)
    home = lxml_html.document_fromstring(site.files["/index.html"])
    assert "{{ post.url }}" in home.xpath("//a/@href")


def test_render_site_returns_paths_to_bytes(tmp_path: Path) -> None:
    files = render_site(write_sample_posts(tmp_path), site_url=BASE, robots_txt="User-agent: *\n")
    assert {"/index.html", "/emnews/index.html", "/feed.xml", "/robots.txt"} <= set(files)
    assert "/category/jingjicankaowang.html" in files
    assert files["/robots.txt"] == b"User-agent: *\n"
    assert all(isinstance(v, bytes) for v in files.values())
    assert "/robots.txt" not in render_site(tmp_path, site_url=BASE, robots_txt=None)


def test_layouts_come_from_the_corpus_when_present() -> None:
    assert layouts_dir() == (CORPUS_SITE if CORPUS_SITE.is_dir() else BUNDLED_LAYOUTS)
    assert {p.name for p in (BUNDLED_LAYOUTS / "_layouts").iterdir()} == {
        "default.html",
        "post.html",
        "category.html",
    }


# --- the server: sections ---------------------------------------------------------------------


def test_fixture_serves_the_finews_site(loopback_site: LoopbackSite) -> None:
    assert loopback_site.posts
    status, headers, body = _get(loopback_site.url("/"))
    assert status == 200 and headers["Content-Type"] == "text/html; charset=utf-8"
    assert body == loopback_site.files["/index.html"]
    for post in loopback_site.posts[:5]:
        status, _, body = _get(loopback_site.post_url(post))
        assert status == 200
        assert parse_page(loopback_site.post_url(post), body).title == one_line(post.title)
    status, headers, _ = _get(loopback_site.url("/feed.xml"))
    assert status == 200 and headers["Content-Type"].startswith("application/xml")
    assert _get(loopback_site.url("/no/such/page.html"))[0] == 404
    assert loopback_site.access_log[-1] == ("GET", "/no/such/page.html", 404)


def test_directories_redirect_and_pages_serve_without_extension(sample_site: LoopbackSite) -> None:
    response = _raw_get(sample_site, "/emnews")
    assert (response.status, response.getheader("Location")) == (301, "/emnews/")
    assert _get(sample_site.url("/emnews/"))[2] == sample_site.files["/emnews/index.html"]
    no_ext = _get(sample_site.url("/category/emnews"))
    assert no_ext[0] == 200 and no_ext[2] == sample_site.files["/category/emnews.html"]


def test_access_log_records_method_path_and_status(sample_site: LoopbackSite) -> None:
    sample_site.clear_log()
    _get(sample_site.url("/robots.txt"))
    _get(sample_site.url("/NewsData/GetNewsList.do?pageIndex=1&pageSize=2"))
    request = urllib.request.Request(sample_site.url("/"), method="HEAD")
    with urllib.request.urlopen(request, timeout=5) as response:
        assert response.read() == b""
    assert sample_site.access_log == [
        ("GET", "/robots.txt", 200),
        ("GET", "/NewsData/GetNewsList.do?pageIndex=1&pageSize=2", 200),
        ("HEAD", "/", 200),
    ]
    assert sample_site.hits("/NewsData/GetNewsList.do") == [sample_site.access_log[1]]


def test_eastmoney_article_pages_parse(sample_site: LoopbackSite) -> None:
    post = sample_site.site.post("NW202203031234567890")
    url = sample_site.eastmoney_url(post)
    assert url.endswith("/a/202203031234567890.html")
    status, _, body = _get(url)
    assert status == 200
    page = parse_page(url, body)
    assert page.kind == "eastmoney_page"
    assert page.title == post.title
    assert page.date_raw == "2022年03月03日 16:39"
    assert page.outlet_hint == "经济参考网"
    assert page.source_url == url  # the canonical link
    assert "EM_StockImg_Start" in page.body_html and "（文章来源：经济参考网）" in page.body_html
    column = sample_site.url("/news/1355,202205301234567892.html")
    page = parse_page(column, _get(column)[2])
    assert page.outlet_hint == "财联社"  # from the em_media line of an emnews post
    assert page.date_raw == "2022年05月30日 21:59"
    # the Eastmoney page states the front-matter wall time, not Jekyll's UTC reading
    naive = sample_site.site.post("202112081234567893")
    page = parse_page(sample_site.eastmoney_url(naive), _get(sample_site.eastmoney_url(naive))[2])
    assert page.date_raw == "2021年12月08日 10:46"
    assert _get(sample_site.url("/a/209912310000000000.html"))[0] == 404


def test_newsshare_list_text_and_shell(sample_site: LoopbackSite) -> None:
    status, headers, body = _get(sample_site.newsshare_list_url(page_size=100))
    assert status == 200 and headers["Content-Type"] == "application/json; charset=utf-8"
    data = json.loads(body)
    assert data["code"] == 0 and data["data"]["total"] == 2
    records = data["data"]["list"]
    assert [r["infoCode"] for r in records] == ["NW202205301234567891", "NW202203031234567890"]
    assert set(records[0]) == {"title", "showtime", "medianame", "infoCode"}
    for record in records:
        url = sample_site.newsshare_text_url(record["infoCode"])
        status, _, body = _get(url)
        assert status == 200
        page = parse_page(url, body, PageContext(list_record=record))
        post = sample_site.site.post(record["infoCode"])
        assert page.kind == "newsshare_json"
        assert (page.title, page.date_raw) == (post.title, record["showtime"])
        assert page.outlet_hint == record["medianame"] == post.outlet
        assert page.info_code == record["infoCode"]
        assert "（文章来源：" in page.body_html
    assert records[1]["showtime"] == "2022-03-03 16:39:57"
    paged = json.loads(_get(sample_site.newsshare_list_url(page_index=2, page_size=1))[2])
    assert [r["infoCode"] for r in paged["data"]["list"]] == ["NW202203031234567890"]
    assert _get(sample_site.newsshare_list_url(page_size=0))[0] == 400
    missing = _get(sample_site.newsshare_text_url("NW209912310000000000"))
    assert missing[0] == 404 and json.loads(missing[2])["data"] is None
    shell_url = sample_site.newsshare_share_url("NW202203031234567890")
    shell = _get(shell_url)[2]
    assert b"GetNewsText.do" in shell and "示例科技".encode() not in shell
    with pytest.raises(Rejected) as info:
        parse_page(shell_url, shell)
    assert info.value.reason == "share_shell"


def test_add_post_rerenders_the_site(sample_site: LoopbackSite) -> None:
    text = post_source(
        title="新增的一条", date="2022-06-01 09:30:00 +0800", category="cailianshe",
        tag="财联社新闻", body="<p>正文。</p>",
        source_link="http://finews.zning.xyz/html_News/NewsShare.html?infoCode=NW202206011234567894",
    )  # fmt: skip
    post = sample_site.add_post("2022-06-01-NW202206011234567894.md", text)
    assert isinstance(post, Post) and sample_site.posts[0] is post
    assert _section_links(_get(sample_site.url("/"))[2])[0] == post.url
    assert _get(sample_site.url("/category/cailianshe.html"))[0] == 200
    feed = ElementTree.fromstring(_get(sample_site.url("/feed.xml"))[2])
    first = feed.find(f"{ATOM}entry/{ATOM}link")
    assert first is not None and first.get("href") == sample_site.post_url(post)
    listing = json.loads(_get(sample_site.newsshare_list_url())[2])
    assert listing["data"]["list"][0]["infoCode"] == "NW202206011234567894"
    assert sample_site.add_post("no-date.md", text) is None
    assert "no-date.md" in sample_site.site.skipped


# --- the server: fault knobs ------------------------------------------------------------------


def test_fail_with_status_and_retry_after(sample_site: LoopbackSite) -> None:
    sample_site.fail("/feed.xml", status=503, retry_after=7)
    status, headers, _ = _get(sample_site.url("/feed.xml"))
    assert (status, headers["Retry-After"]) == (503, "7")
    sample_site.fail("/", status=429, retry_after=1, times=2)
    assert [_get(sample_site.url("/"))[0] for _ in range(3)] == [429, 429, 200]
    post = sample_site.posts[0]
    sample_site.fail(sample_site.post_url(post), status=500)  # a full URL works too
    assert _get(sample_site.post_url(post))[0] == 500
    sample_site.clear_faults()
    assert _get(sample_site.post_url(post))[0] == 200
    assert [h.status for h in sample_site.hits("/feed.xml")] == [503]


def test_fail_matches_the_query_when_given(sample_site: LoopbackSite) -> None:
    sample_site.fail("/NewsData/GetNewsText.do?id=NW202203031234567890", status=500)
    assert _get(sample_site.newsshare_text_url("NW202203031234567890"))[0] == 500
    assert _get(sample_site.newsshare_text_url("NW202205301234567891"))[0] == 200
    sample_site.fail("/NewsData/GetNewsList.do", status=502)  # without a query: every query
    assert _get(sample_site.newsshare_list_url(page_index=3))[0] == 502


def test_fail_with_delay(sample_site: LoopbackSite) -> None:
    sample_site.fail("/", delay=0.3)
    started = time.monotonic()
    assert _get(sample_site.url("/"))[0] == 200
    assert time.monotonic() - started >= 0.3
    sample_site.fail("/feed.xml", delay=5)
    with pytest.raises((TimeoutError, urllib.error.URLError)):
        _get(sample_site.url("/feed.xml"), timeout=0.2)
    assert sample_site.hits("/feed.xml") == [("GET", "/feed.xml", 200)]  # logged on arrival


def test_release_answers_a_delayed_request_at_once(sample_site: LoopbackSite) -> None:
    sample_site.fail("/feed.xml", delay=20)
    threading.Timer(0.3, sample_site.release, args=("/feed.xml",)).start()
    started = time.monotonic()
    assert _get(sample_site.url("/feed.xml"), timeout=10)[0] == 200
    assert 0.3 <= time.monotonic() - started < 5
    started = time.monotonic()
    assert _get(sample_site.url("/feed.xml"))[0] == 200  # the fault is gone
    assert time.monotonic() - started < 5


def test_fail_with_truncated_body(sample_site: LoopbackSite) -> None:
    sample_site.fail("/index.html", truncate=True)
    response = _raw_get(sample_site, "/index.html")
    assert response.status == 200
    declared = int(response.getheader("Content-Length") or 0)
    assert declared == len(sample_site.files["/index.html"])
    with pytest.raises(http.client.IncompleteRead) as info:
        response.read()
    assert 0 < len(info.value.partial) < declared


def test_fail_with_connection_reset(sample_site: LoopbackSite) -> None:
    sample_site.fail("/index.html", reset=True)
    with pytest.raises((ConnectionResetError, http.client.IncompleteRead)):
        response = _raw_get(sample_site, "/index.html")
        response.read()
    assert sample_site.hits("/index.html")[-1].status == 200
    sample_site.clear_faults("/index.html")
    assert _get(sample_site.url("/index.html"))[0] == 200


def test_fail_rejects_nonsense(sample_site: LoopbackSite) -> None:
    for kwargs in ({}, {"status": 42}, {"delay": 1e6}, {"truncate": True, "reset": True}):
        with pytest.raises(ValueError):
            sample_site.fail("/", **kwargs)


def test_robots_is_configurable(sample_site: LoopbackSite) -> None:
    assert _get(sample_site.url("/robots.txt"))[2] == b"User-agent: *\nAllow: /\n"
    sample_site.set_robots("User-agent: *\nDisallow: /category/\n")
    status, headers, body = _get(sample_site.url("/robots.txt"))
    assert (status, body) == (200, b"User-agent: *\nDisallow: /category/\n")
    assert headers["Content-Type"] == "text/plain; charset=utf-8"
    sample_site.set_robots(None)
    assert _get(sample_site.url("/robots.txt"))[0] == 404
    sample_site.render()  # a re-render keeps the setting
    assert _get(sample_site.url("/robots.txt"))[0] == 404


def test_stop_is_prompt_and_clean(tmp_path: Path) -> None:
    write_sample_posts(tmp_path / "posts")
    site = LoopbackSite(tmp_path / "posts").start()
    site.fail("/", delay=20)
    outcome: list[object] = []

    def slow_client() -> None:
        try:
            outcome.append(_get(site.url("/"), timeout=25)[0])
        except Exception as exc:  # the server going away mid-request
            outcome.append(type(exc))

    host, port = site.base_url.removeprefix("http://").split(":")
    idle = http.client.HTTPConnection(host, int(port), timeout=5)
    idle.request("GET", "/robots.txt")
    idle.getresponse().read()  # a keep-alive connection left open
    base = site.base_url
    thread = threading.Thread(target=slow_client)
    thread.start()
    time.sleep(0.2)
    started = time.monotonic()
    site.stop()
    thread.join(timeout=5)
    assert time.monotonic() - started < 3
    assert not thread.is_alive() and outcome and outcome[0] != 200
    with pytest.raises(urllib.error.URLError):
        urllib.request.urlopen(base + "/", timeout=2)
    idle.close()
    assert site.errors == []


def test_rendered_site_type(sample_site: LoopbackSite) -> None:
    assert isinstance(sample_site.site, RenderedSite)
    assert sample_site.site.site_url == sample_site.base_url
