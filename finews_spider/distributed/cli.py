"""`finews seed` and `finews ledger`: start a distributed run, and sum its workers' ledgers."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from typing import Any

from finews_spider.distributed.runs import describe, run_ledger, unfinished
from finews_spider.settings import resolve
from finews_spider.store import open_store, resolve_config
from finews_spider.store.runs import RUNS

Subparsers = Any


def add_seed(subparsers: Subparsers) -> None:
    p = subparsers.add_parser(
        "seed",
        help="start a distributed run: push a spider's start requests to Redis ($REDIS_URL)",
        description="Runs `scrapy crawl SPIDER -s FINEWS_ROLE=seed …`: opens a new run (a fresh "
        "request filter), pushes the spider's start requests to the shared queue and exits. "
        "Then start workers anywhere with `scrapy crawl SPIDER` and the same -a arguments. "
        "Prints the run id on stdout. Refuses (exit 1) while the previous run still has "
        "queued requests or busy workers, unless --force.",
    )
    p.add_argument("spider", help="finews, newsshare or eastmoney")
    p.add_argument(
        "-a",
        dest="spargs",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="spider argument (the workers need the same ones)",
    )
    p.add_argument(
        "-s",
        dest="settings",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="Scrapy setting (e.g. REDIS_URL=redis://host:6379/0)",
    )
    p.add_argument("--force", action="store_true", help="seed even if the last run is busy")
    p.set_defaults(func=seed)


def seed(args: argparse.Namespace) -> int:
    given = dict(v.split("=", 1) for v in args.settings if "=" in v)
    redis_url = given.get("REDIS_URL") or resolve("REDIS_URL")
    if not redis_url:
        print("finews seed: set REDIS_URL (or -s REDIS_URL=…)", file=sys.stderr)
        return 2
    argv = ["scrapy", "crawl", args.spider, "-s", "FINEWS_ROLE=seed"]
    if args.force:
        argv += ["-s", "FINEWS_SEED_FORCE=1"]
    for value in args.settings:
        argv += ["-s", value]
    for value in args.spargs:
        argv += ["-a", value]
    status = _scrapy(argv)
    if status == 0:
        prefix = given.get("FINEWS_REDIS_PREFIX") or resolve("FINEWS_REDIS_PREFIX")
        run_id = _current_run(redis_url, prefix, args.spider)
        if run_id:
            print(run_id, flush=True)
    return status


def _scrapy(argv: list[str]) -> int:
    """`scrapy …` in this process (Scrapy logs through its own root handler)."""
    from scrapy.cmdline import execute

    os.environ.setdefault("SCRAPY_SETTINGS_MODULE", "finews_spider.settings")
    for handler in list(logging.root.handlers):
        logging.root.removeHandler(handler)
    try:
        execute(argv)
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    return 0


def _current_run(redis_url: str, prefix: str, spider: str) -> str | None:
    from redis import Redis

    with Redis.from_url(redis_url) as server:
        value = server.get(f"{prefix}:{spider}:run")
    return value.decode() if isinstance(value, bytes) else value


def add_ledger(subparsers: Subparsers) -> None:
    p = subparsers.add_parser(
        "ledger",
        help="a distributed run's ledger: every worker's record in `runs`, summed",
        description="Exit status 0 when every worker finished and the sum balances "
        "(pages = articles + rejected + dead-lettered), 1 when it does not balance, a worker "
        "failed or the run is unknown, 3 when it balances but a worker never finished "
        "(killed, or still running).",
    )
    p.add_argument("run_id", nargs="?", help="run id (default: the latest run)")
    p.add_argument("--spider", help="with no run id: the latest run of this spider")
    p.add_argument("--uri", help="MongoDB URI (default: $MONGO_URI)")
    p.add_argument("--database", help="database (default: $MONGO_DATABASE or finews)")
    p.add_argument("--home", help="finews home (default: $FINEWS_HOME or ./.finews)")
    p.set_defaults(func=show_ledger)


def show_ledger(args: argparse.Namespace) -> int:
    config = resolve_config(uri=args.uri, database=args.database, home=args.home)
    run_id, records, total = asyncio.run(_records(config, args.run_id, args.spider))
    if run_id is None or not records or total is None:
        print(
            f"finews ledger: no records of run {args.run_id or '(latest)'} in `{RUNS}`",
            file=sys.stderr,
        )
        return 1
    print(describe(run_id, records, total))
    if not total["balanced"] or total.get("failed"):
        return 1
    return 3 if unfinished(records) else 0


async def _records(
    config: Any, run_id: str | None, spider: str | None
) -> tuple[str | None, list[dict[str, Any]], dict[str, Any] | None]:
    store = await open_store(config)
    try:
        runs = store.db[RUNS]
        if run_id is None:
            query = {"spider": spider} if spider else {}
            latest = await runs.find_one(query, sort=[("started_at", -1)])
            if latest is None:
                return None, [], None
            run_id = str(latest["run_id"])
        records = [r async for r in runs.find({"run_id": run_id})]
        return run_id, records, await run_ledger(store.db, run_id)
    finally:
        await store.close()
