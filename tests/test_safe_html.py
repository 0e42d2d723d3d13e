"""The one escaping helper keeps hostile text inert in HTML, template literals and Markdown."""

from __future__ import annotations

import html

import pytest
from hypothesis import given
from hypothesis import strategies as st

from views.safe_html import escape

HOSTILE = [
    "<script>alert(1)</script>", "<img src=x onerror=alert(1)>", "`${alert(1)}`", "\\`${alert(1)}\\`",
    "[clic](javascript:alert(1))", "![x](http://evil.example/a.png)", "**gras** _it_ ~~barré~~ | a | b |",
    "# titre\n## sous-titre", "$x^2$", "\"' onmouseover=alert(1) x='", "{{ 7 + 7 }} {% if x %}{# c #}",
    "https://pirate.example/connexion www.pirate.example contact@pirate.example",
]


@pytest.mark.parametrize("text", HOSTILE)
def test_no_special_character_survives(text):
    shown = escape(text)
    assert not set(shown) & set("<>\"'`$\\[]()!*_~|{}:.@\n")
    assert "#" not in shown.replace("&#", "")


@given(st.text())
def test_html_unescaping_gives_back_the_text_on_one_line(text):
    expected = text
    for line_break in "\r\n\v\f\x1c\x1d\x1e\x85\u2028\u2029":
        expected = expected.replace(line_break, " ")
    assert html.unescape(escape(text)) == expected
