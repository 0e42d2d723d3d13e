"""Widgets whose values live in the URL, so that every view can be shared by copying its link.

Streamlit's own ``bind="query-params"`` writes a choice's *label* into the URL; the links of
this app carry stable codes instead (``?theme=cafe-ia&statut=trained``), which stay valid
when a label is reworded. Each helper seeds its widget from the URL on the first run,
then writes the value back, leaving defaults out of the URL to keep links short.

Widget keys are scoped to the page (:func:`widget_key`): the same URL parameter on two
pages (``theme``, ``statut``) must not hand one page's leftover widget state to the other.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx


def choice(label: str, options: Mapping[str, str], default: str, key: str, **widget) -> str:
    """A select box over ``options`` (code → label) whose code is the URL parameter ``key``."""
    codes = list(options)
    state = _seed(key, lambda: _valid(st.query_params.get(key), codes, default))
    # The options may change between runs (suggestions of a new search): drop a stale choice.
    st.session_state[state] = _valid(st.session_state[state], codes, default)
    value = st.selectbox(label, codes, format_func=options.get, key=state, **{"placeholder": "Choisir", **widget})
    _publish(key, value, default)
    return value


def choices(label: str, options: Mapping[str, str], default: Sequence[str], key: str, **widget) -> list[str]:
    """A multiselect over ``options`` whose codes are the repeated URL parameter ``key``."""
    codes = list(options)
    state = _seed(key, lambda: [c for c in st.query_params.get_all(key) if c in codes] or list(default))
    values = st.multiselect(label, codes, format_func=options.get, key=state, **{"placeholder": "Choisir", **widget})
    _publish_all(key, values, default)
    return values


def flag(label: str, key: str, **widget) -> bool:
    """A checkbox stored as ``key=1`` in the URL when ticked."""
    state = _seed(key, lambda: st.query_params.get(key) == "1")
    value = st.checkbox(label, key=state, **widget)
    _publish(key, "1" if value else "", "")
    return value


def number(label: str, key: str, minimum: int, maximum: int, default: int, **widget) -> int:
    """An integer slider stored in the URL (out-of-range or malformed values fall back to the default)."""
    state = _seed(key, lambda: _bounded_int(st.query_params.get(key), minimum, maximum, default))
    value = st.slider(label, minimum, maximum, key=state, **widget)
    _publish(key, str(value), str(default))
    return value


def text(label: str, key: str, **widget) -> str:
    """A text input stored in the URL."""
    state = _seed(key, lambda: st.query_params.get(key, ""))
    value = st.text_input(label, key=state, **widget)
    _publish(key, value.strip(), "")
    return value.strip()


def publish(key: str, value: str | None) -> None:
    """Set (or, with ``None`` or ``""``, remove) a URL parameter that no widget owns."""
    _publish(key, value or "", "")


def widget_key(key: str) -> str:
    """The session-state key of the widget bound to URL parameter ``key`` on the current page."""
    ctx = get_script_run_ctx()
    return f"{key}@{ctx.page_script_hash}" if ctx else key


def _seed(key: str, initial) -> str:
    state = widget_key(key)
    if state not in st.session_state:
        st.session_state[state] = initial()
    return state


def _publish(key: str, value: str, default: str) -> None:
    if value == default:
        if key in st.query_params:
            del st.query_params[key]
    elif st.query_params.get(key) != value:
        st.query_params[key] = value


def _publish_all(key: str, values: Sequence[str], default: Sequence[str]) -> None:
    if list(values) == list(default):
        if key in st.query_params:
            del st.query_params[key]
    elif st.query_params.get_all(key) != list(values):
        st.query_params[key] = list(values)


def _valid(value: str | None, codes: Sequence[str], default: str) -> str:
    return value if value in codes else default


def _bounded_int(value: str | None, minimum: int, maximum: int, default: int) -> int:
    try:
        number_ = int(value or "")
    except ValueError:
        return default
    return number_ if minimum <= number_ <= maximum else default
