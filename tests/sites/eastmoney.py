"""Eastmoney-like article pages and NewsShare endpoints, built from the same posts.

URL shapes (all on the loopback host):

- ``/a/<id>.html``: an article page (the older ``div.newsContent`` form: ``h1``,
  ``div.time`` ``2022年03月03日 16:39``, ``div.source`` ``来源：经济参考网``, body in
  ``div#ContentBody.txtinfos``), for every post with an 18-digit article id in its file name
  or source link. ``/news/<column>,<id>.html`` serves the same page (canonical: ``/a/<id>.html``).
- ``/NewsData/GetNewsList.do?pageIndex=1&pageSize=20`` (other query parameters ignored): the
  NewsShare list, newest first, of the posts whose source link is a NewsShare link::

      {"code": 0, "message": "success",
       "data": {"total": 2, "pageIndex": 1, "pageSize": 20,
                "list": [{"title": "...", "showtime": "2022-03-03 16:39:57",
                          "medianame": "经济参考网", "infoCode": "NW202203032295917825"}]}}

  ``pageIndex`` starts at 1; ``pageSize`` is 1..100 (default 20); a bad value gives HTTP 400
  with ``{"code": 400, "message": "...", "data": null}``.
- ``/NewsData/GetNewsText.do?id=<infoCode>``: ``{"code": 0, "message": "success",
  "data": {"infoCode": "...", "text": "<body HTML>"}}``; an unknown id gives HTTP 404 with
  ``{"code": 404, "message": "not found", "data": null}``.
- ``/html_News/NewsShare.html?infoCode=<infoCode>``: the JavaScript shell (no article text).
- ``/search/jsonp?cb=<callback>&param=<JSON>``: the search API ("News about one security"):
  the posts with an article id whose title or body HTML contains the keyword (so a code in a
  chart widget or tag matches), newest first, paged by ``pageIndex``/``pageSize``, as JSONP::

      cb({"code": 0, "msg": "", "hitsTotal": 1,
          "result": {"cmsArticleWebOld": {"total": 1, "list": [
              {"date": "2022-03-03 16:39:57", "title": "<em>贵州茅台</em>…", "content": "…",
               "mediaName": "经济参考网", "url": "http://finance.eastmoney.com/a/<id>.html"}]}}})

  Record URLs name the real host, as the API does (crawls read the page at their base_url).
  A keyword matching no post answers with user accounts only (``passportWeb``), as the API
  does for a name, or, for a keyword of digits, with no records at all. A missing ``cb`` or
  unreadable ``param`` gives HTTP 400.

Times are the post's front-matter wall time in Beijing (`Post.published`): what the outlet
published. For a post dated without an offset that differs from what the Jekyll page shows
(see jekyll.py), which is the point of a cross-check.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterable
from typing import Any

from .jekyll import Post

__all__ = [
    "article_page",
    "info_code_index",
    "newsshare_list",
    "newsshare_shell",
    "newsshare_text",
    "search_answer",
]

MAX_PAGE_SIZE = 100
_DISCLAIMER = "郑重声明：东方财富发布此内容旨在传播更多信息，与本站立场无关，不构成投资建议。"


def article_page(post: Post, base_url: str) -> bytes:
    e = html.escape
    when = post.published.strftime("%Y年%m月%d日 %H:%M")
    outlet = post.outlet or "东方财富网"
    digest = f'<div class="b-review">{e(post.digest)}</div>\n' if post.digest else ""
    page = f"""<!DOCTYPE html>
<html>
<head>
<meta charset="utf-8">
<title>{e(post.title)}_东方财富网</title>
<meta property="og:title" content="{e(post.title)}">
<link rel="canonical" href="{e(base_url)}/a/{post.article_id}.html">
</head>
<body>
<div class="topnav"><a href="/">东方财富网</a> &gt; <a href="/a/">财经频道</a></div>
<div class="newsContent">
<h1>{e(post.title)}</h1>
<div class="Info">
<div class="time">{when}</div>
<div class="source">来源：<a href="#">{e(outlet)}</a></div>
</div>
{digest}<div class="txtinfos" id="ContentBody">
{post.body_html}
</div>
</div>
<div class="footer">{_DISCLAIMER}</div>
</body>
</html>
"""
    return page.encode("utf-8")


def info_code_index(posts: Iterable[Post]) -> dict[str, Post]:
    """NewsShare items: posts whose source link names an infoCode (newest post wins)."""
    index: dict[str, Post] = {}
    for post in posts:  # newest first
        if post.info_code and post.info_code not in index:
            index[post.info_code] = post
    return index


def list_record(post: Post) -> dict[str, str]:
    return {
        "title": post.title,
        "showtime": post.published.strftime("%Y-%m-%d %H:%M:%S"),
        "medianame": post.outlet or "",
        "infoCode": post.info_code or "",
    }


def _json(data: Any) -> bytes:
    return json.dumps(data, ensure_ascii=False).encode("utf-8")


def newsshare_list(posts: list[Post], query: dict[str, list[str]]) -> tuple[int, bytes]:
    try:
        page_index = int((query.get("pageIndex") or ["1"])[0])
        page_size = int((query.get("pageSize") or ["20"])[0])
        if page_index < 1 or not 1 <= page_size <= MAX_PAGE_SIZE:
            raise ValueError
    except ValueError:
        message = f"pageIndex >= 1 and 1 <= pageSize <= {MAX_PAGE_SIZE}"
        return 400, _json({"code": 400, "message": message, "data": None})
    items = sorted(info_code_index(posts).values(), key=lambda p: p.published, reverse=True)
    start = (page_index - 1) * page_size
    data = {
        "total": len(items),
        "pageIndex": page_index,
        "pageSize": page_size,
        "list": [list_record(p) for p in items[start : start + page_size]],
    }
    return 200, _json({"code": 0, "message": "success", "data": data})


def newsshare_text(posts: list[Post], info_code: str) -> tuple[int, bytes]:
    post = info_code_index(posts).get(info_code)
    if post is None:
        return 404, _json({"code": 404, "message": "not found", "data": None})
    data = {"infoCode": info_code, "text": post.body_html}
    return 200, _json({"code": 0, "message": "success", "data": data})


def newsshare_shell(info_code: str) -> bytes:
    code = json.dumps(info_code)
    page = f"""<!DOCTYPE html>
<html>
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>资讯分享</title>
<script src="/html_News/js/jquery.min.js"></script>
</head>
<body>
<div id="title"></div>
<div id="time"></div>
<div id="content"></div>
<script type="text/javascript">
var infoCode = {code};
$.getJSON("../NewsData/GetNewsText.do?id=" + encodeURIComponent(infoCode), function (res) {{
  $("#content").html(res.data ? res.data.text : "");
}});
</script>
</body>
</html>
"""
    return page.encode("utf-8")


def _highlight(text: str, keyword: str) -> str:
    e = html.escape
    return f"<em>{e(keyword)}</em>".join(e(part) for part in text.split(keyword))


def _snippet(post: Post, keyword: str, width: int = 60) -> str:
    text = " ".join(re.sub(r"<[^>]+>", " ", post.body_html).split())
    at = max(0, text.find(keyword) - width // 2) if keyword in text else 0
    return _highlight(text[at : at + width], keyword)


def search_answer(posts: list[Post], query: dict[str, list[str]]) -> tuple[int, bytes]:
    callback = (query.get("cb") or [""])[0]
    try:
        if not re.fullmatch(r"[\w$.]+", callback):
            raise ValueError("cb")
        param = json.loads((query.get("param") or [""])[0])
        keyword = str(param["keyword"]).strip()
        paging = param["param"]["cmsArticleWebOld"]
        page_index, page_size = int(paging["pageIndex"]), int(paging["pageSize"])
        if not keyword or page_index < 1 or not 1 <= page_size <= MAX_PAGE_SIZE:
            raise ValueError("paging")
    except (ValueError, KeyError, TypeError) as exc:
        return 400, _json({"code": 400, "msg": f"bad request: {exc}"})
    hits: dict[str, Post] = {}
    for post in sorted(posts, key=lambda p: p.published, reverse=True):
        named = keyword in post.title or keyword in post.body_html
        if post.article_id and post.article_id not in hits and named:
            hits[post.article_id] = post
    items = list(hits.values())
    if items:
        start = (page_index - 1) * page_size
        records = [
            {
                "date": p.published.strftime("%Y-%m-%d %H:%M:%S"),
                "title": _highlight(p.title, keyword),
                "content": _snippet(p, keyword),
                "mediaName": p.outlet or "",
                "url": f"http://finance.eastmoney.com/a/{p.article_id}.html",
                "image": "",
            }
            for p in items[start : start + page_size]
        ]
        result: dict[str, Any] = {"cmsArticleWebOld": {"total": len(items), "list": records}}
    elif keyword.isdigit():
        result = {}
    else:
        result = {"passportWeb": [{"uid": "1234567890", "alias": keyword, "fans": 0}]}
    data = {"code": 0, "msg": "", "hitsTotal": len(items), "result": result}
    return 200, callback.encode() + b"(" + _json(data) + b")"
