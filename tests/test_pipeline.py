"""The import pipeline: accounting invariant, deduplication, statuses, and hostile tables."""

from __future__ import annotations

import string

import hypothesis.strategies as st
import pandas as pd
import pytest
from conftest import json_records
from hypothesis import HealthCheck, given, settings

from loaders._errors import ConfigurationError, LoaderError, NoLocationColumnError
from loaders.pipeline import LoadOptions, load_files, load_tables
from loaders.read import read_bytes, read_table

HEADER = "Horodateur;Adresse e-mail;Prénom;Nom;Code postal;Commune;Thématiques;Avez-vous suivi la formation ?;" \
         "Date de la formation;J'accepte la publication de mes coordonnées;Conseiller numérique ?"


def csv_file(tmp_path, lines: list[str], name: str = "export.csv"):
    path = tmp_path / name
    path.write_text("\n".join([HEADER, *lines]) + "\n", encoding="utf-8")
    return path


def assert_rows_partitioned(result, table) -> None:
    """Every input row is placed (in some record's source_rows) or rejected, never both."""
    placed = {int(r) for rows in result.records["source_rows"] for r in rows.split("|")}
    rejected = set(result.rejects["source_row"].astype(int))
    assert not placed & rejected, "a row is both placed and rejected"
    assert placed | rejected == set(table.frame.index), "a row is missing"


def test_every_row_is_placed_or_rejected_never_both(tmp_path, gazetteer):
    path = csv_file(tmp_path, [
        "12/03/2025 10:00;a@x.fr;Ana;Durand;34000;Montpellier;Café IA;Oui;12/03/2025;Oui;Oui",
        "13/03/2025 10:00;b@x.fr;Bob;Martin;51130;Xyzville;Café IA;Non;;Non;Non",
        "14/03/2025 10:00;c@x.fr;Cléo;Petit;;;Parentalité numérique;En cours;;;",
        "15/03/2025 10:00;a@x.fr;Ana;Durand;34000;Montpellier;Café IA, Cyber-malveillance;Oui;mai 2025;Oui;Oui",
        "16/03/2025 10:00;d@x.fr;Dan;Roux;75011;Paris 11e;Astrologie;Oui;;;",
    ])
    result = load_files([path], gazetteer)
    assert_rows_partitioned(result, read_table(path))
    reasons = dict(zip(result.rejects["source_row"], result.rejects["reason"]))
    assert set(reasons) == {3, 4, 6}
    assert "Xyzville" in reasons[3]
    assert "aucune localisation" in reasons[4].lower()
    assert "Astrologie" in reasons[6]
    assert result.rejects.loc[0, "Commune"] == "Xyzville"  # original fields travel with the rejection


def test_duplicates_latest_submission_wins_and_merged_rows_are_listed(tmp_path, gazetteer):
    path = csv_file(tmp_path, [
        "20/03/2025 10:00;ana@x.fr;Ana;Durand;34000;Montpellier;Café IA;Oui;12/03/2025;Oui;Oui",
        "01/03/2025 10:00;ANA@x.fr;Ana;Durand;34000;Montpellier;Café IA;Non;;Non;Non",
        "02/03/2025 10:00;ana@x.fr;Ana;Durand;34000;Montpellier;Parentalité numérique;Non;;Non;Non",
    ])
    records = load_files([path], gazetteer).records.set_index("theme")
    assert records.loc["cafe-ia", "source_rows"] == "2|3"
    assert records.loc["cafe-ia", "training_status"] == "trained"  # row 2 is the latest submission
    assert records.loc["cafe-ia", "public_consent"]
    assert records.loc["parentalite-numerique", "source_rows"] == "4"
    assert records["animator_id"].nunique() == 1


def test_without_timestamps_the_last_row_wins(tmp_path, gazetteer):
    path = csv_file(tmp_path, [
        ";ana@x.fr;Ana;Durand;34000;Montpellier;Café IA;Non;;;",
        ";ana@x.fr;Ana;Durand;34000;Montpellier;Café IA;Oui;;;",
    ])
    record = load_files([path], gazetteer).records.iloc[0]
    assert (record["training_status"], record["source_rows"]) == ("trained", "2|3")


def test_same_submission_id_is_the_same_animator(tmp_path, gazetteer):
    path = tmp_path / "ds.csv"
    path.write_text("Numéro de dossier;Code postal;Commune\n17;34000;Montpellier\n17;34070;Montpellier\n",
                    encoding="utf-8")
    records = load_files([path], gazetteer, LoadOptions(theme="cafe-ia")).records
    assert len(records) == 1 and records.iloc[0]["source_rows"] == "2|3"


def test_animator_id_is_stable_across_exports(tmp_path, gazetteer):
    first = csv_file(tmp_path, [";ana@x.fr;Ana;Durand;34000;Montpellier;Café IA;Non;;;"], "a.csv")
    second = csv_file(tmp_path, [";z@x.fr;Zoé;Zola;51200;Épernay;Café IA;Non;;;",
                                 ";Ana@X.fr;Ana;Durand;34000;Montpellier;Café IA;Oui;;;"], "b.csv")
    ids_first = set(load_files([first], gazetteer).records["animator_id"])
    ids_second = set(load_files([second], gazetteer).records["animator_id"])
    assert ids_first < ids_second


@pytest.mark.parametrize(
    ("answer", "date", "status"),
    [("Oui", "", "trained"), ("En cours", "", "in_training"), ("Non", "", "referenced"),
     ("", "12/03/2020", "trained"), ("", "12/03/2099", "in_training"), ("", "", "referenced")],
)
def test_training_status(tmp_path, gazetteer, answer, date, status):
    path = csv_file(tmp_path, [f";a@x.fr;A;B;34000;Montpellier;Café IA;{answer};{date};;"])
    assert load_files([path], gazetteer).records.iloc[0]["training_status"] == status


def test_theme_from_the_command_line_fills_empty_theme_cells(tmp_path, gazetteer):
    path = csv_file(tmp_path, [";a@x.fr;A;B;34000;Montpellier;;Oui;;;"])
    assert load_files([path], gazetteer, LoadOptions(theme="cyber-malveillance")).records.iloc[0]["theme"] == \
        "cyber-malveillance"


def test_a_file_without_theme_column_needs_theme_option(tmp_path, gazetteer):
    path = tmp_path / "f.csv"
    path.write_text("Code postal;Commune\n34000;Montpellier\n", encoding="utf-8")
    with pytest.raises(ConfigurationError, match="--theme"):
        load_files([path], gazetteer)


def test_unknown_theme_option_is_refused(tmp_path, gazetteer):
    path = csv_file(tmp_path, [";a@x.fr;A;B;34000;Montpellier;Café IA;;;;"])
    with pytest.raises(ConfigurationError):
        load_files([path], gazetteer, LoadOptions(theme="astrologie"))


def test_a_file_without_location_columns_is_unusable(tmp_path, gazetteer):
    path = tmp_path / "f.csv"
    path.write_text("Prénom;Nom\nAna;Durand\n", encoding="utf-8")
    with pytest.raises(NoLocationColumnError, match="--column"):
        load_files([path], gazetteer, LoadOptions(theme="cafe-ia"))


def test_forced_column_mapping(tmp_path, gazetteer):
    path = tmp_path / "f.csv"
    path.write_text("Q1;Q2\n34000;Montpellier\n", encoding="utf-8")
    options = LoadOptions(theme="cafe-ia", columns={"postcode": "Q1", "city": "Q2"})
    assert load_files([path], gazetteer, options).records.iloc[0]["insee_code"] == "34172"


def test_several_files_in_one_call(realdata, gazetteer):
    paths = [realdata / "la-creuse.json", realdata / "etapes-numerique.json"]
    result = load_files(paths, gazetteer, LoadOptions(theme="cafe-ia"))
    assert [f.source_file for f in result.files] == ["la-creuse.json", "etapes-numerique.json"]
    assert result.report()["lignes"] == sum(json_records(path) for path in paths)


tables = st.lists(
    st.lists(st.text(alphabet=string.printable + "éÉàç’«»", max_size=12), min_size=1, max_size=6),
    min_size=1, max_size=8,
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.binary(max_size=600), extension=st.sampled_from([".csv", ".json", ".xlsx", ""]))
def test_arbitrary_bytes_give_a_clean_error_or_a_clean_report(gazetteer, data, extension):
    try:
        table = read_bytes(data, "f" + extension)
        result = load_tables([table], gazetteer, LoadOptions(theme="cafe-ia"))
    except LoaderError as error:
        assert str(error)
        return
    assert_rows_partitioned(result, table)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=tables, header=st.sampled_from([["Code postal", "Commune"], ["Adresse", "Thèmes"], ["CP", "Ville", "lat"]]))
def test_arbitrary_tables_give_a_clean_error_or_a_clean_report(gazetteer, rows, header):
    width = max(len(header), *(len(r) for r in rows))
    frame = pd.DataFrame([r + [""] * (width - len(r)) for r in rows]).astype(str)
    frame.columns = header + [f"c{i}" for i in range(width - len(header))]
    data = frame.to_csv(sep=";", index=False).encode("utf-8")
    try:
        table = read_bytes(data, "t.csv")
        result = load_tables([table], gazetteer, LoadOptions(theme="cafe-ia"))
    except LoaderError as error:
        assert str(error)
        return
    assert_rows_partitioned(result, table)


def test_first_of_several_emails_identifies_the_person(tmp_path, gazetteer):
    path = csv_file(tmp_path, [
        ";: Ana@x.fr ou ana.perso@y.fr;Ana;Durand;34000;Montpellier;Café IA;Non;;;",
        ";ana@x.fr;Ana;Durand;34000;Montpellier;Café IA;Oui;;;",
    ])
    records = load_files([path], gazetteer).records
    assert len(records) == 1 and records.iloc[0]["source_rows"] == "2|3"
