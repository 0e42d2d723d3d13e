"""`make bench`: loader throughput and reference-geography load times, printed side by side.

Every figure is measured in the same run as its baseline, on this machine.
Record the output with the date and the machine in docs/benchmarks.md.
``--chargeur`` measures the loader alone (reference geography read from the cache).
Beside a baseline commit, alternately in the same run: ``bench/compare.py --baseline REF
--same-script bench/run.py --chargeur`` (``make bench BASELINE=REF BENCH=bench/run.py
BENCH_ARGS=--chargeur BENCH_COMPARE=--same-script``).
"""

from __future__ import annotations

import argparse
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from geo.coverage import commune_indicators  # noqa: E402
from geo.distances import PointIndex  # noqa: E402
from geo.planning import greedy_max_covering  # noqa: E402
from geo.reference import load_reference  # noqa: E402
from loaders.geocoding import Gazetteer  # noqa: E402
from loaders.pipeline import LoadOptions, load_tables  # noqa: E402
from loaders.read import read_table  # noqa: E402
from loaders.settings import MEGABYTE, ReadLimits  # noqa: E402

ROWS = 100_000
LOADER_TARGET = 20_000  # rows per second, end to end (issue #2)


def timed(function, *args, **kwargs):
    start = time.perf_counter()
    value = function(*args, **kwargs)
    return time.perf_counter() - start, value


def processor_timed(function, *args, **kwargs):
    """Duration, processor time of this process (all its threads) and value of a call.

    On a shared machine the duration grows with the others' load; the processor time much less.
    """
    processor = time.process_time()
    duration, value = timed(function, *args, **kwargs)
    return duration, time.process_time() - processor, value


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Banc d'essai : chargeur, référentiel géographique, couverture.")
    parser.add_argument("--chargeur", action="store_true",
                        help="ne mesurer que le chargeur (référentiel lu depuis le cache)")
    loader_only = parser.parse_args(argv).chargeur
    print(f"Machine : {platform.node()} — {platform.processor() or platform.machine()}, "
          f"{_cores()} cœurs, Python {platform.python_version()}, pandas {pd.__version__}")
    if loader_only:
        reference = load_reference()
    else:
        with tempfile.TemporaryDirectory() as folder:
            cold, _ = timed(load_reference, Path(folder), rebuild=True)
            warm, reference = timed(load_reference, Path(folder))
        print(f"Référentiel géographique : construction à froid {cold:6.1f} s | "
              f"chargement depuis le cache {warm:5.2f} s")
        _coverage(reference)

    gazetteer_build, gazetteer = timed(_warm_gazetteer, reference)
    print(f"Index du géocodeur (une fois par processus) : {gazetteer_build:5.2f} s")

    with tempfile.TemporaryDirectory() as folder:
        export = Path(folder) / "messy.csv"
        subprocess.run([sys.executable, str(ROOT / "bench" / "make_messy_export.py"), str(export),
                        "--rows", str(ROWS), "--seed", "1"], check=True)
        bare, _ = timed(pd.read_csv, export, sep=";", dtype=str, encoding="cp1252", keep_default_na=False)
        # The 100,000-row export weighs about 25 MB, over the 20 MB upload limit of the app.
        read, read_processor, table = processor_timed(read_table, export,
                                                      limits=ReadLimits(max_file_bytes=64 * MEGABYTE))
        load, load_processor, result = processor_timed(load_tables, [table], gazetteer, LoadOptions(theme="cafe-ia"))
    total = read + load
    report = result.report()
    print(f"Export désordonné de {ROWS:,} lignes".replace(",", " "))
    print(f"  pandas.read_csv nu           : {bare:6.2f} s  ({ROWS / bare:>10,.0f} lignes/s)")
    print(f"  chargeur de bout en bout     : {total:6.2f} s  ({ROWS / total:>10,.0f} lignes/s)"
          f"  — lecture {read:.2f} s + normalisation/géocodage/dédoublonnage {load:.2f} s")
    print(f"  temps processeur du chargeur : {read_processor + load_processor:6.2f} s"
          f"  — lecture {read_processor:.2f} s + normalisation/géocodage/dédoublonnage {load_processor:.2f} s")
    print(f"  rapport chargeur / read_csv  : {total / bare:6.1f} × plus lent")
    verdict = "atteint" if ROWS / total >= LOADER_TARGET else "NON atteint"
    print(f"  objectif ≥ {LOADER_TARGET:,} lignes/s (issue #2) : {verdict}".replace(",", " "))
    print(f"  lignes acceptées {report['lignes_acceptees']}, rejetées {report['lignes_rejetees']}, "
          f"fiches {report['fiches']}")
    print("  pour mémoire : l'API Adresse nationale traite environ 55 lignes/s par flux CSV")


def _coverage(reference) -> None:
    """All of France: 34,875 communes × 10,000 animators, against pysal/access on the same sparse costs."""
    import access
    import numpy as np

    communes = reference.communes[["lon", "lat", "population"]]
    rng = np.random.default_rng(1)
    chosen = rng.choice(len(communes), 10_000, p=communes["population"] / communes["population"].sum())
    animators = pd.DataFrame({"lon": communes["lon"].to_numpy()[chosen] + rng.normal(0, 0.01, 10_000),
                              "lat": communes["lat"].to_numpy()[chosen] + rng.normal(0, 0.01, 10_000)})
    ours, _ = timed(commune_indicators, communes, animators)
    pairs = PointIndex(animators["lon"], animators["lat"]).pairs_within(communes["lon"], communes["lat"], 30)
    costs = pd.DataFrame({"origin": communes.index.to_numpy()[pairs.origin], "dest": pairs.target,
                          "cost": pairs.km})
    model = access.Access(demand_df=communes.reset_index(), demand_index="insee_code", demand_value="population",
                          supply_df=animators.assign(supply=1.0, animator=range(len(animators))),
                          supply_index="animator", supply_value="supply", cost_df=costs, cost_origin="origin",
                          cost_dest="dest", cost_name="cost")
    theirs, _ = timed(model.enhanced_two_stage_fca)
    print(f"Couverture France entière (34 875 communes × 10 000 animateurs, plus proche + rayon + E2SFCA) : "
          f"{ours:5.2f} s | pysal/access E2SFCA seul, mêmes coûts creux : {theirs:5.2f} s "
          f"({theirs / ours:.1f} × plus lent)")
    region = reference.communes[reference.communes["region_code"] == "84"]
    plan, _ = timed(greedy_max_covering, region, region, 20, 15.0)
    print(f"Couverture maximale gloutonne, k = 20, Auvergne-Rhône-Alpes ({len(region)} communes) : {plan:5.2f} s")


def _warm_gazetteer(reference) -> Gazetteer:
    """The geocoder with its indexes built, as a server keeps it: not inside the timed import."""
    gazetteer = Gazetteer(reference).build_indexes()
    gazetteer.locate_points(*[[2.35], [48.85]])
    return gazetteer


def _cores() -> int:
    import os

    return len(os.sched_getaffinity(0))


if __name__ == "__main__":
    main()
