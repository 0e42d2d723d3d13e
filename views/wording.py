"""French grammar for the pages' sentences: counts agree with their noun."""

from __future__ import annotations


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
