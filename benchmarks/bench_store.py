"""Store throughput: ArticleWriter (bulk) vs one `update_one(upsert=True)` per document.

Same documents, same server, a fresh database per method; first load, then a re-load of
the same documents. Not a test. Usage:

    python benchmarks/bench_store.py [--n 5000] [--batch 200] [--uri mongodb://…]

Without --uri (or MONGO_URI) it starts the embedded `secantusd-py` in a temporary directory.

`--compare DIR` instead measures the store server's CPU time per article and the server
operations per article (commands by name and collection) of the ArticleWriter of this
checkout and of another checkout at DIR (`git archive REF | tar -x -C DIR`), side by side on
one embedded server, alternating, `--repeat` times: first load and re-load of the same
articles, each with its raw page (`--no-pages` leaves them out).
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import hashlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from finews_spider.model import PARSER_VERSION
from finews_spider.schema import article_errors
from finews_spider.store import ArticleWriter, EmbeddedServer, connect, ensure_collections
from finews_spider.store.articles import article_terms
from finews_spider.store.writer import utcnow

Doc = dict[str, Any]


def make_docs(n: int) -> list[Doc]:
    docs = []
    start = datetime(2022, 3, 3, 8, 0, tzinfo=UTC)
    for i in range(n):
        article_id = str(202203030000000000 + i)
        body = f"第{i}篇。" + "市场消息，公司公告称业绩增长。" * 40
        published = start + timedelta(minutes=i)
        digest = hashlib.sha256(f"{i}\n{published.isoformat()}\n{body}".encode()).hexdigest()
        docs.append(
            {
                "_id": article_id,
                "title": f"标题 {i}",
                "published_at": published,
                "published_at_raw": published.strftime("%Y-%m-%d %H:%M:%S +0000"),
                "published_tz": "+08:00",
                "tz_assumed": False,
                "outlet": "经济参考网",
                "category": "jingjicankaowang",
                "tags": ["经济", f"t{i % 7}"],
                "summary": None,
                "body_text": body,
                "body_html": f"<p>{body}</p>",
                "stocks": [
                    {
                        "secid": f"1.{600000 + i % 50}",
                        "code": f"{600000 + i % 50}",
                        "market_id": 1,
                        "market": "SH",
                        "kind": "stock",
                        "name": None,
                        "roles": ["chart"],
                    }
                ],
                "stock_codes": [f"{600000 + i % 50}"],
                "info_code": f"NW{article_id}",
                "url": f"https://finance.eastmoney.com/a/{article_id}.html",
                "source_url": None,
                "page_kind": "eastmoney_page",
                "repairs": [],
                "content_hash": digest,
                "parser_version": PARSER_VERSION,
            }
        )
    bad = [e for d in docs for e in article_errors(d)]
    assert not bad, bad[:3]
    return docs


async def bulk(db: AsyncDatabase[Doc], docs: list[Doc], batch: int, home: Path) -> ArticleWriter:
    writer = ArticleWriter(db, batch_size=batch, dead_letter_dir=home / "dead_letters")
    for doc in docs:
        await writer.add(doc)
    await writer.close()
    assert writer.counts.dead_lettered == 0
    return writer


async def one_by_one(db: AsyncDatabase[Doc], docs: list[Doc]) -> None:
    for doc in docs:
        now = utcnow()
        fields = {k: v for k, v in doc.items() if k != "_id"}
        fields["search_terms"] = article_terms(doc)  # the validator requires the store's fields
        await db.articles.update_one(
            {"_id": doc["_id"]},
            {
                "$set": {**fields, "last_seen_at": now, "updated_at": now},
                "$setOnInsert": {"first_seen_at": now, "version": 1},
                "$addToSet": {"urls": doc["url"]},
            },
            upsert=True,
        )


async def timed(label: str, n: int, work: Any) -> float:
    started = time.perf_counter()
    await work
    rate = n / (time.perf_counter() - started)
    print(f"  {label:<28} {rate:8.0f} docs/s", flush=True)
    return rate


async def main(uri: str, n: int, batch: int, home: Path) -> None:
    docs = make_docs(n)
    client = await connect(uri, timeout_s=10)
    rates: dict[str, float] = {}
    try:
        for method in ("bulk", "one_by_one"):
            name = f"bench_{method}_{uuid.uuid4().hex[:8]}"
            db = client[name]
            await ensure_collections(db)
            print(f"{method} ({name}):", flush=True)
            for phase in ("first load", "re-load"):
                job = bulk(db, docs, batch, home) if method == "bulk" else one_by_one(db, docs)
                rates[f"{method} {phase}"] = await timed(phase, n, job)
            assert await db.articles.count_documents({}) == n
            await client.drop_database(name)
    finally:
        await client.close()
    for phase in ("first load", "re-load"):
        ratio = rates[f"bulk {phase}"] / rates[f"one_by_one {phase}"]
        print(f"bulk / one-by-one, {phase}: {ratio:.1f}x")


def _server_cpu(pid: int) -> float:
    import psutil

    times = psutil.Process(pid).cpu_times()
    return times.user + times.system


async def measure_writer(uri: str, pid: int, n: int, batch: int, pages: bool) -> dict[str, Any]:
    """Server CPU ms and server commands per article of this checkout's ArticleWriter."""
    from pymongo import AsyncMongoClient, monitoring

    class Commands(monitoring.CommandListener):
        def __init__(self) -> None:
            self.counts: collections.Counter[str] = collections.Counter()

        def started(self, event: monitoring.CommandStartedEvent) -> None:
            target = event.command.get(event.command_name)
            where = target if isinstance(target, str) else ""
            self.counts[f"{event.command_name} {where}".strip()] += 1

        def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
            pass

        def failed(self, event: monitoring.CommandFailedEvent) -> None:
            pass

    docs = make_docs(n)
    body = (
        "<html><body>" + "<p>市场消息，公司公告称业绩增长。</p>" * 400 + "</body></html>"
    ).encode()
    listener = Commands()
    client: AsyncMongoClient[Doc] = AsyncMongoClient(uri, tz_aware=True, event_listeners=[listener])
    name = f"bench_server_{uuid.uuid4().hex[:8]}"
    out: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="finews-bench-") as tmp:
        try:
            db = client[name]
            await ensure_collections(db)
            for phase in ("first load", "re-load"):
                listener.counts.clear()
                writer = ArticleWriter(db, batch_size=batch, dead_letter_dir=Path(tmp))
                cpu, started = _server_cpu(pid), time.perf_counter()
                for i, doc in enumerate(docs):
                    if pages:
                        writer.add_page(doc["url"], body + str(i).encode(), "text/html")
                    await writer.add(doc)
                await writer.close()
                cpu, wall = _server_cpu(pid) - cpu, time.perf_counter() - started
                assert writer.counts.dead_lettered == 0
                out[phase] = {
                    "server_cpu_ms_per_article": round(cpu / n * 1000, 3),
                    "server_ops_per_article": round(sum(listener.counts.values()) / n, 4),
                    "commands": dict(sorted(listener.counts.items())),
                    "wall_s": round(wall, 2),
                }
        finally:
            await client.drop_database(name)
            await client.close()
    return out


def compare(base: Path, n: int, batch: int, repeat: int, pages: bool) -> None:
    """This checkout's writer and the one at `base`, alternating on one embedded server."""
    here = Path(__file__).resolve()
    sides = {"before": base.resolve(), "after": here.parents[1]}
    runs: dict[str, list[dict[str, Any]]] = {side: [] for side in sides}
    with (
        tempfile.TemporaryDirectory(prefix="finews-bench-") as tmp,
        EmbeddedServer(Path(tmp)) as server,
    ):
        pid = server._proc.pid if server._proc else 0
        for r in range(repeat):
            for side, root in sides.items() if r % 2 == 0 else reversed(sides.items()):
                child = [sys.executable, str(here), "--child", str(pid), "--uri", server.uri]
                child += ["--n", str(n), "--batch", str(batch)]
                child += [] if pages else ["--no-pages"]
                env = {**os.environ, "PYTHONPATH": str(root)}
                done = subprocess.run(child, env=env, capture_output=True, text=True)
                if done.returncode:
                    raise SystemExit(done.stderr[-3000:])
                result = json.loads(done.stdout.splitlines()[-1])
                runs[side].append(result)
                for phase, r_ in result.items():
                    print(
                        f"  {side:<6} {phase:<10} server {r_['server_cpu_ms_per_article']:.2f}"
                        f" ms/article, {r_['server_ops_per_article']:.3f} ops/article,"
                        f" {r_['wall_s']:.1f} s",
                        flush=True,
                    )
    print(f"\n{n} articles, batch {batch}, pages {'on' if pages else 'off'}, {repeat} runs each")
    for phase in ("first load", "re-load"):
        for key, label in (
            ("server_cpu_ms_per_article", "server CPU ms/article"),
            ("server_ops_per_article", "server ops/article"),
        ):
            before = [r[phase][key] for r in runs["before"]]
            after = [r[phase][key] for r in runs["after"]]
            ratios = sorted(a / b for a, b in zip(after, before, strict=True) if b)
            median = statistics.median(after) / statistics.median(before)
            print(
                f"{phase:<10} {label:<22} before {min(before):.3f}-{max(before):.3f}"
                f"  after {min(after):.3f}-{max(after):.3f}"
                f"  after/before: medians {median:.2f}, pairs {ratios[0]:.2f}-{ratios[-1]:.2f}"
            )
        for side in sides:
            print(f"  {side} commands: {runs[side][-1][phase]['commands']}")


def cli() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=5000)
    parser.add_argument("--batch", type=int, default=200)
    parser.add_argument("--uri", default=os.environ.get("MONGO_URI"))
    parser.add_argument("--compare", type=Path, help="another checkout's root (see above)")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-pages", action="store_true")
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)  # the server's pid
    args = parser.parse_args()
    if args.child:
        result = asyncio.run(
            measure_writer(args.uri, args.child, args.n, args.batch, not args.no_pages)
        )
        print(json.dumps(result))
        return
    if args.compare:
        compare(args.compare, args.n, args.batch, args.repeat, not args.no_pages)
        return
    with tempfile.TemporaryDirectory(prefix="finews-bench-") as tmp:
        home = Path(tmp)
        if args.uri:
            asyncio.run(main(args.uri, args.n, args.batch, home))
            return
        with EmbeddedServer(home) as server:
            print(f"embedded secantusd-py at {server.uri} (separate process)")
            asyncio.run(main(server.uri, args.n, args.batch, home))


if __name__ == "__main__":
    cli()
