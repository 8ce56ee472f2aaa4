"""NewsShare article JSON (`NewsData/GetNewsText.do?id=<infoCode>`) with its list record.

The article JSON carries the body (`text`, or `content` for some item types); the title,
time and outlet come from the list record that led to it (`title`, `datetime`/`showtime`,
`medianame`, `infoCode`). A JSON without a record is read only if it states them itself:
a time is never invented.
"""

from __future__ import annotations

import json
from typing import Any

from finews_spider.model import PageContext, ParsedPage, Rejected
from finews_spider.parsing.text import INFO_CODE, info_code_from_url, one_line
from finews_spider.site import share_url, web_url

_DATE_KEYS = ("showtime", "datetime", "showDateTime", "ordertime", "publishtime")


def _find_article(data: Any, depth: int = 0) -> dict[str, Any] | None:
    """The object holding `text`/`content`: at the top or inside a `data`/`result` wrapper."""
    if not isinstance(data, dict) or depth > 3:
        return None
    if isinstance(data.get("text"), str) or isinstance(data.get("content"), str):
        return data
    for key in ("data", "Data", "result", "Result", "re"):
        found = _find_article(data.get(key), depth + 1)
        if found is not None:
            return found
    return None


def _get(record: dict[str, Any], *keys: str) -> str | None:
    for key in keys:
        value = record.get(key)
        if isinstance(value, str | int) and not isinstance(value, bool) and str(value).strip():
            return str(value).strip()
    return None


def parse_newsshare_json(url: str, text: str, context: PageContext) -> ParsedPage:
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise Rejected("parse", "json_invalid", f"not valid JSON: {exc}") from None
    except RecursionError:  # json recurses once per nesting level
        raise Rejected("parse", "json_invalid", "JSON nested too deep to read") from None
    article = _find_article(data)
    if article is None:
        raise Rejected("parse", "json_no_article", "no `text` or `content` field in the JSON")
    body = article.get("text") if isinstance(article.get("text"), str) else article["content"]
    record = dict(context.list_record or {})
    title = _get(record, "title", "Title") or _get(article, "title", "Title")
    date_raw = _get(record, *_DATE_KEYS) or _get(article, *_DATE_KEYS)
    info_code = (
        _get(record, "infoCode", "infocode", "code")
        or _get(article, "infoCode", "infocode")
        or info_code_from_url(url)
    )
    if info_code and not INFO_CODE.fullmatch(info_code):
        info_code = None
    share_link = share_url(info_code) if info_code else None
    # A list record's url is untrusted: only a web URL that parses is kept.
    record_url = web_url(_get(record, "url", "Url"))
    return ParsedPage(
        url=url,
        kind="newsshare_json",
        title=one_line(title),
        date_raw=date_raw or "",
        body_html=body,
        context=context,
        summary=one_line(_get(record, "digest", "summary") or _get(article, "digest")) or None,
        # one_line: a lone surrogate or control character in the record broke the export
        category=one_line(_get(record, "column", "columnName")) or None,
        outlet_hint=_get(record, "medianame", "mediaName") or _get(article, "medianame"),
        source_url=record_url or share_link,
        info_code=info_code,
        id_hints=[h for h in (info_code, url, context.file_name) if h],
    )
