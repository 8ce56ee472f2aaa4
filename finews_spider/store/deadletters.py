"""Writes that could not be stored, kept as JSON Lines so nothing is lost.

One line per op: ``{"kind": "article"|"reject"|"page"|"run", "seen_at": …, "doc": …}`` in MongoDB
relaxed Extended JSON: datetimes are ``{"$date": "<ISO 8601>"}``, bytes
``{"$binary": {"base64": …}}``, so a line reads back exactly as it was written.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from bson import json_util
from bson.json_util import JSONMode, JSONOptions

Doc = dict[str, Any]
Kind = Literal["article", "reject", "page", "run"]
KINDS: tuple[Kind, ...] = ("article", "reject", "page", "run")

_JSON = JSONOptions(json_mode=JSONMode.RELAXED, tz_aware=True, tzinfo=UTC)


@dataclass
class Pending:
    """One write waiting in the buffer: an article item, a rejection dict, a raw page or a
    run's ledger record."""

    kind: Kind
    doc: Doc
    seen_at: datetime
    #: the outcome planned in an earlier round, kept when the item is planned again
    outcome: str | None = None


def encode(pending: Pending) -> str:
    record = {"kind": pending.kind, "seen_at": pending.seen_at, "doc": pending.doc}
    return json_util.dumps(
        record, json_options=_JSON, ensure_ascii=True
    )  # lone surrogates survive as escapes


def decode(line: str) -> Pending:
    record = json_util.loads(line, json_options=_JSON)
    if record.get("kind") not in KINDS or not isinstance(record.get("doc"), dict):
        raise ValueError(f"not a dead letter: {line[:100]!r}")
    return Pending(record["kind"], record["doc"], record["seen_at"])


class DeadLetterFile:
    """Appends to one file per writer, created on the first dead letter."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.path: Path | None = None
        self.count = 0

    def write(self, items: Iterable[Pending]) -> int:
        lines = [encode(p) + "\n" for p in items]
        if not lines:
            return 0
        if self.path is None:
            self.directory.mkdir(parents=True, exist_ok=True)
            stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
            self.path = self.directory / f"dead-{stamp}-{os.getpid()}.jsonl"
        with open(self.path, "a", encoding="utf-8") as out:
            out.writelines(lines)
            out.flush()
            os.fsync(out.fileno())
        self.count += len(lines)
        return len(lines)
