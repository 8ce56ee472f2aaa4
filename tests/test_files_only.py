"""Files only: `scrapy crawl replay … -O out.jsonl -s FINEWS_STORE=off` runs every step but
the store, with no database at all, and its summary and exit status still tell the truth."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from sites import LoopbackSite

from finews_spider.ingest.ledger import ledger, summary_line

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "fixtures"


def replay(path: Path, home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """As a data engineer runs it: no MONGO_URI anywhere, FINEWS_HOME somewhere to watch."""
    env = {k: v for k, v in os.environ.items() if k not in ("MONGO_URI", "FINEWS_STORE")}
    env["FINEWS_HOME"] = str(home)
    argv = [sys.executable, "-m", "scrapy", "crawl", "replay", "-a", f"path={path}"]
    argv += ["-s", "FINEWS_STORE=off", "-s", "LOG_LEVEL=INFO", *args]
    return subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)


def summary(stderr: str) -> str:
    lines = [ln for ln in stderr.splitlines() if "[finews.summary]" in ln and "pages=" in ln]
    assert len(lines) == 1, stderr[-3000:]
    return lines[0]


def goldens() -> tuple[list[str], dict[str, int]]:
    """Article ids and rejects by reason, as the fixtures' expected outcomes say."""
    ids: list[str] = []
    reasons: dict[str, int] = {}
    for path in FIXTURES.rglob("*.expected.json"):
        outcome = json.loads(path.read_text("utf-8"))
        if "article" in outcome:
            ids.append(outcome["article"]["_id"])
        else:
            reason = outcome["rejection"]["reason"]
            reasons[reason] = reasons.get(reason, 0) + 1
    return ids, reasons


def test_replaying_the_fixtures_with_the_store_off_writes_every_article_and_no_database(
    tmp_path: Path,
) -> None:
    home, out = tmp_path / "home", tmp_path / "out.jsonl"
    run = replay(FIXTURES, home, "-O", str(out))
    assert run.returncode == 0, run.stderr[-3000:]
    assert not home.exists()  # no embedded server: nothing under FINEWS_HOME, no db folder
    assert "embedded store" not in run.stderr and "storing to" not in run.stderr
    ids, reasons = goldens()
    written = [json.loads(line)["_id"] for line in out.read_text("utf-8").splitlines()]
    assert sorted(written) == sorted(ids)
    line = summary(run.stderr)
    pages = len(ids) + sum(reasons.values())
    by_reason = ",".join(f"{k}:{v}" for k, v in sorted(reasons.items()))
    assert f"finews replay: finished; requests={pages} pages={pages} " in line
    assert f"articles emitted={len(ids)} rejected={sum(reasons.values())} ({by_reason}) " in line
    assert line.endswith("s") and " dead_lettered=0 balanced=yes store=off duration=" in line


def test_a_bad_page_is_still_a_counted_reject(tmp_path: Path) -> None:
    pages = tmp_path / "pages"
    pages.mkdir()
    good = FIXTURES / "eastmoney_page" / "202403052987654321"
    for suffix in (".html", ".meta.json"):
        shutil.copy(good.with_name(good.name + suffix), pages)
    (pages / "garbage.html").write_bytes(b"<html><body>no article here</body></html>")
    out = tmp_path / "out.jsonl"
    run = replay(pages, tmp_path / "home", "-O", str(out))
    assert run.returncode == 0, run.stderr[-3000:]
    assert len(out.read_text("utf-8").splitlines()) == 1
    line = summary(run.stderr)
    assert "pages=2 articles emitted=1 rejected=1 (unknown_page_kind:1) " in line
    assert re.search(r"rejected file://\S+garbage\.html \[parse/unknown_page_kind\]", run.stderr)


def test_the_store_off_without_a_feed_fails_at_once_naming_the_fix(tmp_path: Path) -> None:
    run = replay(FIXTURES / "eastmoney_page", tmp_path / "home")
    assert run.returncode == 1
    assert "FINEWS_STORE=off and no feed: the articles would go nowhere; add -O" in run.stderr
    assert "pages=0 " in summary(run.stderr) and not (tmp_path / "home").exists()


def test_a_feed_that_cannot_be_written_fails_the_run(tmp_path: Path) -> None:
    (tmp_path / "a-file").write_text("")
    out = tmp_path / "a-file" / "out.jsonl"  # its folder is a file
    run = replay(FIXTURES / "eastmoney_page", tmp_path / "home", "-O", str(out))
    assert run.returncode == 1
    assert "finews replay: FAILED;" in summary(run.stderr) and "store=off" in run.stderr


def test_a_live_spider_with_the_store_off_fetches_and_emits_every_article(
    loopback_site: LoopbackSite, tmp_path: Path
) -> None:
    """Nothing is known to be stored, so SkipStoredArticles skips nothing (and needs no store)."""
    env = {k: v for k, v in os.environ.items() if k not in ("MONGO_URI", "FINEWS_STORE")}
    env["FINEWS_HOME"] = str(tmp_path / "home")
    out = tmp_path / "out.jsonl"
    argv = [sys.executable, "-m", "scrapy", "crawl", "eastmoney", "-a", "codes=公司"]
    argv += ["-a", f"base_url={loopback_site.base_url}"]
    argv += ["-a", f"search_url={loopback_site.search_url()}", "-O", str(out)]
    argv += ["-s", "FINEWS_STORE=off", "-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=0"]
    run = subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-3000:]
    written = {json.loads(line)["_id"] for line in out.read_text("utf-8").splitlines()}
    naming = {  # what the loopback search API answers for 公司
        p.article_id
        for p in loopback_site.posts
        if p.article_id and "公司" in p.title + p.body_html
    }
    assert written == naming and len(written) >= 3 and not (tmp_path / "home").exists()
    n = len(written)
    assert f"pages={n} articles emitted={n} rejected=0 (-) " in summary(run.stderr)


def test_the_ledger_of_a_files_only_run_names_no_store_counts() -> None:
    stats = {
        "finews/store": "off",
        "finews/pages_read": 3,
        "finews/articles": 2,
        "finews/rejected/empty_page": 1,
    }
    book = ledger(stats)
    assert book["balanced"] and book["articles"] == 2 and "articles_new" not in book
    line = summary_line("replay", "finished", book, 1.0)
    assert "articles emitted=2 rejected=1 (empty_page:1)" in line and "store=off" in line
    stored = ledger({**stats, "finews/store": "mongodb://x", "finews/articles/new": 2})
    assert "store=off" not in summary_line("replay", "finished", stored, 1.0)
