"""The hostile-input corpus: every page of `fixtures/hostile/`, and the large pages that are
made at test time instead of being committed.

Each committed case is written here, in code, so that byte-level pages (GBK, binary,
double-encoded UTF-8, 10,000 nested divs) can be read and reviewed as source. The files under
`fixtures/hostile/` are exactly what `small_cases()` returns (a test checks); after editing a
case, rewrite the files and their goldens, then review the goldens:

    python tests/hostile_gen.py                         # writes fixtures/hostile/**
    python -m finews_spider.goldens fixtures/hostile    # writes NAME.expected.json
    git diff -- fixtures/hostile                        # review, never accept blindly

`large_cases()` gives the pages over ~200 KB (up to 20 MB); `tests/test_hostile.py` feeds them
to the core directly and checks the outcome and the time taken.
"""

from __future__ import annotations

import gzip
import json
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
HOSTILE = ROOT / "fixtures" / "hostile"

# --------------------------------------------------------------------------- page templates

#: Article ids used by the corpus: 2024-03-05 date prefix, one per case.
ID_PREFIX = "20240305299"


def nid(n: int) -> str:
    """An 18-digit Eastmoney article id dated 2024-03-05 (`n` < 10,000,000)."""
    return f"{ID_PREFIX}{n:07d}"


TITLE = "央行开展逆回购操作 市场流动性合理充裕"
PARAS = (
    "<p>　　央行3月5日开展逆回购操作，市场流动性保持合理充裕。</p>"
    "<p>　　分析人士认为，货币政策将继续稳健，资金面有望保持平稳。</p>"
)
EM_DATE = "2024年03月05日 18:20"
MD_DATE = "2024-03-05 18:20:31 +0800"
SHARE = "http://finews.zning.xyz/html_News/NewsShare.html?infoCode=NW"


def em_page(
    body: str,
    n: int,
    *,
    title: str = TITLE,
    date: str = EM_DATE,
    head: str = "",
    charset: str = '<meta charset="utf-8">',
    canonical: str | None = None,
) -> str:
    """An Eastmoney article page (the `newsContent` layout) around a #ContentBody body."""
    link = canonical if canonical is not None else f"https://finance.eastmoney.com/a/{nid(n)}.html"
    return (
        "<!DOCTYPE html>\n<html>\n<head>\n"
        f"{charset}\n<title>{title}_东方财富网</title>\n"
        f'<link rel="canonical" href="{link}">\n{head}</head>\n<body>\n'
        '<div class="newsContent">\n'
        f"  <h1>{title}</h1>\n"
        '  <div class="Info">\n'
        f'    <div class="time">{date}</div>\n'
        '    <div class="source">来源：经济参考网</div>\n'
        "  </div>\n"
        f'  <div class="txtinfos" id="ContentBody">\n{body}\n  </div>\n'
        '  <div class="b-review">郑重声明：东方财富发布此内容旨在传播更多信息，'
        "与本站立场无关，不构成投资建议。</div>\n"
        "</div>\n</body>\n</html>\n"
    )


def md_post(
    body: str,
    n: int | None,
    *,
    front: str | None = None,
    title: str = TITLE,
    date: str = MD_DATE,
    extra: str = "",
) -> str:
    """A finews post source: YAML front matter, body, source link, back links."""
    if front is None:
        front = (
            f'layout: post\ntitle: "{title}"\ndate: {date}\n'
            f"categories: jingjicankaowang\ntags: 经济参考网新闻\n{extra}"
        )
    source = f"<{SHARE}{nid(n)}>\n\n" if n is not None else ""
    return (
        f"---\n{front.rstrip(chr(10))}\n---\n{body}\n\n{source}"
        "[返回经济参考网新闻](//finews.withounder.com/category/jingjicankaowang.html)"
        "｜[返回首页](//finews.withounder.com/)\n"
    )


def finews_page(
    section: str, n: int, *, title: str = TITLE, date: str = "2024-03-05 18:20:31"
) -> str:
    """A rendered finews post (Jekyll `post` layout)."""
    return (
        '<!DOCTYPE html>\n<html lang="zh-CN">\n<head>\n<meta charset="UTF-8">\n'
        f'<title>{title} | 金融消息</title>\n</head>\n<body>\n<div class="wrapper">\n<section>\n'
        f"<small>(GMT+8, Asia/Shanghai, CST) {date}</small>\n<h1>{title}</h1>\n\n{section}\n\n"
        f'<p><a href="{SHARE}{nid(n)}">{SHARE}{nid(n)}</a></p>\n\n'
        '<p><a href="//finews.withounder.com/category/jingjicankaowang.html">返回经济参考网新闻</a>'
        '｜<a href="//finews.withounder.com/">返回首页</a></p>\n\n'
        "<small>tags: <em>经济参考网新闻</em></small>\n</section>\n</div>\n</body>\n</html>\n"
    )


def share_json(text: Any, **extra: Any) -> str:
    """NewsShare article JSON (`GetNewsText.do`); `text` is usually HTML, sometimes not."""
    return json.dumps({"text": text, **extra}, ensure_ascii=False, indent=2) + "\n"


def share_meta(n: int | None, **record: Any) -> dict[str, Any]:
    """Sidecar of a NewsShare JSON: fetch URL and the list record that led to it."""
    base: dict[str, Any] = {
        "title": TITLE,
        "datetime": "2024-03-05 18:20:31",
        "medianame": "经济参考网",
    }
    if n is not None:
        base["infoCode"] = f"NW{nid(n)}"
    base.update(record)
    url = "http://choicewzp1.eastmoney.com/NewsData/GetNewsText.do"
    return {
        "url": f"{url}?id=NW{nid(n)}" if n is not None else url,
        "fetched_at": "2024-03-05T12:00:00+00:00",
        "list_record": base,
    }


def _attr(value: str) -> str:
    """An attribute value as a page would write it (`&` left alone: references stay)."""
    return value.replace('"', "&quot;").replace("<", "&lt;")


def widget(code: str | None, *, href: str | None = None, nid_value: str | None = None) -> str:
    """The chart widget with `code` in both data-code attributes (None: no data-code)."""
    a_code = f' data-code="{_attr(code)}"' if code is not None else ""
    img_code = f' data-code="K {_attr(code)}"' if code is not None else ""
    link = f' href="{href}"' if href else ""
    src = "https://webquoteklinepic.eastmoney.com/GetPic.aspx?imageType=k"
    if nid_value is not None:
        src += "&amp;nid=" + nid_value.replace("&", "&amp;").replace('"', "&quot;")
    return (
        '<p style="display:none;height:1px;overflow:hidden;"><br /></p>'
        '<!-- EM_StockImg_Start --><p style="text-align:center;">'
        f'<a{link}{a_code} class="EmImageRemark" target="_blank">'
        f'<img src="{src}" alt="K图"{img_code} width="578" height="276" /></a></p>'
        "<!-- EM_StockImg_End -->"
    )


def keytip(data_code: str, name: str = "某股票", href: str | None = None) -> str:
    """An inline stock tag with `data_code`."""
    link = f' href="{href}"' if href else ""
    code = _attr(data_code)
    return f'<span id="stock_x"><a{link} class="keytip" data-code="{code}">{name}</a></span>'


# --------------------------------------------------------------------------- the cases


@dataclass(frozen=True)
class Case:
    """One committed hostile page: its bytes and, when it has one, its sidecar."""

    body: bytes
    meta: dict[str, Any] | None = None
    why: str = ""


@dataclass
class _Corpus:
    cases: dict[str, Case] = field(default_factory=dict)

    def add(self, path: str, body: str | bytes, why: str, meta: dict[str, Any] | None = None):
        stem = path.rsplit(".", 1)[0]  # NAME.expected.json and NAME.meta.json are per stem
        assert all(p.rsplit(".", 1)[0] != stem for p in self.cases), path
        data = body.encode("utf-8") if isinstance(body, str) else body
        self.cases[path] = Case(data, meta, why)


def _bodies(c: _Corpus) -> None:
    g = "bodies/"
    page = em_page(PARAS, 1)
    c.add(g + "empty.html", b"", "zero bytes")
    c.add(g + "whitespace-only.html", b" \r\n\t  \n\x0c\n", "only whitespace")
    c.add(
        g + "png-image.html",
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x10\x00\x00\x00\x10\x08\x06\x00\x00\x00"
        b"\x1f\xf3\xffa\x00\x00\x00\x00IEND\xaeB`\x82",
        "an image served where a page was expected",
    )
    c.add(
        g + "gzip-compressed.html",
        gzip.compress(page.encode("utf-8"), mtime=0),
        "a gzip body that was never decompressed",
    )
    c.add(
        g + "utf16-with-bom.html",
        page.encode("utf-16"),
        "UTF-16 (NUL bytes): Eastmoney never serves it; read as binary",
    )
    c.add(
        g + "high-bytes-no-nul.html",
        bytes((0x80 + (i * 37) % 0x80) for i in range(2000)),
        "binary without NUL bytes: neither UTF-8 nor GB18030",
    )
    padding = "<!-- " + "padding " * 600 + "-->\n"  # pushes the body past the first 4 KB
    late = em_page("<p>　　第一段\x00含有空字节\x00。</p>" + PARAS, 2, head=padding)
    c.add(g + "nul-bytes-late.html", late, "NUL bytes after the first 4 KB, inside the body")
    c.add(g + "truncated-in-head.html", page[: page.index("<title>") + 12], "cut inside <head>")
    body = PARAS + '<p>　　第三段提到<span id="stock_1.600519"><a href="http://quote.eastmo'
    c.add(
        g + "truncated-mid-body.html",
        em_page(body, 3).split('<a href="http://quote.eastmo')[0] + '<a href="http://quote.eastmo',
        "cut inside an inline stock tag: the text before the cut is the article",
    )
    full = em_page(PARAS + '<p>　　更多内容见<a href="javascript:alert(1)">链接</a>。</p>', 4)
    c.add(
        g + "truncated-in-attribute.html",
        full[: full.index("javascript:") + 16],
        "cut inside a javascript: href",
    )
    full = em_page(PARAS + "<script>document.write('<p>注入的文字</p>');</script><p>尾</p>", 5)
    c.add(g + "truncated-in-script.html", full[: full.index("注入的") + 3], "cut inside a <script>")
    full = em_page(PARAS + widget("600519|1|1"), 6)
    c.add(
        g + "truncated-in-comment.html",
        full[: full.index("EM_StockImg_Start") + 8],
        "cut inside the widget's opening comment",
    )
    only_furniture = (
        '<p class="em_media">（文章来源：经济参考网）</p><p>（责任编辑：DF512）</p>'
        "<p>郑重声明：东方财富发布此内容旨在传播更多信息，与本站立场无关，不构成投资建议。</p>"
    )
    c.add(g + "only-furniture.html", em_page(only_furniture, 7), "nothing but furniture")
    only_active = (
        "<script>var article = '正文';</script><style>p{color:red}</style>"
        '<iframe src="https://evil.example/">正文</iframe><noscript>请开启脚本</noscript>'
    )
    c.add(g + "only-active-content.html", em_page(only_active, 8), "nothing but active content")
    controls = (
        "<p>　　央行3月5日开展\x01逆回购\x1b[31m操作\x7f，市场流动性\x85保持合理充裕&#0;。</p>"
        "<p>　　分析人士认为\ufffe，货币政策将继续稳健&#xD800;。</p>"
    )
    c.add(
        g + "control-characters.html",
        em_page(controls, 9, title="央行开展\x07逆回购\x1b[0m操作"),
        "C0/C1 controls, NUL and surrogate references, U+FFFE in title and body",
    )
    c.add(
        g + "bom-then-gbk.html",
        b"\xef\xbb\xbf" + em_page(PARAS, 10, charset='<meta charset="gbk">').encode("gbk"),
        "a UTF-8 byte-order mark in front of GBK bytes",
    )
    c.add(
        g + "json-lone-surrogates.json",
        json.dumps({"text": PARAS + "<p>　　正文里的\ud800孤立代理项\udfff。</p>"}),
        "lone surrogates and controls in the JSON body and the list record",
        share_meta(
            13, title=TITLE + "\ud800\u0007", column="news\udfff", medianame="经济\u001b参考网"
        ),
    )
    c.add(
        g + "finews-page-only-comment.html",
        "<!-- <small>(GMT+8, Asia/Shanghai, CST) 2024-03-05 18:20:31</small> -->\n",
        "looks like a rendered post, but is one comment (lxml: document is empty)",
    )
    c.add(g + "json-truncated.json", '{\n  "text": "<p>　　央行3月5日开展逆回购', "cut JSON")
    c.add(g + "json-top-level-list.json", json.dumps([{"text": PARAS}]), "JSON array, not object")
    c.add(
        g + "json-text-not-string.json",
        share_json({"$ne": None}),
        "`text` is an object (an operator), not HTML",
        share_meta(11),
    )
    c.add(
        g + "markdown-no-body.md",
        md_post("", 12),
        "a post whose body is only its source link and back links",
    )
    invisible = "\u200b\u200c\u200d\u2060\ufeff\u202e"  # format characters (Cf) only
    c.add(
        g + "invisible-title.html",
        em_page(PARAS, 14, title=invisible),
        "a title of zero-width, word-joiner, BOM and bidi-override characters only",
    )
    c.add(
        g + "invisible-title-post.md",
        md_post(PARAS, 15, title="\u200b\u2060\u202e\u200d"),
        "a post whose front matter title is only format characters",
    )
    c.add(
        g + "invisible-title-json.json",
        share_json(PARAS),
        "a list record title of only format characters",
        share_meta(16, title=invisible),
    )
    c.add(
        g + "ideographic-space-and-zero-width-title.html",
        em_page(PARAS, 17, title="\u3000\u200b\u3000\u2060"),
        "a title of full-width spaces and zero-width characters",
    )


def _encoding(c: _Corpus) -> None:
    g = "encoding/"
    gbk_meta = '<meta http-equiv="Content-Type" content="text/html; charset=gbk">'
    c.add(g + "gbk-meta-gbk.html", em_page(PARAS, 101, charset=gbk_meta).encode("gbk"), "GBK")
    # 喆 (0x86B4) and 镕 (0xE946) are GBK, not GB2312: a page that says gb2312 and means GBK.
    gbk_only = "<p>　　张喆与朱镕基研究会的专家认为，市场流动性保持合理充裕。</p>"
    c.add(
        g + "gbk-meta-gb2312.html",
        em_page(gbk_only, 102, charset='<meta charset="gb2312">').encode("gbk"),
        "declared gb2312, uses GBK-only characters",
    )
    c.add(
        g + "gbk-undeclared.html",
        em_page(PARAS, 103, charset="").encode("gbk"),
        "GBK without any declaration",
    )
    c.add(
        g + "gbk-header-gbk.html",
        em_page(PARAS, 104, charset="").encode("gbk"),
        "GBK declared only by the HTTP header",
        {"content_type": "text/html; charset=GBK"},
    )
    c.add(
        g + "gbk-meta-utf8.html",
        em_page(PARAS, 105).encode("gbk"),
        "GBK bytes, wrongly declared utf-8",
    )
    c.add(
        g + "gbk-meta-latin1.html",
        em_page(PARAS, 106, charset='<meta charset="iso-8859-1">').encode("gbk"),
        "GBK bytes, wrongly declared iso-8859-1 (which decodes any bytes)",
    )
    c.add(
        g + "gbk-meta-windows1252.md",
        md_post(PARAS, 107, extra="charset: ignored\n")
        .replace("<p>", '<meta charset="windows-1252"><p>', 1)
        .encode("gbk"),
        "GBK post source with a windows-1252 meta tag in its body and an ASCII date",
    )
    c.add(
        g + "gbk-header-latin1.html",
        em_page(PARAS, 108, charset="").encode("gbk"),
        "GBK bytes, HTTP header says ISO-8859-1 (a web server's default)",
        {"content_type": "text/html; charset=ISO-8859-1"},
    )
    c.add(
        g + "gbk-meta-big5.html",
        em_page(PARAS, 109, charset='<meta charset="big5">').encode("gbk"),
        "GBK bytes, wrongly declared big5",
    )
    c.add(
        g + "gbk-meta-unknown.html",
        em_page(PARAS, 110, charset='<meta charset="x-no-such-charset">').encode("gbk"),
        "GBK bytes, declared charset Python does not know",
    )
    rare = "<p>　　𠮷野家与“€”符号、㐀字均为GB18030四字节编码，市场流动性保持合理充裕。</p>"
    c.add(
        g + "gb18030-four-byte.html",
        em_page(rare, 111, charset='<meta charset="gb2312">').encode("gb18030"),
        "GB18030 four-byte characters under a gb2312 declaration",
    )
    c.add(g + "gbk-finews-source.md", md_post(PARAS, 112).encode("gbk"), "GBK post source")
    c.add(
        g + "gbk-newsshare.json",
        share_json(PARAS).encode("gbk"),
        "GBK NewsShare JSON",
        share_meta(113),
    )
    c.add(
        g + "utf8-meta-gbk.html",
        em_page(PARAS, 114, charset=gbk_meta),
        "UTF-8 bytes, wrongly declared gbk",
    )
    c.add(
        g + "utf8-bom-meta-gbk.html",
        b"\xef\xbb\xbf" + em_page(PARAS, 115, charset=gbk_meta).encode("utf-8"),
        "UTF-8 with a BOM, wrongly declared gbk",
    )
    # Every UTF-8 run of CJK characters has an even length (3*2k bytes pair up cleanly) and
    # the GBK paragraph sits between them: GB18030 reads the whole page without an error.
    mixed = (
        "<!DOCTYPE html><html><head><title>央行操作</title>"
        f'<link rel="canonical" href="https://finance.eastmoney.com/a/{nid(116)}.html">'
        '</head><body><div class="newsContent"><h1>央行操作</h1>'
        '<div class="time">2024-03-05 18:20:31</div><div class="txtinfos" id="ContentBody">'
        "<p>今日央行公开市场操作</p><p>GBKPART</p><p>市场流动性很合理</p></div></div></body></html>"
    )
    data = mixed.encode("utf-8").replace(b"GBKPART", "资金面平稳".encode("gbk"))
    data.decode("gb18030")  # the point of the case: GB18030 alone does not notice
    c.add(g + "mixed-utf8-gbk.html", data, "UTF-8 page with one GBK paragraph")
    c.add(
        g + "gbk-invalid-bytes.html",
        em_page(PARAS, 117, charset=gbk_meta)
        .encode("gbk")
        .replace("分析".encode("gbk"), b"\xff\xfe\x81"),
        "GBK page with bytes no GB encoding has",
    )
    double = em_page(PARAS, 118).encode("utf-8").decode("latin-1").encode("utf-8")
    c.add(
        g + "mojibake-latin1.html",
        double,
        "UTF-8 read as latin-1 then saved as UTF-8 again (double-encoded)",
    )
    double = md_post(PARAS, 119).encode("utf-8").decode("latin-1").encode("utf-8")
    c.add(g + "mojibake-latin1-source.md", double, "double-encoded post source (ASCII date)")
    c.add(
        g + "mojibake-cp1252.html",
        _cp1252_misread(em_page(PARAS, 121).encode("utf-8")).encode("utf-8"),
        "UTF-8 read as windows-1252 (undefined bytes kept as C1) then saved as UTF-8",
    )
    c.add(
        g + "mojibake-title-only.md",
        md_post(PARAS, 120, title=TITLE.encode("utf-8").decode("latin-1")),
        "only the title is double-encoded; the rest is clean UTF-8",
    )


def _cp1252_misread(data: bytes) -> str:
    """`data` as a Windows tool reads it: windows-1252, its 5 undefined bytes as C1 controls."""
    return "".join(bytes([b]).decode("cp1252", errors="ignore") or chr(b) for b in data)


def _front_matter(c: _Corpus) -> None:
    g = "front_matter/"
    date = f"date: {MD_DATE}\n"
    ok = f'layout: post\ntitle: "{TITLE}"\n{date}'
    body, n = PARAS, 200

    def add(name: str, front: str, why: str) -> None:
        nonlocal n
        n += 1
        c.add(g + name, md_post(body, n, front=front), why)

    c.add(g + "unclosed.md", f"---\n{ok}\n{body}\n", "no closing `---`")
    c.add(g + "truncated-mid-value.md", '---\nlayout: post\ntitle: "央行开展逆', "cut mid-value")
    c.add(g + "only-opening-dashes.md", "---", "nothing but `---`")
    add("anchors-aliases.md", f'{date}title: &t "{TITLE}"\nsummary: *t\n', "anchor and alias")
    laughs = "".join(f"l{i}: &l{i} [" + ", ".join([f"*l{i - 1}"] * 9) + "]\n" for i in range(1, 10))
    add("billion-laughs.md", f'{ok}l0: &l0 "lol"\n{laughs}', "billion laughs")
    add(
        "python-object-apply.md",
        f'{date}title: !!python/object/apply:os.system ["touch /tmp/finews-pwned"]\n',
        "code execution tag",
    )
    add("python-name.md", f"{date}title: !!python/name:os.system\n", "python/name tag")
    add("binary-tag.md", f"{date}title: !!binary 5aSu6KGM\n", "!!binary tag")
    add("local-tag.md", f"{date}title: !article {TITLE}\n", "application tag")
    add("duplicate-title.md", f'{ok}title: "另一个标题"\n', "duplicate key: which title?")
    add("duplicate-date.md", f"{ok}date: 2024-03-04 09:00:00 +0800\n", "duplicate date key")
    add("date-list.md", f'title: "{TITLE}"\ndate: [{MD_DATE}, 2024-03-06 10:00:00]\n', "list date")
    add("date-mapping.md", f'title: "{TITLE}"\ndate: {{$gt: ""}}\n', "date is an operator map")
    add("title-mapping.md", f"{date}title: {{zh: {TITLE}, en: PBOC}}\n", "title is a mapping")
    add("tags-mapping.md", f'{ok}tags: {{$where: "sleep(1000)"}}\n', "tags is a mapping")
    add("merge-key.md", f"{ok}<<: {{title: 被合并的标题}}\n", "merge key: no merging")
    add("flow-nesting-500.md", f"{ok}x: " + "[" * 500 + "]" * 500 + "\n", "500-deep nesting")
    add("too-long.md", ok + "".join(f"k{i:03d}: {'v' * 45}\n" for i in range(500)), "26 KB")
    add("not-a-mapping.md", f"- {TITLE}\n- {MD_DATE}\n", "a list, not a mapping")
    add("scalar.md", f"{TITLE}\n", "a bare string")
    add("syntax-error.md", f'{date}title: "{TITLE}\nlayout: post\n', "unclosed quote")
    add("tab-indentation.md", f"{ok}tags:\n\t- 经济参考网新闻\n", "tab indentation")
    add("empty.md", "", "`---` then `---`")
    add(
        "closing-dashes-in-title.md",
        f'{date}title: "{TITLE}\n---\n第二行"\n',
        "the closing `---` inside a quoted title cuts the front matter",
    )
    add(
        "escaped-controls.md",
        f'{date}title: "央行\\a开展\\e[0m逆回购\\ud800操作"\n'
        'tags: ["经济参考网新闻\\udfff", "\\x1b[31m"]\n',
        "YAML escapes for BEL, ESC and lone surrogates in title and tags",
    )
    c.add(
        g + "bom-crlf.md",
        "\ufeff" + md_post(body, 250).replace("\n", "\r\n"),
        "byte-order mark and CRLF line ends: a clean post",
    )


def _dates(c: _Corpus) -> None:
    g = "dates/"
    n = 300

    def add(name: str, date: str, why: str, *, quoted: bool = False) -> None:
        nonlocal n
        n += 1
        value = json.dumps(date, ensure_ascii=False) if quoted else date
        c.add(g + name, md_post(PARAS, n, date=value), why)

    add("feb-31.md", "2024-02-31 10:00:00 +0800", "31 February")
    add("hour-25.md", "2024-03-05 25:00:00 +0800", "hour 25")
    add("minute-60.md", "2024-03-05 18:60:00 +0800", "minute 60")
    add("leap-second.md", "2024-03-05 23:59:60 +0800", "second 60")
    add("year-0000.md", "0000-03-05 18:20:31 +0800", "year 0")
    add("year-1900.md", "1900-03-05 18:20:31 +0800", "year 1900")
    add("far-future-2999.md", "2999-03-05 18:20:31 +0800", "year 2999")
    add("date-only.md", "2024-03-05", "no time of day")
    add("time-only.md", "18:20:31", "no date", quoted=True)
    add("offset-plus-25.md", "2024-03-05 18:20:31 +25:00", "offset +25:00")
    add("offset-minus-13.md", "2024-03-05 18:20:31 -1300", "offset -13:00")
    add("offset-minutes-75.md", "2024-03-05 18:20:31 +0875", "offset minutes 75")
    add("fuzzy-bait.md", "published 2022年03月03日 16:39 by X", "prose around a date", quoted=True)
    add(
        "fuzzy-bait-numeric.md",
        "2024-03-05 18:20:31 +0800 (updated 2024-03-06)",
        "a date followed by another",
        quoted=True,
    )
    add("fullwidth-digits.md", "２０２４-０３-０５ １８:２０:３１", "full-width digits")
    add("epoch-14-digits.md", "17096340310000", "14-digit number", quoted=True)
    add("epoch-far-future.md", "9999999999999", "epoch ms in 2286", quoted=True)
    add("epoch-negative.md", "-1709634031", "negative epoch", quoted=True)
    add(
        "too-long.md",
        "2024-03-05 18:20:31 +0800" + " " * 90 + "x",
        "over 100 characters",
        quoted=True,
    )
    add(
        "newline-injection.md", "2024-03-05 18:20:31 +0800\n$where: 1", "a second line", quoted=True
    )
    add("mixed-separators.md", "2024-03/05 18:20:31", "mixed separators")
    add("disagrees-with-id.md", "2023-03-05 18:20:31 +0800", "a year before the id's date")
    c.add(g + "chinese-month-13.html", em_page(PARAS, 330, date="2024年13月05日 18:20"), "month 13")
    c.add(g + "chinese-feb-30.html", em_page(PARAS, 331, date="2024年02月30日 18:20"), "30 Feb")
    c.add(
        g + "header-feb-30.html",
        finews_page(PARAS, 332, date="2024-02-30 18:20:31"),
        "rendered post dated 30 February",
    )
    c.add(
        g + "json-zero-date.json",
        share_json(PARAS),
        "list record datetime 0000-00-00 00:00:00",
        share_meta(333, datetime="0000-00-00 00:00:00"),
    )
    c.add(
        g + "json-date-operator.json",
        share_json(PARAS),
        "list record datetime is an operator object",
        share_meta(334, datetime={"$gt": ""}),
    )
    c.add(
        g + "relative-hour-25.html",
        em_page(PARAS, 335, date="今天 25:10"),
        "relative date with hour 25 (fetch time known)",
        {"fetched_at": "2024-03-05T12:00:00+00:00"},
    )


def _widgets(c: _Corpus) -> None:
    g = "widgets/"
    n = 400

    def add(name: str, html: str, why: str) -> None:
        nonlocal n
        n += 1
        c.add(g + name, md_post(html + PARAS, n), why)

    quote = "http://quote.eastmoney.com/unify/r/1.600519"
    add("data-code-empty.md", widget("", href=quote), "empty data-code (its href is not read)")
    add("data-code-10kb.md", widget("600519|1|1" * 1024), "10 KB data-code")
    add("data-code-sql.md", widget("600519|1|1'; DROP TABLE articles; --"), "SQL text")
    add("data-code-where.md", widget('{"$where": "sleep(5000)"}'), "$where object text")
    add("data-code-gt.md", widget('{"$gt": ""}'), "$gt object text")
    add("data-code-dollar-code.md", widget("$where|1|1"), "$where as the code")
    add("data-code-unknown-market.md", widget("600519|999|1"), "market id 999")
    add("data-code-market-3.md", widget("600519|3|1"), "market id 3 (not a market)")
    add("data-code-sh-5-digits.md", widget("60051|1|1"), "5 digits on Shanghai")
    add("data-code-hk-7-digits.md", widget("1234567|116|5"), "7 digits in Hong Kong")
    add("data-code-board-short.md", widget("BK12|90|1"), "board with 2 digits")
    add("data-code-proto.md", widget("__proto__|1|1"), "__proto__ as the code")
    add("data-code-newline.md", widget("600519\n|1|1"), "newline inside")
    add("data-code-fullwidth.md", widget("６００５１９|1|1"), "full-width digits")
    add("data-code-homoglyph.md", widget("6OO519|1|1"), "letter O for zero")
    add("data-code-huge-market.md", widget("600519|99999999999999999999|1"), "20-digit market id")
    add("nid-injection.md", widget(None, nid_value="1.600519';--"), "hostile nid in the image src")
    tags = "".join(
        keytip(code)
        for code in (
            "1,$gt",
            '{"$gt": ""}',
            "777,600519",
            "0,30011",
            "90,XX0493",
            "106,123",
            "106,__proto__",
            "113,__proto__",
            "116,$where",
            "0,300115 OR 1=1",
            "0,&#0;300115",
            "0,",
            ",300115",
            "1.600519",
        )
    )
    add("inline-tags-hostile.md", f"<p>　　{tags}。</p>", "hostile inline data-codes")
    links = "".join(
        f'<a class="keytip" href="{href}">某股票</a>'
        for href in (
            "http://quote.eastmoney.com.evil.example/unify/r/1.600519",
            "http://evil.example/?next=quote.eastmoney.com/unify/r/1.600519",
            "http://quote.eastmoney.com/unify/r/../../1.600519",
            "http://quote.eastmoney.com/unify/r/1.$where",
            "javascript:alert('quote.eastmoney.com/unify/r/1.600519')",
            "http://quote.eastmoney.com/us/AAPL.html?Market=$where",
        )
    )
    add("inline-links-hostile.md", f"<p>　　{links}。</p>", "hostile quote links")
    spans = "".join(
        f'<span id="{sid}">某股票</span>'
        for sid in ("stock_$where.1", "stock_1.$gt", "Info.__proto__.1", "bk_90.BK'--", "stock_9")
    )
    add("span-ids-hostile.md", f"<p>　　{spans}。</p>", "hostile tag span ids")
    control = widget("600519|1|1") + f"<p>　　{keytip('0,300115', '长盈精密')}{keytip('0,$ne')}</p>"
    add("valid-beside-hostile.md", control, "a valid widget and tag beside a hostile one")
    written = "，".join(
        (
            "甲($where.SH)",
            "乙(600519.SH'; DROP TABLE articles; --)",
            "丙(__proto__.N)",
            "丁(６００５１９.SH)",
            "戊(6OO519.SH)",
            "己(600519.SH.SH)",
            "庚(600519.$gt)",
            "辛(60051９)",
            "壬(600519",
            "癸（（300750））",
        )
    )
    add(
        "written-codes-hostile.md",
        f"<p>　　{written}，宁德时代（300750）。（$where）</p><p>　　完。（__proto__）</p>",
        "hostile codes written in the text and operator-like attributions; one valid code",
    )


_JS = "javascript:alert(1)"


def _html_safety(c: _Corpus) -> None:
    g = "html_safety/"
    n = 500

    def add(name: str, html: str, why: str, *, head: str = "") -> None:
        nonlocal n
        n += 1
        c.add(g + name, em_page(PARAS + html, n, head=head), why)

    add(
        "script.html",
        "<script>alert(1)</script><p>　　脚本之后的段落。<script src='https://evil.example/x.js'>"
        "</script></p><SCRIPT>alert(2)</SCRIPT><script type=text/template><p>模板</p></script>",
        "inline, src and upper-case scripts",
    )
    add(
        "style.html",
        "<style>body{background:url(javascript:alert(1))}</style>"
        '<p style="color:red;background:url(https://evil.example/t.gif)">　　带样式的段落。</p>',
        "style element and style attribute",
    )
    add(
        "css-expression.html",
        '<p style="width:expression(alert(1))">　　表达式样式的段落。</p>'
        '<div style="behavior:url(x.htc);-moz-binding:url(x.xml#x)">　　行为样式。</div>'
        "<style>p{width:expression(alert(2))}</style>",
        "IE CSS expression(), behavior, -moz-binding",
    )
    hrefs = (
        _JS,
        "JaVaScRiPt:alert(1)",
        " \tjavascript:alert(1)",
        "jav&#x09;ascript:alert(1)",
        "jav&#x0A;ascript:alert(1)",
        "&#106;avascript:alert(1)",
        "&#x6A;&#x61;&#x76;&#x61;&#x73;&#x63;&#x72;&#x69;&#x70;&#x74;&#x3A;alert(1)",
        "\x01javascript:alert(1)",
        "java&#8203;script:alert(1)",
        "vbscript:msgbox(1)",
        "livescript:alert(1)",
        "javascript&colon;alert(1)",
        "javascript://%0Aalert(1)",
        "http:javascript:alert(1)",
    )
    links = "".join(f'<a href="{h}">链接{i}</a>' for i, h in enumerate(hrefs))
    add("javascript-links.html", f"<p>　　{links}。</p>", "javascript: links in every disguise")
    add(
        "data-urls.html",
        '<p>　　<img src="data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+"></p>'
        '<p><a href="data:text/html,&lt;script&gt;alert(1)&lt;/script&gt;">数据链接</a>'
        '<img src="DATA:image/png;base64,iVBORw0KGgo="><a href=" data:text/html;base64,'
        'PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">第二个</a>。</p>',
        "data: URLs in img src and a href",
    )
    add(
        "event-handlers.html",
        '<p onclick="alert(1)" onmouseover="alert(2)">　　点击事件的段落。</p>'
        '<center><img src="https://dfscdn.dfcfw.com/download/D0.jpg" onerror="alert(3)" '
        'onload="alert(4)"></center><p><a href="https://www.eastmoney.com/" '
        'onfocus="alert(5)" ONCLICK="alert(6)">东方财富网</a></p><body onload="alert(7)">'
        "<p oNmOuSeOvEr=alert(8)>　　大小写混合的事件。</p>",
        "onerror, onclick, onload, mixed case",
    )
    add(
        "iframe.html",
        '<iframe src="https://evil.example/">框架文字</iframe>'
        '<iframe srcdoc="&lt;script&gt;alert(1)&lt;/script&gt;"></iframe>'
        '<frameset><frame src="javascript:alert(2)"></frameset>',
        "iframe, srcdoc, frame",
    )
    add(
        "object-embed.html",
        '<object data="https://evil.example/x.swf" type="application/x-shockwave-flash">'
        '<param name="movie" value="x.swf">对象备用文字</object>'
        '<embed src="https://evil.example/x.swf"><applet code="X.class">小程序</applet>',
        "object, param, embed, applet",
    )
    add(
        "svg.html",
        '<svg onload="alert(1)"><script>alert(2)</script>'
        f'<a xlink:href="{_JS}"><text x="0" y="20">点我</text></a>'
        "<foreignObject><p>外来对象</p></foreignObject></svg>"
        "<p>　　<svg/onload=alert(3)>SVG之后的文字。</p>",
        "svg onload, script, xlink:href, foreignObject",
    )
    add(
        "math.html",
        f'<math><maction actiontype="statusline" xlink:href="{_JS}">CLICK'
        "<mtext>http://evil.example</mtext></maction></math>"
        '<math><mi xlink:href="data:x,&lt;script&gt;alert(4)&lt;/script&gt;">公式</mi>'
        "<mtext><table><mglyph><style><img src=x onerror=alert(5)></style></mglyph></table>"
        "</mtext></math>",
        "MathML actions and the mglyph/style mutation",
    )
    add(
        "meta-refresh.html",
        f'<meta http-equiv="refresh" content="0;url={_JS}">'
        '<meta http-equiv="Set-Cookie" content="a=b">',
        "meta refresh and set-cookie in the body",
        head=f'<meta http-equiv="refresh" content="0;url={_JS}">\n',
    )
    add(
        "base-href.html",
        f'<base href="{_JS}//"><p>　　<a href="relative/page.html">相对链接</a>'
        '<img src="/images/x.jpg">。</p>',
        "base href in head and body; relative links",
        head='<base href="https://evil.example/">\n',
    )
    add(
        "comment-hiding-script.html",
        "<!--<script>alert(1)</script>--><!--[if IE]><script>alert(2)</script><![endif]-->"
        "<p>　　注释之间的文字。</p><!-- --!><script>alert(3)</script> -->"
        "<!--><script>alert(4)</script>--><!---><img src=x onerror=alert(5)>-->"
        "<![CDATA[<script>alert(6)</script>]]>",
        "comments, conditional comments, malformed comment ends, CDATA",
    )
    add(
        "noscript-mxss.html",
        '<noscript><p title="</noscript><img src=x onerror=alert(1)>"></noscript>'
        "<p>　　<noscript><style></noscript><img src=x onerror=alert(2)></style></noscript>"
        "之后。</p>",
        "noscript mutation-XSS payloads",
    )
    add(
        "forms.html",
        f'<form action="{_JS}"><input autofocus onfocus="alert(1)" value="输入">'
        f'<button formaction="{_JS}">提交</button><textarea>文本框</textarea>'
        "<select><option>选项</option></select></form><isindex action=javascript:alert(3)>",
        "forms and controls",
    )
    add(
        "escaped-markup-text.html",
        "<p>　　正文中引用代码：&lt;script&gt;alert(1)&lt;/script&gt; 和 "
        "&lt;img src=x onerror=alert(2)&gt;，以及 &amp;lt;b&amp;gt;。</p>",
        "markup as text must stay text",
    )
    add(
        "attribute-breakout.html",
        '<p>　　<img src="https://dfscdn.dfcfw.com/a.jpg&quot; onerror=&quot;alert(1)">'
        "<a href='https://www.eastmoney.com/\"><script>alert(2)</script>'>引号</a>"
        '<img src="https://dfscdn.dfcfw.com/b.jpg" alt="&quot;&gt;&lt;script&gt;alert(3)'
        '&lt;/script&gt;">。</p>',
        "quotes breaking out of attributes",
    )
    add(
        "url-forms.html",
        '<p>　　<a href="//evil.example/x">协议相对</a><a href="?q=1">查询</a>'
        '<a href="#top">锚点</a><a href="mailto:a@b.c">邮件</a><a href="ftp://a.b/c">FTP</a>'
        '<a href="HTTPS://WWW.EASTMONEY.COM/">大写</a><img src="/local.jpg">'
        '<img src="https://dfscdn.dfcfw.com/c.jpg" srcset="javascript:alert(1) 1x" '
        'longdesc="javascript:alert(2)" usemap="#m">。</p>'
        f'<table background="{_JS}"><tr><td>表格</td></tr></table>',
        "protocol-relative, relative, mailto, ftp, srcset, longdesc, background",
    )
    add(
        "link-import-template.html",
        '<link rel="import" href="https://evil.example/x.html">'
        '<link rel="stylesheet" href="https://evil.example/x.css">'
        "<template><script>alert(1)</script><p>模板内容</p></template>"
        "<xmp><script>alert(2)</script></xmp><video poster=javascript:alert(3)></video>"
        "<audio src=x onerror=alert(4)></audio><canvas>画布</canvas>",
        "link, template, xmp, media elements",
    )
    add(
        "hidden-elements.html",
        '<p hidden>　　隐藏属性。</p><p style="display: none">　　不显示。</p>'
        '<div style="visibility:hidden"><a href="https://evil.example/">隐藏链接</a></div>',
        "hidden text is furniture, not article",
    )
    add(
        "nested-links.html",
        f'<p>　　<a href="https://www.eastmoney.com/"><a href="{_JS}">内层</a>外层</a>'
        '<a href="https://www.eastmoney.com/" target="_blank" rel="opener" '
        'style="color:red" id="x" class="y" name="z">目标</a>。</p>',
        "nested links; target, rel, style, id attributes",
    )
    c.add(
        g + "hostile-markdown-source.md",
        md_post(
            "<script>alert(1)</script>\n\n"
            f"文字里的[链接]({_JS})和<a href='{_JS}'>内联</a>。\n\n"
            '<img src="x" onerror="alert(2)">\n\n'
            + PARAS
            + '\n\n<iframe src="https://evil.example/"></iframe>',
            540,
        ),
        "active content in a post source",
    )
    c.add(
        g + "hostile-newsshare.json",
        share_json(
            PARAS + f'<script>alert(1)</script><p>　　<a href="{_JS}">链接</a>'
            '<img src="https://dfscdn.dfcfw.com/d.jpg" onerror="alert(2)"></p>'
            '<svg onload="alert(3)"></svg><iframe src="//evil.example/"></iframe>'
        ),
        "active content in NewsShare JSON",
        share_meta(541),
    )
    c.add(
        g + "hostile-finews-page.html",
        finews_page(
            PARAS
            + f'\n<script>alert(1)</script>\n<p onclick="alert(2)">　　<a href="{_JS}">点</a>。</p>'
            '\n<object data="x.swf"></object>\n<meta http-equiv="refresh" content="0;url=/">',
            542,
        ),
        "active content in a rendered post",
    )
    c.add(
        g + "javascript-canonical.html",
        em_page(PARAS, 543, canonical=_JS),
        "canonical link is javascript: (must not become source_url)",
        {"url": f"https://finance.eastmoney.com/a/{nid(543)}.html"},
    )
    c.add(
        g + "bad-port-canonical.html",
        em_page(PARAS, 545, canonical="https://finance.eastmoney.com:alert(1)/a/news.html"),
        "a canonical link w3lib cannot canonicalise (port `alert(1)`), and no article id",
    )
    c.add(
        g + "bad-port-source-link.md",
        md_post(PARAS, None).replace(
            "[返回", "<http://finance.eastmoney.com:alert(1)/news/x.html>\n\n[返回", 1
        ),
        "a post whose source link w3lib cannot canonicalise (the id step used to crash)",
    )
    c.add(
        g + "javascript-list-record-url.json",
        share_json(PARAS),
        "list record url is javascript: (must not become source_url)",
        share_meta(544, url=_JS),
    )


def _duplicates(c: _Corpus) -> None:
    g = "duplicates/"
    c.add(g + "same-id-a.md", md_post(PARAS, 600), "first of two bodies under one id")
    c.add(
        g + "same-id-b.md",
        md_post(PARAS + "<p>　　更新：央行当日另有公告。</p>", 600),
        "second body under the same id (a new version)",
    )
    c.add(
        g + "same-id-next-day.md",
        md_post(PARAS, 600, date="2024-03-06 09:00:00 +0800"),
        "same id, a date a day later (within the id check)",
    )
    c.add(
        g + "same-article-json.json",
        share_json(PARAS),
        "the same article through NewsShare: one document, same content_hash",
        share_meta(600),
    )
    c.add(
        g + f"2024-03-05-NW{nid(601)}.md",
        md_post(PARAS, 602),
        "the file name and the source link name different ids",
    )


def _operators(c: _Corpus) -> None:
    g = "operators/"
    front = (
        f'layout: post\ntitle: "{TITLE}"\ndate: {MD_DATE}\ncategories: jingjicankaowang\n'
        'tags: 经济参考网新闻\n$set: {title: hacked}\na.b: c\n"$where": "sleep(1000)"\n'
        "__proto__: {admin: true}\n_id: 000000000000000000\n"
    )
    c.add(g + "front-matter-operator-keys.md", md_post(PARAS, 700, front=front), "operator keys")
    front = (
        f'layout: post\ntitle: "{{\\"$gt\\": \\"\\"}}"\ndate: {MD_DATE}\n'
        'categories: "$set"\ntags: ["$where", "{\\"$ne\\": null}", "a.b"]\n'
    )
    c.add(
        g + "front-matter-operator-values.md",
        md_post(PARAS, 701, front=front),
        "operator text as values: stored as plain strings",
    )
    record = {"$where": "sleep(1000)", "a.b": "c", "$set": {"title": "x"}, "__proto__": {}}
    c.add(
        g + "list-record-operator-keys.json",
        share_json(PARAS),
        "operator keys in the list record",
        share_meta(702, **record),
    )
    c.add(
        g + "list-record-operator-values.json",
        share_json("<p>　　正文没有来源行。</p>"),
        "operator text as list record values",
        share_meta(703, title='{"$gt": ""}', medianame="$where", column="a.b"),
    )
    c.add(
        g + "list-record-title-object.json",
        share_json(PARAS),
        "list record title is an object, not text",
        share_meta(704, title={"$gt": ""}),
    )
    c.add(
        g + "json-operator-keys.json",
        share_json(PARAS, **{"$where": "1", "$set": {"a": 1}, "a.b": 2, "__proto__": {}}),
        "operator keys beside the article text",
        share_meta(705),
    )
    meta = share_meta(None, infoCode='{"$ne": null}')
    c.add(
        g + "list-record-info-code-operator.json",
        share_json(PARAS),
        "infoCode is operator text: no id, no article",
        meta,
    )
    c.add(
        g + "eastmoney-title-operator.html",
        em_page(PARAS, 706, title="$where: function(){return true} {$gt: ''}"),
        "operator text in an HTML title",
    )


def _nesting(c: _Corpus) -> None:
    g = "nesting/"
    deep = "<p>　　开头的段落。</p>" + "<div>" * 10_000 + "<p>　　最深处的段落。</p>"
    deep += "</div>" * 10_000 + "<p>　　之后的段落。</p>"
    c.add(g + "divs-10000.html", em_page(deep, 800), "10,000 nested divs in #ContentBody")
    spans = "<p>　　开头的段落。" + "<span>" * 3000 + "最深处的文字" + "</span>" * 3000 + "</p>"
    c.add(g + "spans-3000.html", em_page(spans + PARAS, 801), "3,000 nested spans")
    c.add(
        g + "unclosed-fonts-3000.html",
        em_page(
            "<p>　　开头的段落。</p>" + "<font>" * 3000 + "<p>　　未闭合标签中的段落。</p>", 802
        ),
        "3,000 unclosed font tags",
    )
    tables = "<table><tr><td>" * 1000 + "表格最深处" + "</td></tr></table>" * 1000
    c.add(g + "tables-1000.html", em_page(tables + PARAS, 803), "1,000 nested tables")
    c.add(
        g + "markdown-divs-3000.md",
        md_post("<div>" * 3000 + "<p>　　最深处的段落。</p>" + "</div>" * 3000 + PARAS, 804),
        "3,000 nested divs in a post source",
    )
    c.add(
        g + "newsshare-divs-3000.json",
        share_json("<div>" * 3000 + "<p>　　最深处的段落。</p>" + "</div>" * 3000 + PARAS),
        "3,000 nested divs in NewsShare JSON",
        share_meta(805),
    )
    c.add(
        g + "finews-page-divs-3000.html",
        finews_page("<div>" * 3000 + "<p>　　最深处的段落。</p>" + "</div>" * 3000 + PARAS, 806),
        "3,000 nested divs in a rendered post",
    )
    c.add(
        g + "keytip-spans-3000.html",
        em_page(
            '<p>　　<span id="stock_0.300115"><a class="keytip" data-code="0,300115">'
            + "<span>" * 3000
            + "长盈精密"
            + "</span>" * 3000
            + "</a></span>涨停。</p>"
            + PARAS,
            807,
        ),
        "a stock tag with 3,000 nested spans inside",
    )
    c.add(
        g + "json-nesting-2000.json",
        '{"data": ' * 2000 + '{"text": "<p>正文</p>"}' + "}" * 2000,
        "2,000-deep JSON objects",
    )


GROUPS: tuple[Callable[[_Corpus], None], ...] = (
    _bodies,
    _encoding,
    _front_matter,
    _dates,
    _widgets,
    _html_safety,
    _duplicates,
    _operators,
    _nesting,
)


def small_cases() -> dict[str, Case]:
    """Every committed case, by path relative to `fixtures/hostile/`."""
    corpus = _Corpus()
    for group in GROUPS:
        group(corpus)
    return corpus.cases


def meta_text(meta: dict[str, Any]) -> str:
    text = json.dumps(meta, ensure_ascii=False, indent=2) + "\n"
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # lone surrogates: only JSON escapes can carry them
        text = json.dumps(meta, ensure_ascii=True, indent=2) + "\n"
    return text


def write(folder: Path = HOSTILE) -> list[Path]:
    """Write every case (and its sidecar) under `folder`; return the files written."""
    written = []
    for rel, case in small_cases().items():
        page = folder / rel
        page.parent.mkdir(parents=True, exist_ok=True)
        page.write_bytes(case.body)
        written.append(page)
        if case.meta is not None:
            sidecar = page.with_name(page.name.rsplit(".", 1)[0] + ".meta.json")
            sidecar.write_text(meta_text(case.meta), "utf-8")
            written.append(sidecar)
    return written


# --------------------------------------------------------------------------- large cases


@dataclass(frozen=True)
class LargeCase:
    """A page made at test time: its expected outcome and a time budget in seconds."""

    name: str
    make: Callable[[], bytes]
    reason: str | None  # the rejection reason, or None when it must be stored
    seconds: float
    check: Callable[[dict[str, Any]], None] | None = None  # extra checks on the article


def _twenty_mb() -> bytes:
    block = "<p>　　央行开展逆回购操作，市场流动性保持合理充裕。</p>\n".encode()
    page = em_page("BODY", 900).encode()
    head, tail = page.split(b"BODY")
    return head + block * ((20 * 1024 * 1024) // len(block) + 1) + tail


def _just_over_limit() -> bytes:
    page = em_page("<p>　　正文。</p><!--PAD-->", 901).encode()
    pad = 10 * 1024 * 1024 + 1 - len(page) + len(b"PAD")
    return page.replace(b"PAD", b"x" * pad)


def _just_under_limit() -> bytes:
    para = (
        "<p>　　央行开展逆回购操作，市场流动性保持合理充裕，分析人士认为货币政策将继续稳健。</p>\n"
    )
    return em_page(para * ((9 * 1024 * 1024) // len(para.encode())), 911).encode()


def _many_paragraphs() -> bytes:
    paras = "".join(f"<p>　　第{i}段：市场流动性保持合理充裕。</p>" for i in range(20_000))
    return em_page(paras, 902).encode()


def _nested_100k() -> bytes:
    deep = "<div>" * 100_000 + "<p>　　最深处的段落。</p>" + "</div>" * 100_000
    return em_page("<p>　　开头的段落。</p>" + deep + "<p>　　之后的段落。</p>", 903).encode()


def _unclosed_100k() -> bytes:
    return em_page("<p>　　开头的段落。</p>" + "<b><i>" * 50_000 + "未闭合的文字", 904).encode()


def _huge_front_matter() -> bytes:
    front = f'title: "{TITLE}"\ndate: {MD_DATE}\n' + "k: v\n" * 200_000
    return md_post(PARAS, 905, front=front).encode()


def _yaml_bomb() -> bytes:
    laughs = "".join(
        f"l{i}: &l{i} [" + ", ".join([f"*l{i - 1}"] * 20) + "]\n" for i in range(1, 30)
    )
    return md_post(PARAS, 906, front=f'title: "{TITLE}"\nl0: &l0 "lol"\n' + laughs).encode()


def _json_deep() -> bytes:
    return ('{"data": ' * 200_000 + '{"text": "<p>正文</p>"}' + "}" * 200_000).encode()


def _huge_data_code() -> bytes:
    return md_post(widget("600519|1|1" * 30_000) + PARAS, 907).encode()


def _many_tags() -> bytes:
    tags = "".join(keytip(f"0,{i:06d}", f"股票{i}") for i in range(1, 1201))
    return md_post(f"<p>　　{tags}</p>" + PARAS, 908).encode()


def _huge_title() -> bytes:
    return em_page(PARAS, 909, title="长" * 300_000).encode()


def _many_scripts() -> bytes:
    return em_page(
        PARAS + "<script>alert(1)</script><p onclick=x>　　段。</p>" * 10_000, 910
    ).encode()


def _many_written_codes() -> bytes:
    text = "，".join(f"公司{i}(6{i:05d}.SH)" for i in range(3000))
    return md_post(f"<p>　　{text}。</p>", 913).encode()


def _unclosed_parentheses() -> bytes:
    return md_post("<p>　　" + "贵州茅台(600519" * 20_000 + "。（" * 20_000 + "</p>", 914).encode()


def _check_many_tags(article: dict[str, Any]) -> None:
    assert len(article["stocks"]) == 500, len(article["stocks"])


def _check_deep(article: dict[str, Any]) -> None:
    assert "开头的段落" in article["body_text"], article["body_text"][:200]
    assert "之后的段落" in article["body_text"], article["body_text"][-200:]


def large_cases() -> list[LargeCase]:
    return [
        LargeCase("twenty-mb", _twenty_mb, "page_too_large", 1.0),
        LargeCase("just-over-10-mib", _just_over_limit, "page_too_large", 1.0),
        LargeCase("9-mib-page", _just_under_limit, None, 20.0),
        LargeCase("20000-paragraphs", _many_paragraphs, None, 15.0),
        LargeCase("100000-nested-divs", _nested_100k, None, 15.0, _check_deep),
        LargeCase("50000-unclosed-inline", _unclosed_100k, None, 15.0),
        LargeCase("1mb-front-matter", _huge_front_matter, "front_matter_invalid", 1.0),
        LargeCase("yaml-bomb-large", _yaml_bomb, "front_matter_invalid", 2.0),
        LargeCase("json-200000-deep", _json_deep, "json_invalid", 2.0),
        LargeCase("300kb-data-code", _huge_data_code, None, 5.0),
        LargeCase("1200-stock-tags", _many_tags, None, 10.0, _check_many_tags),
        LargeCase("300k-char-title", _huge_title, "schema_violation", 5.0),
        LargeCase("10000-scripts", _many_scripts, None, 15.0),
        LargeCase("3000-written-codes", _many_written_codes, None, 10.0, _check_many_tags),
        LargeCase("40000-unclosed-parentheses", _unclosed_parentheses, None, 10.0),
    ]


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else HOSTILE
    for path in write(target):
        print(f"wrote {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}")
