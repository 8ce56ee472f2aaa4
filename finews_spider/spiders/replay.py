"""Replay saved pages through Scrapy: `scrapy crawl replay -a path=PATH`.

PATH is one saved page or a folder (read recursively). A page may have a sidecar
`<name>.meta.json` recording where and when it was fetched: `{"url", "fetched_at",
"content_type", "list_record"}`. Without one, the page's own file URL is its address and
its fetch time is unknown (so a relative date such as `今天 16:25` is rejected, not guessed).
`<name>.expected.json` files (golden outputs) are not pages and are skipped.

`start()` reads each page itself and hands its Draft (or rejection) to the item pipelines,
as `finews batch` reads them: a local file needs none of the downloader's machinery. Each
page is opened and the opened file checked before it is read (`finews_spider.saved.
read_saved`): a page that is no longer a regular file inside the folder, or larger than the
parser's limit, is that page's rejection and its body is never stored. A page read is
counted as a request and announced as `response_received`, as a download would be (the
store keeps it raw from there). `SavedPageHandler` is the same reading as a `file://`
download handler, for spiders that request saved pages (the bare-engine benchmark).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any, Self

import scrapy
from scrapy import signals
from scrapy.core.downloader.handlers.base import BaseDownloadHandler
from scrapy.crawler import Crawler
from scrapy.http import Response
from scrapy.responsetypes import responsetypes
from scrapy.utils.asyncio import run_in_thread
from w3lib.url import file_uri_to_path

from finews_spider.exits import UsageFailure
from finews_spider.ingest.pages import refusal, unreadable
from finews_spider.meta import ARTICLE, CONTEXT, FOLDER
from finews_spider.model import Draft, PageContext, Rejection, error_code, saved_page_context
from finews_spider.parsing import MAX_PAGE_BYTES
from finews_spider.saved import (
    SIDECAR_SUFFIXES,
    Refused,
    folder_of,
    read_saved,
    read_sidecar,
    saved_pages,
    sidecar,
)
from finews_spider.spiders.base import ArticleSpider

__all__ = ["SIDECAR_SUFFIXES", "ReplaySpider", "SavedPageHandler", "saved_pages", "sidecar"]

logger = logging.getLogger(__name__)


class SavedPageHandler(BaseDownloadHandler):
    """`file://` for replays: `read_saved` instead of reading whatever the path names."""

    async def download_request(self, request: scrapy.Request) -> Response:
        path = Path(file_uri_to_path(request.url))
        folder = Path(request.meta.get(FOLDER) or folder_of(path))
        body = await run_in_thread(read_saved, path, folder, MAX_PAGE_BYTES)
        return response_class(str(path), body)(url=request.url, body=body)


#: the control bytes that make Scrapy call a body binary (`scrapy.utils.python.binary_is_text`)
_BINARY = bytes(i for i in range(32) if i not in b"\0\t\n\r")


def response_class(filename: str, body: bytes) -> type[Response]:
    """`responsetypes.from_args(filename=filename, body=body)`, with the body's text test
    done by `bytes.translate` (in C) instead of Scrapy's per-byte generator."""
    cls = responsetypes.from_filename(filename)
    if cls is not Response:
        return cls
    chunk = body[:5000]
    if len(chunk.translate(None, _BINARY)) != len(chunk):
        return responsetypes.from_body(body)  # binary: Scrapy's own answer
    # text: the rest of `ResponseTypes.from_body`, past the text test it would pass
    lower = chunk.lower()
    if b"<html>" in lower:
        return responsetypes.from_mimetype("text/html")
    if b"<?xml" in lower:
        return responsetypes.from_mimetype("text/xml")
    if b"<!doctype html>" in lower:
        return responsetypes.from_mimetype("text/html")
    return responsetypes.from_mimetype("text")


class ReplaySpider(ArticleSpider):
    name = "replay"
    store_pages = True
    refresh = True  # a replay re-reads every page it is given, stored or not
    # Local files: no politeness delays, no robots.txt, as fast as the engine goes. The
    # downloader settings serve requests for saved pages (`SavedPageHandler`; the bare-engine
    # benchmark copies them): `start()` below reads its pages without requesting them.
    custom_settings = {
        "ROBOTSTXT_OBEY": False,
        "AUTOTHROTTLE_ENABLED": False,
        "DOWNLOAD_DELAY": 0,
        "CONCURRENT_REQUESTS": 64,
        "CONCURRENT_REQUESTS_PER_DOMAIN": 64,
        "RETRY_ENABLED": False,
        # A file:// response has no headers: no cookies to keep, no encoding to undo.
        "COOKIES_ENABLED": False,
        "COMPRESSION_ENABLED": False,
        # A page gives one item (or rejection): Scrapy starts CONCURRENT_ITEMS tasks per
        # response to process its output, 100 by default, 99 of them idle here.
        "CONCURRENT_ITEMS": 1,
        # Responses whose items wait for the store hold their parsed pages; Scrapy's 5 MB
        # default lets hundreds pile up, and 1 MB keeps the pipelines just as busy.
        "SCRAPER_SLOT_MAX_ACTIVE_SIZE": 1_000_000,
        # Saved pages only: the network handlers are not even loaded (their imports were
        # a tenth of a replay's start-up).
        "DOWNLOAD_HANDLERS": {
            "file": "finews_spider.spiders.replay.SavedPageHandler",
            **dict.fromkeys(("http", "https", "ftp", "s3", "data")),
        },
    }
    #: pages read ahead of the pipelines: enough to keep them busy while the store writes
    max_in_flight = 64

    def __init__(self, path: str | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if not path:
            raise UsageFailure("replay needs the saved pages: add -a path=FILE_OR_FOLDER")
        self.root = Path(path)
        if not self.root.exists():
            raise UsageFailure(f"replay: {path} does not exist; check -a path=")
        if next(saved_pages(self.root), None) is None:
            # A replay of nothing would pass as a healthy quiet run: say so and fail instead.
            raise UsageFailure(
                f"replay: nothing to replay, {path} holds no saved pages; check -a path="
            )
        self.folder = folder_of(self.root)
        #: items handed to the pipelines and not yet out of them (`_item_done`)
        self._in_flight = 0
        self._waiting: asyncio.Future[None] | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> Self:
        spider = super().from_crawler(crawler, *args, **kwargs)
        for signal in (signals.item_scraped, signals.item_dropped, signals.item_error):
            crawler.signals.connect(spider._item_done, signal=signal)
        return spider

    async def start(self) -> AsyncIterator[Draft | Rejection]:
        """Each saved page read here and handed to the pipelines as its Draft (or
        rejection): a local file needs none of the downloader's work (scheduling,
        middlewares, handler threads), only the checks `read_saved` makes on it."""
        stats = self.crawler.stats
        assert stats is not None
        folder = str(self.folder)
        for page in saved_pages(self.root):
            if self._in_flight >= self.max_in_flight:
                await self._room()
            request = scrapy.Request(page.as_uri(), dont_filter=True)
            url = request.url
            try:
                meta = read_sidecar(page, self.folder)
            except Refused as refused:
                # the page is not read without its context: a bad sidecar is its rejection
                self.page_entered()
                yield self._out(refusal(url, refused))
                continue
            # Reading a saved page is this run's request (the ledger's `requests`), and
            # its body the response: counted, and kept raw, as the file:// download was.
            stats.inc_value("downloader/request_count")
            try:
                body = read_saved(page, self.folder, MAX_PAGE_BYTES)
            except Refused as refused:  # not read, never stored, as the parser would say
                self.page_entered()
                yield self._out(refusal(meta.get("url") or url, refused))
                continue
            except OSError as error:  # could not be read: read, and rejected
                self.page_entered()
                yield self._out(unreadable(url, error_code(error), error))
                continue
            self._received(page, request, body, meta, folder)
            try:
                context = PageContext.from_meta(meta)
                result = self.read_page(
                    meta.get("url") or url,
                    body,
                    list_record=context.list_record,
                    fetched_at=context.fetched_at,
                    content_type=context.content_type,
                )
            except Exception as error:
                # As a failing callback: logged and counted, the page unbalances the
                # ledger, and the replay goes on with the next page.
                logger.exception("Spider error processing %s", url)
                stats.inc_value("spider_exceptions/count")
                stats.inc_value(f"spider_exceptions/{type(error).__name__}")
                continue
            yield self._out(result)
        await self._drained()

    def _received(
        self, page: Path, request: scrapy.Request, body: bytes, meta: dict[str, Any], folder: str
    ) -> None:
        """`response_received` for a page read, as the engine sends it for a download:
        the store keeps the raw page and the crawl counts the response."""
        request.meta.update({ARTICLE: True, CONTEXT: saved_page_context(meta), FOLDER: folder})
        cls = response_class(str(page), body)
        response = cls(url=request.url, body=body, request=request)
        self.crawler.signals.send_catch_log(
            signal=signals.response_received, response=response, request=request, spider=self
        )

    def _out(self, item: Draft | Rejection) -> Draft | Rejection:
        self._in_flight += 1
        return item

    def _item_done(self, *args: Any, **kwargs: Any) -> None:
        """One item out of the pipelines (scraped, dropped or failed)."""
        self._in_flight -= 1
        waiting = self._waiting
        if waiting is not None and self._in_flight < self.max_in_flight:
            self._waiting = None
            if not waiting.done():
                waiting.set_result(None)

    async def _drained(self) -> None:
        """Return once the last item is out of the pipelines: the engine looks for the end
        of the run when start() returns, and after that only at its heartbeat (every 5 s),
        as no response comes back to wake it."""
        while self._in_flight > 0:
            if self._waiting is None:
                self._waiting = asyncio.get_running_loop().create_future()
            await self._waiting
        engine = self.crawler.engine
        scraper = getattr(engine, "scraper", None)
        # the scraper counts an item out just after it signals it (a step or two later)
        for _ in range(100):
            if scraper is None or scraper.slot is None or scraper.slot.is_idle():
                return
            await asyncio.sleep(0)

    async def _room(self) -> None:
        """Wait until the pipelines take another item: without this, every page of the
        folder would be read and parsed ahead of a slow store, and held."""
        while self._in_flight >= self.max_in_flight:
            if self._waiting is None:
                self._waiting = asyncio.get_running_loop().create_future()
            await self._waiting
