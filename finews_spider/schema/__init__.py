"""The one article contract.

`article.schema.json` (JSON Schema 2020-12) is the only description of an article. From it:
- `validate_article` checks items before they are stored or exported;
- `mongo_validator` derives the collection's `$jsonSchema` (BSON types, store fields required);
- `markdown_table` renders the field reference in the README (a test keeps them in sync).
"""

from __future__ import annotations

import json
from datetime import datetime
from functools import cache
from importlib import resources
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker

from finews_spider.model import Rejected

_UNSUPPORTED_BY_MONGO = {
    "$schema",
    "$id",
    "format",
    "examples",
    "default",
    "x-store",
    "x-optional",
    "title",
}


@cache
def article_schema() -> dict[str, Any]:
    text = resources.files(__package__).joinpath("article.schema.json").read_text("utf-8")
    return json.loads(text)


def page_kinds() -> tuple[str, ...]:
    """The contract's `page_kind` values, in the contract's order (the parsers' registry,
    `finews_spider.parsing.kinds`, declares one recogniser and parser for each)."""
    return tuple(article_schema()["properties"]["page_kind"]["enum"])


def stock_roles() -> tuple[str, ...]:
    """The evidence a `stocks` entry can carry (`chart`, `tag`, `text`, `name`), from the
    contract, strongest first as its description orders them."""
    roles = article_schema()["properties"]["stocks"]["items"]["properties"]["roles"]
    order = ("chart", "tag", "text", "name")
    known = roles["items"]["enum"]
    return tuple(sorted(known, key=lambda r: order.index(r) if r in order else len(order)))


@cache
def _item_validator() -> Draft202012Validator:
    schema = dict(article_schema())
    # Items are validated before the store adds its own fields.
    schema["required"] = [
        name for name in schema["required"] if not schema["properties"][name].get("x-store")
    ]
    return Draft202012Validator(schema, format_checker=FormatChecker())


def to_json_value(value: Any) -> Any:
    """An item as JSON sees it: aware datetimes as ISO 8601 with offset."""
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError("naive datetime in an article")
        return value.isoformat()
    if isinstance(value, dict):
        return {k: to_json_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_json_value(v) for v in value]
    return value


def article_errors(doc: dict[str, Any]) -> list[str]:
    """Every way `doc` breaks the contract, as `path: message` lines (empty when valid)."""
    try:
        instance = to_json_value(doc)
    except ValueError as exc:
        return [str(exc)]
    errors = sorted(_item_validator().iter_errors(instance), key=lambda e: list(e.path))
    return [f"{'/'.join(map(str, e.path)) or '(document)'}: {e.message[:300]}" for e in errors]


def validate_article(doc: dict[str, Any]) -> dict[str, Any]:
    """Return `doc` unchanged, or raise Rejected(validation, schema_violation)."""
    errors = article_errors(doc)
    if errors:
        raise Rejected("validation", "schema_violation", "; ".join(errors[:5]))
    return doc


def _to_bson_schema(node: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key in _UNSUPPORTED_BY_MONGO:
            continue
        if key == "type":
            types = value if isinstance(value, list) else [value]
            bson: list[str] = []
            for t in types:
                if t == "string" and node.get("format") == "date-time":
                    bson.append("date")
                elif t == "integer":
                    bson.extend(["int", "long"])
                elif t == "boolean":
                    bson.append("bool")
                elif t == "number":
                    bson.append("double")
                else:
                    bson.append(t)  # string, object, array, null share their names
            out["bsonType"] = bson[0] if len(bson) == 1 else bson
        elif key == "properties":
            out[key] = {name: _to_bson_schema(sub) for name, sub in value.items()}
        elif key == "items" and isinstance(value, dict):
            out[key] = _to_bson_schema(value)
        else:
            out[key] = value
    return out


@cache
def mongo_validator() -> dict[str, Any]:
    """The `$jsonSchema` for the `articles` collection, derived from the contract.

    Stored documents must carry the store's own fields too (urls, version, …)."""
    schema = article_schema()
    bson = _to_bson_schema(schema)
    bson["required"] = list(schema["required"]) + [
        name
        for name, sub in schema["properties"].items()
        if sub.get("x-store") and not sub.get("x-optional")
    ]
    return {"$jsonSchema": bson}


def _type_label(node: dict[str, Any]) -> str:
    if "enum" in node:
        return " \\| ".join(f"`{v}`" for v in node["enum"])
    types = node.get("type", "")
    types = types if isinstance(types, list) else [types]
    labels = []
    for t in types:
        if t == "string" and node.get("format") == "date-time":
            labels.append("date (UTC)")
        elif t == "array" and isinstance(node.get("items"), dict):
            labels.append(f"array of {_type_label(node['items']) or 'object'}")
        else:
            labels.append(t)
    return " \\| ".join(labels)


def markdown_table() -> str:
    """The field reference, rendered from the contract for the README."""
    schema = article_schema()
    required = set(schema["required"])
    lines = ["| field | type | description |", "|---|---|---|"]

    def rows(props: dict[str, Any], prefix: str = "") -> None:
        for name, node in props.items():
            label = _type_label(node)
            if name not in required and not prefix:
                label += " (store)" if node.get("x-store") else " (optional)"
            lines.append(f"| `{prefix}{name}` | {label} | {node.get('description', '')} |")
            if node.get("type") == "array" and "properties" in node.get("items", {}):
                rows(node["items"]["properties"], prefix=f"{prefix}{name}[].")

    rows(schema["properties"])
    return "\n".join(lines)
