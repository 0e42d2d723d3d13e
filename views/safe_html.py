"""The one escaping helper for user-supplied text shown by the app.

The same text reaches several contexts: HTML (popups, tooltips, result lists), folium's
JavaScript template literals, folium's Jinja templates (branca compiles a map's rendered script,
data included, as a template once more), and Streamlit Markdown (messages, captions). :func:`escape`
makes it inert in all of them at once by writing every character that is special in any
of them as a numeric character reference, which each context shows as the character:

* HTML specials ``& < > " '``;
* template-literal specials: backtick, ``$`` (``${`` opens an interpolation), backslash;
* Jinja delimiters ``{`` ``}``: ``{{``, ``{%`` and ``{#`` in map data would be run on the server;
* Markdown syntax: links and images ``[ ] ( ) !``, emphasis ``* _ ~``, tables ``|``,
  headings ``#``, and ``$`` (math);
* what Markdown turns into a link by itself (``https://…``, ``www.…``, an e-mail address):
  ``:`` ``.`` ``@``, so that a crafted search or file name never shows a clickable outside link;
* line breaks become spaces, so a value cannot start a Markdown block.
"""

from __future__ import annotations

_SPECIALS = "&<>\"'`$\\[]()!*_~|#{}:.@"
_LINE_BREAKS = "\r\n\v\f\x1c\x1d\x1e\x85\u2028\u2029"
_INERT = str.maketrans({**{char: f"&#{ord(char)};" for char in _SPECIALS}, **dict.fromkeys(_LINE_BREAKS, " ")})


def escape(value: object) -> str:
    """Make any value inert text for HTML, JavaScript template literals and Markdown (``None`` → ``""``).

    Examples
    --------
    >>> escape("<img src=x onerror=alert(1)>")
    '&#60;img src=x onerror=alert&#40;1&#41;&#62;'
    >>> escape("`${x}` [a](javascript:b)")
    '&#96;&#36;&#123;x&#125;&#96; &#91;a&#93;&#40;javascript&#58;b&#41;'
    >>> escape("www.exemple.fr")
    'www&#46;exemple&#46;fr'
    """
    if value is None:
        return ""
    return str(value).translate(_INERT)
