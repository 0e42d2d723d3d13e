"""Tests of the header -> canonical field mapping and of the profiles."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import pandas as pd
import pytest

from core.text import fold
from loaders import columns
from loaders._errors import ConfigurationError
from loaders.column_options import CANONICAL_FIELDS, Profile, list_profiles, load_profile, parse_column_options
from loaders.columns import ColumnMapping, map_columns

LOCATION_FIELDS = ("address", "postcode", "city", "insee_code", "coordinates", "lat", "lon", "x", "y")
REAL_EXPORTS = ("corse", "epernay", "etapes-numerique", "hub-lo", "la-creuse")
# Profiles for hub exports that are not among the real exports (headers tested only).
HUB_EXPORT_PROFILES = ("angers", "fibre-64", "france-services")


def frame_of(headers: Sequence[str], rows: int = 1) -> pd.DataFrame:
    return pd.DataFrame({header: ["valeur"] * rows for header in headers})


def mapping_of(headers: Sequence[str], **kwargs: object) -> dict[str, str]:
    return map_columns(frame_of(headers), **kwargs).fields  # type: ignore[arg-type]


def read_export(folder: Path, name: str) -> pd.DataFrame:
    rows = json.loads((folder / f"{name}.json").read_text(encoding="utf-8"))
    return pd.DataFrame(rows).map(lambda value: "" if value is None else str(value)).astype(object)


def test_canonical_fields_are_in_the_documented_order() -> None:
    assert CANONICAL_FIELDS == (
        "submission_id", "submitted_at", "email", "first_name", "last_name", "full_name", "phone",
        "structure", "structure_type", "address", "postcode", "city", "insee_code", "coordinates",
        "lat", "lon", "x", "y", "conum", "trained", "training_date", "training_body", "themes", "consent",
        "mobility",
    )


def test_no_exact_synonym_names_two_fields() -> None:
    owners: dict[str, str] = {}
    for field, heads in columns._SYNONYM_HEADS.items():
        assert field in CANONICAL_FIELDS
        for head in heads:
            assert owners.setdefault(head, field) == field, f"« {head} » : {owners[head]} et {field}"


# ---------------------------------------------------------------- one header

SINGLE_HEADERS = [
    # submitted_at
    ("Horodateur", "submitted_at"),
    ("Timestamp", "submitted_at"),
    ("Date de soumission", "submitted_at"),
    ("Submitted at", "submitted_at"),
    ("Date de dépôt", "submitted_at"),
    ("Déposé le", "submitted_at"),
    ("CreationDate", "submitted_at"),
    ("Date et heure de la réponse", "submitted_at"),
    # submission_id
    ("ID de la réponse", "submission_id"),
    ("Submission ID", "submission_id"),
    ("Numéro de dossier", "submission_id"),
    ("Numéro", "submission_id"),
    ("Response ID", "submission_id"),
    ("ObjectID", "submission_id"),
    ("GlobalID", "submission_id"),
    ("N°", "submission_id"),
    ("Dossier ID", "submission_id"),
    # email
    ("Adresse e-mail", "email"),
    ("Email Address", "email"),
    ("Courriel", "email"),
    ("Votre adresse mail", "email"),
    ("Quelle est votre adresse e-mail ?", "email"),
    ("E-mail", "email"),
    ("Adresse mail de la structure", "email"),
    ("Adresse électronique professionnelle", "email"),
    # names
    ("Prénom", "first_name"),
    ("Votre prénom", "first_name"),
    ("Nom de famille", "last_name"),
    ("Votre nom de famille", "last_name"),
    ("Nom et prénom", "full_name"),
    ("Prénom Nom", "full_name"),
    ("Nom complet", "full_name"),
    ("NOM Prénom de l'animateur", "full_name"),
    ("Contact", "full_name"),
    ("Nom du référent", "full_name"),
    # phone
    ("Téléphone", "phone"),
    ("Numéro de téléphone", "phone"),
    ("Tél.", "phone"),
    ("N° de téléphone", "phone"),
    ("Numéro de téléphone de la structure", "phone"),
    ("Contact téléphonique", "phone"),
    ("Téléphone portable", "phone"),
    # structure
    ("Structure", "structure"),
    ("Nom de votre structure", "structure"),
    ("Structure employeuse", "structure"),
    ("Organisme", "structure"),
    ("Établissement", "structure"),
    ("Nom de l'organisme", "structure"),
    ("Structure d'appartenance", "structure"),
    ("Quelle est votre structure ?", "structure"),
    ("Raison sociale", "structure"),
    # structure_type
    ("Type de structure", "structure_type"),
    ("Typologie de la structure", "structure_type"),
    ("Type d'établissement", "structure_type"),
    ("Statut juridique", "structure_type"),
    ("Type", "structure_type"),
    # address
    ("Adresse", "address"),
    ("Adresse postale de la structure", "address"),
    ("Adresse de votre lieu d'activité", "address"),
    ("Adresse de la structure", "address"),
    ("Adresse complète (rue, code postal, ville)", "address"),
    # postcode
    ("Code postal", "postcode"),
    ("CP", "postcode"),
    ("Zip", "postcode"),
    ("code_postal", "postcode"),
    ("Quel est le code postal de votre structure ?", "postcode"),
    # city
    ("Ville", "city"),
    ("Commune", "city"),
    ("Commune de la structure", "city"),
    ("Localité", "city"),
    ("Nom de la commune", "city"),
    ("Dans quelle commune exercez-vous ?", "city"),
    # insee_code
    ("Code INSEE", "insee_code"),
    ("Code commune", "insee_code"),
    ("COG", "insee_code"),
    ("insee", "insee_code"),
    ("Code INSEE de la commune", "insee_code"),
    # coordinates
    ("Coordonnées GPS", "coordinates"),
    ("Géolocalisation", "coordinates"),
    ("pointgeo", "coordinates"),
    ("lat, lon", "coordinates"),
    ("Latitude, longitude", "coordinates"),
    ("geo_point_2d", "coordinates"),
    # lat / lon
    ("Latitude", "lat"),
    ("lat", "lat"),
    ("y_latitude", "lat"),
    ("Latitude (WGS84)", "lat"),
    ("Longitude", "lon"),
    ("long", "lon"),
    ("lng", "lon"),
    ("lon", "lon"),
    # x / y
    ("x", "x"),
    ("X", "x"),
    ("coord_x", "x"),
    ("x_lambert93", "x"),
    ("X (Lambert 93)", "x"),
    ("y", "y"),
    ("Y", "y"),
    ("coord_y", "y"),
    ("y_lambert93", "y"),
    # conum
    ("Êtes-vous conseiller numérique ?", "conum"),
    ("Conseiller numérique", "conum"),
    ("CoNum", "conum"),
    ("Êtes-vous un·e conseiller·ère numérique France Services ?", "conum"),
    ("Etes-vous CNFS ?", "conum"),
    # trained
    ("Avez-vous suivi la formation ?", "trained"),
    ("Formé(e)", "trained"),
    ("Formé·e", "trained"),
    ("Statut de formation", "trained"),
    ("Êtes-vous formé à l'animation de Cafés IA ?", "trained"),
    ("Avez-vous déjà été formée ?", "trained"),
    # training_date
    ("Date de formation", "training_date"),
    ("Date de la formation suivie", "training_date"),
    ("Quand avez-vous été formé·e ?", "training_date"),
    ("Date de la session de formation", "training_date"),
    # training_body
    ("Organisme de formation", "training_body"),
    ("Formé par", "training_body"),
    ("Par quel organisme avez-vous été formé ?", "training_body"),
    # themes
    ("Thématique(s)", "themes"),
    ("Thèmes", "themes"),
    ("Quelles formations avez-vous suivies ?", "themes"),
    ("Quelles thématiques souhaitez-vous animer ?", "themes"),
    ("Formations suivies", "themes"),
    # consent
    ("J'accepte que mes coordonnées apparaissent sur la carte publique", "consent"),
    ("Consentement", "consent"),
    ("Acceptez-vous la publication de vos coordonnées ?", "consent"),
    ("RGPD", "consent"),
    ("Autorisez-vous la diffusion de vos coordonnées sur la carte ?", "consent"),
    ("Souhaitez-vous apparaître sur la carte ?", "consent"),
    ("Consentement RGPD *", "consent"),
    # Headers of the hub exports of anct-cartographie-nationale/mednum-cli (assets/input).
    ("Type Structure", "structure_type"),  # gironde
    ("Types de structures", "structure_type"),
    ("Dernière MAJ", "submitted_at"),  # gironde
    ("date_maj", "submitted_at"),  # data.inclusion schema
    ("DAT_MaJ", "submitted_at"),  # maine-et-loire
    ("datetime_create", "submitted_at"),  # hinaura
    ("Lieu", "structure"),  # gironde
    ("nom_org", "structure"),  # haute-vienne
    ("statut_org", "structure_type"),  # haute-vienne
    ("lib_com", "city"),  # liste des France services
    ("insee_com", "insee_code"),  # liste des France services
    ("id_fs", "submission_id"),  # liste des France services
    ("ID_LieuMed", "submission_id"),  # maine-et-loire
    ("geom", "coordinates"),  # mulhouse
    ("Contact : nom", "full_name"),  # ultra-num
    ("Contact : téléphone", "phone"),  # ultra-num
    ("Fixe", "phone"),  # ultra-num
    ("Nom du/de la référent·e du service d'accompagnement numérique "
     "(à ne remplir QUE si vous êtes cette personne)", "full_name"),  # hinaura
    ("Ville *", "city"),  # hinaura
    # Flattened nested fields and database columns: the part of the place decides.
    ("adresse_code_postal", "postcode"),  # région Sud
    ("adresse.code_postal", "postcode"),
    ("adresse_commune", "city"),  # région Sud
    ("adresse.commune", "city"),
    ("adresse_code_insee", "insee_code"),  # région Sud
    ("adresse.code_insee", "insee_code"),
    ("adresse_brut", "address"),  # région Sud
    ("geolocalisation.lat", "lat"),
    ("geolocalisation.lon", "lon"),
    ("adresse.latitude", "lat"),
    # Questions exported without separators (fibre-64).
    ("Codepostal", "postcode"),
    ("Nomdelastructure", "structure"),
    ("Adressemail", "email"),
    ("NometPrenomdelapersonnereferentesilyenaune", "full_name"),
]


@pytest.mark.parametrize(("header", "field"), SINGLE_HEADERS)
def test_single_header_maps_to_its_field(header: str, field: str) -> None:
    mapping = map_columns(frame_of([header]))
    assert mapping.fields == {field: header}
    assert mapping.how == {field: "synonyme"}
    assert mapping.unmapped == ()


@pytest.mark.parametrize(
    "header",
    [
        "Horaires d'ouverture de la structure",
        "Site Web de la structure",
        "Organisez-vous des actions itinérantes ou 'hors les murs' en dehors de votre structure ?",
        "Quel(s) type(s) de public accompagnez-vous  ?",
        "Quel(s) type(s) d'acteur êtes-vous ?",
        "Qui sont les personnes qui accompagnent les usagers ?",
        "Adresse IP",
        "Site internet",
        "Y a-t-il un parking ?",
        "Numéro de SIRET",
        "Coordonnées",
        "Date",
        "Autre - Typologie de la structure",
        "Autre (précisez)",
        "formation",
        "Communauté de communes",
        # Hub exports of anct-cartographie-nationale/mednum-cli.
        "insee_dep",  # the département of the France services list, not the commune
        "complement_adresse",
        "COMP_ADRESSE",
        "adresse_numero",  # the street number alone
        "adresse_departement",
        "result_id",  # identifier of the address found by the Base adresse nationale
        "USER_QUART",
        "Adressenumeronomdelavoie",
    ],
)
def test_header_of_no_field_stays_unmapped(header: str) -> None:
    mapping = map_columns(frame_of([header]))
    assert mapping.fields == {}
    assert mapping.unmapped == (header,)


# ------------------------------------------------------------ whole exports

GOOGLE_FORM = {
    "Horodateur": "submitted_at",
    "Adresse e-mail": "email",
    "Nom": "last_name",
    "Prénom": "first_name",
    "Numéro de téléphone": "phone",
    "Structure employeuse": "structure",
    "Type de structure": "structure_type",
    "Adresse de votre lieu d'activité": "address",
    "Code postal": "postcode",
    "Commune": "city",
    "Êtes-vous conseiller numérique ?": "conum",
    "Êtes-vous formé à l'animation de Cafés IA ?": "trained",
    "Date de la formation suivie": "training_date",
    "Organisme de formation": "training_body",
    "Quelles formations avez-vous suivies ?": "themes",
    "J'accepte que mes coordonnées apparaissent sur la carte publique": "consent",
}
TALLY_FORM = {
    "Submission ID": "submission_id",
    "Respondent ID": None,
    "Submitted at": "submitted_at",
    "Prénom": "first_name",
    "Nom": "last_name",
    "Email": "email",
    "Téléphone": "phone",
    "Structure": "structure",
    "Code postal": "postcode",
    "Ville": "city",
    "Thématiques": "themes",
    "Consentement": "consent",
}
DEMARCHES_SIMPLIFIEES = {
    "ID": "submission_id",
    "Email": "email",
    "Civilité": None,
    "Nom": "last_name",
    "Prénom": "first_name",
    "État du dossier": None,
    "Dernière mise à jour le": None,
    "Déposé le": "submitted_at",
    "Nom de la structure": "structure",
    "Adresse de la structure": "address",
    "Adresse de la structure (Code postal)": "postcode",
    "Adresse de la structure (Code INSEE)": "insee_code",
    "Adresse de la structure (Commune)": "city",
    "Adresse de la structure (Département)": None,
    "Statut de formation": "trained",
}
FRAMAFORMS = {
    "N° de série": None,
    "SID": "submission_id",
    "Heure": None,
    "Adresse IP": None,
    "Nom d'utilisateur": None,
    "Votre nom": "full_name",
    "Votre structure": "structure",
    "Votre adresse mail": "email",
    "Ville de la structure": "city",
    "Formé(e) ?": "trained",
    "Thème(s) de formation": "themes",
}


@pytest.mark.parametrize("form", [GOOGLE_FORM, TALLY_FORM, DEMARCHES_SIMPLIFIEES, FRAMAFORMS],
                         ids=["google", "tally", "demarches-simplifiees", "framaforms"])
def test_animator_forms(form: dict[str, str | None]) -> None:
    mapping = map_columns(frame_of(list(form)))
    assert mapping.fields == {field: header for header, field in form.items() if field}
    assert mapping.unmapped == tuple(header for header, field in form.items() if field is None)


# --------------------------------------------------- hub exports (mednum-cli)
# Headers only, as published in anct-cartographie-nationale/mednum-cli, assets/input.

DATA_INCLUSION = {  # aix-en-provence, le-havre, bus-france-services-charente, numi, cnfs...
    "id": "submission_id", "nom": "structure", "pivot": None, "commune": "city", "code_postal": "postcode",
    "code_insee": "insee_code", "adresse": "address", "complement_adresse": None, "latitude": "lat",
    "longitude": "lon", "cle_ban": None, "typologie": "structure_type", "telephone": "phone", "courriel": "email",
    "site_web": None, "horaires": None, "source": None, "structure_parente": None, "date_maj": "submitted_at",
    "services": None, "labels_nationaux": None,
}
REGION_SUD = {  # paca.json and regionsud-lieux-dinclusion-numerique-2022_v2.csv
    "nom": "structure", "structure_porteuse": None, "siret": None, "statut": None, "nature_juridique": None,
    "type_lieu": "structure_type", "adresse_brut": "address", "adresse_numero": None, "adresse_rue": None,
    "adresse_code_postal": "postcode", "adresse_code_insee": "insee_code", "adresse_commune": "city",
    "adresse_departement": None, "adresse_region": None, "latitude": "lat", "longitude": "lon",
    "contact_telephone": "phone", "contact_email": "email", "contact_web": None,
}
FRANCE_SERVICES = {  # liste-fs-20221201.csv
    "id_fs": "submission_id", "insee_dep": None, "lib_fs": None, "adresse": "address", "complement_adresse": None,
    "insee_com": "insee_code", "code_postal": "postcode", "lib_com": "city", "latitude": "lat", "longitude": "lon",
    "mail": "email", "telephone": "phone", "h_lundi": None, "itinerance": "mobility",
}
GIRONDE = {
    "Dernière MAJ": "submitted_at", "Lieu": "structure", "Type Structure": "structure_type", "Commune": "city",
    "Adresse postale": "address", "Email": "email", "Description": None, "Libellé 1": None,
    "Site internet": None, "Téléphone": "phone", "Coord. X": "x", "Coord. Y": "y", "Pôle territorial": None,
    "Intercommunalité": None,
}
HAUTE_VIENNE = {
    "objectid": "submission_id", "nom_org": "structure", "statut_org": "structure_type", "adresse": "address",
    "commune": "city", "tel_fixe": "phone", "tel_mobile": None, "mail": "email", "trajet": None,
    "code_postal": "postcode", "latitude": "lat", "longitude": "lon", "result_label": None,
    "result_postcode": None, "result_city": None, "result_citycode": None,
}
MULHOUSE = {
    "type_de_structure": "structure_type", "nom_structure": "structure", "adresse": "address",
    "compl_adresse": None, "code_postal": "postcode", "commune": "city", "telephone": "phone",
    "adresse_mail": "email", "site_web": None, "geom": "coordinates",
}
LIEUX_MAINE_ET_LOIRE = {
    "Geo Point": "coordinates", "Geo Shape": None, "ID": "submission_id", "Date_maj": "submitted_at",
    "Nom": "structure", "Catégorie": None, "Numéro": None, "Adresse": "address", "Complément": None, "BP": None,
    "CP": "postcode", "Commune": "city", "Téléphone": "phone", "Courriel": "email", "JT_EPCI": None,
}
FIBRE_64 = {
    "Nomdelastructure": "structure", "Adressenumeronomdelavoie": None, "Complementdadresseexquartier...": None,
    "Codepostal": "postcode", "Ville": "city", "EPCI": None, "Telephone": "phone", "Adressemail": "email",
    "SiteWeb": None, "NometPrenomdelapersonnereferentesilyenaune": "full_name", "Typedepublics": None,
    "latitude": "lat", "longitude": "lon", "result_label": None, "result_id": None, "result_citycode": None,
}
ULTRA_NUM = {
    "Nom de l'organisation": "structure",
    "Type (Association, Groupe informel, Entreprise ou Service public)": "structure_type", "Type de lieu": None,
    "Rue": "address", "Code postal": "postcode", "Ville": "city", "Code pays": None, "Email": "email",
    "Fixe": None, "Mobile": None, "Contact : nom": "full_name", "Contact : email": None,
    "Contact : téléphone": "phone", "Latitude": "lat", "Longitude": "lon",
}


@pytest.mark.parametrize(
    "export",
    [DATA_INCLUSION, REGION_SUD, FRANCE_SERVICES, GIRONDE, HAUTE_VIENNE, MULHOUSE, LIEUX_MAINE_ET_LOIRE, FIBRE_64,
     ULTRA_NUM],
    ids=["data-inclusion", "region-sud", "france-services", "gironde", "haute-vienne", "mulhouse",
         "lieux-maine-et-loire", "fibre-64", "ultra-num"],
)
def test_hub_exports_of_the_national_cartography(export: dict[str, str | None]) -> None:
    mapping = map_columns(frame_of(list(export)))
    assert mapping.fields == {field: header for header, field in export.items() if field}
    assert mapping.unmapped == tuple(header for header, field in export.items() if field is None)


def test_name_of_the_place_beats_its_parent_structure() -> None:
    # data.inclusion schema: "nom" is the place, "structure_parente" the organisation behind it.
    assert mapping_of(["nom", "structure_parente", "adresse"]) == {"structure": "nom", "address": "adresse"}
    assert mapping_of(["structure_porteuse", "nom", "adresse"]) == {"structure": "nom", "address": "adresse"}
    # Without another name, the parent organisation is the best structure there is.
    assert mapping_of(["structure_porteuse", "adresse"]) == {"structure": "structure_porteuse", "address": "adresse"}


def test_empty_column_gives_way_to_a_filled_one() -> None:
    # Région Sud: "adresse_brut" is empty, "adresse_rue" holds the street.
    frame = pd.DataFrame({"adresse_brut": ["", ""], "adresse_numero": ["4", "12"], "adresse_rue": ["rue a", "rue b"],
                          "adresse_code_postal": ["4000", "13014"]})
    assert map_columns(frame).fields == {"address": "adresse_rue", "postcode": "adresse_code_postal"}
    # ultra-num: an empty "Mobile" does not hide the filled "Fixe"...
    frame = pd.DataFrame({"Mobile": ["", ""], "Fixe": ["01", "02"]})
    assert map_columns(frame).fields == {"phone": "Fixe"}
    # ... and an empty column is still taken when nothing else names the field.
    assert map_columns(pd.DataFrame({"Mobile": ["", ""]})).fields == {"phone": "Mobile"}


def test_street_number_is_not_a_submission_id() -> None:
    # maine-et-loire: "N°" is the number in the street, repeated across rows.
    frame = pd.DataFrame({"ID_LieuMed": ["L1", "L2", "L3"], "N°": ["3", "", "3"],
                          "ADRESSE": ["rue a", "rue b", "rue c"], "CP": ["49650", "49070", "49070"]})
    mapping = map_columns(frame)
    assert mapping.fields == {"submission_id": "ID_LieuMed", "address": "ADRESSE", "postcode": "CP"}
    assert "N°" in mapping.unmapped
    # Unique numbers still name the submission.
    assert map_columns(pd.DataFrame({"N°": ["1", "2", "3"]})).fields == {"submission_id": "N°"}


def test_insee_code_of_the_departement_is_not_the_commune() -> None:
    assert mapping_of(["insee_dep", "insee_com"]) == {"insee_code": "insee_com"}
    assert mapping_of(["Code INSEE du département", "Code INSEE"]) == {"insee_code": "Code INSEE"}


ANGERS = ["TYPO_UID", "USER_NOM", "USER_TYPE", "USER_ADRES", "USER_QUART", "LAT", "LNG", "QUALIF1", "DATE_MAJ",
          "PICTO", "HORAIRE", "TRANSPORT", "TELEPHONE", "MAIL", "SITE_INTER", "LIEN", "code_postal", "commune"]
FRANCE_SERVICES_LIST = list(FRANCE_SERVICES) + ["h_mardi", "commentaire", "format_fs", "groupe", "labellisation"]


@pytest.mark.parametrize(
    ("name", "headers"),
    [("angers", ANGERS), ("fibre-64", list(FIBRE_64)), ("france-services", FRANCE_SERVICES_LIST)],
)
def test_hub_export_profiles_name_existing_headers(name: str, headers: list[str]) -> None:
    profile = load_profile(name)
    assert profile.description
    mapping = map_columns(frame_of(headers), profile=profile)
    assert {field: mapping.fields[field] for field in profile.columns} == profile.columns
    # The profile adds to automatic detection, it does not contradict its places.
    automatic = map_columns(frame_of(headers)).fields
    assert all(profile.columns[field] == header for field, header in automatic.items()
               if field in profile.columns and field in LOCATION_FIELDS)


# ------------------------------------------------------------------- traps


def test_traps_between_similar_headers() -> None:
    headers = [
        "Numéro",
        "Numéro de téléphone",
        "Adresse",
        "Adresse e-mail",
        "Horodateur",
        "Date de formation",
        "Organisme",
        "Organisme de formation",
        "Code postal",
        "Code INSEE",
        "Commune",
        "Adresse de la structure",
    ]
    assert mapping_of(headers) == {
        "submission_id": "Numéro",
        "submitted_at": "Horodateur",
        "email": "Adresse e-mail",
        "phone": "Numéro de téléphone",
        "structure": "Organisme",
        "address": "Adresse",
        "postcode": "Code postal",
        "city": "Commune",
        "insee_code": "Code INSEE",
        "training_date": "Date de formation",
        "training_body": "Organisme de formation",
    }


def test_a_second_email_column_is_not_taken_for_an_address() -> None:
    fields = mapping_of(["Adresse e-mail", "Votre adresse mail professionnelle", "Adresse postale"])
    assert fields == {"email": "Adresse e-mail", "address": "Adresse postale"}


def test_most_telling_synonym_wins_whatever_the_column_order() -> None:
    for headers in (["ObjectID", "GlobalID"], ["GlobalID", "ObjectID"]):
        assert mapping_of(headers) == {"submission_id": "GlobalID"}
    for headers in (["EditDate", "CreationDate"], ["CreationDate", "EditDate"]):
        assert mapping_of(headers) == {"submitted_at": "CreationDate"}


def test_first_column_wins_between_equal_headers() -> None:
    assert mapping_of(["Latitude", "latitude "]) == {"lat": "Latitude"}


def test_nom_is_the_last_name_when_there_is_a_first_name() -> None:
    assert mapping_of(["Nom", "Prénom", "Structure"]) == {"first_name": "Prénom", "last_name": "Nom",
                                                          "structure": "Structure"}


def test_nom_is_the_person_when_a_structure_column_exists() -> None:
    assert mapping_of(["Nom", "Structure"]) == {"full_name": "Nom", "structure": "Structure"}


def test_nom_is_the_structure_otherwise() -> None:
    assert mapping_of(["Nom", "Adresse"]) == {"structure": "Nom", "address": "Adresse"}


def test_legal_name_is_used_only_without_another_structure_name() -> None:
    assert mapping_of(["c_nom", "c_raison_sociale", "c_adresse"])["structure"] == "c_nom"
    assert mapping_of(["Raison sociale", "Adresse"])["structure"] == "Raison sociale"


def test_other_choice_companion_columns_are_ignored() -> None:
    mapping = map_columns(frame_of(["Autre - Typologie de la structure", "Typologie de la structure",
                                    "Autre - Adresse"]))
    assert mapping.fields == {"structure_type": "Typologie de la structure"}
    assert mapping.unmapped == ("Autre - Typologie de la structure", "Autre - Adresse")


# ---------------------------------------------------------------- prefixes


def test_prefix_shared_by_nearly_all_headers_is_stripped() -> None:
    headers = ["c_nom", "c_adresse", "c_postcode", "c_city", "c_lat_coor1", "c_long_coor1", "c_courriel",
               "c_telephone", "c__edit_datemaj", "gid"]
    assert mapping_of(headers) == {
        "submission_id": "gid",
        "submitted_at": "c__edit_datemaj",
        "email": "c_courriel",
        "phone": "c_telephone",
        "structure": "c_nom",
        "address": "c_adresse",
        "postcode": "c_postcode",
        "city": "c_city",
        "lat": "c_lat_coor1",
        "lon": "c_long_coor1",
    }


def test_prefix_of_few_headers_is_kept() -> None:
    # "x_lambert93" must not lose its "x_" because another header has it.
    assert mapping_of(["x_lambert93", "y_lambert93", "Commune", "Adresse", "Nom"]) == {
        "structure": "Nom", "address": "Adresse", "city": "Commune", "x": "x_lambert93", "y": "y_lambert93",
    }


# ------------------------------------------------------------ content sniffing


@pytest.mark.parametrize(
    "values",
    [
        ["42.35473, 9.04258", "42.34519,9.38286", "", "43.1 5.2"],
        ["42,35473; 9,04258", "-21,1151 ; 55,5364", "(48.85, 2.35)"],
        ["42.35473, 9.04258"] * 8 + ["à vérifier", "?"],
    ],
)
def test_coordinates_are_found_behind_any_column_name(values: list[str]) -> None:
    frame = pd.DataFrame({"Nom": ["A"] * len(values), "zz": values})
    mapping = map_columns(frame)
    assert mapping.fields["coordinates"] == "zz"
    assert mapping.how["coordinates"] == "contenu"


@pytest.mark.parametrize(
    "values",
    [
        ["42.35473, 9.04258", "inconnu", "à voir", "", "?"],
        ["123.4, 500.2", "95.1, 2.0"],
        ["12, 14", "3, 4"],
        ["", ""],
    ],
)
def test_columns_that_are_not_mostly_coordinates_are_not_sniffed(values: list[str]) -> None:
    assert "coordinates" not in map_columns(pd.DataFrame({"zz": values})).fields


def test_named_coordinates_column_is_a_synonym_match() -> None:
    frame = pd.DataFrame({"pointgeo": ["42.35473, 9.04258"], "zz": ["42.1, 9.1"]})
    mapping = map_columns(frame)
    assert mapping.fields == {"coordinates": "pointgeo"}
    assert mapping.how == {"coordinates": "synonyme"}


def test_emails_and_postcodes_are_sniffed_only_for_unmapped_fields() -> None:
    frame = pd.DataFrame(
        {
            "Champ 1": ["jeanne@exemple.fr", "paul.martin@exemple.org", ""],
            "Champ 2": ["20224", "05000", "97400"],
            "Champ 3": ["a@b.fr", "c@d.fr", "e@f.fr"],
            "Champ 4": ["10000", "00012", "99000"],
        }
    )
    mapping = map_columns(frame)
    assert mapping.fields == {"email": "Champ 1", "postcode": "Champ 2"}
    assert mapping.how == {"email": "contenu", "postcode": "contenu"}
    assert mapping.unmapped == ("Champ 3", "Champ 4")
    assert map_columns(frame.rename(columns={"Champ 3": "Courriel"})).fields["email"] == "Courriel"


# ----------------------------------------------------------------- forced


def test_forced_headers_win_and_are_reported() -> None:
    frame = frame_of(["Adresse e-mail", "Courriel", "Lieu", "Adresse"])
    mapping = map_columns(frame, forced={"email": "Courriel", "structure": "Lieu"})
    assert mapping.fields == {"email": "Courriel", "structure": "Lieu", "address": "Adresse"}
    assert mapping.how == {"email": "forcé", "structure": "forcé", "address": "synonyme"}
    assert mapping.unmapped == ("Adresse e-mail",)


def test_forced_header_is_found_up_to_case_and_accents() -> None:
    mapping = map_columns(frame_of(["Téléphone fixe", "Numéro"]), forced={"phone": "telephone FIXE"})
    assert mapping.fields["phone"] == "Téléphone fixe"


def test_forced_empty_header_keeps_the_field_unmapped() -> None:
    mapping = map_columns(frame_of(["Adresse e-mail", "Adresse"]), forced={"email": ""})
    assert mapping.fields == {"address": "Adresse"}
    assert mapping.unmapped == ("Adresse e-mail",)


def test_forced_missing_header_names_it_and_suggests_close_ones() -> None:
    with pytest.raises(ConfigurationError, match=r"« Adresse mel » n'existe pas.*« Adresse mail »"):
        map_columns(frame_of(["Adresse mail", "Ville"]), forced={"email": "Adresse mel"})


def test_forced_missing_header_without_close_ones() -> None:
    with pytest.raises(ConfigurationError, match=r"« zzz » n'existe pas dans le fichier\.$"):
        map_columns(frame_of(["Adresse mail", "Ville"]), forced={"email": "zzz"})


def test_forced_unknown_field_lists_the_valid_fields() -> None:
    with pytest.raises(ConfigurationError, match="Champ inconnu : « mail ».*submission_id, submitted_at"):
        map_columns(frame_of(["Adresse mail"]), forced={"mail": "Adresse mail"})


def test_one_forced_header_for_two_fields_is_refused() -> None:
    with pytest.raises(ConfigurationError, match="« Contact » est attribuée à deux champs"):
        map_columns(frame_of(["Contact"]), forced={"email": "Contact", "full_name": "Contact"})


def test_profile_columns_are_used_and_forced_ones_override_them() -> None:
    profile = Profile("essai", "Essai", {"email": "Contact", "full_name": "Nom", "city": "Lieu"}, None)
    frame = frame_of(["Contact", "Nom", "Lieu", "Adresse"])
    mapping = map_columns(frame, forced={"full_name": "Contact"}, profile=profile)
    # The profile's full_name and email are overridden; "Nom" is left to automatic detection.
    assert mapping.fields == {"full_name": "Contact", "structure": "Nom", "address": "Adresse", "city": "Lieu"}
    assert mapping.how == {"full_name": "forcé", "structure": "synonyme", "address": "synonyme", "city": "profil"}
    assert mapping.unmapped == ()


def test_profile_header_missing_from_the_export_is_refused() -> None:
    profile = Profile("essai", "Essai", {"email": "Courriel"}, None)
    with pytest.raises(ConfigurationError, match="« Courriel » n'existe pas"):
        map_columns(frame_of(["Adresse"]), profile=profile)


def test_mapping_is_one_to_one_and_lists_every_header_once() -> None:
    headers = list(GOOGLE_FORM) + ["Remarques", "Autre - Type de structure"]
    mapping = map_columns(frame_of(headers))
    assert isinstance(mapping, ColumnMapping)
    assert len(set(mapping.fields.values())) == len(mapping.fields)
    assert sorted([*mapping.fields.values(), *mapping.unmapped]) == sorted(headers)
    assert list(mapping.fields) == [field for field in CANONICAL_FIELDS if field in mapping.fields]
    assert mapping.how.keys() == mapping.fields.keys()


# -------------------------------------------------------------- options


def test_parse_column_options() -> None:
    assert parse_column_options(["email=Adresse mail", " lat = Y ", "x=", "city=Ville = commune"]) == {
        "email": "Adresse mail",
        "lat": "Y",
        "x": "",
        "city": "Ville = commune",
    }
    assert parse_column_options([]) == {}


@pytest.mark.parametrize("option", ["email", "=Adresse mail", " = x", ""])
def test_column_option_without_field_is_refused(option: str) -> None:
    with pytest.raises(ConfigurationError, match="Option --column invalide.*CHAMP=EN-TÊTE.*submission_id"):
        parse_column_options([option])


def test_column_option_with_unknown_field_suggests_one() -> None:
    with pytest.raises(ConfigurationError, match="« emial ».*Vouliez-vous dire « email » \\?.*consent"):
        parse_column_options(["emial=Adresse mail"])


def test_column_option_given_twice_is_refused() -> None:
    with pytest.raises(ConfigurationError, match="« email » est donné deux fois"):
        parse_column_options(["email=A", "email=B"])


# -------------------------------------------------------------- real exports

REAL_MAPPINGS = {
    "corse": {
        "email": "Adresse e-mail", "full_name": "Contact", "phone": "N° de téléphone", "structure": "Structure",
        "structure_type": "Type", "address": "Adresse", "coordinates": "pointgeo", "lat": "lat", "lon": "long",
        "conum": "Conseiller numérique",
    },
    "epernay": {
        "submission_id": "GlobalID", "submitted_at": "CreationDate", "email": "Adresse mail de la structure",
        "phone": "Numéro de téléphone de la structure", "structure": "Nom de votre structure",
        "structure_type": "Typologie de la structure", "address": "Adresse de la structure", "x": "x", "y": "y",
    },
    "etapes-numerique": {
        "submission_id": "ID", "structure": "Nom", "address": "Adresse", "postcode": "Code postal",
        "city": "Commune", "insee_code": "Code INSEE", "lat": "latitude", "lon": "longitude",
    },
    "hub-lo": {
        "submission_id": "gid", "submitted_at": "c__edit_datemaj", "email": "c_courriel", "full_name": "c_contacts",
        "phone": "c_telephone", "structure": "c_nom", "structure_type": "c_statut_juridique",
        "address": "c_adresse", "postcode": "c_postcode", "city": "c_city", "lat": "c_lat_coor1",
        "lon": "c_long_coor1",
    },
    "la-creuse": {
        "submission_id": "id", "phone": "téléphone", "structure": "nom", "address": "adresse",
        "postcode": "code_postal", "city": "commune", "lat": "latitude", "lon": "longitude",
    },
}


@pytest.mark.parametrize("name", REAL_EXPORTS)
def test_real_export_is_mapped_automatically(realdata: Path, name: str) -> None:
    frame = read_export(realdata, name)
    mapping = map_columns(frame)
    expected = REAL_MAPPINGS[name]
    if name == "hub-lo":
        # Both "gid" and "c_gid" hold the record number; either will do.
        assert mapping.fields.pop("submission_id") in {"gid", "c_gid"}
        expected = {field: header for field, header in expected.items() if field != "submission_id"}
    assert mapping.fields == expected
    assert set(mapping.how.values()) == {"synonyme"}


@pytest.mark.parametrize("name", REAL_EXPORTS)
def test_real_export_profile_agrees_with_automatic_detection(realdata: Path, name: str) -> None:
    frame = read_export(realdata, name)
    profile = load_profile(name)
    automatic = map_columns(frame)
    with_profile = map_columns(frame, profile=profile)
    assert profile.name == name
    assert profile.description
    assert {field: automatic.fields.get(field) for field in LOCATION_FIELDS} == {
        field: profile.columns.get(field) for field in LOCATION_FIELDS
    }
    assert all(with_profile.how[field] == "profil" for field in profile.columns)
    assert {field: with_profile.fields[field] for field in profile.columns} == profile.columns


def test_example_google_forms_profile_matches_its_form() -> None:
    profile = load_profile("google-forms-cafe-ia")
    assert profile.theme == "cafe-ia"
    assert map_columns(frame_of(list(GOOGLE_FORM))).fields.items() >= profile.columns.items()


# --------------------------------------------------------------- profiles


def test_list_profiles_reads_every_profile_of_the_repository() -> None:
    names = [profile.name for profile in list_profiles()]
    assert names == sorted([*REAL_EXPORTS, *HUB_EXPORT_PROFILES, "google-forms-cafe-ia"])


def write_profile(folder: Path, name: str, text: str) -> Path:
    path = folder / f"{name}.toml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture()
def data_dir(tmp_path: Path, repo_root: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "profiles").mkdir()
    (tmp_path / "themes.toml").write_text((repo_root / "data" / "themes.toml").read_text(encoding="utf-8"),
                                          encoding="utf-8")
    monkeypatch.setenv("CARTE_DATA_DIR", str(tmp_path))
    return tmp_path


def test_profile_by_name_and_by_path(data_dir: Path) -> None:
    path = write_profile(
        data_dir / "profiles", "mon-hub",
        'name = "mon-hub"\ndescription = " Export de mon hub "\ntheme = "parentalite-numerique"\n'
        '[columns]\nemail = "Courriel"\ncity = ""\n',
    )
    expected = Profile("mon-hub", "Export de mon hub", {"email": "Courriel", "city": ""}, "parentalite-numerique")
    assert load_profile("mon-hub") == expected
    assert load_profile(str(path)) == expected
    assert list_profiles() == [expected]


def test_unknown_profile_name_lists_the_available_ones(data_dir: Path) -> None:
    write_profile(data_dir / "profiles", "corse", 'name = "corse"\n')
    with pytest.raises(ConfigurationError, match="Profil inconnu : « corsica ».*Profils disponibles : corse\\."):
        load_profile("corsica")


def test_missing_profile_path_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="Profil introuvable"):
        load_profile(str(tmp_path / "absent.toml"))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('description = "x"', "« name » est obligatoire"),
        ('name = ""', "« name » est obligatoire"),
        ('name = "a"\ndescription = 3', "« description » doit être un texte"),
        ('name = "a"\ncolonnes = {}', "clé\\(s\\) inconnue\\(s\\) colonnes"),
        ('name = "a"\n[columns]\nmail = "Courriel"', "Champ inconnu : « mail »"),
        ('name = "a"\n[columns]\nemail = 3', "\\[columns\\] doit associer"),
        ('name = "a"\ncolumns = "email"', "\\[columns\\] doit associer"),
        ('name = "a"\ntheme = "cafe_ia"', "Thématique inconnue : « cafe_ia »"),
        ('name = "a"\n[columns', "pas un fichier TOML valide"),
    ],
)
def test_invalid_profile_is_a_configuration_error(data_dir: Path, text: str, message: str) -> None:
    path = write_profile(data_dir / "profiles", "bad", text)
    with pytest.raises(ConfigurationError, match=message):
        load_profile("bad")
    with pytest.raises(ConfigurationError, match=str(path).replace("\\", "\\\\")):
        load_profile(str(path))


def test_profile_fields_are_the_canonical_ones(repo_root: Path) -> None:
    for profile in list_profiles():
        assert set(profile.columns) <= set(CANONICAL_FIELDS), profile.name
        assert all(fold(header) for header in profile.columns.values()), profile.name
