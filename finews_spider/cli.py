"""The `finews` command.

Each subcommand is an `add_<name>(subparsers)` function listed in COMMANDS that registers
its parser and sets `func` (args -> exit status); adding one is adding such a function.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import sys
from collections.abc import Callable
from pathlib import Path
from types import FrameType
from typing import Any

from finews_spider import version
from finews_spider.analysis.cli import COMMANDS as ANALYSIS_COMMANDS
from finews_spider.distributed.cli import add_ledger, add_seed
from finews_spider.exits import EXIT_STATUSES, OK, USAGE, classify
from finews_spider.securities_cli import add_securities
from finews_spider.store import (
    EmbeddedServer,
    StoreConfig,
    WriteCounts,
    ensure_collections,
    open_store,
    redact,
    resend_dead_letters,
    resolve_config,
)
from finews_spider.store.setup import default_appname

Subparsers = Any  # argparse's _SubParsersAction is private


def add_store_options(parser: argparse.ArgumentParser, *, uri: bool = True) -> None:
    parser.add_argument("--home", help="finews home (default: $FINEWS_HOME or ./.finews)")
    if uri:
        parser.add_argument("--uri", help="MongoDB URI (default: $MONGO_URI, else embedded)")
        parser.add_argument("--database", help="database (default: $MONGO_DATABASE or finews)")


def add_serve(subparsers: Subparsers) -> None:
    p = subparsers.add_parser("serve", help="serve the embedded store on a local port")
    add_store_options(p, uri=False)
    p.add_argument("--port", type=int, default=27017, help="port (default 27017; 0: any)")
    p.add_argument("--host", default="127.0.0.1", help="interface (default 127.0.0.1)")
    p.set_defaults(func=serve)


def serve(args: argparse.Namespace) -> int:
    config = resolve_config(home=args.home)
    server = EmbeddedServer(config.home, host=args.host, port=args.port)
    uri = server.start()
    print(
        f"serving {server.data_dir} at {uri}\n"
        f"  pymongo: MongoClient({uri!r})\n"
        f"  mongosh: mongosh {uri}{config.database}\n"
        f"  Compass: {uri}\n"
        "Ctrl-C to stop.",
        flush=True,
    )
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        status = server.wait()
        print(f"the server exited ({status}); log: {server.log_path}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("stopping…", file=sys.stderr)
        return 0
    finally:
        server.stop()


def add_resend(subparsers: Subparsers) -> None:
    p = subparsers.add_parser(
        "resend-dead-letters", help="write the dead letters again (idempotent)"
    )
    add_store_options(p)
    p.add_argument(
        "path", nargs="?", help="a file or directory (default: FINEWS_HOME/dead_letters)"
    )
    p.set_defaults(func=resend)


def resend(args: argparse.Namespace) -> int:
    config = resolve_config(uri=args.uri, database=args.database, home=args.home)
    path = Path(args.path) if args.path else config.dead_letter_dir
    if args.path and not path.exists():
        # A path given by hand that is not there is a typo, not "nothing to do".
        print(f"finews resend-dead-letters: {path} does not exist; check the path", file=sys.stderr)
        return USAGE
    if not path.exists() or (path.is_dir() and not any(path.glob("*.jsonl"))):
        print(f"no dead letters in {path}", file=sys.stderr)
        return OK
    counts = asyncio.run(_resend(config, path))
    print(", ".join(f"{name} {n}" for name, n in counts.as_dict().items()))
    return 1 if counts.dead_lettered else 0


async def _resend(config: StoreConfig, path: Path) -> WriteCounts:
    store = await open_store(config)
    print(f"sending {path} to {redact(store.uri)}, database {config.database}", flush=True)
    try:
        return await resend_dead_letters(store.db, path)
    finally:
        await store.close()


def add_init_db(subparsers: Subparsers) -> None:
    p = subparsers.add_parser(
        "init-db",
        help="create or update the collections, validator and indexes (an administrator's job)",
        description="Makes the database what the article contract says, changing only what "
        "differs: the collections, the articles $jsonSchema validator (collMod: needs the "
        "dbAdmin role) and the indexes. Crawls need only readWrite; run this with an "
        "administrator's MONGO_URI after an upgrade that changes the contract.",
    )
    add_store_options(p)
    p.set_defaults(func=init_db)


def init_db(args: argparse.Namespace) -> int:
    config = resolve_config(uri=args.uri, database=args.database, home=args.home)
    changed = asyncio.run(_init_db(config))
    print(f"{config.database}: " + (", ".join(changed) if changed else "up to date"))
    return OK


async def _init_db(config: StoreConfig) -> list[str]:
    store = await open_store(config, setup=False, appname=default_appname("init-db"))
    try:
        return await ensure_collections(store.db, admin=True)
    finally:
        await store.close()


def add_batch(subparsers: Subparsers) -> None:
    p = subparsers.add_parser(
        "batch",
        help="re-process saved pages (or the stored pages) in worker processes, no engine",
        description="The work of `scrapy crawl replay -a path=PATH` (or, with --from-store, "
        "of `scrapy crawl reparse`) without Scrapy's engine: the core runs in worker "
        "processes, one ArticleWriter stores the results. Same documents, rejects, pages, "
        "summary line and ledger as the crawl; exit status 1 when the store is unreachable "
        "or the ledger does not balance.",
    )
    add_store_options(p)
    p.add_argument("paths", nargs="*", metavar="PATH", help="saved pages: files or folders")
    p.add_argument(
        "--from-store", action="store_true", help="the raw pages in the store (as reparse)"
    )
    p.add_argument("--url-prefix", help="with --from-store: only pages whose URL starts so")
    p.add_argument("--workers", type=int, help="worker processes (default: one per core less one)")
    p.add_argument("--chunk-size", type=int, help="pages per worker task (default 32)")
    p.add_argument(
        "--batch-size", type=int, help="writes per bulk (default $MONGO_BATCH_SIZE or 200)"
    )
    p.add_argument("--no-progress", action="store_true", help="no progress bar or lines")
    p.set_defaults(func=batch)


def batch(args: argparse.Namespace) -> int:
    from finews_spider.batch import options_from_env, run_batch

    if bool(args.paths) == bool(args.from_store):
        print("finews batch: give PATH… or --from-store (one of the two)", file=sys.stderr)
        return 2
    missing = [path for path in args.paths if not Path(path).exists()]
    if missing:
        print(f"finews batch: {missing[0]} does not exist", file=sys.stderr)
        return 2
    config = resolve_config(uri=args.uri, database=args.database, home=args.home)
    options = options_from_env(
        paths=[Path(path) for path in args.paths],
        from_store=args.from_store,
        url_prefix=args.url_prefix,
        workers=args.workers,
        chunk_size=args.chunk_size,
        batch_size=args.batch_size,
        progress=not args.no_progress,
    )
    try:
        result = run_batch(config, options)
    except KeyboardInterrupt:
        return 130
    return 0 if result.ok else 1


COMMANDS: list[Callable[[Subparsers], None]] = [
    add_serve,
    add_init_db,
    add_resend,
    add_batch,
    add_seed,
    add_ledger,
    add_securities,
    *ANALYSIS_COMMANDS,
]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="finews",
        description=__doc__.splitlines()[0],
        epilog="Exit statuses: "
        + "; ".join(f"{code} {text.split(':')[0]}" for code, text in EXIT_STATUSES.items()),
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {version()}")
    add_loudness(parser, argparse.SUPPRESS)
    subparsers = parser.add_subparsers(title="commands", metavar="COMMAND")
    for add in COMMANDS:
        add(subparsers)
    for command in subparsers.choices.values():
        # after the command too (`finews ledger RUN -q`), without resetting one given before
        add_loudness(command, argparse.SUPPRESS)
    return parser


def add_loudness(parser: argparse.ArgumentParser, default: Any) -> None:
    loudness = parser.add_mutually_exclusive_group()
    loudness.add_argument(
        "-v", "--verbose", action="count", default=default, help="more log lines (-vv: debug)"
    )
    loudness.add_argument(
        "-q", "--quiet", action="store_true", default=default, help="warnings and errors only"
    )


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not hasattr(args, "func"):
        parser.print_help(sys.stderr)
        return USAGE
    quiet, verbose = getattr(args, "quiet", False), getattr(args, "verbose", 0)
    level = logging.WARNING if quiet else logging.DEBUG if verbose > 1 else logging.INFO
    logging.basicConfig(
        level=level,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    if quiet or verbose:
        # `finews seed` runs `scrapy crawl` in this process: the same loudness there.
        os.environ["FINEWS_LOG_LEVEL"] = logging.getLevelName(level)
    try:
        return int(args.func(args))
    except KeyboardInterrupt:
        return 130
    except Exception as exc:
        known = classify(exc)
        if known is None or level == logging.DEBUG:
            raise
        status, line = known
        print(f"finews: {line}", file=sys.stderr)
        return status


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


if __name__ == "__main__":
    raise SystemExit(main())
