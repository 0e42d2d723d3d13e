"""``python -m carte publish [--out DIR] [--db URL]``: the public finder written as a static site
(:mod:`store.publish`)."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path

import sqlalchemy.exc

import store
from carte.failures import fail, unreachable_database
from store import publish


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m carte publish",
        description="Écrit la carte publique « Trouver un animateur » en fichiers statiques, à servir tels quels "
                    "(serveur web, CDN). Les imports, décisions de modération, retraits et effacements suivants "
                    "la réécrivent dans le même dossier.",
    )
    parser.add_argument("--out", type=Path, metavar="DIR",
                        help="dossier de la publication (par défaut : CARTE_PUBLIC_DIR, sinon « public » à côté de "
                             "la base embarquée, que l'application sert à /carte/)")
    parser.add_argument("--db", metavar="URL", help="base de données (par défaut : la base SQLite embarquée)")
    return parser


def main(argv: Sequence[str]) -> int:
    args = build_parser().parse_args(argv)
    try:
        done = publish.publish(store.connect(args.db), args.out)
    except publish.PublicationError as error:
        return fail(f"{error}.")
    except sqlalchemy.exc.SQLAlchemyError as error:
        return unreachable_database(error)
    print(f"Carte publique écrite dans {done.directory} : {done.places} lieu(x), {done.contacts} contact(s) "
          "publié(s) avec consentement. Les prochaines écritures de la base la mettront à jour.")
    return 0
