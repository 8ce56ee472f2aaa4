"""Hardening at the network edge and in titles: redirects and links stay on the crawl's
origin, header floods and huge robots.txt files are cut off, invisible titles are missing."""

from __future__ import annotations

import contextlib
import os
import re
import socket
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
from pymongo import MongoClient
from sites import LoopbackServer, LoopbackSite, Response

from finews_spider.core import process_page
from finews_spider.limits import CappedRobotParser, head_lines
from finews_spider.model import Rejection
from finews_spider.origins import origin, same_origin

sys.path.insert(0, str(Path(__file__).resolve().parent))
from hostile_gen import em_page, md_post, nid

# --------------------------------------------------------------------------- invisible titles

INVISIBLE = ["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u202e", "\u200b\u202e\ufeff"]


@pytest.mark.parametrize("title", INVISIBLE)
def test_a_title_of_format_characters_is_missing(title: str) -> None:
    page = em_page("<p>　　央行开展逆回购操作，市场流动性合理充裕。</p>", 1, title=title)
    result = process_page(f"https://finance.eastmoney.com/a/{nid(1)}.html", page.encode())
    assert isinstance(result, Rejection) and result.reason == "title_missing", result


def test_a_title_of_format_characters_and_spaces_in_a_post_is_missing() -> None:
    post = md_post("<p>　　正文。</p>", 2, title="\u3000\u200b \u2060\u3000")
    result = process_page(f"https://finews.withounder.com/x/{nid(2)}.html", post.encode())
    assert isinstance(result, Rejection) and result.reason == "title_missing", result


def test_format_characters_inside_a_real_title_keep_it() -> None:
    page = em_page("<p>　　央行开展逆回购操作，市场流动性合理充裕。</p>", 3, title="央行\u200b操作")
    result = process_page(f"https://finance.eastmoney.com/a/{nid(3)}.html", page.encode())
    assert not isinstance(result, Rejection), result
    assert result.title == "央行\u200b操作"


# --------------------------------------------------------------------------- origins

ROOT = Path(__file__).resolve().parents[1]
Run = Callable[..., subprocess.CompletedProcess[str]]
FAST = ["-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=0", "-s", "FINEWS_MAX_REJECT_RATIO=1"]
SECRET = b"TOP-SECRET-7f3a"


def _store(uri: str, db: str) -> dict[str, list[dict[str, Any]]]:
    with MongoClient(uri) as client:
        return {name: list(client[db][name].find()) for name in ("articles", "rejects", "pages")}


@pytest.fixture
def elsewhere(loopback_site: LoopbackSite) -> Iterator[LoopbackServer]:
    """Another origin on the same host (another port): it answers every path with a copy of
    the site's first article page carrying a secret, or, at /secret, the secret alone."""
    post = loopback_site.files[next(p for p in loopback_site.posts if p.article_id).url]

    def app(method: str, path: str, headers: Mapping[str, str]) -> Response:
        if path == "/secret":
            return Response(200, b"<html><body><p>" + SECRET + b"</p></body></html>")
        return Response(200, post.replace(b"</h1>", SECRET + b"</h1>", 1))

    with LoopbackServer(app) as server:
        yield server


def _leaked(uri: str, db: str, other: LoopbackServer) -> list[str]:
    """Every stored document that holds the secret, or is filed under the other origin (a
    reject's detail may name where the redirect pointed: a URL, never its answer)."""
    found = []
    for name, docs in _store(uri, db).items():
        for doc in docs:
            urls = [doc.get("url", ""), *doc.get("urls", [])]
            if SECRET.decode() in repr(doc) or any(
                u.startswith((other.base_url, "http://localhost")) for u in urls
            ):
                found.append(f"{name}: {repr(doc)[:300]}")
    return found


@pytest.mark.store
def test_redirects_to_another_origin_are_rejected_and_never_fetched(
    loopback_site: LoopbackSite,
    elsewhere: LoopbackServer,
    scrapy_run: Run,
    mongo_uri: str,
    mongo_db: str,
) -> None:
    posts = [p for p in loopback_site.posts if p.article_id]
    other_port = elsewhere.url(posts[0].url)  # 127.0.0.1, another port
    other_host = elsewhere.url("/secret").replace("127.0.0.1", "localhost")
    loopback_site.fail(posts[0].url, status=302, location=other_port)
    loopback_site.fail(posts[1].url, status=301, location=other_host)
    same = loopback_site.url(posts[3].url)
    loopback_site.fail(posts[2].url, status=302, location=same)  # same origin: followed
    refresh = f'<html><head><meta http-equiv="refresh" content="0;url={elsewhere.url("/secret")}">'
    loopback_site.fail(posts[4].url, status=200, body=refresh.encode() + b"</head></html>")
    run = scrapy_run("crawl", "finews", *FAST, "-a", f"base_url={loopback_site.base_url}")
    assert run.returncode == 0, run.stderr[-3000:]
    assert "balanced=yes" in run.stderr
    assert elsewhere.access_log == []  # not even asked
    assert _leaked(mongo_uri, mongo_db, elsewhere) == []
    reasons = {r["url"]: (r["stage"], r["reason"]) for r in _store(mongo_uri, mongo_db)["rejects"]}
    for post in [*posts[:2], posts[4]]:  # HTTP redirects and a meta refresh
        assert reasons[loopback_site.url(post.url)] == ("fetch", "redirect_offsite")
    assert loopback_site.url(posts[2].url) not in reasons


@pytest.mark.store
@pytest.mark.parametrize("spider", ["eastmoney", "newsshare"])
def test_every_spider_keeps_redirects_on_its_origin(
    spider: str,
    loopback_site: LoopbackSite,
    elsewhere: LoopbackServer,
    scrapy_run: Run,
    mongo_uri: str,
    mongo_db: str,
) -> None:
    posts = [p for p in loopback_site.posts if p.article_id and p.info_code]
    if spider == "eastmoney":
        path, args = f"/a/{posts[0].article_id}.html", [f"ids={posts[0].article_id}"]
    else:
        path, args = "/NewsData/GetNewsText.do", [f"info_codes={posts[0].info_code}"]
    loopback_site.fail(path, status=302, location=elsewhere.url("/secret"))
    argv = ["-a", f"base_url={loopback_site.base_url}"] + [x for a in args for x in ("-a", a)]
    run = scrapy_run("crawl", spider, *FAST, *argv)
    assert "balanced=yes" in run.stderr, run.stderr[-3000:]
    assert elsewhere.access_log == []
    assert _leaked(mongo_uri, mongo_db, elsewhere) == []
    rejects = _store(mongo_uri, mongo_db)["rejects"]
    assert [(r["stage"], r["reason"]) for r in rejects] == [("fetch", "redirect_offsite")]


@pytest.mark.store
def test_links_to_the_same_host_on_another_port_are_not_followed(
    loopback_site: LoopbackSite,
    elsewhere: LoopbackServer,
    scrapy_run: Run,
    mongo_uri: str,
    mongo_db: str,
) -> None:
    post = next(p for p in loopback_site.posts if p.article_id)
    links = (
        f'<a href="{elsewhere.url(post.url)}">x</a>'
        f'<a href="{elsewhere.url("/emnews/")}">y</a>'
        f'<a href="{loopback_site.base_url.replace("http:", "https:")}{post.url}">z</a>'
    )
    home = loopback_site.files["/index.html"]
    assert b"</body>" in home  # links after </html> would not even be parsed
    loopback_site.files["/index.html"] = home.replace(b"</body>", links.encode() + b"</body>")
    run = scrapy_run("crawl", "finews", *FAST, "-a", f"base_url={loopback_site.base_url}")
    assert run.returncode == 0, run.stderr[-3000:]
    assert elsewhere.access_log == []
    assert _leaked(mongo_uri, mongo_db, elsewhere) == []


def test_origin_names_scheme_host_and_port() -> None:
    assert origin("http://Example.com/a") == ("http", "example.com", 80)
    assert origin("https://example.com:443/") == origin("https://EXAMPLE.com")
    assert origin("http://example.com:8080/") != origin("http://example.com/")
    assert origin("https://example.com/") != origin("http://example.com/")
    assert origin("file:///etc/passwd") is None
    assert origin("http://example.com:port/") is None
    assert origin("javascript:alert(1)") is None
    assert same_origin("http://127.0.0.1:5/a", "http://127.0.0.1:5/b")
    assert not same_origin("http://127.0.0.1:5/a", "http://localhost:5/a")
    assert not same_origin("mailto:x@127.0.0.1", None)


# --------------------------------------------------------------------------- bounded memory

MB = 1024 * 1024


class FloodServer:
    """A raw HTTP server on 127.0.0.1: /robots.txt is a 404, any other path answers 200
    followed by `size` bytes of distinct header lines (`width` bytes of value each), then a
    small page."""

    def __init__(self, size: int, width: int = 0) -> None:
        self.size = size
        self.width = width
        self.sent = 0
        self.paths: list[str] = []
        self._sock = socket.create_server(("127.0.0.1", 0))
        self._sock.settimeout(0.2)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._sock.getsockname()[1]}"

    def __enter__(self) -> FloodServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=10)
        self._sock.close()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except TimeoutError:
                continue
            with conn:
                conn.settimeout(10)
                with contextlib.suppress(OSError):
                    self._answer(conn)

    def _answer(self, conn: socket.socket) -> None:
        request = b""
        while b"\r\n\r\n" not in request and len(request) < 65536:
            chunk = conn.recv(4096)
            if not chunk:
                return
            request += chunk
        path = request.split(b" ", 2)[1].decode()
        self.paths.append(path)
        if path == "/robots.txt":
            conn.sendall(
                b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
            )
            return
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n")
        line = 0
        while self.sent < self.size and not self._stop.is_set():
            pad = b"v" * self.width
            block = b"".join(b"X-F: %d%s\r\n" % (line + i, pad) for i in range(1024))
            line += 1024
            conn.sendall(block)
            self.sent += len(block)
        conn.sendall(b"Content-Length: 13\r\nConnection: close\r\n\r\n<html></html>")


def _crawl_peak(argv: list[str], env: dict[str, str]) -> tuple[int, str, int]:
    """Run a crawl; its exit status, stderr and peak RSS growth in bytes past its startup
    (the crawl's own `memusage/startup`)."""
    with tempfile.TemporaryFile("w+") as err:
        proc = subprocess.Popen(
            [sys.executable, "-m", "scrapy", *argv],
            cwd=ROOT,
            env=env,
            stderr=err,
            stdout=subprocess.DEVNULL,
        )
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
        err.seek(0)
        stderr = err.read()
    startup = re.search(r"'memusage/startup': (\d+)", stderr)
    assert startup, stderr[-3000:]
    return proc.returncode, stderr, usage.ru_maxrss * 1024 - int(startup.group(1))


def _env(mongo_uri: str, mongo_db: str, tmp_path: Path) -> dict[str, str]:
    return {
        **os.environ,
        "MONGO_URI": mongo_uri,
        "MONGO_DATABASE": mongo_db,
        "FINEWS_HOME": str(tmp_path / "home"),
    }


@pytest.mark.store
def test_a_header_flood_is_cut_off_and_rejected(
    loopback_site: LoopbackSite, mongo_uri: str, mongo_db: str, tmp_path: Path
) -> None:
    post = next(p for p in loopback_site.posts if p.article_id)
    with FloodServer(48 * MB) as flood:
        target = flood.base_url + f"/a/{post.article_id}.html"
        argv = ["crawl", "eastmoney", *FAST, "-s", "MEMUSAGE_ENABLED=1", "-a", f"urls={target}"]
        _, stderr, growth = _crawl_peak(argv, _env(mongo_uri, mongo_db, tmp_path))
    assert "balanced=yes" in stderr, stderr[-3000:]
    rejects = _store(mongo_uri, mongo_db)["rejects"]
    assert [(r["url"], r["stage"], r["reason"]) for r in rejects] == [
        (target, "fetch", "headers_too_large")
    ]
    assert "FINEWS_MAX_HEADER_LINES" in rejects[0]["detail"]
    assert flood.paths.count(f"/a/{post.article_id}.html") == 1  # not retried
    assert flood.sent < 48 * MB  # the flood was cut off, not read to its end
    assert growth < 200 * MB, f"peak RSS grew by {growth / MB:.0f} MB"


@pytest.mark.store
def test_a_few_long_header_lines_are_cut_off_by_size(
    loopback_site: LoopbackSite, mongo_uri: str, mongo_db: str, tmp_path: Path
) -> None:
    # 8 KB lines: the 64 KiB limit is passed within 10 lines, far from the line count limit.
    with FloodServer(1 * MB, width=8000) as flood:
        target = flood.base_url + "/a/202403052990000099.html"
        argv = ["crawl", "eastmoney", *FAST, "-s", "MEMUSAGE_ENABLED=1", "-a", f"urls={target}"]
        _, stderr, _ = _crawl_peak(argv, _env(mongo_uri, mongo_db, tmp_path))
    assert "balanced=yes" in stderr, stderr[-3000:]
    rejects = _store(mongo_uri, mongo_db)["rejects"]
    assert [r["reason"] for r in rejects] == ["headers_too_large"]
    assert "FINEWS_MAX_HEADER_BYTES" in rejects[0]["detail"]


@pytest.mark.store
def test_a_huge_robots_txt_is_read_up_to_its_cap(
    loopback_site: LoopbackSite, mongo_uri: str, mongo_db: str, tmp_path: Path
) -> None:
    # 500,000 rules (13 MB, under DOWNLOAD_MAXSIZE); the last one, past the cap, is ignored.
    rules = "".join(f"Disallow: /private/{i}/\n" for i in range(500_000))
    loopback_site.set_robots(f"User-agent: *\n{rules}Disallow: /emnews/\n")
    argv = ["crawl", "finews", *FAST, "-s", "MEMUSAGE_ENABLED=1"]
    argv += ["-a", f"base_url={loopback_site.base_url}"]
    code, stderr, growth = _crawl_peak(argv, _env(mongo_uri, mongo_db, tmp_path))
    assert code == 0, stderr[-3000:]
    assert "balanced=yes" in stderr
    reasons = [r["reason"] for r in _store(mongo_uri, mongo_db)["rejects"]]
    assert "robots_disallowed" not in reasons
    assert [p for p in post_paths(loopback_site) if p.startswith("/emnews/")]
    assert growth < 200 * MB, f"peak RSS grew by {growth / MB:.0f} MB"


def post_paths(site: LoopbackSite) -> list[str]:
    posts = {p.url for p in site.posts}
    return [h.path for h in site.access_log if h.path in posts]


def test_robots_txt_is_cut_at_a_line_end() -> None:
    assert head_lines(b"a\nbb\nccc\n", 100) == b"a\nbb\nccc\n"
    assert head_lines(b"a\nbb\nccc\n", 6) == b"a\nbb\n"
    assert head_lines(b"Disallow: /private\n", 12) == b""
    parser = CappedRobotParser(b"User-agent: *\nDisallow: /a/\nDisallow: /b/\n", None, 28)
    assert not parser.allowed("http://x/a/1", "finews")
    assert parser.allowed("http://x/b/1", "finews")
