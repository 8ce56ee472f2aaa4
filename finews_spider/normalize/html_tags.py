"""Tag tables for the body cleaner: which elements are blocks, containers, active content,
and which tags and attributes the sanitised HTML keeps."""

from __future__ import annotations

HEADINGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})

#: Elements that start and end a line of body_text.
BLOCK_TAGS = frozenset(
    {
        "p",
        "div",
        "li",
        "blockquote",
        "center",
        "tr",
        "ul",
        "ol",
        "dl",
        "dt",
        "dd",
        "table",
        "thead",
        "tbody",
        "tfoot",
        "caption",
        "section",
        "article",
        "header",
        "footer",
        "aside",
        "nav",
        "main",
        "figure",
        "figcaption",
        "pre",
        "address",
        "hr",
        "details",
        "summary",
        "fieldset",
        "legend",
        "hgroup",
        "body",
        "html",
    }
    | HEADINGS
)

#: Block elements that are not kept in body_html: their bare inline content is wrapped in <p>.
CONTAINER_TAGS = frozenset(
    {
        "div",
        "section",
        "article",
        "header",
        "footer",
        "aside",
        "nav",
        "main",
        "figure",
        "details",
        "fieldset",
        "hgroup",
        "body",
    }
)

#: Removed together with their content, in both outputs.
ACTIVE_CONTENT = frozenset(
    {
        "script",
        "style",
        "iframe",
        "frame",
        "frameset",
        "object",
        "embed",
        "applet",
        "form",
        "noscript",
        "template",
        "svg",
        "math",
        "head",
        "title",
        "meta",
        "link",
        "base",
        "canvas",
        "audio",
        "video",
        "select",
        "textarea",
        "button",
        "input",
    }
)

HTML_TAGS = frozenset(
    {
        "p",
        "br",
        "strong",
        "b",
        "em",
        "i",
        "u",
        "sub",
        "sup",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "ul",
        "ol",
        "li",
        "blockquote",
        "table",
        "thead",
        "tbody",
        "tr",
        "th",
        "td",
        "img",
        "a",
        "center",
    }
)
HTML_ATTRIBUTES = {"a": {"href"}, "img": {"src", "alt", "width", "height"}}
HTML_CLEAN_CONTENT = frozenset(
    {"script", "style", "iframe", "object", "embed", "form", "noscript", "template", "svg", "math"}
)
HTML_LINK_REL = "noopener noreferrer nofollow"
#: Source tags rendered under another allowed name in body_html.
HTML_RENAME = {
    "h1": "h2",
    "tfoot": "tbody",
    "figcaption": "p",
    "summary": "p",
    "legend": "p",
    "dt": "p",
    "dd": "p",
    "pre": "p",
    "address": "p",
}
#: Emitted tags dropped from body_html when nothing (no text, no image) is left in them.
DROP_IF_EMPTY = frozenset(HTML_TAGS - {"br", "img", "td", "th"})
