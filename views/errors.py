"""What a person sees when a page fails unexpectedly: a French message with a reference, never a traceback.

The reference is logged on the server with the traceback, so that an agent who quotes it lets the
team find what happened. The switch is Streamlit's own ``client.showErrorDetails``: production
(``.streamlit/config.toml``) sets ``"none"``; with ``"full"`` (a developer's
``streamlit run app.py --client.showErrorDetails=full``, and the tests) the error goes on to Streamlit,
which shows its exception and traceback.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable

import streamlit as st
from streamlit import config

LOGGER = logging.getLogger(__name__)
UNEXPECTED_ERROR = "Une erreur inattendue est survenue"
# Values of client.showErrorDetails under which Streamlit shows the whole error (True: its legacy spelling).
FULL_DETAILS = frozenset({"full", "true", "True", True})
REFERENCE_BYTES = 3  # six hexadecimal characters: short enough to read out on the phone


def run_guarded(run: Callable[[], None]) -> None:
    """Run a page; an unexpected exception becomes :func:`show_unexpected_error` unless details are on.

    Streamlit's own control flow (``st.stop``, ``st.rerun``, page switches) raises ``BaseException``
    subclasses, which pass through untouched.
    """
    try:
        run()
    except Exception:
        if config.get_option("client.showErrorDetails") in FULL_DETAILS:
            raise
        show_unexpected_error()


def show_unexpected_error() -> str:
    """Log the exception being handled with a new reference, show the French message; return the reference."""
    reference = new_reference()
    LOGGER.exception("Unexpected error shown to a visitor as reference %s", reference)
    st.error(f"{UNEXPECTED_ERROR}. Réessayez dans un instant ; si l'erreur persiste, signalez-la à l'équipe "
             f"en indiquant la référence **{reference}**.", icon=":material/warning:")
    return reference


def new_reference() -> str:
    """A short random reference such as ``E-3F9A1C``."""
    return f"E-{secrets.token_hex(REFERENCE_BYTES).upper()}"
