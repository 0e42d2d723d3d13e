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
