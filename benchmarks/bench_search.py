"""Keyword search: the `search_terms` index against a `$regex` scan, same answers.

Both sides are the whole `Articles.search` (candidates, phrase check, ranking, hits read):
only how candidates are found differs (`scan=True`: a `$regex` scan of title and body).

Generates N articles whose titles and bodies are random stretches of real text (the corpus
under ../shared/corpus when present, else the project's fixtures), stores them with their
terms in a fresh database made by `ensure_collections` without the search index, builds that
index once after the load (timed apart: keeping a multikey index current per insert is what
makes a bulk load slow), checks the indexed search really reads it (explain: IXSCAN), then
times every query of the list both ways and checks both find the same articles. Not a test.

`--insert-n M` also measures the insert rate of M articles into a fresh collection with and
without the search index, side by side (0: skip). Usage:

    python benchmarks/bench_search.py [--n 100000] [--uri mongodb://…] [--repeat 3] [--keep DIR]
        [--insert-n 2000]

Without --uri (or MONGO_URI) it starts the embedded `secantusd-py` in a temporary directory
(`--keep DIR`: in DIR, kept, and reused when it already holds the N articles; loading is the
slow part). Writes benchmarks/out/search.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import statistics
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from pymongo import MongoClient
from pymongo.collection import Collection

from finews_spider.analysis import Articles
from finews_spider.analysis.search import TextQuery
from finews_spider.normalize.terms import search_terms
from finews_spider.store import EmbeddedServer, connect, ensure_collections
from finews_spider.store.setup import SEARCH_INDEX

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "corpus" / "posts"
QUERIES = [
    "茅台",
    "半导体",
    "人民币",
    "军工板块",
    "同比增长",
    "北上资金",
    "消费 电子",
    "苹果 目标价",
    "ETF",
    "IPO",
    "A股",
    "2021",
    "碳中和",
    "元宇宙",
]


def source_text() -> str:
    """Real Chinese financial prose to cut articles from."""
    files = sorted(CORPUS.glob("*.md")) if CORPUS.is_dir() else []
    files = files or sorted((ROOT / "fixtures").rglob("*.md"))
    text = "".join(p.read_text("utf-8", "replace") for p in files)
    text = re.sub(r"<[^>]+>|[\x00-\x1f]|---|\{[^}]*\}", "", text)
    return re.sub(r"\s+", "", text)


def make_docs(n: int, seed: int = 7) -> Iterator[dict[str, Any]]:
    """Article i depends only on (seed, i < n); generated lazily (100,000 term lists at once
    take gigabytes)."""
    rng = random.Random(seed)
    text = source_text()
    start = datetime(2021, 1, 1, tzinfo=UTC)
    for i in range(n):
        at = rng.randrange(0, len(text) - 2000)
        body = text[at : at + rng.randrange(300, 1500)]
        title_at = rng.randrange(0, len(text) - 40)
        title = text[title_at : title_at + rng.randrange(12, 30)]
        yield {
            "_id": str(202101010000000000 + i),
            "title": title,
            "published_at": start + timedelta(minutes=7 * i),
            "outlet": rng.choice(["经济参考网", "证券时报", "财联社", None]),
            "body_text": body,
            "stocks": [],
            "stock_codes": [],
            "search_terms": search_terms(title, body),
        }


def batches(docs: Iterator[dict[str, Any]], size: int = 2000) -> Iterator[list[dict[str, Any]]]:
    batch: list[dict[str, Any]] = []
    for doc in docs:
        batch.append(doc)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


async def prepare_db(uri: str, database: str, *, search_index: bool) -> None:
    client = await connect(uri)
    try:
        await client.drop_database(database)
        await ensure_collections(client[database], search_index=search_index)
    finally:
        await client.close()


def load(coll: Collection[dict[str, Any]], n: int, every: int = 0) -> tuple[float, float]:
    """Insert articles 0..n-1 (generated apart from the timing); (seconds inserting, mean
    terms per article)."""
    spent, terms, done = 0.0, 0, 0
    for batch in batches(make_docs(n)):
        terms += sum(len(d["search_terms"]) for d in batch)
        started = time.perf_counter()
        # Not contract-complete documents: only what search reads is generated.
        coll.insert_many(batch, bypass_document_validation=True)
        spent += time.perf_counter() - started
        done += len(batch)
        if every and done % every == 0:
            print(f"  {done} articles, {done / spent:.0f} docs/s", flush=True)
    return spent, terms / max(n, 1)


def has_search_index(coll: Collection[dict[str, Any]]) -> bool:
    return any(i.get("key", {}) == SEARCH_INDEX.document["key"] for i in coll.list_indexes())


def plan_stages(plan: Any) -> set[str]:
    """Every `stage` named anywhere in an explain answer."""
    if isinstance(plan, dict):
        found = {plan["stage"]} if isinstance(plan.get("stage"), str) else set()
        return found.union(*(plan_stages(v) for v in plan.values()))
    if isinstance(plan, list):
        return set().union(*(plan_stages(v) for v in plan))
    return set()


def insert_rates(uri: str, n: int) -> dict[str, float]:
    """Docs/s inserting the same n articles into a fresh collection without, then with,
    the search index (the other indexes as `ensure_collections` makes them)."""
    rates = {}
    for with_index in (False, True):
        database = "finews_bench_insert"
        asyncio.run(prepare_db(uri, database, search_index=with_index))
        with MongoClient(uri) as client:
            spent, _ = load(client[database].articles, n)
            client.drop_database(database)
        rates["with_index" if with_index else "without_index"] = round(n / spent, 1)
        print(
            f"insert {n} articles {'with' if with_index else 'without'} the search index: "
            f"{n / spent:.0f} docs/s",
            flush=True,
        )
    return rates


def timed(call: Any, repeat: int) -> tuple[float, Any]:
    best, result = float("inf"), None
    for _ in range(repeat):
        started = time.perf_counter()
        result = call()
        best = min(best, time.perf_counter() - started)
    return best, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--uri", default=os.environ.get("MONGO_URI"))
    parser.add_argument("--repeat", type=int, default=3, help="best of N timings per query")
    parser.add_argument("--keep", help="embedded store directory to keep and reuse")
    parser.add_argument("--insert-n", type=int, default=0, help="insert-rate pair size")
    parser.add_argument(
        "--query", action="append", help="time only these queries (repeatable; default: all)"
    )
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "out" / "search.json"))
    args = parser.parse_args()

    server = None
    uri = args.uri
    scratch = tempfile.TemporaryDirectory(prefix="finews-bench-search-")
    if not uri:
        server = EmbeddedServer(Path(args.keep or scratch.name))
        uri = server.start()
    database = "finews_bench_search"
    try:
        loads = {"before": os.getloadavg()}
        rates = insert_rates(uri, args.insert_n) if args.insert_n else None
        with MongoClient(uri) as client:
            coll = client[database].articles
            loaded = coll.estimated_document_count() == args.n
            load_s, build_s, terms = 0.0, None, None
            if not loaded:
                asyncio.run(prepare_db(uri, database, search_index=False))
                print(f"loading {args.n} articles without the search index…", flush=True)
                load_s, terms = load(coll, args.n, every=10_000)
                print(
                    f"loaded in {load_s:.0f}s ({args.n / load_s:.0f} docs/s), "
                    f"{terms:.0f} terms each on average",
                    flush=True,
                )
            if not has_search_index(coll):
                print("building the search index…", flush=True)
                started = time.perf_counter()
                coll.create_indexes([SEARCH_INDEX])
                build_s = time.perf_counter() - started
                print(f"index built in {build_s:.1f}s", flush=True)
            probe = TextQuery.parse(QUERIES[0])
            stages = plan_stages(coll.find(probe.mongo()).explain())
            print(f"indexed search plan: {sorted(stages)}", flush=True)
            if "IXSCAN" not in stages:
                raise SystemExit("the indexed search does not use the search index (no IXSCAN)")
        rows = []
        with Articles(uri, database) as news:
            for query in args.query or QUERIES:
                t_index, hits = timed(lambda q=query: news.search(q, limit=None), args.repeat)
                t_scan, scanned = timed(
                    lambda q=query: news.search(q, limit=None, scan=True), args.repeat
                )
                same = [h.article.id for h in hits] == [h.article.id for h in scanned]
                rows.append(
                    {
                        "query": query,
                        "found": len(hits),
                        "share_of_articles": round(len(hits) / args.n, 4),
                        "index_s": round(t_index, 4),
                        "regex_s": round(t_scan, 4),
                        "speedup": round(t_scan / t_index, 1),
                        "same_articles": same,
                    }
                )
                print(
                    f"  {query:<12} found {len(hits):>6}  index {t_index * 1000:8.1f} ms  "
                    f"regex {t_scan * 1000:8.1f} ms  {t_scan / t_index:6.1f}x  same={same}",
                    flush=True,
                )
        loads["after"] = os.getloadavg()
        ratios = [r["speedup"] for r in rows]
        summary = {
            "articles": args.n,
            "terms_per_article": round(terms, 1) if terms else None,
            "load_s": round(load_s, 1) if load_s else None,
            "load_docs_per_s": round(args.n / load_s) if load_s else None,
            "index_build_s": round(build_s, 1) if build_s is not None else None,
            "plan_stages": sorted(stages),
            "insert_docs_per_s": rates,
            "load_average": {k: [round(x, 2) for x in v] for k, v in loads.items()},
            "median_speedup": round(statistics.median(ratios), 2),
            "min_speedup": min(ratios),
            "all_same_articles": all(r["same_articles"] for r in rows),
            "queries": rows,
            "cores": os.cpu_count(),
        }
        print(
            f"median {summary['median_speedup']}x, min {summary['min_speedup']}x; "
            f"same articles for every query: {summary['all_same_articles']}; "
            f"load average before {loads['before']}, after {loads['after']}"
        )
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.out).write_text(json.dumps(summary, ensure_ascii=False, indent=1), "utf-8")
        print(f"wrote {args.out}")
    finally:
        if server is not None:
            server.stop()
        scratch.cleanup()


if __name__ == "__main__":
    main()
