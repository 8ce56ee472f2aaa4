"""The `runs` collection: one ledger record per crawl (per worker in a distributed crawl).

pages read = articles (new + updated + unchanged) + rejected + dead-lettered; `balanced`
says whether it held. A distributed crawl shares a `run_id`; `run_ledger` sums it.
"""

from __future__ import annotations

import os
import socket
from datetime import UTC, datetime
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

RUNS = "runs"
SUMMED = (
    "pages_read",
    "articles_new",
    "articles_updated",
    "articles_unchanged",
    "rejected",
    "dead_lettered",
    "requests",
)


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def run_record(
    run_id: str,
    spider: str,
    book: dict[str, Any],
    *,
    reason: str,
    failed: bool,
    started_at: datetime | None,
) -> dict[str, Any]:
    worker = worker_name()
    return {
        "_id": f"{run_id}/{worker}",
        "run_id": run_id,
        "spider": spider,
        "worker": worker,
        "started_at": started_at,
        "finished_at": datetime.now(UTC),
        "reason": reason,
        "failed": failed,
        **{k: book.get(k, 0) for k in SUMMED},
        # reasons are codes the project makes (snake_case), never page data: safe as keys
        "rejected_by_reason": dict(book.get("rejected_by_reason", {})),
        "balanced": bool(book.get("balanced")),
    }


async def record_run(db: AsyncDatabase[Any], record: dict[str, Any]) -> None:
    await db[RUNS].replace_one({"_id": record["_id"]}, record, upsert=True)


async def run_ledger(db: AsyncDatabase[Any], run_id: str) -> dict[str, Any]:
    """A distributed crawl's ledger: every worker's record summed, and whether it balances."""
    workers = [doc async for doc in db[RUNS].find({"run_id": run_id})]
    total: dict[str, Any] = {k: sum(w.get(k, 0) for w in workers) for k in SUMMED}
    by_reason: dict[str, int] = {}
    for w in workers:
        for reason, n in (w.get("rejected_by_reason") or {}).items():
            by_reason[reason] = by_reason.get(reason, 0) + n
    articles = sum(total[f"articles_{k}"] for k in ("new", "updated", "unchanged"))
    return {
        "run_id": run_id,
        "workers": len(workers),
        **total,
        "rejected_by_reason": by_reason,
        "balanced": total["pages_read"] == articles + total["rejected"] + total["dead_lettered"],
        "failed": any(w.get("failed") for w in workers),
    }
