"""``python -m carte coverage …`` and ``python -m carte plan …``: coverage indicators and training plans as files.

The records come from the loader's ``animateurs.csv`` or, with ``--db``, from the store.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path

import geopandas as gpd
import pandas as pd

import store
from carte.failures import fail
from geo.aggregates import LEVELS, STATUSES, territory_aggregates
from geo.coverage import DEFAULT_RADIUS_KM, commune_indicators
from geo.planning import SHORTFALL_NOTES, coverage_sites, session_sites
from geo.reference import ReferenceGeography, load_reference
from loaders._errors import LoaderError
from loaders.read import read_table
from loaders.safe_files import write_csv
from store.access import FRANCE

COMMUNE_COLUMNS = ("commune", "epci_code", "departement_code", "population", "nearest_km", "animators_within_km",
                   "covered", "accessibility_per_10k")
GEOJSON_TOLERANCE_DEGREES = 0.002  # about 200 m: enough for a national or regional map


def build_coverage_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m carte coverage",
                                     description="Indicateurs de couverture par commune et territoire.")
    _add_source(parser)
    parser.add_argument("--theme", action="append", default=[], metavar="SLUG", help="thématique (répétable)")
    parser.add_argument("--status", action="append", default=[], choices=STATUSES,
                        help="statut des animateurs qui couvrent (défaut : trained)")
    return parser


def build_plan_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m carte plan",
                                     description="Où former ou placer de nouveaux animateurs.")
    _add_source(parser)
    parser.add_argument("--sites", type=int, required=True, metavar="K", help="nombre de sites à choisir")
    parser.add_argument("--mode", choices=("coverage", "sessions"), default="coverage")
    parser.add_argument("--scope", metavar="dep:XX|reg:XX", help="territoire (département ou région)")
    parser.add_argument("--theme", action="append", default=[], metavar="SLUG", help="thématique (répétable)")
    parser.add_argument("--any-commune", action="store_true",
                        help="toute commune est candidate (par défaut : celles qui ont un animateur à former)")
    return parser


def _add_source(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("animateurs", nargs="?", type=Path, metavar="ANIMATEURS_CSV")
    parser.add_argument("--db", metavar="URL", help="lire la base au lieu d'un fichier animateurs.csv")
    parser.add_argument("--out", type=Path, required=True, metavar="DIR")
    parser.add_argument("--radius-km", type=float, default=DEFAULT_RADIUS_KM)


def coverage_main(argv: Sequence[str]) -> int:
    args = build_coverage_parser().parse_args(argv)
    try:
        records = _records(args)
    except ValueError as error:
        return fail(str(error))
    args.out.mkdir(parents=True, exist_ok=True)
    write_coverage(load_reference(), records, args.out, args.status or ["trained"], args.radius_km)
    print(f"Résultats écrits dans {args.out}")
    return 0


def plan_main(argv: Sequence[str]) -> int:
    args = build_plan_parser().parse_args(argv)
    try:
        records = _records(args)
        reference = load_reference()
        args.out.mkdir(parents=True, exist_ok=True)
        write_plan(reference, records, args)
    except ValueError as error:
        return fail(str(error))
    print(f"Résultats écrits dans {args.out}")
    return 0


def _records(args: argparse.Namespace) -> pd.DataFrame:
    if args.db:
        table = store.read_animators(store.connect(args.db), scope=FRANCE)
    elif args.animateurs:
        try:
            table = read_table(args.animateurs).frame
        except LoaderError as error:
            raise ValueError(str(error)) from error
    else:
        raise ValueError("indiquez le fichier animateurs.csv ou --db URL")
    missing = {"animator_id", "theme", "training_status", "insee_code", "lat", "lon"} - set(table.columns)
    if missing:
        raise ValueError(f"colonnes absentes : {', '.join(sorted(missing))} (attendu : animateurs.csv du chargeur)")
    table = table.assign(lat=pd.to_numeric(table["lat"]), lon=pd.to_numeric(table["lon"]))
    if args.theme:
        table = table[table["theme"].isin(args.theme)]
    return table.reset_index(drop=True)


def write_coverage(reference: ReferenceGeography, records: pd.DataFrame, out: Path, statuses: list[str],
                   radius_km: float) -> None:
    """Write communes.csv, epci/departements/regions.csv and the two GeoJSON layers."""
    communes = reference.communes
    # One row per place of each animator (animateurs.csv of step 6 on: a place_id per row).
    places = ["animator_id", "place_id"] if "place_id" in records.columns else ["animator_id"]
    selected = records[records["training_status"].isin(statuses)].drop_duplicates(places)
    indicators = communes.join(commune_indicators(communes, selected, radius_km))
    table = indicators[["nom", *COMMUNE_COLUMNS[1:], "region_code"]].rename(columns={"nom": "commune"})
    write_csv(table[list(COMMUNE_COLUMNS)].reset_index(), out / "communes.csv")
    names = {"epci": reference.epcis["nom"], "departement": reference.departements["nom"],
             "region": reference.regions["nom"]}
    for level, file_name in (("epci", "epci"), ("departement", "departements"), ("region", "regions")):
        aggregates = territory_aggregates(table, records, level)
        aggregates.insert(0, "nom", names[level].reindex(aggregates.index))
        write_csv(aggregates.reset_index(), out / f"{file_name}.csv")
        if level == "epci":
            _write_geojson(reference.epcis[["geometry"]].join(aggregates, how="inner"), out / "epci.geojson")
    _write_geojson(indicators[["nom", *COMMUNE_COLUMNS[1:], "geometry"]], out / "communes.geojson")


def _write_geojson(frame: gpd.GeoDataFrame, path: Path) -> None:
    simplified = frame.copy()
    simplified["geometry"] = simplified.geometry.simplify(GEOJSON_TOLERANCE_DEGREES, preserve_topology=True)
    simplified = simplified.replace([float("inf")], None)
    simplified.reset_index().to_file(path, driver="GeoJSON", COORDINATE_PRECISION=5)


def write_plan(reference: ReferenceGeography, records: pd.DataFrame, args: argparse.Namespace) -> None:
    """Write sites.csv (and, in sessions mode, the trainees' assignments)."""
    communes = reference.communes
    in_scope = communes.index[_scope_mask(communes, args.scope)]
    if args.mode == "coverage":
        plan = coverage_sites(communes, records, in_scope, args.sites, args.radius_km, any_commune=args.any_commune)
        write_csv(plan.sites, args.out / "sites.csv")
    else:
        plan = session_sites(communes, records, in_scope, args.sites)
        write_csv(plan.sites, args.out / "sites.csv")
        write_csv(plan.assignments, args.out / "affectations.csv")
    if plan.shortfall is not None:
        print(f"Moins de sites que demandé ({len(plan.sites)} sur {args.sites}) : {SHORTFALL_NOTES[plan.shortfall]}.")


def _scope_mask(communes: pd.DataFrame, scope: str | None) -> pd.Series:
    if not scope:
        return pd.Series(True, index=communes.index)
    kind, _, code = scope.partition(":")
    column = {"dep": LEVELS["departement"], "reg": LEVELS["region"]}.get(kind)
    if column is None or code not in set(communes[column]):
        raise ValueError(f"territoire « {scope} » inconnu (attendu dep:XX ou reg:XX)")
    return communes[column] == code
