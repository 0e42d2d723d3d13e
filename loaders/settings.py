"""Settings of the loader, in one place.

Each setting has a documented default. A few can be changed through environment
variables, so that a hub can adapt them without touching the code:

``CARTE_MAX_UPLOAD_MB``
    Largest input file accepted, in megabytes (1 MB = 1,048,576 bytes, the unit
    Streamlit uses for its own upload limit). Default: 20.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from dataclasses import dataclass

from loaders._errors import ConfigurationError

MEGABYTE = 1024 * 1024
"""Bytes in one megabyte, as Streamlit counts them for uploads."""

MAX_UPLOAD_ENV = "CARTE_MAX_UPLOAD_MB"
"""Environment variable overriding `ReadLimits.max_file_bytes`, in megabytes."""


@dataclass(frozen=True)
class ReadLimits:
    """Limits applied while reading an input file.

    They protect the application from files that would exhaust memory or time
    (a huge upload, a "zip bomb" disguised as an XLSX workbook, a CSV whose
    delimiter was misdetected into thousands of columns).

    Attributes
    ----------
    max_file_bytes : int
        Largest raw file accepted, in bytes.
    xlsx_max_entries : int
        Largest number of members in an XLSX archive (a workbook normally has a
        few dozen).
    xlsx_max_uncompressed_bytes : int
        Largest total size of the XLSX archive members once decompressed.
    xlsx_max_compression_ratio : float
        Largest ratio between decompressed and compressed sizes of the XLSX
        archive; real workbooks stay well below it, decompression bombs far above.
    max_columns : int
        Largest number of columns in a table.
    """

    max_file_bytes: int = 20 * MEGABYTE
    xlsx_max_entries: int = 10_000
    xlsx_max_uncompressed_bytes: int = 200 * MEGABYTE
    xlsx_max_compression_ratio: float = 200.0
    max_columns: int = 2_000


def limits_from_env(environ: Mapping[str, str]) -> ReadLimits:
    """Build the read limits, applying the overrides found in `environ`.

    Parameters
    ----------
    environ : Mapping[str, str]
        Environment variables (usually ``os.environ``).

    Returns
    -------
    ReadLimits
        Defaults, with ``max_file_bytes`` taken from ``CARTE_MAX_UPLOAD_MB``
        when that variable is set.

    Raises
    ------
    ConfigurationError
        If ``CARTE_MAX_UPLOAD_MB`` is not a positive number.
    """
    raw = environ.get(MAX_UPLOAD_ENV, "").strip()
    if not raw:
        return ReadLimits()
    try:
        # French users write decimals with a comma.
        megabytes = float(raw.replace(",", "."))
    except ValueError:
        megabytes = math.nan
    if not (math.isfinite(megabytes) and megabytes > 0):
        raise ConfigurationError(
            f"La variable d'environnement {MAX_UPLOAD_ENV} vaut « {raw} » : "
            "indiquez une taille maximale de fichier en mégaoctets, par exemple 20."
        )
    return ReadLimits(max_file_bytes=int(megabytes * MEGABYTE))


DEFAULT_LIMITS = limits_from_env(os.environ)
"""Limits used when a caller gives none."""
