"""Site knowledge is declared once (`finews_spider.site`), so the body cleaner, the security
reader and the parsers agree on what a page shows: these cases differed while each module kept
its own copy."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from finews_spider import site
from finews_spider.model import PageContext
from finews_spider.normalize.cleaning import clean_body
from finews_spider.normalize.securities import extract_securities
from finews_spider.parsing.html_pages import parse_eastmoney_page
from finews_spider.parsing.text import one_line

TAG = (
    '<a href="http://quote.eastmoney.com/unify/r/0.300115" class="keytip" '
    'data-code="0,300115">{name}</a>'
)


def test_site_is_a_leaf() -> None:
    """Every layer reads it, so it may import nothing from the project."""
    tree = ast.parse(Path(site.__file__).read_text(encoding="utf-8"))
    imported = [
        node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)
    ] + [
        alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.Import)
        for alias in node.names
    ]
    assert not [name for name in imported if name.startswith("finews_spider")]


def test_a_tag_the_body_shows_is_a_security() -> None:
    """`mso-display:none` hides nothing: the cleaner keeps the tag's text, so the security
    reader must read the tag (it used to treat any `…display:none` as hidden)."""
    body = f'<p>消息称<span style="mso-display:none">{TAG.format(name="长盈精密")}</span>涨停。</p>'
    assert "长盈精密" in clean_body(body).body_text
    assert [s["secid"] for s in extract_securities(body)] == ["0.300115"]


def test_a_hidden_tag_is_neither_shown_nor_read() -> None:
    body = f'<p>正文。</p><p style="color:red; display : none">{TAG.format(name="长盈精密")}</p>'
    assert "长盈精密" not in clean_body(body).body_text
    assert extract_securities(body) == []


@pytest.mark.parametrize("control", ["\x90", "\x85", "\ud800"])
def test_a_tag_name_holds_no_control_character(control: str) -> None:
    """The security's name is the text the body shows (C1 controls and lone surrogates used to
    reach the stored name as themselves, a space or `?`)."""
    body = f"<p>{TAG.format(name=f'长盈{control}精密')}今日涨停。</p>"
    assert "长盈精密今日涨停。" in clean_body(body).body_text
    assert [s["name"] for s in extract_securities(body)] == ["长盈精密"]


@pytest.mark.parametrize("url", ["https://host:alert(1)/k.png", "https://[::1/k.png"])
def test_a_body_link_that_does_not_parse_is_not_linked(url: str) -> None:
    """The sanitiser drops an address it cannot parse and used to leave `<img>` and `<a>`
    without one; now the body link passes the same check as a page's own links."""
    html = clean_body(f'<p>图：<img src="{url}"><a href="{url}">原文</a></p>').body_html
    assert html == "<p>图：原文</p>"
    assert site.web_url(url) is None


def test_only_eastmoneys_kline_image_is_the_chart() -> None:
    """An image from another host is a picture the body keeps, not the chart widget."""
    body = '<p>正文。</p><p><img src="https://example.com/GetPic.aspx?nid=1.600519"></p>'
    assert "GetPic.aspx" in clean_body(body).body_html
    assert extract_securities(body) == []


def test_a_widget_marker_is_a_whole_comment() -> None:
    """A comment that merely mentions the marker opens no widget, for the cleaner or the
    security reader: the link after it is an ordinary tag, not the chart."""
    body = (
        "<p>正文<!-- was EM_StockImg_Start -->"
        '<a href="http://quote.eastmoney.com/unify/r/1.600519">贵州茅台</a>。</p>'
    )
    assert "贵州茅台" in clean_body(body).body_text
    assert [s["roles"] for s in extract_securities(body)] == [["tag"]]


def test_one_line_turns_whitespace_controls_into_spaces() -> None:
    assert one_line("央行\x0b开展\x1c逆回购\x85操作\x01。\ud800") == "央行 开展 逆回购 操作。"


@pytest.mark.parametrize(
    ("href", "mirror"),
    [
        ("//finews.withounder.com/", True),
        ("https://finews.zning.xyz/category/x.html", True),
        ("http://finews.zning.me", True),
        ("https://example.com/?next=finews.withounder.com", False),
        ("https://finews.withounder.com.example.com/", False),
    ],
)
def test_mirror_urls(href: str, mirror: bool) -> None:
    assert site.is_mirror_url(href) is mirror


@pytest.mark.parametrize(
    ("path", "groups"),
    [
        ("/jingjicankaowang/2024/03/05/NW1.html", ("jingjicankaowang/", "2024", "03", "05")),
        ("/a/b/2024/03/05/x.html", ("a/b/", "2024", "03", "05")),
        ("/2024/03/05/x.html", ("", "2024", "03", "05")),
        ("/category/emnews.html", None),
    ],
)
def test_post_permalinks(path: str, groups: tuple[str, ...] | None) -> None:
    match = site.POST_PATH.match(path)
    assert (match.groups() if match else None) == groups


def test_an_article_pages_source_label_is_read_like_the_bodys() -> None:
    """`来源 ：新华社` (a space before the colon) names 新华社 in the page header as in the body's
    source line; the header used to keep the label as part of the outlet."""
    page = parse_eastmoney_page(
        "https://finance.eastmoney.com/a/202403052987654321.html",
        '<html><body><div class="newsContent"><h1>标题</h1>'
        '<div class="time">2024年03月05日 10:00</div><div class="source">来源 ：新华社</div>'
        '<div class="Body"><p>正文。</p></div></div></body></html>',
        PageContext(),
    )
    assert page.outlet_hint == "新华社"
    assert clean_body('<p>正文。</p><p class="em_media">（来源 ：新华社）</p>').outlet == "新华社"
