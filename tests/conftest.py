"""Shared fixtures: repository paths and the real reference geography."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared"


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO


@pytest.fixture(scope="session")
def realdata_dir() -> Path:
    path = SHARED / "realdata"
    if not path.is_dir():
        pytest.fail(f"shared real data not found at {path}")
    return path


@pytest.fixture(scope="session")
def reference():
    """The real reference geography (built once, then read from the user cache)."""
    from geo.reference import load_reference

    return load_reference()


@pytest.fixture(scope="session")
def gazetteer(reference):
    from loaders.geocode import Gazetteer

    return Gazetteer(reference)


@pytest.fixture()
def store_home(tmp_path, monkeypatch):
    """An empty embedded store for one test (CARTE_DATA_HOME points to a temporary folder)."""
    monkeypatch.setenv("CARTE_DATA_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    return tmp_path / "home"
