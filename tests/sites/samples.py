"""A few synthetic finews post sources, modelled on the real forms (see eastmoney.md).

Used when the project's fixtures (``fixtures/finews_source/``) are not there yet, and by
tests that need posts of a known shape. The texts are invented; ids follow the real
patterns (18-digit article ids starting with the date, ``NW`` + id info codes).
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["CATEGORYLESS_POST", "SAMPLE_POSTS", "post_source", "write_sample_posts"]

_WIDGET = (
    '<p style="display:none;height:1px;overflow:hidden;"><br /></p><!-- EM_StockImg_Start -->'
    '<p style="text-align:center;"><a href="http://quote.eastmoney.com/unify/r/{secid}" '
    'data-code="{code}|{market}|{suffix}" data-code2="{code}|{market}|3|" class="EmImageRemark" '
    'target="_blank"><img src="https://webquoteklinepic.eastmoney.com/GetPic.aspx?nid={secid}'
    '&imageType=k&at=1" border="0" alt="K图 {code}_0]" data-code="K {code}|{market}|{suffix}" '
    'width="578" height="276" /></a></p><!-- EM_StockImg_End -->'
)


def post_source(
    *,
    title: str,
    date: str,
    category: str | None,
    tag: str,
    body: str,
    source_link: str | None,
    back_link: str | None = None,
    digest: str | None = None,
) -> str:
    """One post source in the mirror's form: front matter, [digest], body, link, back links."""
    lines = [
        "---",
        "layout: post",
        f'title: "{title}"',
        f"date: {date}",
        *([f"categories: {category}"] if category is not None else []),
        f"tags: {tag}",
        "---",
    ]
    if digest is not None:
        lines += [f"> {digest}", ""]
    lines += [body, ""]
    if source_link is not None:
        lines += [f"<{source_link}>", ""]
    if back_link is not None:
        lines += [back_link]
    return "\n".join(lines) + "\n"


def _back(outlet_tag: str, category: str) -> str:
    target = "emnews/" if category == "emnews" else f"category/{category}.html"
    home = "//finews.withounder.com"
    return f"[返回{outlet_tag}]({home}/{target})｜[返回首页]({home}/)"


SAMPLE_POSTS: dict[str, str] = {
    # an outlet post: chart widget, inline stock tag, em_media line, NewsShare source link
    "2022-03-03-NW202203031234567890.md": post_source(
        title="示例科技三季度服务收入同比增长37%",
        date="2022-03-03 16:39:57 +0800",
        category="jingjicankaowang",
        tag="经济参考网新闻",
        body=_WIDGET.format(secid="116.00992", code="00992", market="116", suffix="5")
        + "<p>示例科技3月3日发布财报，服务业务收入同比增长37%。"
        '<span id="stock_0.300115"><a href="http://quote.eastmoney.com/unify/r/0.300115" '
        'class="keytip" data-code="0,300115">示例精密</a></span>'
        '<span id="quote_0.300115"></span>同日公告扩产计划。</p>'
        "<p>公司表示，中小企业数字化需求持续增长。</p>"
        '<p class="em_media">（文章来源：经济参考网）</p>',
        source_link="http://finews.zning.xyz/html_News/NewsShare.html?infoCode=NW202203031234567890",
        back_link=_back("经济参考网新闻", "jingjicankaowang"),
    ),
    # a short outlet post, another category
    "2022-05-30-NW202205301234567891.md": post_source(
        title="某养老基金披露持仓 190只中国股票市值超500亿元",
        date="2022-05-30 22:00:29 +0800",
        category="zhongguozhengquanbao",
        tag="中国证券报新闻",
        body="<p>近日，某养老基金披露最新财报，共190家中国企业现身其投资组合。 </p>"
        '<p class="em_media">（文章来源：中国证券报）</p>',
        source_link="http://finews.zning.xyz/html_News/NewsShare.html?infoCode=NW202205301234567891",
        back_link=_back("中国证券报新闻", "zhongguozhengquanbao"),
    ),
    # Eastmoney rolling news: digest line, HTML body, column URL source link
    "2022-05-30-202205301234567892.md": post_source(
        title="央行报告提出促进消费投资增长 哪些领域受支持？",
        date="2022-05-30 21:59:45 +0800",
        category="emnews",
        tag="东财滚动新闻",
        digest="周一某研究课题组发布报告指出，促进消费和投资增长大有可为。",
        body="<p>报告提出，要多措并举促进消费有序恢复。</p>"
        '<p>发展<span web="1" href="http://quote.eastmoney.com/unify/r/90.BK0493" '
        'class="em_stock_key_common" data-code="90,BK0493">新能源</span>是重点方向。</p>'
        '<p class="em_media">（文章来源：财联社）</p>',
        source_link="http://finance.eastmoney.com/news/1355,202205301234567892.html",
        back_link=_back("东财滚动新闻", "emnews"),
    ),
    # Eastmoney rolling news, the early form: plain-text body, no offset on the date
    "2021-12-08-202112081234567893.md": post_source(
        title="某市人均可支配收入增速创2018年以来最高水平",
        date="2021-12-08 10:46:18",
        category="emnews",
        tag="东财滚动新闻",
        body="某市人均可支配收入增长6.35%，为2018年以来最高水平。",
        source_link="http://finance.eastmoney.com/news/11060,202112081234567893.html",
    ),
}


#: A post without categories: Jekyll publishes it at /<yyyy>/<mm>/<dd>/<slug>.html, the form
#: of 3 of the 20 real posts on the mirror. The loopback site serves it beside the fixtures.
CATEGORYLESS_POST: tuple[str, str] = (
    "2024-03-04-202403042987000004.md",
    post_source(
        title="多地出台措施稳定外贸 一季度出口订单回暖",
        date="2024-03-04 15:20:00 +0800",
        category=None,
        tag="东财滚动新闻",
        body="<p>多地近日出台稳外贸措施，一季度出口订单明显回暖。</p>"
        '<p class="em_media">（文章来源：新华社）</p>',
        source_link="http://finance.eastmoney.com/a/202403042987000004.html",
    ),
)


def write_sample_posts(folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, text in SAMPLE_POSTS.items():
        path = folder / name
        path.write_text(text, encoding="utf-8")
        paths.append(path)
    return paths
