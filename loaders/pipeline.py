"""From export files to validated, geocoded animator records and a per-row report.

The pipeline never writes anything: :func:`load_files` returns an
:class:`ImportResult` that the CLI writes to files and :mod:`loaders.store`
writes to the database. Every input row ends in exactly one place: among the
``source_rows`` of one or more records (one per theme), or in ``rejects``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from loaders._errors import ConfigurationError, NoLocationColumnError
from loaders.columns import CANONICAL_FIELDS, ColumnMapping, Profile, load_profile, map_columns
from loaders.geocode import LOCATION_FIELDS, Gazetteer, geocode
from loaders.normalize import (
    IN_TRAINING,
    REFERENCED,
    TRAINED,
    dates,
    datetimes,
    themes,
    training_statuses,
    yes_no,
    yes_or_named,
)
from loaders.read import RawTable, read_table
from loaders.text import fold
from loaders.themes import ThemeRegistry, load_themes

RECORD_COLUMNS: tuple[str, ...] = (
    "animator_id", "theme", "training_status", "training_date", "structure", "public_consent", "is_conum",
    "postcode", "insee_code", "commune", "arrondissement_code", "epci_code", "epci", "departement_code",
    "region_code", "lat", "lon", "geocode_precision", "geocode_note", "source_file", "source_rows",
)
DETAIL_COLUMNS: tuple[str, ...] = (
    "full_name", "first_name", "last_name", "email", "phone", "structure_type", "address", "city",
    "training_body", "submission_id", "submitted_at", "winning_file", "winning_row",
)
REJECT_COLUMNS: tuple[str, ...] = ("source_file", "source_row", "reason")
STATUSES: tuple[str, ...] = (TRAINED, IN_TRAINING, REFERENCED)
_EMAIL = r"([^\s@<>:;,()]+@[^\s@<>:;,()]+\.[^\s@<>:;,()]+)"


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


@dataclass(frozen=True)
class ImportResult:
    """Records (one per animator and theme), rejected rows, and per-file reports."""

    records: pd.DataFrame
    rejects: pd.DataFrame
    files: tuple[FileReport, ...]
    theme: str | None = None

    def report(self) -> dict:
        """Counts for ``rapport.json`` (keys in French, for people)."""
        records = self.records
        return {
            "fichiers": [
                {
                    "fichier": f.source_file,
                    "sha256": f.sha256,
                    "format": f.kind,
                    "lignes": f.rows,
                    "lignes_acceptees": f.accepted_rows,
                    "lignes_rejetees": f.rejected_rows,
                    "lignes_vides_ignorees": list(f.blank_rows),
                    "colonnes": {name: f.mapping.fields[name] for name in f.mapping.fields},
                    "colonnes_detectees_par": dict(f.mapping.how),
                    "colonnes_non_utilisees": list(f.mapping.unmapped),
                }
                for f in self.files
            ],
            "lignes": sum(f.rows for f in self.files),
            "lignes_acceptees": sum(f.accepted_rows for f in self.files),
            "lignes_rejetees": sum(f.rejected_rows for f in self.files),
            "fiches": len(records),
            "animateurs": int(records["animator_id"].nunique()) if len(records) else 0,
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
    """How to read the files: theme of the form, forced columns, profile."""

    theme: str | None = None
    columns: Mapping[str, str] = field(default_factory=dict)
    profile: str | None = None


def load_files(
    paths: Sequence[str | Path],
    gazetteer: Gazetteer,
    options: LoadOptions = LoadOptions(),
    registry: ThemeRegistry | None = None,
) -> ImportResult:
    """Read, map, normalise, geocode and deduplicate the rows of several files.

    Raises
    ------
    loaders.LoaderError
        A file is unusable (unreadable, not a table, no location column) or the
        options are invalid; nothing is returned then.
    """
    return load_tables([read_table(path) for path in paths], gazetteer, options, registry)


def load_tables(
    tables: Sequence[RawTable],
    gazetteer: Gazetteer,
    options: LoadOptions = LoadOptions(),
    registry: ThemeRegistry | None = None,
) -> ImportResult:
    """Same as :func:`load_files`, for tables already read (uploads)."""
    registry = registry or load_themes()
    profile, theme = _resolve_options(options, registry)
    prepared = [_prepare(table, options.columns, profile, theme, registry, gazetteer) for table in tables]
    accepted = pd.concat([p.accepted for p in prepared], ignore_index=True) if prepared else pd.DataFrame()
    records = _deduplicate(accepted)
    rejects = _rejects(prepared)
    files = tuple(p.report for p in prepared)
    return ImportResult(records=records, rejects=rejects, files=files, theme=theme)


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
    report: FileReport


def _prepare(
    table: RawTable,
    forced: Mapping[str, str],
    profile: Profile | None,
    theme: str | None,
    registry: ThemeRegistry,
    gazetteer: Gazetteer,
) -> _Prepared:
    mapping = map_columns(table.frame, forced, profile)
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
    canonical = _canonical(table, mapping)
    located = geocode(canonical, gazetteer)
    theme_lists, unknown = _themes(canonical["themes"], theme, registry)
    reasons = located["reject_reason"].copy()
    no_theme = theme_lists.map(len).eq(0) & reasons.isna()
    reasons[no_theme] = [
        f"thématique « {', '.join(labels) or '(vide)'} » inconnue : attendu {_theme_labels(registry)}"
        for labels in unknown[no_theme]
    ]
    notes = located["geocode_note"]
    accepted_mask = reasons.isna()
    accepted = _records(canonical, located, theme_lists, table)[accepted_mask.to_numpy()]
    accepted["geocode_note"] = notes[accepted_mask].to_numpy()
    rejected = pd.DataFrame(
        {
            "source_file": table.source_file,
            "source_row": table.frame.index[~accepted_mask.to_numpy()],
            "reason": reasons[~accepted_mask].to_numpy(),
        }
    )
    raw = table.frame[~accepted_mask.to_numpy()].reset_index(drop=True)
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
    return _Prepared(accepted=accepted, rejected=rejected, raw=raw, report=report)


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


def _records(canonical: pd.DataFrame, located: pd.DataFrame, theme_lists: pd.Series, table: RawTable) -> pd.DataFrame:
    training_dates = dates(canonical["training_date"])
    frame = pd.DataFrame(
        {
            "animator_id": _animator_ids(canonical, located, table),
            "themes": theme_lists.to_numpy(),
            "training_status": _training_status(canonical["trained"], training_dates).to_numpy(),
            "training_date": training_dates.to_numpy(),
            "structure": canonical["structure"].to_numpy(),
            "public_consent": yes_no(canonical["consent"]).eq(True).to_numpy(),
            "is_conum": yes_or_named(canonical["conum"]).eq(True).to_numpy(),
            "postcode": canonical["postcode"].to_numpy(),
            "submitted_at": datetimes(canonical["submitted_at"]).to_numpy(),
            "source_file": table.source_file,
            "source_row": table.frame.index.to_numpy(),
            **{name: canonical[name].to_numpy() for name in DETAIL_COLUMNS
               if name in CANONICAL_FIELDS and name != "submitted_at"},
        },
        index=canonical.index,
    )
    for name in located.columns:
        if name != "reject_reason":
            frame[name] = located[name].to_numpy()
    return frame


def _training_status(answers: pd.Series, trained_on: pd.Series) -> pd.Series:
    """Status from the answer about training, else from the training date (past → trained)."""
    stated = training_statuses(answers)
    today = date.today()
    by_date = trained_on.map(lambda d: None if d is None or pd.isna(d) else (TRAINED if d <= today else IN_TRAINING))
    return stated.where(stated.notna(), by_date).where(lambda s: s.notna(), REFERENCED)


def _animator_ids(canonical: pd.DataFrame, located: pd.DataFrame, table: RawTable) -> list[str]:
    """Stable person identifiers: the e-mail, else the form's submission id, else name + structure + commune.

    A cell may hold several addresses ("a@x.fr ou b@y.fr"): the first one identifies the person.
    """
    email = canonical["email"].astype(str).str.extract(_EMAIL, expand=False)
    submission = canonical["submission_id"].tolist()
    form = "|".join(sorted(table.frame.columns))
    keys = [
        f"email:{address.casefold()}" if isinstance(address, str)
        else f"submission:{form}|{submitted}" if submitted
        else None
        for address, submitted in zip(email.tolist(), submission)
    ]
    anonymous = [i for i, key in enumerate(keys) if key is None]
    if anonymous:
        person = (canonical["full_name"] + " " + canonical["first_name"] + " " + canonical["last_name"]).tolist()
        structure, insee = canonical["structure"].tolist(), located["insee_code"].tolist()
        for i in anonymous:
            keys[i] = f"person:{fold(person[i])}|{fold(structure[i])}|{insee[i]}"
    digests = {key: hashlib.sha256(key.encode()).hexdigest()[:16] for key in dict.fromkeys(keys)}
    return [digests[key] for key in keys]


def _deduplicate(accepted: pd.DataFrame) -> pd.DataFrame:
    """One record per (animator, theme): the latest submission wins, merged rows are listed.

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
    key = animator_codes.astype(np.int64) * len(theme_names) + theme_codes
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

    files = accepted["source_file"].to_numpy()[position].tolist()
    rows = accepted["source_row"].to_numpy()[position].tolist()
    bounds = np.r_[group_starts, len(key)].tolist()
    groups = [list(zip(files[a:b], rows[a:b])) for a, b in zip(bounds[:-1], bounds[1:])]

    latest = accepted.iloc[winners[appearance]].drop(columns="themes").reset_index(drop=True)
    latest.insert(1, "theme", np.asarray(winner_themes)[appearance])
    latest["winning_file"] = latest["source_file"]
    latest["winning_row"] = latest["source_row"]
    ordered_groups = [groups[i] for i in appearance.tolist()]
    latest["source_rows"] = [str(g[0][1]) if len(g) == 1 else _source_rows(g) for g in ordered_groups]
    latest["source_file"] = [g[0][0] if len(g) == 1 else "|".join(dict.fromkeys(f for f, _ in g))
                             for g in ordered_groups]
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
