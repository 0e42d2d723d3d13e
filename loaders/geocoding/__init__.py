"""Offline geocoding of form rows onto communes and EPCIs.

Rules, first that places the row wins (see ``docs/geocoding.md``):

1. an INSEE code, repaired (lost leading zero, 2A/2B; a postcode or a commune
   name typed in the INSEE field is read as such);
2. coordinates (lat/lon, a combined "lat, lon" field, swapped, Lambert-93 x/y,
   comma decimals), placed by point-in-polygon;
3. the agreement of the evidence: the postcode + commune name (articles,
   St/Ste, CEDEX, arrondissements, former communes, homonyms, a lost leading
   zero, small typos), then the postcode and city written in the address; when
   the postcode column, the commune column and the address point to different
   communes, two that agree beat one that disagrees, and an even split rejects
   the row;
4. a commune name alone, when it is unique in France.

Every rule is computed on the distinct values of its input columns only, so the
cost grows with the number of distinct places, not of rows. The keys of a rule
(cleaned postcode, name key, numbers of a coordinate field) are computed once
per distinct value of their column, then looked up in the same tables as the
rule for one row; the decision between the rules runs once per distinct
combination of what it reads. When a lower rule names another commune than the
winning one, ``geocode_note`` says so.
"""

from loaders.geocoding.decision import GEOCODE_COLUMNS, LOCATION_FIELDS, geocode
from loaders.geocoding.gazetteer import Gazetteer
from loaders.geocoding.kinds import POINT_QUOTING_KINDS, OutcomeKind, Rule
from loaders.geocoding.names import city_name_key, name_key
from loaders.geocoding.postcodes import UNCOVERED_POSTCODES, UNCOVERED_TERRITORIES

__all__ = [
    "GEOCODE_COLUMNS", "LOCATION_FIELDS", "UNCOVERED_POSTCODES", "UNCOVERED_TERRITORIES",
    "POINT_QUOTING_KINDS", "Gazetteer", "OutcomeKind", "Rule", "city_name_key", "geocode", "name_key",
]
