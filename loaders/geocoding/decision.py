"""The verdict of every row of a table: the first rule that places it wins, with notes, else a reason."""

from __future__ import annotations

from collections.abc import Sequence
from operator import getitem
from typing import NamedTuple

import numpy as np
import pandas as pd

from loaders.geocoding import wording
from loaders.geocoding.coordinates import coordinates_against_fields, coordinates_column
from loaders.geocoding.distinct import distinct_rows, positions_in
from loaders.geocoding.gazetteer import Gazetteer
from loaders.geocoding.insee import insee_column
from loaders.geocoding.kinds import Borrowed, InseeField, OutcomeKind, Precision, Relation, Rule
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
    # Named kinds, for code: never exported (the CSV files take their own columns).
    "geocode_rule",  # the Rule that placed the row, None if rejected
    "geocode_kind",  # the OutcomeKind of the winning outcome, or of the rejection (its first reason)
    "coordinates_kind",  # the OutcomeKind of the coordinates' reading, whichever rule won
    "quoted_point",  # the point the coordinates' reason quotes (POINT_QUOTING_KINDS), else ""
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
        ``None`` for placed rows, a French sentence otherwise; decisions read
        the named kinds of the last columns, never the French.
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
    by_coordinates = coordinates_against_fields(by_insee, by_coordinates, readings.postcode_and_commune, points,
                                                gazetteer)
    # The evidence is weighed where it decides: rows that neither an INSEE code nor coordinates place.
    undecided = ~(by_insee.placed | by_coordinates.placed)
    by_name, by_address, by_name_alone = gazetteer.weigh_evidence_columns(postcode, city, address, readings, undecided,
                                                                          blanks=blanks)

    rules = (by_insee, by_coordinates, by_name, by_address, by_name_alone)  # in the order of Rule
    verdicts = _decide_rows(rules, borrowed, gazetteer)
    commune = positions_in(gazetteer.communes.index, verdicts.insee_code)
    lon, lat = _verdict_points(commune, verdicts.precision, points, gazetteer)
    # The commune's columns are taken in Arrow: converting 100,000 Python strings per column costs more.
    no_commune = np.where(commune < 0, len(gazetteer.communes), commune)
    columns = {
        "insee_code": verdicts.insee_code, "arrondissement_code": verdicts.arrondissement_code, "lat": lat.tolist(),
        "lon": lon.tolist(), "geocode_precision": verdicts.precision, "geocode_note": verdicts.note,
        "reject_reason": verdicts.reason,
        **{name: pd.array(values.take(no_commune), dtype="str") for name, values in gazetteer.territories.items()},
        # The kinds stay enum members (object): converting them to text would cost as much as the decision.
        **{name: pd.array(values, dtype=object) for name, values in (
            ("geocode_rule", verdicts.rule), ("geocode_kind", verdicts.kind),
            ("coordinates_kind", by_coordinates.values(lambda o: o.kind)),
            ("quoted_point", by_coordinates.values(lambda o: o.quoted_point)))},
    }
    # Typed as pandas infers them: str for text (object where every value is None); float64 for lat/lon.
    return pd.DataFrame({name: columns[name] for name in GEOCODE_COLUMNS}, index=frame.index)


# Rules 3 and 4, which read the postcode and the commune that the INSEE field may lend (:class:`Borrowed`).
EVIDENCE_RULES = frozenset({Rule.POSTCODE_AND_COMMUNE, Rule.ADDRESS, Rule.NAME_ALONE})
NO_WINNER = len(Rule)  # the winner of a row that no rule places
RULE_OF_WINNER = np.array([*Rule, None], dtype=object)  # the Rule of each winner code, None for NO_WINNER


class Verdicts(NamedTuple):
    """What the decision gives every row (arrays aligned with the rows)."""

    insee_code: np.ndarray
    arrondissement_code: np.ndarray
    precision: np.ndarray
    note: np.ndarray
    reason: np.ndarray
    rule: np.ndarray  # the :class:`Rule` that placed the row, None if none did
    kind: np.ndarray  # the :class:`OutcomeKind` of the winning outcome, or of the rejection


class Written(NamedTuple):
    """The note, reason and kind of one combination of outcomes (see :func:`_written`)."""

    note: str
    reason: str | None
    kind: OutcomeKind


def _decide_rows(rules: Sequence[RuleOutcomes], borrowed: np.ndarray, gazetteer: Gazetteer) -> Verdicts:
    """The verdict of every row from what the readings of :class:`Rule` said of it (rule 3 weighed).

    ``rules`` holds the outcomes of each :class:`Rule`, in its order (``rules[Rule.COORDINATES]``);
    ``borrowed`` the :class:`Borrowed` code of each row.

    The first rule that places a row wins; the place and the precision follow
    row by row. The note (or the reason of a rejection) and the kind are written by
    :func:`_written` once per distinct combination of what it reads.
    """
    rows = len(borrowed)
    placed = np.column_stack([rule.placed for rule in rules]).reshape(rows, len(Rule))
    winner = np.where(placed.any(axis=1), placed.argmax(axis=1), NO_WINNER)
    insee = [rule.values(lambda o: o.place.insee_code if o.place else "") for rule in rules]
    arrondissement = [rule.values(lambda o: o.place.arrondissement_code if o.place else "") for rule in rules]
    winner_insee, winner_arrondissement = np.full(rows, "", dtype=object), np.full(rows, "", dtype=object)
    for rule in Rule:
        won = winner == rule
        winner_insee[won], winner_arrondissement[won] = insee[rule][won], arrondissement[rule][won]
    relation = np.column_stack([
        _relation(placed[:, rule], insee[rule], arrondissement[rule], winner_insee, winner_arrondissement)
        for rule in Rule
    ]).reshape(rows, len(Rule))
    # Coordinates in the winning commune give the row its point (and their notes, when another rule won).
    coordinates = Rule.COORDINATES
    coordinates_agree = placed[:, coordinates] & (insee[coordinates] == winner_insee) & (winner != NO_WINNER)

    # What _written reads: the reason and kind of each rule before the winner, the notes and kind of the winner,
    # how each rule after it relates to it (and where it points when it disagrees), the notes of agreeing
    # coordinates.
    read = [winner, borrowed, np.where(coordinates_agree, rules[coordinates].view(lambda o: o.notes), -1)]
    for rule in Rule:
        disagreement = np.where(relation[:, rule] == Relation.AGREES, -1,
                                rules[rule].view(lambda o: o.place) * len(Relation) + relation[:, rule])
        read.append(np.select([rule < winner, rule == winner],
                              [rules[rule].view(lambda o: (o.reason, o.kind)),
                               rules[rule].view(lambda o: (o.notes, o.kind))], disagreement))
    positions, first_rows = distinct_rows(read)
    outcomes = [rule.outcomes for rule in rules]
    written = [
        _written(tuple(map(getitem, outcomes, codes)), RULE_OF_WINNER[won], tuple(map(Relation, relations)), agree,
                 Borrowed(borrowed_field), gazetteer)
        for codes, won, relations, agree, borrowed_field in zip(
            np.column_stack([rule.codes[first_rows] for rule in rules]).tolist(), winner[first_rows].tolist(),
            relation[first_rows].tolist(), coordinates_agree[first_rows].tolist(), borrowed[first_rows].tolist(),
        )
    ]
    note, reason, kind = (np.array(values, dtype=object)[positions]
                          for values in (zip(*written) if written else [(), (), ()]))
    precision = np.where(winner == NO_WINNER, "",
                         np.where(coordinates_agree, Precision.COORDINATES, Precision.COMMUNE)).astype(object)
    # A commune named without its arrondissement gets the one of the coordinates.
    arrondissement_code = np.where(coordinates_agree & (winner_arrondissement == ""), arrondissement[coordinates],
                                   winner_arrondissement)
    return Verdicts(winner_insee, arrondissement_code, precision, note, reason, RULE_OF_WINNER[winner], kind)


def _relation(
    placed: np.ndarray, insee: np.ndarray, arrondissement: np.ndarray, winner_insee: np.ndarray,
    winner_arrondissement: np.ndarray,
) -> np.ndarray:
    """How the place given by a rule relates to the winning place, row by row (:class:`Relation` codes)."""
    same_commune = insee == winner_insee
    other_arrondissement = (placed & same_commune & (arrondissement != "") & (winner_arrondissement != "")
                            & (arrondissement != winner_arrondissement))
    return np.where(other_arrondissement, Relation.OTHER_ARRONDISSEMENT,
                    np.where(placed & ~same_commune, Relation.OTHER_COMMUNE, Relation.AGREES))


def _written(
    outcomes: tuple[Outcome, ...], winner: Rule | None, relation: Sequence[Relation], coordinates_agree: bool,
    borrowed: Borrowed, gazetteer: Gazetteer,
) -> Written:
    """geocode_note, reject_reason and kind of a row, from the outcome of each :class:`Rule` (in its order).

    Reads only the reasons and kinds of the rules ranked before the winner, the notes and kind of
    the winner, the places of the rules after it that disagree with it, and the notes of
    coordinates that agree with it.
    """
    if winner is None:
        return _rejection(outcomes)
    notes = list(outcomes[winner].notes)
    if borrowed and winner in EVIDENCE_RULES:
        notes.insert(0, wording.BORROWED_NOTES[borrowed])
    for rule in Rule:
        outcome = outcomes[rule]
        # The INSEE field read as a postcode or a commune is not an INSEE code gone wrong.
        if rule < winner and outcome.reason and not (rule is Rule.INSEE_CODE and borrowed):
            notes.append(wording.ignored(outcome.reason))
        elif rule > winner and relation[rule] is Relation.OTHER_ARRONDISSEMENT:
            notes.append(wording.other_arrondissement(rule, outcome.place.arrondissement_code, winner))
        elif rule > winner and relation[rule] is Relation.OTHER_COMMUNE:
            code = outcome.place.insee_code
            notes.append(wording.other_commune(rule, gazetteer.name_of[code], code, winner))
    if coordinates_agree and winner is not Rule.COORDINATES:
        notes += outcomes[Rule.COORDINATES].notes
    return Written(" ; ".join(dict.fromkeys(notes)), None, outcomes[winner].kind)


def _rejection(outcomes: tuple[Outcome, ...]) -> Written:
    """The reason and kind of a row that no rule places: the reasons of its rules, the first one's kind."""
    failed = [outcome for outcome in outcomes if outcome.reason]
    # A street without postcode says nothing more than the other reasons.
    told = [outcome for outcome in failed if outcome.kind is not OutcomeKind.ADDRESS_WITHOUT_POSTCODE] or failed
    kind = told[0].kind if told else OutcomeKind.NO_LOCATION
    return Written("", wording.rejection(list(dict.fromkeys(outcome.reason for outcome in told))), kind)


def _verdict_points(
    commune: np.ndarray, precision: np.ndarray, points: np.ndarray, gazetteer: Gazetteer
) -> tuple[np.ndarray, np.ndarray]:
    """(lon, lat) of each row: the given coordinates, else the commune's reference point; ``None`` if rejected.

    ``commune`` is the position of each row's commune in the reference.
    """
    lon, lat = np.full(len(commune), None, dtype=object), np.full(len(commune), None, dtype=object)
    given = precision == Precision.COORDINATES
    lon[given], lat[given] = points[given, 0], points[given, 1]
    by_commune = precision == Precision.COMMUNE
    lon[by_commune] = gazetteer.communes["lon"].to_numpy(dtype=float)[commune[by_commune]]
    lat[by_commune] = gazetteer.communes["lat"].to_numpy(dtype=float)[commune[by_commune]]
    return lon, lat

