"""Keyword search: the `search_terms` index against a `$regex` scan, same answers.

Both sides are the whole `Articles.search` (candidates, phrase check, ranking, hits read):
only how candidates are found differs (`scan=True`: a `$regex` scan of title and body).

Generates N articles whose titles and bodies are random stretches of real text (the corpus
under ../shared/corpus when present, else the project's fixtures), stores them with their
terms in a fresh database (indexes as `ensure_collections` makes them), then times every
query of the list both ways and checks both find the same articles. Not a test. Usage:

    python benchmarks/bench_search.py [--n 100000] [--uri mongodb://…] [--repeat 3] [--keep DIR]

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
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from pymongo import MongoClient

from finews_spider.analysis import Articles
from finews_spider.normalize.terms import search_terms
from finews_spider.store import EmbeddedServer, connect, ensure_collections

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


def make_docs(n: int, seed: int = 7) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    text = source_text()
    start = datetime(2021, 1, 1, tzinfo=UTC)
    docs = []
    for i in range(n):
        at = rng.randrange(0, len(text) - 2000)
        body = text[at : at + rng.randrange(300, 1500)]
        title_at = rng.randrange(0, len(text) - 40)
        title = text[title_at : title_at + rng.randrange(12, 30)]
        docs.append(
            {
                "_id": str(202101010000000000 + i),
                "title": title,
                "published_at": start + timedelta(minutes=7 * i),
                "outlet": rng.choice(["经济参考网", "证券时报", "财联社", None]),
                "body_text": body,
                "stocks": [],
                "stock_codes": [],
                "search_terms": search_terms(title, body),
            }
        )
    return docs


async def prepare_db(uri: str, database: str) -> None:
    client = await connect(uri)
    try:
        await client.drop_database(database)
        await ensure_collections(client[database], search_index=True)
    finally:
        await client.close()


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
        docs = make_docs(args.n)
        terms = sum(len(d["search_terms"]) for d in docs) / len(docs)
        with MongoClient(uri) as client:
            loaded = client[database].articles.estimated_document_count() == args.n
        load = 0.0
        if not loaded:
            asyncio.run(prepare_db(uri, database))
            print(f"{args.n} articles, {terms:.0f} terms each on average; loading…", flush=True)
            started = time.perf_counter()
            with MongoClient(uri) as client:
                coll = client[database].articles
                for i in range(0, len(docs), 2000):
                    # Not contract-complete documents: only what search reads is generated.
                    coll.insert_many(docs[i : i + 2000], bypass_document_validation=True)
            load = time.perf_counter() - started
            print(f"loaded in {load:.0f}s ({args.n / load:.0f} docs/s)", flush=True)
        del docs
        rows = []
        with Articles(uri, database) as news:
            for query in QUERIES:
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
        ratios = [r["speedup"] for r in rows]
        summary = {
            "articles": args.n,
            "terms_per_article": round(terms, 1),
            "load_docs_per_s": round(args.n / load) if load else None,
            "median_speedup": statistics.median(ratios),
            "min_speedup": min(ratios),
            "all_same_articles": all(r["same_articles"] for r in rows),
            "queries": rows,
            "cores": os.cpu_count(),
        }
        print(
            f"median {summary['median_speedup']}x, min {summary['min_speedup']}x; "
            f"same articles for every query: {summary['all_same_articles']}"
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
