"""`finews report`: the numbers in the HTML match the store, and the page renders in a real
headless browser (Debian's chromium) with every plot drawn and no console message; a
screenshot is kept in tests/artifacts/report.png (ignored by git)."""

from __future__ import annotations

import re
import shutil
import subprocess
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from analysis_store import finews, replayed_fixtures
from lxml import html
from pymongo import MongoClient

from finews_spider.analysis import BEIJING
from finews_spider.analysis.report import OTHER, TOP_OUTLETS, UNKNOWN

pytestmark = pytest.mark.store
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
PLOTS = {
    "per_day",
    "mentions",
    "timeline",
    "rejects",
    "run_duration",
    "run_new",
    "run_failures",
}


@pytest.fixture(scope="module")
def report(mongo_uri: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict]:
    """The fixtures replayed twice (two runs), the report written, and the raw store."""
    home = tmp_path_factory.mktemp("home")
    out = tmp_path_factory.mktemp("report") / "report.html"
    with replayed_fixtures(mongo_uri, home) as database:
        again = finews(
            mongo_uri, database, home, "batch", "fixtures/eastmoney_page", "--no-progress"
        )
        assert again.returncode == 0, again.stderr[-2000:]
        run = finews(mongo_uri, database, home, "report", "-o", str(out))
        assert run.returncode == 0, run.stderr[-2000:]
        with MongoClient(mongo_uri, tz_aware=True) as client:
            db = client[database]
            yield {
                "path": out,
                "stderr": run.stderr,
                "articles": list(db.articles.find()),
                "runs": list(db.runs.find().sort([("finished_at", 1), ("_id", 1)])),
            }


def bars(page: html.HtmlElement, plot: str) -> dict[tuple[str, str], float]:
    return {
        (r.get("data-series"), r.get("data-key")): float(r.get("data-value"))
        for r in page.cssselect(f'svg[data-plot="{plot}"] rect')
    }


def nonzero(values: dict) -> dict:
    return {k: v for k, v in values.items() if v}


def test_report_numbers_match_the_store(report: dict) -> None:
    page = html.fromstring(report["path"].read_text("utf-8"))
    articles, runs = report["articles"], report["runs"]
    assert {s.get("data-plot") for s in page.cssselect("svg.plot")} == PLOTS
    assert page.cssselect('[data-total="articles"]')[0].text == str(len(articles))
    assert page.cssselect('[data-total="runs"]')[0].text == str(len(runs)) == "2"

    def day(a: dict) -> str:
        return a["published_at"].astimezone(BEIJING).strftime("%Y-%m-%d")

    outlets = Counter(a["outlet"] or UNKNOWN for a in articles)
    shown = sorted(outlets, key=lambda k: (-outlets[k], k))[:TOP_OUTLETS]  # the rest: OTHER
    per_day = Counter(
        (o if (o := a["outlet"] or UNKNOWN) in shown else OTHER, day(a)) for a in articles
    )
    assert nonzero(bars(page, "per_day")) == {k: float(v) for k, v in per_day.items()}

    by_role = Counter((r, s["secid"]) for a in articles for s in a["stocks"] for r in s["roles"])
    counted = Counter(
        s["secid"] for a in articles for s in {x["secid"]: x for x in a["stocks"]}.values()
    )
    top15 = sorted(counted, key=lambda secid: (-counted[secid], secid))[:15]
    shown = bars(page, "mentions")
    # each bar is labelled "<name> <secid>"
    assert {key.rsplit(" ", 1)[1] for _, key in shown} == set(top15)
    for (series, key), value in shown.items():
        assert value == by_role[series, key.rsplit(" ", 1)[1]]

    mentioned = Counter(s["secid"] for a in articles for s in a["stocks"])
    top = min(mentioned, key=lambda s: (-mentioned[s], s))  # the report's default security
    timeline = Counter(day(a) for a in articles if any(s["secid"] == top for s in a["stocks"]))
    assert {k: v for (_, k), v in nonzero(bars(page, "timeline")).items()} == timeline

    labels = list(
        dict.fromkeys(r.get("data-key") for r in page.cssselect('[data-plot="rejects"] rect'))
    )
    assert len(labels) == len(runs)
    rejects = {
        (reason, labels[i]): float(n)
        for i, r in enumerate(runs)
        for reason, n in r["rejected_by_reason"].items()
        if n
    }
    assert rejects, "the fixtures have rejects"
    assert nonzero(bars(page, "rejects")) == rejects
    new = [r["articles_new"] for r in runs]
    assert [v for (s, _), v in bars(page, "run_new").items() if s == "new"] == new
    assert nonzero(bars(page, "run_failures")) == {}  # two healthy runs


def test_report_renders_in_a_real_browser(report: dict, tmp_path: Path) -> None:
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        pytest.skip("chromium is not installed (Debian: apt-get install chromium; .ci/run does)")
    url = report["path"].resolve().as_uri()
    flags = [browser, "--headless", "--disable-gpu", "--no-sandbox", "--window-size=1200,2400"]
    dom = subprocess.run(
        [*flags, "--enable-logging=stderr", "--v=0", "--dump-dom", url],
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert dom.returncode == 0, dom.stderr[-2000:]
    console = [line for line in dom.stderr.splitlines() if ":CONSOLE" in line or "Uncaught" in line]
    assert console == []
    assert f'data-plots-rendered="{len(PLOTS)}/{len(PLOTS)}"' in dom.stdout
    rendered = dict(re.findall(r'data-plot="(\w+)"[^>]*?data-rendered="(\w+)"', dom.stdout))
    assert rendered == dict.fromkeys(PLOTS, "yes")
    shot = tmp_path / "report.png"
    taken = subprocess.run(
        [*flags, f"--screenshot={shot}", url], capture_output=True, text=True, timeout=180
    )
    assert taken.returncode == 0 and shot.stat().st_size > 10_000, taken.stderr[-2000:]
    ARTIFACTS.mkdir(exist_ok=True)
    shutil.copy(shot, ARTIFACTS / "report.png")
