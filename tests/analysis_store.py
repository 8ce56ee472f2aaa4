"""A database the analysis tests share per module: the project's fixtures replayed once, as
a newcomer's first `finews batch fixtures/…` would store them."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from pymongo import MongoClient

from finews_spider.schema import page_kinds

ROOT = Path(__file__).resolve().parents[1]
KINDS = page_kinds()


def finews(uri: str, database: str, home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run the `finews` command as a user would, against this database."""
    env = {**os.environ, "MONGO_URI": uri, "MONGO_DATABASE": database, "FINEWS_HOME": str(home)}
    return subprocess.run(
        [sys.executable, "-m", "finews_spider.cli", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


@contextmanager
def replayed_fixtures(uri: str, home: Path) -> Iterator[str]:
    """A fresh database holding the replayed fixtures (every kind but hostile); dropped after."""
    database = f"finews_test_{uuid.uuid4().hex[:12]}"
    paths = [str(ROOT / "fixtures" / kind) for kind in KINDS]
    run = finews(uri, database, home, "batch", *paths, "--workers", "1", "--no-progress")
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:]
    try:
        yield database
    finally:
        with MongoClient(uri, serverSelectionTimeoutMS=5000) as client:
            client.drop_database(database)
