"""Saved pages on disk: the one listing `scrapy crawl replay`, `finews batch` and the goldens
share, and the sidecar a page may have.

A page may have a sidecar `<name>.meta.json` recording where and when it was fetched:
`{"url", "fetched_at", "content_type", "list_record"}`. `<name>.expected.json` files (golden
outputs), README files and dotfiles are not pages.

Standard library only: `finews batch` workers import this (through `finews_spider.batch`).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

SIDECAR_SUFFIXES = (".meta.json", ".expected.json")


def saved_pages(root: Path) -> Iterator[Path]:
    """Every saved page under `root` (one page, or a folder read recursively), in the order
    of `sorted(root.rglob("*"))`, never leaving `root`: a symbolic link to a file outside
    is skipped, linked folders are not entered (as rglob).

    Streamed: each folder is read (`os.scandir`) when the walk reaches it and its entries
    sorted by name; a depth-first walk in name order gives exactly the sort order of the
    full paths. Only the entries of the folders on the current path are held, however many
    pages there are, and only symbolic links are resolved."""
    root = root.resolve()
    if root.is_file():
        if _may_be_page(root.name):
            yield root
        return
    yield from _walk(root, root)


def _walk(folder: Path, root: Path) -> Iterator[Path]:
    #: (name, is a page to keep, is a folder to enter)
    entries: list[tuple[str, bool, bool]] = []
    try:
        with os.scandir(folder) as scan:
            for entry in scan:
                name = entry.name
                link = entry.is_symlink()
                try:
                    enter = entry.is_dir() and not link  # rglob does not follow linked folders
                except OSError:
                    enter = False
                page = _may_be_page(name) and _is_page_file(entry, link, root)
                if page or enter:
                    entries.append((name, page, enter))
    except OSError:
        return  # as rglob: an unreadable folder is skipped
    entries.sort()
    for name, page, enter in entries:
        path = folder / name
        if page:
            yield path
        if enter:
            yield from _walk(path, root)


def _may_be_page(name: str) -> bool:
    return not (name.startswith((".", "README")) or name.endswith(SIDECAR_SUFFIXES))


def _is_page_file(entry: os.DirEntry[str], link: bool, root: Path) -> bool:
    try:
        if not entry.is_file():  # follows a link (a dangling one is not a file)
            return False
    except OSError:
        return False
    # a link pointing outside the replayed folder is skipped
    return not link or Path(entry.path).resolve().is_relative_to(root)


def sidecar(path: Path) -> dict[str, Any]:
    """The page's `<name>.meta.json`, or {} without one."""
    meta = path.with_name(path.name.rsplit(".", 1)[0] + ".meta.json")
    if not meta.is_file():
        return {}
    data = json.loads(meta.read_text("utf-8"))
    return data if isinstance(data, dict) else {}
