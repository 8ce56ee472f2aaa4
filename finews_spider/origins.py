"""A crawl stays on its site, and a site is an origin: scheme, host and port.

`origin(url)` names a URL's origin; `StayOnOrigin` is the downloader middleware that turns
a redirect to any other origin into `RedirectOffsite` (the request's errback makes it a
reject `fetch/redirect_offsite`) before the other origin is asked for anything.

A spider states its origins as `spider.origins` (a set of `origin()` values); a spider that
states none keeps each redirect on the origin of the URL it first asked for.
"""

from __future__ import annotations

import logging
from typing import NamedTuple
from urllib.parse import urlsplit

from scrapy import Request, Spider
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest

logger = logging.getLogger(__name__)

_DEFAULT_PORTS = {"http": 80, "https": 443}


class Origin(NamedTuple):
    scheme: str
    host: str
    port: int

    def __str__(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{self.scheme}://{host}:{self.port}"


def origin(url: str) -> Origin | None:
    """`http://Example.com/a` -> ("http", "example.com", 80); None for a URL without an
    http(s) origin (another scheme, no host, a port that is not a number)."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS or not parts.hostname:
        return None
    return Origin(scheme, parts.hostname.lower(), port or _DEFAULT_PORTS[scheme])


def same_origin(url: str, other: str | Origin | None) -> bool:
    """True when `url` is on `other` (a URL or an Origin); never for a URL without one."""
    mine = origin(url)
    theirs = origin(other) if isinstance(other, str) else other
    return mine is not None and mine == theirs


class RedirectOffsite(IgnoreRequest):
    """A redirect (HTTP 3xx or meta refresh) to an origin the crawl does not crawl."""

    def __init__(self, start: str, target: str, allowed: set[Origin]) -> None:
        self.start, self.target = start, target
        names = ", ".join(sorted(str(o) for o in allowed)) or "none"
        super().__init__(f"{start} redirects to {target}, outside the crawl's origin ({names})")


class StayOnOrigin:
    """Refuse a redirected request whose URL leaves the spider's origins.

    Scrapy's offsite check lets `dont_filter` requests (article pages are sent with it) and
    their redirects through, and compares host names only; the redirected request is refused
    here, before it is sent, so the other origin's answer is never fetched or stored. The
    spider's own robots.txt may redirect elsewhere (robots rules are never stored)."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> StayOnOrigin:
        return cls(crawler)

    def process_request(self, request: Request) -> None:
        chain = request.meta.get("redirect_urls")
        if not chain or _is_robots(chain[0]):
            return
        allowed = spider_origins(self.crawler.spider, chain[0])
        if origin(request.url) in allowed:
            return
        if self.crawler.stats is not None:
            self.crawler.stats.inc_value("finews/redirect_offsite")
        error = RedirectOffsite(chain[0], request.url, allowed)
        logger.warning("not followed: %s", error)
        raise error


def spider_origins(spider: Spider | None, start: str) -> set[Origin]:
    """The origins a spider crawls, or, when it states none, the origin of `start`."""
    stated = getattr(spider, "origins", None)
    if stated:
        return set(stated)
    first = origin(start)
    return {first} if first is not None else set()


def _is_robots(url: str) -> bool:
    return urlsplit(url).path == "/robots.txt"
