"""Mapping of the headers of an export to the canonical fields of the loader.

Every form tool and every hub names its columns its own way ("Adresse e-mail",
"c_courriel", "Votre adresse mail"...). :func:`map_columns` finds, for each
canonical field, the header that holds it, in this order:

1. headers forced on the command line (``--column email=Courriel``), then
   those of a profile (``data/profiles/NAME.toml``);
2. exact synonyms, compared with :func:`loaders.text.fold` once the filler
   words that start a question are dropped ("Quelle est votre adresse
   e-mail ?" reads "adresse e mail") and once the container of a flattened
   field is dropped ("adresse.code_postal", "adresse_commune",
   "geolocalisation.lat" read "code postal", "commune", "lat");
3. the same synonyms without their spaces, for headers exported without
   separators ("Codepostal", "Nomdelastructure");
4. the final remark of a compound question ("Adresse (Code postal)");
5. keyword rules for long questions, tried in a fixed priority order so that
   "Adresse mail de la structure" is an e-mail and "Organisme de formation"
   a training body;
6. the header "Nom", which names a person when there is a "Prénom" column and
   a structure otherwise; then the legal name, then the parent organisation
   ("structure_parente"), when nothing else names the structure;
7. the content of the columns still unused, for coordinates, e-mails and
   postcodes only.

Stages 2 to 5 look at the columns holding values first, and at the empty ones
only for the fields still unfound. A header such as "N°" or "ID_x" names the
submission only when its values are unique (next to an address, "N°" is the
street number).
"""

from __future__ import annotations

import re
import tomllib
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
from rapidfuzz import fuzz, process, utils

from loaders._errors import ConfigurationError
from loaders.text import fold
from loaders.themes import data_dir, load_themes

CANONICAL_FIELDS: tuple[str, ...] = (
    "submission_id", "submitted_at", "email", "first_name", "last_name", "full_name", "phone",
    "structure", "structure_type", "address", "postcode", "city", "insee_code", "coordinates",
    "lat", "lon", "x", "y", "conum", "trained", "training_date", "training_body", "themes", "consent",
    "mobility",
)

FORCED = "forcé"
FROM_PROFILE = "profil"
FROM_SYNONYM = "synonyme"
FROM_CONTENT = "contenu"

# ------------------------------------------------------------------- synonyms

# Per field, the exact headers that name it, most telling first: when an export
# has two of them ("GlobalID" and "ObjectID"), the first one is used.
_SYNONYMS: dict[str, tuple[str, ...]] = {
    "submission_id": (
        "id de la reponse", "identifiant de la reponse", "submission id", "response id", "respondent id",
        "numero de dossier", "dossier", "sid", "serial", "n de serie", "globalid", "global id", "objectid", "object id", "uuid", "id",
        "identifiant", "gid", "fid", "numero", "n", "no", "numero de reponse", "reference",
    ),
    "submitted_at": (
        "horodateur", "horodatage", "timestamp", "date de soumission", "submitted at", "submission date",
        "date de depot", "creationdate", "creation date", "date de creation", "created at", "date de reponse",
        "date de la reponse", "date d envoi", "date de saisie", "depose le", "submit date", "completion time",
        "heure de fin", "start date", "start time", "heure de debut", "datetime create", "editdate",
        "edit date", "edit datemaj", "datemaj", "date maj", "dat maj", "derniere maj", "date de mise a jour",
        "date de derniere mise a jour", "date de modification", "derniere modification", "derniere mise a jour le",
        "datetime latest", "updated at", "last modified",
    ),
    "email": (
        "adresse e mail", "adresse email", "adresse mail", "email address", "e mail address", "email", "e mail",
        "mail", "courriel", "adresse courriel", "adresse electronique", "adresse de messagerie", "mel", "adresse mel",
    ),
    "first_name": ("prenom", "first name", "firstname", "given name", "prenom de l animateur"),
    "last_name": ("nom de famille", "nom d usage", "last name", "lastname", "surname", "family name"),
    "full_name": (
        "nom et prenom", "prenom et nom", "nom prenom", "prenom nom", "nom complet", "nom et prenom s",
        "full name", "name", "contact", "contacts", "nom du contact", "personne de contact", "referent",
        "nom du referent", "animateur", "animatrice", "identite", "contact nom", "nom contact", "contact name",
    ),
    "phone": (
        "telephone", "tel", "n de telephone", "numero de telephone", "phone", "phone number", "contact telephone",
        "telephone de contact", "fixe", "portable",
        "mobile", "telephone portable", "telephone mobile", "telephone fixe",
    ),
    "structure": (
        "structure", "nom de la structure", "nom de votre structure", "nom structure", "structure employeuse",
        "structure d accueil", "structure de rattachement", "structure d appartenance", "organisme",
        "nom de l organisme", "etablissement", "nom de l etablissement", "organisation", "organization",
        "employeur", "association", "entreprise", "company", "nom du lieu", "tiers lieu", "lieu", "nom org",
        "nom organisation", "nom de l organisation",
    ),
    "structure_type": (
        "type de structure", "type", "typologie", "typologie de la structure", "type d structure",
        "categorie de structure", "statut juridique", "forme juridique", "type d organisme",
        "type d etablissement", "nature de la structure",
    ),
    "address": (
        "adresse", "address", "adresse postale", "adresse complete", "adresse de la structure",
        "adresse postale de la structure", "rue", "voie", "street", "street address", "adresse 1",
        "adresse ligne 1", "numero et rue",
    ),
    "postcode": ("code postal", "cp", "zip", "zip code", "zipcode", "postcode", "postal code", "code postale", "npa"),
    "city": (
        "ville", "commune", "localite", "city", "town", "municipalite", "nom de la commune", "nom commune",
        "libelle commune", "commune de la structure", "ville de la structure", "lib com", "libelle com",
        "lib commune", "nom com",
    ),
    "insee_code": (
        "code insee", "insee", "code commune", "code insee de la commune", "cog", "code officiel geographique",
        "code geographique", "codgeo", "depcom", "citycode", "insee code", "insee com", "code insee commune",
        "code commune insee", "com insee",
    ),
    "coordinates": (
        "coordonnees gps", "coordonnees geographiques", "geolocalisation", "pointgeo", "point geo", "geo point",
        "geopoint", "geo point 2d", "lat lon", "lat long", "lat lng", "latitude longitude", "gps", "coordinates",
        "localisation gps", "position gps", "geom", "geometry", "geometrie", "the geom", "wkt",
    ),
    "lat": ("latitude", "lat", "y latitude", "lat coor1", "lat wgs84", "latitude wgs84", "geo lat"),
    "lon": ("longitude", "long", "lng", "lon", "x longitude", "long coor1", "lon wgs84", "longitude wgs84", "geo lon"),
    "x": ("x", "coord x", "coordonnee x", "x lambert93", "x lambert 93", "x l93", "xl93", "lambert x", "coordx"),
    "y": ("y", "coord y", "coordonnee y", "y lambert93", "y lambert 93", "y l93", "yl93", "lambert y", "coordy"),
    "conum": (
        "conseiller numerique", "conseillere numerique", "conseiller e numerique", "conum", "cnfs",
        "etes vous conseiller numerique", "etes vous conseiller e numerique",
    ),
    "trained": (
        "forme", "formee", "forme e", "statut de formation", "statut formation",
        "avez vous suivi la formation", "etes vous forme", "etes vous forme e",
    ),
    "training_date": ("date de formation", "date de la formation", "date de la formation suivie", "date formation"),
    "training_body": ("organisme de formation", "forme par", "formee par", "forme e par", "formateur", "organisme formateur"),
    "themes": ("thematique", "thematiques", "thematique s", "themes", "theme", "theme s", "formations", "formations suivies"),
    "consent": (
        "consentement", "rgpd", "consentement rgpd", "accord de publication", "publication", "autorisation de publication",
        "accord", "autorisation", "consent",
    ),
    # Whether the place is itinerant or fixed (loaders.places.mobility reads the answers).
    "mobility": (
        "itinerant", "itinerante", "itinerance", "fixe ou itinerant", "itinerant ou fixe", "lieu fixe ou itinerant",
        "mobilite", "type de presence", "mode d intervention",
    ),
}

# ---------------------------------------------------------------- keyword rules

_MAIL = r"(e mail|email|mail|courriel|mel|electronique)"
_PLACE = (r"(structure|organisme|org|etablissement|organisation|association|entreprise|employeur|lieu|tiers lieu"
          r"|epn|espace)")
# "Structure parente", "structure porteuse": the organisation behind the place,
# a fallback for the structure when the export names the place only by "Nom".
_PARENT = r"(parente|porteuse|mere|de tutelle|de rattachement administratif)"
_OF = r"( (de|du|d|des))?( (la|l|le|les|votre|vos|ton|ta|ma|mon))?"
_TRAINING = r"(formation|forme|formee|forme e)"

# (field, pattern searched in the header once its leading filler words are
# dropped), in priority order: the first rule that matches a header decides.
_RULES: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (field, re.compile(pattern))
    for field, pattern in (
        ("training_date", rf"^(date|annee|mois){_OF} ({_TRAINING}|session)\b|^quand\b.*\b{_TRAINING}\b"),
        ("training_body", rf"^(organisme|structure|centre|operateur|prestataire){_OF} formation\b"
                          rf"|^(forme|formee|forme e) par\b|\borganisme\b.*\b{_TRAINING}\b"),
        ("submitted_at", r"^(date|heure)( et heure)?( de| d)?( la)? (soumission|depot|envoi|reponse|creation|saisie)\b"
                         r"|^horodat"),
        ("consent", r"^(j accepte|acceptez|accepte|j autorise|autorisez|autorise|je consens|consent\w*|accord"
                    r"|publication|diffusion|souhaitez vous (apparaitre|que|etre (visible|reference|publie|affiche)))\b"
                    r"|\b(consentement|rgpd)\b"),
        ("themes", r"\b(thematiques?|themes?)\b|^formations? s?\b.*\b(suivies?|animees?|proposees?)\b"),
        ("trained", rf"^(etes vous|es tu|vous etes)( deja)? {_TRAINING}\b"
                    rf"|^(avez vous|as tu)( deja)? (ete {_TRAINING}|suivi (la|une|cette|votre|le) (formation|parcours)"
                    r"|participe a (la|une) formation)\b|^(statut|etat|niveau)( de| d)?( la)? formation\b"),
        ("conum", r"^((etes vous|es tu|vous etes)( actuellement)?( un| une| un e)? )?"
                  r"(conseill\w*( \w+)? numeriques?|conum|cnfs)\b"),
        ("structure_type", rf"^(types?( s)?|typologie|categorie|nature|statut( juridique)?|forme juridique)"
                           rf"{_OF} {_PLACE}s?\b"
                           r"|^(statut juridique|forme juridique|typologie)\b"),
        ("email", rf"^((adresse|contact) )?({_MAIL}|messagerie)\b"),
        ("phone", r"^((n|no|num|numero)( de)? )?(tel|telephone|portable|mobile|phone|cellulaire)\b|^contact telephon"),
        ("full_name", r"\bnom\b.*\bprenom\b|\bprenom\b.*\bnom\b|^(nom|identite)(( de| du| d)( la| l)?)* "
                      r"(contact|referent\w*|responsable|animat\w*|mediat\w*|personne|intervenant\w*)\b"
                      r"|^contact (nom|name)\b"),
        ("first_name", r"^(prenom|first name|firstname|given name)\b"),
        ("last_name", r"^(nom de famille|nom d usage|last name|lastname|surname|family name)\b"),
        ("postcode", r"^(code postal|code postale|cp|zip|postcode|postal code)\b"),
        # "insee_dep", "code INSEE du département" name another territory.
        ("insee_code", r"\binsee\b(?!.*\b(dep|departement|reg|region|epci|iris|arrondissement)\b)"
                       r"|^code( de la)? commune\b|^code (officiel )?geo"),
        ("city", r"^(ville|commune|localite|city|town)\b|^nom( de la| du)? (commune|ville)\b"),
        # "adresse_numero", "adresse_complement" or "adresse_departement" alone
        # do not place anything.
        ("address", rf"^adres(se)?\b(?!.*\b({_MAIL}|web|site|internet|url|ip)\b)(?! (numero|num|no|n)$)"
                    r"(?! (complement|compl|comp)\b)(?! (departement|dep|region|reg|pays)$)|^(rue|voie|street)\b"),
        ("coordinates", r"^(coordonnees (gps|geographiques)|geoloc|gps|point ?geo|geo ?point)"
                        r"|\blat\w*( et)? (lon|long|lng|longitude)\b"),
        ("lat", r"\blatitude\b|^lat\b"),
        ("lon", r"\blongitude\b|^(lon|long|lng)\b"),
        ("x", r"^(coord\w* )?x( (lambert\w*( 93)?|l93|2154|coord\w*|wgs84|gps))?$"),
        ("y", r"^(coord\w* )?y( (lambert\w*( 93)?|l93|2154|coord\w*|wgs84|gps))?$"),
        ("structure", rf"^(nom|raison sociale|denomination|intitule){_OF} {_PLACE}\b|^structure\b(?! {_PARENT}\b)"),
        ("submission_id", r"^(id|identifiant|numero|n)( de| du| d)?( la| l)? (reponse|dossier|soumission|submission)\b"
                          r"|^(dossier|submission|response|reponse|soumission) (id|n|numero)$|^id\b"),
    )
)

# A header "Nom" alone: whose name it is depends on the other columns.
_BARE_NAME = "nom"
# Used only when the export names no structure otherwise: in hub exports the
# legal name ("BGE Cher") is less telling than the place name ("La Fabrique 18").
_LEGAL_NAME = re.compile(r"^(raison sociale|denomination)\b")
_PARENT_STRUCTURE = re.compile(rf"^structure {_PARENT}\b")
# Headers that are only numbers in some exports: "N°" next to "Adresse" is the
# street number. They name the submission only when their values are unique.
_AMBIGUOUS_IDS = frozenset({"n", "no", "num", "numero"})
_ID_RULE = re.compile(r"^id\b")

# Words that start a question without telling its subject ("Quelle est votre
# adresse ?"); "(s)" plural marks fold to a lone "s".
_FILLER_WORDS = frozenset(
    {"votre", "vos", "ton", "ta", "tes", "mon", "ma", "mes", "le", "la", "les", "l", "un", "une", "des", "du", "de",
     "d", "quel", "quelle", "quels", "quelles", "s", "est", "sont", "c", "ce", "qu", "que", "a", "en", "dans",
     "indiquez", "indiquer", "veuillez", "merci", "precisez", "preciser", "renseignez", "renseigner", "saisissez",
     "saisir", "entrez", "your", "the", "what", "is"}
)
# "Autre - Typologie de la structure" holds the free text of the "Autre"
# choice of another column.
_OTHER_COMPANION = re.compile(r"^(autre|other)( |$)")
# Compound questions export one column per part: "Adresse (Code postal)".
_FINAL_REMARK = re.compile(r"\(([^()]*)\)\s*$")
_REMARK_FIELDS = ("postcode", "insee_code", "city", "lat", "lon")
# Hub exports prefix every column with the name of their table ("c_nom").
_TABLE_PREFIX = re.compile(r"^([A-Za-z][A-Za-z0-9]{0,4})_")
_TABLE_PREFIX_SHARE = 0.8
# Nested JSON flattened ("adresse.code_postal", "geolocalisation.lat") and
# database columns ("adresse_commune") name a part of a place: the part decides.
_CONTAINER_PART = re.compile(
    r"^(adresse|address|adr|geolocalisation|geoloc|localisation|location|position|coordonnees|coordinates|geo|gps"
    r"|geom|geometry|point)( (de|du|d) (la |l )?(structure|lieu))? "
    r"(?=(code postal|cp|postcode|postal code|zip|zipcode|code insee|insee|citycode|code commune|commune|ville|city"
    r"|localite|nom commune|libelle commune|latitude|lat|longitude|lon|lng|long|x|y)$)"
)
# Headers written without separators ("Codepostal", "Nomdelastructure"), as
# some form tools export the questions: compared with the synonyms written
# without spaces; a long synonym may start such a header.
_SQUASHED_PREFIX_LENGTH = 10

# ------------------------------------------------------------ content sniffing

_CONTENT_SHARE = 0.8
_CONTENT_SAMPLE = 2000
_FILLED_PROBE_ROWS = 100  # rows read first to tell whether a column holds values
_DOT_DECIMAL_PAIR = re.compile(r"[(\[]?\s*([-+]?\d{1,3}\.\d+)\s*[,; ]\s*([-+]?\d{1,3}\.\d+)\s*[)\]]?")
_COMMA_DECIMAL_PAIR = re.compile(r"[(\[]?\s*([-+]?\d{1,3},\d+)\s*;\s*([-+]?\d{1,3},\d+)\s*[)\]]?")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[A-Za-z]{2,}")
_POSTCODE = re.compile(r"(0[1-9]|[1-8]\d|9[0-8])\d{3}")


@dataclass(frozen=True)
class ColumnMapping:
    """Which header of an export holds each canonical field.

    Attributes
    ----------
    fields
        Canonical field -> source header, in the order of :data:`CANONICAL_FIELDS`.
    unmapped
        Headers used by no field, in file order.
    how
        Canonical field -> how its header was found, in French for reports:
        ``"forcé"``, ``"profil"``, ``"synonyme"`` or ``"contenu"``.
    """

    fields: dict[str, str]
    unmapped: tuple[str, ...]
    how: dict[str, str]


@dataclass(frozen=True)
class Profile:
    """A named, documented column mapping for one kind of export.

    Attributes
    ----------
    name
        Name given to ``--profile``.
    description
        What export the profile is for, in French.
    columns
        Canonical field -> header; an empty header keeps the field unmapped.
    theme
        Slug of the theme every row of such an export was trained for, if any.
    """

    name: str
    description: str
    columns: dict[str, str]
    theme: str | None


@dataclass(frozen=True)
class _Header:
    """A header and the folded keys it is compared by.

    Attributes
    ----------
    original
        The header as written in the export.
    key
        The folded header, without the prefix shared by the export's headers.
    head
        The key without the filler words that start a question.
    remark
        The folded remark in parentheses that ends the header, or ``""``.
    position
        The position of the column in the export.
    """

    original: str
    key: str
    head: str
    remark: str
    position: int


# -------------------------------------------------------------------- mapping


def map_columns(
    frame: pd.DataFrame,
    forced: Mapping[str, str] | None = None,
    profile: Profile | None = None,
) -> ColumnMapping:
    """Find the header of each canonical field in an export.

    Parameters
    ----------
    frame
        The export, one column per header (values are text).
    forced
        Canonical field -> header, from ``--column`` options; they win over
        everything. An empty header keeps the field unmapped.
    profile
        A profile whose columns win over automatic detection.

    Returns
    -------
    ColumnMapping
        Each header maps to one field at most, and each field to one header.

    Raises
    ------
    ConfigurationError
        When a forced or profile field is unknown, a header is missing from
        the export, or one header is given to two fields.
    """
    headers = _fold_headers([str(column) for column in frame.columns])
    fields: dict[str, str] = {}
    how: dict[str, str] = {}
    excluded: set[str] = set()
    for imposed, origin in ((forced or {}, FORCED), (profile.columns if profile else {}, FROM_PROFILE)):
        _impose(imposed, origin, headers, fields, how, excluded)
    automatic = _Assignment(headers, fields, how, excluded, frame)
    automatic.by_names()
    automatic.by_bare_name()
    automatic.by_legal_name()
    automatic.by_parent_structure()
    automatic.by_content(frame)
    used = set(fields.values())
    return ColumnMapping(
        fields={field: fields[field] for field in CANONICAL_FIELDS if field in fields},
        unmapped=tuple(header.original for header in headers if header.original not in used),
        how={field: how[field] for field in CANONICAL_FIELDS if field in fields},
    )


def _impose(
    imposed: Mapping[str, str],
    origin: str,
    headers: Sequence[_Header],
    fields: dict[str, str],
    how: dict[str, str],
    excluded: set[str],
) -> None:
    """Record the fields imposed by the user or a profile, unless imposed already."""
    _check_fields(imposed)
    for field, wanted in imposed.items():
        if field in fields or field in excluded:
            continue
        if not wanted.strip():
            excluded.add(field)
            continue
        header = _find_header(wanted, headers)
        owner = next((other for other, used in fields.items() if used == header), None)
        if owner and how[owner] == origin:
            raise ConfigurationError(
                f"La colonne « {header} » est attribuée à deux champs : « {owner} » et « {field} »."
            )
        if owner:
            # The command line overrides the profile for this header.
            continue
        fields[field] = header
        how[field] = origin


def _find_header(wanted: str, headers: Sequence[_Header]) -> str:
    """Return the header named ``wanted``, exactly or else up to case and accents."""
    originals = [header.original for header in headers]
    if wanted in originals:
        return wanted
    same_key = [header.original for header in headers if header.key == fold(wanted)]
    if len(same_key) == 1:
        return same_key[0]
    close = process.extract(wanted, originals, scorer=fuzz.WRatio, processor=utils.default_process, limit=3,
                            score_cutoff=60)
    hint = f" Colonnes proches : {', '.join(f'« {match[0]} »' for match in close)}." if close else ""
    raise ConfigurationError(f"La colonne « {wanted} » n'existe pas dans le fichier.{hint}")


class _Assignment:
    """Automatic detection, filling in place the fields and headers left free.

    Each ``by_*`` step is one stage of the detection, to be run in the order
    given in the module documentation. The name-based stages run twice: first
    on the columns that hold values, then on the empty ones, so that an empty
    "Mobile" column does not hide a filled "Contact : téléphone".
    """

    def __init__(
        self,
        headers: Sequence[_Header],
        fields: dict[str, str],
        how: dict[str, str],
        excluded: set[str],
        frame: pd.DataFrame,
    ) -> None:
        self.fields = fields
        self.how = how
        self.excluded = excluded
        self.frame = frame
        used = set(fields.values())
        self.free = [header for header in headers if header.original not in used and not _is_companion(header)]
        self.allow_empty = False
        self._filled: dict[int, bool] = {}

    def assign(self, field: str, header: _Header, origin: str = FROM_SYNONYM) -> None:
        self.fields[field] = header.original
        self.how[field] = origin
        self.free.remove(header)

    def open_fields(self) -> list[str]:
        return [field for field in CANONICAL_FIELDS if field not in self.fields and field not in self.excluded]

    def is_filled(self, header: _Header) -> bool:
        if header.position not in self._filled:
            column = self.frame.iloc[:, header.position]
            # A filled column nearly always shows it in its first rows: read them before the whole column.
            self._filled[header.position] = _has_text(column.head(_FILLED_PROBE_ROWS)) or _has_text(column)
        return self._filled[header.position]

    def fits(self, field: str, header: _Header) -> bool:
        """Tell whether a header named like ``field`` may hold it, given its values."""
        if not (self.allow_empty or self.is_filled(header)):
            return False
        if field == "submission_id" and (header.head in _AMBIGUOUS_IDS or _ID_RULE.search(header.head)):
            values = _non_empty_values(self.frame.iloc[:, header.position])
            return len(set(values)) == len(values)
        return True

    def first(self, field: str, candidates: Iterable[_Header]) -> _Header | None:
        return next((header for header in candidates if self.fits(field, header)), None)

    def by_names(self) -> None:
        """The name-based stages, on filled columns first, then on empty ones."""
        for allow_empty in (False, True):
            self.allow_empty = allow_empty
            self.by_synonym()
            self.by_squashed_synonym()
            self.by_remark()
            self.by_rule()
        self.allow_empty = True

    def by_synonym(self) -> None:
        for field in self.open_fields():
            candidates = (header for synonym in _SYNONYM_HEADS[field] for header in self.free if header.head == synonym)
            header = self.first(field, candidates)
            if header:
                self.assign(field, header)

    def by_squashed_synonym(self) -> None:
        """Headers without separators: "Codepostal", "NometPrenomdelapersonne..."."""
        squashed = [header for header in self.free if header.key and " " not in header.key]
        if not squashed:
            return
        for field in self.open_fields():
            candidates = (
                header
                for synonym in _SQUASHED_SYNONYMS[field]
                for header in squashed
                if header in self.free
                and (header.key == synonym
                     or len(synonym) >= _SQUASHED_PREFIX_LENGTH and header.key.startswith(synonym))
            )
            header = self.first(field, candidates)
            if header:
                self.assign(field, header)

    def by_remark(self) -> None:
        """Read the parts of a compound question: "Adresse (code postal)" is a postcode."""
        for field in _REMARK_FIELDS:
            if field not in self.open_fields():
                continue
            header = self.first(field, (header for header in self.free if header.remark in _SYNONYM_HEADS[field]))
            if header:
                self.assign(field, header)

    def by_rule(self) -> None:
        for field, pattern in _RULES:
            if field not in self.open_fields():
                continue
            header = self.first(field, (header for header in self.free if pattern.search(header.head)))
            if header:
                self.assign(field, header)

    def by_bare_name(self) -> None:
        header = next((header for header in self.free if header.head == _BARE_NAME), None)
        if header is None:
            return
        if "first_name" in self.fields:
            field = "last_name"
        elif "structure" in self.fields:
            field = "full_name"
        else:
            field = "structure"
        if field in self.open_fields():
            self.assign(field, header)

    def by_legal_name(self) -> None:
        header = next((header for header in self.free if _LEGAL_NAME.search(header.head)), None)
        if header and "structure" in self.open_fields():
            self.assign("structure", header)

    def by_parent_structure(self) -> None:
        header = next((header for header in self.free if _PARENT_STRUCTURE.search(header.head)), None)
        if header and "structure" in self.open_fields():
            self.assign("structure", header)

    def by_content(self, frame: pd.DataFrame) -> None:
        for field, looks_like in _CONTENT_TESTS:
            if field not in self.open_fields():
                continue
            header = next((header for header in self.free if _mostly(frame.iloc[:, header.position], looks_like)), None)
            if header:
                self.assign(field, header, FROM_CONTENT)


def _has_text(column: pd.Series) -> bool:
    """Tell whether a value of the column holds more than spaces."""
    return bool(column.dropna().astype(str).str.strip().ne("").any())


def _fold_headers(originals: Sequence[str]) -> list[_Header]:
    prefix = _shared_table_prefix(originals)
    headers = []
    for position, original in enumerate(originals):
        key = fold(original.removeprefix(prefix) if prefix else original)
        remark = _FINAL_REMARK.search(original)
        head = _CONTAINER_PART.sub("", _drop_fillers(key))
        headers.append(_Header(original, key, head, fold(remark[1]) if remark else "", position))
    return headers


def _shared_table_prefix(originals: Sequence[str]) -> str | None:
    """Return a prefix such as ``c_`` carried by nearly all headers, if any.

    Nearly all, not all: the hub-lo export adds an unprefixed ``gid``.
    """
    prefixes = Counter(match[0] for original in originals if (match := _TABLE_PREFIX.match(original)))
    if not prefixes or len(originals) < 3:
        return None
    prefix, count = prefixes.most_common(1)[0]
    return prefix if count >= _TABLE_PREFIX_SHARE * len(originals) else None


def _drop_fillers(key: str) -> str:
    words = key.split()
    start = 0
    while start < len(words) - 1 and words[start] in _FILLER_WORDS:
        start += 1
    return " ".join(words[start:])


def _is_companion(header: _Header) -> bool:
    return bool(_OTHER_COMPANION.match(header.key))


_SYNONYM_HEADS: dict[str, tuple[str, ...]] = {
    field: tuple(dict.fromkeys(_drop_fillers(fold(synonym)) for synonym in synonyms))
    for field, synonyms in _SYNONYMS.items()
}
# Synonyms of several words, written without their spaces.
_SQUASHED_SYNONYMS: dict[str, tuple[str, ...]] = {
    field: tuple(dict.fromkeys(fold(synonym).replace(" ", "") for synonym in synonyms if " " in fold(synonym)))
    for field, synonyms in _SYNONYMS.items()
}

# ------------------------------------------------------------ content sniffing


def _looks_like_coordinates(value: str) -> bool:
    match = _DOT_DECIMAL_PAIR.fullmatch(value) or _COMMA_DECIMAL_PAIR.fullmatch(value)
    if not match:
        return False
    latitude, longitude = (float(number.replace(",", ".")) for number in match.groups())
    return abs(latitude) <= 90 and abs(longitude) <= 180


def _looks_like_email(value: str) -> bool:
    return bool(_EMAIL.fullmatch(value))


def _looks_like_postcode(value: str) -> bool:
    return bool(_POSTCODE.fullmatch(value))


_CONTENT_TESTS = (
    ("coordinates", _looks_like_coordinates),
    ("email", _looks_like_email),
    ("postcode", _looks_like_postcode),
)


def _non_empty_values(column: pd.Series) -> list[str]:
    values = (str(value).strip() for value in column.dropna().head(_CONTENT_SAMPLE * 2))
    return [value for value in values if value][:_CONTENT_SAMPLE]


def _mostly(column: pd.Series, looks_like: Callable[[str], bool]) -> bool:
    """Tell whether most non-empty values of a column pass a test."""
    values = _non_empty_values(column)
    return bool(values) and sum(map(looks_like, values)) >= _CONTENT_SHARE * len(values)


# ------------------------------------------------------------ user's options


def _check_fields(mapping: Mapping[str, str]) -> None:
    for field in mapping:
        if field not in CANONICAL_FIELDS:
            raise ConfigurationError(_unknown_field_message(field))


def _unknown_field_message(field: str) -> str:
    close = process.extractOne(field, CANONICAL_FIELDS, scorer=fuzz.ratio, score_cutoff=60)
    hint = f" Vouliez-vous dire « {close[0]} » ?" if close else ""
    return f"Champ inconnu : « {field} ».{hint} Champs possibles : {', '.join(CANONICAL_FIELDS)}."


def parse_column_options(options: Sequence[str]) -> dict[str, str]:
    """Read ``--column FIELD=HEADER`` options.

    Parameters
    ----------
    options
        Such as ``["email=Adresse mail", "lat=Y"]``. ``"email="`` keeps the
        field unmapped even if a column looks like it.

    Returns
    -------
    dict
        Canonical field -> header (stripped of surrounding spaces).

    Raises
    ------
    ConfigurationError
        On an option without ``=``, an unknown field or a field given twice;
        the message lists the valid fields.
    """
    mapping: dict[str, str] = {}
    for option in options:
        field, separator, header = option.partition("=")
        field = field.strip()
        if not separator or not field:
            raise ConfigurationError(
                f"Option --column invalide : « {option} ». Forme attendue : CHAMP=EN-TÊTE "
                f"(ex. « email=Adresse mail »). Champs possibles : {', '.join(CANONICAL_FIELDS)}."
            )
        if field not in CANONICAL_FIELDS:
            raise ConfigurationError(_unknown_field_message(field))
        if field in mapping:
            raise ConfigurationError(f"Le champ « {field} » est donné deux fois dans les options --column.")
        mapping[field] = header.strip()
    return mapping


# ------------------------------------------------------------------- profiles

_PROFILE_KEYS = frozenset({"name", "description", "theme", "columns"})


def profiles_dir() -> Path:
    """Return the folder of the named profiles."""
    return data_dir() / "profiles"


def load_profile(name_or_path: str) -> Profile:
    """Read a profile by name (``data/profiles/NAME.toml``) or by path to a ``.toml`` file.

    Raises
    ------
    ConfigurationError
        When the profile does not exist or is invalid; for an unknown name the
        message lists the available profiles.
    """
    if name_or_path.endswith(".toml") or "/" in name_or_path or "\\" in name_or_path:
        return _read_profile(Path(name_or_path))
    path = profiles_dir() / f"{name_or_path}.toml"
    if not path.is_file():
        available = ", ".join(path.stem for path in _profile_paths()) or "aucun"
        raise ConfigurationError(f"Profil inconnu : « {name_or_path} ». Profils disponibles : {available}.")
    return _read_profile(path)


def list_profiles() -> list[Profile]:
    """Read all named profiles, sorted by file name."""
    return [_read_profile(path) for path in _profile_paths()]


def _profile_paths() -> Iterable[Path]:
    folder = profiles_dir()
    return sorted(folder.glob("*.toml")) if folder.is_dir() else []


def _read_profile(path: Path) -> Profile:
    try:
        with path.open("rb") as file:
            document = tomllib.load(file)
    except FileNotFoundError:
        raise ConfigurationError(f"Profil introuvable : {path}.") from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigurationError(f"Le profil {path} n'est pas un fichier TOML valide : {error}.") from None
    return _parse_profile(document, path)


def _parse_profile(document: dict[str, Any], path: Path) -> Profile:
    unknown = sorted(set(document) - _PROFILE_KEYS)
    if unknown:
        raise ConfigurationError(
            f"Profil {path} : clé(s) inconnue(s) {', '.join(unknown)} ; "
            f"clés possibles : {', '.join(sorted(_PROFILE_KEYS))}."
        )
    name, description, theme = document.get("name"), document.get("description", ""), document.get("theme")
    columns = document.get("columns", {})
    if not isinstance(name, str) or not name.strip():
        raise ConfigurationError(f"Profil {path} : « name » est obligatoire et doit être un texte non vide.")
    if not isinstance(description, str):
        raise ConfigurationError(f"Profil {path} : « description » doit être un texte.")
    if not isinstance(columns, dict) or not all(isinstance(header, str) for header in columns.values()):
        raise ConfigurationError(f"Profil {path} : [columns] doit associer des champs à des en-têtes (textes).")
    try:
        _check_fields(columns)
        if theme is not None:
            theme = load_themes().get(str(theme)).slug
    except ConfigurationError as error:
        raise ConfigurationError(f"Profil {path} : {error}") from None
    return Profile(name.strip(), description.strip(), dict(columns), theme)
