"""The Streamlit app runs headless on a real store (streamlit.testing AppTest)."""

from __future__ import annotations

from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from loaders import store
from loaders.pipeline import LoadOptions, load_files

APP = str(Path(__file__).resolve().parent.parent / "app.py")
HOSTILE = "<script>alert(1)</script>`${x}`\\"


@pytest.fixture()
def filled_store(tmp_path, store_home, gazetteer):
    path = tmp_path / "demo-export.csv"
    path.write_text(
        "Adresse e-mail;Nom de votre structure;Code postal;Commune;Thématiques;Formé(e) ?;Consentement\n"
        f"a@x.fr;{HOSTILE};34000;Montpellier;Café IA;Oui;Oui\n"
        "b@x.fr;Médiathèque;51200;Épernay;Café IA;Non;Non\n",
        encoding="utf-8",
    )
    engine = store.connect()
    store.save_import(engine, load_files([path], gazetteer, LoadOptions()), is_demo=True)
    st.cache_data.clear()
    st.cache_resource.clear()
    return engine


def test_map_page_shows_demo_banner_and_trained_animators(filled_store):
    app = AppTest.from_file(APP, default_timeout=60).run()
    assert not app.exception
    assert any("Données de démonstration" in w.value for w in app.warning)
    assert any("1 animateur" in c.value for c in app.caption)
    assert app.query_params["theme"] == ["cafe-ia"] or app.query_params["theme"] == "cafe-ia"


def test_status_filter_changes_the_list(filled_store):
    app = AppTest.from_file(APP, default_timeout=60).run()
    app.multiselect[0].set_value(["trained", "referenced"]).run()
    assert any("2 animateur" in c.value for c in app.caption)


def test_popups_escape_user_text():
    from views.safe_html import escape

    escaped = escape(HOSTILE)
    assert "<script>" not in escaped and "`" not in escaped and "${" not in escaped and "\\" not in escaped


def test_empty_store_explains_how_to_import(store_home):
    st.cache_data.clear()
    st.cache_resource.clear()
    app = AppTest.from_file(APP, default_timeout=60).run()
    assert not app.exception
    assert any("python -m loaders" in i.value for i in app.info)
