"""Named exceptions of the loader.

Every exception carries a message in French, written for a hub agent: it says
which file or field is at fault and what to do about it. The CLI prints that
message on stderr and exits non-zero; nothing is written to the store.
"""


class LoaderError(Exception):
    """A whole input file cannot be used (the message is French, for people)."""


class UnreadableFileError(LoaderError):
    """The bytes cannot be decoded or parsed as CSV, XLSX or JSON."""


class NotATableError(LoaderError):
    """The file parses, but does not hold a table of records."""


class FileTooLargeError(LoaderError):
    """The file, or its decompressed content, is over the configured limits."""


class NoLocationColumnError(LoaderError):
    """No column can place a row on a commune (no INSEE code, coordinates, postcode, city or address)."""


class ConfigurationError(LoaderError):
    """A profile, a forced column mapping or a theme given on the command line is invalid."""
