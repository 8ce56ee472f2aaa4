"""A deterministic corpus of realistic pages, templated on the project's fixtures.

Page `i` depends only on (seed, i): any page, and its clean reference, can be made again
without storing anything. The four page kinds are rendered as the fixtures show them
(`fixtures/finews_source`, `finews_page`, `eastmoney_page`, `newsshare_json`), with varied
titles, dates (with and without offsets, minutes-only Eastmoney headers, epoch milliseconds),
chart widgets, inline stock/board/index tags, tags, outlets, body lengths (1-40 paragraphs),
GBK-encoded Eastmoney pages, and the furniture the core removes (hidden paragraphs, source
and editor lines, disclaimers, promotions, back links, navigation, sidebars, scripts).

About 5 % of pages are the same article through a second route (one document, merged), and
about 4 % are pages the core must reject (site notices, no date, empty title).

The reference for a page is the article's paragraphs as plain text: what a perfect extractor
returns as the body (furniture out, inline tags reduced to their text).
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

BEIJING = timezone(timedelta(hours=8))
KINDS = ("finews_source", "finews_page", "eastmoney_page", "newsshare_json")

# --------------------------------------------------------------------------- vocabulary

#: (name, secid): A shares, Hong Kong, US, as the widget and the inline tags name them.
STOCKS = [
    ("贵州茅台", "1.600519"),
    ("招商银行", "1.600036"),
    ("中国平安", "1.601318"),
    ("隆基绿能", "1.601012"),
    ("中芯国际", "1.688981"),
    ("工商银行", "1.601398"),
    ("长江电力", "1.600900"),
    ("中国石油", "1.601857"),
    ("宁德时代", "0.300750"),
    ("比亚迪", "0.002594"),
    ("北方华创", "0.002371"),
    ("五粮液", "0.000858"),
    ("美的集团", "0.000333"),
    ("东方财富", "0.300059"),
    ("迈瑞医疗", "0.300760"),
    ("腾讯控股", "116.00700"),
    ("汇丰控股", "116.00005"),
    ("联想集团", "116.00992"),
    ("美团", "116.03690"),
    ("小米集团", "116.01810"),
    ("比亚迪股份", "116.01211"),
    ("特斯拉", "105.TSLA"),
    ("英伟达", "105.NVDA"),
    ("苹果", "105.AAPL"),
    ("摩根大通", "106.JPM"),
    ("蔚来", "106.NIO"),
]
BOARDS = [
    ("半导体", "90.BK1036"),
    ("新能源", "90.BK0493"),
    ("房地产开发", "90.BK0451"),
    ("白酒", "90.BK0896"),
    ("证券", "90.BK0473"),
    ("银行", "90.BK0475"),
    ("光伏设备", "90.BK1031"),
    ("医疗器械", "90.BK1041"),
]
INDEXES = [("创业板指", "0.399006"), ("上证指数", "1.000001"), ("深证成指", "0.399001")]
#: (outlet, finews category)
OUTLETS = [
    ("经济参考网", "jingjicankaowang"),
    ("财联社", "cailianshe"),
    ("上海证券报", "shanghaizhengquanbao"),
    ("证券时报", "zhengquanshibao"),
    ("中国证券报", "zhongguozhengquanbao"),
    ("央视网", "yangshiwang"),
    ("21世纪经济报道", "21shijijingjibaodao"),
]
EVENTS = [
    "一季度营业收入同比增长{pct}%",
    "发布年度业绩预告 净利润预增{pct}%",
    "宣布新一轮股份回购计划",
    "获机构上调评级至买入",
    "拟投资{num}亿元建设新基地",
    "董事会通过年度利润分配方案",
    "海外业务收入创历史新高",
    "股价盘中创年内新高",
    "公告签订重大销售合同",
    "子公司完成新一轮融资",
]
MOVES = ["持续走强", "午后拉升", "震荡走低", "集体反弹", "尾盘跳水", "高开低走", "探底回升"]
SENTENCES = [
    "{co}{month}月{day}日披露，{event}。",
    "{co}表示，将继续加大在研发和海外市场方面的投入，同时推进数字化转型。",
    "分析人士认为，行业景气度持续回升，头部公司有望持续受益。",
    "{board}板块{move}，{co}涨超{pct}%，{co2}跟涨。",
    "截至收盘，{index}报{num2}点，成交额较上一交易日有所放大。",
    "北向资金全天净买入{num}亿元，{co}获大幅加仓。",
    "据统计，今年以来已有{num}家上市公司发布类似公告。",
    "业内人士表示，政策持续优化有助于释放合理需求，{board}板块估值有望修复。",
    "{co}当日成交额居两市前列，换手率升至{pct}%。",
    "机构预计，{co}全年净利润将达到{num}亿元，对应市盈率约{pct}倍。",
    "市场人士表示，美元指数回落带动非美货币普遍走强。",
    "国家统计局数据显示，{month}月份全国居民消费价格同比上涨{pct}%。",
    "{co}与{co2}港股均有上涨，{index}收高。",
    "公司方面称，相关项目预计将于{year}年底前投产，达产后年产值约{num}亿元。",
    "多家券商发布研报称，{board}行业订单饱满，龙头公司市场份额持续提升。",
    "从资金流向看，{board}板块主力资金净流入{num}亿元，居行业首位。",
    "{co}股东大会审议通过了年度利润分配方案，每股派发现金红利{num2}元。",
    "离岸人民币兑美元日内涨超{num}点，现报7.{num3}。",
]
NAV = ["首页", "财经", "焦点", "股票", "新股", "期指", "期权", "行情", "数据", "全球", "美股",
       "港股", "期货", "外汇", "银行", "基金", "理财", "保险", "债券", "视频", "股吧", "基金吧",
       "博客", "财富号", "搜索"]  # fmt: skip
PROMOTION = "在东方财富看资讯行情，选东方财富证券一站式开户交易>>"
DISCLAIMER = "郑重声明：东方财富发布此内容旨在传播更多信息，与本站立场无关，不构成投资建议。"


def _split(secid: str) -> tuple[str, str]:
    market, code = secid.split(".", 1)
    return market, code


# --------------------------------------------------------------------------- articles


@dataclass
class Article:
    """What an article is, whichever route serves it."""

    number: int
    article_id: str
    title: str
    published: datetime  # Beijing time, to the second
    outlet: str
    category: str
    emnews: bool  # Eastmoney rolling news (digest line, 东财滚动新闻)
    digest: str
    widget: tuple[str, str] | None  # (name, secid) of the chart widget
    paragraphs_html: list[str]
    paragraphs_text: list[str]  # the reference: what the body is, as text


def _tag(name: str, secid: str, style: int) -> str:
    market, code = _split(secid)
    link = f"http://quote.eastmoney.com/unify/r/{secid}"
    if code.startswith("BK"):
        return (
            f'<span id="bk_{secid}"><a href="{link}" class="keytip" data-code="{market},{code}">'
            f'{name}</a></span><span id="bkquote_{secid}"></span>'
        )
    if style == 0:
        return (
            f'<span id="stock_{secid}"><a href="{link}" class="keytip" '
            f'data-code="{market},{code}">{name}</a></span><span id="quote_{secid}"></span>'
        )
    if style == 1:
        return (
            f'<span id="Info.{secid}"><a href="{link}" class="keytip" '
            f'data-code="{market},{code}">{name}</a></span>'
        )
    return (
        f'<span web="1" href="{link}" class="em_stock_key_common" '
        f'data-code="{market},{code}">{name}</span>'
    )


def _index_tag(name: str, secid: str, n: int) -> str:
    return (
        f'<span id="Info.{3200 + n}"><a href="http://quote.eastmoney.com/unify/r/{secid}" '
        f'class="infokey">{name}</a></span>'
    )


def _sentence(rng: random.Random, tagged: bool) -> tuple[str, str]:
    """One sentence as (html, text)."""
    template = rng.choice(SENTENCES)
    co, co2 = rng.sample(STOCKS, 2)
    board = rng.choice(BOARDS)
    index = rng.choice(INDEXES)
    values = {
        "pct": f"{rng.randint(1, 60)}.{rng.randint(0, 9)}",
        "num": str(rng.randint(2, 900)),
        "num2": f"{rng.randint(1000, 3999)}.{rng.randint(10, 99)}",
        "num3": f"{rng.randint(1000, 2999)}",
        "month": str(rng.randint(1, 12)),
        "day": str(rng.randint(1, 28)),
        "year": str(rng.randint(2024, 2027)),
        "move": rng.choice(MOVES),
    }
    values["event"] = rng.choice(EVENTS).format(**values)
    text = template.format(co=co[0], co2=co2[0], board=board[0], index=index[0], **values)
    if not tagged:
        return text, text
    html = template.format(
        co=_tag(*co, rng.randint(0, 2)),
        co2=_tag(*co2, rng.randint(0, 2)),
        board=_tag(*board, 0),
        index=_index_tag(*index, rng.randint(0, 99)),
        **values,
    )
    return html, text


def make_article(seed: int, number: int) -> Article:
    rng = random.Random(f"{seed}:article:{number}")
    start = datetime(2022, 1, 1, tzinfo=BEIJING)
    published = start + timedelta(
        days=rng.randint(0, 1094), hours=rng.randint(7, 22), seconds=rng.randint(0, 3599)
    )
    published = published.replace(second=rng.randint(1, 59))
    # 18-digit id: the Beijing date, then 10 digits unique per article (7919 is prime)
    article_id = f"{published:%Y%m%d}{(number * 7919 + 12345) % 10**10:010d}"
    emnews = rng.random() < 0.35
    outlet, category = rng.choice(OUTLETS)
    if emnews:
        category = "emnews"
    co = rng.choice(STOCKS)
    if rng.random() < 0.5:
        title = f"{co[0]}：{rng.choice(EVENTS)}"
    else:
        title = f"{rng.choice(BOARDS)[0]}板块{rng.choice(MOVES)} {co[0]}{rng.choice(MOVES)}"
    title = title.format(pct=rng.randint(1, 80), num=rng.randint(2, 500))
    # body length: flashes, ordinary articles, long reports
    roll = rng.random()
    count = (
        rng.randint(1, 3)
        if roll < 0.35
        else rng.randint(4, 10)
        if roll < 0.85
        else rng.randint(11, 40)
    )
    tagged = rng.random() < 0.6
    paragraphs_html, paragraphs_text = [], []
    for _ in range(count):
        parts = [_sentence(rng, tagged and rng.random() < 0.5) for _ in range(rng.randint(1, 4))]
        paragraphs_html.append("".join(h for h, _ in parts))
        paragraphs_text.append("".join(t for _, t in parts))
    widget = rng.choice(STOCKS + BOARDS[:3]) if rng.random() < 0.6 else None
    return Article(
        number=number,
        article_id=article_id,
        title=title,
        published=published,
        outlet=outlet,
        category=category,
        emnews=emnews,
        digest=paragraphs_text[0][:60],
        widget=widget,
        paragraphs_html=paragraphs_html,
        paragraphs_text=paragraphs_text,
    )


# --------------------------------------------------------------------------- rendering


def _widget_html(widget: tuple[str, str] | None, rng: random.Random) -> str:
    if widget is None:
        return ""
    market, code = _split(widget[1])
    suffix = rng.choice("1257")
    hidden = '<p style="display:none;height:1px;overflow:hidden;"><br /></p>'
    return (
        f'{hidden}<!-- EM_StockImg_Start --><p style="text-align:center;">'
        f'<a href="http://quote.eastmoney.com/unify/r/{widget[1]}" '
        f'data-code="{code}|{market}|{suffix}" data-code2="{code}|{market}|3|" '
        f'class="EmImageRemark" target="_blank"><img src="https://webquoteklinepic.eastmoney.com/'
        f'GetPic.aspx?nid={widget[1]}&amp;imageType=k&amp;token={rng.getrandbits(64):016x}" '
        f'border="0" alt="K图 {code}_0" data-code="K {code}|{market}|{suffix}" width="578" '
        f'height="276" /></a></p><!-- EM_StockImg_End -->'
    )


def _body_html(a: Article, rng: random.Random, *, indent: bool, source_line: bool) -> str:
    pad = "　　" if indent else ""
    parts = [_widget_html(a.widget, rng)]
    parts += [f"<p>{pad}{p}</p>" for p in a.paragraphs_html]
    if rng.random() < 0.15:
        parts.append(f'<center><img src="https://dfscdn.dfcfw.com/download/D{rng.getrandbits(40)}'
                     '_w800h555.jpg"></center>')  # fmt: skip
    if source_line:
        parts.append(f'<p class="em_media">（文章来源：{a.outlet}）</p>')
    return "".join(parts)


def _front_date(a: Article, rng: random.Random) -> str:
    if rng.random() < 0.7:
        return f"{a.published:%Y-%m-%d %H:%M:%S} +0800"
    return f"{a.published:%Y-%m-%d %H:%M:%S}"


def finews_source(a: Article, rng: random.Random, *, notice: bool = False,
                  no_title: bool = False) -> tuple[str, bytes, dict | None]:  # fmt: skip
    day = f"{a.published:%Y-%m-%d}"
    if notice:  # a site notice: no article id, no source link
        body = "本站将于今晚进行例行维护，届时网站将暂停访问。\n\n给您带来的不便，敬请谅解。"
        text = (f'---\nlayout: post\ntitle: "网站维护通知"\ndate: {day} 09:00:00\n'
                f"categories: sitenews\ntags: 站长消息\n---\n\n{body}\n")  # fmt: skip
        return f"{day}-notice-{a.number}.md", text.encode(), None
    tags = "东财滚动新闻" if a.emnews else f"{a.outlet}新闻"
    title = "" if no_title else a.title
    lines = [
        "---",
        "layout: post",
        f'title: "{title}"',
        f"date: {_front_date(a, rng)}",
        f"categories: {a.category}",
        f"tags: {tags}",
        "---",
    ]
    if a.emnews:
        lines.append(f"> {a.digest}\n")
        if rng.random() < 0.4:  # a plain-text emnews post
            lines.append("\n\n".join(a.paragraphs_text))
        else:
            lines.append(_body_html(a, rng, indent=False, source_line=rng.random() < 0.5))
        source = f"http://finance.eastmoney.com/news/1353,{a.article_id}.html"
        back = "[返回东财滚动新闻](//finews.withounder.com/emnews/)｜[返回首页](//finews.withounder.com/)"  # noqa: E501
    else:
        lines.append(_body_html(a, rng, indent=True, source_line=True))
        source = f"http://finews.zning.xyz/html_News/NewsShare.html?infoCode=NW{a.article_id}"
        back = (f"[返回{a.outlet}新闻](//finews.withounder.com/category/{a.category}.html)"
                "｜[返回首页](//finews.withounder.com/)")  # fmt: skip
    lines += ["", f"<{source}>", "", back, ""]
    prefix = "NW" if not a.emnews else ""
    return f"{day}-{prefix}{a.article_id}.md", "\n".join(lines).encode(), None


def finews_page(a: Article, rng: random.Random) -> tuple[str, bytes, dict | None]:
    body = _body_html(a, rng, indent=rng.random() < 0.5, source_line=True)
    digest = f"<blockquote>\n  <p>{a.digest}</p>\n</blockquote>\n\n" if a.emnews else ""
    if a.emnews:
        source = f"http://finance.eastmoney.com/news/1353,{a.article_id}.html"
        back = '<a href="//finews.withounder.com/emnews/">返回东财滚动新闻</a>'
        tag = "东财滚动新闻"
    else:
        source = f"http://finews.zning.xyz/html_News/NewsShare.html?infoCode=NW{a.article_id}"
        back = (f'<a href="//finews.withounder.com/category/{a.category}.html">'
                f"返回{a.outlet}新闻</a>")  # fmt: skip
        tag = f"{a.outlet}新闻"
    page = f"""<!DOCTYPE html>
<html lang="zh-CN">
  <head>
    <meta charset="UTF-8">
    <meta http-equiv="X-UA-Compatible" content="IE=edge">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <meta property="og:title" content="{a.title}">
    <title>{a.title} | 金融消息</title>
    <link rel="stylesheet" href="/assets/css/style.css?v=">
    <script type="text/JavaScript">
      function AutoRefresh( t ) {{
       setTimeout("location.reload(true);", t);
      }}
    </script>
  </head>
  <body onload="JavaScript:AutoRefresh(60000);">
    <div class="wrapper">
      <header>
        <h1><a href="https://finews.withounder.com/">金融消息</a></h1>
        <p></p>
      </header>
      <section>

      <small>(GMT+8, Asia/Shanghai, CST) {a.published:%Y-%m-%d %H:%M:%S}</small>
<h1>{a.title}</h1>

{digest}{body}

<p><a href="{source}">{source}</a></p>

<p>{back}｜<a href="//finews.withounder.com/">返回首页</a></p>


  <small>tags: <em>{tag}</em></small>


      </section>
      <footer>
        <p>&copy; 2021</p>
      </footer>
    </div>
    <script src="/assets/js/scale.fix.js"></script>
  </body>
</html>
"""
    url = (f"https://finews.withounder.com/{a.category}/{a.published:%Y/%m/%d}/"
           f"{a.article_id}.html")  # fmt: skip
    meta = {"url": url, "fetched_at": _fetched(a, rng), "content_type": "text/html; charset=utf-8"}
    return f"{a.category}-{a.published:%Y-%m-%d}-{a.article_id}.html", page.encode(), meta


def _fetched(a: Article, rng: random.Random) -> str:
    return (a.published + timedelta(minutes=rng.randint(5, 600))).astimezone(UTC).isoformat()


def _links(rng: random.Random, n: int) -> str:
    items = []
    for _ in range(n):
        other = make_title(rng)
        items.append(
            f'<li><a href="https://finance.eastmoney.com/a/2024{rng.randint(10**13, 10**14 - 1)}'
            f'.html" target="_blank" title="{other}">{other}</a></li>'
        )
    return "\n".join(items)


def make_title(rng: random.Random) -> str:
    co = rng.choice(STOCKS)[0]
    return f"{co}{rng.choice(MOVES)} {rng.choice(BOARDS)[0]}板块{rng.choice(MOVES)}"


def _script(rng: random.Random) -> str:
    config = {f"k{i}": rng.getrandbits(32) for i in range(rng.randint(20, 120))}
    return (
        "<script>var pageConfig = "
        + json.dumps(config)
        + ";\nfunction track(e){var x=document.createElement('img');x.src='//x.eastmoney.com/t?'"
        "+encodeURIComponent(e);}\n</script>"
    )


def eastmoney_page(a: Article, rng: random.Random, *, no_date: bool = False
                   ) -> tuple[str, bytes, dict | None]:  # fmt: skip
    body = _body_html(a, rng, indent=True, source_line=True)
    if rng.random() < 0.5:
        body += f'<p class="res-edit">（责任编辑：DF{rng.randint(100, 999)}）</p>'
    if rng.random() < 0.2:
        body += f'<p class="toplink"><a href="https://acttg.eastmoney.com/pub/">{PROMOTION}</a></p>'
    nav = "".join(f'<a href="https://{i}.eastmoney.com/">{n}</a>' for i, n in enumerate(NAV))
    time_text = f"{a.published:%Y年%m月%d日 %H:%M}"
    gbk = rng.random() < 0.25
    if gbk:  # the older layout, served as GBK (fixtures/eastmoney_page/2024031329…)
        info = "" if no_date else f'<div class="item">{time_text}</div>'
        header = (f'<div class="title">{a.title}</div>\n  <div class="infos">\n    {info}\n'
                  f'    <div class="item">来源：{a.outlet}</div>\n  </div>')  # fmt: skip
        charset = "gbk"
    else:
        info = "" if no_date else f'<div class="time">{time_text}</div>'
        header = (f'<h1>{a.title}</h1>\n  <div class="Info">\n    {info}\n'
                  f'    <div class="source">来源：<a href="http://www.example.cn/">{a.outlet}</a>'
                  "</div>\n  </div>")  # fmt: skip
        charset = "utf-8"
    related = _links(rng, rng.randint(10, 40))
    scripts = "\n".join(_script(rng) for _ in range(rng.randint(1, 4)))
    page = f"""<!DOCTYPE html>
<html>
<head>
<meta http-equiv="Content-Type" content="text/html; charset={charset}">
<title>{a.title}_东方财富网</title>
<meta name="keywords" content="{a.outlet},{a.title}">
<link rel="canonical" href="https://finance.eastmoney.com/a/{a.article_id}.html">
{scripts}
</head>
<body>
<div class="topbar"><a href="http://www.eastmoney.com/">东方财富网</a>{nav}</div>
<div class="main">
<div class="newsContent">
  {header}
  <div class="txtinfos" id="ContentBody">
    {body}
  </div>
  <div class="b-review">{DISCLAIMER}</div>
</div>
<div class="sidebar"><h3>相关阅读</h3><ul>
{related}
</ul></div>
</div>
<div class="footer"><p>东方财富网 版权所有 沪ICP证：沪B2-20070217</p></div>
<script src="https://emcharts.dfcfw.com/newsts/ts.js"></script>
</body>
</html>
"""
    meta = {
        "url": f"https://finance.eastmoney.com/a/{a.article_id}.html",
        "fetched_at": _fetched(a, rng),
        "content_type": f"text/html; charset={charset}",
    }
    return f"{a.article_id}.html", page.encode("gbk" if gbk else "utf-8"), meta


def newsshare_json(a: Article, rng: random.Random) -> tuple[str, bytes, dict | None]:
    body = _body_html(a, rng, indent=True, source_line=True)
    data = {"text": body, "title": "", "showtime": ""}
    record = {
        "title": a.title,
        "datetime": f"{a.published:%Y-%m-%d %H:%M:%S}",
        "medianame": a.outlet,
        "infoCode": f"NW{a.article_id}",
    }
    meta = {
        "url": f"http://choicewzp1.eastmoney.com/NewsData/GetNewsText.do?id=NW{a.article_id}",
        "fetched_at": _fetched(a, rng),
        "list_record": record,
    }
    return f"NW{a.article_id}.json", json.dumps(data, ensure_ascii=False).encode(), meta


# --------------------------------------------------------------------------- pages


@dataclass
class Page:
    index: int
    kind: str
    name: str
    body: bytes
    meta: dict | None
    article: Article
    expect: str = "article"  # or the rejection reason
    route_of: int | None = None  # another route of this earlier page's article
    extra: dict = field(default_factory=dict)

    @property
    def reference(self) -> str:
        return "\n".join(self.article.paragraphs_text)

    @property
    def title(self) -> str:
        return self.article.title


def make_page(seed: int, index: int) -> Page:
    rng = random.Random(f"{seed}:page:{index}")
    number, route_of = index, None
    if index >= 7 and rng.random() < 0.05:
        number = route_of = index - 7  # the same article through another route
    article = make_article(seed, number)
    weights = (0.35, 0.20, 0.30, 0.15)
    kind = rng.choices(KINDS, weights)[0]
    if route_of is not None:
        first = rng_kind(seed, route_of)
        kind = next(k for k in (kind, *KINDS) if k != first)
    roll = rng.random()
    expect = "article"
    if kind == "finews_source" and roll < 0.04:
        name, body, meta = finews_source(article, rng, notice=True)
        expect = "not_an_article"
    elif kind == "finews_source" and roll < 0.07:
        name, body, meta = finews_source(article, rng, no_title=True)
        expect = "title_missing"
    elif kind == "finews_source":
        name, body, meta = finews_source(article, rng)
    elif kind == "finews_page":
        name, body, meta = finews_page(article, rng)
    elif kind == "eastmoney_page" and roll < 0.05:
        name, body, meta = eastmoney_page(article, rng, no_date=True)
        expect = "date_missing"
    elif kind == "eastmoney_page":
        name, body, meta = eastmoney_page(article, rng)
    else:
        name, body, meta = newsshare_json(article, rng)
    return Page(index, kind, name, body, meta, article, expect, route_of)


def rng_kind(seed: int, index: int) -> str:
    """The kind of page `index` (without rendering it)."""
    return make_page(seed, index).kind


def page_dir(root: Path, index: int, part_size: int) -> Path:
    """`root/a/0000/…` for the first `part_size` pages, `root/b/…` for the rest; 1,000 pages
    per folder (as a crawl dump or the mirror's `_posts`, split up)."""
    part = "a" if index < part_size else "b"
    return root / part / f"{index // 1000:04d}"


def write_pages(root: Path, seed: int, start: int, stop: int, part_size: int) -> int:
    """Write pages [start, stop) with their sidecars; returns bytes written."""
    written = 0
    for index in range(start, stop):
        page = make_page(seed, index)
        folder = page_dir(root, index, part_size)
        folder.mkdir(parents=True, exist_ok=True)
        # a unique, sortable name: the index first (two routes may share a file name)
        name = f"{index:07d}-{page.name}"
        (folder / name).write_bytes(page.body)
        written += len(page.body)
        if page.meta is not None:
            stem = name.rsplit(".", 1)[0]
            (folder / f"{stem}.meta.json").write_text(
                json.dumps(page.meta, ensure_ascii=False), "utf-8"
            )
    return written


def iter_pages(seed: int, start: int, stop: int) -> Iterator[Page]:
    for index in range(start, stop):
        yield make_page(seed, index)
