"""One hash over every output of the core, to prove a speed-up changed nothing.

    python benchmarks/core_hash.py                 # the hash, and one per source
    python benchmarks/core_hash.py --pages 5000    # more benchmark pages
    python benchmarks/core_hash.py --dump out.jsonl  # every output, one JSON line each

The core (`process_page`) runs over, in this order:

- `corpus`: the benchmark corpus (`benchmarks/corpus.py`, seeded, as `run.py` builds it);
- `fixtures`: every saved page under `fixtures/` (the goldens and the hostile corpus), with
  its sidecar, as `finews_spider.goldens` reads it;
- `shared`: the real pages of `../shared/corpus`, when present;
- `cut`: every fixture and shared page cut at a third and at two thirds of its bytes, on a
  UTF-8 character boundary (broken markup reaches the parsers' recovery paths that whole
  pages do not).

Each output is canonical JSON: the article document (datetimes as ISO 8601) or the whole
rejection (stage, reason, detail, excerpt, page kind). The hash is SHA-256 over the outputs
in that order, each prefixed by its source and name; an optimisation must leave it unchanged.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import corpus

from finews_spider.core import process_page
from finews_spider.goldens import page_url
from finews_spider.model import PageContext, Rejection
from finews_spider.saved import saved_pages, sidecar
from finews_spider.schema import to_json_value

ROOT = Path(__file__).resolve().parent.parent
SEED = 20240305  # run.py's default
#: Benchmark pages live here in URLs (run.py's layout, a fixed root: URLs are part of the output)
CORPUS_ROOT = Path("/finews-bench/pages")
PART_SIZE = 4_000

Case = tuple[str, str, str, bytes, PageContext]  # (source, name, url, body, context)


def corpus_cases(pages: int) -> Iterator[Case]:
    for page in corpus.iter_pages(SEED, 0, pages):
        location = corpus.page_dir(CORPUS_ROOT, page.index, PART_SIZE) / (
            f"{page.index:07d}-{page.name}"
        )
        meta = page.meta or {}
        fetched = meta.get("fetched_at")
        context = PageContext(
            fetched_at=datetime.fromisoformat(fetched) if fetched else None,
            content_type=meta.get("content_type"),
            list_record=meta.get("list_record"),
        )
        yield "corpus", str(page.index), meta.get("url") or location.as_uri(), page.body, context


def saved_cases(source: str, folder: Path, url_root: Path) -> Iterator[Case]:
    if not folder.is_dir():
        return
    for path in saved_pages(folder):
        context = PageContext.from_meta(sidecar(path), file_name=path.name)
        name = path.relative_to(url_root.resolve()).as_posix()
        yield source, name, page_url(path, url_root), path.read_bytes(), context


def cut_cases(cases: list[Case]) -> Iterator[Case]:
    for _source, name, url, body, context in cases:
        for part in (1, 2):
            end = len(body) * part // 3
            while 0 < end < len(body) and 0x80 <= body[end] < 0xC0:
                end -= 1  # not inside a UTF-8 character: the cut page still decodes
            yield "cut", f"{name}@{part}/3", url, body[:end], context


def output(result: Any) -> dict[str, Any]:
    if isinstance(result, Rejection):
        return {"rejection": result.as_dict()}
    return {"article": to_json_value(result.document())}


def cases(pages: int) -> Iterator[Case]:
    yield from corpus_cases(pages)
    saved = list(saved_cases("fixtures", ROOT / "fixtures", ROOT / "fixtures"))
    shared_root = ROOT.parent / "shared" / "corpus"
    saved += list(saved_cases("shared", shared_root, shared_root))
    yield from saved
    yield from cut_cases(saved)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pages", type=int, default=3000, help="benchmark corpus pages")
    parser.add_argument("--dump", type=Path, help="write every output, one JSON line each")
    args = parser.parse_args(argv)
    total = hashlib.sha256()
    per_source: dict[str, Any] = {}
    dump = args.dump.open("w", encoding="utf-8") if args.dump else None
    try:
        for source, name, url, body, context in cases(args.pages):
            line = json.dumps(
                [source, name, output(process_page(url, body, context))],
                ensure_ascii=False,
                sort_keys=True,
                separators=(",", ":"),
            ).encode("utf-8")
            total.update(line + b"\n")
            per_source.setdefault(source, [hashlib.sha256(), 0])
            per_source[source][0].update(line + b"\n")
            per_source[source][1] += 1
            if dump:
                dump.write(line.decode("utf-8") + "\n")
    finally:
        if dump:
            dump.close()
    for source, (digest, count) in per_source.items():
        print(f"{source:9} {count:6,} outputs  {digest.hexdigest()[:16]}")
    print(f"core output hash: {total.hexdigest()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
