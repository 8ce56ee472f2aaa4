"""Every real post of the finews mirror through `scrapy crawl replay`.

Each post is checked against its own front matter and widget: title, instant, outlet,
chart securities; no furniture may survive in body_text. Posts with real defects must be
rejected with a stated reason (or repaired, with the repair recorded).
Skipped when ../shared/corpus is absent (a user's fresh clone has no ../shared).
"""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "corpus" / "posts"

pytestmark = pytest.mark.corpus

#: Posts that must not become articles, and why.
EXPECTED_REJECTS = {
    "_posts__-202205262391921712.md": "date_missing",  # `date:  +0800`, empty title
    "_posts__2021-12-01-init.md": "not_an_article",  # the site's opening notice
}
FURNITURE = ("K图", "文章来源", "返回首页", "EM_StockImg", "责任编辑", "郑重声明", "finews.")


_REPLAYED: dict[str, Any] = {}


@pytest.fixture
def replayed(
    tmp_path: Path, scrapy_run: Callable[..., subprocess.CompletedProcess[str]]
) -> dict[str, Any]:
    """The corpus replayed once (into a test database) and shared by the tests here."""
    if not CORPUS.is_dir():
        pytest.skip(f"real corpus not found at {CORPUS} (only beside the project's checkout)")
    if _REPLAYED:
        return _REPLAYED
    out = tmp_path / "out.jsonl"
    run = scrapy_run("crawl", "replay", "-a", f"path={CORPUS}", "-O", str(out))
    assert run.returncode == 0, run.stderr[-3000:]
    docs = {}
    for line in out.read_text("utf-8").splitlines():
        doc = json.loads(line)
        docs[Path(doc["url"].removeprefix("file://")).name] = doc
    rejected = dict(re.findall(r"rejected file://\S*/([^/\s]+) \[\w+/(\w+)\]", run.stderr))
    _REPLAYED.update(docs=docs, rejected=rejected, log=run.stderr)
    return _REPLAYED


def _front_matter(path: Path) -> dict[str, str]:
    text = path.read_text("utf-8").lstrip("\n")
    return yaml.load(text.split("---")[1], Loader=yaml.BaseLoader)


def _instant(raw: str) -> datetime:
    raw = raw.strip()
    if re.search(r"[+-]\d{4}$", raw):
        return datetime.strptime(raw, "%Y-%m-%d %H:%M:%S %z")
    return datetime.strptime(raw, "%Y-%m-%d %H:%M:%S").replace(tzinfo=timezone(timedelta(hours=8)))


POSTS = sorted(p.name for p in CORPUS.glob("*.md")) if CORPUS.is_dir() else []


def test_every_post_is_stored_or_rejected_with_its_reason(replayed: dict[str, Any]) -> None:
    docs, rejected = replayed["docs"], replayed["rejected"]
    assert sorted([*docs, *rejected]) == POSTS
    assert rejected == EXPECTED_REJECTS
    assert "balanced=yes" in replayed["log"]


@pytest.mark.parametrize("name", POSTS)
def test_post_matches_its_front_matter_and_widget(name: str, replayed: dict[str, Any]) -> None:
    if name in EXPECTED_REJECTS:
        pytest.skip(f"rejected on purpose: {EXPECTED_REJECTS[name]}")
    doc = replayed["docs"][name]
    path = CORPUS / name
    front = _front_matter(path)
    assert doc["title"] == front["title"]
    published = datetime.fromisoformat(doc["published_at"])
    assert published == _instant(front["date"])
    assert published.utcoffset() == timedelta(0) and published.microsecond == 0
    assert doc["tz_assumed"] is not bool(re.search(r"[+-]\d{4}$", front["date"].strip()))
    assert doc["category"] == front["categories"]
    tag = front["tags"]
    if tag.endswith("新闻") and tag != "东财滚动新闻":
        assert doc["outlet"] == tag.removesuffix("新闻")
    text = path.read_text("utf-8")
    charts = {f"{m}.{c}" for c, m in re.findall(r'data-code="([0-9A-Za-z.]+)\|(\d+)\|\d*"', text)}
    got = {s["secid"] for s in doc["stocks"] if "chart" in s["roles"]}
    assert got == charts
    for word in FURNITURE:
        assert word not in doc["body_text"], word
    if text.startswith("\n"):
        assert doc["repairs"] == ["front_matter_after_blank_line"]


def test_the_seed_article(replayed: dict[str, Any]) -> None:
    doc = replayed["docs"]["old_post__2022-03-03-NW202203032295917825.md"]
    assert doc["_id"] == "202203032295917825"
    assert doc["published_at"] == "2022-03-03T08:39:57+00:00"
    assert doc["outlet"] == "经济参考网"
    assert doc["category"] == "jingjicankaowang"
    assert doc["stock_codes"] == ["00992"]
    assert [(s["market"], s["roles"]) for s in doc["stocks"]] == [("HK", ["chart"])]
    assert doc["body_text"].startswith("联想中国3月3日发布")
    assert "display:none" not in doc["body_html"] and "K图" not in doc["body_text"]
