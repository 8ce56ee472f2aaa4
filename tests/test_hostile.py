"""The hostile-input corpus: `fixtures/hostile/` (written by `tests/hostile_gen.py`) and the
large pages made at test time.

Every hostile page is either stored as the right article or rejected for the right reason
(its golden `NAME.expected.json`, reviewed by a person); stored HTML is safe to render;
no stored document carries a key MongoDB would read as an operator or a path; nothing
crashes the core, and nothing big is slow. The figures are printed at the end.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import bson
import lxml.html
import pytest
from pymongo import MongoClient

from finews_spider.core import process_page
from finews_spider.goldens import FIXTURE_URL_ROOT, expected_path, outcome
from finews_spider.model import PageContext, Rejection
from finews_spider.schema import article_errors, article_schema, to_json_value
from finews_spider.spiders.replay import saved_pages

sys.path.insert(0, str(Path(__file__).resolve().parent))
from hostile_gen import LargeCase, large_cases, meta_text, small_cases

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "fixtures"
HOSTILE = FIXTURES / "hostile"
HOSTILE_PAGES = list(saved_pages(HOSTILE))
ALL_PAGES = list(saved_pages(FIXTURES))
GROUPS = {
    "bodies",
    "encoding",
    "front_matter",
    "dates",
    "widgets",
    "html_safety",
    "duplicates",
    "operators",
    "nesting",
}
LARGE = large_cases()


def _rel(page: Path) -> str:
    return page.relative_to(HOSTILE).as_posix()


def _golden(page: Path) -> dict[str, Any]:
    return json.loads(expected_path(page).read_text("utf-8"))


@pytest.fixture(scope="module")
def outcomes() -> dict[str, dict[str, Any]]:
    """What the core makes of every hostile page now (computed once)."""
    return {_rel(page): outcome(page, FIXTURES) for page in HOSTILE_PAGES}


@pytest.fixture(scope="module")
def large_outcomes() -> dict[str, tuple[Any, float]]:
    """Each large page through the core (its stored document, or its Rejection), with the
    seconds it took."""
    results = {}
    for case in LARGE:
        body = case.make()
        started = time.perf_counter()
        result = process_page(f"{FIXTURE_URL_ROOT}generated/{case.name}.html", body, PageContext())
        seconds = time.perf_counter() - started
        results[case.name] = (
            result if isinstance(result, Rejection) else result.document(),
            seconds,
        )
    return results


def _stored_articles(outcomes: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {name: o["article"] for name, o in outcomes.items() if "article" in o}


def _all_stored_documents(large_outcomes: dict[str, tuple[Any, float]]) -> list[dict[str, Any]]:
    """Every stored article of every fixture (hostile and normal) and of the large pages."""
    docs = [g["article"] for g in map(_golden, ALL_PAGES) if "article" in g]
    docs += [to_json_value(r) for r, _ in large_outcomes.values() if not isinstance(r, Rejection)]
    return docs


# --------------------------------------------------------------------------- the corpus


def test_the_corpus_is_what_the_generator_writes() -> None:
    cases = small_cases()
    wanted = set(cases)
    for rel, case in cases.items():
        assert (HOSTILE / rel).read_bytes() == case.body, f"{rel}: run python tests/hostile_gen.py"
        if case.meta is not None:
            meta = HOSTILE / (rel.rsplit(".", 1)[0] + ".meta.json")
            assert meta.read_text("utf-8") == meta_text(case.meta), rel
            wanted.add(meta.relative_to(HOSTILE).as_posix())
    on_disk = {
        p.relative_to(HOSTILE).as_posix()
        for p in HOSTILE.rglob("*")
        if p.is_file() and not p.name.endswith(".expected.json") and not p.name.startswith("README")
    }
    assert on_disk == wanted
    assert {_rel(p) for p in HOSTILE_PAGES} == set(cases)


def test_the_corpus_is_broad_and_small() -> None:
    assert len(HOSTILE_PAGES) >= 60
    groups = Counter(_rel(p).split("/")[0] for p in HOSTILE_PAGES)
    assert set(groups) == GROUPS, groups
    for path in HOSTILE.rglob("*"):
        # Anything over ~200 KB is made at test time (hostile_gen.large_cases), never committed.
        assert not path.is_file() or path.stat().st_size < 200_000, path


# --------------------------------------------------------------------------- 1. outcomes


def test_every_hostile_page_has_its_reviewed_outcome(outcomes: dict[str, dict[str, Any]]) -> None:
    wrong = []
    for page in HOSTILE_PAGES:
        assert expected_path(page).exists(), f"python -m finews_spider.goldens {page}"
        if outcomes[_rel(page)] != _golden(page):
            wrong.append(_rel(page))
    assert not wrong, f"outcome differs from the golden: {wrong}"


def test_stored_articles_are_valid_and_rejections_readable(
    outcomes: dict[str, dict[str, Any]],
) -> None:
    for name, result in outcomes.items():
        if "article" in result:
            assert article_errors(result["article"]) == [], name
        else:
            rejection = result["rejection"]
            assert re.fullmatch(r"[a-z_]+", rejection["reason"]), name
            assert len(rejection["detail"]) > 10, name


def _expect(outcomes: dict[str, dict[str, Any]], group: str) -> dict[str, dict[str, Any]]:
    return {n.split("/", 1)[1]: o for n, o in outcomes.items() if n.startswith(group + "/")}


def _reason(result: dict[str, Any]) -> str | None:
    return result["rejection"]["reason"] if "rejection" in result else None


CLEAN_TEXT = (
    "央行3月5日开展逆回购操作，市场流动性保持合理充裕。\n"
    "分析人士认为，货币政策将继续稳健，资金面有望保持平稳。"
)


def test_encodings_decode_right_or_are_refused(outcomes: dict[str, dict[str, Any]]) -> None:
    """GBK under any declaration is read as GBK; mixed bytes are refused; double-encoded
    UTF-8 is restored exactly (repair `double_encoded_utf8`); nothing is stored as mojibake."""
    results = _expect(outcomes, "encoding")
    refused = {name for name, r in results.items() if "rejection" in r}
    assert refused == {
        "gbk-invalid-bytes.html",
        "mixed-utf8-gbk.html",
        "mojibake-title-only.md",
    }
    assert _reason(results["gbk-invalid-bytes.html"]) == "undecodable"
    assert _reason(results["mixed-utf8-gbk.html"]) == "undecodable"
    for name, result in results.items():
        if "article" not in result:
            continue
        article = result["article"]
        assert article["title"] == "央行开展逆回购操作 市场流动性合理充裕", name
        if name == "gbk-meta-gb2312.html":  # GBK-only characters under a gb2312 label
            assert article["body_text"] == "张喆与朱镕基研究会的专家认为，市场流动性保持合理充裕。"
        elif name.startswith(("gbk-", "utf8-", "mojibake-")):
            assert article["body_text"] == CLEAN_TEXT, name
        double = name.startswith("mojibake-")
        assert ("double_encoded_utf8" in article["repairs"]) is double, name


def test_no_stored_hostile_text_is_mojibake(outcomes: dict[str, dict[str, Any]]) -> None:
    """GBK or UTF-8 bytes misread one byte at a time land in U+0080-U+00FF."""
    latin = re.compile("[\x80-\xff]")
    for name, article in _stored_articles(outcomes).items():
        for field in ("title", "body_text", "outlet", "summary"):
            assert not latin.search(article[field] or ""), (name, field, article[field])


def test_front_matter_tricks_are_refused(outcomes: dict[str, dict[str, Any]]) -> None:
    results = _expect(outcomes, "front_matter")
    stored = {name for name, r in results.items() if "article" in r}
    assert stored == {"bom-crlf.md", "merge-key.md", "escaped-controls.md"}
    for name, result in results.items():
        if name not in stored:
            assert result["rejection"]["stage"] == "parse", name
            assert result["rejection"]["reason"].startswith("front_matter_"), name
    merged = results["merge-key.md"]["article"]
    assert merged["title"] == "央行开展逆回购操作 市场流动性合理充裕"  # `<<` merged nothing
    escaped = results["escaped-controls.md"]["article"]
    assert escaped["title"] == "央行开展[0m逆回购操作"  # BEL, ESC, lone surrogate dropped
    assert escaped["tags"] == ["经济参考网新闻", "[31m"]


def test_every_wrong_date_is_rejected_at_the_dates_step(
    outcomes: dict[str, dict[str, Any]],
) -> None:
    for name, result in _expect(outcomes, "dates").items():
        assert "rejection" in result, name
        assert result["rejection"]["stage"] == "dates", name
    results = _expect(outcomes, "dates")
    assert _reason(results["feb-31.md"]) == "date_invalid"
    assert _reason(results["hour-25.md"]) == "date_invalid"
    assert _reason(results["offset-plus-25.md"]) == "date_invalid"
    assert _reason(results["year-1900.md"]) == "date_implausible"
    assert _reason(results["far-future-2999.md"]) == "date_implausible"
    assert _reason(results["date-only.md"]) == "date_unreadable"
    assert _reason(results["time-only.md"]) == "date_unreadable"
    assert _reason(results["fuzzy-bait.md"]) == "date_unreadable"
    assert _reason(results["disagrees-with-id.md"]) == "date_disagrees_with_id"


def test_hostile_widget_values_never_become_codes(outcomes: dict[str, dict[str, Any]]) -> None:
    for name, result in _expect(outcomes, "widgets").items():
        assert "article" in result, name  # a bad widget does not sink the article
        secids = [s["secid"] for s in result["article"]["stocks"]]
        if name == "valid-beside-hostile.md":
            assert secids == ["1.600519", "0.300115"]
        elif name == "written-codes-hostile.md":
            assert secids == ["0.300750"]  # 宁德时代（300750）, the one valid code
            assert result["article"]["outlet"] == "经济参考网"  # no operator-like attribution
        else:
            assert secids == [], name
    # Across the whole corpus only the three real securities it names are ever stored.
    named = {s["secid"] for a in _stored_articles(outcomes).values() for s in a["stocks"]}
    assert named == {"1.600519", "0.300115", "0.300750"}


def test_hostile_markup_never_sinks_the_article(outcomes: dict[str, dict[str, Any]]) -> None:
    results = _expect(outcomes, "html_safety")
    # A canonical or source link that is no URL names nothing: with no id, not an article.
    assert _reason(results.pop("bad-port-canonical.html")) == "not_an_article"
    assert _reason(results.pop("bad-port-source-link.md")) == "not_an_article"
    for name, result in results.items():
        assert "article" in result, name
        article = result["article"]
        assert "央行3月5日开展逆回购操作" in article["body_text"], name
        assert article["source_url"].startswith(("http://", "https://")), name
        assert "alert(" not in article["title"] + (article["outlet"] or ""), name


def test_the_same_article_twice(outcomes: dict[str, dict[str, Any]]) -> None:
    results = _expect(outcomes, "duplicates")
    a = results["same-id-a.md"]["article"]
    b = results["same-id-b.md"]["article"]
    via_json = results["same-article-json.json"]["article"]
    next_day = results["same-id-next-day.md"]["article"]
    assert a["_id"] == b["_id"] == via_json["_id"] == next_day["_id"]
    assert a["content_hash"] != b["content_hash"]  # a new body: a new version
    assert a["content_hash"] == via_json["content_hash"]  # another route: unchanged
    assert a["content_hash"] != next_day["content_hash"]
    assert _reason(results["2024-03-05-NW202403052990000601.md"]) == "conflicting_ids"
    # Outside this folder no two hostile pages share an id by accident.
    ids = Counter(art["_id"] for art in _stored_articles(outcomes).values())
    assert {i for i, n in ids.items() if n > 1} == {a["_id"]}


def test_deep_nesting_keeps_the_text(outcomes: dict[str, dict[str, Any]]) -> None:
    for name, result in _expect(outcomes, "nesting").items():
        if name == "json-nesting-2000.json":
            assert _reason(result) == "json_invalid"
            continue
        text = result["article"]["body_text"]
        deepest = {"unclosed-fonts-3000.html": "未闭合", "keytip-spans-3000.html": "长盈精密"}
        assert deepest.get(name, "最深处") in text, name
        if "之后的段落" in (HOSTILE / "nesting" / name).read_text("utf-8"):
            assert "之后的段落" in text, name


def test_replay_of_the_hostile_folder_through_scrapy(
    tmp_path: Path,
    scrapy_run: Callable[..., subprocess.CompletedProcess[str]],
    mongo_uri: str,
    mongo_db: str,
) -> None:
    """The data engineer's command over the whole corpus (storing into this test's
    database): exactly the stored articles, every page accounted for, the books balance,
    and no key in any collection that MongoDB would read as an operator or a path."""
    out = tmp_path / "out.jsonl"
    run = scrapy_run("crawl", "replay", "-a", f"path={HOSTILE}", "-O", str(out))
    errors = [line for line in run.stderr.splitlines() if " ERROR: " in line]
    summary = next(line for line in run.stderr.splitlines() if "finews replay:" in line)
    assert run.returncode == 0, run.stderr[-3000:]
    assert "balanced=yes" in summary, f"{summary}\n" + "\n".join(errors[:5])
    assert errors == []

    goldens = [_golden(p) for p in HOSTILE_PAGES]
    articles = [g["article"] for g in goldens if "article" in g]
    pages = int(re.search(r" pages=(\d+)", summary)[1])  # type: ignore[index]
    stored_match = re.search(r" articles=(\d+)", summary)
    if stored_match:
        stored = int(stored_match[1])
    else:  # with a store: articles new=.. updated=.. unchanged=..
        parts = re.search(r"articles new=(\d+) updated=(\d+) unchanged=(\d+)", summary)
        assert parts, summary
        stored = sum(int(n) for n in parts.groups())
    rejected = int(re.search(r" rejected=(\d+)", summary)[1])  # type: ignore[index]
    assert pages == len(HOSTILE_PAGES)
    assert stored == len(articles)
    assert rejected == len(goldens) - len(articles)
    assert stored + rejected == pages
    by_reason = Counter(g["rejection"]["reason"] for g in goldens if "rejection" in g)
    listed = re.search(r" rejected=\d+ \(([^)]*)\)", summary)[1]  # type: ignore[index]
    assert dict(item.split(":") for item in listed.split(",")) == {
        k: str(v) for k, v in by_reason.items()
    }

    local = FIXTURES.as_uri() + "/"
    docs = []
    for line in out.read_text("utf-8").splitlines():
        doc = json.loads(line)
        if doc["url"].startswith(local):
            doc["url"] = FIXTURE_URL_ROOT + doc["url"][len(local) :]
        docs.append(doc)
    key = lambda d: (d["_id"], d["url"])  # noqa: E731
    assert sorted(docs, key=key) == sorted(articles, key=key)

    with MongoClient(mongo_uri, serverSelectionTimeoutMS=5000) as client:
        db = client[mongo_db]
        assert db["articles"].count_documents({}) == len({a["_id"] for a in articles})
        for name in db.list_collection_names():
            for stored_doc in db[name].find():
                for path, key_name in _keys(stored_doc):
                    assert not key_name.startswith("$"), (name, path)
                    assert "." not in key_name, (name, path)


# --------------------------------------------------------------------------- large pages


@pytest.mark.parametrize("case", LARGE, ids=lambda c: c.name)
def test_large_page(case: LargeCase, large_outcomes: dict[str, tuple[Any, float]]) -> None:
    result, seconds = large_outcomes[case.name]
    if case.reason is None:
        assert not isinstance(result, Rejection), f"{result.reason}: {result.detail}"
        if case.check is not None:
            case.check(result)
    else:
        assert isinstance(result, Rejection), case.name
        assert result.reason == case.reason, result.detail
    assert seconds < case.seconds, f"{case.name} took {seconds:.2f}s"


# --------------------------------------------------------------------------- 2. safe HTML

#: Elements that must never reach stored HTML.
FORBIDDEN = frozenset(
    {
        *("script", "style", "iframe", "frame", "frameset", "object", "embed", "applet"),
        *("svg", "math", "meta", "base", "link", "form", "input", "button", "textarea"),
        *("select", "option", "template", "noscript", "xmp", "plaintext", "noembed"),
        *("noframes", "canvas", "audio", "video", "source", "track", "param", "portal"),
    }
)
#: Attributes whose value is a URL (browsers follow or load them).
URL_ATTRIBUTES = frozenset(
    {
        *("href", "src", "action", "formaction", "xlink:href", "background", "poster"),
        *("data", "codebase", "cite", "longdesc", "lowsrc", "dynsrc", "srcset", "usemap"),
        *("ping", "manifest", "icon", "archive", "classid"),
    }
)
_URL_NOISE = re.compile(r"[\x00-\x20\x7f-\x9f]+")


def _scheme_ok(value: str) -> bool:
    # Browsers drop ASCII tab/newline anywhere and leading controls/spaces before reading
    # the scheme; the scheme is case-insensitive. Only absolute http(s) URLs are allowed.
    url = _URL_NOISE.sub("", value)
    return re.match(r"(?i)https?://", url) is not None


def _problems_lxml(body_html: str) -> Iterator[str]:
    root = lxml.html.fragment_fromstring(body_html, create_parent="div")
    for el in root.iter():
        if not isinstance(el.tag, str):
            continue  # comments: inert (and the sanitiser strips them)
        tag = el.tag.lower().rsplit("}", 1)[-1]
        if tag in FORBIDDEN:
            yield f"<{tag}>"
        for name, value in el.attrib.items():
            name = name.lower()
            if name.startswith("on"):
                yield f"{tag}[{name}]"
            elif name == "style":
                yield f"{tag}[style]"
            elif (name in URL_ATTRIBUTES and not _scheme_ok(value)) or (
                "javascript:" in _URL_NOISE.sub("", value).lower()
            ):
                yield f"{tag}[{name}={value!r}]"


class _Tokens(HTMLParser):
    """The standard library's tokenizer: a second, independent reading of the HTML."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in FORBIDDEN:
            self.problems.append(f"<{tag}>")
        for name, value in attrs:
            if name.startswith("on") or name == "style":
                self.problems.append(f"{tag}[{name}]")
            elif name in URL_ATTRIBUTES and not _scheme_ok(value or ""):
                self.problems.append(f"{tag}[{name}={value!r}]")

    handle_startendtag = handle_starttag


def unsafe(body_html: str) -> list[str]:
    """Every way `body_html` could run code or load something other than an http(s) URL."""
    problems = list(_problems_lxml(body_html))
    tokens = _Tokens()
    tokens.feed(body_html)
    tokens.close()
    return problems + tokens.problems


@pytest.mark.parametrize(
    "snippet",
    [
        "<p>x<script>alert(1)</script></p>",
        '<img src="x.jpg" onerror="alert(1)">',
        '<a href=" JaVaScRiPt:alert(1)">x</a>',
        '<a href="jav&#x09;ascript:alert(1)">x</a>',
        '<img src="data:image/png;base64,AAAA">',
        '<p style="color:red">x</p>',
        "<svg onload=alert(1)></svg>",
        "<math><mi>x</mi></math>",
        '<meta http-equiv="refresh" content="0">',
        '<base href="https://evil.example/">',
        '<iframe src="https://a.b/"></iframe>',
        '<object data="x"></object>',
        '<a href="/relative">x</a>',
    ],
)
def test_the_safety_check_catches_unsafe_html(snippet: str) -> None:
    assert unsafe(snippet), snippet


def test_stored_html_is_safe(large_outcomes: dict[str, tuple[Any, float]]) -> None:
    docs = _all_stored_documents(large_outcomes)
    assert len(docs) > 100
    bad = {d["url"]: p for d in docs if (p := unsafe(d["body_html"]))}
    assert bad == {}


# --------------------------------------------------------------------------- 3. operators


def _keys(value: Any, path: str = "") -> Iterator[tuple[str, str]]:
    if isinstance(value, dict):
        for key, sub in value.items():
            yield f"{path}/{key}", key
            yield from _keys(sub, f"{path}/{key}")
    elif isinstance(value, list):
        for i, sub in enumerate(value):
            yield from _keys(sub, f"{path}[{i}]")


def _dict_paths(value: Any, path: str = "") -> Iterator[str]:
    if isinstance(value, dict):
        if path:
            yield re.sub(r"\[\d+\]", "[]", path)
        for key, sub in value.items():
            yield from _dict_paths(sub, f"{path}/{key}")
    elif isinstance(value, list):
        for i, sub in enumerate(value):
            yield from _dict_paths(sub, f"{path}[{i}]")


def test_no_stored_key_is_an_operator_or_a_path(
    large_outcomes: dict[str, tuple[Any, float]],
) -> None:
    fields = set(article_schema()["properties"])
    for doc in _all_stored_documents(large_outcomes):
        assert set(doc) <= fields, doc["url"]
        for path, key in _keys(doc):
            assert not key.startswith("$") and "." not in key and "\x00" not in key, path
        # The only objects inside a document are `stocks` entries: a hostile mapping from a
        # page never becomes a sub-document (where its keys would be read as operators).
        assert set(_dict_paths(doc)) <= {"/stocks[]"}, doc["url"]
        # Encodable as BSON and as strict UTF-8 JSON (no lone surrogates).
        bson.encode(doc)
        json.dumps(doc, ensure_ascii=False).encode("utf-8")


def test_operator_text_stays_plain_strings(outcomes: dict[str, dict[str, Any]]) -> None:
    results = _expect(outcomes, "operators")
    values = results["front-matter-operator-values.md"]["article"]
    assert values["title"] == '{"$gt": ""}'
    assert values["category"] == "$set"
    assert values["tags"] == ["$where", '{"$ne": null}', "a.b"]
    record = results["list-record-operator-values.json"]["article"]
    assert (record["title"], record["outlet"], record["category"]) == (
        '{"$gt": ""}',
        "$where",
        "a.b",
    )
    keys = results["front-matter-operator-keys.md"]["article"]
    assert (
        keys["title"] == "央行开展逆回购操作 市场流动性合理充裕"
    )  # `$set: {title: hacked}` ignored
    assert keys["_id"] == "202403052990000700"  # `_id: 000…` ignored
    assert _reason(results["list-record-title-object.json"]) == "title_missing"
    assert _reason(results["list-record-info-code-operator.json"]) == "not_an_article"
    for article in _stored_articles(outcomes).values():
        assert article["info_code"] is None or re.fullmatch(r"[A-Z]{2}[0-9]+", article["info_code"])
        assert re.fullmatch(r"[0-9]{18}|url:[0-9a-f]{32}", article["_id"])


# --------------------------------------------------------------------------- 4. figures


def test_figures(
    outcomes: dict[str, dict[str, Any]],
    large_outcomes: dict[str, tuple[Any, float]],
    capsys: pytest.CaptureFixture[str],
) -> None:
    reasons: Counter[str] = Counter()
    stored = 0
    for result in outcomes.values():
        if "article" in result:
            stored += 1
        else:
            reasons[f"{result['rejection']['stage']}/{result['rejection']['reason']}"] += 1
    for result, _seconds in large_outcomes.values():
        if isinstance(result, Rejection):
            reasons[f"{result.stage}/{result.reason}"] += 1
        else:
            stored += 1
    tried = len(outcomes) + len(large_outcomes)
    hostile_docs = list(_stored_articles(outcomes).values()) + [
        to_json_value(r) for r, _ in large_outcomes.values() if not isinstance(r, Rejection)
    ]
    unsafe_count = sum(1 for d in hostile_docs if unsafe(d["body_html"]))
    slowest = max(large_outcomes.items(), key=lambda item: item[1][1])
    lines = [
        f"hostile cases tried: {tried} ({len(outcomes)} committed in "
        f"{len({n.split('/')[0] for n in outcomes})} groups, {len(large_outcomes)} generated)",
        f"stored: {stored}",
        f"rejected: {sum(reasons.values())}",
        *(f"  {reason}: {count}" for reason, count in sorted(reasons.items())),
        f"unsafe HTML stored: {unsafe_count}",
        f"slowest large page: {slowest[0]} {slowest[1][1]:.2f}s",
    ]
    with capsys.disabled():
        print("\n" + "\n".join(lines))
    assert stored + sum(reasons.values()) == tried
    assert unsafe_count == 0
