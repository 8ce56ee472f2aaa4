"""Golden outputs beside saved pages (web-poet's fixture idea).

Each saved page `NAME.EXT` under `fixtures/` has `NAME.expected.json`: either
`{"article": {...}}` (the document, datetimes as ISO 8601) or
`{"rejection": {"stage": ..., "reason": ...}}`. The outcome is computed by the same core
as every crawl (`process_page`), with the page's sidecar `NAME.meta.json` as its context.

Regenerate after a deliberate parser change, then review the diff before committing:

    python -m finews_spider.goldens fixtures/            # all
    python -m finews_spider.goldens fixtures/eastmoney/x.html
    git diff fixtures/
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from finews_spider.core import process_page
from finews_spider.model import PageContext, Rejection
from finews_spider.saved import saved_pages, sidecar
from finews_spider.schema import to_json_value

#: Saved pages have no real address: their file URL is written relative to this marker.
FIXTURE_URL_ROOT = "file:///FIXTURES/"


def expected_path(page: Path) -> Path:
    return page.with_name(page.name.rsplit(".", 1)[0] + ".expected.json")


def page_url(page: Path, root: Path) -> str:
    meta = sidecar(page)
    if meta.get("url"):
        return str(meta["url"])
    return FIXTURE_URL_ROOT + page.resolve().relative_to(root.resolve()).as_posix()


def outcome(page: Path, root: Path) -> dict[str, Any]:
    """What the core makes of a saved page, in the golden file's shape."""
    context = PageContext.from_meta(sidecar(page), file_name=page.name)
    result = process_page(page_url(page, root), page.read_bytes(), context)
    if isinstance(result, Rejection):
        return {
            "rejection": {"stage": result.stage, "reason": result.reason, "detail": result.detail}
        }
    return {"article": to_json_value(result.document())}


def dump(data: dict[str, Any]) -> str:
    return json.dumps(data, ensure_ascii=False, indent=2, sort_keys=False) + "\n"


def fixtures_root(path: Path) -> Path:
    """The `fixtures` folder a path lies in (URLs are written relative to it)."""
    for parent in [path.resolve(), *path.resolve().parents]:
        if parent.name == "fixtures":
            return parent
    return path.resolve() if path.is_dir() else path.resolve().parent


def regenerate(path: Path) -> list[Path]:
    root = fixtures_root(path)
    changed = []
    for page in saved_pages(path):
        target = expected_path(page)
        text = dump(outcome(page, root))
        if not target.exists() or target.read_text("utf-8") != text:
            target.write_text(text, "utf-8")
            changed.append(target)
    return changed


def main(argv: list[str] | None = None) -> int:
    args = argv if argv is not None else sys.argv[1:]
    for arg in args or ["fixtures"]:
        for target in regenerate(Path(arg)):
            print(f"wrote {target}")
    print("review with: git diff -- fixtures/")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
