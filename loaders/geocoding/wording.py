"""The French sentences of the geocoder's notes and reasons, for people only: no decision reads them.

Every note and reason is written here, from what the rules found; the rules decide on the named
kinds of :mod:`loaders.geocoding.kinds`.
"""

from __future__ import annotations

from collections.abc import Sequence

from loaders.geocoding.kinds import Borrowed, Rule, Source

# --- Spelling of the fields -------------------------------------------------------------------

CEDEX_IGNORED = "mention CEDEX ignorée"


def zero_restored(field: str, raw: str) -> str:
    """« code postal « 1400 » complété d'un zéro initial » (``field``: « code postal », « code INSEE »)."""
    return f"{field} « {raw.strip()} » complété d'un zéro initial"


def corsican_insee_code(raw: str, code: str) -> str:
    return f"code INSEE corse « {raw.strip()} » lu comme {code}"


# --- Rule 1: INSEE codes --------------------------------------------------------------------


def former_commune_code(code: str, parent_name: str, parent_code: str) -> str:
    return f"code INSEE {code} d'une ancienne commune, rattachée à {parent_name} ({parent_code})"


def uncovered_territory(territory: str) -> str:
    return (f"{territory} n'est pas couverte par le référentiel géographique (COG : métropole et "
            "départements d'outre-mer) : la ligne ne peut pas être placée sur la carte")


def postcode_in_insee_field(raw: str) -> str:
    return f"le champ code INSEE contient « {raw.strip()} », qui est un code postal"


def unknown_insee_code(raw: str) -> str:
    return f"code INSEE « {raw.strip()} » inconnu : vérifiez-le (5 caractères, ex. 01053 ou 2A004)"


# --- Rule 2: coordinates --------------------------------------------------------------------

LAT_LON = "latitude/longitude"  # the ways of writing coordinates, as notes name them
COMBINED = "coordonnées"
X_Y = "x/y"


def unreadable_lat_lon(lat: str, lon: str) -> str:
    return f"latitude « {lat} » / longitude « {lon} » illisibles"


def unreadable_combined(text: str) -> str:
    return f"coordonnées « {text} » illisibles (attendu « latitude, longitude »)"


def unreadable_x_y(x: str, y: str) -> str:
    return f"coordonnées x « {x} » / y « {y} » illisibles"


def lambert_converted(way: str) -> str:
    return f"{way} en Lambert-93 converties en WGS84"


def lambert_swapped_converted(way: str) -> str:
    return f"{way} en Lambert-93 (inversées) converties en WGS84"


def swapped(way: str) -> str:
    return f"{way} inversées (longitude avant latitude), remises dans l'ordre"


def quoted_point(lon: float, lat: float) -> str:
    """« (48.85660, 2.35220) »: a point as reasons quote it, latitude first."""
    return f"({lat:.5f}, {lon:.5f})"


def outside_coverage(point: str) -> str:
    return f"coordonnées {point} hors de toute commune couverte (métropole et DROM)"


def _fields_commune(name: str) -> str:
    # The commune is named in brackets: « de » before « Le Coudray » or « Orléans » would need elision.
    return f"la commune indiquée par le code postal et le nom ({name})"


def near_contour(km: float, fields_name: str) -> str:
    return (f"coordonnées à {distance_text(km)} de {_fields_commune(fields_name)}, hors de son contour simplifié : "
            "lues dans cette commune")


def far_from_fields(point: str, km: float, fields_name: str) -> str:
    return f"coordonnées {point} à {km:.0f} km de {_fields_commune(fields_name)} : vérifiez-les"


def in_neighbour(point: str, neighbour_name: str, km: float, fields_name: str) -> str:
    return (f"coordonnées {point} dans une autre commune ({neighbour_name}), à {distance_text(km)} de "
            f"{_fields_commune(fields_name)} : vérifiez-les")


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


# --- Rule 3: postcode and commune name, address ---------------------------------------------


def invalid_postcode(raw: str) -> str:
    return f"code postal « {raw.strip()} » invalide (5 chiffres attendus)"


def postcode_not_matching(postcode: str, known: bool) -> str:
    """Why a name found in the postcode's département gets a note: the postcode is unknown, or of other communes."""
    return f"code postal {postcode} {'ne correspond pas à cette commune' if known else 'inconnu'}"


def postcode_not_of(postcode: str, raw_city: str) -> str:
    return f"code postal {postcode} ne correspond pas à {raw_city.strip()}"


def commune_not_in_postcode(raw_city: str, postcode: str, communes: Sequence[str]) -> str:
    return (f"commune « {raw_city.strip()} » introuvable pour le code postal {postcode} "
            f"(communes de ce code postal : {', '.join(communes)}) : corrigez la commune ou le code postal")


def unknown_postcode_and_commune(postcode: str, raw_city: str) -> str:
    return (f"code postal {postcode} inconnu et commune « {raw_city.strip()} » introuvable dans ce département : "
            "vérifiez le code postal et l'orthographe de la commune")


def commune_of_postcode(postcode: str) -> str:
    return f"commune déduite du code postal {postcode}"


def unknown_postcode_without_commune(raw: str) -> str:
    return f"code postal « {raw.strip()} » inconnu et commune non renseignée"


def postcode_of_several_communes(postcode: str, count: int) -> str:
    return f"le code postal {postcode} couvre {count} communes : renseignez la commune"


def former_commune_name(former: str, parent: str) -> str:
    return f"{former} est une commune déléguée ou associée de {parent}"


def approximated(raw_city: str, name: str) -> str:
    return f"commune « {raw_city.strip()} » rapprochée de « {name} »"


READ_IN_ADDRESS = "commune lue dans l'adresse"


def address_without_postcode(raw: str) -> str:
    return f"adresse « {raw.strip()} » sans code postal"


def address_not_placed(raw: str, reason: str) -> str:
    return f"adresse « {raw.strip()} » : {reason}"


# --- Rule 3: agreement of the evidence --------------------------------------------------------

SOURCE_FIELDS = {Source.POSTCODE: "le code postal", Source.COMMUNE: "la commune", Source.ADDRESS: "l'adresse"}


def conflict(
    postcode: str, city: str, address: str, agree: Sequence[Source], disagree: Sequence[Source], winner: str,
    first: str,
) -> str:
    """« code postal 25000 incohérent avec la commune et l'adresse (54320 Maxéville) : Maxéville retenue ».

    ``address`` is the address's postcode and commune (« 54320 Maxéville »); ``first`` the commune the
    first reading found, named when every source supports another one.
    """
    alone = {Source.POSTCODE: f"code postal {postcode} incohérent",
             Source.COMMUNE: f"commune « {city} » incohérente",
             Source.ADDRESS: f"adresse ({address}) incohérente"}
    together = {**SOURCE_FIELDS, Source.ADDRESS: f"l'adresse ({address})"}
    if not disagree:
        return f"{' et '.join(together[source] for source in agree)} désignent {winner}, non {first} : {winner} retenue"
    return (f"{' et '.join(alone[source] for source in disagree)} avec "
            f"{' et '.join(together[source] for source in agree)} : {winner} retenue")


def split(postcode: str, city: str, designated: dict[Source, Sequence[str]]) -> str:
    """Why a row whose evidence is evenly split is rejected: what each source designates.

    ``designated`` gives, per source present, the communes it designates as « Talence (33) »,
    at most three (a fourth one stands for more).
    """
    label = {**SOURCE_FIELDS, Source.POSTCODE: f"le code postal {postcode}", Source.COMMUNE: f"la commune « {city} »"}
    parts = [f"{label[source]} désigne {' ou '.join(names[:3])}{' …' if len(names) > 3 else ''}"
             for source, names in designated.items()]
    return (f"indices contradictoires : {', '.join(parts)} ; sans majorité, la ligne n'est pas placée : "
            f"corrigez {one_of([SOURCE_FIELDS[source] for source in designated])}")


def one_of(items: Sequence[str]) -> str:
    """« a », « a ou b », « a, b ou c »."""
    return " ou ".join(filter(None, (", ".join(items[:-1]), items[-1])))


# --- Rule 4: name alone -------------------------------------------------------------------------

UNIQUE_NAME = "commune reconnue par son seul nom, unique en France"


def homonyms(raw_city: str, count: int) -> str:
    return f"{count} communes s'appellent « {raw_city.strip()} » : ajoutez le code postal"


def unknown_commune_name(raw_city: str) -> str:
    return f"commune « {raw_city.strip()} » introuvable : vérifiez l'orthographe ou ajoutez le code postal"


# --- The verdict of a row -----------------------------------------------------------------------

BORROWED_NOTES = {Borrowed.POSTCODE: "code postal lu dans le champ code INSEE",
                  Borrowed.COMMUNE: "commune lue dans le champ code INSEE"}
RULE_LABELS = {Rule.INSEE_CODE: "le code INSEE", Rule.COORDINATES: "les coordonnées",
               Rule.POSTCODE_AND_COMMUNE: "le code postal et la commune", Rule.ADDRESS: "l'adresse",
               Rule.NAME_ALONE: "le nom de commune"}
RULE_PRIORITY = {Rule.INSEE_CODE: "au code INSEE", Rule.COORDINATES: "aux coordonnées",
                 Rule.POSTCODE_AND_COMMUNE: "au code postal et à la commune", Rule.ADDRESS: "à l'adresse",
                 Rule.NAME_ALONE: "au nom de commune"}
_PLURAL_LABELS = frozenset({Rule.COORDINATES, Rule.POSTCODE_AND_COMMUNE})
NO_LOCATION = ("aucune localisation : renseignez le code postal et la commune (ou le code INSEE, "
               "ou des coordonnées latitude/longitude)")


def ignored(reason: str) -> str:
    """The note of a rule that had input but failed, on a row another rule placed."""
    return f"ignoré : {reason}"


def other_arrondissement(rule: Rule, arrondissement_code: str, winner: Rule) -> str:
    verb = "indiquent" if rule in _PLURAL_LABELS else "indique"
    return (f"{RULE_LABELS[rule]} {verb} un autre arrondissement ({arrondissement_code}) : "
            f"priorité {RULE_PRIORITY[winner]}")


def other_commune(rule: Rule, name: str, insee_code: str, winner: Rule) -> str:
    verb = "désignent" if rule in _PLURAL_LABELS else "désigne"
    return f"{RULE_LABELS[rule]} {verb} une autre commune ({name}, {insee_code}) : priorité {RULE_PRIORITY[winner]}"


def rejection(reasons: Sequence[str]) -> str:
    """The reject reason of a row from the reasons of its rules (capitalised: it starts a sentence)."""
    reason = " ; ".join(reasons) if reasons else NO_LOCATION
    return reason[0].upper() + reason[1:]
