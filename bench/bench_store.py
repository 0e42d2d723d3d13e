"""The shared store (issue 5 §6): import of the 100,000-row messy export and public-page latency.

Everything is measured in one run, beside its baseline:

1. the bare loader on the messy export of ``bench/make_messy_export.py`` (100,000 rows, seed 1),
   timed as ``bench/run.py`` does (``read_table`` + ``load_tables``): the baseline;
2. the same loader result saved with :func:`store.save_import` into a fresh SQLite file, as
   a hub's import (every record « à vérifier »);
3. the same into a fresh database of a throw-away PostgreSQL cluster (``tests/postgres.py``).
   Target: end to end (loader + save) at least half of the bare loader's throughput. When the
   import fails, the failure is printed and the PostgreSQL database is filled from the SQLite one
   with :func:`store.copy_store`, so that the queries below still run on 100,000 animators;
4. the floor of each engine: the time it takes to store exactly the rows that import stored, every
   value already as its driver takes it (read beforehand, untimed), by the fastest path of the
   engine (the driver's ``executemany``, ``COPY``), into a fresh store. No import code writing
   these rows can take less. On PostgreSQL, also without the foreign keys (dropped beforehand);
5. public-page latency with those animators in the store, every record then validated by one
   untimed ``UPDATE`` (a moderator's verdicts, outside the import), for « the 20 nearest trained
   Café IA animators » at 1,000 random points of metropolitan France:

   a. the app's per-request path: the published records already read (``views.data.records``,
      read again only when the store changed), filter theme + training status + published as
      ``views.data.selection`` does, then :func:`geo.nearby.nearest`; and the same when the selection comes out of
      ``st.cache_data`` (which unpickles a copy on every hit);
   b. the cold path, what a cache miss costs (once per replica after each import, verdict or fix):
      :func:`store.read_public` on SQLite and on PostgreSQL;
   c. a pure-SQL alternative: a bounding-box query on ``lat``/``lon`` (no index on them: the
      schema is not changed here), widened until the 20th nearest lies inside the box's
      inscribed circle, then haversine in numpy.

   Target: p95 under 200 ms.

Usage, from the repository root::

    .venv/bin/python bench/bench_store.py
"""

from __future__ import annotations

import os
import pickle
import platform
import re
import sqlite3
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

import numpy as np
import pandas as pd
import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from postgres import PostgresUnavailable, fresh_database, running_cluster  # noqa: E402

from core.vocabulary import TRAINED, VALIDATED
from geo.distances import haversine_km  # noqa: E402
from geo.nearby import nearest  # noqa: E402
from geo.reference import load_reference  # noqa: E402
from loaders.geocoding import Gazetteer  # noqa: E402
from loaders.pipeline import LoadOptions, load_tables  # noqa: E402
from loaders.read import read_table  # noqa: E402
from loaders.settings import MEGABYTE, RETENTION_ENV, ReadLimits  # noqa: E402
import store  # noqa: E402
from store.schema import animator_places, animators, consents, import_batches, places, referencings, row_outcomes

ROWS = 100_000
SEED = 1
THEME = "cafe-ia"
RESULTS = 20  # the public finder lists the 20 nearest (store/publish.py RESULTS)
POINTS = 1_000
CACHED_POINTS = 300  # fewer points for the variants, to keep the run under six minutes
SQL_POINTS = 100
IMPORT_TARGET = 0.5  # share of the bare loader's throughput
LATENCY_TARGET_MS = 200.0
# What an import writes, parents first.
IMPORTED_TABLES = (import_batches, animators, places, animator_places, referencings, consents, row_outcomes)
# The cold read is repeated at least MIN_READS times, at most MAX_READS, within READ_BUDGET_S per store.
MIN_READS, MAX_READS, READ_BUDGET_S = 3, 10, 20.0
FIRST_HALF_SIDE_KM = 20.0
KM_PER_DEGREE = 111.2


def timed(function, *args, **kwargs):
    start = time.perf_counter()
    value = function(*args, **kwargs)
    return time.perf_counter() - start, value


def main() -> None:
    os.environ[RETENTION_ENV] = "1200"  # see _publish_everything
    print(f"Machine : {platform.node()} — {platform.processor() or platform.machine()}, "
          f"{len(os.sched_getaffinity(0))} cœurs, Python {platform.python_version()}, pandas {pd.__version__}, "
          f"SQLAlchemy {sa.__version__}")
    reference = load_reference()
    gazetteer = _warm_gazetteer(reference)
    with tempfile.TemporaryDirectory() as folder, ExitStack() as stack:
        export = Path(folder) / "messy.csv"
        subprocess.run([sys.executable, str(ROOT / "bench" / "make_messy_export.py"), str(export),
                        "--rows", str(ROWS), "--seed", str(SEED)], check=True, stdout=subprocess.DEVNULL)
        read, table = timed(read_table, export, limits=ReadLimits(max_file_bytes=64 * MEGABYTE))
        load, result = timed(load_tables, [table], gazetteer, LoadOptions(theme=THEME))
        bare = read + load
        records = len(result.records)
        print(f"Export désordonné de {_int(ROWS)} lignes → {_int(records)} fiches (animateur × thématique × lieu), "
              f"{_int(result.records['animator_id'].nunique())} animateurs, "
              f"{_int(result.records['place_id'].nunique())} lieux")
        print(f"  1. chargeur nu (lecture + load_tables)      : {bare:6.2f} s  ({_int(round(ROWS / bare)):>7} lignes/s)"
              f"  — référence")

        sqlite = store.connect(f"sqlite:///{Path(folder) / 'bench.sqlite'}")
        stack.callback(sqlite.dispose)
        sqlite_save = _import("2. + save_import, SQLite                  ", sqlite, result, bare)

        postgres, postgres_save = None, None
        try:
            cluster = stack.enter_context(running_cluster())
        except (PostgresUnavailable, subprocess.CalledProcessError) as error:
            print(f"  3. PostgreSQL : pas de serveur de test ({str(error).splitlines()[0]}), étape sautée")
        else:
            postgres = store.connect(stack.enter_context(fresh_database(cluster)))
            stack.callback(postgres.dispose)
            postgres_save = _import(f"3. + save_import, PostgreSQL {cluster.version:<13}", postgres, result, bare)
            if postgres_save is None and sqlite_save is not None:
                copy, counts = timed(store.copy_store, sqlite, postgres)
                print(f"     pour la suite, base PostgreSQL remplie depuis SQLite par store.copy_store : {copy:.1f} s "
                      f"({_int(sum(counts.values()))} lignes)")
        _import_verdict(bare, sqlite_save, postgres_save)
        if sqlite_save is not None:
            rows = _stored_rows(sqlite)
            print(f"Plancher : le moteur seul écrit les {_int(sum(map(len, rows.values())))} lignes de cet import, "
                  "valeurs prêtes d'avance (la cible demande save_import ≤ chargeur nu)")
            _floor("SQLite, executemany du pilote", Path(folder) / "floor.sqlite", rows, bare)
            if postgres is not None:
                for foreign_keys in (True, False):
                    label = f"PostgreSQL, COPY{'' if foreign_keys else ', sans clés étrangères'}"
                    with fresh_database(cluster) as url:
                        _floor(label, url, rows, bare, foreign_keys=foreign_keys)
        for engine in (sqlite, postgres):
            if engine is not None:
                _publish_everything(engine)
        if postgres is not None:
            with postgres.begin() as conn:
                conn.exec_driver_sql("ANALYZE")  # what autovacuum does shortly after a large import
        if sqlite_save is not None:
            _latency(reference, sqlite, postgres)


def _import(label: str, engine: sa.Engine, result, bare: float) -> float | None:
    """Save the loader's result; print the end-to-end throughput; return the save time (None: failed)."""
    start = time.perf_counter()
    try:
        store.save_import(engine, result, hub="bench", form="bench-100k")
    except sa.exc.DBAPIError as error:
        failed = time.perf_counter() - start
        reason = str(error.orig).splitlines()[0] if error.orig is not None else type(error).__name__
        print(f"  {label}: ÉCHEC après {failed:.1f} s — {type(error.orig).__name__}: {reason}")
        return None
    save = time.perf_counter() - start
    total = bare + save
    print(f"  {label}: {total:6.2f} s  ({_int(round(ROWS / total)):>7} lignes/s, {bare / total:4.0%} du chargeur nu)"
          f"  — dont save_import {save:.2f} s")
    return save


def _stored_rows(engine: sa.Engine) -> dict[sa.Table, list[tuple]]:
    """Every row an import wrote, per table in foreign-key order, as the SQLite driver returns it."""
    with engine.connect() as conn:
        return {table: conn.exec_driver_sql(f"SELECT {', '.join(_names(table))} FROM {table.name}").all()
                for table in IMPORTED_TABLES}


def _names(table: sa.Table) -> list[str]:
    return [column.name for column in table.columns]


def _floor(label: str, where: Path | str, rows: dict[sa.Table, list[tuple]], bare: float, *,
           foreign_keys: bool = True) -> None:
    """Print how long the engine takes to store ``rows`` into a fresh store, in one transaction."""
    engine = store.connect(f"sqlite:///{where}" if isinstance(where, Path) else where)
    try:
        with engine.connect() as conn:
            if not foreign_keys:
                with conn.begin():
                    for table in IMPORTED_TABLES:
                        for key in sa.inspect(conn).get_foreign_keys(table.name):
                            conn.exec_driver_sql(f'ALTER TABLE {table.name} DROP CONSTRAINT "{key["name"]}"')
            start = time.perf_counter()
            with conn.begin():
                for table, values in rows.items():
                    _write_raw(conn.connection.driver_connection, table, values)
            floor = time.perf_counter() - start
    finally:
        engine.dispose()
    print(f"  {label:<46}: {floor:6.2f} s  ({floor / bare:4.0%} du temps du chargeur nu)")


def _write_raw(driver, table: sa.Table, values: list[tuple]) -> None:
    names = ", ".join(_names(table))
    if isinstance(driver, sqlite3.Connection):
        driver.executemany(f"INSERT INTO {table.name} ({names}) VALUES ({', '.join('?' * len(table.columns))})",
                           values)
        return
    with driver.cursor() as cursor, cursor.copy(f"COPY {table.name} ({names}) FROM STDIN") as copy:
        for row in values:
            copy.write_row(row)


def _publish_everything(engine: sa.Engine) -> None:
    """Validate every record, as moderators would after the import, so that the public page sees them.

    The generated answers date from 2023: the retention period is lengthened (``main``) so that
    they stay published; the query is the same whatever the period.
    """
    with engine.begin() as conn:
        conn.execute(referencings.update().values(moderation_status=VALIDATED))
        conn.execute(animator_places.update().values(moderation_status=VALIDATED))


def _import_verdict(bare: float, *saves: float | None) -> None:
    done = [bare / (bare + save) for save in saves if save is not None]
    failed = sum(save is None for save in saves)
    met = bool(done) and min(done) >= IMPORT_TARGET and not failed
    shares = ", ".join(f"{share:.0%}" for share in done) or "—"
    print(f"  cible : import de bout en bout ≥ {IMPORT_TARGET:.0%} du débit du chargeur nu → mesuré {shares}"
          f"{f', {failed} échec(s)' if failed else ''} : {'ATTEINTE' if met else 'NON ATTEINTE'}")


def _latency(reference, sqlite: sa.Engine, postgres: sa.Engine | None) -> None:
    points = _random_points(reference)
    published = store.read_public(sqlite)
    chosen = _selection(published)
    print(f"Requête publique « les {RESULTS} animateur·rices Café IA formé·es les plus proches » : "
          f"{_int(len(published))} fiches publiées, {_int(published['animator_id'].nunique())} animateurs, "
          f"{_int(published['place_id'].nunique())} lieux, {_int(len(chosen))} lieux dans la sélection")

    per_request = _each(points, lambda lon, lat: nearest(_selection(published), lon, lat, RESULTS))
    _line(f"a. par requête : filtre + nearest, {POINTS} points", per_request)
    cached = pickle.dumps(chosen, protocol=pickle.HIGHEST_PROTOCOL)
    hit = _each(points[:CACHED_POINTS], lambda lon, lat: nearest(pickle.loads(cached), lon, lat, RESULTS))
    label = f"   sélection lue dans st.cache_data ({len(cached) / 1e6:.0f} Mo dépicklés) + nearest"
    _line(f"{label}, {CACHED_POINTS} points", hit)

    cold = {"SQLite": _repeat(store.read_public, sqlite)}
    if postgres is not None:
        cold["PostgreSQL"] = _repeat(store.read_public, postgres)
    for name, times in cold.items():
        _line(f"b. à froid : store.read_public, {name} ({len(times)} lectures)", times)

    sql = {"SQLite": sqlite} if postgres is None else {"SQLite": sqlite, "PostgreSQL": postgres}
    boxes = {}
    for name, engine in sql.items():
        boxes[name], agree = _bounding_box_times(engine, points[:SQL_POINTS], chosen)
        _line(f"c. SQL, boîte englobante + haversine numpy, {name}, {SQL_POINTS} points", boxes[name],
              f" ; mêmes distances que (a) : {agree}/{SQL_POINTS}")
    for name, engine in sql.items():
        print(f"   plan {name} : {_plan(engine)}")

    worst = {"a (par requête)": np.percentile(per_request, 95), "a (cache st.cache_data)": np.percentile(hit, 95),
             **{f"b ({name})": np.percentile(times, 95) for name, times in cold.items()},
             **{f"c ({name})": np.percentile(times, 95) for name, times in boxes.items()}}
    verdicts = ", ".join(f"{key} {_int(round(value * 1000))} ms {'✓' if value * 1000 < LATENCY_TARGET_MS else '✗'}"
                         for key, value in worst.items())
    print(f"  cible : p95 < {LATENCY_TARGET_MS:.0f} ms → {verdicts}")


def _int(number: int) -> str:
    return f"{number:,}".replace(",", " ")


def _selection(table: pd.DataFrame) -> pd.DataFrame:
    """``views.data.selection(THEME, (TRAINED,), False)`` on the published records (one row per place)."""
    chosen = (table["theme"] == THEME) & table["training_status"].isin((TRAINED,)) & table["published"]
    return table[chosen].reset_index(drop=True)


def _random_points(reference) -> np.ndarray:
    """Points near communes of metropolitan France drawn at random (lon, lat)."""
    communes = reference.communes
    metropolitan = communes[~communes["departement_code"].astype(str).str.startswith("97")]
    rng = np.random.default_rng(SEED)
    picked = rng.choice(len(metropolitan), POINTS, replace=False)
    lon = metropolitan["lon"].to_numpy(dtype=float)[picked] + rng.uniform(-0.02, 0.02, POINTS)
    lat = metropolitan["lat"].to_numpy(dtype=float)[picked] + rng.uniform(-0.02, 0.02, POINTS)
    return np.column_stack([lon, lat])


def _each(points: np.ndarray, query) -> np.ndarray:
    times = np.empty(len(points))
    for i, (lon, lat) in enumerate(points):
        start = time.perf_counter()
        query(lon, lat)
        times[i] = time.perf_counter() - start
    return times


def _repeat(function, *args) -> np.ndarray:
    times: list[float] = []
    while len(times) < MIN_READS or (len(times) < MAX_READS and sum(times) < READ_BUDGET_S):
        times.append(timed(function, *args)[0])
    return np.array(times)


def _line(label: str, times: np.ndarray, extra: str = "") -> None:
    p50, p95, p99 = (np.percentile(times, q) * 1000 for q in (50, 95, 99))
    print(f"  {label:<76} p50 {p50:8.1f} ms | p95 {p95:8.1f} ms | p99 {p99:8.1f} ms{extra}")


def _bounding_box_statement() -> sa.Select:
    published = sa.and_(referencings.c.moderation_status == VALIDATED,
                        referencings.c.absent_from_last_export.is_(False),
                        animator_places.c.moderation_status == VALIDATED, animator_places.c.until.is_(None))
    return (
        sa.select(animators.c.animator_id, places.c.lon, places.c.lat)
        .join_from(animators, referencings, animators.c.animator_id == referencings.c.animator_id)
        .join(animator_places, animator_places.c.animator_id == animators.c.animator_id)
        .join(places, places.c.place_id == animator_places.c.place_id)
        .where(referencings.c.theme == THEME, referencings.c.training_status == TRAINED, published,
               places.c.lat.between(sa.bindparam("south"), sa.bindparam("north")),
               places.c.lon.between(sa.bindparam("west"), sa.bindparam("east")))
    )


def _nearest_in_boxes(conn: sa.Connection, statement: sa.Select, lon: float, lat: float) -> np.ndarray:
    """Distances (km) of the RESULTS nearest, from boxes widened until the answer is exact."""
    half = FIRST_HALF_SIDE_KM
    while True:
        dlat = half / KM_PER_DEGREE
        dlon = half / (KM_PER_DEGREE * max(np.cos(np.radians(lat)), 0.1))
        rows = conn.execute(statement, {"south": lat - dlat, "north": lat + dlat, "west": lon - dlon,
                                        "east": lon + dlon}).all()
        km = np.sort(haversine_km(lon, lat, np.array([r[1] for r in rows], dtype=float),
                                  np.array([r[2] for r in rows], dtype=float)))[:RESULTS]
        # Exact once the RESULTS-th nearest lies in the circle inscribed in the box.
        if (len(km) == RESULTS and km[-1] <= half) or half > 2_000:
            return km
        half *= 2


def _bounding_box_times(engine: sa.Engine, points: np.ndarray, chosen: pd.DataFrame) -> tuple[np.ndarray, int]:
    statement = _bounding_box_statement()
    times = np.empty(len(points))
    agree = 0
    with engine.connect() as conn:  # a pooled connection, as an app replica holds one
        for i, (lon, lat) in enumerate(points):
            start = time.perf_counter()
            km = _nearest_in_boxes(conn, statement, lon, lat)
            times[i] = time.perf_counter() - start
            agree += bool(np.allclose(km, nearest(chosen, lon, lat, RESULTS)["distance_km"].to_numpy()))
    return times, agree


def _plan(engine: sa.Engine) -> str:
    """The query plan of the bounding-box query, on one line."""
    compiled = _bounding_box_statement().compile(engine)
    params = {**compiled.params, "south": 48.0, "north": 48.4, "west": 2.0, "east": 2.6}
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            rows = conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {compiled}",
                                        tuple(params[name] for name in compiled.positiontup))
            return " ; ".join(row[-1] for row in rows)
        lines = conn.exec_driver_sql(f"EXPLAIN {compiled}", params).scalars().all()
        return " ; ".join(re.sub(r"\s+\(cost=.*\)", "", line).strip(" ->") for line in lines
                          if "Scan" in line or "Join" in line or "Loop" in line)


def _warm_gazetteer(reference) -> Gazetteer:
    gazetteer = Gazetteer(reference)
    gazetteer.names_by_departement  # noqa: B018 — build the lazy indexes now, not inside the timed import
    gazetteer.places_by_postcode  # noqa: B018
    gazetteer.locate_points(*[[2.35], [48.85]])
    return gazetteer


if __name__ == "__main__":
    main()
