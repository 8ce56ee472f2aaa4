"""The outlet named by a trailing attribution: `…增长12%。（央视财经）`, `…投产。(证券时报网)`.

Eastmoney's rolling-news digests often name their outlet only this way (field guide, "Signals in
the text itself"). `attributed_outlet(summary, body_text)` reads the digest and every paragraph;
an attribution is a parenthetical that ends the text right after a sentence end (。！？…”).

What is not an outlet, though it may stand in that place: a year or a date (`（2021年）`), an
amount (`(3亿元)`), a Latin abbreviation (`(HUD)`), a note (`（点击阅读报告全文）`, `（完）`,
`（记者 张三）`), anything with inner punctuation. When the paragraphs name different outlets
(a round-up quoting several), none is taken. Pure code.
"""

from __future__ import annotations

import re
from typing import Final

from finews_spider.site import SOURCE_LABEL

# Sentence end, optional closing quote, then the parenthetical at the very end.
_TRAILING = re.compile(r"[。！？!?…”」』]\s*[（(]\s*([^（）()\n]{2,24}?)\s*[）)]\s*$")
_CJK = re.compile(r"[\u3400-\u9fff]")
# Digits only where an outlet's name has them (`21世纪经济报道`), never before a unit.
_NUMBER_WITH_UNIT = re.compile(
    r"[0-9０-９一二三四五六七八九十百千万亿两零]+\s*(?:年|月|日|号|时|点|分|秒|元|%|％|亿|万|千|百|"
    r"股|倍|天|周|期|届|季|岁|吨|个|家|只|项|次|人)"
)
_DIGIT = re.compile(r"[0-9０-９]")
# A name holds letters, digits and CJK; `·` appears in some outlets' names.
_NAME = re.compile(r"[\u3400-\u9fffA-Za-z0-9０-９·]+")
_NOTES: Final = (
    "点击",
    "阅读",
    "全文",
    "详见",
    "详情",
    "参见",
    "见附",
    "附件",
    "链接",
    "报告",
    "记者",
    "编辑",
    "通讯员",
    "实习生",
    "摄影",
    "供图",
    "图片",
    "视频",
    "注：",
    "完",
    "待续",
    "简称",
    "下称",
    "以下",
    "原标题",
    "整理",
    "编译",
    "综合",
    "摘编",
    "同比",
    "环比",
    "预计",
    "单位",
    "下同",
    "除外",
)
MAX_OUTLET_LEN: Final = 24


def attributed_outlet(summary: str | None, body_text: str | None) -> str | None:
    """The outlet a trailing attribution names in the digest or a paragraph; None when there
    is none, or when the attributions name different outlets."""
    found: list[str] = []
    lines = [summary or ""]
    if body_text:
        lines.extend(body_text.split("\n"))
    for line in lines:
        name = trailing_attribution(line)
        if name is not None and name not in found:
            found.append(name)
    return found[0] if len(found) == 1 else None


def trailing_attribution(line: str) -> str | None:
    """The outlet of `line`'s trailing attribution, or None."""
    if not line or ("（" not in line and "(" not in line):
        return None
    m = _TRAILING.search(line[-200:])
    if m is None:
        return None
    name = SOURCE_LABEL.sub("", m.group(1).strip())
    return name if is_outlet_name(name) else None


def is_outlet_name(name: str) -> bool:
    """True when `name` can be an outlet's name (see the module doc for what cannot)."""
    if not 2 <= len(name) <= MAX_OUTLET_LEN or not _NAME.fullmatch(name):
        return False
    if len(_CJK.findall(name)) < 2:
        return False  # years, amounts, Latin abbreviations
    if any(note in name for note in _NOTES):
        return False
    if _NUMBER_WITH_UNIT.search(name):
        return False
    # Digits only leading a name (`21世纪经济报道`), never inside or at its end.
    rest = name.lstrip("0123456789")
    return rest == name or (len(name) - len(rest) <= 3 and not _DIGIT.search(rest))
