"""``python -m carte coverage`` and ``python -m carte plan`` on a real import of the demo export."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from loaders.read import read_table


@pytest.fixture(scope="module")
def animateurs_csv(tmp_path_factory, repo_root):
    out = tmp_path_factory.mktemp("import")
    done = subprocess.run([sys.executable, "-m", "carte", "import", str(repo_root / "data/demo/demo-animateurs.csv"),
                           "--db", f"sqlite:///{out / 'store.sqlite'}", "--out", str(out)],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return out / "animateurs.csv"


def run_territories(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "carte", *args], capture_output=True, text=True)


@pytest.fixture(scope="module")
def coverage_dir(animateurs_csv, tmp_path_factory):
    out = tmp_path_factory.mktemp("coverage")
    done = run_territories("coverage", str(animateurs_csv), "--out", str(out), "--theme", "cafe-ia")
    assert done.returncode == 0, done.stderr
    return out


def test_coverage_writes_every_file(coverage_dir):
    for name in ("communes.csv", "epci.csv", "departements.csv", "regions.csv", "communes.geojson", "epci.geojson"):
        assert (coverage_dir / name).stat().st_size > 0, name
    assert (coverage_dir / "communes.csv").read_bytes().startswith(b"\xef\xbb\xbf")


def test_coverage_communes_table(coverage_dir):
    communes = read_table(coverage_dir / "communes.csv").frame
    assert len(communes) == 34_875
    assert {"insee_code", "commune", "epci_code", "departement_code", "population", "nearest_km",
            "animators_within_km", "covered", "accessibility_per_10k"} <= set(communes.columns)
    paris = communes[communes["insee_code"] == "75056"].iloc[0]
    assert paris["covered"] == "oui" and int(paris["animators_within_km"]) > 0


def test_coverage_aggregates_rank_territories(coverage_dir):
    departements = read_table(coverage_dir / "departements.csv").frame
    assert len(departements) == 101
    assert sorted(departements["priority_rank"].astype(int)) == list(range(1, 102))
    first = departements.loc[departements["priority_rank"] == "1"].iloc[0]
    assert float(first["uncovered_population"]) == departements["uncovered_population"].astype(float).max()


def test_coverage_geojson_is_valid(coverage_dir):
    layer = json.loads((coverage_dir / "epci.geojson").read_text(encoding="utf-8"))
    assert layer["type"] == "FeatureCollection" and len(layer["features"]) == 1_253
    assert "priority_rank" in layer["features"][0]["properties"]


def test_plan_coverage_mode(animateurs_csv, tmp_path):
    done = run_territories("plan", str(animateurs_csv), "--out", str(tmp_path), "--sites", "3", "--scope", "reg:84",
                   "--any-commune")
    assert done.returncode == 0, done.stderr
    sites = read_table(tmp_path / "sites.csv").frame
    assert list(sites.columns[:5]) == ["rank", "insee_code", "commune", "added_population", "cumulative_covered_share"]
    assert 1 <= len(sites) <= 3
    shares = sites["cumulative_covered_share"].astype(float)
    assert shares.is_monotonic_increasing


def test_plan_sessions_mode(animateurs_csv, tmp_path):
    done = run_territories("plan", str(animateurs_csv), "--out", str(tmp_path), "--sites", "2", "--mode", "sessions",
                   "--scope", "dep:69")
    assert done.returncode == 0, done.stderr
    sites = read_table(tmp_path / "sites.csv").frame
    assignments = read_table(tmp_path / "affectations.csv").frame
    assert len(sites) == 2
    assert set(assignments["insee_code"]) <= set(sites["insee_code"])
    assert sites["trainees"].astype(float).sum() == len(assignments)


def test_unknown_scope_is_a_clean_error(animateurs_csv, tmp_path):
    done = run_territories("plan", str(animateurs_csv), "--out", str(tmp_path), "--sites", "2", "--scope", "dep:ZZ")
    assert done.returncode != 0 and "inconnu" in done.stderr and "Traceback" not in done.stderr


def test_coverage_from_the_store_matches_the_csv(animateurs_csv, coverage_dir, tmp_path):
    store_url = f"sqlite:///{animateurs_csv.parent / 'store.sqlite'}"
    done = run_territories("coverage", "--db", store_url, "--out", str(tmp_path), "--theme", "cafe-ia")
    assert done.returncode == 0, done.stderr
    from_store = read_table(tmp_path / "communes.csv").frame
    from_csv = read_table(coverage_dir / "communes.csv").frame
    assert from_store["covered"].tolist() == from_csv["covered"].tolist()
    assert from_store["accessibility_per_10k"].astype(float).sum() == pytest.approx(
        from_csv["accessibility_per_10k"].astype(float).sum())


def test_statuses_change_the_covering_animators(animateurs_csv, tmp_path):
    done = run_territories("coverage", str(animateurs_csv), "--out", str(tmp_path), "--status", "trained",
                   "--status", "in_training", "--status", "referenced")
    assert done.returncode == 0, done.stderr
    everyone = read_table(tmp_path / "communes.csv").frame["animators_within_km"].astype(int).sum()
    trained = run_territories("coverage", str(animateurs_csv), "--out", str(tmp_path / "t"))
    assert trained.returncode == 0
    assert read_table(tmp_path / "t" / "communes.csv").frame["animators_within_km"].astype(int).sum() < everyone
