"""Exit statuses and one-line failure messages, shared by `scrapy crawl` and `finews`.

A scheduler (cron, scrapyd, systemd) reads the exit status; a person reads the last line
of stderr. Every failure an operator can cause or fix (a wrong argument, a path, a store or
Redis that does not answer, a network that does not resolve) maps to one status and one
line naming the cause and the fix. Anything else keeps its traceback.
"""

from __future__ import annotations

import inspect
from collections.abc import Iterator, Mapping
from typing import Any

from finews_spider.settings import SettingInvalid

OK = 0
FAILED = 1
USAGE = 2
INCOMPLETE = 3
UNAVAILABLE = 4

#: What each status means; the README's table of exit statuses is checked against this.
EXIT_STATUSES: dict[int, str] = {
    OK: "healthy: the run finished, every page is accounted for, no monitor failed",
    FAILED: "the run failed: a monitor failed, writes were dead-lettered, the store was lost, "
    "or it closed for a reason other than `finished` (the summary names why)",
    USAGE: "usage error: an unknown command, spider or spider argument, a missing or "
    "empty path; nothing was fetched or written",
    INCOMPLETE: "`finews ledger` only: the run balances so far but a worker never finished",
    UNAVAILABLE: "a dependency did not answer: the store (MongoDB, or the embedded one held "
    "by another process), Redis, or every request of the run (no network, DNS)",
}

#: Spider attributes Scrapy's own components read, which `-a` may legitimately set, and
#: the arguments scrapyd adds to every job (`_job`, `_version`: any leading underscore).
SCRAPY_SPIDER_ARGUMENTS = frozenset(
    {
        "user_agent",
        "download_delay",
        "download_maxsize",
        "download_warnsize",
        "http_user",
        "http_pass",
        "http_auth_domain",
        "handle_httpstatus_list",
        "handle_httpstatus_all",
    }
)


class UsageFailure(ValueError):
    """A spider argument or path an operator must fix (exit status USAGE)."""


def known_arguments(spidercls: type) -> list[str]:
    """The `-a` names a spider takes: its own and its bases' `__init__` parameters, plus a
    declared `ARGS` (for arguments read some other way)."""
    names: set[str] = set(getattr(spidercls, "ARGS", ()))
    for klass in spidercls.__mro__:
        init = klass.__dict__.get("__init__")
        if init is None or klass.__module__.startswith("scrapy."):
            continue
        for param in inspect.signature(init).parameters.values():
            if param.name != "self" and param.kind in (
                param.POSITIONAL_OR_KEYWORD,
                param.KEYWORD_ONLY,
            ):
                names.add(param.name)
    return sorted(names)


def check_spider_arguments(spidercls: type, spargs: Mapping[str, Any]) -> None:
    """Refuse an argument the spider does not know (a typo such as `refrsh=1` would
    otherwise be set as an attribute nobody reads, and the run would silently ignore it)."""
    known = known_arguments(spidercls)
    unknown = [
        name
        for name in spargs
        if name not in known and name not in SCRAPY_SPIDER_ARGUMENTS and not name.startswith("_")
    ]
    if unknown:
        name = getattr(spidercls, "name", spidercls.__name__)
        raise UsageFailure(
            f"{name}: unknown spider argument {', '.join(f'-a {u}' for u in unknown)}; "
            f"it takes {', '.join(f'-a {k}' for k in known) or 'no arguments'}"
        )


def chain(exc: BaseException) -> Iterator[BaseException]:
    """The exception and its causes/contexts, newest first (Scrapy's close after a failed
    open raises its own error, with the real cause underneath)."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def classify(exc: BaseException) -> tuple[int, str] | None:
    """(exit status, one line naming the cause and the fix) for a failure an operator can
    fix, or None for anything else (a bug: keep the traceback)."""
    from finews_spider.store.errors import StoreError, StoreLocked

    for error in chain(exc):
        if isinstance(error, UsageFailure | SettingInvalid):
            return USAGE, str(error)
        if isinstance(error, StoreLocked):
            return UNAVAILABLE, f"the store is locked: {error}"
        if isinstance(error, StoreError):
            return UNAVAILABLE, (
                f"the store is unreachable: {_first_line(error)}; start MongoDB or fix "
                "MONGO_URI (or unset it for the embedded store)"
            )
        if _is_redis_error(error):
            return UNAVAILABLE, (
                f"Redis is unreachable: {_first_line(error)}; start Redis or fix REDIS_URL"
            )
    return None


def _is_redis_error(error: BaseException) -> bool:
    return any(
        k.__module__.startswith("redis.") and k.__name__ in ("ConnectionError", "TimeoutError")
        for k in type(error).__mro__
    )


def _first_line(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    # pymongo appends its timeouts and topology to the cause: noise for this line
    return (text[0] if text else type(error).__name__).split(" (configured timeouts")[0][:300]
