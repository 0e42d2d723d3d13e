"""``python -m carte users add|remove|list``: which agents may open the pilot pages, their role and scope."""

from __future__ import annotations

import argparse
from collections.abc import Sequence

import store
from carte.failures import fail
from geo.reference import load_reference
from loaders._errors import LoaderError
from store import access
from store.schema import ROLES


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m carte users",
        description="Gère les agents autorisés sur les pages de pilotage : rôle et périmètre par adresse e-mail.",
    )
    parser.add_argument("--db", metavar="URL", help="base de données (par défaut : la base SQLite embarquée)")
    actions = parser.add_subparsers(dest="action", required=True, metavar="add|remove|list")
    add = actions.add_parser("add", help="donne (ou change) le rôle et le périmètre d'un agent")
    add.add_argument("email", help="adresse e-mail de connexion (ProConnect)")
    add.add_argument("--role", required=True, choices=ROLES, help="prefecture, hub ou national")
    add.add_argument("--scope", required=True, metavar="PÉRIMÈTRE",
                     help="france, region:CODE (ex. region:53) ou departement:CODE (ex. departement:35)")
    add.add_argument("--by", default="ligne de commande", metavar="QUI", help="qui accorde l'accès (journal)")
    remove = actions.add_parser("remove", help="retire l'accès d'un agent")
    remove.add_argument("email")
    actions.add_parser("list", help="liste les agents")
    return parser


def main(argv: Sequence[str]) -> int:
    args = build_parser().parse_args(argv)
    engine = store.connect(args.db)
    if args.action == "list":
        table = access.read_agents(engine)
        for agent in table.itertuples():
            scope = access.Scope(agent.scope_level, agent.scope_code)
            print(f"{agent.email}\t{agent.role}\t{scope}\t(ajouté le {agent.added_at:%d/%m/%Y} par {agent.added_by})")
        print(f"{len(table)} agent(s).")
        return 0
    if args.action == "remove":
        if not access.remove_agent(engine, args.email):
            return fail(f"aucun agent « {args.email} ».")
        print(f"Accès retiré : {access.normalise_email(args.email)}.")
        return 0
    reference = load_reference()
    try:
        scope = access.Scope.parse(args.scope)
        access.check_agent(args.role, scope, reference.departements.index, reference.regions.index)
    except LoaderError as error:
        return fail(str(error))
    access.add_agent(engine, args.email, args.role, scope, args.by)
    print(f"Accès accordé : {access.normalise_email(args.email)}, rôle {args.role}, {scope.label}.")
    return 0
