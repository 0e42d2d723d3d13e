"""Privacy by design (issue 6 §2): consent withdrawal, erasure, purge, retention, home addresses, uploads.

Store tests take ``store_url`` and run on SQLite and on a real PostgreSQL, each on an empty database.
"""

from __future__ import annotations

import json
import pickle
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa
import streamlit as st
from signin import sign_in
from streamlit.testing.v1 import AppTest

import store
from core.vocabulary import VALIDATED
from loaders import people
from loaders.pipeline import LoadOptions, load_files
from store import privacy
from store.access import FRANCE, Scope
from store.schema import consents, erasures, import_batches, metadata, row_outcomes

HEADER = ("Horodateur;Adresse e-mail;Prénom;Nom;Téléphone;Nom de votre structure;Code postal;Commune;"
          "Thématiques;Formé(e) ?;Consentement")
ANA = "ana.dupont@exemple.fr"
APP = str(Path(__file__).resolve().parent.parent / "app.py")
# Answer dates relative to today: within the default retention of 24 months, and beyond it.
RECENT = (datetime.now() - timedelta(days=30)).replace(second=0, microsecond=0)
OLD = (datetime.now() - timedelta(days=31 * 30)).replace(second=0, microsecond=0)


def answered(when: datetime, email: str = ANA) -> str:
    """Ana's row (or the same answers under another e-mail), answered at ``when``, consent given."""
    return f"{when:%d/%m/%Y %H:%M};{email};Ana;Dupontel;06 11 22 33 44;Médiathèque;35000;Rennes;Café IA;Oui;Oui"


def bob(when: datetime) -> str:
    """Bob's row, answered at ``when``, consent given."""
    return f"{when:%d/%m/%Y %H:%M};bob@exemple.fr;Bob;Martin;;Tiers-lieu;35400;Saint-Malo;Café IA;Oui;Oui"


ANA_ROW = answered(RECENT)
BOB_ROW = bob(RECENT + timedelta(minutes=5))


@pytest.fixture()
def importer(engine, gazetteer, tmp_path):
    """Import rows as one new export file (validated at once unless asked); returns the save outcome."""
    counter = iter(range(1000))

    def run(rows: list[str], *, validate: bool = True, **save_options) -> store.SaveOutcome:
        path = tmp_path / f"export-{next(counter)}.csv"
        path.write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")
        result = load_files([path], gazetteer, LoadOptions(theme="cafe-ia"))
        outcome = store.save_import(engine, result, **save_options)
        if validate:
            records = store.read_animators(engine, scope=FRANCE)
            store.moderate(engine, [store.Decision(a, t, VALIDATED, place_id=p) for a, t, p in
                                    zip(records["animator_id"], records["theme"], records["place_id"])], "hub", scope=FRANCE)
        return outcome

    return run


def ana_id() -> str:
    return people.animator_id_of(ANA)


def contacts(engine) -> pd.DataFrame:
    return store.read_public_contacts(engine, [ana_id(), people.animator_id_of("bob@exemple.fr")])


# --- Consent ----------------------------------------------------------------------------------------


def test_the_id_of_an_email_is_the_loaders(gazetteer, tmp_path):
    path = tmp_path / "export.csv"
    path.write_text(f"{HEADER}\n{answered(RECENT, email='  Ana.Dupont@Exemple.FR')}\n", encoding="utf-8")
    records = load_files([path], gazetteer, LoadOptions(theme="cafe-ia")).records
    assert records["animator_id"].tolist() == [ana_id()]


def test_public_contacts_show_the_name_only_with_a_recorded_consent(importer, engine):
    importer([ANA_ROW, BOB_ROW.replace(";Oui;Oui", ";Oui;Non")])
    shown = contacts(engine)
    assert shown.to_dict("index") == {ana_id(): {"name": "Ana Dupontel", "email": ANA, "phone": "06 11 22 33 44"}}
    # A « yes » that no import brought (no batch) is not a recorded consent.
    with engine.begin() as conn:
        conn.execute(consents.insert(), [{"animator_id": ana_id(), "given": True, "recorded_at": datetime.now(),
                                          "form_version": "saisie à la main", "batch_id": None}])
    assert contacts(engine).empty


def test_withdrawal_hides_contacts_at_once_and_an_old_answer_does_not_give_consent_again(importer, engine):
    importer([ANA_ROW])
    before = store.version(engine)
    assert privacy.withdraw_consent(engine, ANA.upper(), "hub@exemple.gouv.fr", scope=FRANCE) == ana_id()
    assert contacts(engine).empty and store.version(engine) != before
    with engine.connect() as conn:
        latest = conn.execute(sa.select(consents).order_by(consents.c.consent_id.desc())).mappings().first()
    assert (latest["given"], latest["form_version"], latest["batch_id"]) == (False, store.WITHDRAWAL, None)
    # Another export still holding the old « Oui »: consent stays withdrawn, the verdict stays.
    importer([ANA_ROW, BOB_ROW])
    public = store.read_public(engine, personal=True).set_index("animator_id")
    assert not public.loc[ana_id(), "public_consent"] and set(contacts(engine).index) == {
        people.animator_id_of("bob@exemple.fr")}
    # A newer answer gives it again.
    importer([answered(datetime.now() + timedelta(days=1))], validate=False)
    assert contacts(engine).loc[ana_id(), "email"] == ANA


def test_withdrawing_for_an_unknown_person_is_refused(engine):
    with pytest.raises(privacy.UnknownPersonError, match="Aucune personne"):
        privacy.withdraw_consent(engine, "personne@exemple.fr", "hub", scope=FRANCE)


# --- Erasure and purge --------------------------------------------------------------------------------


def test_erasure_hides_everywhere_at_once_and_a_reimport_is_rejected_and_counted(importer, engine):
    importer([ANA_ROW, BOB_ROW])
    before = store.version(engine)
    assert privacy.erase(engine, ANA, "équipe nationale", "demande écrite", scope=FRANCE) == ana_id()
    assert store.version(engine) != before
    for read in (store.read_animators(engine, scope=FRANCE), store.read_animators(engine, personal=True, scope=FRANCE), store.read_public(engine)):
        assert ana_id() not in set(read["animator_id"])
    assert ana_id() not in contacts(engine).index
    with pytest.raises(privacy.UnknownPersonError, match="effacé"):
        privacy.erase(engine, ANA, "équipe nationale", scope=FRANCE)
    with pytest.raises(privacy.UnknownPersonError, match="effacé"):
        privacy.withdraw_consent(engine, ANA, "équipe nationale", scope=FRANCE)

    # Rows 2 and 3 are Ana's (merged into one record), row 4 Bob's newer answer.
    outcome = importer([ANA_ROW, answered(RECENT + timedelta(days=1)), bob(RECENT + timedelta(hours=1))],
                       validate=False)
    assert outcome.erased_rows == 2
    assert ana_id() not in set(store.read_animators(engine, personal=True, scope=FRANCE)["animator_id"])
    today = f"{datetime.now():%d/%m/%Y}"
    with engine.connect() as conn:
        batch = conn.execute(sa.select(import_batches).order_by(import_batches.c.batch_id.desc())).mappings().first()
        outcomes = conn.execute(sa.select(row_outcomes.c.source_row, row_outcomes.c.outcome, row_outcomes.c.reason,
                                          row_outcomes.c.location_text)
                                .where(row_outcomes.c.batch_id == batch["batch_id"])
                                .order_by(row_outcomes.c.source_row)).all()
    reason = f"personne effacée à sa demande le {today} : ligne non importée"
    assert [tuple(row) for row in outcomes] == [(2, "rejected", reason, None), (3, "rejected", reason, None),
                                                (4, "accepted", None, None)]
    assert (batch["rows"], batch["accepted_rows"], batch["rejected_rows"]) == (3, 1, 2)
    report = json.loads(batch["report"])
    assert (report["lignes"], report["lignes_acceptees"], report["lignes_rejetees"]) == (3, 1, 2)


def test_purge_removes_every_personal_value_and_keeps_the_tombstone(importer, engine):
    importer([ANA_ROW, BOB_ROW])
    store.moderate(engine, [store.Decision(ana_id(), "cafe-ia", "refused", "Ana Dupontel injoignable")], "hub", scope=FRANCE)
    privacy.withdraw_consent(engine, ANA, "hub", scope=FRANCE)
    privacy.erase(engine, ANA, "équipe nationale", "demande écrite", scope=FRANCE)
    counts = privacy.purge(engine, "équipe nationale")
    assert counts["erasures"] == 1 and counts["animators"] == 1 and counts["referencings"] == 1
    assert counts["consents"] == 2 and counts["moderation_events"] == 2
    personal = ("ana.dupont", "Dupontel", "06 11 22 33 44")
    with engine.connect() as conn:
        for table in metadata.sorted_tables:
            for row in conn.execute(sa.select(table)).all():
                text = " ".join(str(value) for value in row)
                assert not any(value in text for value in personal), (table.name, text)
        tombstone = conn.execute(sa.select(erasures)).mappings().one()
    assert tombstone["animator_id"] == ana_id() and tombstone["purged_at"] is not None
    assert tombstone["reason"] == "demande écrite"
    assert privacy.purge(engine)["erasures"] == 0
    # After the purge, the tombstone still refuses the person's rows.
    assert importer([ANA_ROW], validate=False).erased_rows == 1
    assert store.read_animators(engine, personal=True, scope=FRANCE)["animator_id"].tolist() == [
        people.animator_id_of("bob@exemple.fr")]


def test_purge_drops_access_log_lines_older_than_twelve_months(engine):
    from store import access
    from store.schema import access_log

    agent = access.Agent("hub@bretagne.fr", "hub", access.Scope("region", "53"))
    access.log_access(engine, agent, "export", "pilotage", "récent.csv")
    access.log_access(engine, agent, "export", "pilotage", "ancien.csv")
    with engine.begin() as conn:
        conn.execute(access_log.update().where(access_log.c.detail == "ancien.csv")
                     .values(at=datetime(2020, 1, 1)))
    assert privacy.purge(engine)["access_log"] == 1
    assert access.read_access_log(engine)["detail"].tolist() == ["récent.csv"]


# --- Retention -----------------------------------------------------------------------------------------


def test_retention_unpublishes_old_records_but_not_demo_or_fresh_ones(importer, engine, monkeypatch):
    importer([answered(OLD, email="old@exemple.fr"), ANA_ROW])
    importer([answered(OLD, email="demo@exemple.fr")], is_demo=True)
    ids = {name: people.animator_id_of(f"{name}@exemple.fr") for name in ("old", "demo")}
    published = store.read_animators(engine, scope=FRANCE).set_index("animator_id")["published"]
    assert published.to_dict() == {ids["old"]: False, ana_id(): True, ids["demo"]: True}
    assert set(store.read_public(engine)["animator_id"]) == {ana_id(), ids["demo"]}
    assert store.read_public_contacts(engine, [ids["old"]]).empty
    overdue = privacy.retention_overdue(engine)
    assert overdue["animator_id"].tolist() == [ids["old"]]
    assert overdue["confirmed_at"].tolist() == [pd.Timestamp(OLD)]
    # Forty-eight months of retention keep it published; a re-confirmation does too.
    monkeypatch.setenv("CARTE_RETENTION_MONTHS", "48")
    assert store.read_animators(engine, scope=FRANCE).set_index("animator_id").loc[ids["old"], "published"]
    assert privacy.retention_overdue(engine).empty
    monkeypatch.delenv("CARTE_RETENTION_MONTHS")
    importer([answered(RECENT, email="old@exemple.fr")])
    assert store.read_animators(engine, scope=FRANCE).set_index("animator_id").loc[ids["old"], "published"]


def test_a_retention_setting_that_is_not_a_number_of_months_is_explained():
    from loaders._errors import ConfigurationError
    from loaders.settings import retention_months

    for value in ("0", "-3", "deux ans", "1.5"):
        with pytest.raises(ConfigurationError, match="CARTE_RETENTION_MONTHS"):
            retention_months({"CARTE_RETENTION_MONTHS": value})


# --- Home addresses ------------------------------------------------------------------------------------


def test_a_home_address_is_placed_at_its_commune_point(gazetteer, tmp_path):
    header = ("Adresse e-mail;Nom de votre structure;Type de structure;Code postal;Commune;Latitude;Longitude;"
              "Thématiques")
    point = "43.6000;3.8900"  # in Montpellier, away from its reference point
    rows = [f"a@x.fr;;;;;{point};Café IA", f"b@x.fr;Médiathèque;Publique;;;{point};Café IA",
            f"c@x.fr;Chez moi;Indépendant·e;;;{point};Café IA", f"d@x.fr;PARTICULIER;;;;{point};Café IA",
            f"e@x.fr;Association d'aide à domicile;Association;;;{point};Café IA",
            # Coordinates in Paris, far from the commune named: ignored, and not kept in the note either.
            "f@x.fr;Néant;;34000;Montpellier;48.85660;2.35220;Café IA"]
    path = tmp_path / "export.csv"
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    records = load_files([path], gazetteer).records.set_index("email")
    lon, lat = gazetteer.point_of["34172"]
    homes = records.loc[["a@x.fr", "c@x.fr", "d@x.fr"]]
    assert (homes["insee_code"] == "34172").all() and (homes["geocode_precision"] == "commune").all()
    assert homes["lat"].tolist() == [lat] * 3 and homes["lon"].tolist() == [lon] * 3
    assert homes["geocode_note"].str.endswith(people.HOME_NOTE).all()
    ignored = records.loc["f@x.fr"]
    assert ignored["insee_code"] == "34172" and ignored["geocode_precision"] == "commune"
    assert "48.8566" not in ignored["geocode_note"] and people.HIDDEN_POINT in ignored["geocode_note"]
    organisations = records.loc[["b@x.fr", "e@x.fr"]]
    assert (organisations["geocode_precision"] == "coordinates").all()
    assert organisations["lat"].tolist() == [43.6, 43.6] and organisations["lon"].tolist() == [3.89, 3.89]


# --- Command line ----------------------------------------------------------------------------------------


def privacy_command(url: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "carte", "privacy", "--db", url, *args],
                          capture_output=True, text=True, cwd=Path(__file__).resolve().parent.parent)


def test_privacy_commands(store_url, importer, engine):
    importer([ANA_ROW, answered(OLD, email="old@exemple.fr")])
    unknown = privacy_command(store_url, "withdraw", "personne@exemple.fr")
    assert unknown.returncode == 2 and "Aucune personne « personne@exemple.fr »" in unknown.stderr
    assert "Traceback" not in unknown.stderr

    withdrawn = privacy_command(store_url, "withdraw", ANA)
    assert withdrawn.returncode == 0 and "Consentement retiré" in withdrawn.stdout
    assert contacts(engine).empty

    retention = privacy_command(store_url, "retention")
    assert retention.returncode == 0, retention.stderr
    assert people.animator_id_of("old@exemple.fr") in retention.stdout
    assert "1 fiche(s) non reconfirmée(s) depuis 24 mois" in retention.stdout

    erased = privacy_command(store_url, "erase", ANA, "--reason", "demande écrite")
    assert erased.returncode == 0 and "Personne effacée" in erased.stdout
    again = privacy_command(store_url, "erase", ANA, "--reason", "demande écrite")
    assert again.returncode == 2 and "effacé" in again.stderr and "Traceback" not in again.stderr

    purged = privacy_command(store_url, "purge")
    assert purged.returncode == 0 and "Purge : 1 personne(s)" in purged.stdout
    assert ana_id() not in set(store.read_animators(engine, personal=True, scope=FRANCE)["animator_id"])


# --- Uploads are not kept ----------------------------------------------------------------------------------

MARKER = "fichier.depose@exemple.fr"


def holds(value: object, marker: str) -> bool:
    """Whether ``value`` (an uploaded file, bytes, tables, anything picklable) contains ``marker``."""
    try:
        return marker.encode() in pickle.dumps(value)
    except Exception:  # an unpicklable value is searched through its text
        return marker in repr(value)


def test_uploaded_bytes_are_dropped_after_the_import(store_home, monkeypatch):
    monkeypatch.setenv("CARTE_TILES_URL", "")
    st.cache_data.clear()
    st.cache_resource.clear()
    app = sign_in(AppTest.from_file(APP, default_timeout=120), "hub@bretagne.fr", "hub", Scope("region", "53"))
    app = app.run().switch_page("views/importer.py").run()
    content = f"{HEADER}\n{answered(RECENT, email=MARKER)}\n".encode()
    app.file_uploader[0].set_value([("export.csv", content, "text/csv")])
    app.run()
    state = app.session_state
    assert any(holds(state[key], MARKER) for key in state.keys())  # the check sees an upload
    app.main.button[0].click().run()
    assert not app.exception
    assert len(store.read_batches(store.connect(), scope=FRANCE)) == 1
    assert not [key for key in state.keys() if holds(state[key], MARKER)]
