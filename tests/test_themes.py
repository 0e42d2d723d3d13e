"""Tests of the theme registry read from themes.toml."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.settings import data_dir
from loaders._errors import ConfigurationError
from loaders.themes import Theme, ThemeRegistry, load_themes

FOURTH_THEME = """
[[theme]]
slug = "demarches-en-ligne"
label = "Démarches en ligne"
description = "Accompagner les démarches administratives en ligne."
synonyms = ["démarches administratives", "e-administration"]
"""


@pytest.fixture(scope="module")
def registry() -> ThemeRegistry:
    return load_themes()


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_repository_registry_lists_the_three_themes_in_file_order(registry: ThemeRegistry) -> None:
    assert registry.slugs() == ("cafe-ia", "parentalite-numerique", "cyber-malveillance")
    assert registry.get("cafe-ia").label == "Café IA"
    assert registry.get("cyber-malveillance").description


@pytest.mark.parametrize(
    ("label", "slug"),
    [
        ("Café IA", "cafe-ia"),
        ("CAFE IA", "cafe-ia"),
        ("cafe-ia", "cafe-ia"),
        ("Cafés IA", "cafe-ia"),
        ("Café de l’IA", "cafe-ia"),
        ("Intelligence artificielle", "cafe-ia"),
        ("IA", "cafe-ia"),
        ("Parentalité numérique", "parentalite-numerique"),
        ("parentalite_numerique", "parentalite-numerique"),
        ("Numérique et parentalité", "parentalite-numerique"),
        ("Cyber-malveillance", "cyber-malveillance"),
        ("Cybermalveillance", "cyber-malveillance"),
        ("MalletteCyber", "cyber-malveillance"),
        ("  cybersécurité ", "cyber-malveillance"),
        # Parenthesised remarks are ignored.
        ("Café IA (CNNum, ANCT)", "cafe-ia"),
        # A long synonym inside a longer label names its theme.
        ("Formation Café IA", "cafe-ia"),
        ("Parentalité et usages des écrans", "parentalite-numerique"),
    ],
)
def test_match_finds_the_slug_of_labels_synonyms_and_slugs(registry: ThemeRegistry, label: str, slug: str) -> None:
    assert registry.match(label) == slug


@pytest.mark.parametrize(
    "label",
    [
        "",
        "Autre",
        "Inclusion numérique",
        # "ai" is a synonym but too short to be looked for inside a label.
        "J'ai suivi une formation",
        # Two themes in one label: ambiguous.
        "IA et parentalité numérique",
    ],
)
def test_match_returns_none_for_unknown_or_ambiguous_labels(registry: ThemeRegistry, label: str) -> None:
    assert registry.match(label) is None


def test_get_unknown_slug_lists_valid_slugs(registry: ThemeRegistry) -> None:
    with pytest.raises(ConfigurationError, match="inconnue.*cafe-ia, parentalite-numerique, cyber-malveillance"):
        registry.get("cafe_ia")


def test_a_fourth_theme_needs_only_a_new_entry(tmp_path: Path, repo_root: Path) -> None:
    original = (repo_root / "data" / "themes.toml").read_text(encoding="utf-8")
    registry = load_themes(write(tmp_path / "themes.toml", original + FOURTH_THEME))
    assert registry.slugs()[-1] == "demarches-en-ligne"
    assert registry.get("demarches-en-ligne") == Theme(
        "demarches-en-ligne",
        "Démarches en ligne",
        "Accompagner les démarches administratives en ligne.",
        ("démarches administratives", "e-administration"),
    )
    assert registry.match("Démarches en ligne") == "demarches-en-ligne"
    assert registry.match("E-administration") == "demarches-en-ligne"
    assert registry.match("Café IA") == "cafe-ia"


def test_default_file_follows_the_data_directory_variable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path / "themes.toml", FOURTH_THEME)
    monkeypatch.setenv("CARTE_DATA_DIR", str(tmp_path))
    assert data_dir() == tmp_path
    assert load_themes().slugs() == ("demarches-en-ligne",)


def test_data_directory_defaults_to_the_repository(repo_root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CARTE_DATA_DIR", raising=False)
    assert data_dir() == repo_root / "data"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "aucune entrée"),
        ("theme = 3", "aucune entrée"),
        ("[[theme]]\nlabel = 'Sans slug'", "« slug » est obligatoire"),
        ("[[theme]]\nslug = 'Café IA'\nlabel = 'Café IA'", "minuscules"),
        ("[[theme]]\nslug = 'cafe--ia'\nlabel = 'Café IA'", "minuscules"),
        ("[[theme]]\nslug = 'cafe-ia'", "« label » est obligatoire"),
        ("[[theme]]\nslug = 'cafe-ia'\nlabel = '  '", "« label » est obligatoire"),
        ("[[theme]]\nslug = 'a'\nlabel = 'A'\nsynonymes = ['b']", "clé\\(s\\) inconnue\\(s\\) synonymes"),
        ("[[theme]]\nslug = 'a'\nlabel = 'A'\nsynonyms = 'b'", "liste de textes"),
        ("[[theme]]\nslug = 'a'\nlabel = 'A'\nsynonyms = ['...']", "liste de textes non vides"),
        ("[[theme]]\nslug = 'a'\nlabel = 'A'\n[[theme]]\nslug = 'a'\nlabel = 'B'", "définie deux fois"),
        ("[[theme]]\nslug = 'a'\nlabel = 'A'\n[[theme]]\nslug = 'b'\nlabel = 'B'\nsynonyms = ['a']", "deux thématiques"),
        ("[[theme]\nslug = 'a'", "pas un fichier TOML valide"),
    ],
)
def test_invalid_registry_is_a_configuration_error(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(ConfigurationError, match=message):
        load_themes(write(tmp_path / "themes.toml", text))


def test_missing_registry_is_a_configuration_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="introuvable"):
        load_themes(tmp_path / "absent.toml")
