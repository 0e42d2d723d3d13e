"""« Contrôler la cartographie » — hubs check new records before they are published, and place rejected rows."""

from __future__ import annotations

import pandas as pd
import streamlit as st

import store
from core.vocabulary import MODERATION_LABELS, PENDING, REFUSED, STATUS_LABELS, VALIDATED
from loaders import people
from store import privacy
from store.access import Agent
from views import chrome, data, signin, url_state
from views.placing import place_rejected_rows
from views.wording import counted

# What a moderator may decide on a row (a person, in one theme, at one place). The person (and their
# training) and each of their places are moderated apart: refusing a place leaves the person's other
# places published, refusing the person hides them in that theme at every place.
VALIDATE, REFUSE_PERSON, REFUSE_PLACE = "validate", "refuse_person", "refuse_place"
DECISIONS = {"": "—", VALIDATE: "Valider", REFUSE_PLACE: "Refuser ce lieu", REFUSE_PERSON: "Refuser la personne"}
DECISION_HELP = ("« Valider » valide la personne et ce lieu. « Refuser ce lieu » retire la personne de ce lieu "
                 "seulement (toutes thématiques) ; « Refuser la personne » la retire de tous ses lieux pour cette "
                 "thématique.")
EDITOR_KEY = "moderation-editor"
SHOWN_ROWS = 500
INTRODUCTION = (
    "Chaque fiche nouvelle ou modifiée attend qu'un hub la vérifie : seules les fiches validées "
    "apparaissent sur la carte publique. Une personne et chacun de ses lieux se vérifient à part : un nouveau lieu "
    "d'une personne déjà validée attend aussi. Un refus demande un motif."
)


def render() -> None:
    batches = data.batches()
    chrome.page_header("Contrôler la cartographie", INTRODUCTION, batches)
    agent = signin.pilot_agent(editing=True)
    _queue(agent)
    place_rejected_rows(agent)
    _requests(agent)
    chrome.footer(batches)


def _queue(agent: Agent) -> None:
    st.subheader("Fiches à vérifier")
    registry = data.themes()
    columns = st.columns(3)
    with columns[0]:
        shown = url_state.choices("Vérification", MODERATION_LABELS, [PENDING], key="verif")
    with columns[1]:
        theme = url_state.choice("Thématique", {"": "Toutes", **{s: registry.get(s).label for s in registry.slugs()}},
                                 "", key="theme")
    with columns[2]:
        departement = url_state.text("Département (code)", key="dep", placeholder="ex. 35")
    records = data.scoped_records(agent.scope)
    if records.empty:
        st.info("Aucune fiche pour l'instant.")
        return
    chosen = records[records["moderation_status"].isin(shown)]
    if theme:
        chosen = chosen[chosen["theme"] == theme]
    if departement:
        chosen = chosen[chosen["departement_code"] == departement.upper()]
    st.caption(counted(len(chosen), "fiche", "fiches") + (f", les {SHOWN_ROWS} premières affichées" if len(chosen) > SHOWN_ROWS
                                            else ""))
    if chosen.empty:
        return
    signin.log_once(agent, "view_personal", "controle", f"fiches {'+'.join(shown)}")
    edited = st.data_editor(
        review_table(chosen.head(SHOWN_ROWS), agent),
        key=EDITOR_KEY,
        hide_index=True,
        width="stretch",
        disabled=[c for c in review_table(chosen.head(0), agent).columns if c not in ("Décision", "Motif")],
        column_config={
            "Décision": st.column_config.SelectboxColumn("Décision", options=list(DECISIONS.values()), required=True,
                                                         help=DECISION_HELP),
            "Motif": st.column_config.TextColumn("Motif", help="Obligatoire pour un refus."),
            "animator_id": None,
            "theme": None,
            "place_id": None,
        },
    )
    decisions = decisions_from(edited)
    problems = [d for d in decisions if d.status == REFUSED and not d.reason.strip()]
    if problems:
        st.warning(f"{len(problems)} refus sans motif : indiquez un motif pour chacun.")
    if st.button(f"Enregistrer {counted(len(decisions), 'décision', 'décisions')}", type="primary",
                 disabled=not decisions or bool(problems)):
        changed = store.moderate(data.engine(), decisions, actor=agent.email, scope=agent.scope)
        data.refresh()
        del st.session_state[EDITOR_KEY]
        st.success(f"{counted(changed, 'fiche mise à jour', 'fiches mises à jour')}.")
        st.rerun()


REQUESTS = {"withdraw": "Retirer son consentement (nom et coordonnées retirés de la carte publique)",
            "erase": "Être effacée (la fiche disparaît ; données supprimées à la prochaine purge)"}


def _requests(agent: Agent) -> None:
    """A person's request about their data, recorded by the hub that received it; effective at once."""
    st.subheader("Demande d'une personne")
    with st.form("privacy-request", clear_on_submit=True):
        who = st.text_input("Adresse e-mail de la personne")
        action = st.radio("Demande", list(REQUESTS), format_func=REQUESTS.get)
        reason = st.text_input("Motif (sans donnée personnelle, conservé)", placeholder="ex. demande reçue par courriel")
        submitted = st.form_submit_button("Enregistrer la demande")
    if not submitted:
        return
    # Only a person of the agent's territory: the same scope as every other read of this page.
    if people.animator_id_of(who) not in set(data.scoped_records(agent.scope)["animator_id"]):
        st.error("Aucune personne de votre périmètre n'a cette adresse e-mail.")
        return
    if action == "erase" and not reason.strip():
        st.error("Indiquez un motif pour un effacement.")
        return
    if action == "withdraw":
        privacy.withdraw_consent(data.engine(), who, recorded_by=agent.email, scope=agent.scope)
    else:
        privacy.erase(data.engine(), who, recorded_by=agent.email, reason=reason.strip(),
                      scope=agent.scope)
    data.refresh()
    st.success("Demande enregistrée : la carte publique en tient compte dès maintenant.")


def review_table(records: pd.DataFrame, agent: Agent) -> pd.DataFrame:
    """What a moderator checks, one row per record (with name and e-mail, read within the agent's scope),
    with empty Décision/Motif columns to fill in."""
    registry = data.themes()
    table = pd.DataFrame({
        "Décision": DECISIONS[""],
        "Motif": "",
        "Structure": records["structure"].fillna(""),
        "Commune": records["commune"] + " (" + records["departement_code"] + ")",
        "Thématique": records["theme"].map(lambda slug: registry.get(slug).label),
        "Formation": records["training_status"].map(STATUS_LABELS),
        "Vérification": records["moderation_status"].map(MODERATION_LABELS),
        "Personne": records["theme_moderation_status"].map(MODERATION_LABELS),
        "Lieu": records["place_moderation_status"].map(MODERATION_LABELS),
        "Dernier motif": records["moderation_reason"].fillna(""),
        "Absente du dernier export": records["absent_from_last_export"].map({True: "oui", False: ""}),
        "animator_id": records["animator_id"],
        "theme": records["theme"],
        "place_id": records["place_id"],
    })
    people = data.personal_details(agent.scope).reindex(records["animator_id"])
    table.insert(3, "Nom", people["full_name"].fillna("").to_numpy())
    table.insert(4, "Courriel", people["email"].fillna("").to_numpy())
    return table.reset_index(drop=True)


def decisions_from(edited: pd.DataFrame) -> list[store.Decision]:
    """The rows where the moderator chose a decision, each judging the person, the place or both."""
    code_of = {label: code for code, label in DECISIONS.items() if code}
    chosen = edited[edited["Décision"].isin(code_of)]
    return [_decision(code_of[row.Décision], row.animator_id, row.theme, row.place_id, str(row.Motif or ""))
            for row in chosen.itertuples(index=False)]


def _decision(code: str, animator_id: str, theme: str, place_id: str, reason: str) -> store.Decision:
    if code == REFUSE_PERSON:
        return store.Decision(animator_id, theme, REFUSED, reason)
    if code == REFUSE_PLACE:
        return store.Decision(animator_id, "", REFUSED, reason, place_id=place_id)
    return store.Decision(animator_id, theme, VALIDATED, reason, place_id=place_id)


# Streamlit runs a page as ``__main__``; importing it (for its helpers) draws nothing.
if __name__ == "__main__":
    render()
