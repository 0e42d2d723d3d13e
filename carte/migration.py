"""``python -m carte migrate-store --from URL --to URL``: a whole store copied into an empty one (e.g. the
embedded SQLite file into PostgreSQL)."""

from __future__ import annotations

import argparse
from collections.abc import Sequence

import sqlalchemy.exc

import store
from carte.failures import fail


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m carte migrate-store",
        description="Copie toute une base (imports, animateurs, modération, corrections) dans une base vide.",
    )
    parser.add_argument("--from", dest="source", required=True, metavar="URL", help="base d'origine")
    parser.add_argument("--to", dest="target", required=True, metavar="URL", help="base de destination, vide")
    return parser


def main(argv: Sequence[str]) -> int:
    args = build_parser().parse_args(argv)
    try:
        counts = store.copy_store(store.connect(args.source), store.connect(args.target))
    except ValueError as error:
        return fail(f"{error}.")
    except sqlalchemy.exc.SQLAlchemyError as error:
        return fail(f"une des bases est inaccessible ({error.__class__.__name__}).")
    print("Copié : " + ", ".join(f"{table} {count}" for table, count in counts.items()) + ".")
    return 0
