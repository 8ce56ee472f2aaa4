"""ArticleWriter: articles, rejections and raw pages, buffered and written in bulk.

Buffered writes are flushed in the background by size (`batch_size` writes of one kind), by
age (when no write is in flight) and at close. A batch is taken out of the buffer *before*
anything is awaited: otherwise concurrent flushes lose items (storage notes).
Batches are written one at a time, in order (within one, its articles, rejects and pages at
once); at most `max_queued` wait their turn, then `add` waits too (the crawl slows down to
the store's pace instead of piling writes up in memory). Network faults are retried with
backoff; what still cannot be written goes to a dead-letter file, never nowhere.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import hashlib
import json
import logging
import time
import zlib
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from bson import Binary
from pymongo import InsertOne, ReplaceOne, UpdateOne
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import BulkWriteError, ConnectionFailure, OperationFailure

from finews_spider.model import Rejection
from finews_spider.store import securities
from finews_spider.store.articles import (
    ArticleOp,
    Plan,
    UnsafeDocument,
    plan_article,
    prepare,
    version_hashes,
)
from finews_spider.store.config import resolve_config
from finews_spider.store.deadletters import DeadLetterFile, Pending
from finews_spider.store.setup import (
    ARTICLE_VERSIONS,
    ARTICLES,
    PAGES,
    REJECTS,
    RUNS,
    UNAUTHORIZED,
)

logger = logging.getLogger(__name__)

Doc = dict[str, Any]
T = TypeVar("T")

_MAX_PAGE_BYTES = 15 * 1024 * 1024  # compressed; MongoDB's document limit is 16 MiB
_DUPLICATE_KEY = 11000


def utcnow() -> datetime:
    """Now, to the millisecond BSON keeps (so what is read back compares equal)."""
    now = datetime.now(UTC)
    return now.replace(microsecond=now.microsecond // 1000 * 1000)


@dataclass
class RetryPolicy:
    """Retries of one database call on network faults, with exponential backoff."""

    tries: int = 5
    first_delay: float = 0.5
    max_delay: float = 8.0
    #: seconds for all tries of one call; after giving up, calls fail at once for as long
    #: (the store is down: items go straight to dead letters instead of stalling the crawl)
    budget: float = 30.0


@dataclass
class WriteCounts:
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    refused: int = 0  # articles the store refused; each is in `rejects` (stage store)
    rejects: int = 0
    pages_stored: int = 0
    pages_unchanged: int = 0
    runs: int = 0  # run ledger records written to `runs`
    dead_lettered: int = 0  # writes of every kind (articles, rejects, pages, runs)
    dead_lettered_articles: int = 0  # article items among them: the ledger's share
    retries: int = 0

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


class _StoreDown(Exception):
    """Retries exhausted: the caller dead-letters what it was writing."""


class ArticleWriter:
    def __init__(
        self,
        db: AsyncDatabase[Doc],
        *,
        batch_size: int = 200,
        flush_seconds: float = 2.0,
        retry: RetryPolicy | None = None,
        dead_letter_dir: Path | None = None,
        replay: bool = False,
        conflict_rounds: int = 5,
        max_queued: int = 2,
    ) -> None:
        """`flush_seconds` <= 0: no age-based flush. `replay`: items come from dead letters.
        `max_queued`: batches taken out of the buffer and not yet written, beyond which
        `add` and `add_rejection` wait for the oldest to be written."""
        self.db = db
        self.batch_size = max(batch_size, 1)
        self.flush_seconds = flush_seconds
        self.retry = retry or RetryPolicy()
        self.replay = replay
        self.conflict_rounds = conflict_rounds
        self.max_queued = max(max_queued, 1)
        self.dead_letters = DeadLetterFile(dead_letter_dir or resolve_config().dead_letter_dir)
        self.counts = WriteCounts()
        self._buf: list[Pending] = []
        #: buffered items per kind: `batch_size` bounds each kind's bulk, so an article's raw
        #: page riding along does not halve the articles a batch writes
        self._kinds: collections.Counter[str] = collections.Counter()
        self._oldest: float | None = None
        self._lock = asyncio.Lock()
        self._tasks: set[asyncio.Task[None]] = set()
        self._closing = asyncio.Event()
        self._ticker: asyncio.Task[None] | None = None
        self._down_at: float | None = None
        #: resolved when the next background write ends (one future shared by all waiters)
        self._written: asyncio.Future[None] | None = None
        #: whole documents proven valid client-side skip the server's re-check, until the
        #: server refuses the bypass (a user without the bypassDocumentValidation action)
        self.bypass_validation = True

    @property
    def dead_letter_path(self) -> Path | None:
        return self.dead_letters.path

    # -- adding -----------------------------------------------------------------------

    async def add(
        self, item: Doc, *, seen_at: datetime | None = None, terms: list[str] | None = None
    ) -> None:
        """Buffer one article document (the item itself is not modified). `terms`: its
        `article_terms`, when computed already (see `prepare`)."""
        seen_at = seen_at or utcnow()
        try:
            doc = prepare(item, terms)
        except UnsafeDocument as exc:
            refusal = self._refuse(Pending("article", dict(item), seen_at), f"not written: {exc}")
            self._append(refusal)
            await self._flush_if_due()
            return
        # An id already in the buffer needs no flush: `_waves` writes it after the first.
        self._append(Pending("article", doc, seen_at))
        await self._flush_if_due()

    async def add_rejection(self, rejection: Rejection, *, seen_at: datetime | None = None) -> None:
        self._append(Pending("reject", rejection.as_dict(), seen_at or utcnow()))
        await self._flush_if_due()

    def add_page(
        self,
        url: str,
        body: bytes,
        content_type: str | None = None,
        *,
        context: str | None = None,
        seen_at: datetime | None = None,
    ) -> None:
        """Buffer a raw page. Not async (signal handlers cannot await): when the buffer is
        due, a background task flushes it. `context` is what `reparse` needs besides the
        bytes (the article URL, fetch time, list record), as a JSON string: page data is
        never stored as keys."""
        doc = {
            "url": str(url),
            "body": bytes(body),
            "content_type": content_type,
            "context": context,
        }
        self._append(Pending("page", doc, seen_at or utcnow()))
        if self._due():
            self._start_flush()

    async def add_run(self, record: Doc) -> None:
        """Buffer a run's ledger record (for `runs`), dead-lettered like any write when the
        store cannot take it."""
        self._append(Pending("run", record, utcnow()))
        await self._flush_if_due()

    async def add_pending(self, pending: Pending) -> None:
        """Re-add a dead letter."""
        if pending.kind == "article":
            await self.add(pending.doc, seen_at=pending.seen_at)
        elif pending.kind == "reject":
            await self.add_rejection(Rejection(**pending.doc), seen_at=pending.seen_at)
        elif pending.kind == "run":
            await self.add_run(pending.doc)
        else:
            doc = pending.doc
            self.add_page(
                doc["url"],
                doc["body"],
                doc.get("content_type"),
                context=doc.get("context"),
                seen_at=pending.seen_at,
            )

    # -- flushing ---------------------------------------------------------------------

    async def flush(self) -> None:
        """Write everything buffered so far (and wait for earlier batches)."""
        # Shielded: a cancelled caller does not abort a half-written batch; close() waits.
        await asyncio.shield(self._start_flush())

    def _start_flush(self) -> asyncio.Task[None]:
        batch, self._buf = self._buf, []  # swap first: adds during the write go to a new list
        self._kinds = collections.Counter()
        self._oldest = None
        return self._spawn(self._write_in_turn(batch))

    async def close(self) -> None:
        """Stop the timer, write everything, wait for background writes."""
        self._closing.set()
        if self._ticker is not None:
            await self._ticker
            self._ticker = None
        await self.flush()
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    def _append(self, pending: Pending) -> None:
        self._buf.append(pending)
        self._kinds[pending.kind] += 1
        if self._oldest is None:
            self._oldest = time.monotonic()
        if self._ticker is None and self.flush_seconds > 0 and not self._closing.is_set():
            self._ticker = asyncio.get_running_loop().create_task(self._tick())

    def _due(self) -> bool:
        if max(self._kinds.values(), default=0) >= self.batch_size:
            return True
        return not self._tasks and self._aged()

    def _aged(self) -> bool:
        """The buffer is older than `flush_seconds`. It is flushed by age only when no write
        is in flight: a store slower than the age would otherwise get ever smaller batches,
        each costing it a round trip per kind (the buffer fills while it waits)."""
        age = 0.0 if self._oldest is None else time.monotonic() - self._oldest
        return self.flush_seconds > 0 and age >= self.flush_seconds

    async def _flush_if_due(self) -> None:
        if self._due():
            # In the background, as a raw page's flush: the caller goes on reading while the
            # batch is written, and waits below only once `max_queued` batches are waiting.
            self._start_flush()
        while len(self._tasks) > self.max_queued:
            # The store is behind: wait for a batch to be written instead of queueing more,
            # on one future all waiters share (asyncio.wait over the queued tasks costs each
            # waiter a callback per queued task every time a batch ends).
            if self._written is None or self._written.done():
                self._written = asyncio.get_running_loop().create_future()
            await asyncio.shield(self._written)

    async def _tick(self) -> None:
        interval = max(self.flush_seconds / 4, 0.05)
        while not self._closing.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._closing.wait(), interval)
            if self._buf and not self._closing.is_set() and self._due():
                await self.flush()

    def _spawn(self, coro: Coroutine[Any, Any, None]) -> asyncio.Task[None]:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._task_done)
        return task

    def _task_done(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        written, self._written = self._written, None
        if written is not None and not written.done():
            written.set_result(None)
        if not self._tasks and self._buf and not self._closing.is_set() and self._aged():
            self._start_flush()  # the age flush held back while the store was busy
        if not task.cancelled() and task.exception() is not None:
            logger.error("store write failed", exc_info=task.exception())

    async def _write_in_turn(self, batch: list[Pending]) -> None:
        try:
            async with self._lock:  # FIFO: batches are written in the order they were taken
                await self._write(batch)
        except asyncio.CancelledError:
            self._dead_letter(batch, "cancelled while writing")  # resending is idempotent
            raise

    async def _write(self, batch: list[Pending]) -> None:
        """One batch: the articles (then the rejects their refusals became), the rejects and
        the raw pages at once, as the three touch different documents; the runs' records
        after all of them (a run's record follows everything its run wrote)."""
        articles = [p for p in batch if p.kind == "article"]
        rejects = [p for p in batch if p.kind == "reject"]
        pages = [p for p in batch if p.kind == "page"]
        runs = [p for p in batch if p.kind == "run"]

        async def articles_then_refusals() -> None:
            refusals: list[Pending] = []
            for wave in _waves(articles):
                refusals += await self._write_articles(wave)
            await self._write_kind("rejects", refusals, self._write_rejects)

        await asyncio.gather(
            articles_then_refusals(),
            self._write_kind("rejects", rejects, self._write_rejects),
            self._write_kind("pages", pages, self._write_pages),
        )
        await self._write_kind("runs", runs, self._write_runs)

    async def _write_kind(
        self, kind: str, items: list[Pending], write: Callable[[list[Pending]], Awaitable[None]]
    ) -> None:
        """Write one kind's items; whatever the store does not take is dead-lettered."""
        if not items:
            return
        try:
            await write(items)
        except Exception as exc:
            self._dead_letter(items, f"{kind}: {type(exc).__name__}: {exc}")

    # -- articles ---------------------------------------------------------------------

    async def _write_articles(self, items: list[Pending]) -> list[Pending]:
        """Write; return the refusals (as rejects) for the caller to store."""
        refusals: list[Pending] = []
        pending = items
        master = securities.Delta()
        try:
            for _ in range(self.conflict_rounds):
                if not pending:
                    break
                pending = await self._article_round(pending, refusals, master)
            if pending:
                self._dead_letter(pending, "the stored documents kept changing under this writer")
        except Exception as exc:
            self._dead_letter(pending, f"articles: {type(exc).__name__}: {exc}")
        if master and self._down_at is None:
            # The master follows the articles in the same write (with the store down, the
            # dead letters' resend recounts it).
            tries = 0

            async def write_master() -> int:
                nonlocal tries
                tries += 1
                if tries > 1:  # an addition that landed before the fault would count twice
                    master.recompute_added()
                return await master.apply(self.db)

            try:
                await self._retrying(write_master)
            except Exception as exc:
                # The articles are stored; only the master lags (an error fails the crawl).
                logger.error(
                    "securities master not refreshed for %d securities (%s: %s); "
                    "run `finews securities --rebuild`",
                    len(master.adds.keys() | master.exact),
                    type(exc).__name__,
                    str(exc)[:300],
                )
        return refusals

    async def _article_round(
        self, pending: list[Pending], refusals: list[Pending], master: securities.Delta
    ) -> list[Pending]:
        """Plan from the stored state, write, and return the items to plan again."""
        stored = await self._find(ARTICLES, [p.doc["_id"] for p in pending])
        earlier = await self._earlier_hashes(pending, stored)
        plans = [self._plan(p, stored.get(p.doc["_id"]), earlier) for p in pending]
        pending, plans = await self._archive(pending, plans, refusals)
        with_op = [(p, plan) for p, plan in zip(pending, plans, strict=True) if plan.op]
        matched, errors = await self._write_ops([plan for _, plan in with_op])
        again: list[Pending] = []
        failed: set[int] = set()
        for error in errors:
            index = int(error["index"])
            failed.add(index)
            p, plan = with_op[index]
            if error.get("code") == _DUPLICATE_KEY and not plan.guarded and _on_id(error):
                again.append(p)  # inserted by another writer meanwhile: plan again
            else:
                refusals.append(self._refuse(p, _server_message(error)))
        guarded = [
            (i, p) for i, (p, plan) in enumerate(with_op) if plan.guarded and i not in failed
        ]
        raced: set[int] = set()
        if matched < len(guarded):
            # A guard did not match: a concurrent writer moved the document. Plan again
            # only the items whose effect the stored document does not already show.
            now = await self._find(ARTICLES, [p.doc["_id"] for _, p in guarded])
            for index, p in guarded:
                raced.add(index)  # which of them landed is unknown: recount their securities
                master.recompute(stored.get(p.doc["_id"]), now.get(p.doc["_id"]))
                if self._plan(p, now.get(p.doc["_id"]), earlier).op is not None:
                    failed.add(index)
                    again.append(p)
        if self.replay:
            for p, plan in zip(pending, plans, strict=True):
                if plan.op is None:
                    master.recompute(stored.get(p.doc["_id"]), plan.item)
        for index, (p, plan) in enumerate(with_op):
            if index in failed or index in raced:
                continue
            before = stored.get(p.doc["_id"])
            if self.replay or plan.reparsed:
                # A resent dead letter recounts (the master write may be what failed), and
                # a parser's new output too (it brings articles and master up to date).
                if _master_fields(before) != _master_fields(plan.after) or self.replay:
                    master.recompute(before, plan.after)
            else:
                master.article(before, plan.after)
        for index, (_, plan) in enumerate(with_op):
            if index not in failed:
                self._count(plan.outcome)
        for p, plan in zip(pending, plans, strict=True):
            if plan.op is None:
                self._count(p.outcome or plan.outcome)
        return again

    async def _write_ops(self, plans: list[Plan]) -> tuple[int, list[Doc]]:
        """The round's article ops: the inserts and replaces of documents the contract
        proves valid without the server's validator, the rest (updates, anything unproven)
        with it. One wave holds one op per id, so the two writes are independent."""
        ops: list[ArticleOp] = [plan.op for plan in plans if plan.op is not None]
        proven = [self.bypass_validation and plan.proven for plan in plans]
        if not any(proven):
            return await self._bulk(ARTICLES, ops)
        matched, errors = 0, []
        for bypass in (True, False):
            indices = [i for i, p in enumerate(proven) if p is bypass]
            if not indices:
                continue
            n, errs = await self._bulk(ARTICLES, [ops[i] for i in indices], bypass=bypass)
            matched += n
            errors += [{**e, "index": indices[int(e["index"])]} for e in errs]
        return matched, errors

    async def _archive(
        self, pending: list[Pending], plans: list[Plan], refusals: list[Pending]
    ) -> tuple[list[Pending], list[Plan]]:
        """Archive the previous versions before their replace (a crash in between loses no
        version). An item whose archive the store refuses is not replaced: it becomes a
        reject (stage store) and the stored version stays. Returns the items to write."""
        indexed = [i for i, plan in enumerate(plans) if plan.archive is not None]
        if not indexed:
            return pending, plans
        archives = [a for i in indexed if (a := plans[i].archive) is not None]
        _, errors = await self._bulk(ARTICLE_VERSIONS, [_archive_op(a) for a in archives])
        refused: set[int] = set()
        for error in errors:
            if error.get("code") == _DUPLICATE_KEY and _on_id(error):
                continue  # archived by another writer meanwhile: the version is kept
            index = indexed[int(error["index"])]
            refused.add(index)
            message = f"the previous version could not be archived: {_server_message(error)}"
            refusals.append(self._refuse(pending[index], message, reason="archive_refused"))
        if not refused:
            return pending, plans
        keep = [i for i in range(len(pending)) if i not in refused]
        return [pending[i] for i in keep], [plans[i] for i in keep]

    async def _earlier_hashes(
        self, pending: list[Pending], stored: dict[str, Doc]
    ) -> set[tuple[str, str]]:
        """(article id, content hash) pairs already archived as earlier versions, for the
        items whose content differs from the stored one. Two routes that serve different
        bodies for one article would otherwise add a version on every run, flipping back
        and forth; content seen before only adds its URL."""
        differing = [
            p.doc
            for p in pending
            if p.doc["_id"] in stored
            and stored[p.doc["_id"]].get("content_hash") != p.doc["content_hash"]
        ]
        if not differing:
            return set()

        async def run() -> set[tuple[str, str]]:
            # Every archived version of these articles: a version also stands for the
            # instants other routes gave its text (see version_hashes).
            cursor = self.db[ARTICLE_VERSIONS].find(
                {"article_id": {"$in": list({d["_id"] for d in differing})}},
                {
                    "article_id": 1,
                    "doc.content_hash": 1,
                    "doc.title": 1,
                    "doc.body_text": 1,
                    "doc.published_at_routes": 1,
                },
            )
            return {(v["article_id"], h) async for v in cursor for h in version_hashes(v["doc"])}

        return await self._retrying(run)

    def _plan(self, p: Pending, stored: Doc | None, earlier: set[tuple[str, str]]) -> Plan:
        seen_before = (p.doc["_id"], p.doc["content_hash"]) in earlier
        plan = plan_article(p.doc, stored, p.seen_at, replay=self.replay, seen_before=seen_before)
        if plan.op is not None:
            p.outcome = plan.outcome  # a no-op plan next round means this write landed
        return plan

    def _count(self, outcome: str) -> None:
        setattr(self.counts, outcome, getattr(self.counts, outcome) + 1)

    def _refuse(self, p: Pending, message: str, reason: str = "store_refused") -> Pending:
        """An article the store will not take becomes a reject (stage store), never nothing."""
        doc = p.doc
        logger.warning("store refused article %s: %s", doc.get("_id"), message[:300])
        page_kind = doc.get("page_kind")
        rejection = Rejection(
            url=str(doc.get("url") or doc.get("_id") or "(no url)"),
            stage="store",
            reason=reason,
            detail=message[:2000],
            excerpt=str(doc.get("body_text") or doc.get("title") or "")[:500],
            page_kind=page_kind if isinstance(page_kind, str) else None,
        )
        self.counts.refused += 1
        return Pending("reject", rejection.as_dict(), p.seen_at)

    # -- rejects and pages --------------------------------------------------------------

    async def _write_rejects(self, items: list[Pending]) -> None:
        ops = [_reject_op(p) for p in items]
        _, errors = await self._bulk(REJECTS, ops)
        # Two writers upserting the same new key: one gets a duplicate key; once more.
        again = [int(e["index"]) for e in errors if e.get("code") == _DUPLICATE_KEY]
        if again:
            _, errors2 = await self._bulk(REJECTS, [ops[i] for i in again])
            errors = [e for e in errors if int(e["index"]) not in again]
            errors += [{**e, "index": again[int(e["index"])]} for e in errors2]
        failed = sorted({int(e["index"]) for e in errors})
        if failed:
            self._dead_letter([items[i] for i in failed], _server_message(errors[0]))
        self.counts.rejects += len(items) - len(failed)

    async def _write_pages(self, items: list[Pending]) -> None:
        latest = {p.doc["url"]: p for p in items}  # fetched twice in a batch: the later one
        stored = await self._find(PAGES, list(latest), {"sha256": 1})
        ops: list[InsertOne[Doc] | UpdateOne] = []
        upserts: list[UpdateOne] = []  # each op as an upsert, for a page raced in
        kept: list[Pending] = []
        unchanged = 0
        for url, p in latest.items():
            body: bytes = p.doc["body"]
            digest = hashlib.sha256(body).hexdigest()
            seen = {"$min": {"first_seen_at": p.seen_at}, "$max": {"last_seen_at": p.seen_at}}
            if stored.get(url, {}).get("sha256") == digest:
                # same body: never stored twice
                op = UpdateOne({"_id": url}, {"$set": {"context": p.doc.get("context")}, **seen})
                ops.append(op)
                upserts.append(op)
                unchanged += 1
            else:
                packed = zlib.compress(body, 6)
                if len(packed) > _MAX_PAGE_BYTES:
                    logger.warning("page %s not stored: %d bytes compressed", url, len(packed))
                    continue
                fields = {
                    "body": Binary(packed),
                    "content_type": p.doc.get("content_type"),
                    "sha256": digest,
                    "size": len(body),
                    "context": p.doc.get("context"),
                    "body_seen_at": p.seen_at,  # when this body was read
                }
                upsert = UpdateOne({"_id": url}, {"$set": fields, **seen}, upsert=True)
                # A page not stored yet is inserted: on SecantusDB one insert command is one
                # transaction, an upsert one each.
                ops.append(upsert if url in stored else _insert_page(url, fields, p.seen_at))
                upserts.append(upsert)
            kept.append(p)
        _, errors = await self._bulk(PAGES, ops)
        raced = [
            int(e["index"])
            for e in errors
            if e.get("code") == _DUPLICATE_KEY and isinstance(ops[int(e["index"])], InsertOne)
        ]
        if raced:
            # Inserted by another writer meanwhile: upserted as the page's newer body.
            again = [upserts[i] for i in raced]
            _, errors2 = await self._bulk(PAGES, again)
            errors = [e for e in errors if int(e["index"]) not in raced]
            errors += [{**e, "index": raced[int(e["index"])]} for e in errors2]
        failed = {int(e["index"]) for e in errors}
        if failed:
            self._dead_letter([kept[i] for i in sorted(failed)], _server_message(errors[0]))
        self.counts.pages_unchanged += unchanged
        self.counts.pages_stored += len(kept) - unchanged - len(failed)

    async def _write_runs(self, items: list[Pending]) -> None:
        ops = [ReplaceOne({"_id": p.doc["_id"]}, p.doc, upsert=True) for p in items]
        _, errors = await self._bulk(RUNS, ops)
        failed = sorted({int(e["index"]) for e in errors})
        if failed:
            self._dead_letter([items[i] for i in failed], _server_message(errors[0]))
        self.counts.runs += len(items) - len(failed)

    # -- database calls, retries, dead letters --------------------------------------------

    async def _find(
        self, name: str, ids: Sequence[str], projection: Doc | None = None
    ) -> dict[str, Doc]:
        async def run() -> dict[str, Doc]:
            # all in the first reply (one more than can match: a full batch leaves the cursor
            # open, and its getMore is one more round trip)
            query = {"_id": {"$in": list(ids)}}
            cursor = self.db[name].find(query, projection, batch_size=len(ids) + 1)
            return {doc["_id"]: doc async for doc in cursor}

        return await self._retrying(run)

    async def _bulk(
        self, name: str, ops: Sequence[Any], *, bypass: bool = False
    ) -> tuple[int, list[Doc]]:
        """(documents matched, write errors): one refused op does not stop the others.
        `bypass`: without the collection's validator, for documents proven valid; a server
        that refuses the bypass (no bypassDocumentValidation action) gets them validated."""
        if not ops:
            return 0, []

        async def run() -> tuple[int, list[Doc]]:
            skip = bypass and self.bypass_validation
            try:
                options = {"bypass_document_validation": True} if skip else {}
                result = await self.db[name].bulk_write(list(ops), ordered=False, **options)
            except BulkWriteError as exc:
                details = exc.details
                return int(details.get("nMatched", 0)), list(details.get("writeErrors", []))
            except OperationFailure as exc:
                if not skip or exc.code not in UNAUTHORIZED:
                    raise
                self.bypass_validation = False
                logger.warning(
                    "the store refused bypassDocumentValidation (%s): the server validates "
                    "every article from now on (grant the action, see README, to skip it)",
                    str(exc)[:200],
                )
                return await run()
            return result.matched_count, []

        return await self._retrying(run)

    async def _retrying(self, call: Callable[[], Awaitable[T]]) -> T:
        policy = self.retry
        if self._down_at is not None and time.monotonic() - self._down_at < policy.budget:
            raise _StoreDown("the store did not answer a moment ago")
        start = time.monotonic()
        delay = policy.first_delay
        attempt = 0
        while True:
            attempt += 1
            try:
                result = await call()
            except ConnectionFailure as exc:  # AutoReconnect, NetworkTimeout, selection timeout
                elapsed = time.monotonic() - start
                if attempt >= policy.tries or elapsed + delay > policy.budget:
                    self._down_at = time.monotonic()
                    raise _StoreDown(f"{attempt} tries in {elapsed:.1f}s: {exc}") from exc
                self.counts.retries += 1
                logger.warning("store call failed (%s), try %d in %.1fs", exc, attempt + 1, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, policy.max_delay)
            else:
                self._down_at = None
                return result

    def _dead_letter(self, items: Sequence[Pending], cause: str) -> None:
        if not items:
            return
        try:
            self.dead_letters.write(items)
        except OSError:
            logger.exception("LOST %d writes: the dead-letter file failed (%s)", len(items), cause)
            raise
        self.counts.dead_lettered += len(items)
        self.counts.dead_lettered_articles += sum(1 for item in items if item.kind == "article")
        logger.error(
            "%d writes not stored (%s); dead-lettered to %s",
            len(items),
            cause[:300],
            self.dead_letters.path,
        )


def _waves(articles: list[Pending]) -> list[list[Pending]]:
    """The batch's articles in waves of one item per id, written one wave after the other:
    an article that comes twice (two routes, a new version) is planned from the state its
    first item left, as if the batch had been cut before it."""
    waves: list[list[Pending]] = []
    seen: dict[str, int] = {}
    for p in articles:
        n = seen.get(p.doc["_id"], 0)
        seen[p.doc["_id"]] = n + 1
        if n == len(waves):
            waves.append([])
        waves[n].append(p)
    return waves


def _master_fields(doc: Doc | None) -> tuple[Any, Any]:
    return (doc or {}).get("stocks"), (doc or {}).get("published_at")


def _archive_op(archive: Doc) -> UpdateOne:
    # Insert-once: a retried or concurrent archive of the same version changes nothing.
    fields = {k: v for k, v in archive.items() if k != "_id"}
    return UpdateOne({"_id": archive["_id"]}, {"$setOnInsert": fields}, upsert=True)


def _insert_page(url: str, fields: Doc, seen_at: datetime) -> InsertOne[Doc]:
    """The page document the upsert would make: `_id`, then its fields by name, as an
    upsert orders them."""
    doc = {**fields, "first_seen_at": seen_at, "last_seen_at": seen_at}
    return InsertOne({"_id": url, **dict(sorted(doc.items()))})


def _reject_op(p: Pending) -> UpdateOne:
    d = p.doc
    key = {name: {"$eq": str(d[name])} for name in ("url", "stage", "reason")}
    fields = {
        "detail": str(d.get("detail") or ""),
        "excerpt": str(d.get("excerpt") or ""),
        "page_kind": d.get("page_kind") if isinstance(d.get("page_kind"), str) else None,
    }
    update = {
        "$set": fields,
        "$min": {"first_seen_at": p.seen_at},
        "$max": {"last_seen_at": p.seen_at},
        "$inc": {"count": 1},
    }
    return UpdateOne(key, update, upsert=True)


def _on_id(error: Doc) -> bool:
    """A duplicate `_id` means another writer inserted the article meanwhile (plan again);
    a duplicate on any other unique index is the store refusing the document."""
    pattern = error.get("keyPattern")
    if isinstance(pattern, dict):
        return list(pattern) == ["_id"]
    return " index: _id_ " in str(error.get("errmsg", ""))


def _server_message(error: Doc) -> str:
    text = f"{error.get('errmsg', 'write error')} (code {error.get('code')})"
    info = error.get("errInfo")
    if info:
        text += ": " + json.dumps(info, ensure_ascii=False, default=str)[:1500]
    return text
