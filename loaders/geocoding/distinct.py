"""Distinct values of columns: every rule runs once per distinct value (or combination) it reads."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd


def distinct(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Position of each value among the distinct values, numbered in order of appearance; and those values.

    A missing value (None, NaN) is one value among the others.
    """
    positions, found = pd.factorize(values)
    # Counting missing values as values costs pandas a second pass: only when there are some.
    return pd.factorize(values, use_na_sentinel=False) if (positions < 0).any() else (positions, found)


def distinct_rows(columns: Sequence[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Code of each row's combination of values (numbered in order of appearance), and the first row of each."""
    combined = np.zeros(len(columns[0]), dtype=np.int64)
    for values in columns:
        codes, found = pd.factorize(values)
        # Renumbered at each step, the combined codes stay below the number of rows: no overflow.
        combined, _ = pd.factorize(combined * len(found) + codes)
    return combined, np.unique(combined, return_index=True)[1]


def stripped(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """The position of each row's stripped text among the distinct ones, and those texts."""
    positions, found = distinct(values.to_numpy(dtype=object))
    stripped_positions, texts = distinct(np.array([value.strip() for value in found.tolist()], dtype=object))
    return stripped_positions[positions], texts


def blank(values: pd.Series) -> np.ndarray:
    """Whether each cell holds only spaces, or nothing."""
    positions, texts = stripped(values)
    return (texts == "")[positions]


def positions_in(index: pd.Index, codes: np.ndarray) -> np.ndarray:
    """Position of each code in ``index``, -1 where absent (looked up once per distinct code)."""
    positions, found = distinct(codes)
    return index.get_indexer(found)[positions]
