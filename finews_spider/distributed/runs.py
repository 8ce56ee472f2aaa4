"""A distributed run in the `runs` collection: one record per worker, and their sum.

The store writes each worker's ledger record when its crawl closes
(`finews_spider.store.runs`, `_id` = `<run_id>/<host:pid>`). A worker also marks its record
when it starts (`finished_at: null`), so a worker that died shows as never finished.
`run_ledger` sums the records; `describe` adds which workers did not finish.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from finews_spider.store.runs import RUNS, run_ledger

Doc = dict[str, Any]

__all__ = ["describe", "mark_started", "run_ledger"]


async def mark_started(
    db: AsyncDatabase[Doc], *, run_id: str, spider: str, worker: str, started_at: datetime
) -> None:
    await db[RUNS].update_one(
        {"_id": f"{run_id}/{worker}"},
        {
            "$setOnInsert": {
                "run_id": run_id,
                "spider": spider,
                "worker": worker,
                "started_at": started_at,
                "finished_at": None,
            }
        },
        upsert=True,
    )


def unfinished(records: list[Doc]) -> list[str]:
    return sorted(str(r.get("worker")) for r in records if r.get("finished_at") is None)


def describe(run_id: str, records: list[Doc], total: Doc) -> str:
    """Each worker's line, then the sum (`run_ledger`) and whether it is complete."""
    lines = [f"run {run_id}:"]
    for r in sorted(records, key=lambda r: str(r.get("worker"))):
        if r.get("finished_at") is None:
            lines.append(
                f"  {r.get('worker')}: started {r.get('started_at')}, never finished "
                "(killed, or still running): its pages are not in the sum"
            )
        else:
            state = "FAILED" if r.get("failed") else r.get("reason")
            lines.append(f"  {r.get('worker')}: {_counts(r)} ({state})")
    by_reason = ",".join(f"{k}:{v}" for k, v in sorted(total["rejected_by_reason"].items()))
    missing = unfinished(records)
    lines.append(
        f"  sum of {total['workers'] - len(missing)} finished workers: {_counts(total)} "
        f"({by_reason or '-'}) complete={'no' if missing else 'yes'} "
        f"balanced={'yes' if total['balanced'] else 'NO'}"
    )
    return "\n".join(lines)


def _counts(r: Doc) -> str:
    return (
        f"pages={r.get('pages_read', 0)} new={r.get('articles_new', 0)} "
        f"updated={r.get('articles_updated', 0)} unchanged={r.get('articles_unchanged', 0)} "
        f"rejected={r.get('rejected', 0)} dead_lettered={r.get('dead_lettered', 0)} "
        f"requests={r.get('requests', 0)}"
    )
