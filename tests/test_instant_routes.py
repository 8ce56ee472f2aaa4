"""One instant per article across routes: the mirror's rendered page shows a post whose front
matter had no offset 8 hours late; the post source carries the true instant. Whatever order the
routes arrive in: one document, one version, the true instant, the disagreement recorded."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from pymongo import MongoClient

Run = Callable[..., subprocess.CompletedProcess[str]]
pytestmark = pytest.mark.store

ARTICLE_ID = "202403232993500016"
SOURCE_LINK = f"http://finance.eastmoney.com/news/1355,{ARTICLE_ID}.html"
TITLE = "离岸人民币兑美元升至年内高位"
BODY = "离岸人民币兑美元日内升值逾300点。"

# The post source: no offset, so Beijing time is assumed (the true instant: 02:46:18 UTC).
SOURCE = f"""---
layout: post
title: "{TITLE}"
date: 2024-03-23 10:46:18
categories: emnews
tags: 东财滚动新闻
---
<p>{BODY}</p>

<{SOURCE_LINK}>
"""

# The same post as the mirror renders it: Jekyll read the date as UTC and prints it in
# Asia/Shanghai, 8 hours late.
RENDERED = f"""<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="UTF-8"><title>{TITLE} | 金融消息</title></head>
<body><div class="wrapper"><section>
<small>(GMT+8, Asia/Shanghai, CST) 2024-03-23 18:46:18</small>
<h1>{TITLE}</h1>
<p>{BODY}</p>
<p><a href="{SOURCE_LINK}">{SOURCE_LINK}</a></p>
<small>tags: <em>东财滚动新闻</em></small>
</section></div></body></html>
"""

TRUE_INSTANT = datetime(2024, 3, 23, 2, 46, 18, tzinfo=UTC)
LATE_INSTANT = datetime(2024, 3, 23, 10, 46, 18, tzinfo=UTC)


def _write(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True)
    (folder / name).write_text(text, "utf-8")
    return folder


@pytest.mark.parametrize("order", ["source_first", "rendered_first"])
def test_routes_that_disagree_on_the_instant_make_one_version(
    order: str, scrapy_run: Run, mongo_uri: str, mongo_db: str, tmp_path: Path
) -> None:
    source = _write(tmp_path / "source", f"2024-03-23-{ARTICLE_ID}.md", SOURCE)
    rendered = _write(tmp_path / "rendered", f"{ARTICLE_ID}.html", RENDERED)
    folders = [source, rendered] if order == "source_first" else [rendered, source]
    for folder in folders:
        run = scrapy_run("crawl", "replay", "-a", f"path={folder}")
        assert run.returncode == 0, run.stderr[-3000:]
    with MongoClient(mongo_uri, tz_aware=True) as client:
        docs = list(client[mongo_db].articles.find({"_id": ARTICLE_ID}))
        versions = client[mongo_db].article_versions.count_documents({"article_id": ARTICLE_ID})
    assert len(docs) == 1 and versions == 0
    doc = docs[0]
    assert doc["version"] == 1
    assert doc["published_at"] == TRUE_INSTANT
    assert (doc["published_at_raw"], doc["tz_assumed"]) == ("2024-03-23 10:46:18", True)
    assert len(doc["urls"]) == 2
    routes = [
        (r["published_at"], r["page_kind"], r["evidence"]) for r in doc["published_at_routes"]
    ]
    assert routes == [(TRUE_INSTANT, "finews_source", 1), (LATE_INSTANT, "finews_page", 0)]
    # a third pass over both routes changes nothing
    for folder in folders:
        run = scrapy_run("crawl", "replay", "-a", f"path={folder}")
        assert run.returncode == 0 and "updated=0" in run.stderr, run.stderr[-3000:]


def test_routes_merged_into_an_earlier_version_do_not_make_a_new_one_next_run(
    scrapy_run: Run, mongo_uri: str, mongo_db: str
) -> None:
    """The duplicates group: one id served with two texts and three instants. Routes whose
    instant was merged into a version that a newer text then archived are that version, seen
    before: the second run over the same pages changes no article."""
    folder = Path(__file__).resolve().parents[1] / "fixtures" / "hostile" / "duplicates"

    def articles() -> dict[str, dict]:
        with MongoClient(mongo_uri, tz_aware=True) as client:
            docs = {d["_id"]: d for d in client[mongo_db].articles.find()}
        for doc in docs.values():
            doc.pop("last_seen_at")
        return docs

    first = scrapy_run("crawl", "replay", "-a", f"path={folder}")
    assert first.returncode == 0, first.stderr[-3000:]
    before = articles()
    again = scrapy_run("crawl", "replay", "-a", f"path={folder}")
    assert again.returncode == 0, again.stderr[-3000:]
    assert "articles new=0 updated=0 " in again.stderr, again.stderr[-3000:]
    assert articles() == before
