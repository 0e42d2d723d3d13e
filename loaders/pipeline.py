"""From export files to validated, geocoded animator records and a per-row report.

The pipeline never writes anything: :func:`load_files` returns an
:class:`ImportResult` that the CLI writes to files and :mod:`store`
writes to the database. Every input row ends in exactly one place: among the
``source_rows`` of one or more records (one per theme), or in ``rejects``. A record is one
animator, in one theme, at one place (:mod:`loaders.places`): the same person at two places
gives two records, never a merge.
"""

from __future__ import annotations

import gc
import re
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from core.text import fold
from core.vocabulary import IN_TRAINING, REFERENCED, TRAINED
from loaders._errors import ConfigurationError, NoLocationColumnError
from loaders.column_options import CANONICAL_FIELDS, Profile, load_profile
from loaders.columns import ColumnMapping, map_columns
from loaders.dates import dates, datetimes
from loaders.file_rules import check_files
from loaders.fixes import FIX_NOTE, apply_fixes, location_keys, location_texts
from loaders.geocoding import LOCATION_FIELDS, Gazetteer, geocode
from loaders.normalize import themes, training_statuses, yes_no, yes_or_named
from loaders.people import homes_at_commune_point, person_id
from loaders.places import mobility, place_ids
from loaders.read import RawTable, read_table
from loaders.themes import ThemeRegistry, load_themes

RECORD_COLUMNS: tuple[str, ...] = (
    "animator_id", "place_id", "theme", "training_status", "training_date", "structure", "public_consent", "is_conum",
    "postcode", "insee_code", "commune", "arrondissement_code", "epci_code", "epci", "departement_code",
    "region_code", "lat", "lon", "geocode_precision", "geocode_note", "mobility", "source_file", "source_rows",
)
DETAIL_COLUMNS: tuple[str, ...] = (
    "full_name", "first_name", "last_name", "email", "phone", "structure_type", "address", "city",
    "training_body", "submission_id", "submitted_at", "winning_file", "winning_row",
)
REJECT_COLUMNS: tuple[str, ...] = ("source_file", "source_row", "reason")
PLACE_COLUMNS: tuple[str, ...] = ("source_file", "source_row", "location_key", "location_text")
_EMAIL = re.compile(r"([^\s@<>:;,()]+@[^\s@<>:;,()]+\.[^\s@<>:;,()]+)")


@dataclass(frozen=True)
class FileReport:
    """What happened to one input file."""

    source_file: str
    sha256: str
    kind: str
    rows: int
    accepted_rows: int
    rejected_rows: int
    blank_rows: tuple[int, ...]
    mapping: ColumnMapping

    def summary(self) -> dict:
        """This file's part of ``rapport.json`` (keys in French, for people)."""
        return {
            "fichier": self.source_file,
            "sha256": self.sha256,
            "format": self.kind,
            "lignes": self.rows,
            "lignes_acceptees": self.accepted_rows,
            "lignes_rejetees": self.rejected_rows,
            "lignes_vides_ignorees": list(self.blank_rows),
            "colonnes": {name: self.mapping.fields[name] for name in self.mapping.fields},
            "colonnes_detectees_par": dict(self.mapping.how),
            "colonnes_non_utilisees": list(self.mapping.unmapped),
        }


@dataclass(frozen=True)
class ImportResult:
    """Records (one per animator, theme and place), rejected rows, and per-file reports."""

    records: pd.DataFrame
    rejects: pd.DataFrame
    files: tuple[FileReport, ...]
    theme: str | None = None
    # Aligned with ``rejects``: what each rejected row said about its place, and its location key
    # (:mod:`loaders.fixes`), so that a hub can place it by hand.
    reject_places: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=list(PLACE_COLUMNS)))

    def report(self) -> dict:
        """Counts for ``rapport.json`` (keys in French, for people)."""
        records = self.records
        return {
            "fichiers": [f.summary() for f in self.files],
            "lignes": sum(f.rows for f in self.files),
            "lignes_acceptees": sum(f.accepted_rows for f in self.files),
            "lignes_rejetees": sum(f.rejected_rows for f in self.files),
            "fiches": len(records),
            "animateurs": int(records["animator_id"].nunique()) if len(records) else 0,
            "lieux": int(records["place_id"].nunique()) if len(records) else 0,
            "lieux_par_animateur_max": int(records.groupby("animator_id")["place_id"].nunique().max())
            if len(records) else 0,
            "fiches_par_thematique": _counts(records, "theme"),
            "fiches_par_statut": _counts(records, "training_status"),
            "precision_geocodage": _counts(records, "geocode_precision"),
            "fiches_avec_note_de_geocodage": int((records["geocode_note"] != "").sum()) if len(records) else 0,
            "doublons_fusionnes": int(
                sum(len(rows.split("|")) - 1 for rows in records["source_rows"])
            ) if len(records) else 0,
        }


def _counts(frame: pd.DataFrame, column: str) -> dict[str, int]:
    if not len(frame):
        return {}
    return {str(k): int(v) for k, v in frame[column].value_counts().sort_index().items()}


@dataclass(frozen=True)
class LoadOptions:
    """How to read the files: theme of the form, forced columns, profile, manual geocoding fixes."""

    theme: str | None = None
    columns: Mapping[str, str] = field(default_factory=dict)
    profile: str | None = None
    fixes: Mapping[str, str] = field(default_factory=dict)  # location key → INSEE code


def load_files(
    paths: Sequence[str | Path],
    gazetteer: Gazetteer,
    options: LoadOptions = LoadOptions(),
    registry: ThemeRegistry | None = None,
) -> ImportResult:
    """Read, map, normalise, geocode and deduplicate the rows of several files (``python -m carte import``).

    Raises
    ------
    loaders.LoaderError
        A file is unusable (unreadable, not a table, no location column), the
        files break a rule of :mod:`loaders.file_rules` (two files of one name,
        even from two folders, or of one content; « | » in a name), or the
        options are invalid; nothing is returned then.
    """
    tables = [read_table(path) for path in paths]
    check_files(tables)
    return load_tables(tables, gazetteer, options, registry)


def load_tables(
    tables: Sequence[RawTable],
    gazetteer: Gazetteer,
    options: LoadOptions = LoadOptions(),
    registry: ThemeRegistry | None = None,
) -> ImportResult:
    """Same as :func:`load_files`, for tables already read and checked (uploads: `views.importer.read_uploads`)."""
    registry = registry or load_themes()
    profile, theme = _resolve_options(options, registry)
    with _cyclic_gc_paused():
        prepared = [_prepare(table, options, profile, theme, registry, gazetteer) for table in tables]
        accepted = pd.concat([p.accepted for p in prepared], ignore_index=True) if prepared else pd.DataFrame()
        records = _deduplicate(accepted)
        rejects = _rejects(prepared)
        places = (pd.concat([p.places for p in prepared], ignore_index=True) if prepared
                  else pd.DataFrame(columns=list(PLACE_COLUMNS)))
    files = tuple(p.report for p in prepared)
    return ImportResult(records=records, rejects=rejects, files=files, theme=theme, reject_places=places)


@contextmanager
def _cyclic_gc_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector for the duration of an import.

    An import creates hundreds of thousands of small objects (outcomes, notes,
    theme lists, timestamps) that all stay reachable until it ends: every few
    hundred allocations the collector would walk every live object again, for
    nothing, and that walk grows with the import. Reference counting still
    frees memory as usual; unreachable cycles wait for the next collection.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _resolve_options(options: LoadOptions, registry: ThemeRegistry) -> tuple[Profile | None, str | None]:
    profile = load_profile(options.profile) if options.profile else None
    theme = options.theme or (profile.theme if profile else None)
    if theme is not None:
        registry.get(theme)
    return profile, theme


@dataclass(frozen=True)
class _Prepared:
    accepted: pd.DataFrame
    rejected: pd.DataFrame
    raw: pd.DataFrame
    places: pd.DataFrame
    report: FileReport


def _prepare(
    table: RawTable,
    options: LoadOptions,
    profile: Profile | None,
    theme: str | None,
    registry: ThemeRegistry,
    gazetteer: Gazetteer,
) -> _Prepared:
    mapping = map_columns(table.frame, options.columns, profile)
    if not set(mapping.fields) & set(LOCATION_FIELDS):
        raise NoLocationColumnError(
            f"{table.source_file} : aucune colonne ne permet de situer les lignes (code postal, commune, "
            "code INSEE, adresse ou coordonnées). Indiquez-la avec --column, par exemple "
            "--column postcode=\"Code postal\"."
        )
    if "themes" not in mapping.fields and theme is None:
        raise ConfigurationError(
            f"{table.source_file} : le fichier n'a pas de colonne de thématique. Indiquez la thématique du "
            f"formulaire avec --theme ({', '.join(registry.slugs())})."
        )
    as_written = _canonical(table, mapping)
    canonical, fixed = apply_fixes(as_written, options.fixes)
    located = geocode(canonical, gazetteer)
    located = homes_at_commune_point(canonical, located, gazetteer)  # a home is never stored
    theme_lists, unknown = _themes(canonical["themes"], theme, registry)
    reasons = located["reject_reason"].copy()
    no_theme = theme_lists.map(len).eq(0) & reasons.isna()
    reasons[no_theme] = [
        f"thématique « {', '.join(labels) or '(vide)'} » inconnue : attendu {_theme_labels(registry)}"
        for labels in unknown[no_theme]
    ]
    notes = located["geocode_note"].where(~fixed, FIX_NOTE)
    accepted_mask = reasons.isna()
    accepted = _records(canonical, located, theme_lists, table, accepted_mask.to_numpy())
    accepted["geocode_note"] = notes[accepted_mask].to_numpy()
    rejected = pd.DataFrame(
        {
            "source_file": table.source_file,
            "source_row": table.frame.index[~accepted_mask.to_numpy()],
            "reason": reasons[~accepted_mask].to_numpy(),
        }
    )
    raw = table.frame[~accepted_mask.to_numpy()].reset_index(drop=True)
    rejected_as_written = as_written[~accepted_mask.to_numpy()]
    places = pd.DataFrame({
        "source_file": table.source_file,
        "source_row": rejected["source_row"].to_numpy(),
        "location_key": location_keys(rejected_as_written).to_numpy(),
        "location_text": location_texts(rejected_as_written).to_numpy(),
    }, columns=list(PLACE_COLUMNS))
    report = FileReport(
        source_file=table.source_file,
        sha256=table.sha256,
        kind=table.kind,
        rows=len(table.frame),
        accepted_rows=int(accepted_mask.sum()),
        rejected_rows=int((~accepted_mask).sum()),
        blank_rows=table.blank_rows,
        mapping=mapping,
    )
    return _Prepared(accepted=accepted, rejected=rejected, raw=raw, places=places, report=report)


def _canonical(table: RawTable, mapping: ColumnMapping) -> pd.DataFrame:
    """One column of stripped text per canonical field (``""`` for unmapped fields)."""
    empty = [""] * len(table.frame)
    columns = {
        name: [value.strip() for value in table.frame[mapping.fields[name]].tolist()]
        if name in mapping.fields else empty
        for name in CANONICAL_FIELDS
    }
    return pd.DataFrame(columns, index=table.frame.index, dtype=object)


def _theme_labels(registry: ThemeRegistry) -> str:
    return ", ".join(f"« {registry.get(slug).label} »" for slug in registry.slugs())


def _themes(values: pd.Series, theme: str | None, registry: ThemeRegistry) -> tuple[pd.Series, pd.Series]:
    slugs, unknown = themes(values, registry)
    if theme is not None:
        slugs = pd.Series([[theme] if value == "" else found for value, found in zip(values.tolist(), slugs.tolist())],
                          index=values.index, dtype=object)
    return slugs, unknown


def _records(
    canonical: pd.DataFrame, located: pd.DataFrame, theme_lists: pd.Series, table: RawTable, accepted: np.ndarray
) -> pd.DataFrame:
    """The accepted rows, one column per field, before deduplication.

    Answers are parsed over the whole file (the order of day and month is decided
    per column); each column is typed as it is over the whole file, whatever the
    rows kept.
    """
    def text(values: Sequence[str] | np.ndarray) -> pd.api.extensions.ExtensionArray:
        # Every cell is a str: Arrow converts them without pandas' checks of each one.
        return pd.array(pa.array(np.asarray(values, dtype=object)[accepted], type=pa.large_string()), dtype="str")

    def inferred(values: np.ndarray) -> pd.api.extensions.ExtensionArray:
        return pd.Series(values, index=canonical.index).array[accepted]

    training_dates = dates(canonical["training_date"])
    columns = {
        "animator_id": text(_animator_ids(canonical, located, table)),
        "themes": theme_lists.to_numpy()[accepted],
        "training_status": text(_training_status(canonical["trained"], training_dates).to_numpy()),
        "training_date": inferred(training_dates.to_numpy()),
        "structure": text(canonical["structure"].to_numpy()),
        "public_consent": yes_no(canonical["consent"]).eq(True).to_numpy()[accepted],
        "is_conum": yes_or_named(canonical["conum"]).eq(True).to_numpy()[accepted],
        "postcode": text(canonical["postcode"].to_numpy()),
        "submitted_at": inferred(datetimes(canonical["submitted_at"]).to_numpy()),
        "source_file": text(np.full(len(canonical), table.source_file, dtype=object)),
        "source_row": table.frame.index.to_numpy()[accepted],
        **{name: text(canonical[name].to_numpy()) for name in DETAIL_COLUMNS
           if name in CANONICAL_FIELDS and name != "submitted_at"},
        **{name: located[name].array[accepted] for name in located.columns if name != "reject_reason"},
        "mobility": mobility(canonical["mobility"]).to_numpy()[accepted],
    }
    # Of the accepted rows only (a rejected row has no commune), as the other columns already are.
    columns["place_id"] = pd.array(pa.array(place_ids(
        *(column.to_numpy(dtype=object)[accepted].tolist() for column in (
            located["insee_code"], located["arrondissement_code"], canonical["structure"], canonical["address"]))),
        type=pa.large_string()), dtype="str")
    return pd.DataFrame(columns, index=canonical.index[accepted])


def _training_status(answers: pd.Series, trained_on: pd.Series) -> pd.Series:
    """Status from the answer about training, else from the training date (past → trained)."""
    stated = training_statuses(answers)
    today = date.today()
    # Once per distinct date: a column holds few.
    positions, distinct = pd.factorize(trained_on.to_numpy(dtype=object), use_na_sentinel=False)
    statuses = np.array([None if d is None or pd.isna(d) else (TRAINED if d <= today else IN_TRAINING)
                         for d in distinct.tolist()], dtype=object)
    by_date = pd.Series(statuses[positions], index=trained_on.index, dtype=object)
    return stated.where(stated.notna(), by_date).where(lambda s: s.notna(), REFERENCED)


def _animator_ids(canonical: pd.DataFrame, located: pd.DataFrame, table: RawTable) -> list[str]:
    """Stable person identifiers: the e-mail, else the form's submission id, else name + structure + commune.

    A cell may hold several addresses ("a@x.fr ou b@y.fr"): the first one identifies the person.
    """
    emails = [found[1] if (found := _EMAIL.search(cell)) else None for cell in canonical["email"].tolist()]
    submission = canonical["submission_id"].tolist()
    form = "|".join(sorted(table.frame.columns))
    keys = [
        f"email:{address.casefold()}" if address is not None
        else f"submission:{form}|{submitted}" if submitted
        else None
        for address, submitted in zip(emails, submission)
    ]
    anonymous = [i for i, key in enumerate(keys) if key is None]
    if anonymous:
        person = (canonical["full_name"] + " " + canonical["first_name"] + " " + canonical["last_name"]).tolist()
        structure, insee = canonical["structure"].tolist(), located["insee_code"].tolist()
        for i in anonymous:
            keys[i] = f"person:{fold(person[i])}|{fold(structure[i])}|{insee[i]}"
    digests = {key: person_id(key) for key in dict.fromkeys(keys)}
    return [digests[key] for key in keys]


def _deduplicate(accepted: pd.DataFrame) -> pd.DataFrame:
    """One record per (animator, theme, place): the latest submission wins, merged rows are listed.

    The same person at two places gives two records (two places of one animator), never a merge:
    only lines of the same place by the rule of :mod:`loaders.places` are duplicates.

    Rows are ordered on integer keys with numpy; the wide frame is indexed once at the end.
    Records come in the order of their first row in the input, as the hub wrote them.
    """
    columns = list(RECORD_COLUMNS) + list(DETAIL_COLUMNS)
    if accepted.empty:
        return pd.DataFrame(columns=columns)
    theme_lists = accepted["themes"].tolist()
    position = np.repeat(np.arange(len(accepted)), [len(themes) for themes in theme_lists])
    theme_codes, theme_names = pd.factorize(np.array([t for themes in theme_lists for t in themes], dtype=object))
    animator_codes, _ = pd.factorize(accepted["animator_id"].to_numpy()[position])
    place_codes, place_names = pd.factorize(accepted["place_id"].to_numpy()[position])
    key = (animator_codes.astype(np.int64) * len(place_names) + place_codes) * len(theme_names) + theme_codes
    when = pd.to_datetime(accepted["submitted_at"].to_numpy()[position], errors="coerce")
    # Missing timestamps sort first, so that any dated submission wins over an undated one.
    when_order = np.where(when.isna(), np.iinfo(np.int64).min, when.asi8)
    order = np.lexsort((np.arange(len(key)), when_order, key))
    key, position = key[order], position[order]
    last_of_key = np.r_[key[1:] != key[:-1], True]
    first_of_key = np.r_[True, key[1:] != key[:-1]]
    group_starts = np.flatnonzero(first_of_key)
    first_seen = np.minimum.reduceat(position, group_starts)
    winners = position[last_of_key]
    winner_themes = theme_names[theme_codes[order][last_of_key]]
    appearance = np.argsort(first_seen, kind="stable")

    files = accepted["source_file"].to_numpy(dtype=object)[position]
    rows = accepted["source_row"].to_numpy()[position]
    starts = group_starts[appearance]
    sizes = np.diff(np.r_[group_starts, len(key)])[appearance]
    # Most records hold one row: only merged ones list their rows one by one.
    source_rows = np.array([str(row) for row in rows[starts].tolist()], dtype=object)
    source_files = files[starts]
    for record in np.flatnonzero(sizes > 1).tolist():
        merged = slice(starts[record], starts[record] + sizes[record])
        group = list(zip(files[merged].tolist(), rows[merged].tolist()))
        source_rows[record] = _source_rows(group)
        source_files[record] = "|".join(dict.fromkeys(source for source, _ in group))

    latest = accepted.iloc[winners[appearance]].drop(columns="themes").reset_index(drop=True)
    latest.insert(1, "theme", np.asarray(winner_themes)[appearance])
    latest["winning_file"] = latest["source_file"]
    latest["winning_row"] = latest["source_row"]
    latest["source_rows"] = source_rows
    latest["source_file"] = source_files
    return latest[columns]


def _source_rows(rows: list[tuple[str, int]]) -> str:
    """``2|7`` for rows of one file; ``a.csv:2|b.csv:7`` when a record merges rows of several files."""
    unique = sorted(set(rows))
    if len({source for source, _ in unique}) == 1:
        return "|".join(str(row) for _, row in unique)
    return "|".join(f"{source}:{row}" for source, row in unique)


def _rejects(prepared: Sequence[_Prepared]) -> pd.DataFrame:
    parts = [pd.concat([p.rejected.reset_index(drop=True), p.raw], axis=1) for p in prepared]
    if not parts:
        return pd.DataFrame(columns=list(REJECT_COLUMNS))
    frame = pd.concat(parts, ignore_index=True)
    return frame.fillna("")
