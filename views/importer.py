"""« Importer un export » — for hubs: upload a form export, check columns and rows, then save it.

The page runs the same pipeline as ``python -m loaders``: the files are read with
:func:`loaders.read.read_bytes`, the columns mapped (the hub can correct the mapping), the rows
geocoded and deduplicated by :func:`loaders.pipeline.load_tables`, and nothing reaches the store
before the hub clicks « Enregistrer l'import » (:func:`loaders.store.save_import`, one transaction).
Every row ends in the report as accepted, merged into a duplicate, rejected with its reason, or
skipped as empty.

Uploaded files are not kept after the import: the session forgets them and what was read from
them, Streamlit's upload storage drops them, and a new, empty uploader replaces the one that held
them. The store keeps the report and the row outcomes.
"""

from __future__ import annotations

import enum
import hashlib
import logging
import math
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import TypeVar

import numpy as np
import pandas as pd
import sqlalchemy.exc
import streamlit as st
from streamlit.runtime.memory_uploaded_file_manager import MemoryUploadedFileManager
from streamlit.runtime.scriptrunner import get_script_run_ctx
from streamlit.runtime.uploaded_file_manager import UploadedFile

from loaders import store
from loaders._errors import LoaderError
from loaders.access import Agent
from loaders.columns import (CANONICAL_FIELDS, FORCED, FROM_CONTENT, FROM_PROFILE, FROM_SYNONYM, Profile,
                             list_profiles, load_profile, map_columns)
from loaders.geocoding import Gazetteer, city_name_key
from loaders.normalize import REFERENCED
from loaders.pipeline import REJECT_COLUMNS, FileReport, ImportResult, LoadOptions, load_tables
from loaders.read import RawTable, read_bytes
from loaders.safe_files import csv_bytes
from loaders.settings import MEGABYTE, current_limits
from loaders.text import fold
from loaders.themes import ThemeRegistry
from views import chrome, data, signin
from views.labels import STATUS_LABELS
from views.safe_html import escape
from views.wording import counted, plural

LOGGER = logging.getLogger(__name__)
T = TypeVar("T")

# .xls and .ods are unreadable, but accepted here so that the loader explains in French how to
# re-save them, instead of the uploader refusing them with an English message.
UPLOAD_TYPES = ["csv", "tsv", "txt", "xlsx", "xlsm", "json", "xls", "ods"]
REJECTS_FILE = "rejets.csv"

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

# rejets.csv: the loader's own columns come first (REJECT_COLUMNS), then the row as written.
REJECT_HEADERS = ("Fichier d'origine", "Ligne d'origine", "Motif du rejet")


UNEXPECTED_ERROR = ("Une erreur inattendue a interrompu l'import : rien n'a été enregistré. Signalez le problème "
                    "à l'équipe de la carte en joignant le fichier.")
DATABASE_ERROR = "La base de données est inaccessible : rien n'a été enregistré. Réessayez dans un moment."
OPTIONS_HINT = ("Sur cette page, « --column » correspond au tableau « Colonnes détectées » ci-dessus et "
                "« --theme » au choix de la thématique du formulaire.")
DEMO_NEXT_STEPS = (
    "**Mode démonstration** : cette page vérifie votre fichier, mais n'enregistre pas de données réelles tant que "
    "la connexion des agents n'est pas ouverte. Pour la suite : corrigez dans votre fichier les lignes rejetées "
    "(le fichier rejets.csv les liste avec leur motif), puis demandez à l'équipe nationale de la carte d'ouvrir "
    "votre accès. Une fois connecté·e, déposez de nouveau le fichier sur cette page et cliquez sur « Enregistrer "
    "l'import » ; vos fiches seront ensuite à vérifier dans « Contrôler la cartographie »."
)
DEMO_ADMINISTRATORS = (
    "Pour les administrateurs de la carte : la connexion des agents se configure comme l'explique le README "
    "(« Connexion des agents ») ; en attendant, un fichier peut être importé en ligne de commande avec "
    "`python -m loaders FICHIER`."
)
# Streamlit draws table rows this high: the mapping editor shows every field without scrolling.
ROW_HEIGHT_PX = 35

_TABLES_STATE = "importer-tables"
_RESULT_STATE = "importer-result"
_REPORT_STATE = "importer-report"
_SAVED_STATE = "importer-saved"
# How many imports this session saved: the uploader's key, so that each import empties it.
_UPLOADER_STATE = "importer-uploader"


@st.cache_resource
def gazetteer() -> Gazetteer:
    """The offline geocoder, built once per server process from the shared reference geography."""
    return Gazetteer(data.reference())


def render() -> None:
    chrome.apply_style()
    chrome.masthead()
    st.title("Importer un export")
    batches = data.batches()
    chrome.demo_banner(batches)
    agent = signin.pilot_agent(editing=True)
    st.markdown(
        "Déposez l'export de votre formulaire de référencement. L'outil reconnaît les colonnes, place chaque "
        "ligne sur sa commune et fusionne les doublons ; vous vérifiez le rapport ligne à ligne, puis vous "
        "enregistrez. Rien n'est enregistré avant que vous cliquiez sur « Enregistrer l'import »."
    )
    limit_mb = _guarded(lambda: math.ceil(current_limits().max_file_bytes / MEGABYTE))
    if limit_mb is None:
        return
    # The widget refuses what the loader would refuse: one setting, CARTE_MAX_UPLOAD_MB.
    uploads = st.file_uploader(
        "Export du formulaire (CSV, XLSX ou JSON ; un ou plusieurs fichiers)",
        type=UPLOAD_TYPES,
        accept_multiple_files=True,
        key=_uploader_key(),
        max_upload_size=limit_mb,
    )
    theme, profile_name = _options(data.themes())
    if uploads:
        st.session_state.pop(_SAVED_STATE, None)
        _import(uploads, theme, profile_name, batches, agent)
    else:
        _last_saved_message()
        st.info("Déposez un fichier pour voir les colonnes détectées et le rapport ligne à ligne.")
    chrome.footer(batches)


def _options(registry: ThemeRegistry) -> tuple[str | None, str | None]:
    """Theme of the form (``None``: read from the file) and column profile (``None``: none)."""
    columns = st.columns(2)
    theme = columns[0].selectbox(
        "Thématique du formulaire",
        [None, *registry.slugs()],
        format_func=lambda slug: "Détecter dans le fichier" if slug is None else registry.get(slug).label,
        help="À choisir quand l'export n'a pas de colonne de thématique (un formulaire par thématique).",
    )
    profiles = {profile.name: profile for profile in list_profiles()}
    profile = columns[1].selectbox(
        "Profil de colonnes (facultatif)",
        [None, *profiles],
        format_func=lambda name: "Aucun : détection automatique" if name is None
        else f"{name} — {profiles[name].description}",
        help="Un profil décrit les colonnes de l'export d'un hub déjà connu.",
    )
    return theme, profile


def _import(uploads: Sequence[UploadedFile], theme: str | None, profile_name: str | None,
            batches: pd.DataFrame, agent: Agent) -> None:
    """Everything after the upload; any error stops here with a French message, before any write."""
    tables = _guarded(lambda: _remembered(_TABLES_STATE, tuple((u.file_id, u.name) for u in uploads),
                                          lambda: read_uploads([(u.name, u.getvalue()) for u in uploads])))
    if tables is None:
        return
    detected = _guarded(lambda: detection_table(tables, load_profile(profile_name) if profile_name else None))
    if detected is None:
        return
    forced = forced_columns(_mapping_editor(tables, profile_name, detected), detected)
    fixes = data.fixes()
    options = LoadOptions(theme=theme, columns=forced, profile=profile_name, fixes=fixes)
    key = (tuple((table.source_file, table.sha256) for table in tables), theme, profile_name,
           tuple(sorted(forced.items())), tuple(sorted(fixes.items())))
    result = _guarded(lambda: _remembered(_RESULT_STATE, key,
                                          lambda: load_tables(tables, gazetteer(), options, data.themes())),
                      hint=OPTIONS_HINT)
    if result is None:
        return
    _report(result, key, agent)
    if _save(tables, result, batches, agent):
        _forget_uploads(uploads)


def _guarded(compute: Callable[[], T], hint: str | None = None) -> T | None:
    """``compute()``, or ``None`` once a French message is shown: a hub never sees a traceback.

    Parameters
    ----------
    compute
        One step of the import.
    hint
        Shown under the message of a `LoaderError`, which may be worded for the command line.

    Returns
    -------
    T or None
        The value of the step, or ``None`` when it failed.
    """
    try:
        return compute()
    except LoaderError as error:
        show_error(str(error))
        if hint:
            st.info(hint)
    except sqlalchemy.exc.SQLAlchemyError:
        LOGGER.exception("Import page: database error")
        show_error(DATABASE_ERROR)
    # Anything else is a bug: the details go to the server log, not to the hub's screen.
    except Exception:
        LOGGER.exception("Import page: unexpected error")
        show_error(UNEXPECTED_ERROR)
    return None


def _remembered(name: str, key: Hashable, compute: Callable[[], T]) -> T:
    """The last value computed in this session for ``key``, else ``compute()``.

    Each widget change reruns the page: without this, reading and geocoding a large export would
    start over when the hub only filters the report. One value per session, not a shared cache,
    because uploads hold personal data.
    """
    remembered = st.session_state.get(name)
    if remembered is not None and remembered[0] == key:
        return remembered[1]
    value = compute()
    st.session_state[name] = (key, value)
    return value


def read_uploads(files: Sequence[tuple[str, bytes]]) -> list[RawTable]:
    """Read uploaded files into tables.

    Parameters
    ----------
    files
        ``(file name, content)`` of each upload.

    Returns
    -------
    list of RawTable
        One table per file, in upload order.

    Raises
    ------
    LoaderError
        A file is unusable (see :func:`loaders.read.read_bytes`), or two uploads share a name or
        a content: the import names rows by their file, and skips a file already imported.
    """
    tables = [read_bytes(content, name) for name, content in files]
    seen_names: set[str] = set()
    seen_contents: dict[str, str] = {}
    for table in tables:
        if table.source_file in seen_names:
            raise LoaderError(f"Deux fichiers déposés s'appellent « {table.source_file} ». Renommez l'un d'eux, "
                              "puis déposez-les de nouveau.")
        if table.sha256 in seen_contents:
            raise LoaderError(f"Les fichiers « {seen_contents[table.sha256]} » et « {table.source_file} » sont "
                              "identiques. Retirez l'un des deux.")
        if "|" in table.source_file:
            # The store lists the files of a merged record separated by « | ».
            raise LoaderError(f"Le nom du fichier « {table.source_file} » contient le caractère « | ». "
                              "Renommez-le, puis déposez-le de nouveau.")
        seen_names.add(table.source_file)
        seen_contents[table.sha256] = table.source_file
    return tables


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


def _mapping_editor(tables: Sequence[RawTable], profile_name: str | None, detected: pd.DataFrame) -> pd.DataFrame:
    st.subheader("Colonnes détectées")
    st.caption("Si une colonne est mal reconnue, choisissez la bonne dans « Colonne à utiliser » : "
               "le rapport ci-dessous se met à jour.")
    several = len(tables) > 1
    if several:
        st.caption("Avec plusieurs fichiers, seules les colonnes présentes dans tous les fichiers sont proposées.")
    options = [*([AUTOMATIC] if several else []), NO_COLUMN, *header_options(tables)]
    # A new upload or profile gives a new editor: edits made for other files must not carry over.
    identity = hashlib.sha256(repr((profile_name, [t.sha256 for t in tables])).encode()).hexdigest()[:16]
    return st.data_editor(
        detected,
        key=f"importer-columns-{identity}",
        hide_index=True,
        width="stretch",
        height=ROW_HEIGHT_PX * (len(detected) + 1) + 3,  # the header row, and the borders
        disabled=[FIELD_COLUMN, DETECTED_COLUMN, HOW_COLUMN],
        column_config={CHOICE_COLUMN: st.column_config.SelectboxColumn(CHOICE_COLUMN, options=options,
                                                                       required=True)},
    )


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
        :func:`loaders.store.save_import` records it.
    """
    kept = _kept_rows(result.records, gazetteer)
    same = NameMatch.SAME.value
    rejected = [(file, int(row), REJECTED, reason, "", "", same)
                for file, row, reason in result.rejects[list(REJECT_COLUMNS)].itertuples(index=False)]
    blank = [(report.source_file, row, BLANK, "Ligne vide, sans aucune valeur", "", "", same)
             for report in result.files for row in report.blank_rows]
    frame = pd.DataFrame([*kept, *rejected, *blank], columns=[*REPORT_COLUMNS, NAME_MATCH_COLUMN])
    file_order = {report.source_file: position for position, report in enumerate(result.files)}
    frame = frame.assign(_order=frame[FILE_COLUMN].map(file_order))
    return frame.sort_values(["_order", ROW_COLUMN], kind="stable").drop(columns="_order").reset_index(drop=True)


def _kept_rows(records: pd.DataFrame, gazetteer: Gazetteer) -> list[tuple[str, int, str, str, str, str, str]]:
    """Report lines of the rows that ended in records, as winners or as merged duplicates.

    A record holds the winning row's fields: only that row is compared with the retained commune.
    """
    lines: dict[tuple[str, int], tuple[str, int, str, str, str, str, str]] = {}
    winners = list(zip(records["winning_file"], records["winning_row"].astype(int)))
    # A missing value shows as an empty cell, never as « nan ».
    notes, communes, written = (records[name].fillna("").tolist() for name in ("geocode_note", "commune", "city"))
    matches = name_matches(records, gazetteer).tolist()
    same = NameMatch.SAME.value
    for record, source_file, source_row in store.source_rows(records).itertuples(index=False):
        source, winner = (source_file, int(source_row)), winners[record]
        if source == winner:
            match = matches[record]
            lines[source] = (*source, ACCEPTED, notes[record], communes[record],
                             "" if match is NameMatch.SAME else written[record], match.value)
        elif source not in lines:
            lines[source] = (*source, MERGED, _merged_detail(source, winner), communes[record], "", same)
    return list(lines.values())


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


def rejects_table(result: ImportResult) -> pd.DataFrame:
    """The rejected rows as ``python -m loaders`` writes them to ``rejets.csv``, with French headers.

    The loader's columns (file, row, reason) come first, then every column of the row as written,
    so that the hub can correct the rows and upload the file again.
    """
    frame = result.rejects.set_axis([*REJECT_HEADERS, *result.rejects.columns[len(REJECT_COLUMNS):]], axis=1)
    # A re-uploaded rejets.csv already holds these columns, from the previous attempt: the new ones win.
    return frame.loc[:, ~frame.columns.duplicated(keep="first")]


def rejects_csv(result: ImportResult) -> bytes:
    """``rejets.csv``, formula-safe (see :func:`loaders.safe_files.csv_bytes`)."""
    return csv_bytes(rejects_table(result))


def _report(result: ImportResult, key: Hashable, agent: Agent) -> None:
    st.subheader("Rapport ligne à ligne")
    report, lines = _remembered(_REPORT_STATE, key, lambda: _report_and_lines(result))
    counts = report[VERDICT_COLUMN].value_counts()
    columns = st.columns(4)
    columns[0].metric("Lignes lues", int(len(report) - counts.get(BLANK, 0)))
    columns[1].metric("Acceptées", int(counts.get(ACCEPTED, 0)))
    columns[2].metric("Doublons fusionnés", int(counts.get(MERGED, 0)))
    columns[3].metric("Rejetées", int(counts.get(REJECTED, 0)))
    summary = result.report()
    st.caption(f"{counted(summary['fiches'], 'fiche', 'fiches')} pour "
               f"{counted(summary['animateurs'], 'animateur·rice', 'animateur·rices')} "
               f"en {summary['lieux']} {plural(summary['lieux'], 'lieu', 'lieux')} ; "
               f"{counted(int(counts.get(BLANK, 0)), 'ligne vide ignorée', 'lignes vides ignorées')}.")
    for warning in public_map_warnings(result):
        st.warning(escape(warning))
    sizes = {shown: len(filtered_report(report, shown, "")) for shown in SHOWN_ROWS}
    shown = st.radio("Afficher", list(SHOWN_ROWS), format_func=lambda kind: f"{SHOWN_ROWS[kind]} ({sizes[kind]})",
                     horizontal=True, key="importer-verdict")
    query = st.text_input("Rechercher dans le rapport", key="importer-search",
                          placeholder="ex. un nom de commune, un numéro de ligne, un mot du motif")
    chosen = filtered_report(report, shown, query, lines)
    if query.strip():
        st.caption(f"{counted(len(chosen), 'ligne trouvée', 'lignes trouvées')}.")
    st.dataframe(chosen.drop(columns=NAME_MATCH_COLUMN), hide_index=True, width="stretch")
    if result.rejects.empty:
        st.success("Aucune ligne rejetée.")
    else:
        st.download_button(f"Télécharger {REJECTS_FILE}", rejects_csv(result), REJECTS_FILE, "text/csv",
                           on_click=signin.log_export, args=(agent, "importer", REJECTS_FILE),
                           help="Les lignes rejetées avec leur motif : corrigez-les, puis déposez ce fichier.")
    with st.expander("Colonnes retenues, fichier par fichier"):
        for file_report in result.files:
            st.text(file_report.source_file)
            st.dataframe(mapping_used(file_report), hide_index=True, width="stretch")


def searchable_lines(report: pd.DataFrame) -> pd.Series:
    """Each report line as one folded text (file, row number, verdict, detail, communes), for the search.

    Folded once per distinct value of each column: a report of 100,000 lines holds few.
    """
    lines = pd.Series("", index=report.index, dtype=object)
    for column in REPORT_COLUMNS:
        positions, distinct = pd.factorize(report[column].astype(str))
        lines = lines + " " + np.array([fold(value) for value in distinct], dtype=object)[positions]
    return lines


def _report_and_lines(result: ImportResult) -> tuple[pd.DataFrame, pd.Series]:
    report = row_report(result, gazetteer())
    return report, searchable_lines(report)


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

    The public map shows trained people by default (:data:`loaders.publish.DEFAULT_STATUSES`), and
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


# --- Saving ---------------------------------------------------------------------------


def _already_imported_notice(tables: Sequence[RawTable], batches: pd.DataFrame) -> None:
    known = set() if batches.empty else set(batches["sha256"])
    names = [table.source_file for table in tables if table.sha256 in known]
    if names:
        st.info(f"Déjà importé (même contenu) : {escape(', '.join(names))}. Enregistrer ne le modifiera pas.")


def _save(tables: Sequence[RawTable], result: ImportResult, batches: pd.DataFrame, agent: Agent) -> bool:
    """The « Enregistrer » section; ``True`` once the import is written (its outcome kept for the message)."""
    st.subheader("Enregistrer")
    if agent == signin.DEMO_AGENT:
        # Real data would close the pilot pages at once: without sign-in, the app holds demo data only.
        st.info(DEMO_NEXT_STEPS, icon=":material/lock:")
        st.caption(DEMO_ADMINISTRATORS)
        return False
    _already_imported_notice(tables, batches)
    target = _import_target()
    st.caption("Les fiches nouvelles ou modifiées seront « à vérifier » : elles n'apparaîtront sur la carte "
               "publique qu'une fois validées (page « Contrôler la cartographie »).")
    if not st.button("Enregistrer l'import", type="primary", disabled=target is None):
        return False
    # save_import is one transaction: whatever fails, nothing was written, as the messages say.
    outcome = _guarded(lambda: store.save_import(data.engine(), result, is_demo=False, hub=target.hub,
                                                 form=target.form, full_export=target.full_export,
                                                 imported_by=agent.email))
    if outcome is None:
        return False
    data.refresh()
    st.session_state[_SAVED_STATE] = (outcome, result.report())
    return True


def _forget_uploads(uploads: Sequence[UploadedFile]) -> None:
    """Drop the imported files from the session and from Streamlit's upload storage, then show an empty uploader.

    Only the outcome and the report's counts stay in the session (see :func:`_last_saved_message`).
    """
    # The uploader's own value goes too: Streamlit keeps a widget's value when a run stops early.
    for name in (_TABLES_STATE, _RESULT_STATE, _REPORT_STATE, _uploader_key()):
        st.session_state.pop(name, None)
    context = get_script_run_ctx()
    if context is not None and isinstance(context.uploaded_file_mgr, MemoryUploadedFileManager):
        for upload in uploads:
            context.uploaded_file_mgr.remove_file(session_id=context.session_id, file_id=upload.file_id)
    st.session_state[_UPLOADER_STATE] = st.session_state.get(_UPLOADER_STATE, 0) + 1
    st.rerun()


def _uploader_key() -> str:
    """The uploader's key, new after each import: the browser then shows an empty uploader."""
    return f"importer-files-{st.session_state.get(_UPLOADER_STATE, 0)}"


@dataclass(frozen=True)
class ImportTarget:
    """Who imports, from which form, and whether the export holds every answer of that form."""

    hub: str
    form: str
    full_export: bool


def _import_target() -> ImportTarget | None:
    """The hub's answers about the export; ``None`` while a complete export has no form name."""
    columns = st.columns(2)
    hub = columns[0].text_input("Votre hub", key="importer-hub", placeholder="ex. Hub Bretagne")
    form = columns[1].text_input("Nom du formulaire", key="importer-form", placeholder="ex. Café IA Bretagne",
                                 help="Le même nom à chaque export du même formulaire.")
    full = st.radio(
        "Cet export est-il complet ?",
        [False, True],
        format_func=lambda complete: ("Complet : il contient toutes les réponses du formulaire" if complete
                                      else "Partiel : il ne contient qu'une partie des réponses"),
        key="importer-full",
        help="Avec un export complet, les fiches de ce formulaire qui n'y sont plus sont signalées "
             "« absent du dernier export » et retirées de la carte publique (elles ne sont pas supprimées).",
    )
    if full and not form.strip():
        st.warning("Donnez le nom du formulaire : c'est lui qui dit quelles fiches un export complet remplace.")
        return None
    return ImportTarget(hub=hub.strip(), form=form.strip(), full_export=full)


def _last_saved_message() -> None:
    """The outcome of the import this session saved last, if any."""
    saved = st.session_state.get(_SAVED_STATE)
    if saved is not None:
        _saved_message(*saved)


def _saved_message(outcome: store.SaveOutcome, summary: dict) -> None:
    """What an import wrote, from its outcome and its report (:meth:`loaders.pipeline.ImportResult.report`)."""
    if outcome.imported:
        st.success(f"Import enregistré : {escape(', '.join(outcome.imported))} — {counted(summary['fiches'], 'fiche', 'fiches')} "
                   f"pour {counted(summary['animateurs'], 'animateur·rice', 'animateur·rices')}, "
                   f"{counted(summary['lignes_rejetees'], 'ligne rejetée', 'lignes rejetées')}.")
    if outcome.already_imported:
        st.info(f"Déjà importé, rien de changé : {escape(', '.join(outcome.already_imported))}.")
    if outcome.marked_absent:
        count = outcome.marked_absent
        st.warning(f"{counted(count, 'fiche de ce formulaire absente', 'fiches de ce formulaire absentes')} de "
                   f"l'export complet : {plural(count, 'retirée', 'retirées')} de la carte publique, pas "
                   f"{plural(count, 'supprimée', 'supprimées')}.")
    if outcome.closed_places:
        count = outcome.closed_places
        st.warning(f"{count} {plural(count, 'lieu', 'lieux')} d'une personne encore présente dans l'export complet "
                   f"ne {plural(count, 'figure', 'figurent')} plus dans cet export : "
                   f"{plural(count, 'fermé', 'fermés')} à cette date (la personne reste sur la carte à ses autres "
                   "lieux), rien n'est supprimé.")
    if outcome.erased_rows:
        count = outcome.erased_rows
        st.warning(f"{counted(count, 'ligne', 'lignes')} de personnes effacées à leur demande : "
                   f"{plural(count, 'non importée, comptée comme rejetée', 'non importées, comptées comme rejetées')}.")


# --- Messages ---------------------------------------------------------------------------


def show_error(message: str) -> None:
    """A French error message, which may quote file names and headers."""
    st.error(escape(message), icon=":material/block:")


# Streamlit runs a page as ``__main__``; importing it (for its helpers) draws nothing.
if __name__ == "__main__":
    render()
