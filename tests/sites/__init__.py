"""Loopback test sites for the crawl tests: a Jekyll-rendered finews site, Eastmoney-like
article pages and NewsShare endpoints, served on 127.0.0.1 with an access log and fault knobs.

    from sites import LoopbackSite, loopback_site   # tests/ is on sys.path under pytest

    def test_crawl(loopback_site: LoopbackSite) -> None:
        loopback_site.fail("/feed.xml", status=503, retry_after=1, times=1)
        ... crawl loopback_site.url("/") ...
        assert ("GET", "/feed.xml", 503) in loopback_site.access_log

Test-only dependencies: python-liquid, markdown-it-py.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from .eastmoney import list_record
from .jekyll import (
    BUNDLED_LAYOUTS,
    CORPUS_SITE,
    DEFAULT_ROBOTS,
    Post,
    RenderedSite,
    build_site,
    layouts_dir,
    markdownify,
    render_site,
)
from .loopback import FIXTURE_POSTS, LoopbackSite, default_posts_dir
from .samples import CATEGORYLESS_POST, SAMPLE_POSTS, post_source, write_sample_posts
from .server import Fault, Hit, LoopbackServer, Response

__all__ = [
    "BUNDLED_LAYOUTS",
    "CATEGORYLESS_POST",
    "CORPUS_SITE",
    "DEFAULT_ROBOTS",
    "FIXTURE_POSTS",
    "SAMPLE_POSTS",
    "Fault",
    "Hit",
    "LoopbackServer",
    "LoopbackSite",
    "Post",
    "RenderedSite",
    "Response",
    "build_site",
    "default_posts_dir",
    "layouts_dir",
    "list_record",
    "loopback_site",
    "markdownify",
    "post_source",
    "render_site",
    "write_sample_posts",
]


@pytest.fixture
def loopback_site(tmp_path: Path) -> Iterator[LoopbackSite]:
    """A running LoopbackSite over the project's post fixtures (``fixtures/finews_source/``),
    or over the sample posts while that folder has no posts, plus a post without categories
    (`CATEGORYLESS_POST`). Fresh per test: empty access log, no faults."""
    with LoopbackSite(default_posts_dir(tmp_path)) as site:
        site.add_post(*CATEGORYLESS_POST)
        yield site
