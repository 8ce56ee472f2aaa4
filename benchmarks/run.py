"""finews benchmarks: every measurement side by side with its baseline, in one run.

    python benchmarks/run.py --quick        # smoke run, under a minute on 2 cores
    python benchmarks/run.py                # the standard run, a few minutes on 2 cores
    python benchmarks/run.py --full         # every size the issue names (~30 min here)

Sizes (pages):      core    engine, store    memory
  --quick            800    800, 300         (RSS of the engine runs)
  standard        20,000    4,000, 3,000     12,000
  --full          20,000    20,000, 3,000    100,000
The engine runs (bare Scrapy, replay, batch) are the slow part: replay stores about
180 pages/s here, so 100,000 pages through replay alone take about 9 minutes. The standard
run shows whether memory stays flat from the peak RSS at 4,000 and at 12,000 pages.

Needs the `bench` extra (trafilatura, psutil, pyinstrument, tqdm) and the embedded store
(`embedded` extra) or MONGO_URI. A temporary folder holds a deterministic corpus
(`benchmarks/corpus.py`: pages templated on the fixtures, seeded) and, without MONGO_URI,
an embedded `secantusd-py` server in its own process. Each result is a ratio to its
baseline on the same pages, measured in the same run (the machine is shared and noisy:
absolute numbers move, ratios much less):

core      `process_page` on one core vs a parsel-only extractor (title, date text, body
          paragraphs: the practical ceiling), all page kinds; and core vs parsel-only vs
          `trafilatura.extract` on a sample of HTML pages, with body quality (token F1
          against the templated paragraphs, see benchmarks/extract.py). Extractors take
          turns chunk by chunk, so load changes hit all of them alike.
engine    `scrapy crawl replay` (storing, as users run it) vs a bare Scrapy spider over the
          same files yielding only the URL (the engine's ceiling), and replay with only the
          normalisation pipelines (no store): engine overhead and store overhead apart.
store     ArticleWriter bulk writes vs one `update_one(upsert=True)` per article, same
          server, same documents, first load and re-load (benchmarks/bench_store.py).
batch     `finews batch` vs `scrapy crawl replay`, same pages, fresh databases.
memory    peak RSS (the process and all its children, sampled every 0.2 s) of replay and
          of batch over the whole corpus (--memory-pages), next to the same at
          --engine-pages: the growth between the two sizes is the figure to watch.

Output: a table, and JSON in benchmarks/out/results.json (with core count and versions).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import platform
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import defaultdict
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

import bench_store  # noqa: E402
import corpus  # noqa: E402
import extract  # noqa: E402

VERSIONS = (
    "scrapy",
    "parsel",
    "lxml",
    "nh3",
    "jsonschema",
    "pyyaml",
    "pymongo",
    "secantusdb",
    "twisted",
    "trafilatura",
    "psutil",
    "tqdm",
    "pyinstrument",
)
TARGETS = {
    "core_vs_parsel": 0.5,
    "core_vs_trafilatura": 9.0,
    "replay_vs_bare": 0.50,
    "bulk_vs_one_by_one": 4.0,
    "peak_rss_mb": 250.0,
    "batch_vs_replay": 2.5,
    "replay_client_cpu_ms": 3.0,
}


def cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


def log(message: str) -> None:
    print(f"[{datetime.now():%H:%M:%S}] {message}", file=sys.stderr, flush=True)


# --------------------------------------------------------------------------- corpus


def build_corpus(root: Path, seed: int, pages: int, total: int) -> dict[str, Any]:
    """Pages [0, pages) in root/a, [pages, total) in root/b, written in parallel.

    (The core reads its pages from memory; only the engine and memory runs read files.)"""
    started = time.perf_counter()
    spans = [(start, min(start + 1000, total)) for start in range(0, total, 1000)]
    with ProcessPoolExecutor(cores()) as pool:
        written = sum(
            pool.map(
                corpus.write_pages,
                [root] * len(spans),
                [seed] * len(spans),
                [a for a, _ in spans],
                [b for _, b in spans],
                [pages] * len(spans),
            )
        )
    return {
        "pages": total,
        "bytes": written,
        "seconds": round(time.perf_counter() - started, 1),
    }


def page_location(root: Path, page: corpus.Page, part_size: int) -> Path:
    return corpus.page_dir(root, page.index, part_size) / f"{page.index:07d}-{page.name}"


# --------------------------------------------------------------------------- core


@dataclass
class Tally:
    seconds: float = 0.0
    pages: int = 0
    articles: int = 0
    f1: list[float] = field(default_factory=list)
    precision: list[float] = field(default_factory=list)
    recall: list[float] = field(default_factory=list)
    exact: int = 0

    def add(self, seconds: float, outputs: list[str | None], pages: list[corpus.Page]) -> None:
        self.seconds += seconds
        self.pages += len(pages)
        for page, text in zip(pages, outputs, strict=True):
            if page.expect != "article":
                continue
            self.articles += 1
            p, r, f = extract.prf(page.reference, text)
            self.precision.append(p)
            self.recall.append(r)
            self.f1.append(f)
            self.exact += text == page.reference

    def report(self) -> dict[str, Any]:
        def mean(values: list[float]) -> float:
            return round(sum(values) / len(values), 4) if values else 0.0

        return {
            "pages": self.pages,
            "seconds": round(self.seconds, 3),
            "pages_per_s": round(self.pages / self.seconds, 1) if self.seconds else 0.0,
            "articles_scored": self.articles,
            "body_precision": mean(self.precision),
            "body_recall": mean(self.recall),
            "body_f1": mean(self.f1),
            "body_exact": round(self.exact / self.articles, 4) if self.articles else 0.0,
        }


def measure_core(root: Path, seed: int, pages: int, part_size: int, sample: int) -> dict[str, Any]:
    """Extractors take turns on each chunk of pages held in memory (no I/O timed)."""
    import trafilatura  # noqa: F401  (imported before timing)

    all_kinds = {"core": Tally(), "parsel_only": Tally()}
    html = {"core": Tally(), "parsel_only": Tally(), "trafilatura": Tally()}
    html_seen = 0
    chunk = 250
    for turn, start in enumerate(range(0, pages, chunk)):
        batch = list(corpus.iter_pages(seed, start, min(start + chunk, pages)))
        urls = [page_location(root, p, part_size).as_uri() for p in batch]
        runs: dict[str, Callable[[], list[str | None]]] = {
            "core": lambda b=batch, u=urls: [
                extract.core(url, p.body, p.meta) for p, url in zip(b, u, strict=True)
            ],
            "parsel_only": lambda b=batch: [extract.parsel_only(p.kind, p.body) for p in b],
        }
        order = list(runs) if turn % 2 == 0 else list(reversed(runs))
        for name in order:
            began = time.perf_counter()
            out = runs[name]()
            all_kinds[name].add(time.perf_counter() - began, out, batch)
        # the HTML sample: pages trafilatura can read, articles only
        sample_pages = [
            (p, u)
            for p, u in zip(batch, urls, strict=True)
            if p.kind in ("eastmoney_page", "finews_page") and p.expect == "article"
        ][: max(sample - html_seen, 0)]
        if not sample_pages:
            continue
        html_seen += len(sample_pages)
        sp = [p for p, _ in sample_pages]
        html_runs: dict[str, Callable[[], list[str | None]]] = {
            "core": lambda s=sample_pages: [extract.core(u, p.body, p.meta) for p, u in s],
            "parsel_only": lambda s=sp: [extract.parsel_only(p.kind, p.body) for p in s],
            "trafilatura": lambda s=sp: [extract.trafilatura_text(p.body) for p in s],
        }
        names = list(html_runs)
        for name in names[turn % 3 :] + names[: turn % 3]:
            began = time.perf_counter()
            out = html_runs[name]()
            html[name].add(time.perf_counter() - began, out, sp)
        log(f"core: {min(start + chunk, pages):,}/{pages:,} pages")
    result = {
        "all_kinds": {k: v.report() for k, v in all_kinds.items()},
        "html_sample": {k: v.report() for k, v in html.items()},
    }
    a, h = result["all_kinds"], result["html_sample"]
    result["core_vs_parsel"] = _ratio(a["core"]["pages_per_s"], a["parsel_only"]["pages_per_s"])
    result["core_vs_parsel_html"] = _ratio(
        h["core"]["pages_per_s"], h["parsel_only"]["pages_per_s"]
    )
    result["core_vs_trafilatura"] = _ratio(
        h["core"]["pages_per_s"], h["trafilatura"]["pages_per_s"]
    )
    return result


def _ratio(value: float, baseline: float) -> float:
    return round(value / baseline, 3) if baseline else 0.0


# --------------------------------------------------------------------------- processes


class PeakRss:
    """Peak resident memory of a process tree: the sum over the process and its children,
    sampled every `interval` seconds (and the largest single process). The sum of RSS counts
    a page shared by several processes (libraries, the interpreter) once per process, so
    the tree's proportional set size (PSS: a shared page split among its sharers, what the
    tree costs the machine) is sampled too, every `pss_every` samples (reading smaps is
    slower)."""

    def __init__(self, pid: int, interval: float = 0.2, pss_every: int = 5) -> None:
        import psutil

        self.process = psutil.Process(pid)
        self.interval = interval
        self.pss_every = pss_every
        self.peak_total = 0
        self.peak_single = 0
        self.peak_pss = 0
        self.samples = 0
        #: user + system seconds of the process itself (not its children), last sampled
        self.main_cpu = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> PeakRss:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        import psutil

        while not self._stop.is_set():
            try:
                procs = [self.process, *self.process.children(recursive=True)]
            except psutil.Error:
                return
            with contextlib.suppress(psutil.Error):
                times = self.process.cpu_times()
                self.main_cpu = times.user + times.system
            sizes = []
            for proc in procs:
                with contextlib.suppress(psutil.Error):
                    sizes.append(proc.memory_info().rss)
            if sizes:
                self.peak_total = max(self.peak_total, sum(sizes))
                self.peak_single = max(self.peak_single, max(sizes))
                self.samples += 1
            if self.samples % self.pss_every == 1:
                shares = []
                for proc in procs:
                    with contextlib.suppress(psutil.Error, AttributeError):
                        shares.append(proc.memory_full_info().pss)
                self.peak_pss = max(self.peak_pss, sum(shares))
            self._stop.wait(self.interval)


_SUMMARY = re.compile(r"finews (\w+): (\w+); requests=\d+ pages=(\d+) (.*?) balanced=(\w+)")
_ELAPSED = re.compile(r"'elapsed_time_seconds': ([0-9.]+)")
_DURATION = re.compile(r"duration=([0-9.]+)s")


#: the embedded store's process, when this run started one (its CPU time is reported)
SERVER_PID: int | None = None


def _server_cpu() -> float | None:
    if SERVER_PID is None:
        return None
    import psutil

    try:
        times = psutil.Process(SERVER_PID).cpu_times()
    except psutil.Error:
        return None
    return times.user + times.system


def run_process(label: str, args: list[str], env: dict[str, str], pages: int) -> dict[str, Any]:
    log(f"{label}: {' '.join(args[2:])[:160]}")
    # CPU of the measured process and everything it waited for (workers), and the server's
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    server_before = _server_cpu()
    started = time.perf_counter()
    with tempfile.TemporaryFile("w+") as err:
        proc = subprocess.Popen(
            args, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=err, text=True
        )
        with PeakRss(proc.pid) as rss:
            code = proc.wait()
        wall = time.perf_counter() - started
        err.seek(0)
        stderr = err.read()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - usage.ru_utime) + (after.ru_stime - usage.ru_stime)
    server_after = _server_cpu()
    server_cpu = (
        server_after - server_before
        if server_after is not None and server_before is not None
        else None
    )
    summary = _SUMMARY.findall(stderr)
    # Inside the run: Scrapy's elapsed_time_seconds (engine start to close), or the batch's
    # own duration (store open to close); the wall clock adds interpreter start-up.
    elapsed = _ELAPSED.findall(stderr) or _DURATION.findall(stderr)
    inner = float(elapsed[-1]) if elapsed else wall
    result = {
        "args": args,
        "exit_code": code,
        "pages": pages,
        "wall_s": round(wall, 2),
        "inner_s": round(inner, 2),
        "pages_per_s_wall": round(pages / wall, 1),
        "pages_per_s_inner": round(pages / inner, 1),
        "peak_rss_mb": round(rss.peak_total / 2**20, 1),
        "peak_rss_largest_process_mb": round(rss.peak_single / 2**20, 1),
        "peak_pss_mb": round(rss.peak_pss / 2**20, 1),
        "rss_samples": rss.samples,
        "cpu_s": round(cpu, 2),
        "server_cpu_s": None if server_cpu is None else round(server_cpu, 2),
        "cpu_ms_per_page": round(cpu / pages * 1000, 2),
        # the main process alone (for batch: the parent, without its workers), sampled
        # every 0.2 s, so up to one interval of its last CPU is missing
        "main_cpu_ms_per_page": round(rss.main_cpu / pages * 1000, 2),
        "server_cpu_ms_per_page": None
        if server_cpu is None
        else round(server_cpu / pages * 1000, 2),
        "summary": " ".join(summary[-1][:3]) + f" balanced={summary[-1][4]}" if summary else None,
    }
    if code != 0:
        result["stderr_tail"] = stderr[-2000:]
        log(f"{label}: exit {code}\n{stderr[-2000:]}")
    log(
        f"{label}: {result['pages_per_s_wall']:,.0f} pages/s wall, "
        f"{result['pages_per_s_inner']:,.0f} inner, peak RSS {result['peak_rss_mb']} MB "
        f"(PSS {result['peak_pss_mb']}), "
        f"CPU {result['cpu_ms_per_page']} ms/page + server {result['server_cpu_ms_per_page']}"
    )
    return result


def store_counts(uri: str, db: str) -> dict[str, int]:
    from pymongo import MongoClient

    with MongoClient(uri) as client:
        return {
            name: client[db][name].estimated_document_count()
            for name in ("articles", "rejects", "pages", "article_versions")
        }


def drop(uri: str, db: str) -> None:
    from pymongo import MongoClient

    with MongoClient(uri) as client:
        client.drop_database(db)


def measure_processes(
    uri: str, home: Path, folder: Path, pages: int, workers: int | None, engine: bool
) -> dict[str, Any]:
    """bare engine, replay without store, replay, batch; over `folder`."""
    from finews_spider.settings import ITEM_PIPELINES

    base_env = {
        **os.environ,
        "MONGO_URI": uri,
        "FINEWS_HOME": str(home),
        "FINEWS_LOG_LEVEL": "INFO",
        "PYTHONPATH": str(ROOT),
    }
    py = sys.executable
    out: dict[str, Any] = {}
    if engine:
        out["bare_engine"] = run_process(
            "bare engine",
            [
                py,
                "-m",
                "scrapy",
                "runspider",
                str(HERE / "bare_spider.py"),
                "-a",
                f"path={folder}",
                "-s",
                "ITEM_PIPELINES={}",
            ],
            {**base_env, "MONGO_DATABASE": "unused"},
            pages,
        )
        no_store = {k: v for k, v in ITEM_PIPELINES.items() if not k.endswith("MongoPipeline")}
        out["replay_no_store"] = run_process(
            "replay, no store",
            [
                py,
                "-m",
                "scrapy",
                "crawl",
                "replay",
                "-a",
                f"path={folder}",
                "-s",
                f"ITEM_PIPELINES={json.dumps(no_store)}",
            ],
            {**base_env, "MONGO_DATABASE": "unused"},
            pages,
        )

    def batch_args(where: Path) -> list[str]:
        return [py, "-m", "finews_spider.cli", "batch", str(where), "--no-progress"]

    def replay_args(where: Path) -> list[str]:
        return [py, "-m", "scrapy", "crawl", "replay", "-a", f"path={where}"]

    n_workers = ["--workers", str(workers)] if workers else []
    runs = [("replay", replay_args(folder)), ("batch", batch_args(folder) + n_workers)]
    scale = workers or cores()
    if engine and scale > 1:
        # The speed-up with the worker count, apart from batch's default (one per core
        # less one, for the writer and a local store).
        runs.append(("batch_1_worker", [*batch_args(folder), "--workers", "1"]))
        runs.append(("batch_n_workers", [*batch_args(folder), "--workers", str(scale)]))
    for name, args in runs:
        db = f"bench_{name}_{uuid.uuid4().hex[:8]}"
        result = run_process(name, args, {**base_env, "MONGO_DATABASE": db}, pages)
        result["stored"] = store_counts(uri, db)
        drop(uri, db)
        out[name] = result
    if engine:
        # The same commands over an empty folder: their CPU is start-up and shut-down, which
        # the per-page cost of a scheduled run of thousands of pages hardly sees.
        empty = home / "empty-folder"
        empty.mkdir(parents=True, exist_ok=True)
        starts = {
            "replay": replay_args(empty),
            "replay_no_store": [
                *replay_args(empty),
                "-s",
                f"ITEM_PIPELINES={json.dumps(no_store)}",
            ],
            "bare_engine": out["bare_engine"]["args"],
            "batch": batch_args(empty) + n_workers,
        }
        startup: dict[str, float] = {}
        for name, args in starts.items():
            if name == "bare_engine":
                args = [*args[:-3], f"path={empty}", *args[-2:]]
            db = f"bench_start_{uuid.uuid4().hex[:8]}"
            run = run_process(f"{name}, empty folder", args, {**base_env, "MONGO_DATABASE": db}, 1)
            drop(uri, db)
            startup[name] = run["cpu_s"]
            out[name]["startup_cpu_s"] = run["cpu_s"]
            out[name]["marginal_cpu_ms_per_page"] = round(
                max(out[name]["cpu_s"] - run["cpu_s"], 0.0) / pages * 1000, 2
            )
        out["startup_cpu_s"] = startup
    if engine:
        out["replay_vs_bare"] = _ratio(
            out["replay"]["pages_per_s_inner"], out["bare_engine"]["pages_per_s_inner"]
        )
        out["replay_no_store_vs_bare"] = _ratio(
            out["replay_no_store"]["pages_per_s_inner"], out["bare_engine"]["pages_per_s_inner"]
        )
        out["replay_vs_replay_no_store"] = _ratio(
            out["replay"]["pages_per_s_inner"], out["replay_no_store"]["pages_per_s_inner"]
        )
    out["batch_vs_replay"] = _ratio(
        out["batch"]["pages_per_s_wall"], out["replay"]["pages_per_s_wall"]
    )
    out["batch_vs_replay_inner"] = _ratio(
        out["batch"]["pages_per_s_inner"], out["replay"]["pages_per_s_inner"]
    )
    out["same_store_counts"] = out["batch"]["stored"] == out["replay"]["stored"]
    batch = out["batch"]
    if "batch_1_worker" in out:
        scaled = out["batch_n_workers"]
        out["batch_speedup_1_to_n"] = _ratio(
            scaled["pages_per_s_inner"], out["batch_1_worker"]["pages_per_s_inner"]
        )
        out["batch_projection"] = _projection(scaled, pages, scale)
    if batch["server_cpu_s"] is not None:
        # The most pages/s `cores` cores can give when all CPU time is spent on this work
        # (batch, its workers and the store server): the bound on the batch/replay ratio.
        per_page = (batch["cpu_s"] + batch["server_cpu_s"]) / pages
        ceiling = cores() / per_page if per_page else 0.0
        out["batch_cpu_bound_pages_per_s"] = round(ceiling, 1)
        out["batch_cpu_bound_vs_replay"] = _ratio(ceiling, out["replay"]["pages_per_s_wall"])
    return out


def _projection(batch: dict[str, Any], pages: int, workers: int) -> dict[str, Any]:
    """Batch pages/s on 16 cores, from this run's CPU per page: the workers scale, the
    parent (listing, ledger, store client) and the store server each get one core."""
    parent = batch["main_cpu_ms_per_page"]
    worker = max(batch["cpu_ms_per_page"] - parent, 1e-9)
    server = batch["server_cpu_ms_per_page"] or 0.0
    bounds = {
        "workers_16": 16 * 1000 / worker,
        "parent": 1000 / parent if parent else float("inf"),
        "server": 1000 / server if server else float("inf"),
    }
    limit = min(bounds, key=lambda k: bounds[k])
    one = min(1000 / worker, bounds["parent"], bounds["server"])
    return {
        "pages_per_s_16": round(bounds[limit], 1),
        "bound_by": limit,
        "speedup_1_to_16": round(bounds[limit] / one, 2) if one else None,
        "worker_cpu_ms_per_page": round(worker, 2),
        "parent_cpu_ms_per_page": parent,
        "server_cpu_ms_per_page": server,
        "workers_measured": workers,
    }


# --------------------------------------------------------------------------- store


def measure_store(uri: str, docs: int, home: Path) -> dict[str, Any]:
    async def run() -> dict[str, float]:
        items = bench_store.make_docs(docs)
        client = await bench_store.connect(uri, timeout_s=10)
        rates: dict[str, float] = {}
        try:
            for method in ("bulk", "one_by_one"):
                name = f"bench_{method}_{uuid.uuid4().hex[:8]}"
                db = client[name]
                await bench_store.ensure_collections(db)
                for phase in ("first load", "re-load"):
                    job = (
                        bench_store.bulk(db, items, 200, home)
                        if method == "bulk"
                        else bench_store.one_by_one(db, items)
                    )
                    label = f"{method} {phase}"
                    rates[label] = await bench_store.timed(label, docs, job)
                assert await db.articles.count_documents({}) == docs
                await client.drop_database(name)
        finally:
            await client.close()
        return rates

    rates = asyncio.run(run())
    return {
        "documents": docs,
        "docs_per_s": {k: round(v, 1) for k, v in rates.items()},
        "bulk_vs_one_by_one_first_load": _ratio(
            rates["bulk first load"], rates["one_by_one first load"]
        ),
        "bulk_vs_one_by_one_reload": _ratio(rates["bulk re-load"], rates["one_by_one re-load"]),
    }


# --------------------------------------------------------------------------- report


def versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for name in VERSIONS:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "-"
    return out


def table(results: dict[str, Any]) -> str:
    rows: list[tuple[str, str, str, str, str]] = []

    def row(what: str, value: str, baseline: str, ratio: float | None, target: str = "") -> None:
        met = ""
        if ratio is not None and target:
            bound = float(target.lstrip("≥≤<× ").rstrip("×"))
            if target.startswith("<"):
                ok = ratio < bound
            elif target.startswith("≤"):
                ok = ratio <= bound
            else:
                ok = ratio >= bound
            met = "yes" if ok else "NO"
        shown = "" if ratio is None else f"{ratio:g}"
        rows.append((what, value, baseline, shown, f"{target} {met}".strip()))

    core = results.get("core")
    if core:
        a, h = core["all_kinds"], core["html_sample"]
        row(
            f"core pages/s, 1 core, all kinds ({a['core']['pages']:,})",
            f"{a['core']['pages_per_s']:,.0f}",
            f"parsel-only {a['parsel_only']['pages_per_s']:,.0f}",
            core["core_vs_parsel"],
            f"≥{TARGETS['core_vs_parsel']}",
        )
        row(
            f"core pages/s, HTML sample ({h['core']['pages']:,})",
            f"{h['core']['pages_per_s']:,.0f}",
            f"parsel-only {h['parsel_only']['pages_per_s']:,.0f}",
            core["core_vs_parsel_html"],
        )
        row(
            "core vs trafilatura, HTML sample",
            f"{h['core']['pages_per_s']:,.0f}",
            f"trafilatura {h['trafilatura']['pages_per_s']:,.0f}",
            core["core_vs_trafilatura"],
            f"≥{TARGETS['core_vs_trafilatura']:g}×",
        )
        for name in ("core", "trafilatura", "parsel_only"):
            q = h[name]
            row(
                f"body quality {name}, HTML sample",
                f"F1 {q['body_f1']:.3f}",
                f"P {q['body_precision']:.3f} R {q['body_recall']:.3f} exact {q['body_exact']:.1%}",
                None,
            )
        q = a["core"]
        row(
            "body quality core, all kinds",
            f"F1 {q['body_f1']:.3f}",
            f"P {q['body_precision']:.3f} R {q['body_recall']:.3f} exact {q['body_exact']:.1%}",
            None,
        )
    proc = results.get("throughput")
    if proc:
        if "bare_engine" in proc:
            row(
                "replay (store) pages/s vs bare engine",
                f"{proc['replay']['pages_per_s_inner']:,.0f}",
                f"bare {proc['bare_engine']['pages_per_s_inner']:,.0f}",
                proc["replay_vs_bare"],
                f"≥{TARGETS['replay_vs_bare']}",
            )
            row(
                "replay (no store) pages/s vs bare engine",
                f"{proc['replay_no_store']['pages_per_s_inner']:,.0f}",
                f"bare {proc['bare_engine']['pages_per_s_inner']:,.0f}",
                proc["replay_no_store_vs_bare"],
            )
            row(
                "replay (store) vs replay (no store)",
                f"{proc['replay']['pages_per_s_inner']:,.0f}",
                f"no store {proc['replay_no_store']['pages_per_s_inner']:,.0f}",
                proc["replay_vs_replay_no_store"],
            )
        row(
            "batch pages/s vs replay (wall clock)",
            f"{proc['batch']['pages_per_s_wall']:,.0f}",
            f"replay {proc['replay']['pages_per_s_wall']:,.0f}",
            proc["batch_vs_replay"],
            f"≥{TARGETS['batch_vs_replay']:g}×",
        )
        if "marginal_cpu_ms_per_page" in proc["replay"]:
            r, b = proc["replay"], proc["bare_engine"]
            row(
                "replay client CPU ms/page (start-up subtracted)",
                f"{r['marginal_cpu_ms_per_page']:.2f}",
                f"bare {b['marginal_cpu_ms_per_page']:.2f}, no store "
                f"{proc['replay_no_store']['marginal_cpu_ms_per_page']:.2f}, batch tree "
                f"{proc['batch']['marginal_cpu_ms_per_page']:.2f}",
                r["marginal_cpu_ms_per_page"],
                f"≤{TARGETS['replay_client_cpu_ms']:g}",
            )
            row(
                "start-up CPU s: replay, replay no store, bare, batch",
                " / ".join(
                    f"{proc['startup_cpu_s'][k]:.1f}"
                    for k in ("replay", "replay_no_store", "bare_engine", "batch")
                ),
                "",
                None,
            )
        row(
            "replay client CPU ms/page (process, start-up included)",
            f"{proc['replay']['cpu_ms_per_page']:.2f}",
            "",
            None,
        )
        if "batch_speedup_1_to_n" in proc:
            one = proc["batch_1_worker"]
            row(
                f"batch {results['parameters']['workers']} workers vs 1 worker (inside the run)",
                f"{proc['batch_n_workers']['pages_per_s_inner']:,.0f}",
                f"1 worker {one['pages_per_s_inner']:,.0f}",
                proc["batch_speedup_1_to_n"],
            )
            p16 = proc["batch_projection"]
            row(
                f"batch projected on 16 cores (bound: {p16['bound_by']})",
                f"{p16['pages_per_s_16']:,.0f}",
                f"parent {p16['parent_cpu_ms_per_page']:.2f} ms/page, "
                f"worker {p16['worker_cpu_ms_per_page']:.2f}",
                p16["speedup_1_to_16"],
            )
        for name in ("replay", "batch"):
            r = proc[name]
            if r["server_cpu_ms_per_page"] is not None:
                row(
                    f"CPU ms/page {name}: process tree + store server",
                    f"{r['cpu_ms_per_page']:.2f} + {r['server_cpu_ms_per_page']:.2f}",
                    "",
                    None,
                )
        if "batch_cpu_bound_vs_replay" in proc:
            row(
                f"batch CPU bound on {results['machine']['cores']} cores vs replay",
                f"{proc['batch_cpu_bound_pages_per_s']:,.0f}",
                f"replay {proc['replay']['pages_per_s_wall']:,.0f}",
                proc["batch_cpu_bound_vs_replay"],
            )
        row(
            "batch vs replay (inside the run)",
            f"{proc['batch']['pages_per_s_inner']:,.0f}",
            f"replay {proc['replay']['pages_per_s_inner']:,.0f}",
            proc["batch_vs_replay_inner"],
        )
    store = results.get("store")
    if store:
        rates = store["docs_per_s"]
        for phase, key in (("first load", "first_load"), ("re-load", "reload")):
            row(
                f"store docs/s bulk vs one-by-one, {phase}",
                f"{rates[f'bulk {phase}']:,.0f}",
                f"one-by-one {rates[f'one_by_one {phase}']:,.0f}",
                store[f"bulk_vs_one_by_one_{key}"],
                f"≥{TARGETS['bulk_vs_one_by_one']:g}×",
            )
    for label, key in (("throughput", "throughput"), ("memory", "memory")):
        part = results.get(key)
        if not part:
            continue
        for name in ("replay", "batch"):
            r = part[name]
            row(
                f"peak RSS {name}, {r['pages']:,} pages ({label} run)",
                f"{r['peak_rss_mb']:.0f} MB",
                f"largest process {r['peak_rss_largest_process_mb']:.0f} MB",
                r["peak_rss_mb"],
                f"<{TARGETS['peak_rss_mb']:g}",
            )
            if r.get("peak_pss_mb"):
                row(
                    f"peak PSS {name}, {r['pages']:,} pages ({label} run)",
                    f"{r['peak_pss_mb']:.0f} MB",
                    "shared pages split among processes",
                    r["peak_pss_mb"],
                    f"<{TARGETS['peak_rss_mb']:g}",
                )
        if key == "memory" and results.get("throughput"):
            small = results["throughput"]
            for name in ("replay", "batch"):
                a, b = small[name], part[name]
                growth = b["peak_rss_mb"] - a["peak_rss_mb"]
                per_10k = growth / max(b["pages"] - a["pages"], 1) * 10_000
                row(
                    f"peak RSS growth {name}, {a['pages']:,} -> {b['pages']:,} pages",
                    f"{growth:+.0f} MB",
                    f"{per_10k:+.1f} MB per 10,000 pages",
                    None,
                    "flat",
                )
        if key == "memory":
            row(
                f"batch vs replay, {part['replay']['pages']:,} pages (wall clock)",
                f"{part['batch']['pages_per_s_wall']:,.0f}",
                f"replay {part['replay']['pages_per_s_wall']:,.0f}",
                part["batch_vs_replay"],
                f"≥{TARGETS['batch_vs_replay']:g}×",
            )
    widths = [max(len(r[i]) for r in [*rows, ("measure", "value", "baseline", "ratio", "target")])
              for i in range(5)]  # fmt: skip
    header = ("measure", "value", "baseline", "ratio", "target")
    lines = [" | ".join(h.ljust(w) for h, w in zip(header, widths, strict=True))]
    lines.append("-+-".join("-" * w for w in widths))
    lines += [" | ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in rows]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes: a smoke run")
    parser.add_argument(
        "--full", action="store_true", help="the issue's sizes: 20,000 engine, 100,000 memory"
    )
    parser.add_argument("--pages", type=int, help="core pages (default 20,000; quick 800)")
    parser.add_argument(
        "--engine-pages",
        type=int,
        help="pages for bare engine, replay and batch (default 4,000; full 20,000; quick 800)",
    )
    parser.add_argument(
        "--memory-pages",
        type=int,
        help="pages for the memory run (default 12,000; full 100,000; quick: none)",
    )
    parser.add_argument(
        "--trafilatura-pages", type=int, help="HTML pages for trafilatura (default 1,000)"
    )
    parser.add_argument("--store-docs", type=int, help="documents for the store pair")
    parser.add_argument(
        "--workers",
        type=int,
        help="batch workers (default: batch's own); the scaling pair runs 1 and this many "
        "(default: one per core)",
    )
    parser.add_argument("--seed", type=int, default=20240305)
    parser.add_argument(
        "--only",
        default="core,store,throughput,memory",
        help="comma-separated parts: core, store, throughput, memory",
    )
    parser.add_argument("--keep", type=Path, help="work folder to keep (default: a temp one)")
    parser.add_argument("--out", type=Path, default=HERE / "out" / "results.json")
    args = parser.parse_args(argv)
    quick, full = args.quick, args.full and not args.quick
    pages = args.pages or (800 if quick else 20_000)
    engine_pages = args.engine_pages or (800 if quick else 20_000 if full else 4_000)
    memory_pages = max(args.memory_pages or (100_000 if full else 12_000), engine_pages)
    sample = args.trafilatura_pages or (100 if quick else 1000)
    store_docs = args.store_docs or (300 if quick else 3000)
    parts = set(args.only.split(","))
    if quick and not args.memory_pages:
        parts.discard("memory")  # peak RSS comes from the throughput runs
    total = memory_pages if "memory" in parts else engine_pages

    work = args.keep or Path(tempfile.mkdtemp(prefix="finews-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    pages_root = work / "pages"
    results: dict[str, Any] = {
        "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "mode": "quick" if quick else "full" if full else "standard",
        "machine": {
            "cores": cores(),
            "cpu_count": os.cpu_count(),
            "platform": platform.platform(),
            "load_average_start": [round(x, 2) for x in os.getloadavg()],
        },
        "versions": versions(),
        "parameters": {
            "pages": pages,
            "engine_pages": engine_pages,
            "memory_pages": memory_pages,
            "trafilatura_pages": sample,
            "store_docs": store_docs,
            "seed": args.seed,
            "workers": args.workers or cores(),
        },
    }
    started = time.perf_counter()
    server = None
    try:
        marker = pages_root / f".corpus-{args.seed}-{engine_pages}-{total}"
        if not marker.exists():
            shutil.rmtree(pages_root, ignore_errors=True)
            log(f"corpus: writing {total:,} pages to {pages_root}")
            results["corpus"] = build_corpus(pages_root, args.seed, engine_pages, total)
            marker.touch()
        results["corpus_kinds"] = _kinds(args.seed, pages)
        uri = os.environ.get("MONGO_URI")
        if not uri and parts & {"store", "throughput", "memory"}:
            from finews_spider.store import EmbeddedServer

            server = EmbeddedServer(work / "server")
            uri = server.start()
            global SERVER_PID
            SERVER_PID = getattr(getattr(server, "_proc", None), "pid", None)
            log(f"embedded store at {uri} (separate process, not in the RSS figures)")
        if "core" in parts:
            log("core: process_page vs parsel-only vs trafilatura, one core")
            results["core"] = measure_core(pages_root, args.seed, pages, engine_pages, sample)
        if "store" in parts:
            log(f"store: bulk vs one-by-one, {store_docs:,} documents")
            results["store"] = measure_store(str(uri), store_docs, work)
        if "throughput" in parts:
            results["throughput"] = measure_processes(
                str(uri), work / "home", pages_root / "a", engine_pages, args.workers, engine=True
            )
        if "memory" in parts:
            results["memory"] = measure_processes(
                str(uri), work / "home", pages_root, total, args.workers, engine=False
            )
    finally:
        if server is not None:
            server.stop()
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)
    results["machine"]["load_average_end"] = [round(x, 2) for x in os.getloadavg()]
    results["seconds"] = round(time.perf_counter() - started, 1)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n", "utf-8")
    print(table(results))
    print(
        f"\n{results['machine']['cores']} cores; load {results['machine']['load_average_start']}"
        f" -> {results['machine']['load_average_end']}; {results['seconds']:.0f}s; "
        f"JSON: {args.out}"
    )
    return 0


def _kinds(seed: int, pages: int) -> dict[str, Any]:
    counts: dict[str, int] = defaultdict(int)
    expect: dict[str, int] = defaultdict(int)
    for page in corpus.iter_pages(seed, 0, min(pages, 2000)):
        counts[page.kind] += 1
        expect[page.expect] += 1
    return {"first_pages": min(pages, 2000), "kinds": dict(counts), "expected": dict(expect)}


if __name__ == "__main__":
    raise SystemExit(main())
