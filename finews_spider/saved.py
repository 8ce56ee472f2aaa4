"""Saved pages on disk: the one listing `scrapy crawl replay`, `finews batch` and the goldens
share, and the sidecar a page may have.

A page may have a sidecar `<name>.meta.json` recording where and when it was fetched:
`{"url", "fetched_at", "content_type", "list_record"}`. `<name>.expected.json` files (golden
outputs), README files and dotfiles are not pages.

Pages and sidecars are opened, then checked through the opened descriptor (a regular file,
inside the folder, not over the size limit) before a byte is read: the listing only names
candidates, and a name swapped for a link after it was listed must not lead out of the folder.
A file refused here is `Refused`, which callers turn into that page's rejection.

Standard library only: `finews batch` workers import this (through `finews_spider.batch`).
"""

from __future__ import annotations

import errno
import functools
import json
import os
import stat
import zlib
from collections.abc import Iterator
from datetime import datetime
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


#: A sidecar is a few hundred bytes of JSON; anything much larger is not one.
MAX_SIDECAR_BYTES = 1024 * 1024
#: sidecar key -> the JSON types it may hold (None: null)
_META_TYPES: dict[str, tuple[type | None, ...]] = {
    "url": (str, None),
    "fetched_at": (str, None),
    "content_type": (str, None),
    "list_record": (dict, None),
}
_PROC_FD = Path("/proc/self/fd")


class Refused(Exception):
    """A saved page (or its sidecar, or a stored page's context) that is not read: the
    page's rejection, with a stage and a reason code."""

    def __init__(self, stage: str, reason: str, detail: str) -> None:
        super().__init__(f"{stage}/{reason}: {detail}")
        self.stage = stage
        self.reason = reason
        self.detail = detail

    def __reduce__(self) -> tuple[type[Refused], tuple[str, str, str]]:
        return (Refused, (self.stage, self.reason, self.detail))  # crosses to batch workers


def folder_of(root: Path) -> Path:
    """The folder a replay of `root` may read from: `root` itself, or a page's folder."""
    root = root.resolve()
    return root if root.is_dir() else root.parent


def read_saved(path: Path, folder: Path, limit: int) -> bytes:
    """The bytes of the saved page `path`, or Refused: not a regular file inside `folder`
    (stage fetch, `outside_folder` / `not_a_file` / an OS error code), or larger than
    `limit` (stage parse, `page_too_large`, as the parser says it; the file is not read)."""
    try:
        fd = _open_inside(path, folder)
    except OSError as exc:
        raise Refused("fetch", _os_reason(exc), f"{path.name}: {exc.strerror or exc}") from None
    try:
        size = os.fstat(fd).st_size
        if size > limit:
            raise Refused("parse", "page_too_large", f"{size:,} bytes (limit {limit:,})")
        return _read_fd(fd, limit)
    finally:
        os.close(fd)


def read_sidecar(page: Path, folder: Path) -> dict[str, Any]:
    """The page's `<name>.meta.json` ({} without one), checked (`check_meta`), or Refused
    (stage parse, `sidecar_invalid`): a bad sidecar is its page's rejection."""
    meta = page.with_name(page.name.rsplit(".", 1)[0] + ".meta.json")
    try:
        fd = _open_inside(meta, folder)
    except FileNotFoundError:
        return {}
    except Refused as exc:
        raise Refused("parse", "sidecar_invalid", exc.detail) from None
    except OSError as exc:
        detail = f"{meta.name}: {exc.strerror or exc} ({_os_reason(exc)})"
        raise Refused("parse", "sidecar_invalid", detail) from None
    try:
        size = os.fstat(fd).st_size
        if size > MAX_SIDECAR_BYTES:
            detail = f"{meta.name}: {size:,} bytes (limit {MAX_SIDECAR_BYTES:,})"
            raise Refused("parse", "sidecar_invalid", detail)
        data = _read_fd(fd, MAX_SIDECAR_BYTES)
    finally:
        os.close(fd)
    try:
        return check_meta(json.loads(data.decode("utf-8")))
    except ValueError as exc:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
        raise Refused("parse", "sidecar_invalid", f"{meta.name}: {exc}") from None


def sidecar(path: Path) -> dict[str, Any]:
    """The page's `<name>.meta.json`, or {} without one (Refused when it is bad)."""
    return read_sidecar(path, path.parent.resolve())


def check_meta(data: Any) -> dict[str, Any]:
    """A sidecar (or a stored page's context) as the spiders read it, or ValueError naming
    what is wrong: a JSON object whose known keys hold their type (`fetched_at` an ISO
    time). Unknown keys are kept (a sidecar may say more than finews reads)."""
    if not isinstance(data, dict):
        raise ValueError(f"not a JSON object but {type(data).__name__}")
    for key, types in _META_TYPES.items():
        value = data.get(key)
        if not any(value is None if t is None else isinstance(value, t) for t in types):
            raise ValueError(f"{key} must be {_names(types)}, not {type(value).__name__}")
    fetched = data.get("fetched_at")
    if fetched:
        datetime.fromisoformat(fetched)  # ValueError names the bad value
    return data


def inflate(packed: bytes, limit: int) -> bytes:
    """A stored page's zlib body, or Refused (`page_too_large`) once it passes `limit`
    bytes: a page stored before the size check must not be inflated whole."""
    inflater = zlib.decompressobj()
    body = inflater.decompress(packed, limit + 1)
    if len(body) > limit:
        raise Refused("parse", "page_too_large", f"more than {limit:,} bytes")
    return body


def _names(types: tuple[type | None, ...]) -> str:
    names = {str: "a string", dict: "an object", None: "null"}
    return " or ".join(names.get(t, str(t)) for t in types)


def _open_inside(path: Path, folder: Path) -> int:
    """A descriptor of `path`, a regular file whose real location is inside `folder`.

    The checks are made on the opened descriptor, not on the name, so a swap after the
    listing cannot slip through. A link inside the folder is followed (the listing keeps
    such pages) when /proc tells where the descriptor really points; elsewhere no link is."""
    proc = _has_proc_fd()
    flags = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0)  # a FIFO must not block
    if not proc:
        flags |= getattr(os, "O_NOFOLLOW", 0)
    fd = os.open(path, flags)
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise Refused("fetch", "not_a_file", f"{path.name}: not a regular file")
        if proc and not _inside(os.readlink(f"{_PROC_FD}/{fd}"), folder):
            detail = f"{path.name}: leads outside the replayed folder"
            raise Refused("fetch", "outside_folder", detail)
        os.set_blocking(fd, True)
    except BaseException:
        os.close(fd)
        raise
    return fd


@functools.cache
def _has_proc_fd() -> bool:
    """Whether /proc tells where a descriptor points (asked once: every page asks)."""
    return _PROC_FD.is_dir()


def _inside(real: str, folder: Path) -> bool:
    """`Path(real).is_relative_to(folder)`, by the string first: /proc gives `real` as a
    canonical absolute path, so a prefix ending at a separator is inside for certain."""
    base = str(folder)
    if real == base or real.startswith(base if base.endswith(os.sep) else base + os.sep):
        return True
    return Path(real).is_relative_to(folder)


def _read_fd(fd: int, limit: int) -> bytes:
    """At most `limit` + 1 bytes: a file growing after fstat cannot be read whole either."""
    chunks: list[bytes] = []
    left = limit + 1
    while left > 0:
        chunk = os.read(fd, min(left, 1 << 20))
        if not chunk:
            break
        chunks.append(chunk)
        left -= len(chunk)
    data = b"".join(chunks)
    if len(data) > limit:
        raise Refused("parse", "page_too_large", f"more than {limit:,} bytes (it grew)")
    return data


def _os_reason(exc: OSError) -> str:
    """`ELOOP` -> `eloop`: the error's code, as a reason (a link where none may be)."""
    return errno.errorcode.get(exc.errno or 0, "unreadable").lower()
