"""The plain data types that flow through the core: no Scrapy, no MongoDB.

parse_page(url, body, context) -> ParsedPage   (raw fields, as the page states them)
steps over a Draft (page + the article document being built) -> Article (typed, matching
the article JSON Schema), or a Rejection with a reason a person can read.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from datetime import datetime
from operator import attrgetter
from typing import Any

#: Bumped whenever a parser or normaliser changes its output; `reparse` uses it.
PARSER_VERSION = "2026.11.30"


@dataclass(slots=True, kw_only=True)
class Article:
    """An article as the core makes it: the contract's fields that the parsers fill, in
    contract order (`finews_spider/schema/article.schema.json`; the fields marked `x-store`
    are the store's). A test checks names, requiredness and types against the schema."""

    _id: str
    """The 18-digit Eastmoney article id when it can be known (from an NW infoCode, file name,
    source link or URL), so one article reached by several routes is one document; otherwise
    `url:` + 32 hex digits of the SHA-256 of the canonical URL.
    """
    title: str
    """Headline, whitespace-normalised."""
    published_at: datetime
    """Publication instant in UTC, to the second (BSON date in MongoDB)."""
    published_at_raw: str
    """The date exactly as the page states it."""
    published_tz: str
    """UTC offset as published, or as assumed (Beijing, +08:00) when the page gives none."""
    tz_assumed: bool
    """True when the page gave no offset and Beijing time (UTC+8) was assumed."""
    outlet: str | None
    """The outlet that published the article (e.g. 经济参考网). Order of evidence: the body's source
    line, else the list record, else a trailing attribution at the end of the digest or a
    paragraph (`…。（央视财经）`; none when paragraphs name different outlets), else the post tag.
    """
    category: str | None
    """finews category (pinyin of the outlet, or `emnews`) or Eastmoney column."""
    tags: list[str]
    """Tags as published (finews post tags)."""
    summary: str | None
    """The digest line where the page has one."""
    body_text: str
    """Article text: one paragraph per line, inline tags reduced to their text, furniture removed.
    """
    body_html: str
    """Article HTML sanitised (no scripts, styles, event handlers, hidden elements), furniture
    removed.
    """
    stocks: list[dict[str, Any]]
    """One entry per security (secid) named by the chart widget, an inline tag or a code written in
    the title, digest or body.
    """
    stock_codes: list[str]
    """Sorted unique codes of the `stocks` entries whose kind is stock, whatever their roles
    (`chart`, `tag`, `text`, `name`); filter `stocks.roles` to choose the evidence.
    """
    info_code: str | None
    """Eastmoney infoCode (`NW…` news, `AN…` announcement, `AP…` report) when known."""
    url: str
    """Where this version of the article was read."""
    source_url: str | None
    """The original article link (Eastmoney page or NewsShare link)."""
    page_kind: str
    """Which kind of page this was parsed from."""
    repairs: list[str]
    """Defects of the page that were repaired, one code each (empty for a clean page)."""
    content_hash: str
    """SHA-256 of the article's substance (title, instant, body text); a change means a new
    version.
    """
    parser_version: str
    """Version of the parsers that produced this document."""

    def document(self) -> dict[str, Any]:
        """The stored document: a dict in contract order (the one conversion)."""
        return dict(zip(ARTICLE_FIELDS, _field_values(self), strict=True))


#: The article's fields in contract order.
ARTICLE_FIELDS: tuple[str, ...] = tuple(f.name for f in fields(Article))
_field_values = attrgetter(*ARTICLE_FIELDS)


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
    doc: dict[str, Any] = field(default_factory=dict)
    #: a look at the raw page, for the rejection a later step may make of it
    excerpt: str = ""


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
