"""Settings of the loader, in one place.

Each setting has a documented default. A few can be changed through environment
variables, so that a hub can adapt them without touching the code:

``CARTE_MAX_UPLOAD_MB``
    Largest input file accepted, in megabytes (1 MB = 1,048,576 bytes, the unit
    Streamlit uses for its own upload limit). Default: 20, the ``maxUploadSize``
    of ``.streamlit/config.toml``. The web page cannot receive files larger than
    Streamlit's own limit: to accept larger uploads there, raise both (Streamlit
    reads ``STREAMLIT_SERVER_MAX_UPLOAD_SIZE``). Read each time a file is read
    (see `current_limits`), so that an invalid value gives a French
    `ConfigurationError` where the file is read, not a crash at start-up.

``CARTE_RETENTION_MONTHS``
    How long a record stays published without being re-confirmed by a newer
    form answer, in whole months. Default: 24. Read at each use (see
    `retention_months`); demonstration imports are exempt.

``CARTE_CONTROLLER_NAME``
    The data controller (« responsable de traitement ») named on the page
    « Données personnelles », e.g. « Agence nationale de la cohésion des
    territoires ». Must be set in production: the default only says that it is
    still to be set (see `privacy_contact`).

``CARTE_PRIVACY_CONTACT``
    Where people write to exercise their rights: an e-mail address (shown as a
    link) or a postal address. Must be set in production: the default is an
    address of the reserved ``.invalid`` domain that says it is a placeholder.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from core import settings as core_settings
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
    delimiter was misdetected into thousands of columns, a sparse table whose
    few cells are padded into billions).

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
    max_cells : int
        Largest number of cells in a table, rows times columns, counting the
        empty cells that complete short rows (100,000 rows of 27 columns, a large
        hub export, hold 2.7 million). A CSV file needs a byte per cell at least:
        `limits_from_env` raises this limit with the file size, to half a cell
        per byte.
    """

    max_file_bytes: int = 20 * MEGABYTE
    xlsx_max_entries: int = 10_000
    xlsx_max_uncompressed_bytes: int = 200 * MEGABYTE
    xlsx_max_compression_ratio: float = 200.0
    max_columns: int = 2_000
    max_cells: int = 10_000_000


DEFAULT_LIMITS = ReadLimits()
"""The documented defaults, before any environment override."""


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
        when that variable is set (and ``max_cells`` raised with it).

    Raises
    ------
    ConfigurationError
        If ``CARTE_MAX_UPLOAD_MB`` is not a number of megabytes worth at least
        one byte and small enough to be counted.

    Examples
    --------
    >>> limits_from_env({"CARTE_MAX_UPLOAD_MB": "0,5"}).max_file_bytes
    524288
    >>> limits_from_env({"CARTE_MAX_UPLOAD_MB": "100"}).max_cells
    52428800
    """
    raw = environ.get(MAX_UPLOAD_ENV, "").strip()
    if not raw:
        return DEFAULT_LIMITS
    try:
        # French users write decimals with a comma.
        size = float(raw.replace(",", ".")) * MEGABYTE
    except ValueError:
        size = math.nan
    # A size must be finite (1e400 overflows to infinity) and hold at least one byte.
    if not (math.isfinite(size) and size >= 1):
        raise ConfigurationError(
            f"La variable d'environnement {MAX_UPLOAD_ENV} vaut « {raw} » : "
            "indiquez une taille maximale de fichier en mégaoctets, par exemple 20."
        )
    return ReadLimits(max_file_bytes=int(size), max_cells=max(DEFAULT_LIMITS.max_cells, int(size) // 2))


def current_limits() -> ReadLimits:
    """The read limits for the current environment (see `limits_from_env`).

    Returns
    -------
    ReadLimits
        Defaults with the overrides of ``os.environ``, read at each call.

    Raises
    ------
    ConfigurationError
        If ``CARTE_MAX_UPLOAD_MB`` is invalid.
    """
    return limits_from_env({MAX_UPLOAD_ENV: core_settings.value(MAX_UPLOAD_ENV)})


RETENTION_ENV = "CARTE_RETENTION_MONTHS"
"""Environment variable setting the retention period of published records, in months."""

DEFAULT_RETENTION_MONTHS = 24
"""Records not re-confirmed within this many months are unpublished (``CARTE_RETENTION_MONTHS``)."""


def retention_months(environ: Mapping[str, str] | None = None) -> int:
    """The retention period of published records, in months.

    Parameters
    ----------
    environ : Mapping[str, str], optional
        Environment variables; ``os.environ``, read at each call, when omitted.

    Returns
    -------
    int
        ``CARTE_RETENTION_MONTHS`` when set, else `DEFAULT_RETENTION_MONTHS`.

    Raises
    ------
    ConfigurationError
        If ``CARTE_RETENTION_MONTHS`` is not a whole number of months, at least 1.

    Examples
    --------
    >>> retention_months({"CARTE_RETENTION_MONTHS": " 36 "})
    36
    >>> retention_months({})
    24
    """
    raw = (core_settings.value(RETENTION_ENV) if environ is None else environ.get(RETENTION_ENV, "")).strip()
    if not raw:
        return DEFAULT_RETENTION_MONTHS
    if not (raw.isascii() and raw.isdigit() and int(raw) >= 1):
        raise ConfigurationError(
            f"La variable d'environnement {RETENTION_ENV} vaut « {raw} » : "
            "indiquez une durée de conservation en mois entiers, par exemple 24."
        )
    return int(raw)


CONTROLLER_ENV = "CARTE_CONTROLLER_NAME"
"""Environment variable naming the data controller shown on « Données personnelles »."""

PRIVACY_CONTACT_ENV = "CARTE_PRIVACY_CONTACT"
"""Environment variable giving the address people write to about their personal data."""

DEFAULT_CONTROLLER = "responsable de traitement à renseigner (réglage CARTE_CONTROLLER_NAME)"
"""Shown until ``CARTE_CONTROLLER_NAME`` is set: it says what is missing, it names nobody."""

DEFAULT_PRIVACY_CONTACT = "adresse-a-renseigner@carte-des-animateurs.invalid"
"""Shown until ``CARTE_PRIVACY_CONTACT`` is set: ``.invalid`` is reserved, no mail can reach it."""


@dataclass(frozen=True)
class PrivacyContact:
    """Who is responsible for the personal data, and where to write.

    Attributes
    ----------
    controller : str
        The data controller (« responsable de traitement »).
    contact : str
        An e-mail or postal address for requests about personal data.
    configured : bool
        Whether both come from the settings; ``False`` means a placeholder is shown.
    """

    controller: str
    contact: str
    configured: bool


def privacy_contact(environ: Mapping[str, str] | None = None) -> PrivacyContact:
    """The data controller and the contact address, from ``CARTE_CONTROLLER_NAME`` and ``CARTE_PRIVACY_CONTACT``.

    Parameters
    ----------
    environ : Mapping[str, str], optional
        Environment variables; ``os.environ``, read at each call, when omitted.

    Returns
    -------
    PrivacyContact
        The settings (surrounding spaces removed), each replaced by its placeholder
        default when unset or blank; ``configured`` only when both are set.

    Examples
    --------
    >>> privacy_contact({"CARTE_CONTROLLER_NAME": " ANCT ", "CARTE_PRIVACY_CONTACT": "rgpd@anct.gouv.fr"})
    PrivacyContact(controller='ANCT', contact='rgpd@anct.gouv.fr', configured=True)
    >>> privacy_contact({}).configured
    False
    """
    if environ is None:
        environ = {name: core_settings.value(name) for name in (CONTROLLER_ENV, PRIVACY_CONTACT_ENV)}
    controller = environ.get(CONTROLLER_ENV, "").strip()
    contact = environ.get(PRIVACY_CONTACT_ENV, "").strip()
    return PrivacyContact(controller or DEFAULT_CONTROLLER, contact or DEFAULT_PRIVACY_CONTACT,
                          configured=bool(controller and contact))
