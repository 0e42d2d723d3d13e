"""The geocoder: indexes over the reference geography and every rule that reads a row."""

from __future__ import annotations

from loaders.geocoding.coordinates import Coordinates
from loaders.geocoding.evidence import EvidenceWeighing
from loaders.geocoding.insee import InseeCodes


class Gazetteer(InseeCodes, Coordinates, EvidenceWeighing):
    """Indexes over the reference geography, and the rules that read a row with them.

    Rule 1 (:class:`InseeCodes`), rule 2 (:class:`Coordinates`), rules 3 and 4
    (:class:`EvidenceWeighing` over :class:`loaders.geocoding.communes.CommuneNames`).
    Built once per process; its memos of the rules for one text grow with the
    distinct texts met.
    """
