"""What "once per run" means: the component that says whether a spider has already asked
for a URL (or an article) in this run.

Spiders ask `scope.first(kind, value)` and never learn how a run is deployed; the class
is the setting FINEWS_RUN_SCOPE. A single process remembers in memory (`LocalRunScope`);
the distributed add-on swaps in one shared by every worker of the run.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

__all__ = ["LocalRunScope", "RunScope", "run_scope"]


class RunScope(Protocol):
    def first(self, kind: str, value: str) -> bool:
        """True the first time `value` (of `kind`, e.g. "articles", "lists") is seen in
        this run, False every later time."""
        ...


class LocalRunScope:
    """This process is the whole run: one set per kind, in memory."""

    def __init__(self) -> None:
        self._seen: dict[str, set[str]] = {}

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> LocalRunScope:
        return cls()

    def first(self, kind: str, value: str) -> bool:
        seen = self._seen.setdefault(kind, set())
        if value in seen:
            return False
        seen.add(value)
        return True


def run_scope(crawler: Crawler) -> RunScope:
    """The crawl's run scope, built from FINEWS_RUN_SCOPE."""
    # Imported here: `finews` commands reach this module through the distributed add-on's
    # parsers and should not load Scrapy for them.
    from scrapy.utils.misc import build_from_crawler, load_object

    cls = load_object(crawler.settings.get("FINEWS_RUN_SCOPE") or LocalRunScope)
    scope: RunScope = build_from_crawler(cls, crawler)
    return scope
