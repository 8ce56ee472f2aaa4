"""Bounds on what a site can make the crawler hold beyond a page body.

`DOWNLOAD_MAXSIZE` counts response bodies only. Two more inputs come from the site:

- **Response headers.** Twisted's HTTP/1.1 parser keeps every header line it is sent, so a
  response of endless short header lines grows without bound. `BoundedHeadersDownloadHandler`
  (Scrapy's HTTP/1.1 handler with its parser bounded) drops the connection once the header
  section passes `FINEWS_MAX_HEADER_BYTES` or `FINEWS_MAX_HEADER_LINES`; the request fails
  with `HeadersTooLarge` (an article page becomes the reject `fetch/headers_too_large`) and
  is not retried.
- **robots.txt.** Protego parses every rule it is given. `CappedRobotParser` reads the first
  `FINEWS_ROBOTSTXT_MAX_BYTES` only, cut at a line end (like Google's 500 KiB: what is past
  the cap is ignored).
"""

from __future__ import annotations

from typing import NamedTuple, Self

from scrapy import Spider
from scrapy.core.downloader.handlers.http11 import (
    HTTP11DownloadHandler,
    _LenientHTTP11ClientFactory,
    _LenientHTTP11ClientProtocol,
    _LenientHTTPClientParser,
)
from scrapy.crawler import Crawler
from scrapy.exceptions import DownloadFailedError
from scrapy.http import Request, Response
from scrapy.robotstxt import ProtegoRobotParser
from twisted.internet.defer import Deferred
from twisted.internet.interfaces import IAddress
from twisted.web._newclient import HEADER, STATUS, HTTP11ClientProtocol
from twisted.web._newclient import Request as TxRequest
from twisted.web.iweb import IResponse

MAX_HEADER_BYTES = 64 * 1024
MAX_HEADER_LINES = 200
ROBOTSTXT_MAX_BYTES = 500 * 1024


class HeadersTooLarge(Exception):
    """A response whose header section is over the crawl's limits."""


class HeaderLimits(NamedTuple):
    max_bytes: int
    max_lines: int


class _BoundedParser(_LenientHTTPClientParser):
    """Scrapy's lenient response parser, counting the header section as it arrives."""

    limits = HeaderLimits(MAX_HEADER_BYTES, MAX_HEADER_LINES)
    _header_bytes = 0
    _header_lines = 0

    def lineReceived(self, line: bytes) -> None:
        if self.state in (STATUS, HEADER):
            self._header_bytes += len(line) + 1
            self._header_lines += self.state == HEADER
            if self._header_bytes > self.limits.max_bytes:
                raise HeadersTooLarge(
                    f"response headers over {self.limits.max_bytes} bytes (FINEWS_MAX_HEADER_BYTES)"
                )
            # The blank line that ends the section is not a header.
            if self._header_lines > self.limits.max_lines and line.strip():
                raise HeadersTooLarge(
                    f"over {self.limits.max_lines} response header lines (FINEWS_MAX_HEADER_LINES)"
                )
        super().lineReceived(line)


class _BoundedProtocol(_LenientHTTP11ClientProtocol):
    limits = _BoundedParser.limits

    def request(self, request: TxRequest) -> Deferred[IResponse]:
        d = super().request(request)
        # Like Scrapy's lenient protocol: request() hardcodes the parser class, so the
        # parser it made is given ours (it adds no state that __init__ would set).
        if self._parser is not None:
            self._parser.__class__ = _BoundedParser
            self._parser.limits = self.limits
        return d


class _BoundedFactory(_LenientHTTP11ClientFactory):
    limits = _BoundedParser.limits

    def buildProtocol(self, addr: IAddress | None) -> HTTP11ClientProtocol:
        protocol = _BoundedProtocol(self._quiescentCallback)  # type: ignore[no-untyped-call]
        protocol.limits = self.limits
        return protocol


class BoundedHeadersDownloadHandler(HTTP11DownloadHandler):
    """Scrapy's HTTP/1.1 download handler, with the response header section bounded."""

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        settings = crawler.settings
        limits = HeaderLimits(
            settings.getint("FINEWS_MAX_HEADER_BYTES", MAX_HEADER_BYTES),
            settings.getint("FINEWS_MAX_HEADER_LINES", MAX_HEADER_LINES),
        )
        # The pool calls its factory class with (quiescentCallback, metadata).
        self._pool._factory = type("BoundedFactory", (_BoundedFactory,), {"limits": limits})

    async def download_request(self, request: Request) -> Response:
        try:
            return await super().download_request(request)
        except DownloadFailedError as error:
            # Twisted wraps the parser's error (ResponseFailed.reasons); name it again, so
            # the reject says why and RetryMiddleware does not ask for the flood again.
            for reason in getattr(error.__cause__, "reasons", ()):
                if isinstance(reason.value, HeadersTooLarge):
                    raise HeadersTooLarge(str(reason.value)) from error
            raise


class CappedRobotParser(ProtegoRobotParser):
    """Scrapy's default (Protego) robots.txt parser, reading the first bytes only."""

    def __init__(
        self, robotstxt_body: bytes, spider: Spider | None, max_bytes: int = ROBOTSTXT_MAX_BYTES
    ) -> None:
        super().__init__(head_lines(robotstxt_body, max_bytes), spider)

    @classmethod
    def from_crawler(cls, crawler: Crawler, robotstxt_body: bytes) -> Self:
        spider = crawler.spider if crawler else None
        limit = crawler.settings.getint("FINEWS_ROBOTSTXT_MAX_BYTES", ROBOTSTXT_MAX_BYTES)
        return cls(robotstxt_body, spider, limit)


def head_lines(data: bytes, max_bytes: int) -> bytes:
    """The whole lines within the first `max_bytes` of `data` (all of it when shorter): a
    rule cut in half could forbid or allow more than the site wrote."""
    if len(data) <= max_bytes:
        return data
    head = data[:max_bytes]
    end = max(head.rfind(b"\n"), head.rfind(b"\r"))
    return head[: end + 1] if end >= 0 else b""
