"""The core against the parsel-only ceiling, per page kind, side by side on one core.

    python benchmarks/bench_core.py                      # 2,000 pages, 5 rounds
    python benchmarks/bench_core.py --profile core.prof  # and a cProfile of the core alone
    python benchmarks/bench_core.py --trafilatura 300    # and core vs trafilatura, HTML pages

The pages (`benchmarks/corpus.py`, run.py's seed) are made once and held in memory. Each
round times (this thread's CPU time, so other processes' load counts less), for every page
kind, the core (`extract.core`, as run.py calls it) and the parsel-only extractor
(`extract.parsel_only`) on that kind's pages, alternating every few pages;
the ratio core/parsel-only (pages per second) is reported per kind and for all pages, as
the median and range over rounds, so machine noise shows as a range rather than a bias.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import corpus
import extract

SEED = 20240305  # run.py's default
ROOT = Path("/finews-bench/pages")
PART_SIZE = 4_000
_CHUNK = 25  # pages timed per turn: the two extractors alternate often, sharing the noise


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pages", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--profile", type=Path, help="write a cProfile of the core here")
    parser.add_argument(
        "--trafilatura",
        type=int,
        default=0,
        metavar="N",
        help="also time core vs trafilatura on the first N HTML article pages",
    )
    args = parser.parse_args(argv)
    by_kind: dict[str, list[tuple[str, corpus.Page]]] = defaultdict(list)
    for page in corpus.iter_pages(SEED, 0, args.pages):
        location = corpus.page_dir(ROOT, page.index, PART_SIZE) / f"{page.index:07d}-{page.name}"
        by_kind[page.kind].append((location.as_uri(), page))
    kinds = sorted(by_kind)

    def run_core(pages: list[tuple[str, corpus.Page]]) -> None:
        for url, page in pages:
            extract.core(url, page.body, page.meta)

    def run_parsel(pages: list[tuple[str, corpus.Page]]) -> None:
        for _url, page in pages:
            extract.parsel_only(page.kind, page.body)

    run_core(by_kind[kinds[0]][:20])  # warm caches and imports outside the timing
    run_parsel(by_kind[kinds[0]][:20])
    ratios: dict[str, list[float]] = defaultdict(list)
    per_page: dict[str, list[float]] = defaultdict(list)
    for turn in range(args.rounds):
        totals = {"core": 0.0, "parsel": 0.0}
        for kind in kinds:
            pages = by_kind[kind]
            order = [("core", run_core), ("parsel", run_parsel)]
            seconds = {"core": 0.0, "parsel": 0.0}
            for start in range(0, len(pages), _CHUNK):
                chunk = pages[start : start + _CHUNK]
                for name, run in order if (turn + start) % 2 == 0 else order[::-1]:
                    began = time.thread_time()
                    run(chunk)
                    seconds[name] += time.thread_time() - began
            totals["core"] += seconds["core"]
            totals["parsel"] += seconds["parsel"]
            ratios[kind].append(seconds["parsel"] / seconds["core"])
            per_page[kind].append(seconds["core"] / len(pages) * 1000)
        ratios["all"].append(totals["parsel"] / totals["core"])
        per_page["all"].append(totals["core"] / args.pages * 1000)
    print(f"{'kind':16} {'pages':>6} {'core ms/page':>13} {'core/parsel (median, range)':>30}")
    for kind in [*kinds, "all"]:
        count = len(by_kind[kind]) if kind != "all" else args.pages
        r = ratios[kind]
        print(
            f"{kind:16} {count:6} {statistics.median(per_page[kind]):13.3f} "
            f"{statistics.median(r):14.3f} ({min(r):.3f}-{max(r):.3f})"
        )
    if args.trafilatura:
        html = [
            item
            for kind in ("eastmoney_page", "finews_page")
            for item in by_kind[kind]
            if item[1].expect == "article"
        ][: args.trafilatura]
        extract.trafilatura_text(html[0][1].body)  # import and warm outside the timing
        spent = {"core": 0.0, "trafilatura": 0.0}
        for start in range(0, len(html), _CHUNK):
            chunk = html[start : start + _CHUNK]
            began = time.thread_time()
            run_core(chunk)
            spent["core"] += time.thread_time() - began
            began = time.thread_time()
            for _url, page in chunk:
                extract.trafilatura_text(page.body)
            spent["trafilatura"] += time.thread_time() - began
        print(
            f"core/trafilatura, {len(html)} HTML article pages: "
            f"{spent['trafilatura'] / spent['core']:.2f}"
        )
    if args.profile:
        import cProfile

        everything = [item for kind in kinds for item in by_kind[kind]]
        cProfile.runctx("run_core(everything)", globals(), locals(), str(args.profile))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
