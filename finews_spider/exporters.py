"""Feed exporters that write datetimes as ISO 8601 with their offset.

Scrapy's JSON encoder formats datetimes as `YYYY-MM-DD HH:MM:SS` and drops the offset,
which would make `published_at` ambiguous in `-O out.jsonl`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from scrapy.exporters import JsonItemExporter, JsonLinesItemExporter
from scrapy.utils.serialize import ScrapyJSONEncoder


class IsoJSONEncoder(ScrapyJSONEncoder):
    def default(self, o: Any) -> Any:
        if isinstance(o, datetime):
            return o.isoformat()
        return super().default(o)


class ArticleJsonLinesExporter(JsonLinesItemExporter):
    def __init__(self, file: Any, **kwargs: Any) -> None:
        super().__init__(file, **kwargs)
        self.encoder = IsoJSONEncoder(**self._kwargs)


class ArticleJsonExporter(JsonItemExporter):
    def __init__(self, file: Any, **kwargs: Any) -> None:
        super().__init__(file, **kwargs)
        self.encoder = IsoJSONEncoder(**self._kwargs)
