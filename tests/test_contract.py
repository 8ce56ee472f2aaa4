"""The one contract: schema, item validation, MongoDB validator, docs and wiring agree."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from scrapy.utils.misc import load_object

from finews_spider import settings
from finews_spider.normalize.steps import STEPS
from finews_spider.schema import article_errors, markdown_table, mongo_validator

ROOT = Path(__file__).resolve().parents[1]


def test_pipelines_run_the_core_steps_in_core_order() -> None:
    ordered = sorted(settings.ITEM_PIPELINES.items(), key=lambda kv: kv[1])
    stages = [
        getattr(load_object(path), "stage", None) for path, _ in ordered if "normalize" in path
    ]
    assert stages == [name for name, _ in STEPS] + ["validation"]


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
