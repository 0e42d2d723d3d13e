"""The verdict of every row of a table: the first rule that places it wins, with notes, else a reason."""

from __future__ import annotations

from collections.abc import Sequence
from operator import getitem

import numpy as np
import pandas as pd

from loaders.geocoding import wording
from loaders.geocoding.coordinates import coordinates_against_fields, coordinates_column
from loaders.geocoding.distinct import distinct_rows, positions_in
from loaders.geocoding.gazetteer import Gazetteer
from loaders.geocoding.insee import insee_column
from loaders.geocoding.kinds import Borrowed, InseeField, Rule
from loaders.geocoding.outcomes import Blanks, Outcome, RuleOutcomes

GEOCODE_COLUMNS: tuple[str, ...] = (
    "insee_code",
    "commune",
    "arrondissement_code",
    "epci_code",
    "epci",
    "departement_code",
    "region_code",
    "lat",
    "lon",
    "geocode_precision",
    "geocode_note",
    "reject_reason",
)
LOCATION_FIELDS: tuple[str, ...] = (
    "insee_code", "postcode", "city", "address", "coordinates", "lat", "lon", "x", "y",
)


def geocode(frame: pd.DataFrame, gazetteer: Gazetteer) -> pd.DataFrame:
    """Place every row of ``frame`` on a commune.

    Parameters
    ----------
    frame
        Canonical fields as columns of str (``""`` when empty); absent fields
        may be missing columns.
    gazetteer
        Indexes over the reference geography.

    Returns
    -------
    pandas.DataFrame
        :data:`GEOCODE_COLUMNS`, same index as ``frame``. ``reject_reason`` is
        ``None`` for placed rows, a French sentence otherwise.
    """
    column = lambda name: frame[name].astype(object) if name in frame else pd.Series("", index=frame.index,  # noqa: E731
                                                                                      dtype=object)
    insee_raw = column("insee_code")
    by_insee, insee_holds = insee_column(insee_raw, gazetteer)
    postcode, city, address = column("postcode"), column("city"), column("address")
    blanks = Blanks.of(postcode, city)
    # A postcode or a commune name typed in the INSEE field stands for an empty postcode or commune field.
    borrowed = np.select([blanks.postcode & (insee_holds == InseeField.POSTCODE),
                          blanks.city & (insee_holds == InseeField.COMMUNE_NAME)],
                         [Borrowed.POSTCODE, Borrowed.COMMUNE], Borrowed.NOTHING)
    postcode = postcode.where(borrowed != Borrowed.POSTCODE, insee_raw)
    city = city.where(borrowed != Borrowed.COMMUNE, insee_raw)
    # What the INSEE field lends is never blank: it holds a postcode or a commune name.
    blanks = Blanks(blanks.postcode & (borrowed != Borrowed.POSTCODE), blanks.city & (borrowed != Borrowed.COMMUNE))
    readings = gazetteer.read_evidence_columns(postcode, city, address, blanks=blanks)
    by_coordinates, points = coordinates_column(frame, gazetteer)
    by_coordinates = coordinates_against_fields(by_insee, by_coordinates, readings[0], points, gazetteer)
    # The evidence is weighed where it decides: rows that neither an INSEE code nor coordinates place.
    undecided = ~(by_insee.placed | by_coordinates.placed)
    by_name, by_address, by_name_alone = gazetteer.weigh_evidence_columns(postcode, city, address, readings, undecided,
                                                                          blanks=blanks)

    rules = (by_insee, by_coordinates, by_name, by_address, by_name_alone)
    insee, arrondissement, precision, note, reason = _decide_rows(rules, borrowed, gazetteer)
    commune = positions_in(gazetteer.communes.index, insee)
    lon, lat = _verdict_points(commune, precision, points, gazetteer)
    # The commune's columns are taken in Arrow: converting 100,000 Python strings per column costs more.
    no_commune = np.where(commune < 0, len(gazetteer.communes), commune)
    columns = {
        "insee_code": insee, "arrondissement_code": arrondissement, "lat": lat.tolist(), "lon": lon.tolist(),
        "geocode_precision": precision, "geocode_note": note, "reject_reason": reason,
        **{name: pd.array(values.take(no_commune), dtype="str") for name, values in gazetteer.territories.items()},
    }
    # Typed as pandas infers them: str for text (object where every value is None); float64 for lat/lon.
    return pd.DataFrame({name: columns[name] for name in GEOCODE_COLUMNS}, index=frame.index)



# How a rule ranked after the winner relates to it (what the note of the row says of that rule).
AGREES, OTHER_ARRONDISSEMENT, OTHER_COMMUNE = 0, 1, 2


def _decide_rows(rules: Sequence[RuleOutcomes], borrowed: np.ndarray, gazetteer: Gazetteer) -> tuple[np.ndarray, ...]:
    """The verdict of every row from what the readings of :class:`Rule` said of it (rule 3 weighed).

    ``borrowed`` holds the :class:`Borrowed` code of each row.

    The first rule that places a row wins; the place and the precision follow
    row by row. The note (or the reason of a rejection) is written by
    :func:`_note_and_reason` once per distinct combination of what it reads.

    Returns
    -------
    tuple of numpy.ndarray
        insee_code, arrondissement_code, geocode_precision, geocode_note and
        reject_reason of every row.
    """
    rows, ranks = len(borrowed), len(rules)
    placed = np.column_stack([rule.placed for rule in rules]).reshape(rows, ranks)
    winner = np.where(placed.any(axis=1), placed.argmax(axis=1), ranks)
    insee = [rule.values(lambda o: o.place.insee_code if o.place else "") for rule in rules]
    arrondissement = [rule.values(lambda o: o.place.arrondissement_code if o.place else "") for rule in rules]
    winner_insee, winner_arrondissement = np.full(rows, "", dtype=object), np.full(rows, "", dtype=object)
    for rank in range(ranks):
        won = winner == rank
        winner_insee[won], winner_arrondissement[won] = insee[rank][won], arrondissement[rank][won]
    relation = np.column_stack([
        _relation(placed[:, rank], insee[rank], arrondissement[rank], winner_insee, winner_arrondissement)
        for rank in range(ranks)
    ]).reshape(rows, ranks)
    # Coordinates in the winning commune give the row its point (and their notes, when another rule won).
    coordinates = Rule.COORDINATES
    coordinates_agree = placed[:, coordinates] & (insee[coordinates] == winner_insee) & (winner < ranks)

    # What _note_and_reason reads: the reason of each rule before the winner, the notes of the winner, how each
    # rule after it relates to it (and where it points when it disagrees), the notes of agreeing coordinates.
    read = [winner, borrowed, np.where(coordinates_agree, rules[coordinates].view(lambda o: o.notes), -1)]
    for rank, rule in enumerate(rules):
        disagreement = np.where(relation[:, rank] == AGREES, -1,
                                rule.view(lambda o: o.place) * 3 + relation[:, rank])
        read.append(np.select([rank < winner, rank == winner],
                              [rule.view(lambda o: o.reason), rule.view(lambda o: o.notes)], disagreement))
    positions, first_rows = distinct_rows(read)
    outcomes = [rule.outcomes for rule in rules]
    written = [
        _note_and_reason(tuple(map(getitem, outcomes, codes)), rank, kinds, agree, Borrowed(borrowed_field), gazetteer)
        for codes, rank, kinds, agree, borrowed_field in zip(
            np.column_stack([rule.codes[first_rows] for rule in rules]).tolist(), winner[first_rows].tolist(),
            relation[first_rows].tolist(), coordinates_agree[first_rows].tolist(), borrowed[first_rows].tolist(),
        )
    ]
    note, reason = (np.array(values, dtype=object)[positions] for values in (zip(*written) if written else [(), ()]))
    precision = np.where(winner == ranks, "", np.where(coordinates_agree, "coordinates", "commune")).astype(object)
    # A commune named without its arrondissement gets the one of the coordinates.
    arrondissement_code = np.where(coordinates_agree & (winner_arrondissement == ""), arrondissement[coordinates],
                                   winner_arrondissement)
    return winner_insee, arrondissement_code, precision, note, reason


def _relation(
    placed: np.ndarray, insee: np.ndarray, arrondissement: np.ndarray, winner_insee: np.ndarray,
    winner_arrondissement: np.ndarray,
) -> np.ndarray:
    """How the place given by a rule relates to the winning place, row by row."""
    same_commune = insee == winner_insee
    other_arrondissement = (placed & same_commune & (arrondissement != "") & (winner_arrondissement != "")
                            & (arrondissement != winner_arrondissement))
    return np.where(other_arrondissement, OTHER_ARRONDISSEMENT,
                    np.where(placed & ~same_commune, OTHER_COMMUNE, AGREES))


def _note_and_reason(
    outcomes: tuple[Outcome, ...], winner_rank: int, relation: Sequence[int], coordinates_agree: bool,
    borrowed: Borrowed, gazetteer: Gazetteer,
) -> tuple[str, str | None]:
    """geocode_note and reject_reason of a row.

    Reads only the reasons of the rules ranked before the winner, the notes of
    the winner, the places of the rules after it that disagree with it, and the
    notes of coordinates that agree with it.
    """
    if winner_rank == len(outcomes):
        reasons = list(dict.fromkeys(o.reason for o in outcomes if o.reason))
        if len(reasons) > 1:  # a street without postcode says nothing more than the other reasons
            reasons = [r for r in reasons if not r.endswith("sans code postal")]
        reason = " ; ".join(reasons) if reasons else wording.NO_LOCATION_REASON
        return "", reason[0].upper() + reason[1:]
    notes = list(outcomes[winner_rank].notes)
    if borrowed and winner_rank >= Rule.POSTCODE_AND_COMMUNE:
        notes.insert(0, wording.BORROWED_NOTES[borrowed])
    for rank, outcome in enumerate(outcomes[:winner_rank]):
        # The INSEE field read as a postcode or a commune is not an INSEE code gone wrong.
        if outcome.reason and not (rank == Rule.INSEE_CODE and borrowed):
            notes.append(f"ignoré : {outcome.reason}")
    for rank in range(winner_rank + 1, len(outcomes)):
        place = outcomes[rank].place
        plural = rank in (Rule.COORDINATES, Rule.POSTCODE_AND_COMMUNE)
        if relation[rank] == OTHER_ARRONDISSEMENT:
            notes.append(f"{wording.RULE_LABELS[rank]} indiqu{'ent' if plural else 'e'} un autre arrondissement "
                         f"({place.arrondissement_code}) : priorité {wording.RULE_PRIORITY[winner_rank]}")
        elif relation[rank] == OTHER_COMMUNE:
            notes.append(f"{wording.RULE_LABELS[rank]} désign{'ent' if plural else 'e'} une autre commune "
                         f"({gazetteer.name_of[place.insee_code]}, {place.insee_code}) : "
                         f"priorité {wording.RULE_PRIORITY[winner_rank]}")
    if coordinates_agree and winner_rank != Rule.COORDINATES:
        notes += outcomes[Rule.COORDINATES].notes
    return " ; ".join(dict.fromkeys(notes)), None


def _verdict_points(
    commune: np.ndarray, precision: np.ndarray, points: np.ndarray, gazetteer: Gazetteer
) -> tuple[np.ndarray, np.ndarray]:
    """(lon, lat) of each row: the given coordinates, else the commune's reference point; ``None`` if rejected.

    ``commune`` is the position of each row's commune in the reference.
    """
    lon, lat = np.full(len(commune), None, dtype=object), np.full(len(commune), None, dtype=object)
    given = precision == "coordinates"
    lon[given], lat[given] = points[given, 0], points[given, 1]
    by_commune = precision == "commune"
    lon[by_commune] = gazetteer.communes["lon"].to_numpy(dtype=float)[commune[by_commune]]
    lat[by_commune] = gazetteer.communes["lat"].to_numpy(dtype=float)[commune[by_commune]]
    return lon, lat

