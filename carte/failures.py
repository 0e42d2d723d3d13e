"""How a command says it could not do its work: a French sentence on standard error and exit status 2."""

from __future__ import annotations

import sys

import sqlalchemy.exc

EXIT_UNUSABLE = 2


def fail(message: str) -> int:
    """Print « Erreur : message » on standard error and return :data:`EXIT_UNUSABLE`."""
    print(f"Erreur : {message}", file=sys.stderr)
    return EXIT_UNUSABLE


def unreachable_database(error: sqlalchemy.exc.SQLAlchemyError) -> int:
    """The database given by ``--db`` or ``DATABASE_URL`` could not be read or written."""
    return fail(f"la base de données est inaccessible ({error.__class__.__name__}). Vérifiez --db ou DATABASE_URL.")
