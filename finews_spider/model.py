"""The plain data types that flow through the core: no Scrapy, no MongoDB.

parse_page(url, body, context) -> ParsedPage   (raw fields, as the page states them)
steps over a Draft (page + the article document being built) -> Article document (a dict
that satisfies the article JSON Schema), or a Rejection with a reason a person can read.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

#: Bumped whenever a parser or normaliser changes its output; `reparse` uses it.
PARSER_VERSION = "2026.11.30"

#: Page kinds the parsers recognise (from the content, not the file name).
PAGE_KINDS = (
    "finews_source",  # finews post source: markdown with YAML front matter
    "finews_page",  # rendered finews post (Jekyll `post` layout)
    "eastmoney_page",  # finance.eastmoney.com/a/<id>.html article page
    "newsshare_json",  # NewsShare GetNewsText.do JSON (+ its list record)
)

Article = dict[str, Any]
"""An article document: the shape is the one contract in `finews_spider/schema/`."""


class Rejected(Exception):
    """A page cannot become an article. `reason` is a stable, queryable code
    (e.g. ``date_unreadable``); `detail` says what was wrong in words."""

    def __init__(self, stage: str, reason: str, detail: str) -> None:
        super().__init__(f"{stage}/{reason}: {detail}")
        self.stage = stage
        self.reason = reason
        self.detail = detail


@dataclass(frozen=True)
class PageContext:
    """What is known about a page besides its bytes.

    `fetched_at` is when the page was read (aware); None when unknown (a saved page
    without a recorded fetch time): relative dates such as ``今天 16:25`` are then rejected,
    never resolved against "now". `list_record` is the NewsShare list entry that led to
    an article JSON (title, datetime/showtime, medianame, infoCode), or the search record
    that led to an Eastmoney page (title, content, date, mediaName, url)."""

    fetched_at: datetime | None = None
    content_type: str | None = None
    list_record: dict[str, Any] | None = None
    #: file name of a saved page (ids are often only in the name: `2022-03-03-NW….md`)
    file_name: str | None = None
    #: name -> stocks entry, from the securities master (`normalize.names`): the shell loads
    #: it from the store where it links names to codes (reparse, batch --from-store)
    names: Mapping[str, Any] | None = field(default=None, compare=False, repr=False)

    @classmethod
    def from_meta(
        cls,
        meta: Mapping[str, Any],
        *,
        fetched_at: datetime | None = None,
        content_type: str | None = None,
        file_name: str | None = None,
        names: Mapping[str, Any] | None = None,
    ) -> PageContext:
        """From a saved page's sidecar or a stored page's context (`url`, `fetched_at`,
        `content_type`, `list_record`). A `fetched_at` key, even null, is the recorded
        truth; without the key, `fetched_at` given here (when the body was read) applies."""
        if "fetched_at" in meta:
            fetched = meta["fetched_at"]
            fetched_at = datetime.fromisoformat(fetched) if fetched else None
        record = meta.get("list_record")
        return cls(
            fetched_at=fetched_at,
            content_type=meta.get("content_type") or content_type,
            list_record=record if isinstance(record, dict) else None,
            file_name=file_name,
            names=names,
        )


def saved_page_context(meta: Mapping[str, Any]) -> dict[str, Any]:
    """The context stored with a replayed page: its sidecar, with `fetched_at: None` when
    nobody recorded when it was fetched (relative dates then stay rejected on reparse)."""
    return {"fetched_at": None, **meta}


def context_json(context: Mapping[str, Any]) -> str:
    """A page's context as stored with its body: ASCII JSON, so a lone surrogate in page
    data can fail neither the page write nor its dead letter, and no key becomes BSON."""
    return json.dumps(context, default=str)


def error_code(error: BaseException) -> str:
    """`DownloadTimeoutError` -> `download_timeout_error`: reasons are snake_case codes."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", type(error).__name__).lower()


@dataclass
class ParsedPage:
    """Raw fields as a page states them, before any normalisation."""

    url: str
    kind: str
    title: str
    date_raw: str  # as published: "2022-03-03 16:39:57 +0800", "1653829208000", "今天 16:25"
    body_html: str  # the article body (HTML fragment), furniture still in it
    context: PageContext = field(default_factory=PageContext)
    #: a date-only hint for cross-checks (e.g. the file name's date); never used as the date
    summary: str | None = None  # the digest line (`> ` in emnews posts)
    category: str | None = None
    tags: list[str] = field(default_factory=list)
    outlet_hint: str | None = None  # outlet named outside the body (list record, header)
    outlet_tag: str | None = None  # outlet named by a post tag (`经济参考网新闻`): the weakest
    source_url: str | None = None  # link to the original article
    info_code: str | None = None  # NW…/AN…/AP…
    id_hints: list[str] = field(default_factory=list)  # strings that may carry the article id
    repairs: list[str] = field(default_factory=list)  # defects repaired while parsing


@dataclass
class Draft:
    """An article being built: each normalisation step reads `page` and fills `doc`."""

    page: ParsedPage
    doc: Article = field(default_factory=dict)


@dataclass(frozen=True)
class Rejection:
    """A page that did not become an article, with a reason a person can read."""

    url: str
    stage: str  # parse | dates | securities | cleaning | identity | validation | fetch | store
    reason: str  # stable code, e.g. date_unreadable
    detail: str  # words
    excerpt: str = ""  # the first few hundred characters of the page, for a person to look at
    page_kind: str | None = None

    @classmethod
    def from_error(
        cls, url: str, error: Rejected, excerpt: str = "", page_kind: str | None = None
    ) -> Rejection:
        return cls(url, error.stage, error.reason, error.detail, excerpt[:500], page_kind)

    def as_dict(self) -> dict[str, Any]:
        return {
            "url": self.url,
            "stage": self.stage,
            "reason": self.reason,
            "detail": self.detail,
            "excerpt": self.excerpt,
            "page_kind": self.page_kind,
        }
