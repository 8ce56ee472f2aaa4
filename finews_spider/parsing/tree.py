"""HTML tree tools that work before lxml sees the markup: shared by the page parsers and the
body cleaner (normalisation sits above parsing, so they live here)."""

from __future__ import annotations

from collections import Counter
from html.parser import HTMLParser as _StdlibHTMLParser
from typing import ClassVar

__all__ = ["VOID_ELEMENTS", "DepthLimiter", "limit_depth"]

#: Elements that never have content or an end tag.
VOID_ELEMENTS = frozenset(
    {
        "area",
        "base",
        "br",
        "col",
        "embed",
        "hr",
        "img",
        "input",
        "link",
        "meta",
        "param",
        "source",
        "track",
        "wbr",
    }
)


class DepthLimiter(_StdlibHTMLParser):
    """Re-emit HTML with at most ``limit`` open elements (deeper tags dropped, text kept)."""

    # Implied end tags, so that a run of unclosed <p> or <li> does not count as nesting.
    _AUTO_CLOSE: ClassVar[dict[str, frozenset[str]]] = {
        "p": frozenset({"p"}),
        "li": frozenset({"li"}),
        "dt": frozenset({"dt", "dd"}),
        "dd": frozenset({"dt", "dd"}),
        "tr": frozenset({"tr", "td", "th"}),
        "td": frozenset({"td", "th"}),
        "th": frozenset({"td", "th"}),
        "option": frozenset({"option"}),
    }
    # An end tag closes a match this near the top of the stack only: stray end tags stay linear.
    _MATCH_WINDOW = 32

    def __init__(self, limit: int) -> None:
        super().__init__(convert_charrefs=False)
        self.limit = limit
        self.out: list[str] = []
        self.stack: list[str] = []
        self.dropped: Counter[str] = Counter()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        raw = self.get_starttag_text() or ""
        if tag in VOID_ELEMENTS:
            self.out.append(raw)
            return
        closes = self._AUTO_CLOSE.get(tag)
        if closes and self.stack and self.stack[-1] in closes:
            self.stack.pop()
        if len(self.stack) >= self.limit:
            self.dropped[tag] += 1
            return
        self.stack.append(tag)
        self.out.append(raw)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.out.append(self.get_starttag_text() or "")

    def handle_endtag(self, tag: str) -> None:
        if self.dropped[tag] > 0:
            self.dropped[tag] -= 1
            return
        stack = self.stack
        for i in range(len(stack) - 1, max(len(stack) - self._MATCH_WINDOW, 0) - 1, -1):
            if stack[i] == tag:
                del stack[i:]
                break
        self.out.append(f"</{tag}>")

    def handle_data(self, data: str) -> None:
        self.out.append(data)

    def handle_entityref(self, name: str) -> None:
        self.out.append(f"&{name};")

    def handle_charref(self, name: str) -> None:
        self.out.append(f"&#{name};")

    def handle_comment(self, data: str) -> None:
        self.out.append(f"<!--{data}-->")


def limit_depth(source: str, limit: int) -> str:
    """`source` re-emitted with at most `limit` open elements, for parsers (libxml2) that
    silently drop everything after their own depth limit."""
    limiter = DepthLimiter(limit)
    limiter.feed(source)
    limiter.close()
    return "".join(limiter.out)
