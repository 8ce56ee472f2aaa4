"""The page parsers: kinds recognised from content, raw fields as the page states them."""

from __future__ import annotations

import json

import pytest

from finews_spider.model import PageContext, Rejected
from finews_spider.parsing import detect_kind, parse_page

POST = """---
layout: post
title: "标题"
date: 2024-03-05 18:20:31 +0800
categories: jingjicankaowang
tags: 经济参考网新闻
---
<p>正文。</p><p class="em_media">（文章来源：经济参考网）</p>

<http://finews.zning.xyz/html_News/NewsShare.html?infoCode=NW202403052987654321>

[返回经济参考网新闻](//finews.withounder.com/category/jingjicankaowang.html)｜[返回首页](//finews.withounder.com/)
"""


def test_finews_source_fields() -> None:
    page = parse_page("file:///x/2024-03-05-NW202403052987654321.md", POST.encode())
    assert page.kind == "finews_source"
    assert page.title == "标题"
    assert page.date_raw == "2024-03-05 18:20:31 +0800"  # a string: YAML never types it
    assert page.category == "jingjicankaowang"
    assert page.tags == ["经济参考网新闻"]
    assert page.outlet_tag == "经济参考网" and page.outlet_hint is None
    assert page.info_code == "NW202403052987654321"
    assert page.source_url.endswith("infoCode=NW202403052987654321")
    assert "返回" not in page.body_html
    assert page.repairs == []


def test_a_line_of_html_is_not_taken_for_a_source_link() -> None:
    # Chinese text has no spaces: `<p>…</p>` alone on a line once matched `<\S*>`.
    text = POST.replace("<p>正文。</p>", "<p>第一段。</p>\n <p>第二段。</p>")
    page = parse_page("file:///x/a.md", text.encode())
    assert "第一段" in page.body_html and "第二段" in page.body_html


def test_emnews_digest_and_plain_text_paragraphs() -> None:
    text = POST.replace("<p>正文。</p>", "> 摘要一句。\n\n第一段 & 文字\n\n第二段")
    page = parse_page("file:///x/a.md", text.encode())
    assert page.summary == "摘要一句。"
    assert "<p>第一段 & 文字</p>" in page.body_html
    assert '<p>第二段<p class="em_media">' in page.body_html  # inline HTML stays markup


def test_blank_line_before_front_matter_is_repaired_and_recorded() -> None:
    page = parse_page("file:///x/a.md", ("\n" + POST).encode())
    assert page.repairs == ["front_matter_after_blank_line"]
    assert page.title == "标题"


@pytest.mark.parametrize(
    ("front", "reason"),
    [
        ("title: &a x\ndate: *a", "front_matter_invalid"),  # anchors/aliases
        ("title: !!python/object:os.system x", "front_matter_invalid"),  # explicit tags
        ("title: a\ntitle: b", "front_matter_invalid"),  # duplicate keys
        ("date: [2024-01-01, 2024-01-02]\ntitle: a", None),  # a list date: caught in dates
        ("- just\n- a list", "front_matter_invalid"),
        ("title: [unclosed", "front_matter_invalid"),
    ],
)
def test_front_matter_tricks(front: str, reason: str | None) -> None:
    text = f"---\n{front}\n---\n<p>x</p>\n"
    if reason is None:
        with pytest.raises(Rejected) as err:
            parse_page("file:///x/a.md", text.encode())
        assert err.value.reason == "front_matter_invalid"  # `date` must be text
        return
    with pytest.raises(Rejected) as err:
        parse_page("file:///x/a.md", text.encode())
    assert err.value.reason == reason


def test_unclosed_front_matter() -> None:
    with pytest.raises(Rejected) as err:
        parse_page("file:///x/a.md", b"---\ntitle: x\n<p>body</p>\n")
    assert err.value.reason == "front_matter_unclosed"


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"", "empty_page"),
        (b"   \n", "empty_page"),
        (b"\x00\x01\x02binary", "binary_page"),
        (b"<html><body><p>hello</p></body></html>", "unknown_page_kind"),
        (
            b"<html><script src='NewsShare.js'></script><div id='app'></div></html>",
            "share_shell",
        ),
        (b"{not json", "json_invalid"),
        (b'{"a": 1}', "json_no_article"),
    ],
)
def test_pages_that_are_not_articles(body: bytes, reason: str) -> None:
    with pytest.raises(Rejected) as err:
        parse_page("http://example.test/x", body)
    assert err.value.reason == reason
    assert err.value.detail  # a person can read why


def test_kind_comes_from_content_not_extension() -> None:
    assert detect_kind(POST) == "finews_source"
    assert detect_kind('{"text": "<p>x</p>"}') == "newsshare_json"
    assert detect_kind("<div class='newsContent'><div id='ContentBody'></div></div>") == (
        "eastmoney_page"
    )
    page = parse_page("file:///x/saved.txt", POST.encode())
    assert page.kind == "finews_source"


def test_gbk_page_with_wrong_declared_charset() -> None:
    html = (
        "<html><head><meta charset='utf-8'></head><body><div class='newsContent'>"
        "<h1>标题</h1><div class='time'>2024年03月13日 14:05</div>"
        "<div id='ContentBody'><p>正文内容</p></div></div></body></html>"
    )
    page = parse_page("http://example.test/a/202403132991300006.html", html.encode("gbk"))
    assert page.title == "标题"
    assert page.date_raw == "2024年03月13日 14:05"


def test_newsshare_needs_no_invented_time() -> None:
    body = json.dumps({"text": "<p>正文</p>"}).encode()
    page = parse_page("http://h/NewsData/GetNewsText.do?id=NW202403122992000004", body)
    assert page.date_raw == ""  # nothing stated: the dates step rejects it
    record = {"title": "标题", "showtime": "2024-03-12 19:15:00", "medianame": "经济参考网"}
    page = parse_page(
        "http://h/NewsData/GetNewsText.do?id=NW202403122992000004",
        body,
        PageContext(list_record=record),
    )
    assert (page.title, page.date_raw, page.outlet_hint) == (
        "标题",
        "2024-03-12 19:15:00",
        "经济参考网",
    )
    assert page.info_code == "NW202403122992000004"


@pytest.mark.parametrize(
    "text",
    [
        "<div id=ContentBody>",
        "<div id='zwtext'>",
        '<div class="newsContent x">',
        'id=ContentBodyX class=newsContent_ id="zwtext',
        "ContentBody zwtext newsContent id= class=",
        "id=''ContentBody class=\"'newsContent",
        "x" * 3 + 'id="ContentBody',
        "<small>(GMT+8, Asia/Shanghai)",
        "<small> <small>\n (GMT+8, Asia/Shanghai",
        "<small>(GMT+8 Asia/Shanghai",
        "",
    ],
)
def test_kind_recognisers_agree_with_their_patterns(text: str) -> None:
    """The anchored recognisers answer exactly as a search for their pattern would."""
    import re

    from finews_spider.parsing.kinds import KINDS

    patterns = {
        "finews_page": r"<small>\s*\(GMT\+8, Asia/Shanghai",
        "eastmoney_page": r"""id=["']?(ContentBody|zwtext)\b|class=["']?newsContent\b""",
    }
    for kind in KINDS:
        if kind.name in patterns:
            assert bool(kind.recognise(text)) == bool(re.search(patterns[kind.name], text))


#: The Eastmoney page queries written as XPath over attribute nodes, and the CSS (parsel's
#: translation) or XPath over elements each stands for.
_EM_QUERY_FORMS = {
    "_EM_BODY": "css:#ContentBody, div.newsContent div.Body, article#zwtext",
    "_EM_TITLES[0]": "css:div.newsContent h1::text, div.title::text, div.detail-title h1::text",
    "_EM_DATES[0]": "css:div.newsContent div.time::text, div.infos div.item.time::text",
    "_EM_DATES[1]": "xpath://div[contains(@class,'infos')]/div[contains(@class,'item')]"
    "[re:test(normalize-space(.), '^\\d{4}年')]/text()",
    "_EM_DATES[2]": "css:#zwtime::text, .time::text",
    "_EM_SOURCE": "xpath://div[contains(@class,'source')] | //div[contains(@class,'infos')]"
    "/div[contains(normalize-space(.), '来源')]",
}


def _html_pages_for_queries() -> list[str]:
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent / "fixtures"
    texts = [
        path.read_bytes().decode("utf-8", "replace")
        for path in sorted(root.rglob("*.htm*"))
        if path.is_file()
    ]
    # Class lists that only contain a name, or hold it among others, spaced oddly.
    texts.append(
        '<html><head><meta property="og:title" content="t"></head><body>'
        '<div class="xnewsContentx"><div class="Body">no</div><h1>no</h1></div>'
        '<div class=" newsContent\t other"><div class="time item">1</div>'
        '<div class="Body x">yes</div><h1>h</h1></div><div class="infos">'
        '<div class="item  time">2024年3月5日</div><div class="item">2024年</div>'
        '<div>来源：甲</div></div><p class="time" id="zwtime">t</p>'
        '<div class="datasource">s</div><article id="zwtext">a</article></body></html>'
    )
    return texts


def test_eastmoney_queries_select_what_their_css_selects() -> None:
    from lxml import etree
    from parsel.csstranslator import HTMLTranslator

    from finews_spider.parsing import html_pages

    pages = [html_pages._page_root(text, empty_ok=True) for text in _html_pages_for_queries()]
    assert len(pages) > 10
    for name, form in _EM_QUERY_FORMS.items():
        attribute, _, index = name.partition("[")
        fast = getattr(html_pages, attribute)
        if index:
            fast = fast[int(index.rstrip("]"))]
        kind, _, query = form.partition(":")
        reference = etree.XPath(
            HTMLTranslator().css_to_xpath(query) if kind == "css" else query,
            namespaces={"re": "http://exslt.org/regular-expressions"},
        )
        found = 0
        for page in pages:
            expected = reference(page)
            assert fast(page) == expected, (name, expected)
            found += bool(expected)
        assert found, name  # the pages exercise every query
