"""What the public finder publishes, encoded: the public records and consented contacts of the store,
as compact columnar JSON, the commune search index and its exact-name files, and the page's settings.

Nothing here writes a file (see :mod:`store.publish`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping

import numpy as np
import pandas as pd
from sqlalchemy import Engine

import store
from core import settings as core_settings
from core.text import fold
from core.vocabulary import DEFAULT_STATUSES, STATUS_LABELS, STATUSES
from geo import settings as geo_settings
from geo.nearby import NEARBY_KM
from geo.search import CommuneSearch
from loaders.themes import ThemeRegistry

FORMAT_VERSION = 1
# Coordinates are published with 5 decimals (about a metre), as integers.
COORDINATE_SCALE = 100_000
DEFAULT_THEME = "cafe-ia"
RESULTS = 20
FIT_MAX_ZOOM = 13
# The public columns of a published record (see public_records): nothing personal.
PUBLIC_COLUMNS: tuple[str, ...] = ("person", "place", "structure", "commune", "departement_code", "lat", "lon",
                                   "is_conum", "theme", "training_status", "training_date")
# The search index depends on the reference geography only: built once per reference build, then reused.
SEARCH_INDEX_VERSION = 3
# Files of the exact-name index (see name_buckets): a few kB each, gzipped.
NAME_BUCKETS = 64


def public_records(engine: Engine) -> pd.DataFrame:
    """The one extraction of what the public may see: one row per published animator × place × theme.

    Only published records are read (:func:`store.published_clause`: validated, in their form's
    last export, re-confirmed within the retention period; never an erased person), without any personal
    column. ``person`` numbers the animators and ``place`` the places (stored identifiers, hashes of
    e-mails and names, are not published): an animator at three places is listed at each of them.

    Returns
    -------
    pandas.DataFrame
        :data:`PUBLIC_COLUMNS`, plus ``animator_id`` (to read the contacts; never written), ordered by
        point then animator, so that the browser's stable sort by distance keeps ties in animator order.
    """
    table = store.read_public(engine)
    if table.empty:
        return pd.DataFrame(columns=[*PUBLIC_COLUMNS, "animator_id"])
    table = table.assign(lat=table["lat"].round(5), lon=table["lon"].round(5))
    table = table.sort_values(["lat", "lon", "animator_id", "place_id", "theme"], kind="stable").reset_index(drop=True)
    table["person"] = pd.factorize(table["animator_id"], sort=True)[0]
    table["place"] = pd.factorize(table["place_id"], sort=True)[0]
    return table[[*PUBLIC_COLUMNS, "animator_id"]]


def public_contacts(engine: Engine, records: pd.DataFrame) -> pd.DataFrame:
    """Name, e-mail and phone of the published persons whose recorded consent allows showing them.

    Returns
    -------
    pandas.DataFrame
        ``person``, ``name``, ``email``, ``phone`` (missing values as ``""``), by person number.
    """
    people = records.drop_duplicates("animator_id").set_index("animator_id")["person"]
    contacts = store.read_public_contacts(engine, list(people.index)) if len(people) else pd.DataFrame()
    if contacts.empty:
        return pd.DataFrame(columns=["person", "name", "email", "phone"])
    contacts = contacts.fillna("").astype(str)
    contacts.insert(0, "person", people.reindex(contacts.index).to_numpy())
    return contacts.sort_values("person").reset_index(drop=True)


def map_data(records: pd.DataFrame, themes: ThemeRegistry) -> dict:
    """The map's and the list's data, columnar: one position per place (person × point × structure).

    ``lat``/``lon`` are integers (degrees × :data:`COORDINATE_SCALE`) written as differences from the
    previous place; ``structure`` and ``commune`` index the ``texts`` and ``communes`` tables;
    ``status[theme]`` holds the position in :data:`STATUSES` of each place's training status for that
    theme (``-1``: not published for that theme) and ``trained_on[theme]`` the training date as days
    since 1970-01-01 (``-1``: unknown).
    """
    grouped = records.groupby(["person", "place"], sort=False, dropna=False)
    position = grouped.ngroup().to_numpy()
    places = records.drop_duplicates(["person", "place"]).reset_index(drop=True)
    structures = places["structure"].fillna("").astype(str)
    texts, structure_codes = _table_of(structures)
    labels = places["commune"].astype(str) + " (" + places["departement_code"].astype(str) + ")"
    communes, commune_codes = _table_of(labels)
    status, trained_on = {}, {}
    for slug in themes.slugs():
        rows = records[records["theme"] == slug]
        codes = np.full(len(places), -1, dtype=np.int64)
        days = np.full(len(places), -1, dtype=np.int64)
        where = position[(records["theme"] == slug).to_numpy()]
        codes[where] = rows["training_status"].map({code: index for index, code in enumerate(STATUSES)}).to_numpy()
        days[where] = _days(rows["training_date"])
        status[slug], trained_on[slug] = codes.tolist(), days.tolist()
    return {
        "format": FORMAT_VERSION, "count": len(places), "scale": COORDINATE_SCALE,
        "lat": _differences(_scaled(places["lat"])), "lon": _differences(_scaled(places["lon"])),
        "person": places["person"].astype(int).tolist(), "texts": texts, "structure": structure_codes,
        "communes": communes, "commune": commune_codes, "conum": places["is_conum"].astype(int).tolist(),
        "status": status, "trained_on": trained_on,
    }


def contacts_data(contacts: pd.DataFrame) -> dict:
    """The published contacts, columnar, by person number (see :func:`public_contacts`)."""
    return {"format": FORMAT_VERSION, **{column: contacts[column].tolist()
                                         for column in ("person", "name", "email", "phone")}}


def search_data(search: CommuneSearch, departement: str | None = None) -> dict:
    """The commune search index, for the browser's copy of :class:`geo.search.CommuneSearch`.

    Entries keep their order and their popularity rank; the browser folds the names as
    :func:`core.text.fold` does (``article`` characters start the name without its article).
    ``insee`` holds each code's number after its département (as a difference from the previous
    entry's), ``lat``/``lon`` integers (degrees × :data:`COORDINATE_SCALE`) as differences too, and
    ``codes`` the INSEE codes (former communes, arrondissements) that find another entry than the
    commune of that code.

    With ``departement``, only that département's entries (and codes): a query naming its
    département (« Sainte-Colombe (89) ») finds the same communes in it as in the whole index, since
    every match outside it is dropped.
    """
    entries = search.entries()
    chosen = np.flatnonzero(entries["departement_code"].to_numpy() == departement) if departement \
        else np.arange(len(entries))
    position_of = {int(entry): position for position, entry in enumerate(chosen)}
    entries = entries.iloc[chosen].reset_index(drop=True)
    names, bare, departements = entries["nom"].tolist(), entries["bare_name"].tolist(), entries["departement_code"]
    numbers = np.array([int(code[len(dep):]) for code, dep in zip(entries["insee_code"], departements)], dtype=np.int64)
    own = {code.lower(): entry for entry, (code, arrondissement)
           in enumerate(zip(entries["insee_code"], entries["is_arrondissement"])) if not arrondissement}
    codes = sorted((code, position_of[entry]) for code, entry in search.code_entries().items()
                   if entry in position_of and own.get(code) != position_of[entry])
    return {
        "format": SEARCH_INDEX_VERSION, "count": len(entries), "scale": COORDINATE_SCALE,
        "insee": _differences(numbers), "nom": names,
        "article": [len(name) - len(rest) for name, rest in zip(names, bare)],
        "departement": departements.tolist(),
        "lat": _differences(_scaled(entries["lat"])), "lon": _differences(_scaled(entries["lon"])),
        "popularity": entries["popularity"].astype(int).tolist(),
        "postcodes": [" ".join(codes_) for codes_ in entries["postcodes"]],
        "arrondissement": entries["is_arrondissement"].astype(int).tolist(),
        "codes": [code for code, _ in codes], "code_entries": [entry for _, entry in codes],
    }


def name_bucket(key: str) -> int:
    """The file of the exact-name index holding ``key``: FNV-1a over UTF-16 code units, as search.js computes it.

    Examples
    --------
    >>> name_bucket("rennes") == name_bucket("rennes"), 0 <= name_bucket("saint malo") < NAME_BUCKETS
    (True, True)
    """
    hashed = 0x811C9DC5
    for unit in memoryview(key.encode("utf-16-le")).cast("H"):
        hashed = ((hashed ^ unit) * 0x01000193) & 0xFFFFFFFF
    return hashed % NAME_BUCKETS


def name_buckets(search: CommuneSearch) -> list[dict[str, list[str]]]:
    """The exact-name index: for each folded name key, the département of each commune (or arrondissement) bearing it.

    A query equal to a key listed with one département names one commune in France: the browser then
    needs that département's index only. A key of several communes keeps one département per commune.
    """
    entries = search.entries()
    communes_of: dict[str, dict[str, str]] = {}
    for code, departement, name, bare_name in zip(entries["insee_code"], entries["departement_code"],
                                                  entries["nom"], entries["bare_name"]):
        for key in {fold(name), fold(bare_name)}:  # as search.js keys an entry
            communes_of.setdefault(key, {})[code] = departement
    buckets: list[dict[str, list[str]]] = [{} for _ in range(NAME_BUCKETS)]
    for key in sorted(communes_of):
        buckets[name_bucket(key)][key] = list(communes_of[key].values())
    return buckets


def _scaled(degrees: pd.Series) -> np.ndarray:
    return np.rint(degrees.to_numpy(dtype=float) * COORDINATE_SCALE).astype(np.int64)


def _differences(values: np.ndarray) -> list[int]:
    """Each value minus the previous one (the first as is): small numbers that compress well."""
    return np.diff(values, prepend=0).tolist()


def settings_data(batches: pd.DataFrame, themes: ThemeRegistry, files: Mapping[str, str], places: int) -> dict:
    """What ``index.html`` inlines: wording of filters, sources, demo flag and the data files' names."""
    imported = pd.to_datetime(batches["imported_at"]).max() if not batches.empty else None
    tiles_url = core_settings.tiles_url()
    return {
        "format": FORMAT_VERSION,
        "files": {name: path for name, path in files.items() if ":" not in name},
        "departements": sorted(name.split(":", 1)[1] for name in files if name.startswith("communes:")),
        "places": places,
        "demo": bool(not batches.empty and batches["is_demo"].any()),
        "last_import": None if imported is None else f"{imported:%d/%m/%Y}",
        "themes": [{"code": slug, "label": themes.get(slug).label} for slug in themes.slugs()],
        "default_theme": DEFAULT_THEME if DEFAULT_THEME in themes.slugs() else themes.slugs()[0],
        "statuses": [{"code": code, "label": STATUS_LABELS[code]} for code in STATUSES],
        "default_statuses": list(DEFAULT_STATUSES),
        "tiles_url": tiles_url,
        "tiles_attribution": core_settings.tiles_attribution() if tiles_url else "",
        "address_search_url": geo_settings.ADDRESS_SEARCH_URL,
        "name_buckets": NAME_BUCKETS, "results": RESULTS, "nearby_km": NEARBY_KM, "earth_radius_km": geo_settings.EARTH_RADIUS_KM,
        "fit_max_zoom": FIT_MAX_ZOOM,
    }


def _table_of(values: pd.Series) -> tuple[list[str], list[int]]:
    """Distinct values (in order of appearance) and the position of each value among them."""
    codes, uniques = pd.factorize(values)
    return [str(value) for value in uniques], codes.tolist()


def _days(dates: pd.Series) -> np.ndarray:
    """Days since 1970-01-01 of each date, ``-1`` when unknown."""
    parsed = pd.to_datetime(dates, errors="coerce")
    days = (parsed - pd.Timestamp("1970-01-01")).dt.days
    return days.fillna(-1).astype(np.int64).to_numpy()


def json_bytes(value: object) -> bytes:
    """Compact UTF-8 JSON."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode("utf-8")


def script_json(value: object) -> str:
    """JSON that can sit inside a ``<script>`` element: no ``<``, ``>``, ``&`` or line separator as such."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    for character in "<>&\u2028\u2029":
        text = text.replace(character, f"\\u{ord(character):04x}")
    return text
