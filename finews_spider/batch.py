"""Re-process saved pages without Scrapy's engine: `finews batch PATH [PATH …]`.

The same work as `scrapy crawl replay -a path=PATH` (saved pages, recursively, with their
`NAME.meta.json` sidecars) or, with `--from-store`, as `scrapy crawl reparse` (the raw pages
in the store's `pages` collection), done by a pool of worker processes:

    parent: list pages ─ chunks ─▶ ProcessPoolExecutor (process_page, one page at a time)
            ◀─ documents / rejections, in input order ─ ONE Ingestion ─▶ MongoDB

Workers run `process_page` (the whole core, as every crawl); the parent hands the results,
in the order the pages were listed, to one `finews_spider.ingest.run.Ingestion`: the
crawl's ledger and sink (same counts, bulk upserts, versions, rejects, raw pages with their
context JSON, summary line and record in `runs`). This module keeps only what is batch: the
listing, the pool, the chunks in flight (at most `workers * 4`, so memory stays flat however
many pages there are), input order and the progress bar.

Store resolution is the pipeline's: MONGO_URI / MONGO_DATABASE / FINEWS_HOME (the embedded
server when there is no URI) and MONGO_BATCH_SIZE, MONGO_FLUSH_SECONDS,
MONGO_TIMEOUT_SECONDS, MONGO_RETRY_TRIES, MONGO_RETRY_SECONDS from the environment.
The exit status is non-zero when the store is unreachable or the ledger does not balance.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib.util
import logging
import multiprocessing
import os
import signal
import sys
import time
import traceback
import types
from collections.abc import AsyncIterator, Iterator, Mapping
from concurrent.futures import Executor, ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

# Workers import this module to find `process_chunk`: at the top only what they need (the
# core). Scrapy, pymongo and the store are imported where the parent uses them, which keeps
# each worker at about half the memory.
from finews_spider.core import process_page
from finews_spider.ingest.pages import refusal, stored_page, unreadable
from finews_spider.model import (
    Article,
    PageContext,
    Rejection,
    error_code,
    saved_page_context,
)
from finews_spider.normalize.terms import search_terms
from finews_spider.parsing import MAX_PAGE_BYTES
from finews_spider.saved import Refused, folder_of, read_saved, read_sidecar, saved_pages

if TYPE_CHECKING:
    from finews_spider.ingest.run import RunResult
    from finews_spider.store import OpenStore, RetryPolicy, StoreConfig

logger = logging.getLogger("finews.batch")

SPIDER = "batch"  # the name in the summary line and in `runs`


# --------------------------------------------------------------------------- work items

#: One page for a worker. Saved page: ("file", path, request URL, sidecar or its refusal,
#: the folder it must lie in). Stored page:
#: ("store", url, zlib-compressed body, context JSON, content type, body_seen_at).
Job = tuple[Any, ...]


@dataclass
class Outcome:
    """What a worker made of one page."""

    url: str  # the page's address in the ledger (its URL, or its file URL)
    result: Article | Rejection | None  # None: the core failed on this page (see `error`)
    #: the raw page to keep, as a crawl keeps it: (request URL, body, content type header,
    #: context its parse needs)
    page: tuple[str, bytes, str | None, dict[str, Any]] | None = None
    error: str | None = None
    #: an article's search terms, computed here so the parent, which writes, does not
    terms: list[str] | None = None


def saved_job(path: Path, folder: Path | None = None) -> Job:
    """A saved page as `ReplaySpider.start` reads it (the sidecar is read here, in the
    parent; a bad sidecar becomes that page's rejection, as in a replay)."""
    from w3lib.url import safe_url_string

    folder = folder or folder_of(path)
    request_url = safe_url_string(path.as_uri())  # what scrapy.Request(url).url is
    try:
        meta: dict[str, Any] | Refused = read_sidecar(path, folder)
    except Refused as refused:
        meta = refused
    return ("file", str(path), request_url, meta, str(folder))


def process_chunk(jobs: list[Job], names: Mapping[str, Any] | None = None) -> list[Outcome]:
    """Worker side: run the core over a chunk of pages. Never raises for one page.
    `names`: the name table for stored pages (as `ReparseSpider`)."""
    outcomes = [_process_job(job, names) for job in jobs]
    for outcome in outcomes:
        if isinstance(outcome.result, Article):
            outcome.terms = article_terms(outcome.result)
    return outcomes


def article_terms(article: Article) -> list[str]:
    """`store.articles.article_terms` of the article's document, without importing the store
    (and pymongo) into the workers."""
    return search_terms(article.title, article.body_text)


def _process_job(job: Job, names: Mapping[str, Any] | None) -> Outcome:
    if job[0] == "file":
        return _process_saved(*job[1:])
    return _process_stored(*job[1:], names=names)


def _process_saved(
    path: str, request_url: str, meta: dict[str, Any] | Refused, folder: str
) -> Outcome:
    """What `ReplaySpider.start` does with a saved page, the core run whole here (a
    replay parses in the spider and completes in the normalisation pipeline)."""
    if isinstance(meta, Refused):
        return Outcome(request_url, refusal(request_url, meta))
    url = meta.get("url") or request_url
    try:
        body = read_saved(Path(path), Path(folder), MAX_PAGE_BYTES)
    except Refused as refused:  # not read, never stored, as in a replay
        return Outcome(url, refusal(url, refused))
    except OSError as error:  # as in a replay: read, and rejected
        return Outcome(request_url, unreadable(request_url, error_code(error), error))
    # as a crawl keeps a replayed page: a file:// response has no Content-Type header
    page = (request_url, body, None, saved_page_context(meta))
    try:
        return Outcome(url, process_page(url, body, PageContext.from_meta(meta)), page)
    except Exception:
        return Outcome(url, None, page, error=_last_line(traceback.format_exc()))


def _process_stored(
    page_id: str,
    packed: bytes,
    context: str | None,
    content_type: str | None,
    body_seen_at: datetime | None,
    *,
    names: Mapping[str, Any] | None = None,
) -> Outcome:
    """`ReparseSpider.reparse` without the engine: the same `stored_page`, then the core."""
    url = page_id
    try:
        read = stored_page(page_id, packed, context, content_type, body_seen_at, names)
        if isinstance(read, Rejection):
            return Outcome(read.url, read)
        url = read.url
        return Outcome(url, process_page(url, read.body, read.context))
    except Exception:
        return Outcome(url, None, error=_last_line(traceback.format_exc()))


def _last_line(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[-1][:500] if lines else "error"


def _warm_up() -> None:
    """Worker initializer. Ctrl-C is the parent's to handle (it writes what was read, then
    stops the pool); the lazily built pieces (schema validator, regexes) are built now."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    process_page("file:///warm-up.json", b'{"text": "<p>warm</p>"}')


# --------------------------------------------------------------------------- the run


@dataclass
class BatchOptions:
    paths: list[Path] = field(default_factory=list)
    from_store: bool = False
    url_prefix: str | None = None
    workers: int = 0  # 0: default_workers()
    chunk_size: int = 32
    batch_size: int = 200
    flush_seconds: float = 2.0
    timeout_s: float = 5.0
    retry: RetryPolicy = field(default_factory=lambda: _retry_policy())
    progress: bool = True


def _retry_policy(**values: Any) -> RetryPolicy:
    from finews_spider.store import RetryPolicy

    return RetryPolicy(**values)


def default_workers() -> int:
    """One per core less one: the parent (which writes) and a local store need a core too;
    on 2 cores, 2 workers stored no faster than 1 and held about 50 MB more."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cores = os.cpu_count() or 1
    return max(cores - 1, 1)


def options_from_env(env: Mapping[str, str] | None = None, **changes: Any) -> BatchOptions:
    """The MONGO_* tuning settings as the pipeline reads them (environment, then defaults)."""
    from finews_spider.store.config import write_tuning

    tuning = write_tuning(env=env)
    options = BatchOptions(
        batch_size=tuning.batch_size,
        flush_seconds=tuning.flush_seconds,
        timeout_s=tuning.timeout_s,
        retry=_retry_policy(tries=tuning.retry_tries, budget=tuning.retry_seconds),
    )
    for name, value in changes.items():
        if value is not None:
            setattr(options, name, value)
    return options


def run_batch(config: StoreConfig, options: BatchOptions) -> RunResult:
    """Run a batch to the end (synchronously). Raises StoreError when the store cannot be
    opened; everything after that ends in a RunResult."""
    return asyncio.run(_run(config, options))


async def _run(config: StoreConfig, options: BatchOptions) -> RunResult:
    from finews_spider.ingest.run import Ingestion
    from finews_spider.ingest.sink import Sink, SinkOptions
    from finews_spider.store.securities import load_name_table

    started = datetime.now(UTC)
    clock = time.monotonic()
    workers = options.workers or default_workers()
    pool = _start_pool(workers)
    try:
        sink = await Sink.open(
            config,
            SinkOptions(
                batch_size=options.batch_size,
                flush_seconds=options.flush_seconds,
                timeout_s=options.timeout_s,
                retry=options.retry,
            ),
            store_pages=not options.from_store,
            log=logger,
        )
    except BaseException:
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    assert sink.store is not None
    store = sink.store
    logger.info(
        "storing to %s, database %s; %d worker processes", sink.uri, config.database, workers
    )
    run = Ingestion(sink, SPIDER, started)
    reason = "finished"
    try:
        # the total only feeds the progress bar: without one, the tree is walked once
        total = await _count(store, options) if options.progress else None
        with _progress(total, options.progress) as progress:
            jobs = _stored_jobs(store, options) if options.from_store else _saved_jobs(options)
            # As `reparse`: names linked to codes from the master as the run starts.
            names = await load_name_table(store.db) if options.from_store else None
            in_flight = max(workers * 4, 4)
            async for outcomes in _map_chunks(pool, jobs, options.chunk_size, in_flight, names):
                for outcome in outcomes:
                    await run.take(
                        outcome.url,
                        outcome.result,
                        page=outcome.page,
                        error=outcome.error,
                        terms=outcome.terms,
                    )
                progress(len(outcomes))
    except asyncio.CancelledError:
        reason = "shutdown"
        logger.warning("interrupted: writing what was read so far")
    except Exception:
        reason = "failed"
        logger.exception("the batch stopped")
    finally:
        pool.shutdown(wait=reason == "finished", cancel_futures=True)
        try:
            result = await run.finish(reason, time.monotonic() - clock)
        finally:
            await sink.release()
    return result


def _start_pool(workers: int) -> ProcessPoolExecutor:
    """`workers` spawned processes, all started now, importing only the core.

    spawn, not fork: workers never inherit the event loop or the MongoDB client. A spawned
    child imports the parent's `__main__` first (`finews_spider.cli`, which brings pymongo
    and the store into every worker), so while they start this module stands in for it.
    """
    pool = ProcessPoolExecutor(
        workers, mp_context=multiprocessing.get_context("spawn"), initializer=_warm_up
    )
    main = sys.modules.get("__main__")
    stand_in = types.ModuleType("__main__")
    stand_in.__spec__ = importlib.util.find_spec(__name__)
    sys.modules["__main__"] = stand_in
    try:
        # one task per worker, submitted at once: each finds no idle worker and starts one
        started = [pool.submit(os.getpid) for _ in range(workers)]
    finally:
        if main is not None:
            sys.modules["__main__"] = main
    for future in started:
        future.add_done_callback(lambda f: f.exception())  # a failure shows on first use
    return pool


async def _count(store: OpenStore, options: BatchOptions) -> int | None:
    if options.from_store:
        return await store.db.pages.count_documents(_store_query(options))
    return sum(1 for root in options.paths for _ in saved_pages(root))


async def _saved_jobs(options: BatchOptions) -> AsyncIterator[Job]:
    for root in options.paths:
        folder = folder_of(root)
        for path in saved_pages(root):
            yield saved_job(path, folder)


def _store_query(options: BatchOptions) -> dict[str, Any]:
    if not options.url_prefix:
        return {}
    return {"_id": {"$gte": options.url_prefix, "$lt": options.url_prefix + "\uffff"}}


async def _stored_jobs(store: OpenStore, options: BatchOptions) -> AsyncIterator[Job]:
    fields = {"body": 1, "context": 1, "content_type": 1, "body_seen_at": 1}
    cursor = store.db.pages.find(_store_query(options), fields).sort("_id", 1)
    async for page in cursor.batch_size(200):
        yield (
            "store",
            page["_id"],
            bytes(page["body"]),
            page.get("context"),
            page.get("content_type"),
            page.get("body_seen_at"),
        )


async def _map_chunks(
    pool: Executor,
    jobs: AsyncIterator[Job],
    chunk_size: int,
    in_flight: int,
    names: Mapping[str, Any] | None = None,
) -> AsyncIterator[list[Outcome]]:
    """Chunks of outcomes in input order. A producer task keeps up to `in_flight` chunks
    submitted while the caller awaits the store, so the workers do not wait for it."""
    queue: asyncio.Queue[asyncio.Future[list[Outcome]] | BaseException | None]
    queue = asyncio.Queue(maxsize=max(in_flight, 1))

    async def produce() -> None:
        try:
            chunk: list[Job] = []
            async for job in jobs:
                chunk.append(job)
                if len(chunk) >= chunk_size:
                    await queue.put(asyncio.wrap_future(pool.submit(process_chunk, chunk, names)))
                    chunk = []
            if chunk:
                await queue.put(asyncio.wrap_future(pool.submit(process_chunk, chunk, names)))
            await queue.put(None)
        except asyncio.CancelledError:
            raise
        except BaseException as exc:  # listing failed: the consumer raises it
            await queue.put(exc)

    producer = asyncio.get_running_loop().create_task(produce())
    try:
        while (item := await queue.get()) is not None:
            if isinstance(item, BaseException):
                raise item
            yield await item
    finally:
        producer.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await producer
        while not queue.empty():
            item = queue.get_nowait()
            if isinstance(item, asyncio.Future):
                item.cancel()


# --------------------------------------------------------------------------- progress


@contextlib.contextmanager
def _progress(total: int | None, enabled: bool, stream: TextIO | None = None) -> Iterator[Any]:
    """A tqdm bar on a terminal; elsewhere (or without tqdm) a line every 10 seconds."""
    stream = stream or sys.stderr
    if not enabled:
        yield lambda n: None
        return
    if stream.isatty():
        try:
            from tqdm import tqdm
        except ImportError:
            pass
        else:
            with tqdm(total=total, unit="page", file=stream, smoothing=0.1) as bar:
                yield bar.update
            return
    started = time.monotonic()
    state = {"done": 0, "shown": started}

    def update(n: int) -> None:
        state["done"] += n
        now = time.monotonic()
        if now - state["shown"] >= 10:
            state["shown"] = now
            rate = state["done"] / max(now - started, 1e-9)
            of = f"/{total:,}" if total is not None else ""
            print(f"batch: {state['done']:,}{of} pages, {rate:,.0f}/s", file=stream, flush=True)

    yield update
