"""Replay, `finews batch` and `reparse` against hostile files (issue 15): a replay stays in
its folder (links, swaps after the listing), a file of any size is refused before it is read
and never stored, and one bad sidecar or stored context is that page's reject, not the end
of the run."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zlib
from collections.abc import Callable
from pathlib import Path

import pytest
from pymongo import MongoClient

from finews_spider.batch import process_chunk, saved_job
from finews_spider.model import Rejection
from finews_spider.parsing import MAX_PAGE_BYTES
from finews_spider.saved import Refused, read_saved, read_sidecar, saved_pages

ROOT = Path(__file__).resolve().parents[1]
Run = Callable[..., subprocess.CompletedProcess[str]]
SECRET = "TOP-SECRET-OUTSIDE-THE-FOLDER"

pytestmark = pytest.mark.store


def write_posts(folder: Path, n: int, start: int = 0) -> list[Path]:
    """`n` distinct finews posts (one article each), named by date and id."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for i in range(start, start + n):
        article_id = f"2024030729{i:08d}"
        page = folder / f"2024-03-07-{article_id}.md"
        page.write_text(
            "---\nlayout: post\n"
            f'title: "第{i}篇 人民币兑美元日内涨超200点"\n'
            "date: 2024-03-07 10:02:45\ncategories: emnews\ntags: 东财滚动新闻\n---\n\n"
            f"第{i}篇：离岸人民币兑美元日内涨超200点，现报7.1830。\n\n"
            "市场人士表示，美元指数回落带动非美货币普遍走强。（中国基金报）\n\n"
            f"<http://finance.eastmoney.com/news/11060,{article_id}.html>\n",
            "utf-8",
        )
        written.append(page)
    return written


def meta_path(page: Path) -> Path:
    return page.with_name(page.name.rsplit(".", 1)[0] + ".meta.json")


def everything(uri: str, db: str) -> str:
    """Every stored document of every collection, as text (to look for a leaked secret)."""
    with MongoClient(uri) as client:
        parts = []
        for name in client[db].list_collection_names():
            for doc in client[db][name].find():
                if isinstance(doc.get("body"), bytes):
                    doc["body"] = zlib.decompress(doc["body"])
                parts.append(repr(doc))
        return "\n".join(parts)


def rejects(uri: str, db: str) -> dict[str, tuple[str, str]]:
    with MongoClient(uri) as client:
        return {r["url"]: (r["stage"], r["reason"]) for r in client[db].rejects.find()}


def count(uri: str, db: str, name: str) -> int:
    with MongoClient(uri) as client:
        return client[db][name].count_documents({})


def batch(uri: str, db: str, home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "MONGO_URI": uri, "MONGO_DATABASE": db, "FINEWS_HOME": str(home)}
    return subprocess.run(
        [sys.executable, "-m", "finews_spider.cli", "batch", "--no-progress", "--workers=1", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


# --------------------------------------------------------------------------- the folder


@pytest.fixture
def secret(tmp_path: Path) -> Path:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.md").write_text(f"---\ntitle: {SECRET}\ndate: 2024-03-07\n---\n{SECRET}\n")
    (outside / "secret.meta.json").write_text(json.dumps({"url": f"https://x.test/{SECRET}"}))
    return outside


def test_a_sidecar_linked_out_of_the_folder_is_that_pages_reject(
    tmp_path: Path, secret: Path, scrapy_run: Run, mongo_uri: str, mongo_db: str
) -> None:
    folder = tmp_path / "saved"
    pages = write_posts(folder, 3)
    meta_path(pages[1]).symlink_to(secret / "secret.meta.json")
    with pytest.raises(Refused) as refused:
        read_sidecar(pages[1], folder.resolve())
    assert (refused.value.stage, refused.value.reason) == ("parse", "sidecar_invalid")

    run = scrapy_run("crawl", "replay", "-a", f"path={folder}")
    assert "balanced=yes" in run.stderr, run.stderr[-3000:]
    assert SECRET not in everything(mongo_uri, mongo_db)
    assert count(mongo_uri, mongo_db, "articles") == 2
    assert list(rejects(mongo_uri, mongo_db).values()) == [("parse", "sidecar_invalid")]


def test_a_page_swapped_for_a_link_after_the_listing_is_refused(
    tmp_path: Path, secret: Path
) -> None:
    """The TOCTOU race, made deterministic: list, then swap, then read."""
    folder = tmp_path / "saved"
    pages = write_posts(folder, 2)
    (folder / "inside-link.md").symlink_to(pages[0])  # a link inside the folder still reads
    listed = list(saved_pages(folder))
    assert len(listed) == 3
    jobs = [saved_job(path, folder.resolve()) for path in listed]
    swapped = listed[1]
    assert swapped == pages[1].resolve()
    swapped.unlink()
    swapped.symlink_to(secret / "secret.md")
    (folder / "inside-link.md").unlink()
    os.mkfifo(folder / "inside-link.md")  # a FIFO where a file was: refused, never blocks

    with pytest.raises(Refused) as refused:
        read_saved(swapped, folder.resolve(), MAX_PAGE_BYTES)
    assert refused.value.reason == "outside_folder"
    outcomes = process_chunk(jobs)
    results = [o.result for o in outcomes]
    assert [(r.stage, r.reason) for r in results if isinstance(r, Rejection)] == [
        ("fetch", "outside_folder"),
        ("fetch", "not_a_file"),
    ]
    assert not any(SECRET.encode() in (o.page[1] if o.page else b"") for o in outcomes)


# --------------------------------------------------------------------------- file size


def sparse(path: Path, size: int) -> Path:
    with open(path, "wb") as f:
        f.truncate(size)
    return path


def run_measured(
    args: list[str], env: dict[str, str]
) -> tuple[subprocess.CompletedProcess[str], int]:
    """Run `args`; also return the peak RSS (MB) of its process tree."""
    probe = (
        "import resource, subprocess, sys\n"
        "r = subprocess.run(sys.argv[1:])\n"
        "kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss\n"
        "print(f'PEAK-RSS-MB {kb // 1024}', file=sys.stderr)\n"
        "sys.exit(r.returncode)\n"
    )
    run = subprocess.run(
        [sys.executable, "-c", probe, *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    peak = int(run.stderr.rsplit("PEAK-RSS-MB ", 1)[1].split()[0])
    return run, peak


@pytest.mark.parametrize("how", ["replay", "batch"])
def test_a_sparse_gigabyte_file_is_refused_unread_and_never_stored(
    how: str, tmp_path: Path, mongo_uri: str, mongo_db: str
) -> None:
    folder = tmp_path / "saved"
    write_posts(folder, 2)
    big = sparse(folder / "2024-03-07-huge.md", 1 << 30)
    env = {
        **os.environ,
        "MONGO_URI": mongo_uri,
        "MONGO_DATABASE": mongo_db,
        "FINEWS_HOME": str(tmp_path / "home"),
    }
    if how == "replay":
        args = [sys.executable, "-m", "scrapy", "crawl", "replay", "-a", f"path={folder}"]
    else:
        args = [sys.executable, "-m", "finews_spider.cli", "batch", "--no-progress"]
        args += ["--workers", "1", str(folder)]
    run, peak = run_measured(args, env)
    assert "balanced=yes" in run.stderr, run.stderr[-3000:]
    assert peak < 400, f"peak RSS {peak} MB"
    assert rejects(mongo_uri, mongo_db) == {big.as_uri(): ("parse", "page_too_large")}
    with MongoClient(mongo_uri) as client:
        pages = [p["_id"] for p in client[mongo_db].pages.find({}, {"_id": 1})]
    assert len(pages) == 2 and big.as_uri() not in pages


def test_reparse_does_not_inflate_a_stored_page_past_the_limit(
    scrapy_run: Run, mongo_uri: str, mongo_db: str
) -> None:
    """A page stored before the size check (or by an older finews) is refused while it is
    inflated, not after."""
    with MongoClient(mongo_uri) as client:
        client[mongo_db].pages.insert_one(
            {"_id": "file:///old/huge.md", "body": zlib.compress(b" " * (MAX_PAGE_BYTES + 1))}
        )
    run = scrapy_run("crawl", "reparse")
    assert "balanced=yes" in run.stderr, run.stderr[-3000:]
    assert rejects(mongo_uri, mongo_db) == {"file:///old/huge.md": ("parse", "page_too_large")}


# --------------------------------------------------------------------------- bad sidecars

BAD_SIDECARS = {
    1: "{not json",
    3: json.dumps({"url": {"$gt": ""}}),
    5: json.dumps({"fetched_at": ["2024-03-07"]}),
    7: json.dumps({"content_type": 7}),
    9: json.dumps({"fetched_at": "yesterday-ish"}),
}


def hostile_sidecars(folder: Path) -> list[Path]:
    pages = write_posts(folder, 11)
    for index, text in BAD_SIDECARS.items():
        meta_path(pages[index]).write_text(text)
    meta_path(pages[10]).write_text(json.dumps({"url": "https://x.test/ten"}))
    return pages


def check_bad_sidecar_run(run: subprocess.CompletedProcess[str], uri: str, db: str) -> None:
    assert "balanced=yes" in run.stderr, run.stderr[-3000:]
    assert count(uri, db, "articles") == 11 - len(BAD_SIDECARS)
    reasons = list(rejects(uri, db).values())
    assert reasons == [("parse", "sidecar_invalid")] * len(BAD_SIDECARS)


def test_one_bad_sidecar_is_that_pages_reject_in_replay(
    tmp_path: Path, scrapy_run: Run, mongo_uri: str, mongo_db: str
) -> None:
    hostile_sidecars(tmp_path / "saved")
    run = scrapy_run("crawl", "replay", "-a", f"path={tmp_path / 'saved'}")
    check_bad_sidecar_run(run, mongo_uri, mongo_db)
    assert run.returncode == 0, run.stderr[-3000:]


def test_one_bad_sidecar_is_that_pages_reject_in_batch(
    tmp_path: Path, mongo_uri: str, mongo_db: str
) -> None:
    hostile_sidecars(tmp_path / "saved")
    run = batch(mongo_uri, mongo_db, tmp_path / "home", str(tmp_path / "saved"))
    check_bad_sidecar_run(run, mongo_uri, mongo_db)
    assert run.returncode == 0, run.stderr[-3000:]


@pytest.mark.parametrize("how", ["reparse", "batch"])
def test_a_stored_page_with_a_bad_context_is_a_reject_and_the_reparse_goes_on(
    how: str, tmp_path: Path, scrapy_run: Run, mongo_uri: str, mongo_db: str
) -> None:
    pages = write_posts(tmp_path / "saved", 4)
    run = scrapy_run("crawl", "replay", "-a", f"path={tmp_path / 'saved'}")
    assert "balanced=yes" in run.stderr, run.stderr[-3000:]
    bad = {
        pages[0].as_uri(): '{"url": {"a": 1}}',
        pages[1].as_uri(): "{broken",
        pages[2].as_uri(): '{"fetched_at": 5}',
    }
    with MongoClient(mongo_uri) as client:
        for url, context in bad.items():
            client[mongo_db].pages.update_one({"_id": url}, {"$set": {"context": context}})
        client[mongo_db].articles.delete_many({})
    if how == "reparse":
        run = scrapy_run("crawl", "reparse")
    else:
        run = batch(mongo_uri, mongo_db, tmp_path / "home", "--from-store")
    assert "balanced=yes" in run.stderr, run.stderr[-3000:]
    assert count(mongo_uri, mongo_db, "articles") == 1
    assert rejects(mongo_uri, mongo_db) == {url: ("parse", "context_invalid") for url in bad}


@pytest.mark.parametrize("name", ["p.md", "p.html", "p.json", "p", "p.bin", "p.xml"])
@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"---\ntitle: x\n---\nplain text",
        b"<HTML><body>x</body></HTML>",
        b"<!DOCTYPE html><p>x",
        b'<?xml version="1.0"?><a/>',
        b"text\x01with a control byte",
        b"\0\t\r\n only allowed controls",
        b"x" * 5000 + b"\x02 past the first 5,000 bytes",
        "中文 <html>".encode("gbk"),
    ],
)
def test_the_replay_handler_picks_scrapys_response_class(name: str, body: bytes) -> None:
    from scrapy.responsetypes import responsetypes

    from finews_spider.spiders.replay import response_class

    assert response_class(name, body) is responsetypes.from_args(filename=name, body=body)
