"""The MongoDB store: pure pymongo (asyncio client), no Scrapy.

config    MONGO_URI / MONGO_DATABASE / FINEWS_HOME, `redact`
embedded  SecantusDB as a `secantusd-py` subprocess when there is no MONGO_URI
setup     `connect` (ping or StoreUnavailable), `ensure_collections`, `open_store`
writer    `ArticleWriter`: buffered bulk writes, versions, merges, retries, dead letters
resend    `resend_dead_letters`
"""

from finews_spider.store.config import (
    StoreConfig,
    WriteTuning,
    redact,
    resolve_config,
    write_tuning,
)
from finews_spider.store.embedded import EmbeddedServer
from finews_spider.store.errors import (
    EmbeddedUnavailable,
    StoreError,
    StoreLocked,
    StoreUnavailable,
)
from finews_spider.store.resend import resend_dead_letters
from finews_spider.store.setup import OpenStore, connect, ensure_collections, open_store
from finews_spider.store.writer import ArticleWriter, RetryPolicy, WriteCounts

__all__ = [
    "ArticleWriter",
    "EmbeddedServer",
    "EmbeddedUnavailable",
    "OpenStore",
    "RetryPolicy",
    "StoreConfig",
    "StoreError",
    "StoreLocked",
    "StoreUnavailable",
    "WriteCounts",
    "WriteTuning",
    "connect",
    "ensure_collections",
    "open_store",
    "redact",
    "resend_dead_letters",
    "resolve_config",
    "write_tuning",
]
