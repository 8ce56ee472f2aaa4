"""Re-run the current parsers over every stored raw page: `scrapy crawl reparse`.

The data engineer's way to apply a parser fix to everything already crawled, without a
single network request: pages come from the store's `pages` collection and go through the
same pipelines as a crawl; articles whose output changed are updated (`parser_version`),
a changed body becomes a new version, the rest stay unchanged.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from typing import Any

from finews_spider.ingest.pages import stored_page
from finews_spider.model import Draft, Rejection
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
        read = stored_page(
            page["_id"],
            page["body"],
            page.get("context"),
            page.get("content_type"),
            page.get("body_seen_at"),
        )
        if isinstance(read, Rejection):
            self.page_entered()
            return read
        return self.read_page(
            read.url,
            read.body,
            list_record=read.context.list_record,
            fetched_at=read.context.fetched_at,
            content_type=read.context.content_type,
            names=names,
        )
