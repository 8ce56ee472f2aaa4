"""Where the store is: MONGO_URI / MONGO_DATABASE / FINEWS_HOME, resolved once."""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from finews_spider.settings import number as settings_number
from finews_spider.settings import resolve

_SECRET_PARAM = re.compile(r"(?i)([?&][^=&]*(?:password|secret|token|key)[^=&]*=)[^&]*")


@dataclass(frozen=True)
class StoreConfig:
    #: None: no server given, the embedded one is started under `home`.
    uri: str | None
    database: str
    home: Path

    @property
    def embedded_dir(self) -> Path:
        return self.home / "db"

    @property
    def dead_letter_dir(self) -> Path:
        return self.home / "dead_letters"


def resolve_config(
    uri: str | None = None,
    database: str | None = None,
    home: str | os.PathLike[str] | None = None,
    env: Mapping[str, str] | None = None,
) -> StoreConfig:
    """Each value: the argument, else the environment, else the default (empty = unset)."""
    home_value = str(home or "") or resolve("FINEWS_HOME", env)
    return StoreConfig(
        uri=uri or resolve("MONGO_URI", env) or None,
        database=database or resolve("MONGO_DATABASE", env),
        home=Path(home_value).expanduser().resolve(),
    )


def redact(uri: str | None) -> str:
    """`uri` safe for logs: user info and secret-looking query values replaced by ***."""
    if not uri:
        return "(embedded)"
    scheme, sep, rest = uri.partition("://")
    if not sep:
        return _SECRET_PARAM.sub(r"\1***", uri)
    query_at = rest.find("?")
    query_at = len(rest) if query_at == -1 else query_at
    # The last "@" before the query ends the user info (a raw "/" or "@" may be in a password).
    at = rest.rfind("@", 0, query_at)
    if at != -1:
        rest = "***@" + rest[at + 1 :]
    return f"{scheme}://" + _SECRET_PARAM.sub(r"\1***", rest)


@dataclass(frozen=True)
class WriteTuning:
    """How the writer batches and retries (MONGO_BATCH_SIZE, MONGO_FLUSH_SECONDS,
    MONGO_TIMEOUT_SECONDS, MONGO_RETRY_TRIES, MONGO_RETRY_SECONDS)."""

    batch_size: int
    flush_seconds: float
    timeout_s: float
    retry_tries: int
    retry_seconds: float


def write_tuning(
    setting: Callable[[str], Any] | None = None, env: Mapping[str, str] | None = None
) -> WriteTuning:
    """Each MONGO_* tuning value from `setting(name)` (a crawl's settings), else
    `resolve(name, env)`: the crawl and `finews batch` read them alike."""

    def number(name: str) -> float:
        value = setting(name) if setting else None
        return settings_number(
            name, value if value is not None and value != "" else resolve(name, env)
        )

    return WriteTuning(
        batch_size=int(number("MONGO_BATCH_SIZE")),
        flush_seconds=number("MONGO_FLUSH_SECONDS"),
        timeout_s=number("MONGO_TIMEOUT_SECONDS"),
        retry_tries=int(number("MONGO_RETRY_TRIES")),
        retry_seconds=number("MONGO_RETRY_SECONDS"),
    )
