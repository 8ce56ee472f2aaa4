"""JSON for queued requests (SCHEDULER_SERIALIZER), instead of scrapy-redis's pickle.

Unpickling what a network service hands back runs code chosen by whoever can write to it;
JSON cannot. `Request.to_dict()` is JSON but for bytes (body, header names and values),
which are tagged as base64. A meta value that is not JSON (set by some middleware) is
dropped from the queued copy with a warning rather than losing the request.
"""

from __future__ import annotations

import base64
import json
import logging
from typing import Any

logger = logging.getLogger(__name__)

_BYTES = "__b64__"
_PAIRS = "__pairs__"  # a dict whose keys are not all strings (headers: bytes -> [bytes])


def _encode(value: Any) -> Any:
    if isinstance(value, bytes):
        return {_BYTES: base64.b64encode(value).decode("ascii")}
    if isinstance(value, dict):
        if all(isinstance(k, str) for k in value) and _BYTES not in value and _PAIRS not in value:
            return {k: _encode(v) for k, v in value.items()}
        return {_PAIRS: [[_encode(k), _encode(v)] for k, v in value.items()]}
    if isinstance(value, list | tuple):
        return [_encode(v) for v in value]
    if value is None or isinstance(value, str | int | float | bool):
        return value
    raise TypeError(f"{type(value).__name__} is not JSON")


def _decode(value: Any) -> Any:
    if isinstance(value, dict):
        if set(value) == {_BYTES}:
            return base64.b64decode(value[_BYTES])
        if set(value) == {_PAIRS}:
            return {_decode(k): _decode(v) for k, v in value[_PAIRS]}
        return {k: _decode(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_decode(v) for v in value]
    return value


def dumps(obj: dict[str, Any]) -> bytes:
    meta = obj.get("meta") or {}
    kept = {}
    for key, value in meta.items():
        try:
            kept[key] = _encode(value)
        except TypeError as exc:
            logger.warning("queued %s without meta[%r]: %s", obj.get("url"), key, exc)
    rest = {k: _encode(v) for k, v in obj.items() if k != "meta"}
    return json.dumps({**rest, "meta": kept}, sort_keys=True, ensure_ascii=False).encode()


def loads(data: bytes | str) -> dict[str, Any]:
    return _decode(json.loads(data))
