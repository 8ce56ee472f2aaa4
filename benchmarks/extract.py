"""The three extractors compared on the same pages, and how body quality is scored.

- `core`: `process_page` (parse, normalise, validate: the whole core for one page).
- `parsel_only`: the practical ceiling. Select the title, the date text and the body
  paragraphs with parsel and nothing else: no cleaning, no normalisation, no validation
  (front matter by a regular expression, JSON by `json.loads`).
- `trafilatura`: `trafilatura.extract(page)` with its defaults (comments off), HTML pages only
  (it reads neither markdown front matter nor NewsShare JSON).

Quality: token-level F1 of the extracted body against the page's clean reference (the
article's paragraphs as templated, `corpus.Page.reference`). Tokens are single Han
characters and runs of Latin letters/digits (`12.5%` is `12`, `5`); punctuation and
whitespace do not count, so paragraph breaks and spacing are not scored, only content.
Precision, recall and F1 are per page (bags of tokens, counted with multiplicity), then
averaged over pages; a page an extractor returns nothing for scores 0.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from datetime import datetime
from typing import Any

from parsel import Selector

from finews_spider.core import process_page
from finews_spider.model import PageContext, Rejection

_TOKEN = re.compile(r"[\u3400-\u9fff]|[A-Za-z0-9]+")
_FRONT_TITLE = re.compile(r'^title:\s*"?(.*?)"?\s*$', re.M)
_FRONT_DATE = re.compile(r"^date:\s*(.*?)\s*$", re.M)


def page_url(meta: dict[str, Any] | None, fallback: str) -> str:
    return (meta or {}).get("url") or fallback


def core(url: str, body: bytes, meta: dict[str, Any] | None) -> str | None:
    """The body text `process_page` makes of the page, as replay calls it."""
    meta = meta or {}
    fetched = meta.get("fetched_at")
    context = PageContext(
        fetched_at=datetime.fromisoformat(fetched) if fetched else None,
        content_type=meta.get("content_type"),
        list_record=meta.get("list_record"),
    )
    result = process_page(page_url(meta, url), body, context)
    return None if isinstance(result, Rejection) else result.body_text


def _text(body: bytes) -> str:
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        return body.decode("gb18030", errors="replace")


def parsel_only(kind: str, body: bytes) -> str | None:
    """Title, date text, body paragraphs: selected, not cleaned."""
    text = _text(body)
    if kind == "newsshare_json":
        data = json.loads(text)
        sel = Selector(text=data.get("text") or data.get("content") or "<p></p>")
        title = date = ""
        paras = sel.css("p").xpath("string()").getall()
    elif kind == "finews_source":
        _, front, rest = text.split("---\n", 2)
        title = (_FRONT_TITLE.search(front) or _NO_MATCH).group(1)
        date = (_FRONT_DATE.search(front) or _NO_MATCH).group(1)
        paras = Selector(text=rest).css("p").xpath("string()").getall()
    elif kind == "finews_page":
        sel = Selector(text=text)
        title = sel.css("section > h1::text").get()
        date = sel.css("section > small::text").get()
        paras = sel.css("section > p").xpath("string()").getall()
    else:
        sel = Selector(text=text)
        title = sel.css("div.newsContent h1::text, div.title::text").get()
        date = sel.css("div.time::text, div.infos div.item::text").get()
        paras = sel.css("#ContentBody p").xpath("string()").getall()
    if not (title or date or paras):
        return None
    return "\n".join(p.strip() for p in paras)


class _NoMatch:
    def group(self, _: int) -> str:
        return ""


_NO_MATCH = _NoMatch()


def trafilatura_text(body: bytes) -> str | None:
    import trafilatura

    return trafilatura.extract(body, include_comments=False)


def tokens(text: str | None) -> Counter[str]:
    return Counter(_TOKEN.findall(text or ""))


def prf(reference: str, extracted: str | None) -> tuple[float, float, float]:
    """(precision, recall, F1) of the extracted body's tokens against the reference's."""
    ref, out = tokens(reference), tokens(extracted)
    overlap = sum((ref & out).values())
    if not overlap:
        return 0.0, 0.0, 0.0
    precision = overlap / sum(out.values())
    recall = overlap / sum(ref.values())
    return precision, recall, 2 * precision * recall / (precision + recall)
