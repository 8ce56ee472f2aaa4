"""What the text itself says: securities written with their codes (role `text`) and the outlet
of a trailing attribution, with their traps (field guide, "Signals in the text itself")."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from finews_spider.core import build_article, process_page
from finews_spider.model import Article, Draft, PageContext, ParsedPage
from finews_spider.normalize.attribution import attributed_outlet, trailing_attribution
from finews_spider.normalize.cleaning import clean_body
from finews_spider.normalize.names import link_names, name_table
from finews_spider.normalize.securities import merge_stocks, securities_in_text

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "posts"


def _found(text: str) -> list[tuple[str, str | None, str, str]]:
    return [(e["secid"], e["name"], e["market"], e["kind"]) for e in securities_in_text([text])]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("腾讯控股(00700.HK)午后涨超3%", [("116.00700", "腾讯控股", "HK", "stock")]),
        ("小米集团（1810.HK）", [("116.01810", "小米集团", "HK", "stock")]),
        ("贵州茅台(600519.SH)收涨", [("1.600519", "贵州茅台", "SH", "stock")]),
        ("宁德时代（300750）成交额居前", [("0.300750", "宁德时代", "SZ", "stock")]),
        ("比亚迪(002594)", [("0.002594", "比亚迪", "SZ", "stock")]),
        ("贝特瑞(835185.BJ)", [("0.835185", "贝特瑞", "BJ", "stock")]),
        ("贝特瑞(835185)", [("0.835185", "贝特瑞", "BJ", "stock")]),
        ("科创板中芯国际(688981)", [("1.688981", "中芯国际", "SH", "stock")]),
        ("阿里巴巴(BABA.N)", [("106.BABA", "阿里巴巴", "NYSE", "stock")]),
        ("英伟达（NVDA.O）", [("105.NVDA", "英伟达", "NASDAQ", "stock")]),
        ("拼多多(PDD.OQ)", [("105.PDD", "拼多多", "NASDAQ", "stock")]),
        ("沪深300(000300.SH)", [("1.000300", "沪深300", "INDEX", "index")]),
        ("茅台(SH600519)", [("1.600519", "茅台", "SH", "stock")]),
        ("维持索菲亚(002572.SZ，最新价：23.21元)", [("0.002572", "索菲亚", "SZ", "stock")]),
        (
            "中国平安(601318.SH, 02318.HK)",
            [("1.601318", "中国平安", "SH", "stock"), ("116.02318", "中国平安", "HK", "stock")],
        ),
        (
            "阿里巴巴(BABA.N)和英伟达（NVDA.O）",
            [("106.BABA", "阿里巴巴", "NYSE", "stock"), ("105.NVDA", "英伟达", "NASDAQ", "stock")],
        ),
        ("*ST华微(600360)", [("1.600360", "*ST华微", "SH", "stock")]),
        ("和而泰(002402)", [("0.002402", "和而泰", "SZ", "stock")]),
        ("1月21日昇兴股份(002752)", [("0.002752", "昇兴股份", "SZ", "stock")]),
    ],
)
def test_written_codes(text: str, expected: list[tuple[str, str, str, str]]) -> None:
    assert _found(text) == expected
    assert all(e["roles"] == ["text"] for e in securities_in_text([text]))


@pytest.mark.parametrize(
    "text",
    [
        "某公司(2021)年报",  # a year
        "公司于(20240319)披露",  # a date
        "公司于(2024-03-19)披露",  # a date
        "公司于(2024.03.19)披露",  # a date
        "募资净额(300000元)",  # an amount
        "款项(3,000,000)待付",  # an amount
        "客服电话（95588）",  # a phone number
        "咨询热线(021-68888888)",  # a phone number
        "手机(13812345678)",  # a phone number
        "客服电话(600519)",  # six digits after a phone word
        "香港区号(00852)",  # five bare digits: no HK code without .HK
        "产品型号(600100)",  # a product code in an A-share number plan
        "配件(A2484)",  # a product code
        "护肤品牌(SK-II)",  # a product code
        "抬头显示(HUD)",  # an abbreviation
        "美国存托凭证(ADR)",  # an abbreviation
        "Faraday Future (FF)",  # a ticker without its exchange
        "苹果(AAPL.US)",  # `.US` names no exchange: no secid
        "茅台(600519.SZ)",  # the code's plan contradicts the suffix
        "某债(110001)",  # bare six digits outside every stock plan
        "(600519)",  # a bare code needs a name
        "宁德时代（300750，同比增长5%）",  # a bare code must fill the parentheses
    ],
)
def test_not_securities(text: str) -> None:
    assert securities_in_text([text]) == []


def _shaped(pattern: str) -> st.SearchStrategy[str]:
    return st.from_regex(pattern, fullmatch=True)


# Sentence text around a parenthetical (no parentheses), and a name right before it.
_PROSE = st.text("公司股份集团于在年报披露募资净额款项的了ABCxyz0123，。、：；  ", max_size=10)
_NAMES = st.text("中国平安贵州茅台科技银行股份集团*ST", min_size=2, max_size=6)
_YEARS = _shaped(r"(19|20)[0-9]{2}") | _shaped(r"(19|20)[0-9]{2}(年|年度)")
_DATES = st.one_of(
    _shaped(r"(19|20)[0-9]{2}[01][0-9][0-3][0-9]"),
    _shaped(r"(19|20)[0-9]{2}-[01]?[0-9]-[0-3]?[0-9]"),
    _shaped(r"(19|20)[0-9]{2}\.[01]?[0-9]\.[0-3]?[0-9]"),
    _shaped(r"(19|20)[0-9]{2}/[01]?[0-9]/[0-3]?[0-9]"),
    _shaped(r"((19|20)[0-9]{2}年)?[01]?[0-9]月[0-3]?[0-9]日"),
)
# Six digits in an A-share number plan: the trap, an amount or a number in a code's shape.
_CODE_SHAPED = "(000|002|300|600|601|688)[0-9]{3}"
_UNITS = "(元|万元|亿元|万股|股|美元|港元|亿|万|%)"
_AMOUNTS = st.one_of(
    _shaped(r"[1-9][0-9]{0,2}(,[0-9]{3})+(\.[0-9]{1,2})?(元|万元|亿元)?"),
    _shaped(rf"[0-9]{{1,9}}(\.[0-9]{{1,4}})? ?{_UNITS}"),
    _shaped(rf"{_CODE_SHAPED}(\.[0-9]{{1,4}})? ?{_UNITS}"),
    _shaped(rf"([0-9]{{1,6}}|{_CODE_SHAPED})\.[0-9]{{1,4}}"),
)
# A phone number: a phone word then any digits, or a number in a phone number's shape.
_PHONE_WORDS = st.sampled_from(["电话", "热线", "传真", "手机", "客服电话", "咨询热线", "号码"])
_PHONES = st.one_of(
    st.tuples(_PHONE_WORDS, _shaped(rf"[0-9]{{3,12}}|{_CODE_SHAPED}")),
    st.tuples(
        st.just(""),
        _shaped(r"0[0-9]{2,3}-[0-9]{7,8}|1[3-9][0-9]{9}|[48]00-?[0-9]{3}-?[0-9]{4}|95[0-9]{3}"),
    ),
)


@st.composite
def _not_a_code(draw: st.DrawFn) -> str:
    """A sentence with a year, a date, an amount or a phone number in parentheses."""
    kind = draw(st.sampled_from([_YEARS, _DATES, _AMOUNTS, _PHONES]))  # each as often
    word, inner = draw(kind) if kind is _PHONES else ("", draw(kind))
    pad = draw(st.sampled_from(["", " "]))
    left, right = draw(st.sampled_from(["()", "（）"]))
    before = draw(_PROSE) + draw(_NAMES) + word
    return f"{before}{left}{pad}{inner}{pad}{right}{draw(_PROSE)}"


@given(text=_not_a_code())
@example(text="某公司(2021)年报")
@example(text="公司于(20240319)披露")
@example(text="募资净额(300000元)")
@example(text="款项(3,000,000)待付")
@example(text="客服电话（95588）")
@example(text="客服电话(600519)")
@example(text="手机(13812345678)")
def test_years_dates_amounts_and_phone_numbers_are_never_codes(text: str) -> None:
    assert securities_in_text([text]) == []


def test_merge_keeps_markup_entries_first_and_adds_the_text_role() -> None:
    tag = {
        "secid": "0.300750",
        "code": "300750",
        "market_id": 0,
        "market": "SZ",
        "kind": "stock",
        "name": None,
        "roles": ["chart"],
    }
    written = securities_in_text(["宁德时代（300750）与比亚迪(002594)"])
    merged = merge_stocks([tag], written)
    assert [(s["secid"], s["name"], s["roles"]) for s in merged] == [
        ("0.300750", "宁德时代", ["chart", "text"]),
        ("0.002594", "比亚迪", ["text"]),
    ]


@pytest.mark.parametrize(
    ("line", "outlet"),
    [
        ("同比增长12%。（央视财经）", "央视财经"),
        ("正式投产。(证券时报网)", "证券时报网"),
        ("“明年将加快。”（中新网）", "中新网"),
        ("结束。（21世纪经济报道）", "21世纪经济报道"),
        ("发展。（文章来源：央视新闻客户端）", "央视新闻客户端"),
        ("报告回顾了政策的演进。（2021年）", None),  # a year
        ("规模可观。(3亿元)", None),  # an amount
        ("渗透率提升。(HUD)", None),  # an abbreviation
        ("增长。（点击阅读报告全文）", None),  # a note
        ("闭幕。（完）", None),  # a note
        ("增长。（记者 张三）", None),  # a byline
        ("属于氢氟烯烃(HFO)，据霍尼韦尔官网", None),  # not at the end
        ("加拿大年金计划委员会(中国基金报)披露", None),  # not at the end
        ("（中国基金报）", None),  # no sentence before it
    ],
)
def test_trailing_attribution(line: str, outlet: str | None) -> None:
    assert trailing_attribution(line) == outlet


def test_attributions_that_disagree_name_no_outlet() -> None:
    assert attributed_outlet(None, "油价收涨。（新华社）\n股指涨跌不一。（中新网）") is None
    assert attributed_outlet("油价收涨。（新华社）", "油价收涨。（新华社）\n其他") == "新华社"


def test_link_label_is_furniture() -> None:
    clean = clean_body(
        '<p>提供系统化金融支持。（<a href="https://finance.eastmoney.com/a/1.html">'
        '点击阅读报告全文</a>）</p><p>市场人士（<a href="x">新华社</a>）指出</p>'
    )
    assert clean.body_text == "提供系统化金融支持。\n市场人士（新华社）指出"
    assert "点击" not in clean.body_html and "link_label" in clean.removed


def _page(**fields: object) -> ParsedPage:
    base: dict[str, object] = {
        "url": "file:///x/2024-03-22-202403222993400015.md",
        "kind": "finews_source",
        "title": "标题",
        "date_raw": "2024-03-22 10:00:00 +0800",
        "body_html": "<p>一季度工业经济运行总体平稳。（央视财经）</p>",
        "source_url": "http://finance.eastmoney.com/a/202403222993400015.html",
    }
    base.update(fields)
    return ParsedPage(**base)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("fields", "outlet"),
    [
        ({"outlet_tag": "经济参考网"}, "央视财经"),  # attribution beats the post tag
        ({"outlet_hint": "经济参考网", "outlet_tag": "x"}, "经济参考网"),  # list record wins
        (
            {"body_html": '<p>平稳。（央视财经）</p><p class="em_media">（文章来源：新华网）</p>'},
            "新华网",  # the source line wins
        ),
        ({"body_html": "<p>平稳。</p>", "outlet_tag": "经济参考网"}, "经济参考网"),
        ({"body_html": "<p>平稳。</p>"}, None),
    ],
)
def test_order_of_evidence_for_the_outlet(fields: dict[str, object], outlet: str | None) -> None:
    assert build_article(Draft(_page(**fields))).outlet == outlet


#: The `text` links on the real posts, each checked by hand against the post.
CORPUS_TEXT_LINKS = {
    "_posts__2021-12-08-202112082206885265.md": {("116.03301", "融信中国")},
    "_posts__2022-01-21-NW202201212257099936.md": {("0.002752", "昇兴股份")},
    "_posts__2022-02-09-NW202202092271136373.md": {("0.002572", "索菲亚")},
    "old_post__2021-12-08-202112082207012974.md": {("116.01548", "金斯瑞生物科技")},
    "old_post__2022-01-21-202201212257099936.md": {("0.002752", "昇兴股份")},
}


def test_text_links_on_the_real_posts() -> None:
    if not CORPUS.is_dir():
        pytest.skip(f"real corpus not found at {CORPUS}")
    links = {}
    for path in sorted(CORPUS.glob("*.md")):
        doc = process_page(path.as_uri(), path.read_bytes(), PageContext(file_name=path.name))
        if isinstance(doc, Article):
            found = {(s["secid"], s["name"]) for s in doc.stocks if "text" in s["roles"]}
            if found:
                links[path.name] = found
    assert links == CORPUS_TEXT_LINKS


# --- names linked to codes (role `name`) -----------------------------------------------------


def _master(secid: str, kind: str, *names: str) -> dict[str, object]:
    market_id, code = secid.split(".", 1)
    return {
        "_id": secid,
        "code": code,
        "market_id": int(market_id),
        "market": "SH",
        "kind": kind,
        "names": [{"name": n} for n in names],
    }


MASTERS = [
    _master("1.600519", "stock", "贵州茅台", "茅台"),
    _master("1.601318", "stock", "中国平安"),
    _master("116.02318", "stock", "中国平安"),  # A+H: the name names two securities
    _master("0.002594", "stock", "比亚迪"),
    _master("116.01211", "stock", "比亚迪股份"),
    _master("90.BK0493", "board", "新能源"),
]


def test_name_table_keeps_only_unambiguous_long_stock_names() -> None:
    table = name_table(MASTERS)
    assert table["贵州茅台"]["secid"] == "1.600519"  # type: ignore[index]
    assert "茅台" not in table  # too short
    assert table["中国平安"] is None and table["新能源"] is None  # ambiguous; a board
    assert table["比亚迪股份"]["secid"] == "116.01211"  # type: ignore[index]


def test_names_link_without_codes_longest_first() -> None:
    table = name_table(MASTERS)
    texts = ["贵州茅台领涨，中国平安、比亚迪股份走强，茅台酒价回落，新能源板块活跃。"]
    linked = link_names(texts, [], table)
    assert [(e["secid"], e["name"], e["roles"]) for e in linked] == [
        ("1.600519", "贵州茅台", ["name"]),
        ("116.01211", "比亚迪股份", ["name"]),  # not also 比亚迪 inside it
    ]
    already = [{"secid": "1.600519"}]
    assert [e["secid"] for e in link_names(texts, already, table)] == ["116.01211"]
    assert link_names(texts, [], {}) == []


def test_the_core_links_names_only_given_a_table() -> None:
    body = "<p>贵州茅台今日领涨。</p>"
    without = build_article(Draft(_page(body_html=body)))
    assert without.stocks == []
    page = _page(body_html=body, context=PageContext(names=name_table(MASTERS)))
    doc = build_article(Draft(page))
    assert [(s["secid"], s["roles"]) for s in doc.stocks] == [("1.600519", ["name"])]
    assert doc.stock_codes == ["600519"]
