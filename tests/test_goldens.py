"""Golden fixtures: every saved page in fixtures/ comes out exactly as its expectation says.

After a deliberate change: `python -m finews_spider.goldens fixtures/` and review the diff.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from finews_spider.goldens import FIXTURE_URL_ROOT, expected_path, outcome
from finews_spider.schema import article_errors, page_kinds
from finews_spider.spiders.replay import saved_pages

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "fixtures"
PAGES = list(saved_pages(FIXTURES))


def test_there_are_fixtures_of_every_page_kind() -> None:
    folders = {p.parent.name for p in PAGES}
    assert set(page_kinds()) <= folders


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(FIXTURES)))
def test_page_matches_its_expectation(page: Path) -> None:
    expected_file = expected_path(page)
    assert expected_file.exists(), f"no expectation: run python -m finews_spider.goldens {page}"
    expected = json.loads(expected_file.read_text("utf-8"))
    assert outcome(page, FIXTURES) == expected


def _normalise(doc: dict) -> dict:
    local = FIXTURES.as_uri() + "/"
    if doc["url"].startswith(local):
        doc["url"] = FIXTURE_URL_ROOT + doc["url"][len(local) :]
    return doc


def test_replay_through_scrapy_gives_the_expected_documents(
    tmp_path: Path, scrapy_run: Callable[..., subprocess.CompletedProcess[str]]
) -> None:
    """The data engineer's command, end to end through Scrapy's engine."""
    out = tmp_path / "out.jsonl"
    run = scrapy_run("crawl", "replay", "-a", f"path={FIXTURES}", "-O", str(out))
    assert run.returncode == 0, run.stderr[-3000:]
    docs = [_normalise(json.loads(line)) for line in out.read_text("utf-8").splitlines()]
    expected = [json.loads(expected_path(p).read_text("utf-8")) for p in PAGES]
    articles = [e["article"] for e in expected if "article" in e]
    assert [article_errors(d) for d in docs] == [[] for _ in docs]
    key = lambda d: (d["_id"], d["url"])  # noqa: E731
    assert sorted(docs, key=key) == sorted(articles, key=key)
    rejected = len(expected) - len(articles)
    assert f"pages={len(expected)} " in run.stderr
    assert f" rejected={rejected} " in run.stderr
    assert "balanced=yes" in run.stderr
