"""Site knowledge, declared once: what the finews mirror's and Eastmoney's pages look like.

A leaf module (it imports nothing from the project) so that parsing, normalisation and the
spiders read the same hosts, permalink form, widget markers, hidden styles, control
characters and URL-safety rule (field guide: ../shared/reference/eastmoney.md).
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

# --------------------------------------------------------------------------- the finews mirror

MIRROR_BASE_URL = "https://finews.withounder.com/"
#: Every host the Jekyll mirror has been served from (its back links name them).
MIRROR_HOSTS: tuple[str, ...] = ("finews.withounder.com", "finews.zning.me", "finews.zning.xyz")
#: A link to the mirror itself, absolute or protocol-relative, on any of its hosts.
MIRROR_URL = re.compile(
    r"^(?:https?:)?//finews\.(?:withounder\.com|zning\.[a-z]+)(?:[/?#]|$)", re.IGNORECASE
)
#: Jekyll's default permalink (`date`): /:categories/:year/:month/:day/:title.html, where
#: :categories is every category of the post joined by `/` (group 1, with a trailing `/`),
#: or nothing for a post without one; groups 2-4 are year, month and day.
POST_PATH = re.compile(r"^/((?:[^/]+/)*?)(\d{4})/(\d{2})/(\d{2})/[^/]+\.html$")


def is_mirror_url(href: str | None) -> bool:
    """True when `href` points at the mirror (a back link, not an article's own link)."""
    return MIRROR_URL.match((href or "").strip()) is not None


# --------------------------------------------------------------------------- Eastmoney hosts

#: The host of NewsShare pages and of the GetNewsText.do JSON behind them.
SHARE_BASE_URL = "http://choicewzp1.eastmoney.com/"


def share_url(info_code: str) -> str:
    """The NewsShare page of an infoCode: the article's public address when it has no other."""
    return f"{SHARE_BASE_URL}html_News/NewsShare.html?infoCode={info_code}"


# --------------------------------------------------------------------------- Eastmoney bodies

#: The chart widget sits between two comments: `<!-- EM_StockImg_Start -->` … `_End -->`.
WIDGET_MARKER = re.compile(r"^\s*EM_StockImg_(Start|End)\s*$", re.IGNORECASE)
#: The widget's link class and the host of its K-line image.
WIDGET_LINK_CLASS = "EmImageRemark"
KLINE_SRC = re.compile(r"webquoteklinepic\.eastmoney\.com/GetPic\.aspx", re.IGNORECASE)
#: The source line (`<p class="em_media">（文章来源：…）</p>`); its tagged words are not securities.
SOURCE_LINE_CLASS = "em_media"
#: The label of a source line or header (`文章来源：`, `来源 ：`), before the outlet's name.
SOURCE_LABEL_TEXT = r"(?:文章)?来源\s*[：:]\s*"
SOURCE_LABEL = re.compile(rf"^\s*{SOURCE_LABEL_TEXT}")
#: Classes of the inline stock tags (`a.keytip`, `a.infokey`, `span.em_stock_key_common`).
STOCK_TAG_CLASSES = frozenset({"keytip", "em_stock_key_common", "infokey"})
#: Ids of the spans around inline stock, board and keyword tags.
STOCK_SPAN_ID = re.compile(r"^(?:stock_|Info\.|bk_)", re.IGNORECASE)
#: Ids of the empty quote spans that follow them.
QUOTE_SPAN_ID = re.compile(r"^(?:quote_|bkquote_)", re.IGNORECASE)

#: A `style` that hides its element: a `display` or `visibility` declaration, not a property
#: that merely ends in those words (`mso-display`) or a value that starts with them.
HIDDEN_STYLE = re.compile(
    r"(?:^|[;\s])(?:display\s*:\s*none|visibility\s*:\s*hidden)\b", re.IGNORECASE
)


def hides(style: str | None) -> bool:
    """True when an inline `style` hides its element."""
    return bool(style) and HIDDEN_STYLE.search(style) is not None


# --------------------------------------------------------------------------- characters

#: Characters no page text holds and libxml2 cannot take: C0 controls except tab, LF and CR,
#: DEL, C1 controls, lone surrogates (JSON/YAML `\ud800` escapes that UTF-8 and BSON cannot
#: encode) and the non-characters U+FFFE and U+FFFF.
CONTROL_CHARS = "\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff"
CONTROL = re.compile(f"[{CONTROL_CHARS}]")


def _without_whitespace(pattern: re.Pattern[str]) -> str:
    """A character class: what `pattern` (a class within the BMP) matches, less whitespace."""
    kept = [c for c in range(0x10000) if pattern.match(chr(c)) and not chr(c).isspace()]
    runs: list[list[int]] = []
    for c in kept:
        if runs and runs[-1][1] == c - 1:
            runs[-1][1] = c
        else:
            runs.append([c, c])
    return "".join(chr(a) if a == b else f"{chr(a)}-{chr(b)}" for a, b in runs)


#: The control characters that are not whitespace: a one-line value drops these and turns
#: the others (vertical tab, form feed, \x1c-\x1f, NEL) into spaces.
CONTROL_NOT_SPACE = re.compile(f"[{_without_whitespace(CONTROL)}]")

# --------------------------------------------------------------------------- URL safety

#: An absolute http(s) URL without whitespace, quotes, angle brackets or backslashes.
SAFE_URL = re.compile(r"^https?://[^\s\"'<>\\]+$", re.IGNORECASE)


def web_url(value: str | None) -> str | None:
    """`value` when it is an absolute http(s) URL that parses, else None.

    Hostile pages state `javascript:…` links and hosts with a port such as `alert(1)`: such
    a value must be neither stored nor linked."""
    url = (value or "").strip()
    if not SAFE_URL.match(url):
        return None
    try:
        urlsplit(url).port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError:
        return None
    return url
