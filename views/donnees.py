"""« Données personnelles » — for everyone: what the map stores about people, why, for how long, who sees it.

The figures come from the running configuration (the retention period, ``CARTE_RETENTION_MONTHS``)
so that the page never states a period the store does not apply; so do the data controller and the
address to write to (``CARTE_CONTROLLER_NAME``, ``CARTE_PRIVACY_CONTACT``), whose placeholders say they
must be set. The rules themselves live in
:mod:`store.privacy` and docs/data-model.md.
"""

from __future__ import annotations

import re

import streamlit as st

from loaders import settings
from loaders._errors import ConfigurationError
from store.privacy import ACCESS_LOG_MONTHS
from views import chrome, data
from views.safe_html import escape

INTRODUCTION = (
    "La carte recense les animateur·rices du numérique référencé·es par les hubs, pour que chacun trouve un "
    "atelier près de chez soi et que les préfectures et les hubs organisent les formations. Voici ce qu'elle "
    "conserve sur les personnes, pourquoi, combien de temps, et qui le voit."
)

# Only plain addresses become a mailto link: nothing in them can close the Markdown link.
EMAIL_ADDRESS = re.compile(r"[A-Za-z0-9.%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
UNCONFIGURED_WARNING = (
    "Réglages de démonstration : le responsable de traitement et l'adresse ci-dessous sont à remplacer. "
    f"En production, l'exploitant renseigne {settings.CONTROLLER_ENV} et {settings.PRIVACY_CONTACT_ENV}."
)


def contact_text(contact: settings.PrivacyContact) -> str:
    """Who is responsible for the data and where to write, in Markdown (the settings are escaped)."""
    return (
        "### Responsable de traitement et contact\n\n"
        f"Responsable de traitement : **{escape(contact.controller)}**.\n\n"
        f"Écrire à : {_address(contact.contact)}, pour consulter, corriger ou effacer vos données, ou retirer "
        "votre accord de publication."
    )


def _address(contact: str) -> str:
    if EMAIL_ADDRESS.fullmatch(contact):
        return f"[{contact}](mailto:{contact})"
    return escape(contact)


def stored_data_table(retention_months: int) -> str:
    """The table « what, why, for how long, who sees it », in Markdown."""
    rows = [
        ("Chacun de vos lieux d'activité (structure, type de structure, commune), thématiques, statut et date "
         "de formation, conseiller·ère numérique",
         "Montrer où trouver un·e animateur·rice formé·e",
         f"Publiées tant que la fiche est reconfirmée : sans nouvelle réponse au formulaire depuis "
         f"{retention_months} mois, la fiche est retirée de la carte",
         "Tout le monde, une fois la fiche et chaque lieu vérifiés par le hub"),
        ("Nom, prénom, courriel, téléphone",
         "Vous mettre en relation avec les personnes qui cherchent un atelier ; préparer les formations",
         "Jusqu'au retrait de votre accord ou à l'effacement",
         "Le public seulement si votre accord est enregistré ; les agents de la préfecture et du hub de votre "
         "territoire et l'équipe nationale, après connexion"),
        ("Adresse, code postal, coordonnées GPS",
         "Placer la fiche sur sa commune",
         "Comme la fiche. Une adresse de domicile (sans structure, ou structure « particulier », "
         "« indépendant·e »…) est placée au point de la commune : les coordonnées du domicile ne sont pas "
         "conservées",
         "Les agents de votre territoire ; le public ne voit que la commune"),
        ("Votre accord de publication : réponse, date, version du formulaire, import qui l'a apporté",
         "Prouver votre accord, ou son retrait",
         "Comme la fiche",
         "Les agents de votre territoire et l'équipe nationale"),
        ("Rapport de chaque import : fichier, numéro de ligne, verdict et motif de rejet",
         "Rendre compte de chaque ligne reçue, rien de perdu ni de caché",
         "Tant que la carte existe ; il ne contient ni nom, ni courriel, ni téléphone des fiches importées",
         "Le hub qui a importé et l'équipe nationale"),
        ("Journal des accès : qui (courriel de l'agent), quand, avec quel périmètre, quelle page ou quel export",
         "Contrôler l'usage des données personnelles",
         f"{ACCESS_LOG_MONTHS} mois (supprimé par la purge)",
         "L'équipe nationale"),
        ("Demande d'effacement : empreinte (hachage) de votre identifiant, date, motif",
         "Ne plus jamais réimporter une personne qui a demandé l'effacement",
         "Sans limite : elle ne contient ni nom, ni courriel",
         "L'équipe nationale"),
    ]
    lines = ["| Donnée | Pourquoi | Combien de temps | Qui la voit |", "| --- | --- | --- | --- |"]
    lines += [f"| {what} | {why} | {how_long} | {who} |" for what, why, how_long, who in rows]
    return "\n".join(lines)


def retention_text(retention_months: int) -> str:
    """The retention rule, with the period the store applies."""
    return (
        f"**Durée de conservation : {retention_months} mois.** Une fiche qui n'a pas été reconfirmée par une "
        f"nouvelle réponse au formulaire depuis {retention_months} mois n'est plus publiée ; le hub peut vous "
        "demander de répondre de nouveau. Les données de démonstration, fictives, ne sont pas concernées."
    )


RIGHTS = """
### Votre accord, son retrait, l'effacement

- **Nom, courriel et téléphone ne sont publiés qu'avec votre accord**, donné dans le formulaire de
  référencement et enregistré avec sa date, la version du formulaire et l'import qui l'a apporté.
- **Retirer votre accord** : écrivez à l'adresse ci-dessus, ou au hub qui vous a référencé·e. Vos
  coordonnées disparaissent de la carte publique dès l'enregistrement du retrait. Une ancienne réponse
  réimportée ne vous republie pas : seule une nouvelle réponse au formulaire le peut.
- **Demander l'effacement** : même démarche. Vous disparaissez aussitôt de la carte et des pages des agents,
  à chacun de vos lieux ; vos données sont ensuite supprimées définitivement. Si un export contient encore vos
  anciennes réponses, elles sont refusées à l'import.
- Vous pouvez aussi demander à consulter ou corriger vos données, et saisir la CNIL (www.cnil.fr).

### Fichiers déposés

Les fichiers d'export déposés par les hubs ne sont pas conservés après l'import : seuls le rapport de l'import
et le verdict de chaque ligne (acceptée, fusionnée ou rejetée, avec son motif) le sont.

### Accès des agents

Les pages des préfectures et des hubs demandent une connexion (ProConnect). Chaque agent ne voit que son
territoire (une personne à plusieurs lieux, seulement à ceux qui s'y trouvent), et chaque consultation de données personnelles ou export est inscrit au journal des accès,
conservé {months} mois.

### Base légale

La carte relève d'une mission d'intérêt public : l'inclusion numérique (RGPD, article 6-1-e). La publication
de votre nom et de vos coordonnées repose sur votre consentement (article 6-1-a), que vous pouvez retirer à
tout moment.
"""


def render() -> None:
    batches = data.batches()
    chrome.page_header("Données personnelles", INTRODUCTION, batches)
    try:
        months = settings.retention_months()
    except ConfigurationError as error:
        st.error(str(error))
        return
    contact = settings.privacy_contact()
    if not contact.configured:
        st.warning(UNCONFIGURED_WARNING)
    st.markdown(contact_text(contact))
    st.markdown(retention_text(months))
    st.markdown(stored_data_table(months))
    st.markdown(RIGHTS.format(months=ACCESS_LOG_MONTHS))
    chrome.footer(batches)


# Streamlit runs a page as ``__main__``; importing it (for its helpers) draws nothing.
if __name__ == "__main__":
    render()
