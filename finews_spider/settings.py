"""Scrapy settings for finews. Components are small and wired here, in data-flow order.

Every FINEWS_* / MONGO_* / REDIS_URL setting the project reads is declared here once, with
its default and what it does (`declare`). The environment is read here and nowhere else: a
declared setting is `-s NAME=…` (or a spider's custom settings), else the environment
variable NAME, else its default. Components read `crawler.settings`; code that runs without
a crawler (`finews batch`, `finews ledger`, analysis) calls `resolve(NAME)`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Declared:
    name: str
    default: Any
    help: str


_declared: dict[str, Declared] = {}


def declare(name: str, default: Any, help: str) -> None:
    _declared[name] = Declared(name, default, help)


def declared() -> dict[str, Declared]:
    """Every setting the project reads, by name."""
    return dict(_declared)


def resolve(name: str, env: Mapping[str, str] | None = None) -> Any:
    """A declared setting without a crawler: the environment variable (empty = unset), else
    the default."""
    value = (os.environ if env is None else env).get(name)
    return value if value is not None and value != "" else _declared[name].default


def setting(settings: Any, name: str) -> Any:
    """A declared setting from a crawl's settings (which already hold the environment's
    value), else `resolve(name)`: settings built without this module (tests, add-ons
    reading settings before they are complete) still see the environment and the default."""
    value = settings.get(name) if settings is not None else None
    return value if value is not None and value != "" else resolve(name)


class SettingInvalid(ValueError):
    """A setting's value cannot be used; the message names the setting and the fix."""


def number(name: str, value: Any) -> float:
    """A numeric setting's value, or SettingInvalid naming it (not a bare float() error)."""
    try:
        return float(value)
    except (TypeError, ValueError):
        raise SettingInvalid(
            f"{name}={value!r} is not a number; fix the setting (-s {name}=…) or the "
            f"environment variable (default {_declared[name].default!r})"
        ) from None


_OFF = ("off", "0", "false", "no", "none")


def store_off(settings: Any) -> bool:
    """FINEWS_STORE: `off` means no database at all (the pipeline stands down, feeds only)."""
    return str(setting(settings, "FINEWS_STORE")).strip().lower() in _OFF


def table() -> str:
    """The declared settings as the README's Markdown table (a test keeps them equal)."""
    rows = ["| setting | default | what |", "|---|---|---|"]
    for d in _declared.values():
        default = "" if d.default in (None, "", {}) else f"`{d.default}`"
        rows.append(f"| `{d.name}` | {default} | {d.help} |")
    return "\n".join(rows)


# Scrapy's Settings.setmodule() reads the module's upper-case names through dir() and
# getattr(): declared names resolve when settings are built, so a changed environment is
# seen by every crawl, not only by the first import.
def __getattr__(name: str) -> Any:
    if name in _declared:
        return resolve(name)
    if name == "USER_AGENT":
        return f"finews/0.1 (+{resolve('FINEWS_CONTACT_URL')})"
    if name == "LOG_LEVEL":
        return resolve("FINEWS_LOG_LEVEL")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *_declared, "USER_AGENT", "LOG_LEVEL"})


BOT_NAME = "finews"
SPIDER_MODULES = ["finews_spider.spiders"]
NEWSPIDER_MODULE = "finews_spider.spiders"
COMMANDS_MODULE = "finews_spider.commands"

TWISTED_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"
FEED_EXPORT_ENCODING = "utf-8"
# Scrapy's per-item DEBUG messages are not built at all when LOG_LEVEL would drop them.
LOG_FORMATTER = "finews_spider.extensions.logformatter.LevelAwareLogFormatter"
# Datetimes as ISO 8601 with offset (Scrapy's default JSON encoder drops the offset).
FEED_EXPORTERS = {
    "jsonlines": "finews_spider.exporters.ArticleJsonLinesExporter",
    "jsonl": "finews_spider.exporters.ArticleJsonLinesExporter",
    "json": "finews_spider.exporters.ArticleJsonExporter",
}

# --- Being a good citizen of the sites we visit -----------------------------------------
declare(
    "FINEWS_CONTACT_URL",
    "https://github.com/finews/finews",
    "where a site's operator learns who is crawling (named in USER_AGENT)",
)
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
declare("FINEWS_MAX_HEADER_BYTES", 64 * 1024, "a response's header section, status line included")
declare("FINEWS_MAX_HEADER_LINES", 200, "header lines one response may send")
ROBOTSTXT_PARSER = "finews_spider.limits.CappedRobotParser"
declare("FINEWS_ROBOTSTXT_MAX_BYTES", 500 * 1024, "the part of a robots.txt that is read")

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
declare("FINEWS_RUN_ID", None, "the run's id in `runs` (default: the spider and its start)")
declare("FINEWS_LOG_LEVEL", "INFO", "the crawl's LOG_LEVEL")
declare("FINEWS_STORE", "on", "`off`: no database at all, the feeds are the output")
# The close monitors (finews_spider/monitors.py).
declare("FINEWS_MIN_ARTICLES", 0, "fewest articles a healthy run stores")
declare("FINEWS_FIELD_COVERAGE", {}, "{field: share of articles that must have it}, merged")
declare("FINEWS_MAX_REJECT_RATIO", 0.5, "most rejected pages per page read")
declare("FINEWS_REJECT_RATIO_MIN_PAGES", 10, "pages read before the reject ceiling applies")
declare("FINEWS_MAX_ERRORS", 0, "most errors logged (retries given up aside)")
# The alerts (finews_spider/alerts.py): an action whose setting is unset does nothing.
declare("FINEWS_ALERT_SMTP_HOST", "", "SMTP server (unset: no e-mail)")
declare("FINEWS_ALERT_SMTP_PORT", 25, "its port")
declare("FINEWS_ALERT_SMTP_USER", "", "login, when the server needs one")
declare("FINEWS_ALERT_SMTP_PASSWORD", "", "its password")
declare("FINEWS_ALERT_SMTP_STARTTLS", "", "1: STARTTLS before login")
declare("FINEWS_ALERT_EMAIL_FROM", "", "sender (default: finews@<hostname>)")
declare("FINEWS_ALERT_EMAIL_TO", "", "recipients, comma-separated")
declare("FINEWS_ALERT_SLACK_WEBHOOK_URL", "", "a Slack-compatible incoming webhook")
declare("FINEWS_ALERT_WEBHOOK_URL", "", "any endpoint taking the JSON alert")
declare("FINEWS_ALERT_ON_SUCCESS", "", "1: alert on healthy runs too")
declare("FINEWS_ALERT_TIMEOUT", 10, "seconds per delivery")
# The run's metrics (finews_spider/extensions/metrics.py): unset, nothing is written.
declare("FINEWS_METRICS_TEXTFILE", "", "a node_exporter textfile ({spider}: the spider)")
declare("FINEWS_METRICS_PUSHGATEWAY", "", "a Pushgateway URL")

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
declare("FINEWS_RETRY_AFTER_MAX", 60.0, "longest wait a Retry-After header gets (seconds)")

# The store (pipelines/store.py, finews_spider/store).
declare("MONGO_URI", None, "server to write to; unset: the embedded one under FINEWS_HOME/db")
declare("MONGO_DATABASE", "finews", "database name")
declare("FINEWS_HOME", "./.finews", "data, logs and dead letters")
declare("MONGO_BATCH_SIZE", 200, "writes per bulk")
declare("MONGO_FLUSH_SECONDS", 2.0, "longest a write waits in the buffer")
declare("MONGO_TIMEOUT_SECONDS", 5.0, "server selection / startup ping timeout")
declare("MONGO_RETRY_TRIES", 5, "tries per database call on network faults")
declare("MONGO_RETRY_SECONDS", 30.0, "time budget of those tries")
declare("MONGO_WRITE_CONCERN", None, "e.g. `majority` on a replica set (default: the server's)")

# --- Scale-out: distributed mode, switched on by REDIS_URL ---------------------------------
# With REDIS_URL set (setting or environment variable) the add-on swaps in the shared Redis
# scheduler and per-run dupefilter (scrapy-redis, SCHEDULER_PERSIST), requires MONGO_URI,
# and runs this process as a worker (or, with FINEWS_ROLE=seed / `finews seed`, as the seed
# of a new run). Without REDIS_URL it does nothing.
ADDONS = {"finews_spider.distributed.Distributed": 100}
declare("REDIS_URL", None, "redis://[:password@]host:port/db; unset: distributed mode is off")
declare("FINEWS_ROLE", "worker", "worker | seed")
declare("FINEWS_REDIS_PREFIX", "finews", "key prefix: keys are `<prefix>:<spider>:…`")
declare("FINEWS_IDLE_CLOSE_SECONDS", 10.0, "a worker exits after the run was idle this long")
declare("FINEWS_WAIT_FOR_RUN_SECONDS", 60.0, "a worker started before the seed waits this long")
declare("FINEWS_HEARTBEAT_SECONDS", 1.0, "a worker publishes its state this often")
declare("FINEWS_WORKER_TTL", 30.0, "a worker silent this long is dead")
declare("FINEWS_PREFETCH", None, "requests one worker holds (CONCURRENT_REQUESTS_PER_DOMAIN)")
declare("FINEWS_RUN_TTL", 2 * 24 * 3600, "seconds a finished run's filter stays in Redis")
declare("FINEWS_SEED_FORCE", "", "1: seed even while the previous run still has work")
# What "once per run" means for the spiders; the distributed add-on swaps in its shared one.
declare(
    "FINEWS_RUN_SCOPE",
    "finews_spider.extensions.run_scope.LocalRunScope",
    "the component that remembers what a run has asked for",
)
