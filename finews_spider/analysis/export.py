"""`finews export`: matching articles to JSONL, CSV or Parquet, streamed.

The cursor is read in batches and each batch goes straight to the writer (Parquet: one row
group per batch), so memory stays flat whatever the number of articles. Timestamps are UTC:
ISO 8601 with `+00:00` in JSONL and CSV, `timestamp[ms, tz=UTC]` in Parquet. Nested and
list fields are JSON text in CSV and typed columns in Parquet (`stocks`:
list<struct<secid, code, market_id, market, kind, name, roles: list<string>>>).
"""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from itertools import islice
from pathlib import Path
from typing import IO, Any, Literal

from finews_spider.analysis.articles import Articles
from finews_spider.analysis.filters import Filters
from finews_spider.schema import article_schema

Format = Literal["jsonl", "csv", "parquet"]
Doc = dict[str, Any]
FORMATS: tuple[Format, ...] = ("jsonl", "csv", "parquet")


def columns() -> list[str]:
    """Every contract field but the internal search terms, `_id` first, in contract order."""
    return [name for name in article_schema()["properties"] if name != "search_terms"]


def format_of(path: Path, given: str | None) -> Format:
    value = (given or path.suffix.lstrip(".")).lower()
    value = {"json": "jsonl", "ndjson": "jsonl", "pq": "parquet"}.get(value, value)
    if value not in FORMATS:
        raise ValueError(f"unknown export format {value!r}: use --format jsonl, csv or parquet")
    return value  # type: ignore[return-value]


def _utc(value: Any) -> Any:
    return value.astimezone(UTC) if isinstance(value, datetime) else value


def _json_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    if isinstance(value, dict):
        return {k: _json_value(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_json_value(v) for v in value]
    return value


def _batches(docs: Iterable[Doc], size: int) -> Iterator[list[Doc]]:
    it = iter(docs)
    while batch := list(islice(it, size)):
        yield batch


def write_jsonl(out: IO[str], batches: Iterable[list[Doc]], fields: list[str]) -> int:
    n = 0
    for batch in batches:
        out.writelines(
            json.dumps({f: _json_value(d.get(f)) for f in fields}, ensure_ascii=False) + "\n"
            for d in batch
        )
        n += len(batch)
    return n


def write_csv(out: IO[str], batches: Iterable[list[Doc]], fields: list[str]) -> int:
    writer = csv.writer(out)
    writer.writerow(fields)
    n = 0
    for batch in batches:
        for doc in batch:
            row = []
            for name in fields:
                value = doc.get(name)
                if isinstance(value, list | dict):
                    value = json.dumps(_json_value(value), ensure_ascii=False)
                elif isinstance(value, datetime):
                    value = value.astimezone(UTC).isoformat()
                elif value is None:
                    value = ""
                row.append(value)
            writer.writerow(row)
        n += len(batch)
    return n


def arrow_schema(fields: list[str]) -> Any:
    """The Parquet schema of `fields`, from the contract's types."""
    import pyarrow as pa

    stock = pa.struct(
        [
            ("secid", pa.string()),
            ("code", pa.string()),
            ("market_id", pa.int64()),
            ("market", pa.string()),
            ("kind", pa.string()),
            ("name", pa.string()),
            ("roles", pa.list_(pa.string())),
        ]
    )
    props = article_schema()["properties"]

    def arrow_type(name: str) -> Any:
        node = props[name]
        types = node.get("type")
        types = types if isinstance(types, list) else [types]
        if name == "stocks":
            return pa.list_(stock)
        if node.get("format") == "date-time":
            return pa.timestamp("ms", tz="UTC")
        if "array" in types:
            return pa.list_(pa.string())
        if "integer" in types:
            return pa.int64()
        if "boolean" in types:
            return pa.bool_()
        return pa.string()

    return pa.schema([(name, arrow_type(name)) for name in fields])


def write_parquet(path: Path, batches: Iterable[list[Doc]], fields: list[str]) -> int:
    """One row group per batch: the writer never holds more than one batch."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    schema = arrow_schema(fields)
    n = 0
    with pq.ParquetWriter(path, schema, compression="zstd") as writer:
        for batch in batches:
            table = pa.Table.from_pylist(
                [{f: _utc(d.get(f)) for f in fields} for d in batch], schema=schema
            )
            writer.write_table(table)
            n += len(batch)
    return n


def export(
    news: Articles,
    filters: Filters,
    path: Path,
    *,
    fmt: Format | None = None,
    fields: list[str] | None = None,
    batch_size: int = 5000,
    progress: bool = True,
) -> int:
    """Write the articles matching `filters` to `path` (`-`: stdout, not for Parquet);
    returns how many. A progress bar goes to stderr when tqdm is installed."""
    fmt = format_of(path, fmt)
    fields = fields or columns()
    unknown = [f for f in fields if f not in columns()]
    if unknown:
        raise ValueError(f"unknown field {unknown[0]!r}; fields: {', '.join(columns())}")
    wanted = [f for f in fields if f != "_id"]
    docs = news.documents(filters, newest_first=False, batch_size=batch_size, fields=wanted)
    bar = _progress(news, filters, progress)
    batches = _counted(_batches(docs, batch_size), bar)
    try:
        if fmt == "parquet":
            if str(path) == "-":
                raise ValueError("Parquet needs a file, not stdout")
            return write_parquet(path, batches, fields)
        if str(path) == "-":
            writer = write_jsonl if fmt == "jsonl" else write_csv
            return writer(sys.stdout, batches, fields)
        with open(path, "w", encoding="utf-8", newline="") as out:
            return (write_jsonl if fmt == "jsonl" else write_csv)(out, batches, fields)
    finally:
        if bar is not None:
            bar.close()


def _progress(news: Articles, filters: Filters, wanted: bool) -> Any:
    if not wanted:
        return None
    try:
        from tqdm import tqdm
    except ImportError:
        return None
    # A text filter's count needs the text check; the bar then counts without a total.
    total = None if filters.text else news.db.articles.count_documents(filters.mongo())
    return tqdm(total=total, unit=" articles", file=sys.stderr, dynamic_ncols=True)


def _counted(batches: Iterator[list[Doc]], bar: Any) -> Iterator[list[Doc]]:
    for batch in batches:
        yield batch
        if bar is not None:
            bar.update(len(batch))
