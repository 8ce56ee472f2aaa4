"""Settings are declared once (finews_spider/settings.py) and the environment is read at
that one edge: `-s NAME=…` > environment variable > declared default."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from scrapy.settings import Settings

from finews_spider import alerts
from finews_spider.settings import SettingInvalid, declared, resolve, table
from finews_spider.store.config import resolve_config, write_tuning

ROOT = Path(__file__).resolve().parents[1]
NAME = re.compile(r"\b(?:FINEWS|MONGO)_[A-Z0-9_]*[A-Z0-9]\b|\bREDIS_URL\b")
#: environment variables that are not settings (the test suite's own switches)
NOT_SETTINGS = {"FINEWS_TEST_LOWEST", "FINEWS_HYPOTHESIS"}  # the test suite's own switches


def crawl_settings(**cmdline: str) -> Settings:
    """Settings as `scrapy crawl -s NAME=VALUE` builds them: the project module, then -s."""
    settings = Settings()
    settings.setmodule("finews_spider.settings", priority="project")
    for name, value in cmdline.items():
        settings.set(name, value, priority="cmdline")
    return settings


def _coordinator_idle(settings: Settings) -> float:
    pytest.importorskip("scrapy_redis")
    from finews_spider.distributed.coordinator import Coordinator

    settings.set("REDIS_URL", "redis://127.0.0.1:1/0", priority="cmdline")  # never dialled
    return Coordinator.from_settings(settings, "finews", "worker").options.idle_close_s


#: (setting, how its component reads it, environment value, command-line value, expected
#: default / environment / command-line readings)
CASES: list[tuple[str, Callable[[Settings], Any], str, str, tuple[Any, Any, Any]]] = [
    ("MONGO_BATCH_SIZE", lambda s: write_tuning(s.get).batch_size, "7", "9", (200, 7, 9)),
    ("FINEWS_IDLE_CLOSE_SECONDS", _coordinator_idle, "3", "4", (10.0, 3.0, 4.0)),
    (
        "FINEWS_ALERT_TIMEOUT",
        lambda s: alerts.setting(s, "FINEWS_ALERT_TIMEOUT"),
        "3",
        "4",
        ("10", "3", "4"),
    ),
]


@pytest.mark.parametrize(("name", "read", "env", "cmdline", "expected"), CASES)
def test_command_line_beats_environment_beats_default(
    monkeypatch: pytest.MonkeyPatch,
    name: str,
    read: Callable[[Settings], Any],
    env: str,
    cmdline: str,
    expected: tuple[Any, Any, Any],
) -> None:
    default, from_env, from_cmdline = expected
    monkeypatch.delenv(name, raising=False)
    assert read(crawl_settings()) == default
    monkeypatch.setenv(name, env)
    assert read(crawl_settings()) == from_env
    assert read(crawl_settings(**{name: cmdline})) == from_cmdline
    monkeypatch.setenv(name, "")  # an empty variable is unset, as before
    assert read(crawl_settings()) == default


def test_without_a_crawler_the_same_table_is_read(monkeypatch: pytest.MonkeyPatch) -> None:
    """`finews batch`, `finews ledger` and analysis: environment, else the default."""
    for name in ("MONGO_URI", "MONGO_DATABASE", "MONGO_BATCH_SIZE"):
        monkeypatch.delenv(name, raising=False)
    assert resolve("MONGO_DATABASE") == declared()["MONGO_DATABASE"].default == "finews"
    assert resolve_config().uri is None
    assert write_tuning().batch_size == 200
    monkeypatch.setenv("MONGO_DATABASE", "elsewhere")
    monkeypatch.setenv("MONGO_BATCH_SIZE", "5")
    assert resolve_config().database == "elsewhere"
    assert write_tuning().batch_size == 5
    assert write_tuning(env={}).batch_size == 200
    assert resolve_config(database="given").database == "given"


def test_every_setting_the_code_reads_is_declared() -> None:
    used: dict[str, str] = {}
    for path in [*(ROOT / "finews_spider").rglob("*.py"), *(ROOT / "pipelines").rglob("*.py")]:
        for name in NAME.findall(path.read_text(encoding="utf-8")):
            used.setdefault(name, str(path.relative_to(ROOT)))
    missing = {n: where for n, where in used.items() if n not in declared()}
    assert not missing, f"declare these in finews_spider/settings.py: {missing}"


def test_the_readme_names_only_declared_settings_and_shows_the_table() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    named = set(NAME.findall(readme)) - NOT_SETTINGS
    assert named - set(declared()) == set()
    assert table() in readme, "paste finews_spider.settings.table() into the README"


def test_every_declared_setting_reaches_scrapy_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in declared():
        monkeypatch.delenv(name, raising=False)
    settings = crawl_settings()
    for name, d in declared().items():
        assert settings.get(name) == d.default, name
    assert settings["USER_AGENT"].endswith(f"(+{declared()['FINEWS_CONTACT_URL'].default})")


def test_a_setting_that_is_not_a_number_is_one_line_naming_it_and_the_fix(tmp_path: Path) -> None:
    with pytest.raises(SettingInvalid, match=r"MONGO_BATCH_SIZE='abc' is not a number"):
        write_tuning(env={"MONGO_BATCH_SIZE": "abc"})
    env = {**os.environ, "MONGO_BATCH_SIZE": "abc", "FINEWS_HOME": str(tmp_path)}
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "finews_spider.cli",
            "batch",
            str(ROOT / "fixtures" / "finews_page"),
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 2, run.stderr
    assert run.stderr.strip().splitlines() == [
        "finews: MONGO_BATCH_SIZE='abc' is not a number; fix the setting "
        "(-s MONGO_BATCH_SIZE=…) or the environment variable (default 200)"
    ]
