"""`finews securities [QUERY]` lists or searches the securities master; `--rebuild` makes it
again from `articles` (see `finews_spider.store.securities`)."""

from __future__ import annotations

import argparse
import asyncio
from typing import Any

from finews_spider.store import StoreConfig, open_store, resolve_config
from finews_spider.store import securities as master


def add_securities(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "securities",
        help="list or search the securities master (--rebuild: again from the articles)",
    )
    p.add_argument("--home", help="finews home (default: $FINEWS_HOME or ./.finews)")
    p.add_argument("--uri", help="MongoDB URI (default: $MONGO_URI, else embedded)")
    p.add_argument("--database", help="database (default: $MONGO_DATABASE or finews)")
    p.add_argument("query", nargs="?", help="part of a code, secid or name (default: all)")
    p.add_argument("--rebuild", action="store_true", help="rebuild from `articles` first")
    p.add_argument("--limit", type=int, default=50, help="rows to list (default 50)")
    p.set_defaults(func=securities)


def securities(args: argparse.Namespace) -> int:
    config = resolve_config(uri=args.uri, database=args.database, home=args.home)
    for line in asyncio.run(_run(config, args.query, args.rebuild, args.limit)):
        print(line)
    return 0


async def _run(config: StoreConfig, query: str | None, rebuild: bool, limit: int) -> list[str]:
    store = await open_store(config)
    try:
        lines = []
        if rebuild:
            lines.append(f"rebuilt: {await master.rebuild(store.db)} securities")
        for doc in await master.search(store.db, query, limit):
            names = ", ".join(f"{n['name']}×{n['count']}" for n in doc["names"][:3]) or "-"
            roles = " ".join(f"{role}={n}" for role, n in doc["roles"].items())
            lines.append(
                f"{doc['_id']:<14} {doc['market']:<7} {doc['kind']:<6} "
                f"articles={doc['articles']} {roles}  {names}"
            )
        return lines
    finally:
        await store.close()
