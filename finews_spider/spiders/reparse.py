"""Re-run the current parsers over every stored raw page: `scrapy crawl reparse`.

The data engineer's way to apply a parser fix to everything already crawled, without a
single network request: pages come from the store's `pages` collection and go through the
same pipelines as a crawl; articles whose output changed are updated (`parser_version`),
a changed body becomes a new version, the rest stay unchanged.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Mapping
from typing import Any

from finews_spider.model import Draft, PageContext, Rejection
from finews_spider.parsing import MAX_PAGE_BYTES
from finews_spider.saved import Refused, check_meta, inflate
from finews_spider.spiders.base import ArticleSpider
from finews_spider.store.securities import load_name_table
from pipelines.store import MongoPipeline


class ReparseSpider(ArticleSpider):
    name = "reparse"
    store_pages = False  # the pages are the input here
    refresh = True

    def __init__(self, url_prefix: str | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.url_prefix = url_prefix

    async def start(self) -> AsyncIterator[Draft | Rejection]:
        pipeline = self.crawler.get_item_pipeline(MongoPipeline)
        store = getattr(pipeline, "store", None)
        if store is None:
            raise RuntimeError("reparse needs the store (pipelines.store.MongoPipeline)")
        query: dict[str, Any] = {}
        if self.url_prefix:
            query["_id"] = {"$gte": self.url_prefix, "$lt": self.url_prefix + "\uffff"}
        # Names are linked to codes from the master as it stands when the run starts.
        names = await load_name_table(store.db)
        self.logger.info("linking names to codes: %d names in the securities master", len(names))
        async for page in store.db.pages.find(query).sort("_id", 1):
            yield self.reparse(page, names)

    def reparse(
        self, page: dict[str, Any], names: Mapping[str, Any] | None = None
    ) -> Draft | Rejection:
        try:
            meta = check_meta(json.loads(page.get("context") or "{}"))
        except (ValueError, TypeError) as exc:  # a bad stored context: its reject, not the end
            self.count("pages_read")
            return Rejection(page["_id"], "parse", "context_invalid", str(exc)[:500])
        # A crawled page was fetched when its body was stored; a replayed saved page says
        # when it was fetched, or that nobody knows (None: relative dates stay rejected).
        context = PageContext.from_meta(
            meta, fetched_at=page.get("body_seen_at"), content_type=page.get("content_type")
        )
        url = meta.get("url") or page["_id"]
        try:
            body = inflate(page["body"], MAX_PAGE_BYTES)
        except Refused as refused:  # stored before pages were size-checked: not inflated whole
            self.count("pages_read")
            return Rejection(url, refused.stage, refused.reason, refused.detail)
        return self.read_page(
            url,
            body,
            list_record=context.list_record,
            fetched_at=context.fetched_at,
            content_type=context.content_type,
            names=names,
        )
