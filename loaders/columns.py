"""Mapping of the headers of an export to the canonical fields of the loader.

Every form tool and every hub names its columns its own way ("Adresse e-mail",
"c_courriel", "Votre adresse mail"...). :func:`map_columns` finds, for each
canonical field, the header that holds it, in this order:

1. headers forced on the command line (``--column email=Courriel``), then
   those of a profile (``data/profiles/NAME.toml``);
2. exact synonyms (``loaders/columns.toml``), compared with :func:`core.text.fold` once the filler
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
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
from rapidfuzz import fuzz, process, utils

from core.text import fold
from loaders._errors import ConfigurationError
from loaders.column_content import CONTENT_TESTS, FILLED_PROBE_ROWS, has_text, mostly, non_empty_values
from loaders.column_options import CANONICAL_FIELDS, Profile, check_fields

# How a header was found (ColumnMapping.how).
FORCED = "forcé"
FROM_PROFILE = "profil"
FROM_SYNONYM = "synonyme"
FROM_CONTENT = "contenu"

# Per field, the exact headers that name it (loaders/columns.toml), most telling first.
_VOCABULARY_FILE = Path(__file__).resolve().parent / "columns.toml"


def _read_vocabulary() -> dict[str, Any]:
    """The synonyms and filler words of loaders/columns.toml."""
    with _VOCABULARY_FILE.open("rb") as file:
        return tomllib.load(file)


_VOCABULARY = _read_vocabulary()
_SYNONYMS: dict[str, tuple[str, ...]] = {field: tuple(names) for field, names in _VOCABULARY["synonyms"].items()}

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
# adresse ?"); "(s)" plural marks fold to a lone "s" (loaders/columns.toml).
_FILLER_WORDS = frozenset(_VOCABULARY["filler_words"]["words"])
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
    check_fields(imposed)
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
            self._filled[header.position] = has_text(column.head(FILLED_PROBE_ROWS)) or has_text(column)
        return self._filled[header.position]

    def fits(self, field: str, header: _Header) -> bool:
        """Tell whether a header named like ``field`` may hold it, given its values."""
        if not (self.allow_empty or self.is_filled(header)):
            return False
        if field == "submission_id" and (header.head in _AMBIGUOUS_IDS or _ID_RULE.search(header.head)):
            values = non_empty_values(self.frame.iloc[:, header.position])
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
        for field, looks_like in CONTENT_TESTS:
            if field not in self.open_fields():
                continue
            header = next((header for header in self.free if mostly(frame.iloc[:, header.position], looks_like)), None)
            if header:
                self.assign(field, header, FROM_CONTENT)


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
