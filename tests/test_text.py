"""Tests of the text normaliser shared by headers, themes, answers and communes."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.text import fold


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Adresse e-mail", "adresse e mail"),
        ("  ADRESSE  E‑MAIL ", "adresse e mail"),
        ("adresse_email", "adresse email"),
        ("Êtes-vous conseiller numérique ?", "etes vous conseiller numerique"),
        ("L’Haÿ-les-Roses", "l hay les roses"),
        ("L'Haÿ-les-Roses", "l hay les roses"),
        ("Saint-Étienne", "saint etienne"),
        ("SAINT ETIENNE", "saint etienne"),
        ("Cœur", "coeur"),
        ("ŒUVRE", "oeuvre"),
        ("Lætitia", "laetitia"),
        ("Straße", "strasse"),
        ("formé·e", "forme e"),
        ("Formé(e)", "forme e"),
        ("Thématique(s)", "thematique s"),
        ("c__edit_datemaj", "c edit datemaj"),
        ("Tél.", "tel"),
        ("N° de téléphone", "n de telephone"),
        ("Oui\u00a0!", "oui"),
        ("mai\u202f2025", "mai 2025"),
        ("ligne 1\nligne 2\tfin", "ligne 1 ligne 2 fin"),
        ("e\u0301te\u0301", "ete"),  # already decomposed accents
        ("ﬁn", "fin"),  # compatibility ligature
        ("Château-d'Œx", "chateau d oex"),
        ("...", ""),
        ("", ""),
    ],
)
def test_fold(text: str, expected: str) -> None:
    assert fold(text) == expected


@given(st.text())
def test_fold_keys_are_lowercase_words_separated_by_single_spaces(text: str) -> None:
    key = fold(text)
    assert key == key.strip()
    assert "  " not in key
    assert all(word.isalnum() for word in key.split(" ") if key)


@given(st.text())
def test_fold_is_idempotent(text: str) -> None:
    assert fold(fold(text)) == fold(text)


FRENCH_LETTERS = "abcdefghijklmnopqrstuvwxyzàâäçéèêëîïôöùûüÿœæ"


@given(st.text(alphabet=FRENCH_LETTERS + FRENCH_LETTERS.upper() + "0123456789 '’-_.,;:!?()/\u00a0\u202f\n"))
def test_fold_of_french_text_is_ascii(text: str) -> None:
    assert fold(text).isascii()
