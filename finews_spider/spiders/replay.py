"""Replay saved pages through Scrapy's real engine: `scrapy crawl replay -a path=PATH`.

PATH is one saved page or a folder (read recursively). A page may have a sidecar
`<name>.meta.json` recording where and when it was fetched: `{"url", "fetched_at",
"content_type", "list_record"}`. Without one, the page's own file URL is its address and
its fetch time is unknown (so a relative date such as `今天 16:25` is rejected, not guessed).
`<name>.expected.json` files (golden outputs) are not pages and are skipped.

Files are read by `SavedPageHandler` (this spider's `file://` handler), which opens each page
and checks the opened file before reading it (`finews_spider.saved.read_saved`): a page
that is no longer a regular file inside the folder, or larger than the parser's limit, is
that page's rejection and its body is never stored.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import scrapy
from scrapy import signals
from scrapy.core.downloader.handlers.base import BaseDownloadHandler
from scrapy.http import Response
from scrapy.responsetypes import responsetypes
from scrapy.utils.asyncio import run_in_thread
from twisted.python.failure import Failure
from w3lib.url import file_uri_to_path, safe_url_string

from finews_spider.exits import UsageFailure
from finews_spider.ingest.pages import refusal
from finews_spider.meta import ARTICLE, CONTEXT, FOLDER
from finews_spider.model import Draft, PageContext, Rejection, saved_page_context
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
    # Local files: no politeness delays, no robots.txt, as fast as the engine goes.
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
        "DOWNLOAD_HANDLERS": {"file": "finews_spider.spiders.replay.SavedPageHandler"},
    }

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
        # One bound method for every request: Scrapy checks each response's callback for a
        # `return value` in a generator (it reads and parses the callback's source) and
        # caches the answer by the callback object, weakly. A fresh `self.parse_saved` per
        # request is a cache miss whenever the previous one is gone.
        self._parse_saved = self.parse_saved
        self._article_failed = self.article_failed

    async def start(self) -> AsyncIterator[scrapy.Request | Rejection]:
        engine = self.crawler.engine
        for page in saved_pages(self.root):
            # Lazily: while the engine cannot take more (the downloader or the scraper is
            # full), wait until it asks the scheduler for a request; otherwise the engine
            # keeps reading start() into the scheduler, every page of the folder at once.
            if engine is not None and engine.needs_backout():
                await self.crawler.signals.wait_for(signals.scheduler_empty)
            try:
                meta = read_sidecar(page, self.folder)
            except Refused as refused:
                # the page is not read without its context: a bad sidecar is its rejection
                self.page_entered()
                url = safe_url_string(page.as_uri())  # the request's URL, as in `finews batch`
                yield refusal(url, refused)
                continue
            yield scrapy.Request(
                page.as_uri(),
                callback=self._parse_saved,
                errback=self._article_failed,
                cb_kwargs={"meta": meta},
                # what `reparse` needs to read the stored page the same way again
                # (a saved page without a recorded fetch time keeps `fetched_at: None`)
                meta={ARTICLE: True, CONTEXT: saved_page_context(meta), FOLDER: str(self.folder)},
                dont_filter=True,
            )

    def parse_saved(self, response: Response, meta: dict[str, Any]) -> Iterator[Draft | Rejection]:
        context = PageContext.from_meta(meta)
        yield self.read_article(
            response,
            url=meta.get("url") or response.url,
            list_record=context.list_record,
            fetched_at=context.fetched_at,
            fetched_at_known=False,
            content_type=context.content_type,
        )

    def article_failed(self, failure: Failure) -> Iterator[Rejection]:
        """A page `SavedPageHandler` refused is rejected with the handler's stage and reason
        (`page_too_large` as the parser would say it); any other failure as every spider's."""
        refused = failure.value
        request = getattr(failure, "request", None)
        if not isinstance(refused, Refused) or request is None:
            yield from super().article_failed(failure)
            return
        self.page_entered()
        url = request.cb_kwargs.get("meta", {}).get("url") or request.url
        yield refusal(url, refused)
