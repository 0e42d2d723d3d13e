"""French grammar for the pages' sentences: counts agree with their noun."""

from __future__ import annotations

from views.labels import french_number


def plural(count: float, singular: str, plural_form: str) -> str:
    """The form of a word that agrees with ``count``, by the French rule: below 2 is singular.

    « 0 site », « 1 site », « 1,5 kilomètre », « 2 sites »: unlike English, zero takes the singular.

    Parameters
    ----------
    count
        The number the word goes with.
    singular, plural_form
        Both forms, written in full (« animateur·rice référencé·e », « animateur·rices référencé·es »).
    """
    return singular if abs(count) < 2 else plural_form


def counted(count: int, singular: str, plural_form: str) -> str:
    """A count with its words agreeing, written the French way: « 1 fiche », « 1 234 fiches ».

    Examples
    --------
    >>> counted(0, "ligne rejetée", "lignes rejetées"), counted(1234, "fiche", "fiches")
    ('0 ligne rejetée', '1\u202f234 fiches')
    """
    return f"{french_number(count)} {plural(count, singular, plural_form)}"
