"""Tests of the parsing of French form answers (hand-checked expectations)."""

from __future__ import annotations

from datetime import date, datetime

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from loaders.dates import dates, datetimes, parse_date, parse_datetime
from loaders.normalize import (
    parse_training_status,
    parse_yes_no,
    split_multi,
    themes,
    training_statuses,
    yes_no,
)
from loaders.themes import ThemeRegistry, load_themes

YES = [
    "oui", "Oui", "OUI", " oui ", "o", "O", "yes", "Yes", "y", "true", "True", "TRUE", "vrai", "Vrai",
    "1", "1.0", "x", "X", "✓", "✔", "☑", "Oui, j'accepte", "Oui j’accepte", "J'accepte",
    "J'accepte que mes coordonnées soient publiées", "J’accepte que mes coordonnées apparaissent sur la carte",
    "d'accord", "D’accord", "Je suis d'accord", "ok", "OK", "Ok pour moi", "oui (formé en 2024)",
    "Oui - formée en mars", "Oui, mais pas mon téléphone", "Bien sûr", "Tout à fait", "J'autorise la publication",
    "Je souhaite apparaître sur la carte", "Yes, I agree",
]
NO = [
    "non", "Non", "NON", "n", "N", "no", "No", "false", "False", "faux", "FAUX", "0", "0.0", "☐", "✗",
    "Non merci", "Non, merci", "Je ne souhaite pas…", "Je ne souhaite pas que mes coordonnées soient publiées",
    "Je n'accepte pas", "Je n’accepte pas", "Pas encore", "pas encore formé", "Refuse", "Je refuse", "Aucun",
    "Pas d'accord", "Non (pas encore)", "Jamais",
]
UNKNOWN = [
    "", "   ", "peut-être", "Peut être", "Je ne sais pas", "NSP", "N/A", "n/a", "NC", "nan", "None", "null",
    "Non renseigné", "2", "bof", "Conseiller numérique", "HASSNAOUI Jamila", "...", "(",
]


@pytest.mark.parametrize("value", YES)
def test_yes(value: str) -> None:
    assert parse_yes_no(value) is True


@pytest.mark.parametrize("value", NO)
def test_no(value: str) -> None:
    assert parse_yes_no(value) is False


@pytest.mark.parametrize("value", UNKNOWN)
def test_unknown_yes_no(value: str) -> None:
    assert parse_yes_no(value) is None


def test_yes_no_column_keeps_index_and_gives_object_booleans() -> None:
    series = pd.Series(["Oui", "non", "", None, np.nan, "Oui", "???"], index=list("abcdefg"), name="consent")
    result = yes_no(series)
    assert result.dtype == object
    assert result.name == "consent"
    assert list(result.index) == list("abcdefg")
    assert result.tolist() == [True, False, None, None, None, True, None]


def test_yes_no_reads_pandas_string_dtype() -> None:
    series = pd.Series(["oui", None, "non"], dtype="str")
    assert yes_no(series).tolist() == [True, None, False]


def test_yes_no_reads_non_text_cells() -> None:
    assert yes_no(pd.Series([1, 0, True, None], dtype=object)).tolist() == [True, False, True, None]


DATES = [
    ("12/03/2025", date(2025, 3, 12)),
    ("1/3/2025", date(2025, 3, 1)),
    ("12-03-2025", date(2025, 3, 12)),
    ("12.03.2025", date(2025, 3, 12)),
    ("12/03/25", date(2025, 3, 12)),
    ("01/01/85", date(1985, 1, 1)),
    ("2025-05-20", date(2025, 5, 20)),
    ("2025/05/20", date(2025, 5, 20)),
    ("2025-5-2", date(2025, 5, 2)),
    ("2025-05-20T14:03:00", date(2025, 5, 20)),
    ("2025-05-20T14:03:00Z", date(2025, 5, 20)),
    ("2025-05-20T23:30:00Z", date(2025, 5, 21)),  # 01:30 in Paris
    ("2025-05-20T23:30:00+02:00", date(2025, 5, 20)),
    ("2025-05-20 00:00:00", date(2025, 5, 20)),
    ("13/12/2022 17:51", date(2022, 12, 13)),
    ("2020/06/30 14:16:50.898", date(2020, 6, 30)),
    ("mai 2025", date(2025, 5, 1)),
    ("Mai 2025", date(2025, 5, 1)),
    ("mai-25", date(2025, 5, 1)),
    ("MAI 2025", date(2025, 5, 1)),
    ("05/2025", date(2025, 5, 1)),
    ("5/2025", date(2025, 5, 1)),
    ("2025-05", date(2025, 5, 1)),
    ("janvier 2025", date(2025, 1, 1)),
    ("janv. 2025", date(2025, 1, 1)),
    ("févr. 2025", date(2025, 2, 1)),
    ("fevrier 2025", date(2025, 2, 1)),
    ("Février 2025", date(2025, 2, 1)),
    ("août 2025", date(2025, 8, 1)),
    ("aout 2025", date(2025, 8, 1)),
    ("juil. 2024", date(2024, 7, 1)),
    ("sept. 2024", date(2024, 9, 1)),
    ("déc. 2024", date(2024, 12, 1)),
    ("decembre 2024", date(2024, 12, 1)),
    ("le 3 mars 2025", date(2025, 3, 3)),
    ("3 mars 2025", date(2025, 3, 3)),
    ("Le 3 Mars 2025", date(2025, 3, 3)),
    ("1er mars 2025", date(2025, 3, 1)),
    ("lundi 3 mars 2025", date(2025, 3, 3)),
    ("3 déc. 2024", date(2024, 12, 3)),
    ("March 3, 2025", date(2025, 3, 3)),
    ("3 March 2025", date(2025, 3, 3)),
    ("45730", date(2025, 3, 14)),
    ("45730.75", date(2025, 3, 14)),
    ("20000", date(1954, 10, 3)),
    (" 12/03/2025 ", date(2025, 3, 12)),
]
INVALID_DATES = [
    "", "  ", "2025", "31/02/2025", "29/02/2025", "32/01/2025", "12/13/2025", "2025-13-01", "2025-02-30",
    "00/01/2025", "12/03/2025 25:00", "3 mars", "mars", "13 truc 2025", "truc 2025", "12345", "99999",
    "19999", "80001", "14 juillet 1789", "12/03/2201", "abc", "demain", "2025-05-20T10:00:00+2",
]


@pytest.mark.parametrize(("value", "expected"), DATES)
def test_parse_date(value: str, expected: date) -> None:
    assert parse_date(value) == expected


@pytest.mark.parametrize("value", INVALID_DATES)
def test_invalid_dates_are_none(value: str) -> None:
    assert parse_date(value) is None


def test_leap_day_is_valid() -> None:
    assert parse_date("29/02/2024") == date(2024, 2, 29)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("13/12/2022 17:51", datetime(2022, 12, 13, 17, 51)),
        ("13/12/2022 17:51:09", datetime(2022, 12, 13, 17, 51, 9)),
        ("2020/06/30 14:16:50.898", datetime(2020, 6, 30, 14, 16, 50, 898000)),
        ("2025-05-20T14:03:00", datetime(2025, 5, 20, 14, 3)),
        ("2025-05-20T12:03:00Z", datetime(2025, 5, 20, 14, 3)),  # summer time: UTC+2
        ("2025-01-20T12:03:00Z", datetime(2025, 1, 20, 13, 3)),  # winter time: UTC+1
        ("2025-01-20T12:03:00.123456+00:00", datetime(2025, 1, 20, 13, 3, 0, 123456)),
        ("2025-01-20T07:03:00-0500", datetime(2025, 1, 20, 13, 3)),
        ("2025-05-20 14:03:00 UTC", datetime(2025, 5, 20, 16, 3)),
        ("12/03/2025", datetime(2025, 3, 12)),
        ("12/03/2025 14h30", datetime(2025, 3, 12, 14, 30)),
        ("12/03/2025 à 14h", datetime(2025, 3, 12, 14)),
        ("lundi 3 mars 2025 à 14h30", datetime(2025, 3, 3, 14, 30)),
        ("3 mars 2025 14:30", datetime(2025, 3, 3, 14, 30)),
        ("45730.75", datetime(2025, 3, 14, 18)),
        ("mai 2025", datetime(2025, 5, 1)),
    ],
)
def test_parse_datetime_keeps_the_time_in_paris(value: str, expected: datetime) -> None:
    assert parse_datetime(value) == expected


def test_month_first_dates_when_asked() -> None:
    assert parse_datetime("3/25/2025 2:05:32 PM", day_first=False) == datetime(2025, 3, 25, 14, 5, 32)
    assert parse_datetime("3/12/2025 12:05 AM", day_first=False) == datetime(2025, 3, 12, 0, 5)
    assert parse_date("3/12/2025", day_first=False) == date(2025, 3, 12)


def test_dates_column_is_read_day_first_by_default() -> None:
    series = pd.Series(["03/04/2025", "05/06/2025", "", None])
    assert dates(series).tolist() == [date(2025, 4, 3), date(2025, 6, 5), None, None]


def test_dates_column_is_read_day_first_when_a_day_says_so() -> None:
    series = pd.Series(["13/04/2025", "04/05/2025", "04/13/2025"])
    assert dates(series).tolist() == [date(2025, 4, 13), date(2025, 5, 4), None]


def test_dates_column_of_an_english_google_form_is_read_month_first() -> None:
    series = pd.Series(["3/25/2025 14:05:32", "4/2/2025 9:00:00", "2025-04-01"], index=[10, 20, 30])
    assert datetimes(series).tolist() == [
        datetime(2025, 3, 25, 14, 5, 32),
        datetime(2025, 4, 2, 9),
        datetime(2025, 4, 1),
    ]
    assert dates(series).tolist() == [date(2025, 3, 25), date(2025, 4, 2), date(2025, 4, 1)]
    assert list(datetimes(series).index) == [10, 20, 30]


def test_datetimes_column_has_object_dtype() -> None:
    result = datetimes(pd.Series(["13/12/2022 17:51", "", "n'importe quoi"], dtype="str"))
    assert result.dtype == object
    assert result.tolist() == [datetime(2022, 12, 13, 17, 51), None, None]


STATUSES = [
    ("formé", "trained"),
    ("Formé", "trained"),
    ("formée", "trained"),
    ("Formé·e", "trained"),
    ("Formé(e)", "trained"),
    ("formé.e", "trained"),
    ("oui", "trained"),
    ("Oui (formé en 2024)", "trained"),
    ("x", "trained"),
    ("certifié", "trained"),
    ("Certifiée", "trained"),
    ("a suivi la formation", "trained"),
    ("Formation suivie", "trained"),
    ("Formation terminée", "trained"),
    ("en cours", "in_training"),
    ("En cours de formation", "in_training"),
    ("en formation", "in_training"),
    ("inscrit à la formation", "in_training"),
    ("Inscrite", "in_training"),
    ("formation prévue", "in_training"),
    ("Formation prévue en juin", "in_training"),
    ("à venir", "in_training"),
    ("Oui, inscrit à la session de juin", "in_training"),
    ("non", "referenced"),
    ("Non", "referenced"),
    ("pas encore", "referenced"),
    ("Pas encore formé", "referenced"),
    ("Non formé", "referenced"),
    ("référencé", "referenced"),
    ("Référencée", "referenced"),
    ("intéressé", "referenced"),
    ("Intéressée par la formation", "referenced"),
    ("souhaite être formé", "referenced"),
    ("Je souhaite être formée", "referenced"),
    ("", None),
    ("  ", None),
    ("Café IA", None),
    ("peut-être", None),
]


@pytest.mark.parametrize(("value", "expected"), STATUSES)
def test_parse_training_status(value: str, expected: str | None) -> None:
    assert parse_training_status(value) == expected


def test_training_statuses_column() -> None:
    series = pd.Series(["Formé", None, "en cours", "Formé", "non"])
    assert training_statuses(series).tolist() == ["trained", None, "in_training", "trained", "referenced"]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("Café IA, Parentalité numérique", ["Café IA", "Parentalité numérique"]),
        ("Café IA;Parentalité numérique", ["Café IA", "Parentalité numérique"]),
        ("Café IA | Cyber-malveillance", ["Café IA", "Cyber-malveillance"]),
        ("Café IA\nParentalité numérique\r\nCyber", ["Café IA", "Parentalité numérique", "Cyber"]),
        ("Café IA (CNNum, ANCT); Parentalité", ["Café IA (CNNum, ANCT)", "Parentalité"]),
        ("A (b; c | d), E", ["A (b; c | d)", "E"]),
        (" , ;; Café IA ,, ", ["Café IA"]),
        ("Café IA", ["Café IA"]),
        ("", []),
        ("   ", []),
    ],
)
def test_split_multi(value: str, expected: list[str]) -> None:
    assert split_multi(value) == expected


@given(st.text())
def test_split_multi_gives_stripped_non_empty_choices(value: str) -> None:
    assert all(choice and choice == choice.strip() for choice in split_multi(value))


@pytest.fixture(scope="module")
def registry() -> ThemeRegistry:
    return load_themes()


def test_themes_column(registry: ThemeRegistry) -> None:
    series = pd.Series(
        [
            "Parentalité numérique, Café IA",
            "Café IA; cafe ia; Cafés IA",
            "Cybermalveillance | Robotique",
            "",
            None,
            "Café IA (CNNum, ANCT)\nAutre, Robotique, Robotique",
            "Parentalité numérique, Café IA",
        ],
        index=[5, 6, 7, 8, 9, 10, 11],
    )
    slugs, unknown = themes(series, registry)
    assert slugs.tolist() == [
        ["cafe-ia", "parentalite-numerique"],
        ["cafe-ia"],
        ["cyber-malveillance"],
        [],
        [],
        ["cafe-ia"],
        ["cafe-ia", "parentalite-numerique"],
    ]
    assert unknown.tolist() == [[], [], ["Robotique"], [], [], ["Autre", "Robotique"], []]
    assert list(slugs.index) == list(unknown.index) == [5, 6, 7, 8, 9, 10, 11]


def test_rows_with_the_same_answer_do_not_share_their_list(registry: ThemeRegistry) -> None:
    slugs, _ = themes(pd.Series(["Café IA", "Café IA"]), registry)
    slugs.iloc[0].append("cyber-malveillance")
    assert slugs.iloc[1] == ["cafe-ia"]


def test_large_column_is_parsed_by_distinct_values() -> None:
    values = ["Oui", "Non", "12/03/2025", "formé", "", "Café IA, Parentalité numérique"]
    series = pd.Series(values * 20_000)
    assert yes_no(series).value_counts(dropna=False).to_dict() == {True: 20_000, False: 20_000, None: 80_000}
    assert dates(series).iloc[2::6].eq(date(2025, 3, 12)).all()


@pytest.mark.parametrize(
    ("value", "expected"),
    [("Oui", True), ("non", False), ("", False), ("Marie Dupont", True), ("NC", False), ("ne sais pas", False),
     ("Pas de conseiller", False), ("12", False)],
)
def test_yes_or_named(value, expected):
    from loaders.normalize import parse_yes_or_named

    assert parse_yes_or_named(value) is expected
