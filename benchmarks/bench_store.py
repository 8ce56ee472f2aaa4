"""Store throughput: ArticleWriter (bulk) vs one `update_one(upsert=True)` per document.

Same documents, same server, a fresh database per method; first load, then a re-load of
the same documents. Not a test. Usage:

    python benchmarks/bench_store.py [--n 5000] [--batch 200] [--uri mongodb://…]

Without --uri (or MONGO_URI) it starts the embedded `secantusd-py` in a temporary directory.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import os
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


def cli() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=5000)
    parser.add_argument("--batch", type=int, default=200)
    parser.add_argument("--uri", default=os.environ.get("MONGO_URI"))
    args = parser.parse_args()
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
