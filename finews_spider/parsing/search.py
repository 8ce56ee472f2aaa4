"""Eastmoney's search API ("News about one security"): the request and the JSONP answer.

    GET https://search-api-web.eastmoney.com/search/jsonp?cb=<callback>&param=<JSON>
    Referer: https://so.eastmoney.com/

The answer is `callback({...})`; `result.cmsArticleWebOld` is a list of records, or an object
whose `list` holds them: `date` (Beijing, `YYYY-MM-DD HH:MM:SS`), `title` and `content` with
the keyword wrapped in `<em>`, `mediaName` (the outlet) and `url` (an article page). The API
may answer with other record types only (e.g. `passportWeb`) or none: an empty answer, not an
error. Plain code over (url, body), like the page parsers.
"""

from __future__ import annotations

import html
import json
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode, urljoin

from finews_spider.model import Rejected
from finews_spider.parsing.text import decode, one_line
from finews_spider.site import web_url

__all__ = [
    "ARTICLE_TYPE",
    "DEFAULT_SEARCH_URL",
    "REFERER",
    "SearchAnswer",
    "parse_search_answer",
    "search_request_url",
    "strip_highlights",
]

DEFAULT_SEARCH_URL = "https://search-api-web.eastmoney.com/search/jsonp"
REFERER = "https://so.eastmoney.com/"
#: the record type holding news articles
ARTICLE_TYPE = "cmsArticleWebOld"
#: any JSONP callback name is accepted; a fixed one keeps request URLs reproducible
CALLBACK = "jQuery_finews"

_JSONP = re.compile(r"^\s*(?:/\*\*/\s*)?[\w$.]+\s*\((.*)\)\s*;?\s*$", re.DOTALL)
_TAG = re.compile(r"<[^>]*>")
_ARTICLE_URL = re.compile(r"/a/(\d{18})\.html$")


def search_request_url(
    keyword: str,
    page_index: int,
    page_size: int,
    *,
    endpoint: str = DEFAULT_SEARCH_URL,
    sort: str = "default",
) -> str:
    """The search API URL for one page of one keyword (a code or a name)."""
    param = {
        "uid": "",
        "keyword": keyword,
        "type": [ARTICLE_TYPE],
        "client": "web",
        "clientType": "web",
        "clientVersion": "curr",
        "param": {
            ARTICLE_TYPE: {
                "searchScope": "default",
                "sort": sort,
                "pageIndex": page_index,
                "pageSize": page_size,
                "preTag": "<em>",
                "postTag": "</em>",
            }
        },
    }
    compact = json.dumps(param, ensure_ascii=False, separators=(",", ":"))
    return f"{endpoint}?{urlencode({'cb': CALLBACK, 'param': compact})}"


def strip_highlights(value: Any) -> str:
    """A search field as plain text: highlight tags (and any other tag) removed, entities
    read, whitespace normalised."""
    if not isinstance(value, str):
        return ""
    return one_line(html.unescape(_TAG.sub("", value)))


@dataclass
class SearchAnswer:
    """One page of search results."""

    #: article records, highlights removed: `title`, `content`, `date`, `mediaName`, `url`
    #: and the 18-digit `article_id` of the page they point to
    records: list[dict[str, str]] = field(default_factory=list)
    #: records that name no Eastmoney article page (no `/a/<id>.html` URL)
    not_articles: int = 0
    #: other record types the answer held instead (e.g. `passportWeb`)
    other_types: list[str] = field(default_factory=list)
    #: the API's total hit count when it states one
    total: int | None = None


def parse_search_answer(url: str, body: bytes) -> SearchAnswer:
    """Read a JSONP (or plain JSON) answer of the search API. Raises Rejected when the body
    is not one; an answer without article records is an empty SearchAnswer."""
    text = decode(body).strip().lstrip("\ufeff")
    match = _JSONP.match(text)
    payload = match.group(1) if match else text
    try:
        data = json.loads(payload)
    except (ValueError, RecursionError) as exc:
        raise Rejected("parse", "jsonp_invalid", f"not a JSONP search answer: {exc}") from None
    if not isinstance(data, dict):
        raise Rejected("parse", "jsonp_invalid", "the search answer is not a JSON object")
    result = data.get("result")
    if result is None:
        result = {}
    if not isinstance(result, dict):
        raise Rejected("parse", "jsonp_invalid", "`result` is not an object")
    answer = SearchAnswer(
        other_types=sorted(k for k, v in result.items() if k != ARTICLE_TYPE and v),
    )
    found = result.get(ARTICLE_TYPE)
    if isinstance(found, dict):
        total = found.get("total")
        answer.total = total if isinstance(total, int) and not isinstance(total, bool) else None
        found = found.get("list")
    for raw in found if isinstance(found, list) else []:
        record = _record(raw, url)
        if record is None:
            answer.not_articles += 1
        else:
            answer.records.append(record)
    return answer


def _record(raw: Any, answer_url: str) -> dict[str, str] | None:
    if not isinstance(raw, dict):
        return None
    link = raw.get("url")
    link = web_url(urljoin(answer_url, link.strip())) if isinstance(link, str) else None
    match = _ARTICLE_URL.search(link.split("?", 1)[0]) if link else None
    if link is None or match is None:
        return None
    return {
        "title": strip_highlights(raw.get("title")),
        "content": strip_highlights(raw.get("content")),
        "date": one_line(raw.get("date") if isinstance(raw.get("date"), str) else ""),
        "mediaName": strip_highlights(raw.get("mediaName")),
        "url": link,
        "article_id": match.group(1),
    }
