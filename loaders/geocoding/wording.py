"""The French sentences of the geocoder's notes and reasons, for people only: no decision reads them."""

from __future__ import annotations

from collections.abc import Sequence

from loaders.geocoding.kinds import Borrowed, Source

BORROWED_NOTES = {Borrowed.POSTCODE: "code postal lu dans le champ code INSEE",
                  Borrowed.COMMUNE: "commune lue dans le champ code INSEE"}
SOURCE_FIELDS = {Source.POSTCODE: "le code postal", Source.COMMUNE: "la commune", Source.ADDRESS: "l'adresse"}
RULE_LABELS: tuple[str, ...] = ("le code INSEE", "les coordonnées", "le code postal et la commune", "l'adresse",
                                "le nom de commune")
RULE_PRIORITY: tuple[str, ...] = ("au code INSEE", "aux coordonnées", "au code postal et à la commune",
                                  "à l'adresse", "au nom de commune")
NO_LOCATION_REASON = ("aucune localisation : renseignez le code postal et la commune (ou le code INSEE, "
                      "ou des coordonnées latitude/longitude)")


def uncovered_reason(territory: str) -> str:
    return (f"{territory} n'est pas couverte par le référentiel géographique (COG : métropole et "
            "départements d'outre-mer) : la ligne ne peut pas être placée sur la carte")


def one_of(items: Sequence[str]) -> str:
    """« a », « a ou b », « a, b ou c »."""
    return " ou ".join(filter(None, (", ".join(items[:-1]), items[-1])))


def distance_text(km: float) -> str:
    """« 20 m », « 1,7 km », « 12 km »: a distance as a note gives it.

    Examples
    --------
    >>> [distance_text(km) for km in (0.003, 0.018, 0.35, 0.996, 1.74, 12.4)]
    ['10 m', '20 m', '350 m', '1,0 km', '1,7 km', '12 km']
    """
    metres = max(round(km * 1000, -1), 10)
    if metres < 1000:
        return f"{metres:.0f} m"
    return f"{km:.1f} km".replace(".", ",") if km < 10 else f"{km:.0f} km"
