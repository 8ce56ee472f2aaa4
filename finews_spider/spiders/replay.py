"""Replay saved pages through Scrapy's real engine: `scrapy crawl replay -a path=PATH`.

PATH is one saved page or a folder (read recursively). A page may have a sidecar
`<name>.meta.json` recording where and when it was fetched: `{"url", "fetched_at",
"content_type", "list_record"}`. Without one, the page's own file URL is its address and
its fetch time is unknown (so a relative date such as `今天 16:25` is rejected, not guessed).
`<name>.expected.json` files (golden outputs) are not pages and are skipped.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import scrapy
from scrapy.http import Response

from finews_spider.model import Draft, PageContext, Rejection, saved_page_context
from finews_spider.spiders.base import ARTICLE, CONTEXT, ArticleSpider

SIDECAR_SUFFIXES = (".meta.json", ".expected.json")


def saved_pages(root: Path) -> Iterator[Path]:
    """Every saved page under `root`, sorted, never leaving it (symlinks are not followed out)."""
    root = root.resolve()
    candidates = [root] if root.is_file() else sorted(root.rglob("*"))
    for path in candidates:
        if not path.is_file() or path.name.startswith(".") or path.name.startswith("README"):
            continue
        if path.name.endswith(SIDECAR_SUFFIXES):
            continue
        if not path.resolve().is_relative_to(root if root.is_dir() else root.parent):
            continue  # a link pointing outside the replayed folder
        yield path


def sidecar(path: Path) -> dict[str, Any]:
    meta = path.with_name(path.name.rsplit(".", 1)[0] + ".meta.json")
    if not meta.is_file():
        return {}
    data = json.loads(meta.read_text("utf-8"))
    return data if isinstance(data, dict) else {}


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
    }

    def __init__(self, path: str | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if not path:
            raise ValueError("replay needs -a path=FILE_OR_FOLDER")
        self.root = Path(path)
        if not self.root.exists():
            raise ValueError(f"replay: {path} does not exist")

    async def start(self) -> AsyncIterator[scrapy.Request]:
        for page in saved_pages(self.root):
            yield scrapy.Request(
                page.as_uri(),
                callback=self.parse_saved,
                errback=self.article_failed,
                cb_kwargs={"meta": sidecar(page)},
                # what `reparse` needs to read the stored page the same way again
                # (a saved page without a recorded fetch time keeps `fetched_at: None`)
                meta={ARTICLE: True, CONTEXT: saved_page_context(sidecar(page))},
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
