"""Securities in Eastmoney bodies: the market table, the widget, the tags, hostile values."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from finews_spider.normalize.markets import canonical_code, classify, fund_market_id, secid_of
from finews_spider.normalize.securities import extract_securities, stock_codes

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO.parent / "shared" / "corpus"
SCHEMA = json.loads(
    (REPO / "finews_spider" / "schema" / "article.schema.json").read_text(encoding="utf-8")
)
STOCKS_SCHEMA = SCHEMA["properties"]["stocks"]
KEYS = {"secid", "code", "market_id", "market", "kind", "name", "roles"}

HIDDEN_P = '<p style="display:none;height:1px;overflow:hidden;"><br /></p>'


def widget(code: str, market_id: int, suffix: int, type_: int = 3) -> str:
    """The chart widget exactly as real bodies carry it."""
    return (
        f'{HIDDEN_P}<!-- EM_StockImg_Start --><p style="text-align:center;">'
        f'<a href="http://quote.eastmoney.com/unify/r/{market_id}.{code}" '
        f'data-code="{code}|{market_id}|{suffix}" data-code2="{code}|{market_id}|{type_}|" '
        f'class="EmImageRemark" target="_blank">'
        f'<img src="https://webquoteklinepic.eastmoney.com/GetPic.aspx?nid={market_id}.{code}'
        f'&imageType=k&token=28dfeb41d35cc81d84b4664d7c23c49f&at=1" border="0" '
        f'alt="K图 {code}_0]" data-code="K {code}|{market_id}|{suffix}" '
        f'data-code2="K {code}|{market_id}|{type_}|" style="border:#d1d1d1 1px solid;" '
        f'width="578" height="276" /></a></p><!-- EM_StockImg_End -->'
    )


def stock_tag(market_id: int, code: str, name: str) -> str:
    return (
        f'<span id="stock_{market_id}.{code}"><a href="http://quote.eastmoney.com/unify/r/'
        f'{market_id}.{code}" class="keytip" data-code="{market_id},{code}">{name}</a></span>'
        f'<span id="quote_{market_id}.{code}"></span>'
    )


def common(market_id: int, code: str, name: str) -> str:
    return (
        f'<span web="1" href="http://quote.eastmoney.com/unify/r/{market_id}.{code}" '
        f'class="em_stock_key_common" data-code="{market_id},{code}">{name}</span>'
    )


def by_secid(entries: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {e["secid"]: e for e in entries}


def check_shape(entries: list[dict[str, Any]]) -> None:
    jsonschema.validate(entries, STOCKS_SCHEMA)
    for e in entries:
        assert set(e) == KEYS
        assert canonical_code(e["market_id"], e["code"]) == e["code"]
        assert e["secid"] == secid_of(e["market_id"], e["code"])
    assert len({e["secid"] for e in entries}) == len(entries)
    json.dumps(entries, ensure_ascii=False)


# --- the chart widget ------------------------------------------------------------------------


def test_lenovo_widget_is_one_chart_entry() -> None:
    body = widget("00992", 116, 5) + "<p>联想中国3月3日发布财报。</p>"
    entries = extract_securities(body)
    assert entries == [
        {
            "secid": "116.00992",
            "code": "00992",
            "market_id": 116,
            "market": "HK",
            "kind": "stock",
            "name": None,
            "roles": ["chart"],
        }
    ]
    assert stock_codes(entries) == ["00992"]
    check_shape(entries)


def test_nio_widget_and_repeat_mentions_merge() -> None:
    body = (
        widget("NIO", 106, 7)
        + "<p>"
        + '<span id="bk_90.BK0493"><a href="http://quote.eastmoney.com/unify/r/90.BK0493" '
        'class="keytip" data-code="90,BK0493">新能源</a></span>汽车来了！</p><p>霍尼韦尔宣布为'
        + stock_tag(106, "NIO", "蔚来")
        + "旗下ET7"
        + common(90, "BK0493", "新能源")
        + "汽车提供制冷剂。"
        + common(106, "NIO", "蔚来")
        + "成为首家。</p>"
    )
    entries = extract_securities(body)
    assert [e["secid"] for e in entries] == ["106.NIO", "90.BK0493"]
    nio = entries[0]
    assert nio == {
        "secid": "106.NIO",
        "code": "NIO",
        "market_id": 106,
        "market": "NYSE",
        "kind": "stock",
        "name": "蔚来",
        "roles": ["chart", "tag"],
    }
    assert entries[1]["roles"] == ["tag"]
    assert entries[1]["kind"] == "board"
    assert stock_codes(entries) == ["NIO"]
    check_shape(entries)


def test_board_widget_and_board_tag() -> None:
    body = (
        widget("BK1037", 90, 1, type_=2)
        + '<p>板块方面，<span id="bk_90.BK1037"><a href="http://quote.eastmoney.com/unify/r/'
        '90.BK1037" class="keytip" data-code="90,BK1037">消费电子</a></span>'
        '<span id="bkquote_90.BK1037"></span>、' + common(90, "BK1037", "消费电子") + "</p>"
    )
    entries = extract_securities(body)
    assert entries == [
        {
            "secid": "90.BK1037",
            "code": "BK1037",
            "market_id": 90,
            "market": "BK",
            "kind": "board",
            "name": "消费电子",
            "roles": ["chart", "tag"],
        }
    ]
    assert stock_codes(entries) == []


def test_chart_comes_first_even_after_tags() -> None:
    body = stock_tag(0, "300115", "长盈精密") + widget("002752", 0, 2, type_=6)
    assert [e["secid"] for e in extract_securities(body)] == ["0.002752", "0.300115"]


@pytest.mark.parametrize(
    "inner",
    [
        # no <a>: the image alone, by its data-code
        '<p><img src="https://webquoteklinepic.eastmoney.com/GetPic.aspx?nid=116.00992&at=1" '
        'data-code="K 00992|116|5" /></p>',
        # no <a>, no data-code: the image nid
        '<img src="https://webquoteklinepic.eastmoney.com/GetPic.aspx?nid=116.00992&imageType=k">',
        # the link with data-code2 only
        '<a href="x" data-code2="00992|116|3|" class="EmImageRemark">K</a>',
        # a bare quote link inside the markers
        '<a href="http://quote.eastmoney.com/unify/r/116.00992">K图</a>',
    ],
)
def test_widget_variants(inner: str) -> None:
    body = f"<!-- EM_StockImg_Start -->{inner}<!-- EM_StockImg_End --><p>正文</p>"
    entries = extract_securities(body)
    assert [(e["secid"], e["roles"], e["name"]) for e in entries] == [
        ("116.00992", ["chart"], None)
    ]


def test_widget_placeholder_has_no_security() -> None:
    body = "<!-- EM_StockImg_Start --><!--IMG#0--><!-- EM_StockImg_End --><p>正文</p>"
    assert extract_securities(body) == []


def test_widget_link_outside_markers_still_counts_as_chart() -> None:
    body = '<p><a class="EmImageRemark" data-code="00992|116|5" href="#"><img src="x"></a></p>'
    assert extract_securities(body)[0]["roles"] == ["chart"]


def test_quote_link_after_widget_end_is_a_tag() -> None:
    body = (
        widget("00992", 116, 5)
        + '<p><a href="http://quote.eastmoney.com/unify/r/116.00700">腾讯控股</a></p>'
    )
    entries = by_secid(extract_securities(body))
    assert entries["116.00700"]["roles"] == ["tag"]
    assert entries["116.00700"]["name"] == "腾讯控股"


# --- inline tags, current forms --------------------------------------------------------------


def test_current_inline_forms() -> None:
    body = (
        "<p>"
        + stock_tag(0, "300115", "长盈精密")
        + stock_tag(1, "688001", "华兴源创")
        + '<span id="Info.116.00700"><a href="http://quote.eastmoney.com/unify/r/116.00700" '
        'class="keytip" data-code="116,00700">腾讯控股</a></span>'
        + '<span id="bk_90.BK0493"><a href="http://quote.eastmoney.com/unify/r/90.BK0493" '
        'class="keytip" data-code="90,BK0493">新能源</a></span><span id="bkquote_90.BK0493">'
        "</span>"
        + common(105, "AAPL", "苹果")
        + '<span id="Info.3259"><a href="http://quote.eastmoney.com/unify/r/0.399006" '
        'class="infokey">创业板指</a></span>大涨，'
        + '<span id="Info.3321"><a href="http://data.eastmoney.com/bbsj/" class="infokey">业绩'
        "</a></span>"
        + '<span id="Info.3332"><a href="http://data.eastmoney.com/notices/" class="infokey">公告'
        "</a></span>" + "</p>"
    )
    entries = extract_securities(body)
    got = [(e["secid"], e["market"], e["kind"], e["name"], e["roles"]) for e in entries]
    assert got == [
        ("0.300115", "SZ", "stock", "长盈精密", ["tag"]),
        ("1.688001", "SH", "stock", "华兴源创", ["tag"]),
        ("116.00700", "HK", "stock", "腾讯控股", ["tag"]),
        ("90.BK0493", "BK", "board", "新能源", ["tag"]),
        ("105.AAPL", "NASDAQ", "stock", "苹果", ["tag"]),
        ("0.399006", "INDEX", "index", "创业板指", ["tag"]),
    ]
    assert stock_codes(entries) == ["00700", "300115", "688001", "AAPL"]
    check_shape(entries)


def test_codes_are_canonicalised() -> None:
    body = common(106, "nio", "蔚来") + common(90, "bk0493", "新能源") + common(116, "700", "腾讯")
    assert [e["secid"] for e in extract_securities(body)] == ["106.NIO", "90.BK0493", "116.00700"]


def test_first_tag_name_wins_and_names_are_normalised() -> None:
    body = (
        '<a class="keytip" data-code="0,300115">  长盈\n　精密 </a>'
        '<span class="em_stock_key_common" data-code="0,300115">长盈</span>'
    )
    (entry,) = extract_securities(body)
    assert entry["name"] == "长盈 精密"


def test_empty_tag_text_gives_no_name() -> None:
    (entry,) = extract_securities('<a class="keytip" data-code="0,300115"> </a>')
    assert entry["name"] is None


# --- inline tags, 2016–2017 forms ------------------------------------------------------------


@pytest.mark.parametrize(
    ("html", "expected"),
    [
        (
            '<span id="stock_3001042"><a class="keytip" '
            'href="http://quote.eastmoney.com/SZ300104.html">乐视网</a></span>',
            ("0.300104", 0, "SZ", "stock", "乐视网"),
        ),
        (
            '<span id="stock_6005191"><a class="keytip" '
            'href="http://quote.eastmoney.com/SH600519.html">贵州茅台</a></span>',
            ("1.600519", 1, "SH", "stock", "贵州茅台"),
        ),
        (
            '<span id="stock_NASDAQ_AAPL7"><a class="keytip" '
            'href="http://quote.eastmoney.com/us/AAPL.html?Market=NASDAQ">苹果</a></span>',
            ("105.AAPL", 105, "NASDAQ", "stock", "苹果"),
        ),
        (
            '<a href="http://quote.eastmoney.com/us/BABA.html?Market=NYSE">阿里巴巴</a>',
            ("106.BABA", 106, "NYSE", "stock", "阿里巴巴"),
        ),
        (
            '<a href="http://quote.eastmoney.com/us/brk.b.html?market=nyse">伯克希尔</a>',
            ("106.BRK.B", 106, "NYSE", "stock", "伯克希尔"),
        ),
        (
            '<a href="http://quote.eastmoney.com/us/SIFY.html?Market=AMEX">Sify</a>',
            ("107.SIFY", 107, "AMEX", "stock", "Sify"),
        ),
        (
            # no Market parameter: the exchange comes from the old tag id
            '<span id="stock_NYSE_BABA7"><a class="keytip" '
            'href="http://quote.eastmoney.com/us/BABA.html">阿里巴巴</a></span>',
            ("106.BABA", 106, "NYSE", "stock", "阿里巴巴"),
        ),
        (
            '<a href="http://quote.eastmoney.com/sh600519.html">贵州茅台</a>',
            ("1.600519", 1, "SH", "stock", "贵州茅台"),
        ),
        (
            '<a href="http://quote.eastmoney.com/sz000001.html">平安银行</a>',
            ("0.000001", 0, "SZ", "stock", "平安银行"),
        ),
        (
            '<a href="http://quote.eastmoney.com/zs000001.html">上证指数</a>',
            ("1.000001", 1, "INDEX", "index", "上证指数"),
        ),
        (
            '<a href="//quote.eastmoney.com/hk/00948.html">禹洲地产</a>',
            ("116.00948", 116, "HK", "stock", "禹洲地产"),
        ),
        (
            '<a href="http://fund.eastmoney.com/501300.html">美元债LOF</a>',
            ("1.501300", 1, "SH", "fund", "美元债LOF"),
        ),
        (
            '<a href="http://fund.eastmoney.com/161725.html">白酒基金</a>',
            ("0.161725", 0, "SZ", "fund", "白酒基金"),
        ),
        (
            '<a href="https://fund.eastmoney.com/000001.html">华夏成长</a>',
            ("OF.000001", None, "OTHER", "fund", "华夏成长"),
        ),
        (
            # an old tag span whose link is missing: code + suffix (1 SH, 2 SZ) from the id
            '<span id="stock_0000022">万科A</span>',
            ("0.000002", 0, "SZ", "stock", "万科A"),
        ),
    ],
)
def test_old_forms(html: str, expected: tuple[Any, ...]) -> None:
    entries = extract_securities(f"<p>据报道，{html}表示。</p>")
    got = [(e["secid"], e["market_id"], e["market"], e["kind"], e["name"]) for e in entries]
    assert got == [expected]
    assert entries[0]["roles"] == ["tag"]
    check_shape(entries)


@pytest.mark.parametrize(
    "html",
    [
        '<a href="http://quote.eastmoney.com/us/AAPL.html">苹果</a>',  # exchange unknown
        '<a href="http://quote.eastmoney.com/us/AAPL.html?Market=OTCBB">苹果</a>',
        '<a href="http://data.eastmoney.com/bbsj/" class="infokey">业绩</a>',
        '<a href="http://finance.eastmoney.com/a/202205302396506117.html">原文</a>',
        '<a href="http://quote.example.com/unify/r/0.300115">长盈精密</a>',  # not Eastmoney
        '<a href="http://evil-eastmoney.com/sh600519.html">茅台</a>',
        '<a href="http://fund.eastmoney.com/50130.html">基金</a>',
        '<a href="javascript:alert(1)">x</a>',
        '<a href="http://[::1">x</a>',
        '<span id="quote_0.300115"></span>',
        '<span id="Info.3259">创业板指</span>',
        '<span id="stock_3001049">x</span>',  # unknown suffix
    ],
)
def test_links_without_a_security(html: str) -> None:
    assert extract_securities(f"<p>{html}</p>") == []


# --- exclusions ------------------------------------------------------------------------------


def test_source_line_tags_are_ignored() -> None:
    body = (
        "<p>正文" + stock_tag(1, "600160", "巨化股份") + "</p>"
        '<p class="em_media">（文章来源：上海<span id="bk_90.BK0473"><a href="http://quote.'
        'eastmoney.com/unify/r/90.BK0473" class="keytip" data-code="90,BK0473">证券</a></span>'
        '<span id="bkquote_90.BK0473"></span>报）</p>'
    )
    assert [e["secid"] for e in extract_securities(body)] == ["1.600160"]


def test_source_line_does_not_hide_the_same_board_elsewhere() -> None:
    body = (
        "<p>国盛" + common(90, "BK0473", "证券") + "指出</p>"
        '<p class="em_media">（文章来源：' + common(90, "BK0473", "证券") + "时报）</p>"
    )
    (entry,) = extract_securities(body)
    assert entry["secid"] == "90.BK0473"


@pytest.mark.parametrize(
    "wrapper",
    [
        '<p style="display:none;height:1px;overflow:hidden;">{}</p>',
        '<div style="DISPLAY : None">x<b>{}</b></div>',
        "<div hidden>{}</div>",
        '<div class="x em_media y">{}</div>',
    ],
)
def test_hidden_and_source_elements_are_ignored(wrapper: str) -> None:
    body = wrapper.format(stock_tag(0, "300115", "长盈精密")) + common(1, "600519", "贵州茅台")
    assert [e["secid"] for e in extract_securities(body)] == ["1.600519"]


def test_exclusion_holds_for_every_tag_below_a_hidden_element_and_only_there() -> None:
    """Verdicts are remembered along ancestor paths: tags sharing a hidden ancestor, or a
    visible one, with the nearest tag, each get their own right answer."""
    body = (
        "<div><p>" + stock_tag(0, "300115", "长盈精密") + "</p>"
        "<div hidden><p>"
        + stock_tag(1, "600160", "巨化股份")
        + "<span><b>"
        + common(1, "600519", "贵州茅台")
        + "</b></span></p></div>"
        "<p>" + common(116, "00700", "腾讯控股") + "</p>"
        '<p class="em_media">' + common(90, "BK0473", "证券") + "</p></div>"
    )
    assert [e["secid"] for e in extract_securities(body)] == ["0.300115", "116.00700"]


def test_widget_markers_inside_hidden_element_still_close_the_widget() -> None:
    body = (
        '<!-- EM_StockImg_Start --><a href="http://quote.eastmoney.com/unify/r/116.00992">K</a>'
        '<p style="display:none"><!-- EM_StockImg_End --></p>'
        '<a href="http://quote.eastmoney.com/unify/r/116.00700">腾讯</a>'
    )
    entries = by_secid(extract_securities(body))
    assert entries["116.00992"]["roles"] == ["chart"]
    assert entries["116.00700"]["roles"] == ["tag"]


# --- hostile values --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "data_code",
    [
        "",
        " ",
        ",",
        "0,",
        ",300115",
        "0,300115,1",
        "0.300115",
        "abc,300115",
        "-1,300115",
        "1e2,600519",
        "999,300115",  # unknown market id
        "1000,300115",
        "0,1234567",  # wrong shape for SZ
        "0,30011",
        "1,ABCDEF",
        "90,BK12",
        "90,XX0493",
        "116,123456",
        "116,ABCDE",
        "105,1234",
        "0,<script>",
        "105,<script>alert(1)</script>",
        "0,300115' OR '1'='1",
        "1,600519; DROP TABLE stocks;--",
        '{"$where": "sleep(1000)"}',
        "0,$where",
        "106,NI O",
        "106,NIO%00",
        "106,NIO\u202e",
        "0,３００１１５",  # full-width digits
        "0," + "1" * 10_000,
        "1" * 10_000 + "|116|5",
        "00992|abc|5",
        "00992|116|5|6|7|8",
        "|116|5",
        "K ",
    ],
)
def test_hostile_data_codes_are_skipped(data_code: str) -> None:
    escaped = data_code.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;")
    body = (
        f'<p><span id="stock_x"><a href="http://quote.eastmoney.com/unify/r/0.300115" '
        f'class="keytip" data-code="{escaped}">名字</a></span>'
        f'<span class="em_stock_key_common" data-code="{escaped}">名字</span>'
        f'<a class="EmImageRemark" data-code="{escaped}" href="x"><img src="y"></a></p>'
    )
    # The element's data-code decides: an invalid one is no security (no href fallback).
    assert extract_securities(body) == []


@pytest.mark.parametrize(
    "body",
    [
        "",
        "   ",
        "纯文本，没有标签",
        "<",
        "<!--",
        "<!-- EM_StockImg_Start -->",
        "<p><a class='keytip' data-code='0,300115'",
        "\x00\x01<p>\ud800</p>",
        '<?xml version="1.0" encoding="gbk"?><meta charset="gbk"><p>x</p>',
        "<html><body><script>alert(1)</script></body></html>",
    ],
)
def test_broken_bodies_never_raise(body: str) -> None:
    entries = extract_securities(body)
    check_shape(entries)


def test_control_characters_are_dropped_before_parsing() -> None:
    entries = extract_securities('<a class="keytip" data-code="106,NIO\x00">蔚\x00来</a>')
    assert [(e["secid"], e["name"]) for e in entries] == [("106.NIO", "蔚来")]


def test_broken_markup_still_yields_the_tag() -> None:
    entries = extract_securities(
        "<p><b><span class='em_stock_key_common' data-code='0,300115'>长盈"
    )
    assert [(e["secid"], e["name"]) for e in entries] == [("0.300115", "长盈")]


def test_values_stay_small_and_json_safe() -> None:
    long_name = "名" * 5000
    body = (
        f'<a class="keytip" data-code="0,300115">{long_name}</a>'
        '<span class="em_stock_key_common" data-code="1,600519">贵州<!-- x -->茅台\u0007</span>'
    )
    entries = by_secid(extract_securities(body))
    assert len(entries["0.300115"]["name"]) == 200
    assert entries["1.600519"]["name"] == "贵州茅台"
    check_shape(list(entries.values()))


def test_many_and_deeply_nested_tags_are_linear_and_bounded() -> None:
    many = "".join(common(0, f"{i:06d}", f"股{i}") for i in range(20_000))
    nested = '<span class="em_stock_key_common" data-code="0,300115">长' * 20_000
    for body in (many, nested, "<div>" * 50_000 + "x"):
        start = time.perf_counter()
        entries = extract_securities(body)
        assert time.perf_counter() - start < 5
        assert len(entries) <= 500
        check_shape(entries)
    assert len(extract_securities(many)) == 500


# --- stock_codes -----------------------------------------------------------------------------


def test_stock_codes_sorted_unique_stocks_only() -> None:
    stocks: list[Any] = [
        {"code": "600519", "kind": "stock"},
        {"code": "00700", "kind": "stock"},
        {"code": "BK0493", "kind": "board"},
        {"code": "399006", "kind": "index"},
        {"code": "501300", "kind": "fund"},
        {"code": "600519", "kind": "stock"},
        {"code": None, "kind": "stock"},
        {"kind": "stock"},
        "not a dict",
    ]
    assert stock_codes(stocks) == ["00700", "600519"]
    assert stock_codes([]) == []


# --- the market table ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("market_id", "code", "market", "kind"),
    [
        (0, "000001", "SZ", "stock"),
        (0, "002752", "SZ", "stock"),
        (0, "300115", "SZ", "stock"),
        (0, "301001", "SZ", "stock"),
        (0, "399006", "INDEX", "index"),
        (0, "399001", "INDEX", "index"),
        (0, "159915", "SZ", "fund"),
        (0, "161725", "SZ", "fund"),
        (0, "184688", "SZ", "fund"),
        (0, "830799", "BJ", "stock"),
        (0, "430047", "BJ", "stock"),
        (0, "920002", "BJ", "stock"),
        (0, "200002", "SZ", "stock"),
        (0, "123015", "SZ", "other"),
        (1, "600519", "SH", "stock"),
        (1, "688001", "SH", "stock"),
        (1, "900901", "SH", "stock"),
        (1, "000001", "INDEX", "index"),
        (1, "000300", "INDEX", "index"),
        (1, "510300", "SH", "fund"),
        (1, "501300", "SH", "fund"),
        (1, "113050", "SH", "other"),
        (2, "930050", "INDEX", "index"),
        (2, "H30269", "INDEX", "index"),
        (90, "BK1037", "BK", "board"),
        (100, "HSI", "INDEX", "index"),
        (100, "DJIA", "INDEX", "index"),
        (124, "HSTECH", "INDEX", "index"),
        (125, "HSCEI", "INDEX", "index"),
        (305, "HSCI", "INDEX", "index"),
        (105, "AAPL", "NASDAQ", "stock"),
        (106, "NIO", "NYSE", "stock"),
        (106, "BRK.B", "NYSE", "stock"),
        (107, "SIFY", "AMEX", "stock"),
        (116, "00992", "HK", "stock"),
        (128, "00700", "HK", "stock"),
        (155, "HSBA", "LSE", "stock"),
        (156, "HTSC", "LSE", "stock"),
        (153, "TCEHY", "OTHER", "stock"),
        (8, "IF2206", "OTHER", "other"),
        (101, "GC00Y", "OTHER", "other"),
        (102, "CL00Y", "OTHER", "other"),
        (104, "CN00Y", "OTHER", "other"),
        (108, "X", "OTHER", "other"),
        (113, "rb2210", "OTHER", "other"),
        (114, "m2209", "OTHER", "other"),
        (115, "SR209", "OTHER", "other"),
        (118, "AU9999", "OTHER", "other"),
        (119, "USDCNH", "OTHER", "other"),
        (120, "USDCNYC", "OTHER", "other"),
        (133, "USDCNH", "OTHER", "other"),
        (142, "sc2207", "OTHER", "other"),
        (225, "si2308", "OTHER", "other"),
        (999, "300115", "OTHER", "other"),
        (None, "000001", "OTHER", "fund"),
        (None, "x", "OTHER", "other"),
    ],
)
def test_classify(market_id: int | None, code: str, market: str, kind: str) -> None:
    assert classify(market_id, code) == (market, kind)


@pytest.mark.parametrize(
    ("market_id", "code", "expected"),
    [
        (116, "992", "00992"),
        (116, "00992", "00992"),
        (128, "700", "00700"),
        (116, "123456", None),
        (116, "TENCENT", None),
        (105, "aapl", "AAPL"),
        (106, "brk.b", "BRK.B"),
        (106, "BRK_A", "BRK_A"),
        (105, "1234", None),
        (90, "bk0493", "BK0493"),
        (90, "BK12345", None),
        (90, "0493", None),
        (0, " 300115 ", "300115"),
        (0, "1234567", None),
        (0, "30011A", None),
        (1, "60051", None),
        (2, "h30269", "H30269"),
        (100, "hsi", "HSI"),
        (113, "rb2210", "rb2210"),
        (None, "000001", "000001"),
        (None, "BK0493", None),
        (0, "", None),
        (0, "<script>", None),
        (105, "<script>", None),
        (113, "a" * 21, None),
        (113, "a" * 20, "a" * 20),
        (999, "300115", None),
        (-1, "300115", None),
        (True, "300115", None),
    ],
)
def test_canonical_code(market_id: Any, code: str, expected: str | None) -> None:
    assert canonical_code(market_id, code) == expected


def test_fund_market_ids_and_secids() -> None:
    assert fund_market_id("501300") == 1
    assert fund_market_id("510300") == 1
    assert fund_market_id("159915") == 0
    assert fund_market_id("161725") == 0
    assert fund_market_id("000001") is None
    assert secid_of(None, "000001") == "OF.000001"
    assert secid_of(116, "00992") == "116.00992"


# --- the real corpus -------------------------------------------------------------------------

_WIDGET_RE = re.compile(
    r"<!-- EM_StockImg_Start -->(.*?)<!-- EM_StockImg_End -->", re.DOTALL | re.IGNORECASE
)


def _corpus_posts() -> list[Path]:
    posts = CORPUS / "posts"
    if not posts.is_dir():
        pytest.skip(f"corpus not found at {posts} (the shared corpus is outside this repo)")
    files = sorted(posts.glob("*.md"))
    if not files:
        pytest.skip(f"no posts in {posts}")
    return files


@pytest.mark.corpus
def test_corpus_every_widget_is_a_chart_entry() -> None:
    widgets = 0
    for path in _corpus_posts():
        text = path.read_text(encoding="utf-8", errors="replace")
        entries = extract_securities(text)
        check_shape(entries)
        charts = {e["secid"] for e in entries if "chart" in e["roles"]}
        expected = set()
        for block in _WIDGET_RE.findall(text):
            for m in re.finditer(r'data-code="(?:K )?([^"|]+)\|(\d+)\|', block):
                expected.add(f"{m.group(2)}.{m.group(1)}")
        widgets += len(expected)
        assert expected <= charts, path.name
        # chart entries come first
        roles = [("chart" in e["roles"]) for e in entries]
        assert roles == sorted(roles, reverse=True), path.name
    assert widgets > 0


@pytest.mark.corpus
def test_corpus_source_line_tag_is_excluded() -> None:
    _corpus_posts()
    path = CORPUS / "posts" / "_posts__-202205262391921712.md"
    if not path.is_file():
        pytest.skip(f"{path.name} not in the corpus")
    entries = extract_securities(path.read_text(encoding="utf-8"))
    secids = [e["secid"] for e in entries]
    assert "90.BK0473" not in secids  # only in （文章来源：上海证券报）
    assert secids[0] == "106.NIO"
    assert entries[0]["roles"] == ["chart", "tag"]
    assert entries[0]["name"] == "蔚来"
    assert stock_codes(entries) == ["300343", "600160", "600636", "NIO"]
