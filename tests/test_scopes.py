"""The agent's scope in the data layer: a hub can neither read, moderate, fix nor record a request outside its
territory, even by calling the store directly (not through a page).

A Bretagne hub (région 53) and a Normandie hub (région 28) each imported their own file; the national team sees
both. Each test calls ``store`` / ``store.privacy`` as a page would, with another agent's territory.
"""

from __future__ import annotations

import inspect

import pytest
import sqlalchemy as sa
from test_app import HEADER

import store
from core.vocabulary import VALIDATED
from loaders import people
from loaders.pipeline import LoadOptions, load_files
from store import privacy
from store.access import FRANCE, Agent, OutOfScopeError, Scope
from store.schema import consents, erasures, geocoding_fixes, moderation_events

BRETAGNE = Agent("hub@bretagne.fr", "hub", Scope("region", "53"))
NORMANDIE = Agent("hub@normandie.fr", "hub", Scope("region", "28"))
PREFECTURE_35 = Agent("pref@ille-et-vilaine.gouv.fr", "prefecture", Scope("departement", "35"))
NATIONAL_TEAM = Agent("equipe@anct.gouv.fr", "national", FRANCE)
RENNES_ROWS = [
    "01/09/2026 10:00;rennes@x.fr;Médiathèque Rennes;;35000;Rennes;Non;Café IA;Oui;10/09/2026;Oui",
    "01/09/2026 10:03;perdu@x.fr;Lieu perdu;;99999;Renne-sur-Mer;Non;Café IA;Non;;Oui",
]
CAEN_ROWS = [
    "01/09/2026 10:02;caen@x.fr;Espace Caen;;14000;Caen;Non;Café IA;Non;;Oui",
    "01/09/2026 10:04;egare@x.fr;Lieu égaré;;99998;Cane;Non;Café IA;Non;;Oui",
]


@pytest.fixture()
def engine(store_url, gazetteer, tmp_path):
    """Two hubs' imports, each with one placed row and one rejected row that a fix could place."""
    engine = store.connect(store_url)
    for agent, name, rows in ((BRETAGNE, "bretagne.csv", RENNES_ROWS), (NORMANDIE, "normandie.csv", CAEN_ROWS)):
        export = tmp_path / name
        export.write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")
        store.save_import(engine, load_files([export], gazetteer, LoadOptions()), hub=name, imported_by=agent.email)
    yield engine
    engine.dispose()


def _count(engine, table: sa.Table) -> int:
    with engine.connect() as conn:
        return conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one()


def _place_of(engine, email: str) -> tuple[str, str]:
    records = store.read_animators(engine, scope=FRANCE)
    row = records[records["animator_id"] == people.animator_id_of(email)].iloc[0]
    return row["animator_id"], row["place_id"]


@pytest.mark.parametrize("function", [store.read_animators, store.read_batches, store.moderate, store.save_fix,
                                      store.read_rejected_rows, privacy.withdraw_consent, privacy.erase])
def test_every_read_and_write_of_personal_data_asks_for_the_agents_territory(function):
    parameters = inspect.signature(function).parameters
    (territory,) = [parameters[name] for name in ("scope", "agent") if name in parameters]
    assert territory.default is inspect.Parameter.empty


def test_a_hub_reads_only_the_people_and_imports_of_its_territory(engine):
    people = store.read_animators(engine, scope=BRETAGNE.scope, personal=True)
    assert people["email"].tolist() == ["rennes@x.fr"]
    assert store.read_batches(engine, scope=BRETAGNE.scope)["file_name"].tolist() == ["bretagne.csv"]
    assert store.read_batches(engine, scope=PREFECTURE_35.scope)["file_name"].tolist() == ["bretagne.csv"]
    assert sorted(store.read_batches(engine, scope=FRANCE)["file_name"]) == ["bretagne.csv", "normandie.csv"]


def test_a_hub_cannot_moderate_a_record_of_another_territory(engine):
    animator_id, place_id = _place_of(engine, "caen@x.fr")
    decision = store.Decision(animator_id, "cafe-ia", VALIDATED, place_id=place_id)
    with pytest.raises(OutOfScopeError):
        store.moderate(engine, [decision], actor=BRETAGNE.email, scope=BRETAGNE.scope)
    assert _count(engine, moderation_events) == 0
    assert store.moderate(engine, [decision], actor=NORMANDIE.email, scope=NORMANDIE.scope) == 1


def test_a_hub_sees_and_fixes_only_the_rejected_rows_of_its_own_imports(engine):
    assert store.read_rejected_rows(engine, BRETAGNE)["location_text"].str.contains("Renne-sur-Mer").tolist() == [True]
    every_row = store.read_rejected_rows(engine, NATIONAL_TEAM)
    assert len(every_row) == 2
    caen_key = every_row.loc[every_row["file_name"] == "normandie.csv", "location_key"].item()
    with pytest.raises(OutOfScopeError):  # Normandie's row, placed in Bretagne
        store.save_fix(engine, caen_key, "35238", "99998, Cane", agent=BRETAGNE)
    assert _count(engine, geocoding_fixes) == 0
    store.save_fix(engine, caen_key, "14118", "99998, Cane", agent=NORMANDIE)
    assert store.read_rejected_rows(engine, NORMANDIE).empty


def test_a_hub_cannot_place_its_own_row_outside_its_territory(engine):
    rennes_key = store.read_rejected_rows(engine, BRETAGNE)["location_key"].item()
    with pytest.raises(OutOfScopeError):
        store.save_fix(engine, rennes_key, "14118", "99999, Renne-sur-Mer", agent=BRETAGNE)  # Caen
    with pytest.raises(OutOfScopeError):  # a préfecture reads, it does not fix
        store.save_fix(engine, rennes_key, "35238", "99999, Renne-sur-Mer", agent=PREFECTURE_35)
    assert _count(engine, geocoding_fixes) == 0
    store.save_fix(engine, rennes_key, "35238", "99999, Renne-sur-Mer", agent=BRETAGNE)
    assert _count(engine, geocoding_fixes) == 1


@pytest.mark.parametrize("request_kind", ["withdraw", "erase"])
def test_a_hub_cannot_record_a_request_of_a_person_of_another_territory(engine, request_kind):
    def record(agent: Agent) -> str:
        if request_kind == "withdraw":
            return privacy.withdraw_consent(engine, "caen@x.fr", agent.email, scope=agent.scope)
        return privacy.erase(engine, "caen@x.fr", agent.email, "demande reçue par courriel", scope=agent.scope)

    before = _count(engine, consents), _count(engine, erasures)
    with pytest.raises(OutOfScopeError):
        record(BRETAGNE)
    assert (_count(engine, consents), _count(engine, erasures)) == before
    assert record(NORMANDIE) == people.animator_id_of("caen@x.fr")
    assert (_count(engine, consents), _count(engine, erasures)) != before
