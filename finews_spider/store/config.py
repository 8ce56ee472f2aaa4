"""Where the store is: MONGO_URI / MONGO_DATABASE / FINEWS_HOME, resolved once."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

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
