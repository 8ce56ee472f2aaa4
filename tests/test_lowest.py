"""The lowest versions the metadata allows install and run (opt-in: FINEWS_TEST_LOWEST=1;
it builds a fresh venv and downloads every dependency at its floor, minutes of work)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.lowest
@pytest.mark.skipif(
    os.environ.get("FINEWS_TEST_LOWEST") != "1", reason="set FINEWS_TEST_LOWEST=1 (slow, online)"
)
def test_lowest_direct_versions_install_and_replay(tmp_path: Path) -> None:
    run = subprocess.run(
        [str(ROOT / ".ci" / "lowest"), str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=1800,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    assert "finished;" in run.stderr and "balanced=yes" in run.stderr
