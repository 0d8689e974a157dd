"""Safe rendering of model text: Markdown without HTML, and numbers.

Replies, user messages and rationales are untrusted text. Markdown renders
with raw HTML disabled (``<script>`` becomes text), links limited to
``http(s)``/``mailto`` (markdown-it's link validation already refuses
``javascript:``, ``vbscript:``, ``file:`` and ``data:``; this narrows it further),
and images off (nothing is fetched from outside). Very long texts are shown
as preformatted text: escaping is linear, a Markdown parse of a megabyte is not.
"""

from __future__ import annotations

import html
from functools import lru_cache
from typing import Any

from markdown_it import MarkdownIt
from markupsafe import Markup

__all__ = ["MARKDOWN_LIMIT", "fmt_score", "markdown"]

MARKDOWN_LIMIT = 100_000
"""Texts longer than this (characters) are shown as plain preformatted text."""

_SAFE_SCHEMES = ("http://", "https://", "mailto:")


@lru_cache(maxsize=1)
def _parser() -> MarkdownIt:
    parser = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
    parser.enable("table")
    parser.disable("image")
    base = parser.validateLink

    def validate(url: str) -> bool:
        lowered = url.strip().lower()
        # No scheme before the first slash: a relative link, which stays in the viewer.
        relative = ":" not in lowered.split("/", 1)[0]
        return bool(base(url)) and (lowered.startswith(_SAFE_SCHEMES) or relative)

    parser.validateLink = validate  # type: ignore[method-assign]

    def render_link(renderer: Any, tokens: Any, idx: int, options: Any, env: Any) -> str:
        # Links in replies leave the viewer: no referrer, no opener, never followed as ours.
        tokens[idx].attrSet("rel", "noopener noreferrer nofollow")
        tokens[idx].attrSet("target", "_blank")
        return str(renderer.renderToken(tokens, idx, options, env))

    parser.add_render_rule("link_open", render_link)
    return parser


def markdown(text: str | None) -> Markup:
    """Render untrusted text as safe HTML (Markdown, no raw HTML, no images)."""
    if not text:
        return Markup("")
    if len(text) > MARKDOWN_LIMIT:
        return Markup('<pre class="plain">') + Markup(html.escape(text)) + Markup("</pre>")
    return Markup(_parser().render(text))


def fmt_score(value: float | None, signed: bool = False) -> str:
    """A score with two decimals (— when absent), as ``mteval show`` prints it."""
    if value is None:
        return "—"
    return f"{value:+.2f}" if signed else f"{value:.2f}"
