"""A fast, conservative check of the article contract, compiled from the same JSON Schema.

`jsonschema` validation was about a third of the core's time per page (profiled with
benchmarks/run.py: its keyword dispatch runs for every field and every `stocks` entry).
`is_valid(doc)` answers the same question with straight-line Python generated once from the
validator's own schema and format checker, and is *sound*: it says True only when jsonschema
would find no error. Anything it cannot prove (an unknown keyword, a non-string enum, a
datetime where the contract has no date-time, a naive datetime, any violation) makes it say
False, and `core.finish` then asks jsonschema, which decides and words the errors. So valid
articles skip jsonschema, and every rejection is exactly what it was.

`tests/test_batch.py` checks it against jsonschema on every golden document and on
mutations of them.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from functools import cache
from typing import Any

from finews_spider.schema import _item_validator

Check = Callable[[Any], bool]

#: Keywords that do not constrain an instance.
_ANNOTATIONS = frozenset(
    {
        "$schema",
        "$id",
        "$comment",
        "title",
        "description",
        "examples",
        "default",
        "x-store",
        "x-optional",
    }
)
_KEYWORDS = frozenset(
    {
        "type",
        "enum",
        "minLength",
        "maxLength",
        "pattern",
        "format",
        "minimum",
        "maximum",
        "minItems",
        "maxItems",
        "uniqueItems",
        "items",
        "properties",
        "required",
        "additionalProperties",
    }
)
#: Python tests accepting what jsonschema's 2020-12 type checker accepts, or less.
_TYPES = {
    "string": "isinstance({v}, str)",
    "boolean": "isinstance({v}, bool)",
    "null": "{v} is None",
    "integer": "(isinstance({v}, int) and not isinstance({v}, bool))",
    "number": "(isinstance({v}, (int, float)) and not isinstance({v}, bool))",
    "array": "isinstance({v}, (list, tuple))",  # to_json_value makes tuples lists
    "object": "isinstance({v}, dict)",
}
_MISSING = object()


class Unsupported(ValueError):
    """A schema keyword this compiler does not handle: then nothing is proven fast."""


def _iso(value: Any) -> Any:
    """As `schema.to_json_value` for a date-time field: an aware datetime is its ISO 8601
    string; a naive one is an error there, so `_MISSING` (which fails every check)."""
    if isinstance(value, datetime):
        return value.isoformat() if value.tzinfo is not None else _MISSING
    return value


def _encodes(text: str) -> bool:
    """`text` encodes as UTF-8 (holds no lone surrogate)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _guard(names: list[str], kind: str, v: str) -> str:
    """The test that `v` is of `kind`, as the start of an `and` chain; nothing when the
    node's type test already proved it (its only type is `kind`)."""
    if names == [kind] or (kind == "number" and names == ["integer"]):
        return ""
    return f"{_TYPES[kind].format(v=v)} and "


class _Compiler:
    def __init__(self, format_checker: Any, text: bool = False) -> None:
        self.lines: list[str] = []
        self.names: dict[str, Any] = {
            "_iso": _iso,
            "_MISSING": _MISSING,
            "_formats": format_checker,
            "_encodes": _encodes,
        }
        self.counter = 0
        #: every value is typed (a datetime or a container cannot slip through unchecked)
        self.closed = True
        #: also prove every string value encodes as UTF-8 (see `compile_schema`)
        self.text = text

    def constant(self, value: Any) -> str:
        self.counter += 1
        name = f"_c{self.counter}"
        self.names[name] = value
        return name

    def variable(self) -> str:
        self.counter += 1
        return f"v{self.counter}"

    def emit(self, depth: int, line: str) -> None:
        self.lines.append("    " * depth + line)

    def node(self, node: dict[str, Any], v: str, depth: int) -> None:
        """Lines that `return False` unless `v` satisfies `node`."""
        unknown = set(node) - _ANNOTATIONS - _KEYWORDS
        if unknown:
            raise Unsupported(", ".join(sorted(unknown)))
        emit = self.emit
        if "format" in node and self.names["_formats"] is not None:
            emit(depth, f"{v} = _iso({v})")
            fmt = self.constant(node["format"])
            emit(depth, f"if {v} is _MISSING or not _formats.conforms({v}, {fmt}): return False")
        names: list[str] = []
        if "type" in node:
            names = node["type"] if isinstance(node["type"], list) else [node["type"]]
            if any(name not in _TYPES for name in names):
                raise Unsupported(f"type {names}")
            emit(depth, f"if not ({' or '.join(_TYPES[n].format(v=v) for n in names)}):")
            emit(depth + 1, "return False")
        if "enum" in node:
            if not all(isinstance(e, str) and _encodes(e) for e in node["enum"]):
                raise Unsupported("enum of other values than storable strings")
            allowed = self.constant(frozenset(node["enum"]))
            emit(depth, f"if not (isinstance({v}, str) and {v} in {allowed}): return False")
        elif self.text and "string" in names:
            emit(depth, f"if {_guard(names, 'string', v)}not ({v}.isascii() or _encodes({v})):")
            emit(depth + 1, "return False")
        if "type" not in node and "enum" not in node:
            self.closed = False
        # Once the type test passed, a value of a single type needs no second isinstance.
        string = _guard(names, "string", v)
        if "minLength" in node:
            emit(depth, f"if {string}len({v}) < {int(node['minLength'])}: return False")
        if "maxLength" in node:
            emit(depth, f"if {string}len({v}) > {int(node['maxLength'])}: return False")
        if "pattern" in node:
            search = self.constant(re.compile(node["pattern"]).search)  # as jsonschema
            emit(depth, f"if {string}{search}({v}) is None: return False")
        number = _guard(names, "number", v)
        if "minimum" in node:
            low = self.constant(node["minimum"])
            emit(depth, f"if {number}{v} < {low}: return False")
        if "maximum" in node:
            high = self.constant(node["maximum"])
            emit(depth, f"if {number}{v} > {high}: return False")
        array = _guard(names, "array", v)
        if "minItems" in node:
            emit(depth, f"if {array}len({v}) < {int(node['minItems'])}: return False")
        if "maxItems" in node:
            emit(depth, f"if {array}len({v}) > {int(node['maxItems'])}: return False")
        if node.get("uniqueItems"):
            # proven for strings only
            emit(depth, f"if {array}True:")
            emit(depth + 1, f"if not all(isinstance(i, str) for i in {v}): return False")
            emit(depth + 1, f"if len(set({v})) != len({v}): return False")
        if "items" in node:
            if not isinstance(node["items"], dict):
                raise Unsupported("items that are not one schema")
            item = self.variable()
            emit(depth, f"if {array}True:")
            emit(depth + 1, f"for {item} in {v}:")
            self.node(node["items"], item, depth + 2)
        elif "array" in (node.get("type") or []) or node.get("type") == "array":
            self.closed = False  # an array whose items are not checked
        if {"properties", "required", "additionalProperties"} & set(node):
            self.object(node, v, depth)
        elif "object" in (node.get("type") or []) or node.get("type") == "object":
            self.closed = False

    def object(self, node: dict[str, Any], v: str, depth: int) -> None:
        emit = self.emit
        emit(depth, f"if isinstance({v}, dict):")
        depth += 1
        properties = node.get("properties") or {}
        extra = node.get("additionalProperties", True)
        if extra is False:
            known = self.constant(frozenset(properties))
            emit(depth, f"if not {known}.issuperset({v}): return False")
        elif extra is True:
            self.closed = False
        else:
            raise Unsupported("additionalProperties that is a schema")
        for name in node.get("required") or ():
            emit(depth, f"if {name!r} not in {v}: return False")
        for name, sub in properties.items():
            value = self.variable()
            emit(depth, f"{value} = {v}.get({name!r}, _MISSING)")
            emit(depth, f"if {value} is not _MISSING:")
            self.node(sub, value, depth + 1)
        emit(depth, "pass")

    def build(self, schema: dict[str, Any]) -> Check:
        self.emit(0, "def check(v0):")
        self.node(schema, "v0", 1)
        self.emit(1, "return True")
        namespace = dict(self.names)
        exec(compile("\n".join(self.lines), "<article contract>", "exec"), namespace)
        return namespace["check"]


def compile_schema(
    schema: dict[str, Any], format_checker: Any, *, text: bool = False
) -> tuple[Check, bool]:
    """(check, closed): `check(doc)` is True only when jsonschema finds no error in `doc`,
    provided `closed` or `doc` holds no naive datetime. With `text`, also only when every
    string value the check reads encodes as UTF-8 (no lone surrogates): when `closed`, that
    is every string of `doc` but dictionary keys. Raises Unsupported."""
    compiler = _Compiler(format_checker, text)
    check = compiler.build(schema)
    return check, compiler.closed


def no_naive_datetime(value: Any) -> bool:
    """No naive datetime anywhere in `value` (so `schema.to_json_value` would not raise)."""
    if isinstance(value, datetime):
        return value.tzinfo is not None
    if isinstance(value, dict):
        return all(no_naive_datetime(v) for v in value.values())
    if isinstance(value, list | tuple):
        return all(no_naive_datetime(v) for v in value)
    return True


@cache
def _article_check() -> tuple[Check, bool] | None:
    validator = _item_validator()
    try:
        return compile_schema(validator.schema, validator.format_checker, text=True)
    except Unsupported:
        return None  # a keyword added to the contract: jsonschema checks every article


def is_valid(doc: dict[str, Any]) -> bool:
    """True only when `schema.article_errors(doc)` would be empty and every string value in
    `doc` encodes as UTF-8 (False: ask jsonschema, and look for the lone surrogate)."""
    compiled = _article_check()
    if compiled is None:
        return False
    check, closed = compiled
    # Only a closed contract types every value: then a datetime outside a date-time field
    # fails its type test, each date-time field checks its own datetime, and no string
    # escapes the text test.
    return closed and check(doc)
