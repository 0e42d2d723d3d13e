"""The one escaping helper for user-supplied text that reaches HTML.

folium writes popup and tooltip HTML inside JavaScript template literals, so
on top of the HTML specials we neutralise backticks, ``$`` (``${`` opens an
interpolation) and backslashes.
"""

from __future__ import annotations

import html

_TEMPLATE_LITERAL = str.maketrans({"`": "&#96;", "$": "&#36;", "\\": "&#92;"})


def escape(value: object) -> str:
    """Escape any value for HTML text or attribute context (``None`` → ``""``)."""
    if value is None:
        return ""
    return html.escape(str(value), quote=True).translate(_TEMPLATE_LITERAL)
