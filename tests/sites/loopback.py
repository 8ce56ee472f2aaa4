"""`LoopbackSite`: the rendered finews site, the Eastmoney-like pages and the NewsShare
endpoints on one loopback server, with the server's access log and fault knobs.

Sections (one host, told apart by path):

- finews (Jekyll) site: ``/`` (= ``/index.html``), ``/emnews/``, ``/category/<cat>.html``,
  ``/feed.xml``, ``/robots.txt``, posts at ``/<cat>/<yyyy>/<mm>/<dd>/<slug>.html``. Like
  GitHub Pages, ``/x`` also serves ``/x.html`` and ``/dir`` redirects (301) to ``/dir/``.
- Eastmoney: ``/a/<id>.html`` and ``/news/<column>,<id>.html``.
- Eastmoney search API: ``/search/jsonp?cb=…&param=…`` (JSONP).
- NewsShare: ``/NewsData/GetNewsList.do``, ``/NewsData/GetNewsText.do?id=<infoCode>``,
  ``/html_News/NewsShare.html?infoCode=<infoCode>`` (see eastmoney.py for the JSON shapes).

Anything else is a 404 page.
"""

from __future__ import annotations

import re
import shutil
import tempfile
import threading
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType
from typing import Any, Self
from urllib.parse import parse_qs, quote, unquote, urlencode, urlsplit

from . import eastmoney
from .jekyll import DEFAULT_ROBOTS, REPO, Post, RenderedSite, build_site, content_type
from .samples import write_sample_posts
from .server import Hit, LoopbackServer, Response

__all__ = ["FIXTURE_POSTS", "LoopbackSite", "default_posts_dir"]

#: the project's post fixtures (written by the lead); the sample posts stand in until then
FIXTURE_POSTS = REPO / "fixtures" / "finews_source"

_ARTICLE = re.compile(r"/a/(\d{18})\.html")
_COLUMN_ARTICLE = re.compile(r"/news/\d+,(\d{18})\.html")
_JSON = "application/json; charset=utf-8"


def _has_posts(folder: Path) -> bool:
    return folder.is_dir() and any(folder.glob("*.md"))


def default_posts_dir(scratch: Path | None = None) -> Path:
    """`FIXTURE_POSTS` when it holds posts, else the sample posts written into `scratch`."""
    if _has_posts(FIXTURE_POSTS):
        return FIXTURE_POSTS
    folder = (scratch or Path(tempfile.mkdtemp(prefix="finews-posts-"))) / "posts"
    write_sample_posts(folder)
    return folder


class LoopbackSite:
    """The three sections on one 127.0.0.1 server. Use as a context manager (or `start`/`stop`).

    `posts_dir` defaults to `default_posts_dir()`. The site is rendered when the server starts
    (absolute links need its port) and again after `add_post`."""

    def __init__(
        self,
        posts_dir: Path | str | None = None,
        *,
        robots: str | None = DEFAULT_ROBOTS,
        layouts: Path | None = None,
        naive_dates: str = "utc",
    ) -> None:
        self._scratch = Path(tempfile.mkdtemp(prefix="finews-site-"))
        self.posts_dir = (
            Path(posts_dir) if posts_dir is not None else default_posts_dir(self._scratch)
        )
        self._robots = robots
        self._layouts = layouts
        self._naive_dates = naive_dates
        self._extra: dict[str, Path] = {}  # file name -> added post source
        self._lock = threading.Lock()
        self._site: RenderedSite | None = None
        self._articles: dict[str, Post] = {}
        self.server = LoopbackServer(self._app)

    # --- lifecycle ---------------------------------------------------------------------------

    def start(self) -> Self:
        self.server.start()
        self.render()
        return self

    def stop(self) -> None:
        self.server.stop()
        shutil.rmtree(self._scratch, ignore_errors=True)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # --- the site ----------------------------------------------------------------------------

    def render(self) -> RenderedSite:
        sources = (
            [p for p in self.posts_dir.iterdir() if p.is_file()] if self.posts_dir.is_dir() else []
        )
        sources += list(self._extra.values())  # same name: the added post replaces the original
        site = build_site(
            sources,
            site_url=self.base_url,
            layouts=self._layouts,
            robots_txt=self._robots,
            naive_dates=self._naive_dates,
        )
        articles: dict[str, Post] = {}
        for post in site.posts:  # newest first: the newest post with an id wins
            if post.article_id and post.article_id not in articles:
                articles[post.article_id] = post
        with self._lock:
            self._site, self._articles = site, articles
        return site

    @property
    def site(self) -> RenderedSite:
        if self._site is None:
            raise RuntimeError("start the LoopbackSite first")
        return self._site

    @property
    def posts(self) -> list[Post]:
        """The published posts, newest first."""
        return self.site.posts

    @property
    def files(self) -> dict[str, bytes]:
        return self.site.files

    def add_post(self, source: Path | str, text: str | None = None) -> Post | None:
        """Add a post and re-render. `source` is a post file, or with `text` a file name
        (``2022-06-01-NW….md``). Returns the Post, or None when Jekyll would not publish it
        (the reason is in ``site.skipped``)."""
        if text is not None:
            path = self._scratch / "added" / Path(source).name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        else:
            path = Path(source)
            if not path.is_file():
                raise FileNotFoundError(path)
        self._extra[path.name] = path
        site = self.render()
        return next((p for p in site.posts if p.source == path), None)

    def set_robots(self, text: str | None) -> None:
        """Serve `text` at /robots.txt (None: 404, as GitHub Pages without one)."""
        self._robots = text
        with self._lock:
            if self._site is None:
                return
            if text is None:
                self._site.files.pop("/robots.txt", None)
            else:
                self._site.files["/robots.txt"] = text.encode("utf-8")

    # --- URLs --------------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        return self.server.base_url

    def url(self, path: str = "/") -> str:
        return self.server.url(path)

    def post_url(self, post: Post) -> str:
        return self.base_url + post.url

    def eastmoney_url(self, post: Post) -> str:
        if not post.article_id:
            raise ValueError(f"{post.source.name} has no article id")
        return self.url(f"/a/{post.article_id}.html")

    def newsshare_list_url(self, page_index: int = 1, page_size: int = 20) -> str:
        query = urlencode({"pageIndex": page_index, "pageSize": page_size})
        return self.url(f"/NewsData/GetNewsList.do?{query}")

    def search_url(self) -> str:
        """The search API endpoint (`-a search_url=`)."""
        return self.url("/search/jsonp")

    def newsshare_text_url(self, info_code: str) -> str:
        return self.url(f"/NewsData/GetNewsText.do?id={quote(info_code)}")

    def newsshare_share_url(self, info_code: str) -> str:
        return self.url(f"/html_News/NewsShare.html?infoCode={quote(info_code)}")

    # --- server pass-throughs ----------------------------------------------------------------

    @property
    def access_log(self) -> list[Hit]:
        return self.server.access_log

    def clear_log(self) -> None:
        self.server.clear_log()

    def hits(self, path: str) -> list[Hit]:
        return self.server.hits(path)

    def fail(self, path: str, **fault: Any) -> None:
        """``fail(path, status=…, retry_after=…, location=…, delay=…, truncate=True, reset=True,
        times=…)``"""
        self.server.fail(path, **fault)

    def release(self, path: str) -> None:
        self.server.release(path)

    def clear_faults(self, path: str | None = None) -> None:
        self.server.clear_faults(path)

    @property
    def errors(self) -> list[BaseException]:
        return self.server.errors

    # --- routing -----------------------------------------------------------------------------

    def _app(self, method: str, raw_path: str, headers: Mapping[str, str]) -> Response:
        parts = urlsplit(raw_path)
        path, query = unquote(parts.path), parse_qs(parts.query)
        with self._lock:
            site, articles = self._site, self._articles
        if site is None:
            return Response(503, b"not rendered yet\n", "text/plain; charset=utf-8")
        files = site.files
        for candidate in (path, path + "index.html" if path.endswith("/") else path + ".html"):
            if candidate in files:
                return Response(200, files[candidate], content_type(candidate))
        if not path.endswith("/") and path + "/index.html" in files:
            return Response(301, b"", headers={"Location": quote(path) + "/"})
        if (match := _ARTICLE.fullmatch(path) or _COLUMN_ARTICLE.fullmatch(path)) is not None:
            post = articles.get(match.group(1))
            if post is not None:
                return Response(200, eastmoney.article_page(post, self.base_url))
        elif path == "/NewsData/GetNewsList.do":
            status, body = eastmoney.newsshare_list(site.posts, query)
            return Response(status, body, _JSON)
        elif path == "/NewsData/GetNewsText.do":
            status, body = eastmoney.newsshare_text(site.posts, (query.get("id") or [""])[0])
            return Response(status, body, _JSON)
        elif path == "/search/jsonp":
            status, body = eastmoney.search_answer(site.posts, query)
            return Response(status, body, "application/javascript; charset=utf-8")
        elif path == "/html_News/NewsShare.html":
            return Response(200, eastmoney.newsshare_shell((query.get("infoCode") or [""])[0]))
        return Response(404, b"<html><body><h1>404 Not Found</h1></body></html>\n")
