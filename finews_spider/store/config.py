"""Where the store is: MONGO_URI / MONGO_DATABASE / FINEWS_HOME, resolved once."""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

DEFAULT_DATABASE = "finews"
DEFAULT_HOME = "./.finews"

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
    env = os.environ if env is None else env
    home_value = str(home or "") or env.get("FINEWS_HOME") or DEFAULT_HOME
    return StoreConfig(
        uri=uri or env.get("MONGO_URI") or None,
        database=database or env.get("MONGO_DATABASE") or DEFAULT_DATABASE,
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

    batch_size: int = 200
    flush_seconds: float = 2.0
    timeout_s: float = 5.0
    retry_tries: int = 5
    retry_seconds: float = 30.0


def write_tuning(
    setting: Callable[[str], Any] | None = None, env: Mapping[str, str] | None = None
) -> WriteTuning:
    """Each MONGO_* tuning value from `setting(name)` (a crawl's settings), else the
    environment variable of the same name, else the default: the crawl and `finews batch`
    read them alike."""
    env = os.environ if env is None else env
    default = WriteTuning()

    def number(name: str, fallback: float) -> float:
        for value in (setting(name) if setting else None, env.get(name)):
            if value is not None and value != "":
                return float(value)
        return fallback

    return WriteTuning(
        batch_size=int(number("MONGO_BATCH_SIZE", default.batch_size)),
        flush_seconds=number("MONGO_FLUSH_SECONDS", default.flush_seconds),
        timeout_s=number("MONGO_TIMEOUT_SECONDS", default.timeout_s),
        retry_tries=int(number("MONGO_RETRY_TRIES", default.retry_tries)),
        retry_seconds=number("MONGO_RETRY_SECONDS", default.retry_seconds),
    )
