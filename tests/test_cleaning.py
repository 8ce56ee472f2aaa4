"""Body cleaning: furniture removal, text and HTML rendering, sanitising, robustness."""

from __future__ import annotations

import time
from pathlib import Path

import lxml.etree as etree
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from finews_spider.model import Rejected
from finews_spider.normalize.cleaning import REMOVAL_CODES, CleanBody, clean_body

CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus"
POSTS = CORPUS / "posts"
LENOVO = "old_post__2022-03-03-NW202203032295917825.md"
HONEYWELL = "_posts__-202205262391921712.md"
CONSUMER_ELECTRONICS = "_posts__2022-05-31-202205312398034850.md"

# A hand-written equivalent of the Lenovo post body (经济参考网, HK 00992 chart widget).
LENOVO_SNIPPET = (
    '<p style="display:none;height:1px;overflow:hidden;"> </p>'
    "<!-- EM_StockImg_Start -->"
    '<p style="text-align:center;"><a href="http://quote.eastmoney.com/unify/r/116.00992" '
    'data-code="00992|116|5" data-code2="00992|116|3|" class="EmImageRemark" target="_blank">'
    '<img src="https://webquoteklinepic.eastmoney.com/GetPic.aspx?nid=116.00992&amp;imageType=k" '
    'border="0" alt="K图 00992_0]" data-code="K 00992|116|5" style="border:#d1d1d1 1px solid;" '
    'width="578" height="276" /></a></p>'
    "<!-- EM_StockImg_End -->"
    "<p>联想中国3月3日发布2021/2022财年第三财季财报，公司整体营业额同比增长24%。<br /></p>"
    "<p>近年来，联想IT服务领域高速成长。</p>"
    '<p class="em_media">（文章来源：经济参考网）</p>'
)

# The injected-tag source line and inline stock tags, as in the Honeywell / 长盈精密 posts.
TAGGED_SNIPPET = (
    "<p>截至收盘，"
    '<span id="stock_0.300115"><a href="http://quote.eastmoney.com/unify/r/0.300115" '
    'class="keytip" data-code="0,300115">长盈精密</a></span><span id="quote_0.300115"></span>、'
    '<span id="Info.116.00700"><a href="http://quote.eastmoney.com/unify/r/116.00700" '
    'class="keytip" data-code="116,00700">腾讯控股</a></span>、'
    '<span id="bk_90.BK0493"><a href="http://quote.eastmoney.com/unify/r/90.BK0493" '
    'class="keytip" data-code="90,BK0493">新能源</a></span><span id="bkquote_90.BK0493"></span>、'
    '<span web="1" href="http://quote.eastmoney.com/unify/r/106.NIO" '
    'class="em_stock_key_common" data-code="106,NIO">蔚来</span>、'
    '<span id="Info.3259"><a href="http://quote.eastmoney.com/unify/r/0.399006" '
    'class="infokey">创业板指</a></span>走高。</p>'
    '<p class="em_media">（文章来源：上海<span id="bk_90.BK0473">'
    '<a href="http://quote.eastmoney.com/unify/r/90.BK0473" class="keytip" '
    'data-code="90,BK0473">证券</a></span><span id="bkquote_90.BK0473"></span>报）</p>'
)

DISCLAIMER = "郑重声明：东方财富发布此内容旨在传播更多信息，与本站立场无关，不构成投资建议。"
PROMOTION = "在东方财富看资讯行情，选东方财富证券一站式开户交易&gt;&gt;"
BACK_LINKS_MD = (
    "[返回经济参考网新闻](//finews.withounder.com/category/jingjicankaowang.html)"
    "｜[返回首页](//finews.withounder.com/)"
)


def corpus_body(name: str) -> str:
    """The HTML after a post's YAML front matter, as the caller hands it over: without the
    trailing source link (`<http…>`) and back links."""
    path = POSTS / name
    if not path.is_file():
        pytest.skip(f"corpus post {name} not found: ../shared/corpus is absent ({CORPUS})")
    text = path.read_text(encoding="utf-8")
    _, _, rest = text.split("---", 2)
    lines = rest.strip("\n").split("\n")
    body = []
    for line in lines:
        if line.startswith("<http") or line.startswith("<>") or line.startswith("[返回"):
            break
        body.append(line)
    return "\n".join(body)


def corpus_remainder(name: str) -> str:
    """Everything after the front matter, source link and back links included."""
    path = POSTS / name
    if not path.is_file():
        pytest.skip(f"corpus post {name} not found: ../shared/corpus is absent ({CORPUS})")
    return path.read_text(encoding="utf-8").split("---", 2)[2]


def html_tree(fragment: str) -> etree._Element:
    return etree.fromstring(f"<html><body>{fragment}</body></html>", etree.HTMLParser())


def assert_safe_html(fragment: str) -> None:
    """No active element, no event handler, no style/class/id, no javascript: URL."""
    tree = html_tree(fragment)
    for el in tree.iter():
        if not isinstance(el.tag, str):
            continue
        assert el.tag not in {
            "script",
            "style",
            "iframe",
            "object",
            "embed",
            "form",
            "noscript",
            "template",
            "svg",
            "math",
            "div",
            "span",
        }, el.tag
        for name, value in el.attrib.items():
            assert not name.lower().startswith("on"), name
            assert name not in {"style", "class", "id"} and not name.startswith("data-"), name
            assert "javascript:" not in value.lower().replace(" ", ""), value
            if name in {"href", "src"}:
                assert value.startswith(("http://", "https://")), value


def rejected(body: str | bytes) -> Rejected:
    with pytest.raises(Rejected) as info:
        clean_body(body)
    assert info.value.stage == "cleaning"
    return info.value


# --------------------------------------------------------------------------- the real posts


@pytest.mark.corpus
def test_lenovo_post_from_corpus() -> None:
    result = clean_body(corpus_body(LENOVO))
    assert result.body_text.startswith("联想中国3月3日发布")
    assert result.body_text.endswith("满足中小企业用户的多场景数字化需求和IT服务需求。")
    assert "K图" not in result.body_text and "K图" not in result.body_html
    assert "webquoteklinepic" not in result.body_html
    assert "文章来源" not in result.body_text and "文章来源" not in result.body_html
    assert result.outlet == "经济参考网"
    assert result.removed == ("widget", "hidden", "source_line")
    assert len(result.body_text.split("\n")) == 8
    assert result.body_html.startswith("<p>联想中国3月3日发布")
    assert_safe_html(result.body_html)


@pytest.mark.corpus
def test_lenovo_post_with_mirror_footer_left_in() -> None:
    result = clean_body(corpus_remainder(LENOVO))
    assert result.body_text.startswith("联想中国3月3日发布")
    assert result.body_text.endswith("IT服务需求。")
    assert "返回" not in result.body_text and "withounder" not in result.body_html
    assert "back_links" in result.removed


@pytest.mark.corpus
def test_injected_tag_source_line_from_corpus() -> None:
    result = clean_body(corpus_body(HONEYWELL))
    assert result.outlet == "上海证券报"
    assert "文章来源" not in result.body_text
    assert "图片来源：霍尼韦尔官网" in result.body_text  # an ordinary caption stays


@pytest.mark.corpus
def test_stock_tags_from_corpus() -> None:
    result = clean_body(corpus_body(CONSUMER_ELECTRONICS))
    assert "截至收盘，长盈精密、华兴源创、英集芯20cm涨停" in result.body_text
    assert "长盈精密" in result.body_html
    assert "data-code" not in result.body_html and "keytip" not in result.body_html
    assert "quote.eastmoney.com" not in result.body_html
    assert result.outlet == "财联社"
    assert '<img src="https://dfscdn.dfcfw.com/download/' in result.body_html


@pytest.mark.corpus
def test_every_corpus_post_cleans() -> None:
    if not POSTS.is_dir():
        pytest.skip(f"../shared/corpus is absent ({CORPUS})")
    for path in sorted(POSTS.glob("*.md")):
        result = clean_body(corpus_remainder(path.name))
        assert result.body_text, path.name
        assert "K图" not in result.body_text, path.name
        assert "文章来源" not in result.body_text, path.name
        assert "[返回" not in result.body_text, path.name
        if 'class="em_media"' in path.read_text(encoding="utf-8"):
            assert result.outlet, path.name
        assert_safe_html(result.body_html)


# --------------------------------------------------------------------------- furniture


def test_lenovo_snippet() -> None:
    result = clean_body(LENOVO_SNIPPET)
    assert isinstance(result, CleanBody)
    assert result.body_text == (
        "联想中国3月3日发布2021/2022财年第三财季财报，公司整体营业额同比增长24%。\n"
        "近年来，联想IT服务领域高速成长。"
    )
    assert result.outlet == "经济参考网"
    assert result.removed == ("widget", "hidden", "source_line")
    assert "K图" not in result.body_html and "文章来源" not in result.body_html
    assert result.body_html == (
        "<p>联想中国3月3日发布2021/2022财年第三财季财报，公司整体营业额同比增长24%。</p>"
        "<p>近年来，联想IT服务领域高速成长。</p>"
    )


def test_widget_without_markers() -> None:
    body = (
        '<p><a href="http://quote.eastmoney.com/unify/r/0.002752" class="EmImageRemark">'
        '<img src="https://webquoteklinepic.eastmoney.com/GetPic.aspx?nid=0.002752" '
        'alt="K图 002752_0"></a></p>'
        '<p><img src="https://webquoteklinepic.eastmoney.com/GetPic.aspx?nid=1.600519"></p>'
        "<p>正文。</p>"
    )
    result = clean_body(body)
    assert result.body_text == "正文。"
    assert result.body_html == "<p>正文。</p>"
    assert result.removed == ("widget",)


def test_widget_placeholder_and_text_between_markers() -> None:
    body = "<p>甲</p><!-- EM_StockImg_Start -->图<!--IMG#0-->片<!-- EM_StockImg_End -->乙"
    result = clean_body(body)
    assert result.body_text == "甲\n乙"
    assert result.removed == ("widget",)


def test_injected_tag_source_line_and_stock_tags() -> None:
    result = clean_body(TAGGED_SNIPPET)
    assert result.outlet == "上海证券报"
    assert result.body_text == "截至收盘，长盈精密、腾讯控股、新能源、蔚来、创业板指走高。"
    assert result.body_html == "<p>截至收盘，长盈精密、腾讯控股、新能源、蔚来、创业板指走高。</p>"
    assert "data-code" not in result.body_html
    assert result.removed == ("source_line",)


@pytest.mark.parametrize(
    ("line", "outlet"),
    [
        ('<p class="em_media">（文章来源：经济参考网）</p>', "经济参考网"),
        ('<p class="em_media">(文章来源:新华社)</p>', "新华社"),
        ('<p class="em_media">来源：央视新闻客户端</p>', "央视新闻客户端"),
        ('<p class="em_media"> （文章来源：<span>证券</span>时报） </p>', "证券时报"),
        ("<p>（文章来源：中国基金报）</p>", "中国基金报"),  # without the class
    ],
)
def test_source_line_variants(line: str, outlet: str) -> None:
    result = clean_body(f"<p>正文。</p>{line}")
    assert result.outlet == outlet
    assert result.body_text == "正文。"
    assert "source_line" in result.removed


def test_no_source_line_means_no_outlet() -> None:
    result = clean_body("<p>正文，图片来源：霍尼韦尔官网。</p>")
    assert result.outlet is None
    assert result.removed == ()


def test_disclaimer_and_everything_after_it_cut() -> None:
    body = (
        "<div><p>正文第一段。</p><p>正文第二段。</p>"
        f"<p>{DISCLAIMER}</p>"
        "<p>风险提示及免责条款</p></div>"
        '<div class="hot"><h3>热点阅读</h3><ul><li><a href="https://finance.eastmoney.com/a/1.html">'
        "别的新闻</a></li></ul></div>尾巴"
    )
    result = clean_body(body)
    assert result.body_text == "正文第一段。\n正文第二段。"
    assert result.removed == ("disclaimer",)
    for gone in ("郑重声明", "风险提示", "热点阅读", "别的新闻", "尾巴"):
        assert gone not in result.body_text and gone not in result.body_html


def test_disclaimer_inside_a_paragraph_with_tagged_company() -> None:
    body = (
        "<p>正文最后一句。郑重声明："
        '<span id="stock_0.300059"><a class="keytip" href="http://quote.eastmoney.com/unify/r/0.300059">'
        "东方财富</a></span>发布此内容旨在传播更多信息</p><p>热点阅读</p>"
    )
    result = clean_body(body)
    assert result.body_text == "正文最后一句。"
    assert result.body_html == "<p>正文最后一句。</p>"


def test_statement_that_is_not_the_disclaimer_stays() -> None:
    result = clean_body("<p>公司发布郑重声明：网传消息不实。</p><p>后文。</p>")
    assert result.body_text == "公司发布郑重声明：网传消息不实。\n后文。"
    assert result.removed == ()


def test_editor_line_removed() -> None:
    body = (
        "<p>正文。</p><p>（责任编辑：DF351）</p><p>(责任编辑: 张三)</p>"
        "<p>本报责任编辑：的职责说明不受影响，这句话很长，不是编辑署名行。</p>"
    )
    result = clean_body(body)
    assert (
        result.body_text == "正文。\n本报责任编辑：的职责说明不受影响，这句话很长，不是编辑署名行。"
    )
    assert "DF351" not in result.body_html and "张三" not in result.body_html
    assert result.removed == ("editor_line",)


def test_promotion_removed() -> None:
    body = (
        '<p><a href="https://acttg.eastmoney.com/pub/x">' + PROMOTION + "</a></p>"
        "<p>正文。</p>"
        '<p><a class="toplink" href="https://www.eastmoney.com/">广告</a></p>'
        '<p><img class="em_handle_adv_close" src="https://g1.dfcfw.com/close.png">关闭</p>'
        "<p>在东方财富看资讯行情，选<span>东方财富</span>证券一站式开户交易&gt;&gt;</p>"
    )
    result = clean_body(body)
    assert result.body_text == "正文。\n关闭"
    assert "一站式开户" not in result.body_html and "广告" not in result.body_html
    assert "close.png" not in result.body_html
    assert result.removed == ("promotion",)


def test_promotion_inside_a_paragraph_is_cut_out() -> None:
    result = clean_body(f"<p>正文。{PROMOTION}</p>")
    assert result.body_text == "正文。"


def test_hidden_elements_removed() -> None:
    body = (
        '<p style="display:none;height:1px;overflow:hidden;">隐藏一</p>'
        '<p style="COLOR:red; Visibility : hidden">隐藏二</p>'
        "<p hidden>隐藏三</p>"
        '<p>可见<span style="display: none">隐藏四</span>文字</p>'
        '<p style="overflow:hidden">仍然可见</p>'
    )
    result = clean_body(body)
    assert result.body_text == "可见文字\n仍然可见"
    assert "隐藏" not in result.body_html
    assert result.removed == ("hidden",)


def test_mirror_back_links_removed() -> None:
    markdown = clean_body(f"<p>正文。</p><p>{BACK_LINKS_MD}</p>")
    assert markdown.body_text == "正文。"
    assert markdown.removed == ("back_links",)
    bare = clean_body(f"<p>正文。</p>\n\n{BACK_LINKS_MD}\n")
    assert bare.body_text == "正文。"
    rendered = clean_body(
        '<p>正文。</p><p><a href="//finews.withounder.com/emnews/">返回东财滚动新闻</a>｜'
        '<a href="https://finews.withounder.com/">返回首页</a></p>'
    )
    assert rendered.body_text == "正文。"
    assert rendered.body_html == "<p>正文。</p>"
    assert rendered.removed == ("back_links",)


def test_removed_codes_are_known_and_ordered() -> None:
    body = (
        '<p class="em_media">（文章来源：财联社）</p><p hidden>x</p><script>x()</script>'
        "<p>（责任编辑：王）</p><!-- EM_StockImg_Start --><p>w</p><!-- EM_StockImg_End -->"
        '<p>正文。（<a href="x">点击阅读报告全文</a>）</p>'
        f"<p>{PROMOTION}</p><p>{BACK_LINKS_MD}</p><p>{DISCLAIMER}</p>"
    )
    result = clean_body(body)
    assert result.removed == REMOVAL_CODES
    assert result.body_text == "正文。"


# --------------------------------------------------------------------------- text rendering


def test_full_width_indentation_and_whitespace() -> None:
    body = (
        "<p>　　第一段，　　中间的全角空格。</p>"
        "<p>\u00a0\u00a0第二段\u00a0</p>"
        "<p>  第三段\n   换行  </p>"
        "<p>　　</p>"
    )
    result = clean_body(body)
    assert result.body_text == "第一段， 中间的全角空格。\n第二段\n第三段 换行"
    assert result.body_html == "<p>第一段， 中间的全角空格。</p><p>第二段</p><p>第三段 换行</p>"


def test_lines_from_blocks_breaks_and_bare_text() -> None:
    body = (
        "开头的裸文本<p>第一段<br>第二行<br><br></p>中间的<b>裸</b>文本"
        "<div>块<div>嵌套块</div></div><h1>标题</h1><ul><li>甲</li><li>乙</li></ul>"
        "<table><tr><td>A</td><td>B</td></tr></table><blockquote>引用</blockquote>结尾"
    )
    result = clean_body(body)
    assert result.body_text.split("\n") == [
        "开头的裸文本",
        "第一段",
        "第二行",
        "中间的裸文本",
        "块",
        "嵌套块",
        "标题",
        "甲",
        "乙",
        "A B",
        "引用",
        "结尾",
    ]
    assert result.body_html.startswith("<p>开头的裸文本</p><p>第一段<br>第二行</p>")
    assert "<p>中间的<b>裸</b>文本</p>" in result.body_html
    assert "<h2>标题</h2>" in result.body_html
    assert "<ul><li>甲</li><li>乙</li></ul>" in result.body_html
    assert "<blockquote>引用</blockquote>" in result.body_html
    assert result.body_html.endswith("<p>结尾</p>")


# --------------------------------------------------------------------------- sanitising


def test_active_content_never_in_html() -> None:
    body = (
        "<p>正文<script>alert('x')</script>继续</p>"
        "<style>p { color: red }</style>"
        '<iframe src="https://evil.example/"></iframe>'
        '<p><img src="https://dfscdn.dfcfw.com/a.jpg" onerror="alert(1)" style="x" class="c" '
        'id="i" width="552" height="abc"></p>'
        '<p><a href="javascript:alert(1)">坏链接</a><a href=" JaVaScRiPt:alert(1)">坏二</a>'
        '<a href="https://example.com/a?b=1&amp;c=2" onclick="x()" class="k">好链接</a></p>'
        "<svg><script>alert(2)</script><text>svg</text></svg><math><mi>x</mi></math>"
        '<object data="x.swf"></object><embed src="x.swf"><noscript>ns</noscript>'
        '<form action="https://evil.example/"><input value="v"><button>按钮</button></form>'
        '<p><img src="x" onerror="alert(3)"><img src="data:image/png;base64,AAAA"></p>'
    )
    result = clean_body(body)
    assert result.body_text == "正文继续\n坏链接坏二好链接"
    html = result.body_html
    assert_safe_html(html)
    for needle in ("alert", "script", "style", "iframe", "onerror", "onclick", "javascript"):
        assert needle not in html.lower(), needle
    tree = html_tree(html)
    links = tree.findall(".//a")
    assert [a.get("href") for a in links] == ["https://example.com/a?b=1&c=2"]
    assert links[0].get("rel") == "noopener noreferrer nofollow"
    images = tree.findall(".//img")
    assert [(i.get("src"), i.get("width"), i.get("height")) for i in images] == [
        ("https://dfscdn.dfcfw.com/a.jpg", "552", None)
    ]
    assert "active_content" in result.removed


def test_html_keeps_allowed_structure_only() -> None:
    body = (
        '<div class="txtinfos" id="ContentBody"><p style="text-indent:2em">'
        "<strong>粗</strong><em>斜</em><u>下</u>H<sub>2</sub>O x<sup>2</sup>"
        '<font color="red">字体</font></p>'
        '<center><img src="https://dfscdn.dfcfw.com/download/D1_w800h555.jpg" alt="Image" '
        'width="552"></center><p></p><p><br></p><p>&lt;不是标签&gt; &amp;</p></div>'
    )
    result = clean_body(body)
    assert result.body_html == (
        "<p><strong>粗</strong><em>斜</em><u>下</u>H<sub>2</sub>O x<sup>2</sup>字体</p>"
        '<center><img src="https://dfscdn.dfcfw.com/download/D1_w800h555.jpg" alt="Image" '
        'width="552"></center>'
        "<p>&lt;不是标签&gt; &amp;</p>"
    )
    assert result.body_text == "粗斜下H2O x2字体\n<不是标签> &"


_TAGS = ["p", "br", "b", "strong", "em", "u", "sub", "sup", "h1", "h2", "ul", "ol",
         "li", "blockquote", "table", "tr", "td", "img", "a", "center", "font", "pre",
         "dt", "div", "span", "script", "style", "iframe", "frame", "object", "embed",
         "applet", "form", "input", "button", "textarea", "select", "noscript",
         "template", "svg", "math", "title", "meta", "link", "base", "canvas", "video",
         "xmp", "noembed", "body", "html", "head"]  # fmt: skip
_ATTRIBUTES = ["onclick", "onerror", "OnLoad", "style", "class", "id", "data-code",
               "href", "src", "alt", "width", "height", "title", "rel", "target",
               "action", "formaction", "srcset", "background", "xlink:href", "xmlns"]  # fmt: skip
_VALUES = ["javascript:alert(1)", " JaVaScRiPt:alert(1)", "java\tscript:alert(1)",
           "&#106;avascript:alert(1)", "jav&#x09;ascript:x", "vbscript:x", "data:text/html,x",
           "https://dfscdn.dfcfw.com/a.jpg", "http://example.com/?a=1&b=2", "//evil.example/x",
           "/relative", "552", "display:none", "x", "", '"><script>alert(1)</script>',
           "https://a.example/\"onerror=\"x"]  # fmt: skip
# Text with markup's special characters, CJK, whitespace and control characters.
_TEXT = st.text("正文市场abc <>&\"'=/;:\u3000\xa0\x00\x0b\u200b\ud800", max_size=8)
# Loose markup that no element strategy makes on its own.
_RAW = st.sampled_from(["<!--", "-->", "<![CDATA[", "]]>", "</p>", "</div>", "<scr", "ipt>",
                        "</body></html>", "<?xml?>", "<!DOCTYPE>", "&lt;script&gt;",
                        "<"])  # fmt: skip


_ATTRIBUTE = st.tuples(st.sampled_from(_ATTRIBUTES), st.sampled_from(_VALUES) | _TEXT)
_URL = st.tuples(st.sampled_from(["href", "src"]), st.sampled_from(_VALUES))


@st.composite
def _element(draw: st.DrawFn, children: st.SearchStrategy[str]) -> str:
    # half the elements are links or images with a URL of every kind, as the dangerous ones
    if draw(st.booleans()):
        tag, attrs = draw(st.sampled_from(["a", "img"])), [draw(_URL)]
    else:
        tag, attrs = draw(st.sampled_from(_TAGS)), []
    attrs += draw(st.lists(_ATTRIBUTE, max_size=3))
    inner = "".join(draw(st.lists(children, max_size=4)))
    end = f"</{tag}>" if draw(st.booleans()) else ""
    written = "".join(f' {name}="{value}"' for name, value in attrs)
    return f"<{tag}{written}>{inner}{end}"


# After a real paragraph, so that what the markup leaves is rendered rather than rejected.
_BODIES = st.recursive(_TEXT | _RAW, _element, max_leaves=25).map(lambda body: f"<p>正文</p>{body}")


@given(body=_BODIES)
@example(body='<p>正文<script>alert("x")</script></p><a href=" JaVaScRiPt:x">坏</a>')
@example(body='<p><img src="x" onerror="alert(1)"><img src="data:image/png;base64,AA"></p>')
@example(
    body='<p>正文<img src="https://dfscdn.dfcfw.com/a.jpg" style="x" class="c" onload="x()"></p>'
)
@example(body="<svg><script>alert(2)</script><text>svg</text></svg><math><mi>x</mi></math>")
@example(body='<form action="https://evil.example/"><input value="v"><button>按</button></form>')
@example(body='<div class="c" id="i" style="color:red" data-x="1"><span>正文</span></div>')
@example(body='<p><a href="jav&#x09;ascript:alert(1)">链接</a>正文</p>')
@example(body="<p>正文</p><!-- never closed <script>alert(1)</script>")
@example(body="<xmp><script>alert(1)</script></xmp><p>正文</p>")
def test_no_generated_body_leaves_active_content_in_the_html(body: str) -> None:
    """Whatever markup goes in, body_html holds no active element, handler, style, class, id
    or non-http(s) URL (or the body is rejected as empty)."""
    try:
        result = clean_body(body)
    except Rejected as error:
        assert (error.stage, error.reason) == ("cleaning", "empty_body"), error
        return
    assert_safe_html(result.body_html)


# --------------------------------------------------------------------------- rejection


@pytest.mark.parametrize(
    "body",
    [
        "",
        "   \n\t ",
        "\u3000\u3000",
        "<p></p><p> </p><br><div>\u00a0</div>",
        "<!-- only a comment -->",
        "<script>alert(1)</script><style>p{}</style>",
        '<p style="display:none">hidden</p>',
        LENOVO_SNIPPET.split("<p>联想")[0] + '<p class="em_media">（文章来源：经济参考网）</p>',
        f"<p>{DISCLAIMER}</p><p>热点阅读</p>",
        "<p>。，、</p>",
        b"",
        b"\x00\x01\x02\xff\xfe\x00\x10" * 200,
        bytes(range(256)) * 20,
        "\x00\x01\x02\x03\x04\x05",
    ],
)
def test_empty_body_rejected(body: str | bytes) -> None:
    error = rejected(body)
    assert error.reason == "empty_body", error


def test_bytes_input_is_decoded() -> None:
    assert clean_body("<p>字节正文</p>".encode()).body_text == "字节正文"


# --------------------------------------------------------------------------- robustness


@pytest.mark.parametrize(
    "body",
    [
        '<p>abc<span id="stock_0.1"><a class="keytip" href=',
        "<p>abc</p><!-- never closed",
        "<p>abc</p><![CDATA[x",
        "<p>abc<table><tr><td>x</p></td>",
        "<<<>>>abc</p></p></div>",
        "<p>abc</p></body></html><p>after the end</p>",
        '<?xml version="1.0" encoding="utf-8"?><p>abc</p>',
        "<html><head><title>t</title></head><body><p>abc</p></body></html>",
        "<p>abc\x00\x0b\ud800def</p>",
    ],
)
def test_malformed_input_does_not_crash(body: str) -> None:
    result = clean_body(body)
    assert "abc" in result.body_text
    assert_safe_html(result.body_html)


def test_text_after_a_stray_end_of_document_is_kept() -> None:
    result = clean_body("<p>前</p></body></html><p>后</p>")
    assert result.body_text == "前\n后"


def test_huge_body_is_fast() -> None:
    paragraph = (
        "<p>　　这是一段正文，"
        '<span id="stock_0.300115"><a href="http://quote.eastmoney.com/unify/r/0.300115" '
        'class="keytip" data-code="0,300115">长盈精密</a></span><span id="quote_0.300115"></span>'
        "上涨。</p>\n"
    )
    body = paragraph * (2_000_000 // len(paragraph) + 1)
    assert len(body) > 2_000_000
    started = time.perf_counter()
    result = clean_body(body)
    elapsed = time.perf_counter() - started
    assert result.body_text.count("\n") == body.count("<p>") - 1
    assert elapsed < 10, elapsed


def test_huge_single_paragraph_is_fast() -> None:
    body = "<p>" + "<span>甲</span>乙" * 100_000 + "</p>"
    started = time.perf_counter()
    result = clean_body(body)
    assert time.perf_counter() - started < 10
    assert len(result.body_text) == 200_000


@pytest.mark.parametrize("tag", ["div", "span", "b", "blockquote", "li"])
def test_deep_nesting_is_fast_and_keeps_the_text(tag: str) -> None:
    depth = 5_000
    body = f"<p>之前</p>{f'<{tag}>' * depth}深处{f'</{tag}>' * depth}<p>之后</p>"
    started = time.perf_counter()
    result = clean_body(body)
    assert time.perf_counter() - started < 5
    assert result.body_text.startswith("之前")
    assert "深处" in result.body_text
    assert result.body_text.endswith("之后")
    assert_safe_html(result.body_html)
    assert "深处" in result.body_html


def test_deep_unclosed_nesting() -> None:
    result = clean_body("<div>甲" * 5_000)
    assert result.body_text.count("甲") == 5_000
