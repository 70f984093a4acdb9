"""What editors write never becomes script, an event handler, a javascript: link or an
image in a visitor's browser; ordinary Markdown still reads as intended."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chorus.guidance.markdown import MAX_LENGTH, render

HOSTILE = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    '<a href="javascript:alert(1)">click</a>',
    "[click](javascript:alert(1))",
    "[click](JaVaScRiPt:alert(1))",
    "[click](  javascript:alert(1))",
    "[click](java\tscript:alert(1))",
    "[click](<javascript:alert(1)>)",
    "[click](&#106;avascript:alert(1))",
    "[click](vbscript:msgbox(1))",
    "[click](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "[click][ref]\n\n[ref]: javascript:alert(1)",
    "<javascript:alert(1)>",
    "![x](https://tracker.example/pixel.png)",
    "![x](javascript:alert(1))",
    '[click](https://ok.example "x\\" onmouseover=\\"alert(1)")',
    "<iframe src=https://evil.example></iframe>",
    "<svg onload=alert(1)>",
    "<style>body{display:none}</style>",
    '<div style="background:url(javascript:alert(1))">x</div>',
    "<!-- <script>alert(1)</script> -->",
    "```html\n<script>alert(1)</script>\n```",
    "<form action=https://evil.example><input name=password></form>",
    '<a href="https://ok.example" target="_blank" onclick="steal()">x</a>',
]

MARKUP_PIECES = [
    "<", ">", "</", "script", "img", "a", "svg", "iframe", " ", "=", '"', "'", "on", "onerror", "onload",
    "onclick", "javascript", "JAVASCRIPT", ":", "&#", "x3a;", "&colon;", "\t", "\n", "[", "]", "(", ")", "!",
    "<", "href", "src", "alert(1)", "#", "*", "`", "-", "http://", "data:", "vbscript", "\\", "style",
]  # fmt: skip


FORBIDDEN = {"script", "iframe", "img", "svg", "style", "object", "embed", "form", "input", "math", "base", "link"}


class _Elements(HTMLParser):
    """The elements and attributes a browser would build from the HTML (not the text)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in FORBIDDEN:
            self.found.append(f"a <{tag}> element")
        for name, value in attrs:
            if name.startswith("on") or name in ("style", "target", "srcdoc", "formaction"):
                self.found.append(f"an {name} attribute" if name[0] in "aeiou" else f"a {name} attribute")
            if name in ("href", "src", "action") and value is not None:
                squeezed = re.sub(r"[\x00-\x20]", "", value).lower()
                if re.match(r"^(javascript|vbscript|data):", squeezed):
                    found_scheme = squeezed.split(":")[0]
                    self.found.append(f"a {found_scheme}: link")


def _dangerous(html: str) -> list[str]:
    elements = _Elements()
    elements.feed(html)
    elements.close()
    return elements.found


@pytest.mark.parametrize("text", HOSTILE)
def test_it_neutralizes_hostile_markdown(text: str) -> None:
    html = str(render(text))
    assert _dangerous(html) == [], (text, html)


def test_it_opens_links_normally() -> None:
    html = str(render("[x](https://ok.example)"))
    assert "target" not in html and "<a " in html


def test_it_shows_typed_html_as_text() -> None:
    assert str(render("<script>alert(1)</script>")) == "<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>\n"


def test_it_keeps_ordinary_markdown() -> None:
    html = str(render("# Listen\n\nSay **I believe you**.\n\n- one\n- two\n\n[Helpline](https://help.example/)"))
    assert "<h2>Listen</h2>" in html  # the page's title is its only h1
    assert "<strong>I believe you</strong>" in html
    assert "<li>one</li>" in html
    assert '<a href="https://help.example/" rel="noopener noreferrer">Helpline</a>' in html


def test_it_keeps_phone_email_and_relative_links() -> None:
    html = str(render("[call](tel:+34600000000) [write](mailto:help@example.org) [report](/report/riverside/)"))
    assert 'href="tel:+34600000000"' in html
    assert 'href="mailto:help@example.org"' in html
    assert 'href="/report/riverside/"' in html


def test_it_shows_an_image_as_its_description_only() -> None:
    html = str(render("![A map of the office](https://tracker.example/pixel.png)"))
    assert html == "<p>A map of the office</p>\n"


def test_it_renders_no_more_than_the_longest_page() -> None:
    html = str(render("a" * (MAX_LENGTH + 500)))
    assert html.count("a") == MAX_LENGTH


@settings(max_examples=300, deadline=None, derandomize=True)
@given(st.lists(st.sampled_from(MARKUP_PIECES) | st.text(max_size=5), max_size=60).map("".join))
def test_no_generated_text_becomes_script_a_handler_or_a_javascript_link(text: str) -> None:
    html = str(render(text))
    assert _dangerous(html) == [], (text, html)


@settings(max_examples=200, deadline=None, derandomize=True)
@given(st.text(max_size=400))
def test_no_arbitrary_text_becomes_script_a_handler_or_a_javascript_link(text: str) -> None:
    html = str(render(text))
    assert _dangerous(html) == [], (text, html)


def test_the_check_finds_what_it_looks_for_in_unsanitized_html() -> None:
    found = _dangerous('<p><a href=" Java\tScript:x" onclick="y">x</a><img src="data:x"><script></script></p>')
    assert found == [
        "a javascript: link",
        "an onclick attribute",
        "a <img> element",
        "a data: link",
        "a <script> element",
    ]
