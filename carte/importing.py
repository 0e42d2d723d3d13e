"""``python -m carte import INPUT... [--out DIR] [--db URL] [--theme SLUG] [--column FIELD=HEADER]... [--hub NAME]
[--form NAME [--full]]``: reads exports, places their rows on communes and saves them in the store."""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from pathlib import Path

import sqlalchemy.exc

import store
from carte.failures import fail, unreachable_database
from geo.reference import load_reference
from loaders._errors import LoaderError
from loaders.column_options import parse_column_options
from loaders.geocoding import Gazetteer
from loaders.pipeline import RECORD_COLUMNS, ImportResult, LoadOptions, load_files
from loaders.report import REJECTS_FILE, rejects_table
from loaders.safe_files import write_csv


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m carte import",
        description="Importe des exports de formulaires de référencement d'animateurs et les place sur les communes.",
    )
    parser.add_argument("inputs", nargs="+", metavar="INPUT", help="fichiers CSV, XLSX ou JSON")
    parser.add_argument("--out", type=Path, metavar="DIR", help="écrit animateurs.csv, rejets.csv et rapport.json")
    parser.add_argument("--db", metavar="URL", help="base de données (par défaut : la base SQLite embarquée)")
    parser.add_argument("--theme", metavar="SLUG", help="thématique du formulaire (ex. cafe-ia)")
    parser.add_argument("--column", action="append", default=[], metavar="FIELD=HEADER",
                        help="force la colonne d'un champ, ex. --column postcode=\"CP\"")
    parser.add_argument("--profile", metavar="NAME", help="profil de colonnes de data/profiles/NAME.toml")
    parser.add_argument("--demo", action="store_true", help="marque l'import comme données de démonstration")
    parser.add_argument("--hub", default="", metavar="NAME", help="hub qui importe (page Pilotage)")
    parser.add_argument("--form", default="", metavar="NAME", help="nom du formulaire d'où vient l'export")
    parser.add_argument("--full", action="store_true",
                        help="l'export contient toutes les réponses du formulaire (--form) : les fiches absentes "
                             "sont signalées « absent du dernier export » et dépubliées")
    return parser


def main(argv: Sequence[str]) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.full and not args.form:
        parser.error("--full demande --form (le nom du formulaire dont l'export est complet)")
    try:
        engine = store.connect(args.db)
        options = LoadOptions(theme=args.theme, columns=parse_column_options(args.column), profile=args.profile,
                              fixes=store.fix_map(engine))
        result = load_files(args.inputs, Gazetteer(load_reference()), options)
        saved = store.save_import(engine, result, is_demo=args.demo, hub=args.hub, form=args.form,
                                  full_export=args.full)
    except LoaderError as error:
        return fail(str(error))
    except sqlalchemy.exc.SQLAlchemyError as error:
        return unreachable_database(error)
    if args.out:
        write_outputs(result, args.out)
    print(summary(result, saved))
    return 0


def write_outputs(result: ImportResult, folder: Path) -> None:
    """Write ``animateurs.csv``, ``rejets.csv`` (:mod:`loaders.report`) and ``rapport.json`` into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    write_csv(result.records[list(RECORD_COLUMNS)], folder / "animateurs.csv")
    write_csv(rejects_table(result), folder / REJECTS_FILE)
    (folder / "rapport.json").write_text(json.dumps(result.report(), ensure_ascii=False, indent=2), encoding="utf-8")


def summary(result: ImportResult, saved: store.SaveOutcome) -> str:
    report = result.report()
    lines = [
        f"{report['lignes']} lignes lues : {report['lignes_acceptees']} acceptées, "
        f"{report['lignes_rejetees']} rejetées ; {report['fiches']} fiches pour {report['animateurs']} animateurs "
        f"en {report['lieux']} lieux.",
    ]
    if saved.imported:
        lines.append("Importé dans la base : " + ", ".join(saved.imported) + ".")
    if saved.already_imported:
        lines.append("Déjà importé, rien de changé : " + ", ".join(saved.already_imported) + ".")
    if saved.marked_absent:
        lines.append(f"{saved.marked_absent} fiche(s) absente(s) de cet export complet : dépubliée(s), pas supprimée(s).")
    if saved.closed_places:
        lines.append(f"{saved.closed_places} lieu(x) d'animateurs encore présents que cet export complet ne cite plus : "
                     "fermé(s) à cette date, pas supprimé(s).")
    if saved.erased_rows:
        lines.append(f"{saved.erased_rows} ligne(s) de personne(s) effacée(s) à leur demande : non importée(s), "
                     "comptée(s) comme rejetée(s) dans la base.")
    return "\n".join(lines)
