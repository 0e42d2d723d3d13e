"""Who a row is about, and what the loader must not keep of a private person's home.

* **Person ids.** A person is identified by a digest of what identifies them (e-mail, else the form's
  answer id, else name + structure + commune): :func:`person_id`, :func:`animator_id_of`.
* **Home addresses.** A row with no structure name, or whose structure (name or type) designates a
  private person (:data:`PRIVATE_PERSON`, compared folded), gives a home address. Its coordinates are
  replaced at import by the reference point of its commune (precision ``commune``, note
  :data:`HOME_NOTE`): the home point is never stored, nor quoted in the geocoder's note.
"""

from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd

from core.text import fold
from loaders.geocoding import POINT_QUOTING_KINDS, Gazetteer
from loaders.places import NO_STRUCTURE

# Structure names or types, folded (core.text.fold), that designate a private person rather than an
# organisation. Whole values only: « Association d'aide à domicile » is an organisation.
PRIVATE_PERSON: frozenset[str] = frozenset({
    "particulier", "particuliere", "a domicile", "domicile", "mon domicile", "personne physique",
    "independant", "independante", "independant e", "independant es", "travailleur independant",
    "travailleuse independante", "auto entrepreneur", "auto entrepreneuse", "micro entrepreneur",
    "micro entrepreneuse", "benevole independant", "a titre personnel", "a titre individuel",
})
HOME_NOTE = "adresse personnelle : placée au point de référence de la commune, pas aux coordonnées données"
HIDDEN_POINT = "(non conservées : adresse personnelle)"


def is_home_address(structure: pd.Series, structure_type: pd.Series) -> np.ndarray:
    """Whether each row's address is a private person's home.

    Parameters
    ----------
    structure, structure_type
        The structure's name and type as written (``""`` when empty), aligned.

    Returns
    -------
    numpy.ndarray
        Booleans: no structure name, or a name or type in :data:`PRIVATE_PERSON`.

    Examples
    --------
    >>> is_home_address(pd.Series(["", "Médiathèque", "Particulier", "Médiathèque"]),
    ...                 pd.Series(["", "", "", "Indépendant·e"])).tolist()
    [True, False, True, True]
    """
    no_structure = _folded(structure).isin(NO_STRUCTURE | PRIVATE_PERSON).to_numpy()
    return no_structure | _folded(structure_type).isin(PRIVATE_PERSON).to_numpy()


def _folded(values: pd.Series) -> pd.Series:
    """Each value folded, computed once per distinct value."""
    positions, distinct = pd.factorize(values.fillna("").to_numpy(dtype=object))
    return pd.Series(np.array([fold(str(value)) for value in distinct.tolist()], dtype=object)[positions],
                     index=values.index, dtype=object)


def homes_at_commune_point(canonical: pd.DataFrame, located: pd.DataFrame, gazetteer: Gazetteer) -> pd.DataFrame:
    """Keep no home point: home rows placed at given coordinates move to their commune's reference point.

    Parameters
    ----------
    canonical
        The rows' canonical fields (``structure``, ``structure_type``).
    located
        The geocoder's verdict of the same rows (:func:`loaders.geocoding.geocode`).
    gazetteer
        The reference geography.

    Returns
    -------
    pandas.DataFrame
        ``located`` where home rows with precision ``coordinates`` get the commune's point,
        precision ``commune`` and :data:`HOME_NOTE` appended to their note; coordinates quoted in
        the note of a home row (ignored: their kind is one of
        :data:`loaders.geocoding.POINT_QUOTING_KINDS`) are replaced by :data:`HIDDEN_POINT`.
    """
    home = is_home_address(canonical["structure"], canonical["structure_type"])
    if not home.any():
        return located
    located = located.copy()
    quoting = home & located["coordinates_kind"].isin(POINT_QUOTING_KINDS).to_numpy()
    if quoting.any():
        _hide_quoted_points(located, quoting)
    moved = home & (located["geocode_precision"] == "coordinates").to_numpy()
    if moved.any():
        _at_commune_point(located, moved, gazetteer)
    return located


def _hide_quoted_points(located: pd.DataFrame, rows: np.ndarray) -> None:
    """Replace (in place) the point that the note of each of ``rows`` quotes by :data:`HIDDEN_POINT`."""
    notes, points = (located.loc[rows, name].tolist() for name in ("geocode_note", "quoted_point"))
    located.loc[rows, "geocode_note"] = [note.replace(point, HIDDEN_POINT) for note, point in zip(notes, points)]


def _at_commune_point(located: pd.DataFrame, rows: np.ndarray, gazetteer: Gazetteer) -> None:
    """Place ``rows`` of ``located`` (in place) at their commune's reference point, saying why."""
    points = [gazetteer.point_of[code] for code in located.loc[rows, "insee_code"].tolist()]
    located.loc[rows, "lon"] = [lon for lon, _ in points]
    located.loc[rows, "lat"] = [lat for _, lat in points]
    located.loc[rows, "geocode_precision"] = "commune"
    notes = located.loc[rows, "geocode_note"]
    located.loc[rows, "geocode_note"] = notes.where(notes == "", notes + " ; ") + HOME_NOTE


def person_id(key: str) -> str:
    """The stable id of a person from what identifies them (``email:…``, ``submission:…`` or ``person:…``).

    A digest, so that the id (kept in an erasure's tombstone) does not reveal the e-mail.
    """
    return hashlib.sha256(key.encode()).hexdigest()[:16]


def animator_id_of(who: str) -> str:
    """The animator id of an e-mail address, or ``who`` itself when it is already an id.

    The loader identifies a person with an e-mail by ``email:<address>`` (:func:`loaders.pipeline._animator_ids`).

    Examples
    --------
    >>> animator_id_of("  Ana@Exemple.fr ") == animator_id_of("ana@exemple.fr")
    True
    >>> animator_id_of("0123456789ABCDEF")
    '0123456789abcdef'
    """
    text = who.strip()
    if "@" in text:
        return person_id(f"email:{text.casefold()}")
    return text.lower()
