"""Markdown as editors write it, made into HTML a visitor's browser can be given.

Two layers, so one mistake is not enough: markdown-it-py renders CommonMark with raw HTML
switched off (``<script>`` typed into a page is shown as text) and refuses dangerous link
schemes; nh3 (Ammonia) then keeps only an allow-list of tags and attributes and links whose
scheme is http, https, mailto or tel. An image is shown as its description only: the content security
policy would block one from elsewhere, and a picture is not what guidance needs.
A ``#`` heading is shown as ``<h2>``, so the page's own title stays its only ``<h1>``.
"""

from __future__ import annotations

from typing import Any

import nh3
from markdown_it import MarkdownIt
from markupsafe import Markup

MAX_LENGTH = 20_000

TAGS = {
    "p", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "li", "strong", "em", "a", "blockquote", "code", "pre",
    "hr", "br",
}  # fmt: skip
ATTRIBUTES = {"a": {"href", "title"}, "ol": {"start"}}
URL_SCHEMES = {"http", "https", "mailto", "tel"}


def _parser() -> MarkdownIt:
    return MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})


_PARSER = _parser()


def _adjust(tokens: list[Any]) -> None:
    """A first-level heading becomes a second-level one; an image becomes its description, as plain text."""
    for token in tokens:
        if token.type in ("heading_open", "heading_close"):
            token.tag = f"h{max(int(token.tag[1]), 2)}"
        for child in token.children or ():
            if child.type == "image":
                child.type, child.tag, child.attrs, child.children = "text", "", {}, None


def render(text: str) -> Markup:
    """Safe HTML for ``text`` (Markdown)."""
    env: dict[str, Any] = {}
    tokens = _PARSER.parse(text[:MAX_LENGTH], env)
    _adjust(tokens)
    html = _PARSER.renderer.render(tokens, _PARSER.options, env)
    cleaned = nh3.clean(
        html,
        tags=TAGS,
        attributes=ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        strip_comments=True,
        link_rel="noopener noreferrer",
    )
    return Markup(cleaned)  # noqa: S704 (sanitized by nh3 just above)
