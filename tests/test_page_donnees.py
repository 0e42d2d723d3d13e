"""« Données personnelles »: the public page says what is stored, why, for how long (the configured retention)."""

from __future__ import annotations

from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parent.parent / "app.py")


@pytest.fixture()
def page(store_home, monkeypatch) -> AppTest:
    monkeypatch.setenv("CARTE_TILES_URL", "")
    monkeypatch.setenv("CARTE_RETENTION_MONTHS", "18")
    st.cache_data.clear()
    st.cache_resource.clear()
    app = AppTest.from_file(APP, default_timeout=120).run()
    return app.switch_page("views/donnees.py").run()


def text_of(app: AppTest) -> str:
    return "\n".join(markdown.value for markdown in app.markdown)


def test_the_page_states_what_is_stored_and_the_configured_retention(page):
    assert not page.exception and not page.error
    assert [title.value for title in page.title] == ["Données personnelles"]
    text = text_of(page)
    assert "| Donnée | Pourquoi | Combien de temps | Qui la voit |" in text
    assert "**Durée de conservation : 18 mois.**" in text and "depuis 18 mois" in text
    assert "24 mois" not in text
    for promise in ("Retirer votre accord", "Demander l'effacement", "ne sont pas conservés après l'import",
                    "journal des accès", "12 mois", "Base légale"):
        assert promise in text, promise


def test_an_invalid_retention_setting_is_explained(page, monkeypatch):
    monkeypatch.setenv("CARTE_RETENTION_MONTHS", "deux ans")
    page.run()
    assert not page.exception
    assert ["CARTE_RETENTION_MONTHS" in error.value for error in page.error] == [True]



def test_without_settings_the_page_names_a_placeholder_controller_and_says_both_must_be_set(page, monkeypatch):
    monkeypatch.delenv("CARTE_CONTROLLER_NAME", raising=False)
    monkeypatch.delenv("CARTE_PRIVACY_CONTACT", raising=False)
    page.run()
    assert not page.exception
    text = text_of(page)
    assert "Responsable de traitement" in text and "à renseigner" in text
    assert "Écrire à" in text
    warnings = [warning.value for warning in page.warning]
    assert len(warnings) == 1
    assert "CARTE_CONTROLLER_NAME" in warnings[0] and "CARTE_PRIVACY_CONTACT" in warnings[0]


def test_the_configured_controller_and_contact_address_are_shown(page, monkeypatch):
    monkeypatch.setenv("CARTE_CONTROLLER_NAME", "Agence nationale de la cohésion des territoires")
    monkeypatch.setenv("CARTE_PRIVACY_CONTACT", "rgpd@anct.gouv.fr")
    page.run()
    assert not page.exception and not page.warning
    text = text_of(page)
    assert "Responsable de traitement : **Agence nationale de la cohésion des territoires**" in text
    assert "[rgpd@anct.gouv.fr](mailto:rgpd@anct.gouv.fr)" in text
    assert "à renseigner" not in text


def test_a_contact_that_is_not_an_email_address_is_shown_as_inert_text(page, monkeypatch):
    monkeypatch.setenv("CARTE_CONTROLLER_NAME", "Préfecture [clic](javascript:alert(1))")
    monkeypatch.setenv("CARTE_PRIVACY_CONTACT", "DPO, 20 avenue de Ségur, 75007 Paris")
    page.run()
    assert not page.exception
    text = text_of(page)
    assert "](javascript" not in text and "mailto:" not in text
    assert "20 avenue de Ségur, 75007 Paris" in text
