"""``python -m carte privacy withdraw|erase|purge|retention``: people's requests about their data, carried out."""

from __future__ import annotations

import argparse
from collections.abc import Sequence

import pandas as pd
import sqlalchemy

import store
from carte.failures import fail
from loaders import settings
from loaders._errors import LoaderError
from store import access, privacy


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m carte privacy",
        description="Données personnelles : retrait du consentement, effacement à la demande, purge, conservation.",
    )
    parser.add_argument("--db", metavar="URL", help="base de données (par défaut : la base SQLite embarquée)")
    parser.add_argument("--by", default="ligne de commande", metavar="QUI", help="qui enregistre la demande (journal)")
    actions = parser.add_subparsers(dest="action", required=True, metavar="withdraw|erase|purge|retention")
    withdraw = actions.add_parser("withdraw", help="retire le consentement à publier nom et coordonnées")
    withdraw.add_argument("who", metavar="QUI", help="adresse e-mail ou identifiant de la personne")
    erase = actions.add_parser("erase", help="efface une personne à sa demande (retirée à l'instant de la carte)")
    erase.add_argument("who", metavar="QUI", help="adresse e-mail ou identifiant de la personne")
    erase.add_argument("--reason", required=True, metavar="TEXTE",
                       help="motif, en quelques mots et sans donnée personnelle (il est conservé)")
    actions.add_parser("purge", help="supprime définitivement les données des personnes effacées")
    retention = actions.add_parser("retention", help="liste les fiches non reconfirmées, dépubliées")
    retention.add_argument("--months", type=int, metavar="MOIS",
                           help="durée de conservation (par défaut : CARTE_RETENTION_MONTHS, 24 mois)")
    return parser


def main(argv: Sequence[str]) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.action == "retention" and args.months is not None and args.months < 1:
        parser.error("--months demande un nombre de mois, au moins 1")
    engine = store.connect(args.db)
    action = {"withdraw": _withdraw, "erase": _erase, "purge": _purge, "retention": _retention}[args.action]
    try:
        print(action(engine, args))
    except LoaderError as error:
        return fail(str(error))
    return 0
def _withdraw(engine: sqlalchemy.Engine, args: argparse.Namespace) -> str:
    animator_id = privacy.withdraw_consent(engine, args.who, args.by, scope=access.FRANCE)
    return f"Consentement retiré ({animator_id}) : nom et coordonnées ne sont plus publiés."


def _erase(engine: sqlalchemy.Engine, args: argparse.Namespace) -> str:
    animator_id = privacy.erase(engine, args.who, args.by, args.reason, scope=access.FRANCE)
    return (f"Personne effacée ({animator_id}) : retirée de la carte et des pages de pilotage. "
            "« python -m carte privacy purge » supprime ses données pour de bon.")


def _purge(engine: sqlalchemy.Engine, args: argparse.Namespace) -> str:
    counts = privacy.purge(engine, args.by)
    persons = counts.pop("erasures")
    return (f"Purge : {persons} personne(s) ; lignes supprimées : "
            + ", ".join(f"{table} {count}" for table, count in counts.items()) + ".")


def _retention(engine: sqlalchemy.Engine, args: argparse.Namespace) -> str:
    months = args.months or settings.retention_months()
    overdue = privacy.retention_overdue(engine, months)
    lines = [
        f"{record.animator_id}\t{record.theme}\t{record.departement_code} {record.commune}\tconfirmée : "
        f"{'jamais' if pd.isna(record.confirmed_at) else format(record.confirmed_at, '%d/%m/%Y')}\t"
        f"{record.form or '(formulaire sans nom)'}"
        for record in overdue.itertuples()
    ]
    return "\n".join([*lines, f"{len(overdue)} fiche(s) non reconfirmée(s) depuis {months} mois : dépubliée(s)."])
