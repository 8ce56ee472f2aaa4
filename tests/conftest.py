"""Store fixtures: one MongoDB wire server per session (MONGO_URI, else an embedded
`secantusd-py` on a free loopback port), a fresh database per test, a restartable server."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import settings
from pymongo import MongoClient

from finews_spider.model import PARSER_VERSION
from finews_spider.normalize.identity import content_hash
from finews_spider.schema import article_errors
from finews_spider.store.embedded import EmbeddedServer

# Hypothesis: the same examples on every run, a bounded number, no example database written
# to the tree; FINEWS_HYPOTHESIS=long searches longer and afresh each run, for local hunts.
settings.register_profile("ci", derandomize=True, max_examples=150, deadline=None, database=None)
settings.register_profile("long", max_examples=5000, deadline=None, database=None, print_blob=True)
settings.load_profile(os.environ.get("FINEWS_HYPOTHESIS", "ci"))


@pytest.fixture(scope="session")
def mongo_uri(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if os.environ.get("MONGO_URI"):
        yield os.environ["MONGO_URI"]
        return
    server = EmbeddedServer(tmp_path_factory.mktemp("secantus"))
    server.start()
    try:
        yield server.uri
    finally:
        server.stop()


@pytest.fixture
def mongo_db(mongo_uri: str) -> Iterator[str]:
    """A database name no other test uses; dropped afterwards."""
    name = f"finews_test_{uuid.uuid4().hex[:12]}"
    yield name
    with MongoClient(mongo_uri, serverSelectionTimeoutMS=5000) as client:
        client.drop_database(name)


@pytest.fixture
def restartable_server(tmp_path: Path) -> Iterator[EmbeddedServer]:
    """An embedded server of its own: `stop()` then `start()` keeps the port and data."""
    server = EmbeddedServer(tmp_path / "server-home")
    server.start()
    try:
        yield server
    finally:
        server.stop()


def article(n: int = 0, **changes: Any) -> dict[str, Any]:
    """A schema-valid article numbered `n`; `changes` override fields (the content_hash
    follows title and body_text unless given)."""
    article_id = str(202203030000000000 + n)
    body = f"第{n}篇文章的正文。\n第二段。"
    doc: dict[str, Any] = {
        "_id": article_id,
        "title": f"标题 {n}",
        "published_at": datetime(2022, 3, 3, 8, 39, 57, tzinfo=UTC) + timedelta(minutes=n),
        "published_at_raw": "2022-03-03 16:39:57 +0800",
        "published_tz": "+08:00",
        "tz_assumed": False,
        "outlet": "经济参考网",
        "category": "jingjicankaowang",
        "tags": ["经济"],
        "summary": None,
        "body_text": body,
        "body_html": "".join(f"<p>{line}</p>" for line in body.splitlines()),
        "stocks": [
            {
                "secid": "116.00992",
                "code": "00992",
                "market_id": 116,
                "market": "HK",
                "kind": "stock",
                "name": "联想集团",
                "roles": ["chart"],
            }
        ],
        "stock_codes": ["00992"],
        "info_code": f"NW{article_id}",
        "url": f"https://finance.eastmoney.com/a/{article_id}.html",
        "source_url": None,
        "page_kind": "eastmoney_page",
        "repairs": [],
        "content_hash": "",
        "parser_version": PARSER_VERSION,
    }
    doc.update(changes)
    if "content_hash" not in changes:
        doc["content_hash"] = content_hash(doc["title"], doc["published_at"], doc["body_text"])
    assert article_errors(doc) == [], article_errors(doc)
    return doc


@pytest.fixture
def make_article() -> Callable[..., dict[str, Any]]:
    return article


ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def scrapy_run(
    mongo_uri: str, mongo_db: str, tmp_path: Path
) -> Callable[..., subprocess.CompletedProcess[str]]:
    """Run `scrapy crawl …` as a user would, storing into this test's database."""

    def run(*args: str, env: dict[str, str] | None = None, timeout: float = 300):
        environ = {
            **os.environ,
            "MONGO_URI": mongo_uri,
            "MONGO_DATABASE": mongo_db,
            "FINEWS_HOME": str(tmp_path / "finews-home"),
            **(env or {}),
        }
        return subprocess.run(
            [sys.executable, "-m", "scrapy", *args],
            cwd=ROOT,
            env=environ,
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    return run


from sites import loopback_site  # noqa: E402, F401  (the loopback finews/Eastmoney site)
