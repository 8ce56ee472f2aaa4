"""finews post sources: markdown with YAML front matter (`_posts/*.md` of the Jekyll mirror).

Two variants share the layout: outlet posts (Eastmoney body HTML) and `emnews` posts (a
`> ` digest line, then HTML or plain text). After the body come the source link in angle
brackets and the mirror's back links, which are furniture.
"""

from __future__ import annotations

import re
from typing import Any

import yaml

from finews_spider.model import PageContext, ParsedPage, Rejected
from finews_spider.parsing.text import info_code_from_url, one_line, outlet_from_tags
from finews_spider.site import web_url

_SOURCE_LINK = re.compile(r"^<((?:https?:)?//[^\s<>]*|)>$")
_BACK_LINK = re.compile(r"^\s*\[返回[^\]]*\]\([^)]*\)")
_MAX_FRONT_MATTER = 20_000
#: Collections nested deeper than this are refused before PyYAML's recursive composer sees
#: them (it recurses once per level and is slow on deep input).
_MAX_FRONT_MATTER_DEPTH = 16


class _StrictLoader(yaml.BaseLoader):
    """BaseLoader keeps every scalar a string (`date` stays text, never a guessed datetime).
    Anchors, aliases, explicit tags and duplicate keys are refused: a post's front matter
    has no use for them, and each is a way to smuggle or hide a value."""


def _construct_mapping(loader: _StrictLoader, node: yaml.MappingNode) -> dict[str, Any]:
    seen: dict[str, Any] = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node)
        if not isinstance(key, str):
            raise yaml.constructor.ConstructorError(
                None, None, "non-string key", key_node.start_mark
            )
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key!r}", key_node.start_mark
            )
        seen[key] = loader.construct_object(value_node, deep=True)
    return seen


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def _fast_front_matter(text: str) -> dict[str, Any] | None:
    """The front matter read by libyaml (PyYAML's C parser, much faster than its
    pure-Python one), or None whenever
    anything is unusual: a YAML error, anchors, aliases, tags, deep nesting, several
    documents, a key that is not a plain string, a duplicate key, not a mapping. Then the
    pure-Python path below decides and words the rejection.

    Only the events are libyaml's: the values are built here as the strict loader builds
    them (every scalar a string, mappings as dicts, sequences as lists)."""
    if _CParser is None or _NOT_FAST.search(text):
        return None
    try:
        parser = _CParser(text)
        try:
            events = []
            while parser.check_event():
                events.append(parser.get_event())
        finally:
            parser.dispose()
    except Exception:  # YAMLError, or a lone surrogate libyaml cannot encode
        return None
    if [type(e) for e in events[:2]] != [yaml.StreamStartEvent, yaml.DocumentStartEvent]:
        return None
    if [type(e) for e in events[-2:]] != [yaml.DocumentEndEvent, yaml.StreamEndEvent]:
        return None
    stack: list[Any] = []  # open collections; a mapping's pending key rides along
    keys: list[str | None] = []
    result: Any = None
    for event in events[2:-2]:
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
            return None
        if getattr(event, "tag", None) is not None:
            return None
        if isinstance(event, yaml.ScalarEvent | yaml.CollectionStartEvent):
            if isinstance(event, yaml.ScalarEvent):
                value: Any = event.value
            else:
                if len(stack) >= _MAX_FRONT_MATTER_DEPTH:
                    return None
                value = {} if isinstance(event, yaml.MappingStartEvent) else []
            if not stack:
                if result is not None:
                    return None  # a second node in one document
                result = value
            elif isinstance(stack[-1], list):
                stack[-1].append(value)
            elif keys[-1] is None:  # this node is a key
                if not isinstance(value, str) or value in stack[-1]:
                    return None  # non-string or duplicate key: the slow path says which
                keys[-1] = value
            else:
                stack[-1][keys[-1]] = value
                keys[-1] = None
            if isinstance(event, yaml.CollectionStartEvent):
                stack.append(value)
                keys.append(None)
        elif isinstance(event, yaml.CollectionEndEvent):
            if not stack:
                return None
            stack.pop()
            keys.pop()
        else:
            return None  # another document, or an event this reader does not expect
    return result if isinstance(result, dict) and not stack else None


#: Where PyYAML and libyaml disagree (tests/test_batch.py fuzzes them against each other):
#: front matter holding a tab, a BOM, `?`, a flow collection or a block scalar indicator is
#: read by PyYAML alone.
_NOT_FAST = re.compile("[\t\ufeff?\\[\\]{}|>]")

try:
    from yaml.cyaml import CParser as _CParser
except ImportError:  # PyYAML built without libyaml: the pure-Python path only
    _CParser = None


def _load_front_matter(text: str) -> dict[str, Any]:
    if len(text) > _MAX_FRONT_MATTER:
        raise Rejected("parse", "front_matter_invalid", "front matter is over 20,000 characters")
    fast = _fast_front_matter(text)
    if fast is not None:
        return fast
    try:
        depth = 0
        for event in yaml.parse(text, Loader=_StrictLoader):
            if isinstance(event, yaml.CollectionStartEvent):
                depth += 1
                if depth > _MAX_FRONT_MATTER_DEPTH:
                    raise Rejected(
                        "parse",
                        "front_matter_invalid",
                        f"front matter nested over {_MAX_FRONT_MATTER_DEPTH} levels deep",
                    )
            elif isinstance(event, yaml.CollectionEndEvent):
                depth -= 1
            if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
                raise Rejected(
                    "parse", "front_matter_invalid", "YAML anchors/aliases are not allowed"
                )
            tag = getattr(event, "tag", None)
            if tag is not None:  # only explicit tags (`!!python/…`, `!!binary`) set one
                raise Rejected("parse", "front_matter_invalid", f"explicit YAML tag {tag!r}")
        data = yaml.load(text, Loader=_StrictLoader)
    except yaml.YAMLError as exc:
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise Rejected("parse", "front_matter_invalid", f"YAML error: {problem}") from None
    if not isinstance(data, dict):
        raise Rejected("parse", "front_matter_invalid", "front matter is not a mapping")
    return data


def _scalar(data: dict[str, Any], key: str) -> str | None:
    value = data.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise Rejected(
            "parse", "front_matter_invalid", f"`{key}` is a {type(value).__name__}, not text"
        )
    return value


def _words(data: dict[str, Any], key: str) -> list[str]:
    value = data.get(key)
    if value is None:
        return []
    # one_line drops control characters and lone surrogates (`"\ud800"` in a quoted YAML
    # string), which the export and BSON cannot encode.
    if isinstance(value, str):
        return [w for w in map(one_line, value.split()) if w]
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return [w for w in map(one_line, value) if w]
    raise Rejected("parse", "front_matter_invalid", f"`{key}` is neither text nor a list of text")


def split_front_matter(text: str) -> tuple[str, str, list[str]]:
    """Return (front matter, body, repairs). Raises Rejected when there is none."""
    repairs: list[str] = []
    text = text.lstrip("\ufeff").replace("\r\n", "\n")
    stripped = text.lstrip(" \t\n")
    if stripped is not text and stripped.startswith("---") and text[: len(text) - len(stripped)]:
        # Real mirror defect: a blank line before the opening `---`. Jekyll would then
        # publish the YAML as text; the fields are intact, so read them and say so.
        repairs.append("front_matter_after_blank_line")
    if not stripped.startswith("---\n"):
        raise Rejected("parse", "front_matter_missing", "the file does not open with `---`")
    end = stripped.find("\n---", 3)
    while end != -1 and stripped[end + 4 : end + 5] not in ("\n", ""):
        end = stripped.find("\n---", end + 4)
    if end == -1:
        raise Rejected("parse", "front_matter_unclosed", "no closing `---` after the front matter")
    return stripped[4 : end + 1], stripped[end + 4 :].lstrip("\n"), repairs


def _body_to_html(lines: list[str]) -> str:
    """Blocks separated by blank lines: HTML blocks pass through, text blocks become <p>.

    As in markdown, inline HTML inside a text block stays markup (it is sanitised later)."""
    blocks: list[str] = []
    current: list[str] = []
    for line in [*lines, ""]:
        if line.strip():
            current.append(line)
            continue
        if current:
            block = "\n".join(current).strip()
            if block.startswith("<"):
                blocks.append(block)
            else:
                blocks.append(f"<p>{' '.join(s.strip() for s in current)}</p>")
            current = []
    return "\n".join(blocks)


def parse_finews_source(url: str, text: str, context: PageContext) -> ParsedPage:
    front, body, repairs = split_front_matter(text)
    data = _load_front_matter(front)
    title = one_line(_scalar(data, "title"))
    date_raw = _scalar(data, "date") or ""
    categories = _words(data, "categories") or _words(data, "category")
    tags = _words(data, "tags")

    summary_lines: list[str] = []
    body_lines: list[str] = []
    source_url: str | None = None
    for line in body.split("\n"):
        stripped = line.strip()
        link = _SOURCE_LINK.match(stripped)
        if link:
            target = link.group(1)
            if target and web_url(("http:" + target) if target.startswith("//") else target):
                source_url = target
            elif target:
                # `<http://host:alert(1)/…>` is no URL: not a source.
                repairs.append("invalid_source_link")
            else:
                repairs.append("empty_source_link")
            continue
        if _BACK_LINK.match(stripped):
            continue
        if stripped.startswith(">") and not body_lines and not stripped.startswith(">>"):
            summary_lines.append(stripped.lstrip(">").strip())
            continue
        body_lines.append(line)

    return ParsedPage(
        url=url,
        kind="finews_source",
        title=title,
        date_raw=date_raw,
        body_html=_body_to_html(body_lines),
        context=context,
        summary=one_line(" ".join(summary_lines)) or None,
        category=categories[0] if categories else None,
        tags=tags,
        outlet_tag=outlet_from_tags(tags),
        source_url=source_url,
        info_code=info_code_from_url(source_url),
        id_hints=[h for h in (context.file_name, source_url, url) if h],
        repairs=repairs,
    )
