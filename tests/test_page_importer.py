"""« Importer un export »: upload, correct the columns, read the row report, save (AppTest, real store).

Uploads go through AppTest's file uploader; the report and ``rejets.csv`` are also checked
directly against the pipeline and the command line on the real hub exports.
"""

from __future__ import annotations

import html
import importlib
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa
import streamlit as st
from conftest import json_records
from signin import sign_in
from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage
from streamlit.testing.v1 import AppTest
from streamlit.testing.v1 import app_test as app_test_module

import store
from carte import importing
from core.vocabulary import REFERENCED
from loaders._errors import LoaderError
from loaders.pipeline import LoadOptions, load_files, load_tables
from loaders.read import read_bytes
from loaders.report import rejects_csv, rejects_table
from store.access import FRANCE, Scope
from views import import_tables

APP = str(Path(__file__).resolve().parent.parent / "app.py")
HUB = "hub@occitanie.fr"
HOSTILE = "<img src=x onerror=alert(1)>"
# Row 2 and 3: the same person at two structures of Montpellier, two places (records) of one person; 4: empty; 5: unknown postcode, but a right INSEE code
# in a column the detection cannot recognise; 6: unknown theme.
EXPORT = (
    "Adresse e-mail;Nom de votre structure;CP;Ville;Thématiques;Référence commune\n"
    f"a@x.fr;{HOSTILE};34000;Montpellier;Café IA;34172\n"
    "a@x.fr;Médiathèque;34000;Montpellier;Café IA;34172\n"
    ";;;;;\n"
    "b@x.fr;=1+1;99999;Nulle-Part;Café IA;51230\n"
    "c@x.fr;Tiers-lieu;51200;Épernay;Philatélie;51230\n"
).encode()
EXPORT_NAME = "export [lien](x).csv"
# A training status and a consent: what the public map needs.
COMPLETE_EXPORT = ("Adresse e-mail;CP;Ville;Thématiques;Formé(e) ?;Consentement\n"
                   "a@x.fr;34000;Montpellier;Café IA;Oui;Oui\n").encode()
# Row 2: a commune written approximately (Vandeins); 3: exact; 4: placed by its INSEE code (Épernay),
# against the commune it writes (Montpellier).
NAMES_EXPORT = ("Adresse e-mail;CP;Ville;Thématiques;Code INSEE\n"
                "a@x.fr;01660;Vandens;Café IA;\n"
                "b@x.fr;34000;Montpellier;Café IA;\n"
                "c@x.fr;34000;Montpellier;Café IA;51230\n").encode()
# Headers that say nothing: the e-mails are recognised by their content.
UNNAMED_EXPORT = ("Colonne 1;CP;Ville;Thématiques\n" + "".join(
    f"personne{n}@x.fr;34000;Montpellier;Café IA\n" for n in range(5))).encode()
MESSY_ROWS = 2990
REPORT = [
    (2, "Acceptée"),
    (3, "Acceptée"),
    (4, "Ligne vide ignorée"),
    (5, "Rejetée"),
    (6, "Rejetée"),
]


@pytest.fixture()
def page(store_home, monkeypatch) -> AppTest:
    monkeypatch.setenv("CARTE_TILES_URL", "")
    st.cache_data.clear()
    st.cache_resource.clear()
    app = sign_in(AppTest.from_file(APP, default_timeout=120), HUB, "hub", Scope("region", "76")).run()
    return app.switch_page("views/importer.py").run()


def importer_module():
    """The page module, for its pure helpers: import it only once the store points to a test folder."""
    return importlib.import_module("views.importer")


@pytest.fixture()
def importer(page):
    return importer_module()


def upload(app: AppTest, *files: tuple[str, bytes]) -> AppTest:
    app.file_uploader[0].set_value([(name, content, "application/octet-stream") for name, content in files])
    return app.run()


def choose_column(app: AppTest, field_label: str, header: str) -> AppTest:
    """Pick a header in the mapping editor, as the hub does in a « Colonne à utiliser » cell."""
    editor = app.data_editor[0]
    row = list(editor.value["Champ"]).index(field_label)
    app.session_state[editor.key] = {
        "edited_rows": {row: {"Colonne à utiliser": header}}, "added_rows": [], "deleted_rows": [],
    }
    return app.run()


def metrics(app: AppTest) -> dict[str, int]:
    return {metric.label: int(metric.value) for metric in app.metric}


def report_of(app: AppTest) -> pd.DataFrame:
    return next(frame.value for frame in app.dataframe if "Verdict" in frame.value.columns)


def messages(app: AppTest) -> str:
    return "\n".join(e.value for e in [*app.error, *app.info, *app.success, *app.warning])


def warnings(app: AppTest) -> list[str]:
    """Warnings as displayed (user text is written as HTML entities)."""
    return [html.unescape(warning.value) for warning in app.warning]


def errors(app: AppTest) -> list[str]:
    """Error messages as displayed: the page writes user text as HTML entities in Markdown."""
    return [html.unescape(error.value) for error in app.error]


def batches(engine: sa.Engine) -> pd.DataFrame:
    return store.read_batches(engine, scope=FRANCE)


def outcomes(engine: sa.Engine) -> list[tuple]:
    with engine.connect() as conn:
        rows = conn.execute(sa.select(store.schema.row_outcomes.c.source_row, store.schema.row_outcomes.c.outcome)
                            .order_by(store.schema.row_outcomes.c.source_row))
        return [tuple(row) for row in rows]


# --- The page in AppTest ---------------------------------------------------------------


def test_without_upload_the_page_explains_and_offers_the_options(page):
    assert not page.exception
    assert [title.value for title in page.title] == ["Importer un export"]
    assert any(HUB in html.unescape(caption.value) and "région 76" in caption.value for caption in page.sidebar.caption)
    assert any("Déposez un fichier" in info.value for info in page.info)
    uploader = page.file_uploader[0]
    assert uploader.accept_multiple_files
    assert {"csv", "xlsx", "json"} <= {kind.lstrip(".") for kind in uploader.allowed_type}
    theme, profile = page.selectbox
    assert theme.value is None and theme.options[0] == "Détecter dans le fichier"
    assert profile.value is None and any(option.startswith("la-creuse — ") for option in profile.options)
    assert not page.metric and not page.main.button


def test_upload_shows_counts_report_and_rejects(page):
    upload(page, (EXPORT_NAME, EXPORT))
    assert not page.exception and not page.error
    assert metrics(page) == {"Lignes lues": 4, "Acceptées": 2, "Doublons fusionnés": 0, "Rejetées": 2}
    report = report_of(page)
    assert list(zip(report["Ligne"], report["Verdict"], strict=True)) == REPORT
    assert set(report["Fichier"]) == {EXPORT_NAME}
    reasons = dict(zip(report["Ligne"], report["Motif ou remarque"], strict=True))
    assert reasons[2] == reasons[3] == ""  # two places of one person: no merge, nothing to say
    assert any("2 fiches pour 1 animateur·rice en 2 lieux" in caption.value for caption in page.caption)
    assert "Code postal 99999 inconnu" in reasons[5]
    assert "thématique « Philatélie » inconnue" in reasons[6]
    assert report.loc[report["Ligne"] == 3, "Commune retenue"].item() == "Montpellier"
    page.radio(key="importer-verdict").set_value("Rejetée").run()
    assert report_of(page)["Ligne"].tolist() == [5, 6]
    assert [button.proto.label for button in page.get("download_button")] == ["Télécharger rejets.csv"]
    assert [button.label for button in page.main.button] == ["Enregistrer l'import"]


def test_editing_the_mapping_changes_the_result(page):
    upload(page, (EXPORT_NAME, EXPORT))
    detected = page.data_editor[0].value.set_index("Champ")
    assert detected.at["Code postal", "Colonne à utiliser"] == "CP"
    assert detected.at["Code INSEE de la commune", "Colonne à utiliser"] == "(aucune)"
    choose_column(page, "Code INSEE de la commune", "Référence commune")
    assert not page.exception and not page.error
    # Row 5 is now placed by its INSEE code (Épernay); row 6 keeps its unknown theme.
    assert metrics(page) == {"Lignes lues": 4, "Acceptées": 3, "Doublons fusionnés": 0, "Rejetées": 1}
    report = report_of(page).set_index("Ligne")
    assert report.at[5, "Verdict"] == "Acceptée" and report.at[5, "Commune retenue"] == "Épernay"


def test_a_missing_location_column_is_explained_and_can_be_fixed_on_the_page(page):
    export = "Courriel;Thématique;Où\na@x.fr;Café IA;Rennes\nb@x.fr;Café IA;Brest\n".encode()
    upload(page, ("sans-lieu.csv", export))
    assert not page.exception and not page.metric and not page.main.button
    assert any("aucune colonne ne permet de situer les lignes" in error for error in errors(page))
    choose_column(page, "Commune", "Où")
    assert not page.exception and not page.error
    assert metrics(page)["Acceptées"] == 2


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("vide.csv", b"", "est vide"),
        ("ancien.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 64, "Excel 97-2003"),
        ("abime.xlsx", b"PK\x03\x04 not really a workbook", "abime.xlsx"),
        ("utf16.csv", "a;b\n1;2\n".encode("utf-16"), "UTF-16"),
        ("liste.json", b'{"pas": "un tableau"}', "liste.json"),
    ],
)
def test_an_unusable_file_gives_a_french_error_and_imports_nothing(page, name, content, expected):
    upload(page, (name, content))
    assert not page.exception
    assert len(page.error) == 1 and expected in errors(page)[0]
    assert not page.metric and not page.main.button and not page.data_editor
    assert batches(store.connect()).empty


def test_save_commits_once_and_a_second_import_changes_nothing(page):
    upload(page, (EXPORT_NAME, EXPORT))
    page.main.button[0].click().run()
    assert not page.exception
    assert any("Import enregistré" in success.value and "2 fiches pour" in success.value for success in page.success)
    # The file name reaches Markdown only as inert text: no link.
    assert "[lien](x)" not in messages(page) and "export &#91;lien&#93;&#40;x&#41;&#46;csv" in messages(page)
    engine = store.connect()
    saved = batches(engine)
    assert len(saved) == 1 and not saved["is_demo"].any() and saved["file_name"].item() == EXPORT_NAME
    assert outcomes(engine) == [(2, "accepted"), (3, "accepted"), (5, "rejected"), (6, "rejected")]
    assert store.read_animators(engine, scope=FRANCE)["commune"].tolist() == ["Montpellier", "Montpellier"]
    # A double click reruns the page with the button pressed again: nothing more is written.
    page.run()
    assert not page.main.button and any("Import enregistré" in success.value for success in page.success)
    assert len(batches(engine)) == 1

    again = sign_in(AppTest.from_file(APP, default_timeout=120), HUB, "hub", Scope("region", "76")).run()
    upload(again.switch_page("views/importer.py").run(), (EXPORT_NAME, EXPORT))
    assert any("Déjà importé (même contenu)" in info.value for info in again.info)
    again.main.button[0].click().run()
    assert any("Déjà importé, rien de changé" in info.value for info in again.info)
    assert not again.success and len(batches(engine)) == 1


def test_a_failure_while_saving_leaves_the_store_unchanged(page):
    upload(page, (EXPORT_NAME, EXPORT))

    def locked(_conn, _cursor, statement, *_args):
        # Batches and animators are written by then: the transaction must drop them.
        if statement.startswith("INSERT INTO row_outcomes"):
            raise sa.exc.OperationalError(statement, {}, Exception("database is locked"))

    sa.event.listen(sa.engine.Engine, "before_cursor_execute", locked)
    try:
        page.main.button[0].click().run()
    finally:
        sa.event.remove(sa.engine.Engine, "before_cursor_execute", locked)
    assert not page.exception and not page.success
    assert errors(page) == [importer_module().DATABASE_ERROR]
    engine = store.connect()
    assert batches(engine).empty and store.read_animators(engine, scope=FRANCE).empty and outcomes(engine) == []


def test_a_bug_while_analysing_gives_a_french_message(page, monkeypatch):
    import loaders.pipeline

    def bug(*_args, **_kwargs):
        raise ValueError("bug")

    monkeypatch.setattr(loaders.pipeline, "load_tables", bug)
    upload(page, (EXPORT_NAME, EXPORT))
    assert not page.exception and not page.metric and not page.main.button
    assert errors(page) == [importer_module().UNEXPECTED_ERROR]


def test_two_files_are_merged_and_reported_together(page):
    other = "Courriel;Structure;Code postal;Commune;Thématique\na@x.fr;Médiathèque;34000;Montpellier;Café IA\n"
    upload(page, ("a.csv", EXPORT), ("b.csv", other.encode()))
    assert not page.exception and not page.error
    report = report_of(page)
    assert report["Fichier"].tolist() == ["a.csv"] * 5 + ["b.csv"]
    verdicts = dict(zip(zip(report["Fichier"], report["Ligne"]), report["Verdict"], strict=True))
    # The later row wins; rows are ordered by file, then row, as written.
    assert verdicts["b.csv", 2] == "Acceptée" and verdicts["a.csv", 3] == "Doublon fusionné"
    detail = report.set_index(["Fichier", "Ligne"]).at[("a.csv", 3), "Motif ou remarque"]
    assert detail == "Doublon de la ligne 2 de « b.csv » : la réponse la plus récente est gardée"
    editor = page.data_editor[0].value.set_index("Champ")
    assert editor.at["Courriel", "Colonne à utiliser"] == "(détection automatique)"
    assert "a.csv : Adresse e-mail · b.csv : Courriel" == editor.at["Courriel", "Colonne détectée"]


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        ([("a.csv", EXPORT), ("a.csv", EXPORT + b"\n")], "Deux fichiers s'appellent « a.csv »"),
        ([("a.csv", EXPORT), ("copie.csv", EXPORT)], "« a.csv » et « copie.csv » sont identiques"),
    ],
)
def test_uploads_sharing_a_name_or_a_content_are_refused(page, files, expected):
    upload(page, *files)
    assert not page.exception and len(page.error) == 1 and expected in errors(page)[0]
    assert not page.main.button


def test_two_exports_named_alike_from_two_folders_are_refused_and_nothing_is_saved(page):
    """Two hubs' exports, both saved as « export.csv » in their own folder, uploaded together."""
    upload(page, ("export.csv", EXPORT), ("export.csv", NAMES_EXPORT))
    assert not page.exception and errors(page) == [
        "Deux fichiers s'appellent « export.csv » (l'import désigne chaque ligne par le nom de son fichier). "
        "Renommez l'un d'eux, puis importez-les de nouveau."]
    assert not page.main.button and not page.metric
    assert batches(store.connect()).empty


def test_a_real_export_without_theme_column_loads_with_the_chosen_theme(page, realdata, gazetteer):
    content = (realdata / "la-creuse.json").read_bytes()
    upload(page, ("la-creuse.json", content))
    assert any("pas de colonne de thématique" in error for error in errors(page))
    page.selectbox[0].set_value("cafe-ia").run()
    page.selectbox[1].set_value("la-creuse").run()
    assert not page.exception and not page.error
    expected = load_files([realdata / "la-creuse.json"], gazetteer,
                          LoadOptions(theme="cafe-ia", profile="la-creuse"))
    counts = metrics(page)
    assert counts["Lignes lues"] == expected.files[0].rows == json_records(realdata / "la-creuse.json")
    assert counts["Rejetées"] == len(expected.rejects)
    assert counts["Acceptées"] + counts["Doublons fusionnés"] == expected.files[0].accepted_rows


def test_without_training_or_consent_column_the_consequence_is_said_before_saving(page):
    upload(page, (EXPORT_NAME, EXPORT))
    said = warnings(page)
    assert any("formées" in w and "« Référencé·e »" in w and "n'en montrera aucune" in w for w in said), said
    assert any("Accord de publication" in w and "ne seront jamais affichés sur la carte publique" in w
               for w in said), said
    assert [button.label for button in page.main.button] == ["Enregistrer l'import"]
    assert batches(store.connect()).empty  # said before anything is saved
    upload(page, ("complet.csv", COMPLETE_EXPORT))
    assert not page.exception and metrics(page)["Acceptées"] == 1
    assert not page.warning


def test_how_a_column_was_found_is_worded_for_a_hub_agent(page):
    upload(page, ("sans-intitule.csv", UNNAMED_EXPORT))
    detected = page.data_editor[0].value.set_index("Champ")
    assert detected.at["Code postal", "Reconnue par"] == "son intitulé"
    assert detected.at["Courriel", "Reconnue par"] == "son contenu"
    choose_column(page, "Structure", "Ville")
    used = next(f.value for f in page.dataframe if "Colonne" in f.value.columns).set_index("Champ")
    assert used.at["Structure", "Reconnue par"] == "votre choix"
    shown = {*detected["Reconnue par"], *used["Reconnue par"]}
    assert not shown & {"synonyme", "contenu", "forcé", "profil"}


def test_rows_placed_by_an_approximate_name_have_their_own_filter(page):
    kinds = import_tables.NameMatch
    upload(page, ("communes.csv", NAMES_EXPORT))
    assert not page.exception and metrics(page)["Acceptées"] == 3
    page.radio(key="importer-verdict").set_value(kinds.APPROXIMATE.value).run()
    report = report_of(page)
    assert report["Ligne"].tolist() == [2]
    assert report[["Commune écrite (si différente)", "Commune retenue"]].values.tolist() == [["Vandens", "Vandeins"]]
    page.radio(key="importer-verdict").set_value(kinds.OTHER.value).run()
    report = report_of(page)
    assert report[["Ligne", "Commune écrite (si différente)", "Commune retenue"]].values.tolist() == [
        [4, "Montpellier", "Épernay"]]


def test_the_report_can_be_searched_within_a_verdict(page):
    upload(page, (EXPORT_NAME, EXPORT))
    page.text_input(key="importer-search").input("montpellier").run()
    assert report_of(page)["Ligne"].tolist() == [2, 3]
    page.text_input(key="importer-search").input("inconnu").run()
    assert report_of(page)["Ligne"].tolist() == [5, 6]
    page.radio(key="importer-verdict").set_value("Rejetée").run()
    page.text_input(key="importer-search").input("philatélie").run()
    assert report_of(page)["Ligne"].tolist() == [6]
    page.text_input(key="importer-search").input("").run()
    assert report_of(page)["Ligne"].tolist() == [5, 6]


# --- Pure helpers, on the real exports ------------------------------------------------------


def test_the_approximation_filter_holds_every_row_the_geocoder_read_approximately(gazetteer, tmp_path):
    """On a messy test export, against the geocoder's own notes (« commune « X » rapprochée de « Y » »)."""
    path = tmp_path / "messy.csv"
    subprocess.run([sys.executable, "bench/make_messy_export.py", str(path), "--rows", str(MESSY_ROWS),
                    "--seed", "1"], cwd=Path(APP).parent, check=True, capture_output=True)
    result = load_files([path], gazetteer, LoadOptions())
    report = import_tables.row_report(result, gazetteer).set_index("Ligne")
    accepted = report[report["Verdict"] == "Acceptée"]
    noted = set(accepted.index[accepted["Motif ou remarque"].str.contains("rapprochée de", regex=False)])
    approximate = import_tables.filtered_report(report.reset_index(), import_tables.NameMatch.APPROXIMATE.value, "")
    assert len(noted) > 20 and noted <= set(approximate["Ligne"])
    # Each of them wrote another name than the commune retained.
    assert (approximate["Commune écrite (si différente)"] != approximate["Commune retenue"]).all()
    assert (approximate["Commune écrite (si différente)"] != "").all()


@pytest.mark.parametrize("name", ["epernay.json", "la-creuse.json", "hub-lo.json", "corse.json"])
def test_every_row_of_a_real_export_is_reported_once(realdata, gazetteer, name):
    table = read_bytes((realdata / name).read_bytes(), name)
    result = load_tables([table], gazetteer, LoadOptions(theme="cafe-ia"))
    report = import_tables.row_report(result, gazetteer)
    assert report["Ligne"].tolist() == sorted([*table.frame.index, *table.blank_rows])
    counts = report["Verdict"].value_counts()
    assert counts.get("Rejetée", 0) == len(result.rejects)
    assert counts.get("Acceptée", 0) + counts.get("Doublon fusionné", 0) == result.files[0].accepted_rows
    assert report["Motif ou remarque"].loc[report["Verdict"] == "Rejetée"].str.len().gt(0).all()


def test_the_real_export_without_status_nor_consent_is_warned_about_with_its_record_count(realdata, gazetteer):
    """The 39-row export of the issue (or its extract): every record « Référencé·e », none on the default
    public map."""
    result = load_files([realdata / "epernay.json"], gazetteer, LoadOptions(theme="cafe-ia"))
    assert set(result.records["training_status"]) == {REFERENCED} and not result.records["public_consent"].any()
    training, consent = import_tables.public_map_warnings(result)
    assert f"{len(result.records)} fiches en viennent et seront enregistrées « Référencé·e »" in training
    assert "Accord de publication" in consent


def test_the_pages_rejets_csv_download_is_byte_for_byte_the_cli_file(page, tmp_path, monkeypatch):
    """One format, written by loaders.report: French headers, then the rows as written, formula-safe."""
    storages: list[MemoryMediaFileStorage] = []

    class KeptStorage(MemoryMediaFileStorage):
        """AppTest's storage of downloads, kept after the run so that the test can read the offered bytes."""

        def __init__(self, media_endpoint: str) -> None:
            super().__init__(media_endpoint)
            storages.append(self)

    monkeypatch.setattr(app_test_module, "MemoryMediaFileStorage", KeptStorage)
    upload(page, ("export.csv", EXPORT))
    (button,) = page.get("download_button")
    offered = storages[-1].get_file(button.proto.url.rsplit("/", 1)[1]).content
    path = tmp_path / "export.csv"
    path.write_bytes(EXPORT)
    assert importing.main([str(path), "--out", str(tmp_path / "out")]) == 0
    assert offered == (tmp_path / "out" / "rejets.csv").read_bytes()
    lines = offered.decode("utf-8-sig").splitlines()
    assert lines[0] == "Fichier d'origine;Ligne d'origine;Motif du rejet;" + EXPORT.decode().splitlines()[0]
    # Formula-safe: the structure « =1+1 » is written as text.
    assert ";'=1+1;" in lines[1]


def test_a_corrected_rejects_file_is_read_back_and_accepted(gazetteer):
    result = load_tables([read_bytes(EXPORT, "export.csv")], gazetteer)
    rejected = read_bytes(rejects_csv(result), "rejets.csv")
    assert rejected.frame["Nom de votre structure"].tolist() == ["=1+1", "Tiers-lieu"]
    fixed = rejected.frame.copy()
    fixed["CP"] = ["51200", "51200"]
    fixed["Ville"] = ["Épernay", "Épernay"]
    fixed["Thématiques"] = ["Café IA", "Café IA"]
    from loaders.safe_files import csv_bytes

    again = load_tables([read_bytes(csv_bytes(fixed), "rejets.csv")], gazetteer)
    assert again.rejects.empty and again.records["commune"].tolist() == ["Épernay", "Épernay"]
    # Rejected again, a re-uploaded rejets.csv keeps one set of loader columns: the new one.
    still = rejects_table(load_tables([rejected], gazetteer))
    assert list(still.columns[:3]) == ["Fichier d'origine", "Ligne d'origine", "Motif du rejet"]
    assert still["Fichier d'origine"].tolist() == ["rejets.csv", "rejets.csv"]
    assert not still.columns.duplicated().any()


def test_only_the_changed_columns_are_forced(importer):
    tables = importer.read_uploads([("export.csv", EXPORT)])
    detected = import_tables.detection_table(tables, None)
    edited = detected.copy()
    edited.loc["postcode", "Colonne à utiliser"] = "(aucune)"
    edited.loc["insee_code", "Colonne à utiliser"] = "Référence commune"
    edited.loc["email", "Colonne à utiliser"] = "(détection automatique)"
    assert import_tables.forced_columns(edited, detected) == {"postcode": "", "insee_code": "Référence commune"}
    assert import_tables.forced_columns(detected, detected) == {}


def test_read_uploads_refuses_a_bar_in_a_file_name(importer):
    with pytest.raises(LoaderError, match="contient le caractère « | »"):
        importer.read_uploads([("a|b.csv", EXPORT)])


def test_hub_form_and_complete_export_are_recorded(page):
    upload(page, (EXPORT_NAME, EXPORT))
    page.radio(key="importer-full").set_value(True).run()
    assert page.main.button[0].disabled
    assert any("nom du formulaire" in warning.value for warning in page.warning)
    page.text_input(key="importer-hub").input("Hub Occitanie").run()
    page.text_input(key="importer-form").input("Café IA Occitanie").run()
    assert not page.main.button[0].disabled
    page.main.button[0].click().run()
    assert not page.exception
    saved = batches(store.connect())
    assert saved[["hub", "form", "is_full_export"]].values.tolist() == [["Hub Occitanie", "Café IA Occitanie", True]]
    assert store.read_public(store.connect()).empty  # « à vérifier » until a moderator validates it


def test_a_full_export_that_no_longer_lists_a_place_says_it_closed_it(page, gazetteer):
    earlier = load_tables([read_bytes(EXPORT, "avant.csv")], gazetteer, LoadOptions())
    store.save_import(store.connect(), earlier, form="Café IA Occitanie")
    without_mediatheque = b"\n".join(line for line in EXPORT.split(b"\n") if b"M\xc3\xa9diath\xc3\xa8que" not in line)
    upload(page, ("apres.csv", without_mediatheque))
    page.radio(key="importer-full").set_value(True).run()
    page.text_input(key="importer-form").input("Café IA Occitanie").run()
    page.main.button[0].click().run()
    assert not page.exception
    said = warnings(page)
    assert any(w.startswith("1 lieu d'une personne encore présente") and "fermé" in w for w in said), said
    rows = store.read_animators(store.connect(), closed_places=True, scope=FRANCE).set_index("structure")
    assert rows["place_until"].notna().to_dict() == {HOSTILE: False, "Médiathèque": True}


def test_the_uploader_refuses_what_the_loader_would_refuse(page, monkeypatch):
    assert page.get("file_uploader")[0].proto.max_upload_size_mb == 20
    monkeypatch.setenv("CARTE_MAX_UPLOAD_MB", "5")
    page.run()
    assert page.get("file_uploader")[0].proto.max_upload_size_mb == 5
    monkeypatch.setenv("CARTE_MAX_UPLOAD_MB", "beaucoup")
    page.run()
    assert not page.exception and "CARTE_MAX_UPLOAD_MB vaut « beaucoup »" in html.unescape(messages(page))


def test_demo_mode_checks_a_file_says_what_to_do_in_the_app_and_does_not_save_real_data(store_home, monkeypatch):
    """Without sign-in the app holds demo data only: saving real data would close the pilot pages.

    The next steps are said for a hub agent, in the app; the command line is a hint for administrators, apart.
    """
    monkeypatch.setenv("CARTE_TILES_URL", "")
    st.cache_data.clear()
    st.cache_resource.clear()
    app = AppTest.from_file(APP, default_timeout=120).run().switch_page("views/importer.py").run()
    assert "Mode démonstration" in messages(app)
    upload(app, (EXPORT_NAME, EXPORT))
    assert [m.label for m in app.metric][:2] == ["Lignes lues", "Acceptées"]  # the report is there
    assert not [b for b in app.main.button if b.label == "Enregistrer l'import"]
    assert batches(store.connect()).empty
    # The last one: the demo banner at the top of every page says « Mode démonstration » too.
    demo = [info.value for info in app.info if "Mode démonstration" in info.value][-1]
    assert "python" not in demo and "ligne de commande" not in demo
    assert "rejets.csv" in demo and "« Enregistrer l'import »" in demo and "équipe nationale" in demo
    administrators = [c.value for c in app.caption if "python -m carte import FICHIER" in c.value]
    assert administrators and administrators[0].startswith("Pour les administrateurs")
