"""Command line.

``python -m loaders INPUT... [--out DIR] [--db URL] [--theme SLUG] [--column FIELD=HEADER]... [--hub NAME]
[--form NAME [--full]]`` imports exports; ``python -m loaders migrate-store --from URL --to URL`` copies a
whole store into an empty one (e.g. from the embedded SQLite file to PostgreSQL);
``python -m loaders users add|remove|list`` manages who may open the pilot pages;
``python -m loaders privacy withdraw|erase|purge|retention`` carries out people's requests about their data;
``python -m loaders publish [--out DIR]`` writes the public finder as a static site (store/publish.py).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

import pandas as pd
import sqlalchemy.exc

import store
from geo.reference import load_reference
from loaders import settings
from loaders._errors import LoaderError
from loaders.column_options import parse_column_options
from loaders.geocoding import Gazetteer
from loaders.pipeline import RECORD_COLUMNS, ImportResult, LoadOptions, load_files
from loaders.report import REJECTS_FILE, rejects_table
from loaders.safe_files import write_csv
from store import access, privacy, publish
from store.schema import ROLES

EXIT_UNUSABLE = 2


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m loaders",
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


def build_migrate_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m loaders migrate-store",
        description="Copie toute une base (imports, animateurs, modération, corrections) dans une base vide.",
    )
    parser.add_argument("--from", dest="source", required=True, metavar="URL", help="base d'origine")
    parser.add_argument("--to", dest="target", required=True, metavar="URL", help="base de destination, vide")
    return parser


def build_users_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m loaders users",
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


def build_privacy_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m loaders privacy",
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


def build_publish_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m loaders publish",
        description="Écrit la carte publique « Trouver un animateur » en fichiers statiques, à servir tels quels "
                    "(serveur web, CDN). Les imports, décisions de modération, retraits et effacements suivants "
                    "la réécrivent dans le même dossier.",
    )
    parser.add_argument("--out", type=Path, metavar="DIR",
                        help="dossier de la publication (par défaut : CARTE_PUBLIC_DIR, sinon « public » à côté de "
                             "la base embarquée, que l'application sert à /carte/)")
    parser.add_argument("--db", metavar="URL", help="base de données (par défaut : la base SQLite embarquée)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["migrate-store"]:
        return migrate_store(argv[1:])
    if argv[:1] == ["users"]:
        return manage_users(argv[1:])
    if argv[:1] == ["privacy"]:
        return manage_privacy(argv[1:])
    if argv[:1] == ["publish"]:
        return publish_site(argv[1:])
    return import_files(argv)


def manage_users(argv: Sequence[str]) -> int:
    args = build_users_parser().parse_args(argv)
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
            print(f"Erreur : aucun agent « {args.email} ».", file=sys.stderr)
            return EXIT_UNUSABLE
        print(f"Accès retiré : {access.normalise_email(args.email)}.")
        return 0
    reference = load_reference()
    try:
        scope = access.Scope.parse(args.scope)
        access.check_agent(args.role, scope, reference.departements.index, reference.regions.index)
    except LoaderError as error:
        print(f"Erreur : {error}", file=sys.stderr)
        return EXIT_UNUSABLE
    access.add_agent(engine, args.email, args.role, scope, args.by)
    print(f"Accès accordé : {access.normalise_email(args.email)}, rôle {args.role}, {scope.label}.")
    return 0


def manage_privacy(argv: Sequence[str]) -> int:
    parser = build_privacy_parser()
    args = parser.parse_args(argv)
    if args.action == "retention" and args.months is not None and args.months < 1:
        parser.error("--months demande un nombre de mois, au moins 1")
    engine = store.connect(args.db)
    action = {"withdraw": _withdraw, "erase": _erase, "purge": _purge, "retention": _retention}[args.action]
    try:
        print(action(engine, args))
    except LoaderError as error:
        print(f"Erreur : {error}", file=sys.stderr)
        return EXIT_UNUSABLE
    return 0


def _withdraw(engine: sqlalchemy.Engine, args: argparse.Namespace) -> str:
    animator_id = privacy.withdraw_consent(engine, args.who, args.by, scope=access.FRANCE)
    return f"Consentement retiré ({animator_id}) : nom et coordonnées ne sont plus publiés."


def _erase(engine: sqlalchemy.Engine, args: argparse.Namespace) -> str:
    animator_id = privacy.erase(engine, args.who, args.by, args.reason, scope=access.FRANCE)
    return (f"Personne effacée ({animator_id}) : retirée de la carte et des pages de pilotage. "
            "« python -m loaders privacy purge » supprime ses données pour de bon.")


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


def publish_site(argv: Sequence[str]) -> int:
    args = build_publish_parser().parse_args(argv)
    try:
        done = publish.publish(store.connect(args.db), args.out)
    except publish.PublicationError as error:
        print(f"Erreur : {error}.", file=sys.stderr)
        return EXIT_UNUSABLE
    except sqlalchemy.exc.SQLAlchemyError as error:
        print(f"Erreur : la base de données est inaccessible ({error.__class__.__name__}). "
              "Vérifiez --db ou DATABASE_URL.", file=sys.stderr)
        return EXIT_UNUSABLE
    print(f"Carte publique écrite dans {done.directory} : {done.places} lieu(x), {done.contacts} contact(s) "
          "publié(s) avec consentement. Les prochaines écritures de la base la mettront à jour.")
    return 0


def migrate_store(argv: Sequence[str]) -> int:
    args = build_migrate_parser().parse_args(argv)
    try:
        counts = store.copy_store(store.connect(args.source), store.connect(args.target))
    except ValueError as error:
        print(f"Erreur : {error}.", file=sys.stderr)
        return EXIT_UNUSABLE
    except sqlalchemy.exc.SQLAlchemyError as error:
        print(f"Erreur : une des bases est inaccessible ({error.__class__.__name__}).", file=sys.stderr)
        return EXIT_UNUSABLE
    print("Copié : " + ", ".join(f"{table} {count}" for table, count in counts.items()) + ".")
    return 0


def import_files(argv: Sequence[str]) -> int:
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
        print(f"Erreur : {error}", file=sys.stderr)
        return EXIT_UNUSABLE
    except sqlalchemy.exc.SQLAlchemyError as error:
        print(f"Erreur : la base de données est inaccessible ({error.__class__.__name__}). "
              "Vérifiez --db ou DATABASE_URL.", file=sys.stderr)
        return EXIT_UNUSABLE
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
