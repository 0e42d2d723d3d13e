"""The tables of the « Importer » page, without Streamlit: column detection, row-level report, warnings.

:mod:`views.importer` draws them; these functions only turn the loader's results
(:mod:`loaders.columns`, :mod:`loaders.pipeline`, :mod:`loaders.outcomes`) into the French
tables a hub agent reads, and filter the report.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from core.text import fold
from core.vocabulary import REFERENCED, STATUS_LABELS
from loaders.column_options import CANONICAL_FIELDS, Profile
from loaders.columns import FORCED, FROM_CONTENT, FROM_PROFILE, FROM_SYNONYM, map_columns
from loaders.geocoding import Gazetteer, city_name_key
from loaders.outcomes import RowOutcome, kept_rows
from loaders.pipeline import REJECT_COLUMNS, FileReport, ImportResult
from loaders.read import RawTable
from views.wording import counted

FIELD_LABELS: dict[str, str] = {
    "submission_id": "Identifiant de la réponse",
    "submitted_at": "Date de la réponse",
    "email": "Courriel",
    "first_name": "Prénom",
    "last_name": "Nom de famille",
    "full_name": "Nom complet",
    "phone": "Téléphone",
    "structure": "Structure",
    "structure_type": "Type de structure",
    "address": "Adresse",
    "postcode": "Code postal",
    "city": "Commune",
    "insee_code": "Code INSEE de la commune",
    "coordinates": "Coordonnées GPS (latitude, longitude)",
    "lat": "Latitude",
    "lon": "Longitude",
    "x": "X (Lambert 93)",
    "y": "Y (Lambert 93)",
    "conum": "Conseiller·ère numérique",
    "trained": "Formé·e",
    "training_date": "Date de formation",
    "training_body": "Organisme de formation",
    "themes": "Thématiques",
    "consent": "Accord de publication",
    "mobility": "Lieu fixe ou itinérant",
}

# The column-mapping editor.
FIELD_COLUMN = "Champ"
DETECTED_COLUMN = "Colonne détectée"
HOW_COLUMN = "Reconnue par"
# How loaders.columns found a column (its named kinds), as a hub agent says it.
HOW_LABELS: dict[str, str] = {
    FORCED: "votre choix",
    FROM_PROFILE: "le profil de colonnes du hub",
    FROM_SYNONYM: "son intitulé",
    FROM_CONTENT: "son contenu",
}
CHOICE_COLUMN = "Colonne à utiliser"
NO_COLUMN = "(aucune)"
AUTOMATIC = "(détection automatique)"

# The row-level report.
FILE_COLUMN = "Fichier"
ROW_COLUMN = "Ligne"
VERDICT_COLUMN = "Verdict"
DETAIL_COLUMN = "Motif ou remarque"
COMMUNE_COLUMN = "Commune retenue"
WRITTEN_COLUMN = "Commune écrite (si différente)"
REPORT_COLUMNS = (FILE_COLUMN, ROW_COLUMN, VERDICT_COLUMN, DETAIL_COLUMN, COMMUNE_COLUMN, WRITTEN_COLUMN)
ACCEPTED = "Acceptée"
MERGED = "Doublon fusionné"
REJECTED = "Rejetée"
BLANK = "Ligne vide ignorée"
VERDICTS = (ACCEPTED, MERGED, REJECTED, BLANK)
# Not shown: how the written commune compares with the one retained (a NameMatch value), for the filter.
NAME_MATCH_COLUMN = "name_match"


class NameMatch(enum.Enum):
    """How the commune a row wrote compares with the commune it was placed in."""

    # One of the retained commune's names (or an arrondissement of it), or no commune written.
    SAME = "same"
    # Not its name, but close enough that the postcode + commune rule reads it as that commune (« Vandens »).
    APPROXIMATE = "approximate"
    # Another commune, or nothing the rule recognises: another field placed the row (INSEE code, coordinates…).
    OTHER = "other"


# The report's filter: every row, a verdict, or the rows whose written commune deserves a look.
ALL_ROWS = "all"
SHOWN_ROWS: dict[str, str] = {
    ALL_ROWS: "Toutes les lignes",
    **{verdict: verdict for verdict in VERDICTS},
    NameMatch.APPROXIMATE.value: "Commune écrite approximativement",
    NameMatch.OTHER.value: "Commune écrite différente de la commune retenue",
}

# Fields that give a training status (without any, every record is « Référencé·e »), and the consent.
TRAINING_FIELDS: tuple[str, ...] = ("trained", "training_date")
CONSENT_FIELD = "consent"


# --- Column mapping ---------------------------------------------------------------


def header_options(tables: Sequence[RawTable]) -> list[str]:
    """Headers a field can be given: those of every file (a forced header applies to all files)."""
    others = [set(table.frame.columns) for table in tables[1:]]
    return [str(header) for header in tables[0].frame.columns if all(header in headers for headers in others)]


def detection_table(tables: Sequence[RawTable], profile: Profile | None) -> pd.DataFrame:
    """What the automatic detection (and the profile) found for each canonical field.

    Parameters
    ----------
    tables
        The uploaded tables.
    profile
        The chosen column profile, if any.

    Returns
    -------
    pandas.DataFrame
        Indexed by canonical field; columns `FIELD_COLUMN` (French name), `DETECTED_COLUMN`,
        `HOW_COLUMN` (per file when the files disagree) and `CHOICE_COLUMN`, the editable choice:
        the detected header, `NO_COLUMN`, or `AUTOMATIC` when the files disagree.

    Raises
    ------
    ConfigurationError
        A header of the profile is missing from a file.
    """
    mappings = {table.source_file: map_columns(table.frame, profile=profile) for table in tables}
    rows: dict[str, dict[str, str]] = {}
    for field in CANONICAL_FIELDS:
        headers = {name: mapping.fields.get(field) for name, mapping in mappings.items()}
        hows = {name: how_label(mapping.how.get(field)) for name, mapping in mappings.items()}
        rows[field] = {
            FIELD_COLUMN: FIELD_LABELS[field],
            DETECTED_COLUMN: _per_file_text(headers),
            HOW_COLUMN: _per_file_text(hows),
            CHOICE_COLUMN: _default_choice(headers),
        }
    return pd.DataFrame.from_dict(rows, orient="index")


def how_label(kind: str | None) -> str | None:
    """How a column was found (a kind of :mod:`loaders.columns`), in the words of a hub agent."""
    return None if kind is None else HOW_LABELS.get(kind, kind)


def _per_file_text(values: Mapping[str, str | None]) -> str:
    """The common value of all files, else ``a.csv : X · b.csv : Y``; « — » for nothing."""
    distinct = set(values.values())
    if len(distinct) == 1:
        return next(iter(distinct)) or "—"
    return " · ".join(f"{name} : {value or '—'}" for name, value in values.items())


def _default_choice(headers: Mapping[str, str | None]) -> str:
    distinct = set(headers.values())
    if len(distinct) > 1:
        return AUTOMATIC
    return next(iter(distinct)) or NO_COLUMN


def forced_columns(edited: pd.DataFrame, detected: pd.DataFrame) -> dict[str, str]:
    """The columns the hub changed, as ``LoadOptions.columns`` (``""`` keeps a field unmapped).

    Only changed fields are forced: the others stay with the detection, file by file.
    """
    forced: dict[str, str] = {}
    for field, choice in edited[CHOICE_COLUMN].items():
        if choice == detected.at[field, CHOICE_COLUMN] or choice == AUTOMATIC:
            continue
        forced[str(field)] = "" if choice in (NO_COLUMN, None) else str(choice)
    return forced


# --- Analysis and report ------------------------------------------------------------


def row_report(result: ImportResult, gazetteer: Gazetteer) -> pd.DataFrame:
    """One line per row of every file: accepted, merged into a duplicate, rejected or skipped as empty.

    Parameters
    ----------
    result
        The analysed import.
    gazetteer
        The geocoder that placed the rows: it tells whether a written commune was read approximately.

    Returns
    -------
    pandas.DataFrame
        Columns `REPORT_COLUMNS` then `NAME_MATCH_COLUMN` (a `NameMatch` value, for the filter),
        ordered by file (upload order) then row. A row kept in several records (one per theme) is
        « acceptée » when it is the latest submission of any of them, as
        :func:`store.save_import` records it.
    """
    kept = _kept_lines(result.records, gazetteer)
    same = NameMatch.SAME.value
    rejected = [(file, int(row), REJECTED, reason, "", "", same)
                for file, row, reason in result.rejects[list(REJECT_COLUMNS)].itertuples(index=False)]
    blank = [(report.source_file, row, BLANK, "Ligne vide, sans aucune valeur", "", "", same)
             for report in result.files for row in report.blank_rows]
    frame = pd.DataFrame([*kept, *rejected, *blank], columns=[*REPORT_COLUMNS, NAME_MATCH_COLUMN])
    file_order = {report.source_file: position for position, report in enumerate(result.files)}
    frame = frame.assign(_order=frame[FILE_COLUMN].map(file_order))
    return frame.sort_values(["_order", ROW_COLUMN], kind="stable").drop(columns="_order").reset_index(drop=True)


def _kept_lines(records: pd.DataFrame, gazetteer: Gazetteer) -> list[tuple[str, int, str, str, str, str, str]]:
    """Report lines of the rows that ended in records, as winners or as merged duplicates (:func:`kept_rows`).

    A record holds the winning row's fields: only that row is compared with the retained commune.
    """
    winners = list(zip(records["winning_file"], records["winning_row"].astype(int)))
    # A missing value shows as an empty cell, never as « nan ».
    notes, communes, written = (records[name].fillna("").tolist() for name in ("geocode_note", "commune", "city"))
    matches = name_matches(records, gazetteer).tolist()
    same = NameMatch.SAME.value
    lines = []
    for record, source_file, source_row, outcome in kept_rows(records).itertuples(index=False):
        source = (source_file, int(source_row))
        if outcome == RowOutcome.ACCEPTED:
            match = matches[record]
            lines.append((*source, ACCEPTED, notes[record], communes[record],
                          "" if match is NameMatch.SAME else written[record], match.value))
        else:
            lines.append((*source, MERGED, _merged_detail(source, winners[record]), communes[record], "", same))
    return lines


def name_matches(records: pd.DataFrame, gazetteer: Gazetteer) -> pd.Series:
    """How each record's written commune (``city``) compares with the commune it was placed in.

    Decided from the row's own fields and the geocoder's public rules, once per distinct
    (postcode, commune written, commune retained): the written name is compared with the retained
    commune's names by :func:`loaders.geocoding.city_name_key`, then read again by the postcode +
    commune rule (:meth:`loaders.geocoding.Gazetteer.match_postcode_city`).

    Returns
    -------
    pandas.Series
        A `NameMatch` per record, same index as ``records``.
    """
    rows = list(zip(*(records[name].fillna("").tolist() for name in ("postcode", "city", "insee_code"))))
    decided = {row: _name_match(*row, gazetteer) for row in dict.fromkeys(rows)}
    return pd.Series([decided[row] for row in rows], index=records.index, dtype=object)


def _name_match(postcode: str, city: str, insee_code: str, gazetteer: Gazetteer) -> NameMatch:
    key, _ = city_name_key(city)
    if not key or key in {name for name, _ in gazetteer.keys_by_commune.get(insee_code, ())}:
        return NameMatch.SAME
    arrondissement = gazetteer.arrondissement_from_label(key)
    if arrondissement is not None and arrondissement.insee_code == insee_code:
        return NameMatch.SAME
    read = gazetteer.match_postcode_city(postcode, city) if postcode else gazetteer.match_name_alone(city)
    return NameMatch.APPROXIMATE if read.place is not None and read.place.insee_code == insee_code \
        else NameMatch.OTHER


def _merged_detail(source: tuple[str, int], winner: tuple[str, int]) -> str:
    where = f"la ligne {winner[1]}" if winner[0] == source[0] else f"la ligne {winner[1]} de « {winner[0]} »"
    return f"Doublon de {where} : la réponse la plus récente est gardée"


def searchable_lines(report: pd.DataFrame) -> pd.Series:
    """Each report line as one folded text (file, row number, verdict, detail, communes), for the search.

    Folded once per distinct value of each column: a report of 100,000 lines holds few.
    """
    lines = pd.Series("", index=report.index, dtype=object)
    for column in REPORT_COLUMNS:
        positions, distinct = pd.factorize(report[column].astype(str))
        lines = lines + " " + np.array([fold(value) for value in distinct], dtype=object)[positions]
    return lines


def filtered_report(report: pd.DataFrame, shown: str, query: str, lines: pd.Series | None = None) -> pd.DataFrame:
    """The report lines a hub asked for: a key of `SHOWN_ROWS`, and every word of ``query`` in the line.

    Parameters
    ----------
    report
        :func:`row_report`.
    shown
        `ALL_ROWS`, a verdict, or a `NameMatch` value (rows whose written commune deserves a look).
    query
        Words to find anywhere in a line (file, row number, verdict, detail, communes), compared
        folded: case, accents and punctuation do not matter.
    lines
        :func:`searchable_lines` of the report, when already computed.

    Returns
    -------
    pandas.DataFrame
        The matching lines, in the report's order.
    """
    if shown in VERDICTS:
        mask = report[VERDICT_COLUMN] == shown
    elif shown == ALL_ROWS:
        mask = pd.Series(True, index=report.index)
    else:
        mask = report[NAME_MATCH_COLUMN] == shown
    words = fold(query).split()
    if words:
        lines = searchable_lines(report) if lines is None else lines
        for word in words:
            mask = mask & lines.str.contains(word, regex=False)
    return report[mask]


def public_map_warnings(result: ImportResult) -> list[str]:
    """What the public map will not show of this import, for want of a column, said before saving.

    The public map shows trained people by default (:data:`core.vocabulary.DEFAULT_STATUSES`), and
    contact details only with a recorded consent.
    """
    untrained = [f.source_file for f in result.files if not set(TRAINING_FIELDS) & set(f.mapping.fields)]
    unconsented = [f.source_file for f in result.files if CONSENT_FIELD not in f.mapping.fields]
    warnings = []
    if untrained:
        records = int(result.records["winning_file"].isin(untrained).sum())
        warnings.append(
            f"{_which_files(untrained, result)} aucune colonne qui dise si les personnes sont formées (ni "
            f"« {FIELD_LABELS['trained']} », ni « {FIELD_LABELS['training_date']} ») : "
            f"{counted(records, 'fiche en vient et sera enregistrée', 'fiches en viennent et seront enregistrées')} "
            f"« {STATUS_LABELS[REFERENCED]} ». La carte publique, qui "
            "n'affiche par défaut que les personnes formées, n'en montrera aucune. Si l'export contient cette "
            "information, choisissez sa colonne dans « Colonnes détectées » ci-dessus.")
    if unconsented:
        warnings.append(
            f"{_which_files(unconsented, result)} aucune colonne « {FIELD_LABELS[CONSENT_FIELD]} » : sans accord "
            "enregistré, le nom, le courriel et le téléphone des personnes ne seront jamais affichés sur la "
            "carte publique (seules leur structure et leur commune le seront). Si l'export contient cette "
            "question, choisissez sa colonne dans « Colonnes détectées » ci-dessus.")
    return warnings


def _which_files(names: Sequence[str], result: ImportResult) -> str:
    """The subject of a warning: « Ce fichier n'a », or the files named when several were uploaded."""
    if len(result.files) == 1:
        return "Ce fichier n'a"
    quoted = ", ".join(f"« {name} »" for name in names)
    return f"Le fichier {quoted} n'a" if len(names) == 1 else f"Les fichiers {quoted} n'ont"


def mapping_used(report: FileReport) -> pd.DataFrame:
    """The mapping the import used for one file, then its unused columns."""
    mapping = report.mapping
    used = [(FIELD_LABELS[field], header, how_label(mapping.how[field]))
            for field, header in mapping.fields.items()]
    unused = [("(non utilisée)", header, "") for header in mapping.unmapped]
    return pd.DataFrame([*used, *unused], columns=[FIELD_COLUMN, "Colonne", HOW_COLUMN])
