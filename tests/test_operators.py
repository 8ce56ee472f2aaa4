"""What an operator sees: one line and a documented exit status per failure, no traceback
at the default log level; the summary line on stderr whatever the log level."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from pymongo import MongoClient

from finews_spider.exits import EXIT_STATUSES, FAILED, OK, UNAVAILABLE, USAGE
from finews_spider.store.embedded import EmbeddedServer

Run = Callable[..., subprocess.CompletedProcess[str]]
ROOT = Path(__file__).resolve().parents[1]
PAGES = ROOT / "fixtures" / "eastmoney_page"


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def one_line(run: subprocess.CompletedProcess[str], status: int, *words: str) -> str:
    """The run ended with `status` and one `finews:` line naming the cause; no traceback."""
    assert run.returncode == status, run.stderr[-3000:]
    assert "Traceback" not in run.stderr, run.stderr[-3000:]
    last = run.stderr.strip().splitlines()[-1]
    assert last.startswith("finews: "), run.stderr[-3000:]
    for word in words:
        assert word in last, last
    return last


def finews_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "finews_spider.cli", *args],
        cwd=ROOT,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_replay_without_a_path(scrapy_run: Run) -> None:
    one_line(scrapy_run("crawl", "replay"), USAGE, "-a path=")


def test_replay_of_a_path_that_does_not_exist(scrapy_run: Run, tmp_path: Path) -> None:
    one_line(
        scrapy_run("crawl", "replay", "-a", f"path={tmp_path / 'nope'}"),
        USAGE,
        "does not exist",
    )


def test_replay_of_an_empty_folder(scrapy_run: Run, tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    one_line(
        scrapy_run("crawl", "replay", "-a", f"path={tmp_path / 'empty'}"),
        USAGE,
        "nothing to replay",
    )


@pytest.mark.parametrize(
    ("spider", "args", "known"),
    [
        ("replay", ["-a", f"path={PAGES}", "-a", "refrsh=1"], "-a refrsh; it takes -a path"),
        ("finews", ["-a", "refrsh=1"], "-a refrsh; it takes -a base_url"),
        ("eastmoney", ["-a", "id=1"], "-a id; it takes -a base_url, -a codes, -a ids"),
    ],
)
def test_unknown_spider_arguments_are_refused_naming_the_known_ones(
    scrapy_run: Run, spider: str, args: list[str], known: str
) -> None:
    one_line(scrapy_run("crawl", spider, *args), USAGE, "unknown spider argument", known)


def test_scrapyd_job_arguments_are_accepted() -> None:
    from finews_spider.exits import check_spider_arguments
    from finews_spider.spiders.replay import ReplaySpider

    check_spider_arguments(ReplaySpider, {"path": "x", "_job": "abc", "user_agent": "x"})


def test_unreachable_store(scrapy_run: Run) -> None:
    run = scrapy_run(
        "crawl",
        "replay",
        "-a",
        f"path={PAGES}",
        env={
            "MONGO_URI": f"mongodb://u:s3cret@127.0.0.1:{closed_port()}/",
            "MONGO_TIMEOUT_SECONDS": "1",
        },
    )
    line = one_line(run, UNAVAILABLE, "store is unreachable", "MONGO_URI")
    assert "s3cret" not in run.stderr and "RuntimeError" not in run.stderr
    assert line.count("\n") == 0


def test_unreachable_store_keeps_its_traceback_at_debug(scrapy_run: Run) -> None:
    run = scrapy_run(
        "crawl",
        "replay",
        "-a",
        f"path={PAGES}",
        "-L",
        "DEBUG",
        env={"MONGO_URI": f"mongodb://127.0.0.1:{closed_port()}/", "MONGO_TIMEOUT_SECONDS": "1"},
    )
    assert run.returncode == UNAVAILABLE
    assert "Traceback" in run.stderr and "StoreUnavailable" in run.stderr


def test_store_held_by_finews_serve(scrapy_run: Run, tmp_path: Path) -> None:
    home = tmp_path / "served"
    server = EmbeddedServer(home)
    server.start()
    try:
        run = scrapy_run(
            "crawl",
            "replay",
            "-a",
            f"path={PAGES}",
            env={"MONGO_URI": "", "FINEWS_HOME": str(home)},
        )
    finally:
        server.stop()
    one_line(run, UNAVAILABLE, "locked", "in use")


def test_no_network(scrapy_run: Run) -> None:
    # Names under .invalid fail in the test resolver, without a DNS query leaving the host.
    run = scrapy_run(
        "crawl",
        "finews",
        "-a",
        "base_url=http://finews.invalid/",
        "-s",
        "TWISTED_DNS_RESOLVER=dns_blackhole.Resolver",
        "-s",
        "RETRY_TIMES=0",
        env={"PYTHONPATH": str(ROOT / "tests")},
    )
    one_line(run, UNAVAILABLE, "did not answer", "CannotResolveHostError", "network")


def test_unreachable_redis_for_seed(mongo_uri: str, mongo_db: str, tmp_path: Path) -> None:
    run = finews_cli(
        "seed",
        "finews",
        "-s",
        f"REDIS_URL=redis://127.0.0.1:{closed_port()}/0",
        env={"MONGO_URI": mongo_uri, "MONGO_DATABASE": mongo_db, "FINEWS_HOME": str(tmp_path)},
    )
    one_line(run, UNAVAILABLE, "Redis is unreachable", "REDIS_URL")


def test_resend_dead_letters_of_a_path_that_does_not_exist(tmp_path: Path) -> None:
    run = finews_cli("resend-dead-letters", str(tmp_path / "nope"))
    assert run.returncode == USAGE
    assert run.stdout == "" and "does not exist" in run.stderr


def test_version_and_usage() -> None:
    from finews_spider.cli import main

    version = finews_cli("--version")
    assert version.returncode == 0 and re.fullmatch(r"finews \d+\.\d+\.\d+\S*\n", version.stdout)
    assert main([]) == USAGE


def summary(stderr: str) -> str:
    """The summary line, from the run id on (a log line has the log's prefix before it)."""
    found = re.findall(r"(?:^|\] \w+: )(\S+ finews replay: .*)$", stderr, re.MULTILINE)
    assert len(found) == 1, stderr[-3000:]
    return found[0]


@pytest.mark.parametrize("quiet", [["-L", "WARNING"], ["--nolog"]])
def test_the_summary_reaches_stderr_whatever_the_log_level_and_names_the_run(
    scrapy_run: Run, mongo_uri: str, mongo_db: str, quiet: list[str]
) -> None:
    run = scrapy_run("crawl", "replay", "-a", f"path={PAGES}", *quiet)
    assert run.returncode == OK, run.stderr[-3000:]
    line = summary(run.stderr)
    run_id = line.split()[0]
    assert re.fullmatch(r"replay-\d{8}T\d{6}\+0000", run_id), line
    assert "finished;" in line and "balanced=yes" in line
    with MongoClient(mongo_uri) as client:
        assert client[mongo_db].runs.count_documents({"run_id": run_id}) == 1


def test_a_failed_run_names_its_reasons(scrapy_run: Run) -> None:
    run = scrapy_run("crawl", "replay", "-a", f"path={PAGES}", "-s", "FINEWS_MIN_ARTICLES=100")
    last = one_line(run, FAILED, "FAILED", "minimum article count")
    line = summary(run.stderr)
    assert "FAILED;" in line and "reasons: monitors failed (articles/minimum article count)" in line
    assert line.split()[0] in last


def test_the_readme_documents_the_exit_statuses() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Operators", 1)[1].split("\n## ", 1)[0]
    documented = {
        int(code): text.strip()
        for code, text in re.findall(r"^\| `(\d+)` \| (.+?) \|$", section, re.MULTILINE)
    }
    assert documented.keys() == EXIT_STATUSES.keys()
    for code, text in EXIT_STATUSES.items():
        assert documented[code] == text, code


def test_the_settings_the_readme_names_exist() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Operators", 1)[1].split("\n## ", 1)[0]
    code = "".join(
        (ROOT / "finews_spider" / name).read_text(encoding="utf-8")
        for name in ("alerts.py", "extensions/metrics.py")
    )
    names = set(re.findall(r"FINEWS_(?:ALERT|METRICS)_[A-Z_]+", section))
    # `FINEWS_ALERT_SMTP_HOST`, `_PORT` (25), `_USER`: the row's suffixes share its prefix
    names |= {f"FINEWS_ALERT_SMTP_{s}" for s in re.findall(r"`_([A-Z]+)`", section)}
    assert len(names) >= 12, names
    for name in names:
        assert name.rstrip("_") in code, name
    for metric in re.findall(r"`(finews_last_[a-z_]+)", section):
        assert f'"{metric}"' in code or metric == "finews_last_success_timestamp_seconds", metric


def test_finews_commands_report_an_unreachable_store_in_one_line() -> None:
    run = finews_cli("ledger", "some-run", "-q", "--uri", f"mongodb://127.0.0.1:{closed_port()}/")
    one_line(run, UNAVAILABLE, "store is unreachable", "MONGO_URI")
    assert run.stdout == ""


def test_each_failure_reason_is_named() -> None:
    from finews_spider.ingest.ledger import failure_reasons

    healthy = {"downloader/request_count": 2, "response_received_count": 2}
    assert failure_reasons(healthy, "finished") == []
    assert failure_reasons(healthy, "shutdown") == ["not finished (closed: shutdown)"]
    assert failure_reasons({**healthy, "finews/dead_lettered": 3}, "finished") == [
        "3 dead letters (finews resend-dead-letters)"
    ]
    assert failure_reasons({**healthy, "finews/monitors_failed": ["a/b", "c/d"]}, "finished") == [
        "monitors failed (a/b, c/d)"
    ]
    assert failure_reasons({**healthy, "finews/store_failed": "lost"}, "finished") == [
        "store failed (lost)"
    ]
    silent = {
        "downloader/request_count": 3,
        "downloader/exception_type_count/twisted.internet.error.ConnectionRefusedError": 3,
    }
    assert failure_reasons(silent, "finished") == [
        "no responses to 3 requests: ConnectionRefusedError 3"
    ]
