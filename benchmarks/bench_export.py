"""`finews export` memory: peak RSS of the export process for a tenth of the articles and
for all of them, per format. Flat memory means the two peaks are about equal. Not a test.

Reads a store that already holds articles, e.g. the one `bench_search.py --keep DIR` built:

    python benchmarks/bench_search.py --n 100000 --keep /tmp/search-store
    python benchmarks/bench_export.py --home /tmp/search-store [--batch-size 5000]

Writes benchmarks/out/export.json. Needs the `bench` and `analysis` extras (psutil, pyarrow).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

import psutil
from pymongo import MongoClient

from finews_spider.store import EmbeddedServer

ROOT = Path(__file__).resolve().parents[1]


def peak_rss(command: list[str], env: dict[str, str]) -> tuple[float, float]:
    """(peak RSS in MB, seconds) of `command`, sampled every 0.1 s."""
    started = time.perf_counter()
    proc = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    watched = psutil.Process(proc.pid)
    peak = 0
    while proc.poll() is None:
        try:
            peak = max(peak, watched.memory_info().rss)
        except psutil.NoSuchProcess:
            break
        time.sleep(0.1)
    if proc.returncode:
        raise SystemExit(proc.stderr.read().decode()[-2000:] if proc.stderr else "export failed")
    return peak / 2**20, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--home", help="embedded store directory holding the articles")
    parser.add_argument("--uri", default=os.environ.get("MONGO_URI"))
    parser.add_argument("--database", default="finews_bench_search")
    parser.add_argument("--batch-size", default="5000", help="finews export --batch-size")
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "out" / "export.json"))
    args = parser.parse_args()
    server = None
    uri = args.uri
    if not uri:
        if not args.home:
            raise SystemExit("give --home DIR (an embedded store) or --uri")
        server = EmbeddedServer(Path(args.home))
        uri = server.start()
    try:
        with MongoClient(uri, tz_aware=True) as client:
            coll = client[args.database].articles
            total = coll.estimated_document_count()
            first = coll.find_one(sort=[("published_at", 1)])["published_at"]
            last = coll.find_one(sort=[("published_at", -1)])["published_at"]
        tenth = (first + (last - first) / 10 + timedelta(seconds=1)).isoformat()
        env = {**os.environ, "MONGO_URI": uri, "MONGO_DATABASE": args.database}
        rows = []
        with tempfile.TemporaryDirectory() as tmp:
            for fmt in ("jsonl", "csv", "parquet"):
                for label, extra in (("tenth", ["--until", tenth]), ("all", [])):
                    out = Path(tmp) / f"x.{fmt}"
                    command = [sys.executable, "-m", "finews_spider.cli", "export", str(out)]
                    flags = ["--no-progress", "--batch-size", args.batch_size, *extra]
                    mb, seconds = peak_rss([*command, *flags], env)
                    rows.append(
                        {
                            "format": fmt,
                            "articles": label,
                            "peak_rss_mb": round(mb, 1),
                            "seconds": round(seconds, 1),
                            "bytes": out.stat().st_size,
                        }
                    )
                    print(
                        f"  {fmt:<8} {label:<6} peak {mb:6.1f} MB  {seconds:6.1f} s  "
                        f"{out.stat().st_size / 2**20:7.1f} MB file",
                        flush=True,
                    )
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        result = {"total": total, "batch_size": int(args.batch_size), "runs": rows}
        Path(args.out).write_text(json.dumps(result, indent=1), "utf-8")
        print(f"{total} articles; wrote {args.out}")
    finally:
        if server is not None:
            server.stop()


if __name__ == "__main__":
    main()
