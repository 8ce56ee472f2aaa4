"""The normalisation pipeline: the core's `complete` over each item, nothing else.

Spiders yield `Draft`s (a parsed page) or `Rejection`s; this turns a Draft into an `Article`
or a `Rejection`, exactly as `finews_spider.core.process_page` does, so a crawl and
`finews batch` make the same output. Anything else passes through untouched.
"""

from __future__ import annotations

from typing import Any

from finews_spider.core import complete
from finews_spider.model import Draft


class NormalizePipeline:
    def process_item(self, item: Any) -> Any:
        if isinstance(item, Draft):
            return complete(item)
        return item
