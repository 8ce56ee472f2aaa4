"""Hardening at the network edge and in titles: redirects and links stay on the crawl's
origin, header floods and huge robots.txt files are cut off, invisible titles are missing."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from finews_spider.model import Rejection
from finews_spider.normalize.steps import process_page

sys.path.insert(0, str(Path(__file__).resolve().parent))
from hostile_gen import em_page, md_post, nid

# --------------------------------------------------------------------------- invisible titles

INVISIBLE = ["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u202e", "\u200b\u202e\ufeff"]


@pytest.mark.parametrize("title", INVISIBLE)
def test_a_title_of_format_characters_is_missing(title: str) -> None:
    page = em_page("<p>　　央行开展逆回购操作，市场流动性合理充裕。</p>", 1, title=title)
    result = process_page(f"https://finance.eastmoney.com/a/{nid(1)}.html", page.encode())
    assert isinstance(result, Rejection) and result.reason == "title_missing", result


def test_a_title_of_format_characters_and_spaces_in_a_post_is_missing() -> None:
    post = md_post("<p>　　正文。</p>", 2, title="\u3000\u200b \u2060\u3000")
    result = process_page(f"https://finews.withounder.com/x/{nid(2)}.html", post.encode())
    assert isinstance(result, Rejection) and result.reason == "title_missing", result


def test_format_characters_inside_a_real_title_keep_it() -> None:
    page = em_page("<p>　　央行开展逆回购操作，市场流动性合理充裕。</p>", 3, title="央行\u200b操作")
    result = process_page(f"https://finance.eastmoney.com/a/{nid(3)}.html", page.encode())
    assert not isinstance(result, Rejection), result
    assert result["title"] == "央行\u200b操作"
