"""Scrapy settings for finews. Components are small and wired here, in data-flow order."""

from __future__ import annotations

import os

BOT_NAME = "finews"
SPIDER_MODULES = ["finews_spider.spiders"]
NEWSPIDER_MODULE = "finews_spider.spiders"
COMMANDS_MODULE = "finews_spider.commands"

TWISTED_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"
FEED_EXPORT_ENCODING = "utf-8"
# Datetimes as ISO 8601 with offset (Scrapy's default JSON encoder drops the offset).
FEED_EXPORTERS = {
    "jsonlines": "finews_spider.exporters.ArticleJsonLinesExporter",
    "jsonl": "finews_spider.exporters.ArticleJsonLinesExporter",
    "json": "finews_spider.exporters.ArticleJsonExporter",
}

# --- Being a good citizen of the sites we visit -----------------------------------------
FINEWS_CONTACT_URL = os.environ.get("FINEWS_CONTACT_URL", "https://github.com/finews/finews")
USER_AGENT = f"finews/0.1 (+{FINEWS_CONTACT_URL})"
ROBOTSTXT_OBEY = True
CONCURRENT_REQUESTS = 16
CONCURRENT_REQUESTS_PER_DOMAIN = 4
DOWNLOAD_DELAY = 0.25
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 0.5
AUTOTHROTTLE_MAX_DELAY = 30.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 2.0
DOWNLOAD_TIMEOUT = 30
DOWNLOAD_MAXSIZE = 16 * 1024 * 1024
DOWNLOAD_WARNSIZE = 4 * 1024 * 1024
RETRY_ENABLED = True
RETRY_TIMES = 3
# Transient errors only: a 404 or 403 will not get better by asking again.
RETRY_HTTP_CODES = [429, 500, 502, 503, 504, 522, 524, 408]
HTTPERROR_ALLOW_ALL = False
# DOWNLOAD_MAXSIZE bounds bodies only: the header section and robots.txt are bounded too
# (finews_spider/limits.py).
DOWNLOAD_HANDLERS = {
    "http": "finews_spider.limits.BoundedHeadersDownloadHandler",
    "https": "finews_spider.limits.BoundedHeadersDownloadHandler",
}
FINEWS_MAX_HEADER_BYTES = 64 * 1024
FINEWS_MAX_HEADER_LINES = 200
ROBOTSTXT_PARSER = "finews_spider.limits.CappedRobotParser"
FINEWS_ROBOTSTXT_MAX_BYTES = 500 * 1024

# --- Security defaults -------------------------------------------------------------------
# The remote-control extension runs code sent to a local port; the telnet console likewise.
REMOTE_CONTROL_ENABLED = False
TELNETCONSOLE_ENABLED = False
EXTENSIONS = {
    "scrapy.extensions.telnet.TelnetConsole": None,
    "scrapy.extensions.remote_control.RemoteControl": None,
    "scrapy.extensions.memdebug.MemoryDebugger": None,
    # Spidermon runs the close monitors before the summary reads their verdict.
    "spidermon.contrib.scrapy.extensions.Spidermon": 500,
    # -s FINEWS_STORE=off: no database, the feeds are the output (before the summary reads it).
    "finews_spider.extensions.files_only.FilesOnly": 850,
    "finews_spider.extensions.summary.CrawlSummary": 900,
    # After the summary's verdict: FINEWS_METRICS_TEXTFILE / FINEWS_METRICS_PUSHGATEWAY.
    "finews_spider.extensions.metrics.RunMetrics": 950,
}
SPIDERMON_ENABLED = True
# The close monitors, then the alerts (FINEWS_ALERT_*: see finews_spider/alerts.py).
SPIDERMON_SPIDER_CLOSE_MONITORS = ["finews_spider.alerts.AlertingCloseMonitorSuite"]

# --- Data flow: spiders -> parsing -> pipelines -> store -----------------------------------
ITEM_PIPELINES = {
    "pipelines.normalize.NormalizePipeline": 100,
    "pipelines.store.MongoPipeline": 800,
    "pipelines.ledger.LedgerPipeline": 1000,
}
# Incremental crawls: article pages already stored are not fetched again (-a refresh=1 does).
DOWNLOADER_MIDDLEWARES = {
    # First: a redirect off the crawl's origin is refused before anything (robots.txt
    # included) is asked of that origin.
    "finews_spider.origins.StayOnOrigin": 40,
    "finews_spider.middlewares.SkipStoredArticles": 50,
    # Between RetryMiddleware (550) and the downloader: the response waits here first.
    "finews_spider.middlewares.RetryAfter": 560,
}
FINEWS_RETRY_AFTER_MAX = 60.0

# MONGO_URI, MONGO_DATABASE, FINEWS_HOME and the MONGO_* tuning settings are read by
# pipelines/store.py (each falls back to the environment variable of the same name).

# --- Scale-out: distributed mode, switched on by REDIS_URL ---------------------------------
# With REDIS_URL set (setting or environment variable) the add-on swaps in the shared Redis
# scheduler and per-run dupefilter (scrapy-redis, SCHEDULER_PERSIST), requires MONGO_URI,
# and runs this process as a worker (or, with FINEWS_ROLE=seed / `finews seed`, as the seed
# of a new run). Without REDIS_URL it does nothing. Its FINEWS_* settings are listed in
# finews_spider/distributed/__init__.py.
ADDONS = {"finews_spider.distributed.Distributed": 100}
LOG_LEVEL = os.environ.get("FINEWS_LOG_LEVEL", "INFO")
