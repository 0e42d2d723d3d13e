"""« Importer un export » — for hubs: upload a form export, check columns and rows, then save it.

The page runs the same pipeline as ``python -m carte import``: the files are read with
:func:`loaders.read.read_bytes`, the columns mapped (the hub can correct the mapping), the rows
geocoded and deduplicated by :func:`loaders.pipeline.load_tables`, and nothing reaches the store
before the hub clicks « Enregistrer l'import » (:func:`store.save_import`, one transaction).
The tables it shows (detected columns, row-level report, warnings) are built by :mod:`views.import_tables`.
Every row ends in the report as accepted, merged into a duplicate, rejected with its reason, or
skipped as empty.

Uploaded files are not kept after the import: the session forgets them and what was read from
them, Streamlit's upload storage drops them, and a new, empty uploader replaces the one that held
them. The store keeps the report and the row outcomes.
"""

from __future__ import annotations

import hashlib
import logging
import math
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from typing import TypeVar

import pandas as pd
import sqlalchemy.exc
import streamlit as st
from streamlit.runtime.memory_uploaded_file_manager import MemoryUploadedFileManager
from streamlit.runtime.scriptrunner import get_script_run_ctx
from streamlit.runtime.uploaded_file_manager import UploadedFile

import store
from loaders._errors import LoaderError
from loaders.column_options import list_profiles, load_profile
from loaders.file_rules import check_files
from loaders.geocoding import Gazetteer
from loaders.pipeline import ImportResult, LoadOptions, load_tables
from loaders.read import RawTable, read_bytes
from loaders.report import REJECTS_FILE, rejects_csv
from loaders.settings import MEGABYTE, current_limits
from loaders.themes import ThemeRegistry
from store.access import Agent
from views import chrome, data, signin
from views.import_tables import (
    ACCEPTED,
    AUTOMATIC,
    BLANK,
    CHOICE_COLUMN,
    DETECTED_COLUMN,
    FIELD_COLUMN,
    HOW_COLUMN,
    MERGED,
    NAME_MATCH_COLUMN,
    NO_COLUMN,
    REJECTED,
    SHOWN_ROWS,
    VERDICT_COLUMN,
    detection_table,
    filtered_report,
    forced_columns,
    header_options,
    mapping_used,
    public_map_warnings,
    row_report,
    searchable_lines,
)
from views.safe_html import escape
from views.wording import counted, plural

LOGGER = logging.getLogger(__name__)
T = TypeVar("T")

# .xls and .ods are unreadable, but accepted here so that the loader explains in French how to
# re-save them, instead of the uploader refusing them with an English message.
UPLOAD_TYPES = ["csv", "tsv", "txt", "xlsx", "xlsm", "json", "xls", "ods"]

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
    "`python -m carte import FICHIER`."
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
        A file is unusable (see :func:`loaders.read.read_bytes`), or the files break a rule of
        :mod:`loaders.file_rules` (two uploads sharing a name or a content, « | » in a name).
    """
    tables = [read_bytes(content, name) for name, content in files]
    check_files(tables)
    return tables


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


def _report_and_lines(result: ImportResult) -> tuple[pd.DataFrame, pd.Series]:
    report = row_report(result, gazetteer())
    return report, searchable_lines(report)


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
