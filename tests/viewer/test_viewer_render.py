"""Untrusted text renders as safe HTML: Markdown without raw HTML, scripts or odd links."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest

from mteval.viewer.render import MARKDOWN_LIMIT, markdown


@pytest.mark.parametrize(
    "text",
    [
        "<script>alert(1)</script>",
        "</textarea><img src=x onerror=alert(1)>",
        "[x](javascript:alert(1))",
        "[x](JaVaScRiPt:alert(1))",
        "[x](vbscript:msgbox(1))",
        "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
        "![x](http://tracker.example/pixel.png)",
        '<a href="javascript:alert(1)">x</a>',
    ],
)
def test_nothing_active_comes_out(text):
    elements = Elements()
    elements.feed(str(markdown(text)))
    assert {tag for tag, _ in elements.found} <= {"p", "a"}
    for _tag, attrs in elements.found:
        assert not any(name.startswith("on") for name in attrs)
        assert attrs.get("href", "https://").startswith("https://") or attrs["href"].startswith(
            "http://"
        )


class Elements(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.found: list[tuple[str, dict[str, str]]] = []

    def handle_starttag(self, tag, attrs):
        self.found.append((tag, {k: v or "" for k, v in attrs}))


def test_markdown_still_renders_and_links_leave_safely():
    html = str(markdown("**bold** and [docs](https://example.com) and `code`"))
    assert "<strong>bold</strong>" in html and "<code>code</code>" in html
    assert 'href="https://example.com"' in html and 'rel="noopener noreferrer nofollow"' in html


def test_a_megabyte_is_escaped_text_not_parsed():
    text = "x" * MARKDOWN_LIMIT + "<script>y</script>"
    html = str(markdown(text))
    assert html.startswith('<pre class="plain">') and "&lt;script&gt;y&lt;/script&gt;" in html
