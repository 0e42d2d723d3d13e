"""Registry of training themes, read from ``data/themes.toml``.

Adding a theme needs only a new ``[[theme]]`` entry in that file: the loader
maps every label and synonym of the entry to its slug, compared with
:func:`core.text.fold`.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from core import settings
from core.text import fold
from loaders._errors import ConfigurationError

_SLUG = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
_THEME_KEYS = frozenset({"slug", "label", "description", "synonyms"})
# Below this size a synonym is too common to be looked for inside a longer
# label ("ia" or "ai" would match "j'ai suivi...").
_MIN_CONTAINED_SYNONYM_LENGTH = 5


@dataclass(frozen=True)
class Theme:
    """A training theme that animators can be trained for.

    Attributes
    ----------
    slug
        Stable identifier, used by ``--theme`` and stored in the database.
    label
        Name shown to people.
    description
        One sentence shown to people.
    synonyms
        Other ways the theme is written in form exports.
    """

    slug: str
    label: str
    description: str
    synonyms: tuple[str, ...]

    def keys(self) -> tuple[str, ...]:
        """Return the folded texts that name this theme (slug, label, synonyms)."""
        return tuple(dict.fromkeys(fold(text) for text in (self.slug, self.label, *self.synonyms)))


@dataclass(frozen=True)
class ThemeRegistry:
    """The known themes, in the order of the registry file.

    Raises
    ------
    ConfigurationError
        When two themes share a slug, or a folded label or synonym.
    """

    themes: tuple[Theme, ...]
    _slug_by_key: dict[str, str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_slug_by_key", _index_keys(self.themes))

    def get(self, slug: str) -> Theme:
        """Return the theme of a slug.

        Raises
        ------
        ConfigurationError
            When the slug is unknown; the message lists the valid slugs.
        """
        for theme in self.themes:
            if theme.slug == slug:
                return theme
        raise ConfigurationError(
            f"Thématique inconnue : « {slug} ». Thématiques valides : {', '.join(self.slugs())}."
        )

    def match(self, label: str) -> str | None:
        """Return the slug named by a label, or ``None`` when no theme is named.

        The label is compared with :func:`fold` to the slugs, labels and
        synonyms; then, without its parenthesised remarks ("Café IA (CNNum)");
        then, a label that contains, as whole words, a long synonym of one
        theme and no key of another ("Formation Café IA") names that theme.

        Parameters
        ----------
        label
            One answer of a multiple-choice question.

        Returns
        -------
        str or None
            The slug, or ``None`` for an unknown or ambiguous label.
        """
        key = fold(label)
        if key in self._slug_by_key:
            return self._slug_by_key[key]
        without_remarks = fold(re.sub(r"\([^()]*\)", " ", label))
        if without_remarks in self._slug_by_key:
            return self._slug_by_key[without_remarks]
        return self._contained_slug(f" {key} ")

    def slugs(self) -> tuple[str, ...]:
        """Return the slugs, in registry order."""
        return tuple(theme.slug for theme in self.themes)

    def _contained_slug(self, padded_key: str) -> str | None:
        contained = {key: slug for key, slug in self._slug_by_key.items() if f" {key} " in padded_key}
        # Short keys cannot name a theme alone but still make a label ambiguous:
        # "IA et parentalité numérique" names two themes, not one.
        named = {slug for key, slug in contained.items() if len(key) >= _MIN_CONTAINED_SYNONYM_LENGTH}
        return named.pop() if len(named) == 1 and set(contained.values()) == named else None


def _index_keys(themes: tuple[Theme, ...]) -> dict[str, str]:
    slug_by_key: dict[str, str] = {}
    seen_slugs: set[str] = set()
    for theme in themes:
        if theme.slug in seen_slugs:
            raise ConfigurationError(f"La thématique « {theme.slug} » est définie deux fois.")
        seen_slugs.add(theme.slug)
        for key in theme.keys():
            other = slug_by_key.setdefault(key, theme.slug)
            if other != theme.slug:
                raise ConfigurationError(
                    f"Le libellé « {key} » désigne deux thématiques : « {other} » et « {theme.slug} »."
                )
    return slug_by_key


def load_themes(path: Path | None = None) -> ThemeRegistry:
    """Read and check the theme registry.

    Parameters
    ----------
    path
        A ``themes.toml`` file; by default ``themes.toml`` of :func:`data_dir`.

    Returns
    -------
    ThemeRegistry
        The themes, in file order.

    Raises
    ------
    ConfigurationError
        When the file is missing, is not TOML, or an entry is invalid.
    """
    path = path or settings.data_dir() / "themes.toml"
    document = _read_toml(path)
    entries = document.get("theme")
    if not isinstance(entries, list) or not entries:
        raise ConfigurationError(f"{path} : aucune entrée [[theme]] n'est définie.")
    return ThemeRegistry(tuple(_parse_theme(entry, path, number) for number, entry in enumerate(entries, 1)))


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as file:
            return tomllib.load(file)
    except FileNotFoundError:
        raise ConfigurationError(f"Fichier introuvable : {path}.") from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigurationError(f"{path} n'est pas un fichier TOML valide : {error}.") from None


def _parse_theme(entry: Any, path: Path, number: int) -> Theme:
    where = f"{path}, thématique n° {number}"
    if not isinstance(entry, dict):
        raise ConfigurationError(f"{where} : une entrée [[theme]] doit être une table.")
    unknown = sorted(set(entry) - _THEME_KEYS)
    if unknown:
        raise ConfigurationError(
            f"{where} : clé(s) inconnue(s) {', '.join(unknown)} ; clés possibles : {', '.join(sorted(_THEME_KEYS))}."
        )
    slug = _required_text(entry, "slug", where)
    if not _SLUG.match(slug):
        raise ConfigurationError(
            f"{where} : l'identifiant « {slug} » doit être en minuscules sans accents, "
            "avec des chiffres et des tirets (ex. « cafe-ia »)."
        )
    description = entry.get("description", "")
    synonyms = entry.get("synonyms", [])
    if not isinstance(description, str):
        raise ConfigurationError(f"{where} : « description » doit être un texte.")
    if not isinstance(synonyms, list) or not all(isinstance(synonym, str) and fold(synonym) for synonym in synonyms):
        raise ConfigurationError(f"{where} : « synonyms » doit être une liste de textes non vides.")
    return Theme(slug, _required_text(entry, "label", where), description.strip(), tuple(synonyms))


def _required_text(entry: dict[str, Any], key: str, where: str) -> str:
    value = entry.get(key)
    if not isinstance(value, str) or not value.strip():
        raise ConfigurationError(f"{where} : « {key} » est obligatoire et doit être un texte non vide.")
    return value.strip()
