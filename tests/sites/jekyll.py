"""Render a finews site the way Jekyll (GitHub Pages, Jekyll 3.9 + kramdown) would.

Input: a folder of post sources (``YYYY-MM-DD-<slug>.md`` with YAML front matter).
Output: ``{path: bytes}`` for the home page ``/index.html``, ``/emnews/index.html``,
``/category/<category>.html`` for every category of the posts, the jekyll-feed Atom feed
``/feed.xml``, ``/robots.txt`` and every post at ``/<category>/<yyyy>/<mm>/<dd>/<slug>.html``.

Layouts: the real ones from ``../shared/corpus/site`` when that folder exists (a checkout next
to the shared corpus), else the small equivalents in ``tests/sites/layouts/``. Liquid is
python-liquid (plus Jekyll's ``seo``/``include`` tags and ``relative_url``/``absolute_url``
filters); markdown is markdown-it-py (CommonMark + raw HTML + autolinks + smart quotes),
with one pre-pass so that a block HTML element spans blank lines up to its end tag, as
kramdown's HTML blocks do.

What Jekyll does, and this renderer copies (each one changes what a crawler sees):

- Front-matter dates go through SafeYAML: an *unquoted* ``2021-12-08 10:46:18`` without an
  offset is read as **UTC** and shown in the site zone, i.e. ``2021-12-08 18:46:18`` on the
  page (and a late-evening time moves the permalink to the next day). With ``+0800``, or
  quoted, or date-only, the time is read as stated / in Asia/Shanghai.
  ``naive_dates="site"`` switches that off (naive = Asia/Shanghai).
- A file whose name does not start with a date is not a post (skipped); a front-matter date
  Jekyll cannot read (``date:  +0800``) fails a real Jekyll build: the post is skipped;
  ``published: false`` is skipped. `RenderedSite.skipped` says why for each.
- A file whose front matter does not start on the first line (a blank line before ``---``)
  has *no* front matter for Jekyll: it is rendered with the ``post`` layout (GitHub Pages'
  jekyll-default-layout), titled from the slug, dated from the file name at 00:00, with no
  category (permalink ``/<yyyy>/<mm>/<dd>/<slug>.html``) and the YAML shown as text.
- An empty title renders as ``<h1></h1>``.
- The real default layout writes ``{{ page.content }}`` into ``og:description`` unescaped: on
  a post page that is the body HTML, on the home page the *unrendered* page source (Jekyll
  3.9 snapshots a page's content before rendering), so ``<a href="{{ post.url }}">`` is a
  link a crawler will find there.
- On the real ``emnews.md`` the list is indented four spaces after a whitespace-only line,
  so kramdown makes it a code block: ``/emnews/`` shows the list as escaped text, no links.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, timezone
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote
from xml.sax.saxutils import escape as xml_escape
from zoneinfo import ZoneInfo

import yaml
from liquid import Environment, Node, Tag
from liquid.exceptions import LiquidError
from liquid.token import TOKEN_EXPRESSION
from markdown_it import MarkdownIt

__all__ = [
    "BUNDLED_LAYOUTS",
    "CORPUS_SITE",
    "DEFAULT_ROBOTS",
    "SITE_TZ",
    "Post",
    "RenderedSite",
    "build_site",
    "layouts_dir",
    "markdownify",
    "render_site",
]

SITE_TZ = ZoneInfo("Asia/Shanghai")
REPO = Path(__file__).resolve().parents[2]
CORPUS_SITE = REPO.parent / "shared" / "corpus" / "site"
BUNDLED_LAYOUTS = Path(__file__).resolve().parent / "layouts"
DEFAULT_ROBOTS = "User-agent: *\nAllow: /\n"
FEED_LIMIT = 10  # jekyll-feed's default posts_limit
HOME_PAGES = ("index.md", "emnews.md")  # the pages rendered (README.md also claims `/`)

# Jekyll's Document::DATE_FILENAME_MATCHER, for a bare file name
_DATE_FILENAME = re.compile(r"^(\d{2,4}-\d{1,2}-\d{1,2})-(.*)(\.[^.]+)$")
# Jekyll's YAML_FRONT_MATTER_REGEXP
_FRONT_MATTER = re.compile(r"\A(---\s*\n.*?\n?)^((---|\.\.\.)\s*$\n?)", re.M | re.S)
# SafeYAML's Parse::Date matchers (only plain, unquoted scalars are converted)
_SAFEYAML_DATE = re.compile(r"\A\d{4}-\d{2}-\d{2}\Z")
_SAFEYAML_TIME = re.compile(
    r"\A(\d{4})-(\d{1,2})-(\d{1,2})(?:[Tt]|\s+)(\d{1,2}):(\d{2}):(\d{2})(?:\.\d*)?"
    r"\s*(Z|[-+]\d{1,2}(?::?\d{2})?)?\Z"
)
# what Ruby's Time.parse reads in these files (a date, optional time, optional offset)
_LENIENT_TIME = re.compile(
    r"\A\s*(\d{4})-(\d{1,2})-(\d{1,2})(?:[Tt\s]+(\d{1,2}):(\d{2})(?::(\d{2}))?(?:\.\d*)?)?"
    r"\s*(Z|[-+]\d{1,2}(?::?\d{2})?)?\s*\Z"
)
_EXT_MARKDOWN = (".md", ".markdown", ".mkd", ".mkdn", ".mdown")
_CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".xml": "application/xml; charset=utf-8",
    ".txt": "text/plain; charset=utf-8",
    ".json": "application/json; charset=utf-8",
}


def content_type(path: str) -> str:
    return _CONTENT_TYPES.get(Path(path).suffix.lower(), "application/octet-stream")


# --- markdown (kramdown-alike) ----------------------------------------------------------------

# HTML elements kramdown treats as block-level (a subset is enough for these posts)
_BLOCK_TAGS = frozenset(
    [
        "address",
        "article",
        "aside",
        "blockquote",
        "center",
        "dd",
        "details",
        "div",
        "dl",
        "dt",
        "fieldset",
        "figcaption",
        "figure",
        "footer",
        "form",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "header",
        "hr",
        "li",
        "main",
        "nav",
        "ol",
        "p",
        "pre",
        "section",
        "table",
        "tbody",
        "td",
        "tfoot",
        "th",
        "thead",
        "tr",
        "ul",
    ]
)
_HTML_OPEN = re.compile(r"^ {0,3}<([A-Za-z][A-Za-z0-9]*)(?=[\s/>]|$)")


def _kramdown_html_blocks(text: str) -> str:
    """Join a block HTML element's lines up to its end tag (kramdown reads it as one raw block;
    CommonMark would end it at the first blank line and read the rest as markdown)."""
    lines = text.split("\n")
    out: list[str] = []
    i = 0
    while i < len(lines):
        match = _HTML_OPEN.match(lines[i])
        tag = match.group(1).lower() if match else ""
        if tag in _BLOCK_TAGS:
            opener, closer = re.compile(rf"<{tag}(?=[\s/>])", re.I), f"</{tag}"
            depth, j = 0, i
            while j < len(lines):
                depth += len(opener.findall(lines[j])) - lines[j].lower().count(closer)
                if depth <= 0:
                    break
                j += 1
            if j > i and j < len(lines):
                out.extend(line for line in lines[i : j + 1] if line.strip())
                out.append("")
                i = j + 1
                continue
        out.append(lines[i])
        i += 1
    return "\n".join(out)


@cache
def _markdown() -> MarkdownIt:
    # kramdown (Jekyll's defaults): raw HTML, `<url>` autolinks, smart quotes, no hard wraps
    return MarkdownIt("commonmark", {"html": True, "typographer": True}).enable("smartquotes")


def markdownify(text: str) -> str:
    return _markdown().render(_kramdown_html_blocks(text))


# --- Liquid with Jekyll's additions ----------------------------------------------------------


class _TextNode(Node):
    def __init__(self, token: Any, render: Any) -> None:
        super().__init__(token)
        self._render = render
        self.blank = False

    def render_to_output(self, context: Any, buffer: Any) -> int:
        return buffer.write(self._render(context))


def _tag_argument(stream: Any) -> tuple[Any, str]:
    """The tag token and its raw argument text. The stream is left on the tag's last token
    (the parser steps past it)."""
    token = stream.current
    if stream.peek.kind == TOKEN_EXPRESSION:
        next(stream)
        return token, str(stream.current.value)
    return token, ""


def _scope(context: Any, name: str) -> dict[str, Any]:
    value = context.resolve(name, default=None)
    return value if isinstance(value, dict) else {}


class _SeoTag(Tag):
    """``{% seo %}`` (jekyll-seo-tag): title, canonical URL, Open Graph basics."""

    name = "seo"
    block = False

    def parse(self, stream: Any) -> Node:
        token, _args = _tag_argument(stream)
        return _TextNode(token, _seo)


def _seo(context: Any) -> str:
    site, page = _scope(context, "site"), _scope(context, "page")
    site_title = str(site.get("title") or "")
    page_title = str(page.get("title") or "")
    title = (
        f"{page_title} | {site_title}" if page_title and page_title != site_title else site_title
    )
    canonical = str(site.get("url", "")) + str(page.get("url", ""))
    locale = str(site.get("lang", "en_US")).replace("-", "_")
    e = html.escape
    return (
        "<!-- Begin Jekyll SEO tag v2.8.0 -->\n"
        f"<title>{e(title)}</title>\n"
        '<meta name="generator" content="Jekyll v3.9.3" />\n'
        f'<meta property="og:title" content="{e(page_title or site_title)}" />\n'
        f'<meta property="og:locale" content="{e(locale)}" />\n'
        f'<link rel="canonical" href="{e(canonical)}" />\n'
        f'<meta property="og:url" content="{e(canonical)}" />\n'
        f'<meta property="og:site_name" content="{e(site_title)}" />\n'
        "<!-- End Jekyll SEO tag -->\n"
    )


class _IncludeTag(Tag):
    """Jekyll's ``{% include file.html %}`` (bare file name): the theme's includes are empty
    comment stubs here."""

    name = "include"
    block = False

    def parse(self, stream: Any) -> Node:
        token, args = _tag_argument(stream)
        name = args.split()[0] if args.split() else ""
        return _TextNode(token, lambda _ctx: f"<!-- include {html.escape(name)} -->")


def _environment(site_url: str) -> Environment:
    env = Environment()  # no autoescape: Jekyll's Liquid does not escape
    env.add_tag(_SeoTag)
    env.add_tag(_IncludeTag)

    def relative_url(value: object) -> str:
        text = "" if value is None else str(value)
        return text if text.startswith(("http://", "https://", "//")) else "/" + text.lstrip("/")

    def absolute_url(value: object) -> str:
        text = relative_url(value)
        return text if "://" in text or text.startswith("//") else site_url + text

    env.filters["relative_url"] = relative_url
    env.filters["absolute_url"] = absolute_url
    env.filters["xml_escape"] = lambda value: xml_escape("" if value is None else str(value))
    env.filters["jsonify"] = lambda value: json.dumps(value, default=str)
    return env


# --- the site's own files ---------------------------------------------------------------------


def layouts_dir() -> Path:
    """The real layouts when the shared corpus is next to the repository, else the bundled ones."""
    return CORPUS_SITE if CORPUS_SITE.is_dir() else BUNDLED_LAYOUTS


def _read_site_files(folder: Path) -> dict[str, str]:
    """Site files by repository path. The corpus stores paths flattened (``_layouts__post.html``
    is ``_layouts/post.html``, ``root__index.md`` is ``index.md``); a plain tree is read as is."""
    files: dict[str, str] = {}
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        rel = path.relative_to(folder).as_posix()
        if "/" not in rel and "__" in rel:
            head, _, tail = rel.partition("__")
            rel = tail if head == "root" else f"{head}/{tail}"
        files[rel] = path.read_text(encoding="utf-8")
    return files


def _split_front_matter(text: str) -> tuple[dict[str, Any] | None, str, yaml.Node | None]:
    """(front matter, content, YAML node). None when Jekyll sees no front matter; ``{}`` when
    it is there but unreadable (Jekyll logs the YAML error and carries on)."""
    match = _FRONT_MATTER.match(text)
    if not match:
        return None, text, None
    content = text[match.end() :]
    try:
        node = yaml.compose(match.group(1), Loader=yaml.BaseLoader)
        data = yaml.load(match.group(1), Loader=yaml.BaseLoader)  # BaseLoader: strings only
    except yaml.YAMLError:
        return {}, content, None
    if not isinstance(data, dict):
        return {}, content, None
    return data, content, node


def _plain_scalar(node: yaml.Node | None, key: str) -> bool:
    """Whether `key`'s value is an unquoted scalar (SafeYAML converts only those)."""
    if not isinstance(node, yaml.MappingNode):
        return False
    for key_node, value_node in node.value:
        if getattr(key_node, "value", None) == key and isinstance(value_node, yaml.ScalarNode):
            return value_node.style is None
    return False


def _offset(text: str | None) -> int | None:
    """Seconds east of UTC for ``Z``, ``+08``, ``+0800``, ``+08:00``; None when absent."""
    if not text:
        return None
    if text == "Z":
        return 0
    digits = text[1:].replace(":", "")
    hours, minutes = (int(digits), 0) if len(digits) <= 2 else (int(digits[:-2]), int(digits[-2:]))
    return (1 if text[0] == "+" else -1) * (hours * 3600 + minutes * 60)


def _aware(parts: tuple[str | None, ...], zone: str | None, naive_zone: Any) -> datetime:
    year, month, day, hour, minute, second = (int(p or 0) for p in parts)
    offset = _offset(zone)
    zone_info = naive_zone if offset is None else timezone(timedelta(seconds=offset))
    return datetime(year, month, day, hour, minute, second, tzinfo=zone_info)


def jekyll_date(raw: str, *, plain: bool, naive_dates: str = "utc") -> datetime | None:
    """The instant Jekyll gives a front-matter ``date`` (None when a build would fail)."""
    raw = raw.strip()
    if plain and (m := _SAFEYAML_TIME.match(raw)):
        # SafeYAML: DateTime.parse(value).to_time: no offset means UTC
        naive_zone = UTC if naive_dates == "utc" else SITE_TZ
        return _aware(m.groups()[:6], m.group(7), naive_zone)
    if m := _LENIENT_TIME.match(raw):
        # a Date or a string: Utils.parse_date -> Time.parse, in the site's zone
        try:
            return _aware(m.groups()[:6], m.group(7), SITE_TZ)
        except ValueError:
            return None
    return None


def _words(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return value.split()
    if isinstance(value, list):
        return [str(v) for v in value if str(v).strip()]
    return [str(value)]


def _slugify_pretty(text: str) -> str:
    # Jekyll's Utils.slugify(mode: "pretty", cased: true)
    return re.sub(r"(?:[^\w.~!$&'()+,;=@]|_)+", "-", text).strip("-")


def _escape_path(path: str) -> str:
    return quote(path, safe="/:@!$&'()*+,;=-._~")


# --- posts ------------------------------------------------------------------------------------

_SOURCE_LINK = re.compile(r"^<((?:https?:)?//[^\s<>]*)?>$")
_BACK_LINK = re.compile(r"^\s*\[返回[^\]]*\]\([^)]*\)")
_ARTICLE_ID = re.compile(r"(?<!\d)(\d{18})(?!\d)")
_INFO_CODE = re.compile(r"infoCode=([A-Z]{2}\d{6,24})")
_EM_MEDIA = re.compile(r"（文章来源：(.*?)）")


@dataclass
class Post:
    """One post as Jekyll sees it, plus the parts the Eastmoney/NewsShare sections reuse."""

    source: Path
    slug: str
    date: datetime  # the instant Jekyll renders (Asia/Shanghai)
    published: datetime  # the front-matter wall time read in Beijing: what the outlet published
    title: str
    categories: list[str]
    tags: list[str]
    layout: str | None
    url: str  # site-relative, escaped: /jingjicankaowang/2022/03/03/NW….html
    id: str  # Jekyll's document id: the url without `.html`
    front_matter: dict[str, Any] | None  # None: Jekyll found none
    source_text: str  # markdown after the front matter
    content: str = ""  # converted HTML (set while rendering)
    digest: str | None = None
    body_markdown: str = ""  # body without digest, source link and back links
    source_url: str | None = None
    article_id: str | None = None  # 18 digits
    info_code: str | None = None  # from a NewsShare source link
    outlet: str | None = None
    template: Any = field(default=None, repr=False)

    @property
    def path(self) -> str:
        """The file path in the rendered site (unescaped)."""
        return unquote(self.url)

    @property
    def category(self) -> str | None:
        return self.categories[0] if self.categories else None

    @property
    def body_html(self) -> str:
        return markdownify(self.body_markdown).strip()

    def liquid(self) -> dict[str, Any]:
        data = dict(self.front_matter or {})
        data.update(
            title=self.title,
            date=self.date,
            categories=self.categories,
            tags=self.tags,
            url=self.url,
            id=self.id,
            slug=self.slug,
            content=self.content,
            collection="posts",
            path=f"_posts/{self.source.name}",
        )
        return data


def _split_parts(post: Post) -> None:
    digest: list[str] = []
    body: list[str] = []
    for line in post.source_text.split("\n"):
        stripped = line.strip()
        if (link := _SOURCE_LINK.match(stripped)) is not None:
            post.source_url = link.group(1) or post.source_url
            continue
        if _BACK_LINK.match(stripped):
            continue
        if stripped.startswith(">") and not any(b.strip() for b in body):
            digest.append(stripped.lstrip(">").strip())
            continue
        body.append(line)
    post.digest = " ".join(d for d in digest if d) or None
    post.body_markdown = "\n".join(body).strip("\n")
    ids = _ARTICLE_ID.findall(post.slug) or _ARTICLE_ID.findall(post.source_url or "")
    post.article_id = ids[0] if ids else None
    info = _INFO_CODE.search(post.source_url or "")
    post.info_code = info.group(1) if info else None
    outlet = next((t[: -len("新闻")] for t in post.tags if t.endswith("新闻")), None)
    if outlet in (None, "东财滚动"):
        media = _EM_MEDIA.findall(post.body_markdown)
        outlet = re.sub(r"<[^>]+>", "", media[-1]) if media else None
    post.outlet = outlet or None


def read_post(path: Path, naive_dates: str = "utc") -> Post | str:
    """A Post, or the reason Jekyll would not publish the file."""
    match = _DATE_FILENAME.match(path.name)
    if not match:
        return "no date in the file name (Jekyll does not read it as a post)"
    file_date, slug, _ext = match.groups()
    try:
        day = date(*(int(p) for p in file_date.split("-")))
    except ValueError:
        return f"invalid date in the file name: {file_date}"
    try:
        text = path.read_text(encoding="utf-8").replace("\r\n", "\n")
    except UnicodeDecodeError:
        return "not valid UTF-8 (Jekyll skips invalid encodings)"
    data, content, node = _split_front_matter(text)
    fm = data or {}
    if str(fm.get("published", "true")).lower() == "false":
        return "published: false"
    midnight = datetime(day.year, day.month, day.day, tzinfo=SITE_TZ)
    if "date" in fm and fm["date"] not in (None, ""):
        when = jekyll_date(
            str(fm["date"]), plain=_plain_scalar(node, "date"), naive_dates=naive_dates
        )
        if when is None:
            return f"invalid front-matter date {fm['date']!r} (a Jekyll build fails on it)"
        stated = jekyll_date(str(fm["date"]), plain=_plain_scalar(node, "date"), naive_dates="site")
    else:
        when = stated = midnight
    assert stated is not None
    when, stated = when.astimezone(SITE_TZ), stated.astimezone(SITE_TZ)
    title = fm.get("title")
    if not isinstance(title, str):
        title = " ".join(w.capitalize() for w in slug.split("-"))  # Utils.titleize_slug
    categories = list(dict.fromkeys(_words(fm.get("category")) + _words(fm.get("categories"))))
    tags = list(dict.fromkeys(_words(fm.get("tag")) + _words(fm.get("tags"))))
    # GitHub Pages' jekyll-default-layout gives a layout-less post the `post` layout
    layout = fm.get("layout") if isinstance(fm.get("layout"), str) else "post"
    cats = "/".join(dict.fromkeys(c.lower() for c in categories))
    doc_id = f"{'/' + cats if cats else ''}/{when:%Y/%m/%d}/{_slugify_pretty(slug)}"
    post = Post(
        source=path,
        slug=slug,
        date=when,
        published=stated,
        title=title,
        categories=categories,
        tags=tags,
        layout=layout,
        url=_escape_path(doc_id + ".html"),
        id=doc_id,
        front_matter=data,
        source_text=content,
    )
    _split_parts(post)
    return post


# --- the site ---------------------------------------------------------------------------------


@dataclass
class RenderedSite:
    files: dict[str, bytes]  # unescaped path -> bytes
    posts: list[Post]  # newest first (site.posts)
    skipped: dict[str, str]  # file name -> why it is not on the site
    layouts: Path  # where the layouts came from
    site_url: str
    categories: dict[str, list[Post]] = field(default_factory=dict)

    def post(self, slug_or_name: str) -> Post:
        for post in self.posts:
            if slug_or_name in (post.slug, post.source.name, post.source.stem):
                return post
        raise KeyError(slug_or_name)


def _post_sources(posts: Path | Iterable[Path]) -> list[Path]:
    if isinstance(posts, Path | str):
        folder = Path(posts)
        found = [p for p in folder.iterdir() if p.is_file()] if folder.is_dir() else []
    else:
        found = [Path(p) for p in posts]
    by_name: dict[str, Path] = {}
    for path in found:  # a later file with the same name replaces an earlier one
        if path.name.startswith(("_", ".", "#")) or path.name.endswith("~"):
            continue  # Jekyll's EntryFilter
        if path.suffix.lower() in _EXT_MARKDOWN:
            by_name[path.name] = path
    return [by_name[name] for name in sorted(by_name)]


def _render_liquid(env: Environment, source: str, **scope: Any) -> str:
    return env.from_string(source).render(**scope)


def _place_in_layouts(
    env: Environment,
    layouts: Mapping[str, tuple[dict[str, Any], str]],
    layout: str | None,
    content: str,
    scope: dict[str, Any],
) -> str:
    seen: set[str] = set()
    while layout and layout in layouts and layout not in seen:
        seen.add(layout)
        data, source = layouts[layout]
        content = _render_liquid(env, source, content=content, layout=data, **scope)
        layout = data.get("layout") if isinstance(data.get("layout"), str) else None
    return content


def build_site(
    posts: Path | Iterable[Path],
    *,
    site_url: str = "http://127.0.0.1",
    layouts: Path | None = None,
    robots_txt: str | None = DEFAULT_ROBOTS,
    naive_dates: str = "utc",
    feed_limit: int = FEED_LIMIT,
) -> RenderedSite:
    """Render the site. `site_url` replaces ``url`` from ``_config.yml`` (absolute links)."""
    if naive_dates not in ("utc", "site"):
        raise ValueError("naive_dates is 'utc' (Jekyll/SafeYAML) or 'site' (Asia/Shanghai)")
    site_url = site_url.rstrip("/")
    folder = layouts or layouts_dir()
    site_files = _read_site_files(folder)
    env = _environment(site_url)
    config = yaml.safe_load(site_files.get("_config.yml", "")) or {}
    layout_map: dict[str, tuple[dict[str, Any], str]] = {}
    for rel, text in site_files.items():
        if rel.startswith("_layouts/"):
            data, content, _node = _split_front_matter(text)
            layout_map[Path(rel).stem] = (data or {}, content)

    skipped: dict[str, str] = {}
    posts_list: list[Post] = []
    for path in _post_sources(posts):
        result = read_post(path, naive_dates)
        if isinstance(result, str):
            skipped[path.name] = result
            continue
        try:  # posts go through Liquid too; a template error fails a real Jekyll build
            result.template = env.from_string(result.source_text)
        except LiquidError as exc:
            skipped[path.name] = f"Liquid error (a Jekyll build fails on it): {exc}"
            continue
        posts_list.append(result)
    posts_list.sort(key=lambda p: (p.date, p.source.name))  # Jekyll: date, then path

    tags: dict[str, list[dict[str, Any]]] = {}
    categories: dict[str, list[dict[str, Any]]] = {}
    liquid_posts = [p.liquid() for p in posts_list]
    for post, data in zip(posts_list, liquid_posts, strict=True):
        for tag in post.tags:
            tags.setdefault(tag, []).insert(0, data)  # newest first within a tag
        for cat in post.categories:
            categories.setdefault(cat, []).insert(0, data)
    latest = posts_list[-1].date if posts_list else datetime(1970, 1, 1, tzinfo=SITE_TZ)
    site: dict[str, Any] = {
        **config,
        "url": site_url,
        "baseurl": "",
        "time": latest,
        "posts": liquid_posts[::-1],
        "tags": tags,
        "categories": categories,
        "github": {},
    }
    files: dict[str, bytes] = {}

    # posts: Liquid, then markdown, then layouts (page.content is the converted body)
    for post, data in zip(posts_list, liquid_posts, strict=True):
        assert post.template is not None
        converted = markdownify(post.template.render(site=site, page=data))
        post.content = data["content"] = converted
        scope = {"site": site, "page": data}
        output = _place_in_layouts(env, layout_map, post.layout, converted, scope)
        files[post.path] = output.encode("utf-8")

    # pages: `page.content` is the unrendered source (Jekyll 3.9 snapshots it)
    for name in HOME_PAGES:
        if name not in site_files:
            continue
        data, content, _node = _split_front_matter(site_files[name])
        page = dict(data or {})
        permalink = str(page.get("permalink") or "/" + Path(name).stem + ".html")
        page.update(url=permalink, content=content, path=name)
        out = markdownify(_render_liquid(env, content, site=site, page=page))
        out = _place_in_layouts(
            env, layout_map, page.get("layout"), out, {"site": site, "page": page}
        )
        files[permalink + "index.html" if permalink.endswith("/") else permalink] = out.encode()

    for cat in categories:
        page = {
            "layout": "category",
            "title": cat.capitalize(),
            "category": cat,
            "url": _escape_path(f"/category/{cat}.html"),
            "content": "",
            "path": f"category/{cat}.html",
        }
        out = _place_in_layouts(env, layout_map, "category", "", {"site": site, "page": page})
        files[f"/category/{cat}.html"] = out.encode("utf-8")

    files["/feed.xml"] = _feed(site, config, posts_list[::-1][:feed_limit], site_url).encode()
    if robots_txt is not None:
        files["/robots.txt"] = robots_txt.encode("utf-8")
    by_category: dict[str, list[Post]] = {}
    for post in reversed(posts_list):
        for cat in post.categories:
            by_category.setdefault(cat, []).append(post)
    return RenderedSite(files, posts_list[::-1], skipped, folder, site_url, by_category)


def render_site(posts: Path | Iterable[Path], **options: Any) -> dict[str, bytes]:
    """``build_site(...).files``: path -> bytes."""
    return build_site(posts, **options).files


def _feed(site: dict[str, Any], config: dict[str, Any], posts: list[Post], site_url: str) -> str:
    """jekyll-feed's Atom feed: newest first, `posts_limit` entries."""
    e = xml_escape
    lang = str(config.get("lang") or "en-US")
    author = str(config.get("author") or "")
    updated = site["time"].isoformat()
    parts = [
        '<?xml version="1.0" encoding="utf-8"?>'
        f'<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="{e(lang)}">'
        '<generator uri="https://jekyllrb.com/" version="3.9.3">Jekyll</generator>'
        f'<link href="{e(site_url)}/feed.xml" rel="self" type="application/atom+xml" />'
        f'<link href="{e(site_url)}/" rel="alternate" type="text/html" hreflang="{e(lang)}" />'
        f"<updated>{updated}</updated><id>{e(site_url)}/feed.xml</id>"
        f'<title type="html">{e(str(config.get("title") or ""))}</title>'
        f"<author><name>{e(author)}</name></author>"
    ]
    for post in posts:
        link = site_url + post.url
        title = e(re.sub(r"\s+", " ", re.sub(r"<[^>]*>", "", post.title)).strip())
        terms = "".join(f'<category term="{e(c)}" />' for c in post.categories)
        terms += "".join(f'<category term="{e(t)}" />' for t in post.tags)
        parts.append(
            f'<entry xml:lang="{e(lang)}"><title type="html">{title}</title>'
            f'<link href="{e(link)}" rel="alternate" type="text/html" title="{e(title)}" />'
            f"<published>{post.date.isoformat()}</published>"
            f"<updated>{post.date.isoformat()}</updated>"
            f"<id>{e(site_url + post.id)}</id>"
            f'<content type="html" xml:base="{e(link)}">{e(post.content.strip())}</content>'
            f"<author><name>{e(author)}</name></author>{terms}</entry>"
        )
    parts.append("</feed>")
    return "".join(parts)
