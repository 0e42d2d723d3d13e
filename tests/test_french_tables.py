"""The pilot pages write counts and numbers the French way (« 65 278 », « 84,5 », « 1 fiche »), on the demo data.

A table shown with ``st.dataframe`` carries its cells' raw values (so that sorting a column sorts numbers)
and, when the page formats them, the text each cell shows. A numeric column shown without that text
is drawn by the browser's grid in English (« 65278 », « 84.5 »): this test reads what each cell shows
and fails on any number written with a decimal point or, from 1,000 up, without a thousands space.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parent.parent / "app.py")
# A number as a cell shows it: an optional sign, digits (maybe grouped), an optional decimal part.
NUMBER_TEXT = re.compile(r"^-?[\d\s\u202f\u00a0.,]*\d$")
ENGLISH_DECIMAL = re.compile(r"\d\.\d")
# Numbers that name something rather than count it: a spreadsheet's row number is written as the file shows it.
IDENTIFIERS = {"Ligne"}
UNGROUPED_THOUSANDS = re.compile(r"\d{4}")
# Pages and the URL that shows their tables on the demo data (Bretagne, Ille-et-Vilaine).
PAGES = {
    "formations": {"region": "53"},
    "couverture": {"region": "53", "dep": "35", "zone": "243500139"},
    "pilotage": {},
    "controle": {},
}


def opened(page: str, params: dict[str, str], home: Path, monkeypatch) -> AppTest:
    """``page`` run once on the demo store at the URL ``params``."""
    monkeypatch.setenv("CARTE_DATA_HOME", str(home))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setenv("CARTE_TILES_URL", "")
    st.cache_data.clear()
    st.cache_resource.clear()
    app = AppTest.from_file(APP, default_timeout=120).switch_page(f"views/{page}.py")
    app.query_params.update(params)
    app.run()
    assert not app.exception, [e.message for e in app.exception]
    return app


def shown_tables(app: AppTest) -> list[tuple[pd.DataFrame, pd.DataFrame]]:
    """(raw values, shown texts or an empty frame) of every read-only table of ``app``."""
    tables = []
    for table in app.dataframe:
        if table.editing_mode != "read_only":
            continue
        styler = table.proto.arrow_data.styler
        shown = (pa.ipc.open_stream(styler.display_values).read_pandas() if styler.display_values
                 else pd.DataFrame())
        tables.append((table.value, shown))
    return tables


def english_numbers(values: pd.DataFrame, shown: pd.DataFrame) -> list[str]:
    """The numeric cells of ``values`` that the page shows the English way, as « column: text »."""
    wrong = []
    for position, column in enumerate(values.columns):
        if (column in IDENTIFIERS or not pd.api.types.is_numeric_dtype(values[column])
                or pd.api.types.is_bool_dtype(values[column])):
            continue
        texts = (shown.iloc[:, position].astype(str) if not shown.empty
                 else values[column].map(lambda number: f"{number}"))
        for text in texts:
            if NUMBER_TEXT.match(text) and (ENGLISH_DECIMAL.search(text) or UNGROUPED_THOUSANDS.search(text)):
                wrong.append(f"{column}: {text}")
                break
    return wrong


@pytest.mark.parametrize("page", PAGES)
def test_every_table_of_a_pilot_page_writes_numbers_the_french_way(page, demo_home, monkeypatch):
    tables = shown_tables(opened(page, PAGES[page], demo_home, monkeypatch))
    assert tables, f"{page}: no table shown"
    wrong = [cell for values, shown in tables for cell in english_numbers(values, shown)]
    assert not wrong, f"{page}: {wrong}"


@pytest.mark.parametrize("page", PAGES)
def test_no_pilot_page_writes_a_count_with_an_s_in_brackets(page, demo_home, monkeypatch):
    app = opened(page, PAGES[page], demo_home, monkeypatch)
    texts = [element.value for kind in ("markdown", "caption", "info", "warning", "success")
             for element in getattr(app, kind) if hasattr(element, "value")]
    texts += [element.label for element in app.button]
    assert not [text for text in texts if "(s)" in str(text)]
