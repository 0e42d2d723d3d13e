"""The canonical fields, and what people say about the columns of an export: ``--column`` options and profiles.

A profile (``data/profiles/NAME.toml``) is a named, documented column mapping for one kind of
export; ``--column FIELD=HEADER`` forces one field. :func:`loaders.columns.map_columns` applies
both before its automatic detection.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rapidfuzz import fuzz, process

from core import settings
from loaders._errors import ConfigurationError
from loaders.themes import load_themes

CANONICAL_FIELDS: tuple[str, ...] = (
    "submission_id", "submitted_at", "email", "first_name", "last_name", "full_name", "phone",
    "structure", "structure_type", "address", "postcode", "city", "insee_code", "coordinates",
    "lat", "lon", "x", "y", "conum", "trained", "training_date", "training_body", "themes", "consent",
    "mobility",
)


@dataclass(frozen=True)
class Profile:
    """A named, documented column mapping for one kind of export.

    Attributes
    ----------
    name
        Name given to ``--profile``.
    description
        What export the profile is for, in French.
    columns
        Canonical field -> header; an empty header keeps the field unmapped.
    theme
        Slug of the theme every row of such an export was trained for, if any.
    """

    name: str
    description: str
    columns: dict[str, str]
    theme: str | None


# ------------------------------------------------------------ user's options


def check_fields(mapping: Mapping[str, str]) -> None:
    """Refuse a field that is not canonical, naming the closest one."""
    for field in mapping:
        if field not in CANONICAL_FIELDS:
            raise ConfigurationError(_unknown_field_message(field))


def _unknown_field_message(field: str) -> str:
    close = process.extractOne(field, CANONICAL_FIELDS, scorer=fuzz.ratio, score_cutoff=60)
    hint = f" Vouliez-vous dire « {close[0]} » ?" if close else ""
    return f"Champ inconnu : « {field} ».{hint} Champs possibles : {', '.join(CANONICAL_FIELDS)}."


def parse_column_options(options: Sequence[str]) -> dict[str, str]:
    """Read ``--column FIELD=HEADER`` options.

    Parameters
    ----------
    options
        Such as ``["email=Adresse mail", "lat=Y"]``. ``"email="`` keeps the
        field unmapped even if a column looks like it.

    Returns
    -------
    dict
        Canonical field -> header (stripped of surrounding spaces).

    Raises
    ------
    ConfigurationError
        On an option without ``=``, an unknown field or a field given twice;
        the message lists the valid fields.
    """
    mapping: dict[str, str] = {}
    for option in options:
        field, separator, header = option.partition("=")
        field = field.strip()
        if not separator or not field:
            raise ConfigurationError(
                f"Option --column invalide : « {option} ». Forme attendue : CHAMP=EN-TÊTE "
                f"(ex. « email=Adresse mail »). Champs possibles : {', '.join(CANONICAL_FIELDS)}."
            )
        if field not in CANONICAL_FIELDS:
            raise ConfigurationError(_unknown_field_message(field))
        if field in mapping:
            raise ConfigurationError(f"Le champ « {field} » est donné deux fois dans les options --column.")
        mapping[field] = header.strip()
    return mapping


# ------------------------------------------------------------------- profiles

_PROFILE_KEYS = frozenset({"name", "description", "theme", "columns"})


def profiles_dir() -> Path:
    """Return the folder of the named profiles."""
    return settings.data_dir() / "profiles"


def load_profile(name_or_path: str) -> Profile:
    """Read a profile by name (``data/profiles/NAME.toml``) or by path to a ``.toml`` file.

    Raises
    ------
    ConfigurationError
        When the profile does not exist or is invalid; for an unknown name the
        message lists the available profiles.
    """
    if name_or_path.endswith(".toml") or "/" in name_or_path or "\\" in name_or_path:
        return _read_profile(Path(name_or_path))
    path = profiles_dir() / f"{name_or_path}.toml"
    if not path.is_file():
        available = ", ".join(path.stem for path in _profile_paths()) or "aucun"
        raise ConfigurationError(f"Profil inconnu : « {name_or_path} ». Profils disponibles : {available}.")
    return _read_profile(path)


def list_profiles() -> list[Profile]:
    """Read all named profiles, sorted by file name."""
    return [_read_profile(path) for path in _profile_paths()]


def _profile_paths() -> Iterable[Path]:
    folder = profiles_dir()
    return sorted(folder.glob("*.toml")) if folder.is_dir() else []


def _read_profile(path: Path) -> Profile:
    try:
        with path.open("rb") as file:
            document = tomllib.load(file)
    except FileNotFoundError:
        raise ConfigurationError(f"Profil introuvable : {path}.") from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigurationError(f"Le profil {path} n'est pas un fichier TOML valide : {error}.") from None
    return _parse_profile(document, path)


def _parse_profile(document: dict[str, Any], path: Path) -> Profile:
    unknown = sorted(set(document) - _PROFILE_KEYS)
    if unknown:
        raise ConfigurationError(
            f"Profil {path} : clé(s) inconnue(s) {', '.join(unknown)} ; "
            f"clés possibles : {', '.join(sorted(_PROFILE_KEYS))}."
        )
    name, description, theme = document.get("name"), document.get("description", ""), document.get("theme")
    columns = document.get("columns", {})
    if not isinstance(name, str) or not name.strip():
        raise ConfigurationError(f"Profil {path} : « name » est obligatoire et doit être un texte non vide.")
    if not isinstance(description, str):
        raise ConfigurationError(f"Profil {path} : « description » doit être un texte.")
    if not isinstance(columns, dict) or not all(isinstance(header, str) for header in columns.values()):
        raise ConfigurationError(f"Profil {path} : [columns] doit associer des champs à des en-têtes (textes).")
    try:
        check_fields(columns)
        if theme is not None:
            theme = load_themes().get(str(theme)).slug
    except ConfigurationError as error:
        raise ConfigurationError(f"Profil {path} : {error}") from None
    return Profile(name.strip(), description.strip(), dict(columns), theme)
