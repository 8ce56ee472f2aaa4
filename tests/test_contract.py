"""The one contract: schema, item validation, MongoDB validator, docs and wiring agree."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, get_type_hints

from finews_spider.model import ARTICLE_FIELDS, Article
from finews_spider.parsing.kinds import kind_names
from finews_spider.schema import (
    article_errors,
    article_schema,
    markdown_table,
    mongo_validator,
    page_kinds,
)

ROOT = Path(__file__).resolve().parents[1]


def _python_type(prop: dict[str, Any]) -> object:
    """The annotation a contract property asks of `Article`."""
    if "enum" in prop:
        return str
    kind = prop["type"]
    if kind == "string":
        return datetime if prop.get("format") == "date-time" else str
    if kind == ["string", "null"]:
        return str | None
    if kind == "boolean":
        return bool
    if kind == "array":
        return list[dict[str, Any]] if prop["items"].get("type") == "object" else list[str]
    raise AssertionError(f"no Python type for {prop}")


def test_the_article_dataclass_is_the_contract() -> None:
    """Article has the contract's fields that the core fills (not the store's `x-store`
    ones), in contract order, each required, each of the type the schema says."""
    schema = article_schema()
    core_fields = [name for name, p in schema["properties"].items() if not p.get("x-store")]
    assert list(ARTICLE_FIELDS) == core_fields
    assert set(core_fields) == set(schema["required"])
    declared = {f.name: f for f in dataclasses.fields(Article)}
    assert all(f.default is f.default_factory is dataclasses.MISSING for f in declared.values())
    hints = get_type_hints(Article)
    for name in core_fields:
        assert hints[name] == _python_type(schema["properties"][name]), name


def test_an_article_document_is_the_stored_dict_in_contract_order() -> None:
    doc = _doc()
    article = Article(**doc)
    assert list(article.document().items()) == list(doc.items())
    assert article_errors(article.document()) == []


def test_the_page_kind_registry_is_the_contract_enum() -> None:
    """The registry (`finews_spider/parsing/kinds.py`) and the schema's `page_kind` enum name
    the same kinds: a new kind needs both its registry line and its enum value."""
    assert sorted(kind_names()) == sorted(page_kinds())


def test_mongo_validator_is_derived_from_the_contract() -> None:
    schema = mongo_validator()["$jsonSchema"]
    props = schema["properties"]
    assert props["published_at"]["bsonType"] == "date"
    assert props["version"]["bsonType"] == ["int", "long"]
    assert {"urls", "version", "first_seen_at", "last_seen_at"} <= set(schema["required"])
    assert "format" not in str(schema) and "$schema" not in schema


def test_readme_documents_the_contract_as_it_is() -> None:
    readme = (ROOT / "README.md").read_text("utf-8")
    assert markdown_table() in readme, "README schema table is stale: paste markdown_table()"


def _doc(**changes: object) -> dict:
    doc = {
        "_id": "202403052987654321",
        "title": "标题",
        "published_at": datetime(2024, 3, 5, 10, 20, 31, tzinfo=UTC),
        "published_at_raw": "2024-03-05 18:20:31 +0800",
        "published_tz": "+08:00",
        "tz_assumed": False,
        "outlet": None,
        "category": None,
        "tags": [],
        "summary": None,
        "body_text": "正文",
        "body_html": "<p>正文</p>",
        "stocks": [],
        "stock_codes": [],
        "info_code": None,
        "url": "https://finance.eastmoney.com/a/202403052987654321.html",
        "source_url": None,
        "page_kind": "eastmoney_page",
        "repairs": [],
        "content_hash": "0" * 64,
        "parser_version": "x",
    }
    doc.update(changes)
    return doc


def test_item_validation_accepts_a_good_document_and_names_what_is_wrong() -> None:
    assert article_errors(_doc()) == []
    errors = article_errors(_doc(_id="$where", body_text="", extra=1))
    assert any(e.startswith("_id:") for e in errors)
    assert any(e.startswith("body_text:") for e in errors)
    assert any("extra" in e for e in errors)
    assert article_errors(_doc(published_at=datetime(2024, 3, 5))) == [
        "naive datetime in an article"
    ]
