"""Sending dead letters again, through the same writer logic (so it is idempotent)."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from finews_spider.store.deadletters import decode
from finews_spider.store.writer import ArticleWriter, RetryPolicy, WriteCounts

logger = logging.getLogger(__name__)

SENT = "sent"


async def resend_dead_letters(
    db: AsyncDatabase[dict[str, Any]],
    path: str | Path,
    *,
    retry: RetryPolicy | None = None,
    batch_size: int = 200,
) -> WriteCounts:
    """Re-apply one dead-letter file, or every `*.jsonl` in a directory.

    Each file that was read completely is moved into `sent/` beside it; what fails
    again is dead-lettered to a new file in the same directory. A file with unreadable
    lines stays where it is (the readable ones are sent; sending again is harmless)."""
    path = Path(path)
    files = sorted(path.glob("*.jsonl")) if path.is_dir() else [path]
    directory = path if path.is_dir() else path.parent
    writer = ArticleWriter(
        db,
        batch_size=batch_size,
        flush_seconds=0,
        retry=retry,
        dead_letter_dir=directory,
        replay=True,
    )
    try:
        for file in files:
            unreadable = 0
            with open(file, encoding="utf-8") as lines:
                for number, line in enumerate(lines, 1):
                    if not line.strip():
                        continue
                    try:
                        pending = decode(line)
                        await writer.add_pending(pending)
                    except (ValueError, TypeError, KeyError) as exc:
                        unreadable += 1
                        logger.error("%s:%d unreadable: %s", file, number, exc)
            await writer.flush()
            if unreadable:
                logger.error("kept %s: %d unreadable lines", file, unreadable)
            else:
                _move_aside(file, directory / SENT)
    finally:
        await writer.close()
    return writer.counts


def _move_aside(file: Path, target_dir: Path) -> Path:
    target_dir.mkdir(parents=True, exist_ok=True)
    target = target_dir / file.name
    n = 1
    while target.exists():
        target = target_dir / f"{file.stem}.{n}{file.suffix}"
        n += 1
    return file.rename(target)
