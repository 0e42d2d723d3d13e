"""JSON exports: a list of objects (or an API envelope, or Grist records), one row per object."""

from __future__ import annotations

import json
import re

import pandas as pd

from loaders._errors import NotATableError, UnreadableFileError
from loaders.read.common import check_cells, check_width, decode
from loaders.safe_files import cell_text
from loaders.settings import ReadLimits

# JSON escapes that may hide a NUL or half of a surrogate pair, which no file or
# database can store (valid pairs, such as escaped emoji, match too).
_SUSPECT_JSON_ESCAPE = re.compile(r"\\u(?:0000|[dD][89a-fA-F][0-9a-fA-F]{2})")
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
# Deeper JSON documents are refused (export tools nest a handful of levels).
_MAX_JSON_DEPTH = 32


def json_table(data: bytes, source: str, limits: ReadLimits) -> tuple[list[str], pd.DataFrame]:
    """Header (union of the keys) and rows (numbered from 2) of a JSON list of objects."""
    text, _ = decode(data, source)
    records = [_flatten(record) for record in _json_records(_parse_json(text, source), source)]
    keys = list(dict.fromkeys(key for record in records for key in record))
    check_width(len(keys), source, limits)
    check_cells(len(records), len(keys), source, limits)
    body = pd.DataFrame(
        [[cell_text(record.get(key)) for key in keys] for record in records],
        index=pd.RangeIndex(2, len(records) + 2),
        columns=range(len(keys)),
        dtype=object,
    )
    # Only escapes can put these characters in decoded text: look for them only then.
    if _SUSPECT_JSON_ESCAPE.search(text):
        _check_storable(keys, body, source)
    return keys, body


def _parse_json(text: str, source: str) -> object:
    """The JSON document, refused if invalid or nested beyond `_MAX_JSON_DEPTH` levels."""
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise UnreadableFileError(
            f"Le fichier « {source} » n'est pas un JSON valide : erreur ligne {exc.lineno}, "
            f"colonne {exc.colno}. Exportez-le de nouveau depuis l'outil d'origine."
        ) from exc
    except (ValueError, RecursionError) as exc:
        # Integers of thousands of digits, or thousands of nested levels.
        raise _unusual_json_error(source) from exc
    if _too_deep(document):
        # Flattening and converting the cells recurse once per level.
        raise _unusual_json_error(source)
    return document


def _unusual_json_error(source: str) -> UnreadableFileError:
    return UnreadableFileError(
        f"Le fichier « {source} » contient un JSON hors normes (nombre trop long ou "
        "imbrication trop profonde). Exportez-le de nouveau depuis l'outil d'origine."
    )


def _too_deep(document: object) -> bool:
    """True if lists and objects nest more than `_MAX_JSON_DEPTH` levels deep."""
    level = [document]
    for _ in range(_MAX_JSON_DEPTH + 1):
        containers = [node for node in level if isinstance(node, (dict, list))]
        if not containers:
            return False
        level = [child for node in containers for child in (node.values() if isinstance(node, dict) else node)]
    return True


def _check_storable(keys: list[str], body: pd.DataFrame, source: str) -> None:
    """Refuse NUL characters and lone surrogates, which no file nor database can store."""
    if _UNSTORABLE.search("".join([*keys, *body.to_numpy().ravel().tolist()])):
        raise UnreadableFileError(
            f"Le fichier « {source} » contient un caractère nul (\\u0000) ou une moitié de "
            "caractère Unicode (\\uD800 à \\uDFFF, seule), que l'outil ne peut pas enregistrer. "
            "Exportez-le de nouveau depuis l'outil d'origine."
        )


def _json_records(document: object, source: str) -> list[dict]:
    """The objects of a JSON list, unwrapping API envelopes and Grist records."""
    if isinstance(document, dict):
        document = _unwrap(document)
    if not _is_object_list(document):
        raise NotATableError(
            f"Le fichier « {source} » est bien du JSON, mais ne contient pas une liste "
            'd\'objets (une ligne par objet, par exemple [{"nom": ..., "commune": ...}, ...]). '
            "Exportez de nouveau les données sous forme de tableau."
        )
    if document and all(_is_grist_record(record) for record in document):
        return [{"id": record["id"], **record["fields"]} for record in document]
    return document


def _flatten(record: dict, prefix: str = "") -> dict:
    """Nested objects become dotted columns: ``{"adresse": {"commune": …}}`` → ``adresse.commune``."""
    flat: dict = {}
    for key, value in record.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict) and value:
            flat.update(_flatten(value, name + "."))
        else:
            flat[name] = None if value == {} else value
    return flat


def _unwrap(envelope: dict) -> object:
    """The only (non-empty) list of objects in an API envelope, else the envelope itself."""
    lists = [value for value in envelope.values() if _is_object_list(value)]
    for candidates in ([value for value in lists if value], lists):
        if len(candidates) == 1:
            return candidates[0]
    return envelope


def _is_object_list(value: object) -> bool:
    return isinstance(value, list) and all(isinstance(item, dict) for item in value)


def _is_grist_record(record: dict) -> bool:
    # Grist's API returns {"records": [{"id": 1, "fields": {...}}, ...]}.
    return set(record) == {"id", "fields"} and isinstance(record["fields"], dict)
