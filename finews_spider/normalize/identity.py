"""Article identity: the 18-digit Eastmoney article id, so every route is one document."""

from __future__ import annotations

import hashlib
import json
import re
from datetime import datetime

from w3lib.url import canonicalize_url

from finews_spider.model import ParsedPage, Rejected

# Where an 18-digit news id shows itself. An `AN` (announcement) or `AP` (report) code's
# digits are not an article id, so only NW codes and article-shaped URLs/names count.
_ID_PATTERNS = (
    re.compile(r"(?<![A-Za-z0-9])NW(\d{18})(?!\d)"),  # infoCode NW…
    re.compile(r"/a/(\d{18})\.html"),  # finance.eastmoney.com/a/<id>.html
    re.compile(r"/news/\d+,(\d{18})\.html"),  # column URL /news/<column>,<id>.html
    re.compile(r"(?:^|[/_-])(\d{18})\.(?:md|html?|json)$"),  # file name or permalink slug
)


def ids_in(text: str) -> set[str]:
    found: set[str] = set()
    for pattern in _ID_PATTERNS:
        found.update(pattern.findall(text))
    return found


def article_id(page: ParsedPage) -> str | None:
    """The article id every hint agrees on; None when no hint carries one.

    Hints that disagree are a defect of the page (or a hostile one): rejected, not chosen."""
    found: set[str] = set()
    if page.info_code and page.info_code.startswith("NW"):
        found |= ids_in(page.info_code)
    for hint in page.id_hints:
        found |= ids_in(hint)
    if len(found) > 1:
        raise Rejected(
            "identity", "conflicting_ids", f"the page names several article ids: {sorted(found)}"
        )
    return found.pop() if found else None


def canonical_url(url: str) -> str:
    return canonicalize_url(url, keep_fragments=False)


def url_id(url: str) -> str:
    """Stable id for an article whose Eastmoney id cannot be known."""
    try:
        canonical = canonical_url(url)
    except ValueError:
        # w3lib refuses URLs such as `https://host:alert(1)/` (a hostile canonical link):
        # such a URL is its own canonical form.
        canonical = url
    return "url:" + hashlib.sha256(canonical.encode("utf-8", "replace")).hexdigest()[:32]


def content_hash(title: str, published_at: datetime, body_text: str) -> str:
    """The article's substance: what a new version means. Route furniture (category,
    tags, digest) is not in it, so the same article read through two routes is unchanged.

    The instant counts to the minute: Eastmoney page headers state minutes only, while the
    lists and posts of the same article state seconds (the store keeps the finer one)."""
    minute = published_at.replace(second=0, microsecond=0)
    payload = json.dumps([title, minute.isoformat(), body_text], ensure_ascii=False)
    return hashlib.sha256(payload.encode()).hexdigest()
