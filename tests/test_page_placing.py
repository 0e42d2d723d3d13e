"""« Lignes rejetées à placer » on « Contrôler la cartographie »: what a hub is offered (AppTest, real store).

The export holds the rejected rows a real export gives: a row without any location, a row in
Nouvelle-Calédonie (outside the reference geography), rows with a postcode and a street besides an
unknown commune or no commune at all, and a row whose commune is misspelt.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from loaders import store
from loaders.access import Scope
from loaders.fixes import EMPTY_LOCATION_KEY
from loaders.pipeline import LoadOptions, load_files
from signin import sign_in

APP = str(Path(__file__).resolve().parent.parent / "app.py")
HUB = "hub@bretagne.fr"
EXPORT = (
    "Horodateur;Adresse e-mail;Nom de votre structure;Adresse;Code postal;Commune;Thématiques;Formé(e) ?;"
    "Consentement\n"
    "01/09/2026 10:00;a@x.fr;Médiathèque A;1 place de la Mairie;35000;Rennes;Café IA;Oui;Oui\n"
    "01/09/2026 10:01;b@x.fr;Sans lieu B;;;;Café IA;Oui;Oui\n"
    "01/09/2026 10:02;c@x.fr;Case C;45 avenue de la Libération;98800;Nouméa;Café IA;Oui;Oui\n"
    "01/09/2026 10:03;d@x.fr;Tiers-lieu D;32 rue de la Gare;32100;Xyzville;Café IA;Oui;Oui\n"
    "01/09/2026 10:04;e@x.fr;Espace E;32 rue de la Gare;32100;;Café IA;Oui;Oui\n"
    "01/09/2026 10:05;f@x.fr;Atelier F;;99999;Renne;Café IA;Oui;Oui\n"
    "01/09/2026 10:06;g@x.fr;;;35400;Saint-Malo;Café IA;;\n"
)
# Spreadsheet rows (header = 1) of the rejected rows.
NO_LOCATION, NOUMEA, UNKNOWN_COMMUNE, NO_COMMUNE, MISSPELT = 3, 4, 5, 6, 7
MISSING_AS_TEXT = re.compile(r"\b(nan|none|null|undefined)\b", re.IGNORECASE)


@pytest.fixture()
def page(store_home, tmp_path, gazetteer, monkeypatch):
    monkeypatch.setenv("CARTE_TILES_URL", "")
    export = tmp_path / "export.csv"
    export.write_text(EXPORT, encoding="utf-8")
    store.save_import(store.connect(), load_files([export], gazetteer, LoadOptions()), hub="Bretagne",
                      imported_by=HUB)
    st.cache_data.clear()
    st.cache_resource.clear()
    app = AppTest.from_file(APP, default_timeout=120)
    app.switch_page("views/controle.py")
    return sign_in(app, HUB, "hub", Scope("region", "53")).run()


def row_choice(app: AppTest):
    return next(s for s in app.selectbox if s.label == "Ligne à placer")


def choose_row(app: AppTest, source_row: int) -> AppTest:
    """Pick the rejected row of that spreadsheet row (of the only import) in « Ligne à placer »."""
    batch_id = int(store.read_batches(store.connect())["batch_id"].item())
    choice = row_choice(app)
    value = f"{batch_id}:{source_row}"
    assert f"ligne {source_row} " in choice.format_func(value)
    return choice.set_value(value).run()


def search_box(app: AppTest):
    return next(t for t in app.text_input if t.label == "Commune (nom ou code postal)")


def shown_texts(app: AppTest) -> list[str]:
    """Every text the page shows: messages, labels, options, pre-filled values, table cells."""
    texts = [e.value for kind in ("markdown", "caption", "info", "warning", "success", "error", "subheader")
             for e in app.get(kind)]
    texts += [w.label for w in [*app.selectbox, *app.text_input, *app.button]]
    texts += [option for s in app.selectbox for option in s.options]
    texts += [t.value or "" for t in app.text_input]
    for frame in app.dataframe:
        texts += [str(cell) for cell in frame.value.astype(str).to_numpy().ravel()]
    return texts


def test_no_missing_value_is_shown_as_text(page):
    assert not page.exception
    # The record of row 8 has no structure, training status nor consent: the moderation table shows blanks.
    assert len(next(f.value for f in page.dataframe if "Structure" in f.value.columns)) == 2
    for source_row in (UNKNOWN_COMMUNE, NO_COMMUNE, MISSPELT):
        choose_row(page, source_row)
        assert not page.exception
        leaks = [text for text in shown_texts(page) if MISSING_AS_TEXT.search(text)]
        assert not leaks, f"ligne {source_row}: {leaks}"


def test_rows_that_cannot_be_placed_are_not_offered_but_listed_with_their_reason(page):
    offered = row_choice(page).options
    assert not [o for o in offered if f"ligne {NO_LOCATION} " in o or f"ligne {NOUMEA} " in o]
    assert [o for o in offered if f"ligne {UNKNOWN_COMMUNE} " in o]
    assert not [b for b in page.button if "Nantes" in b.label]
    listed = next(f.value for f in page.dataframe if "Pourquoi elle ne peut pas être placée" in f.value.columns)
    why = dict(zip(listed["Ligne"], listed["Pourquoi elle ne peut pas être placée"], strict=True))
    assert set(why) == {NO_LOCATION, NOUMEA}
    assert "aucun lieu" in why[NO_LOCATION].lower()
    assert "Nouvelle-Calédonie" in why[NOUMEA] and "référentiel" in why[NOUMEA]


def test_the_search_is_prefilled_from_postcode_and_commune_never_from_the_street(page, reference):
    choose_row(page, UNKNOWN_COMMUNE)
    assert search_box(page).value == "32100 Xyzville"
    # No commune is called Xyzville: every commune of the postcode is proposed, before anything else.
    of_postcode = reference.postcodes.loc[reference.postcodes["postcode"] == "32100", "insee_code"]
    names = reference.communes.loc[of_postcode, "nom"]
    proposed = next(s for s in page.selectbox if s.label == "Commune proposée").options
    assert {label.split(" (")[0] for label in proposed[:len(names)]} == set(names)
    choose_row(page, NO_COMMUNE)
    assert search_box(page).value == "32100"
    choose_row(page, MISSPELT)
    assert search_box(page).value == "99999 Renne"
    assert [b.label for b in page.button if b.label.startswith("Placer")] == ["Placer cette ligne à Rennes (35)"]


def test_a_fix_on_the_key_of_rows_without_location_is_never_applied(gazetteer, tmp_path):
    export = tmp_path / "export.csv"
    export.write_text(EXPORT, encoding="utf-8")
    result = load_files([export], gazetteer, LoadOptions(fixes={EMPTY_LOCATION_KEY: "44109"}))
    assert NO_LOCATION in set(result.rejects["source_row"])
    assert "Nantes" not in set(result.records["commune"])
