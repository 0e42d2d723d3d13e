"""What every format shares: size limits, text decoding, the header row and the naming of columns.

A reader of one format (:mod:`loaders.read.delimited`, :mod:`loaders.read.workbook`,
:mod:`loaders.read.json_document`) turns bytes into a grid of text cells; these functions check it
against the limits and turn it into named columns.
"""

from __future__ import annotations

import codecs
import contextlib

import numpy as np
import pandas as pd

from loaders._errors import FileTooLargeError, NotATableError, UnreadableFileError
from loaders.settings import MEGABYTE, ReadLimits

# Up to this many bytes that are not UTF-8 for one valid UTF-8 character, a file is
# taken for damaged UTF-8 rather than for Windows-1252 (see `_mostly_utf8`).
_STRAY_BYTES_PER_UTF8 = 10

RESAVE_ADVICE = (
    "Ouvrez-le dans votre tableur, puis enregistrez-le au format « CSV UTF-8 » "
    "ou « Classeur Excel (.xlsx) » et déposez ce nouveau fichier."
)


def megabytes(size: int) -> str:
    """A size as a French reader writes it: « 20,5 Mo »."""
    return format(round(size / MEGABYTE, 1), "g").replace(".", ",") + " Mo"


def check_size(size: int, source: str, limits: ReadLimits) -> None:
    """Refuse a file over the size limit."""
    if size > limits.max_file_bytes:
        raise FileTooLargeError(
            f"Le fichier « {source} » pèse {megabytes(size)}, au-delà de la limite de "
            f"{megabytes(limits.max_file_bytes)}. Supprimez les colonnes ou les lignes "
            "inutiles, ou découpez-le en plusieurs fichiers."
        )


def check_width(width: int, source: str, limits: ReadLimits) -> None:
    """Refuse a table wider than the column limit."""
    if width > limits.max_columns:
        raise FileTooLargeError(
            f"Le fichier « {source} » compte {width} colonnes, au-delà de la limite de "
            f"{limits.max_columns}. Vérifiez qu'il s'agit bien d'un tableau avec une ligne "
            "d'en-tête, et supprimez les colonnes inutiles."
        )


def check_cells(rows: int, width: int, source: str, limits: ReadLimits) -> None:
    """Refuse a table of more cells than the limit (rows × width)."""
    if rows * width > limits.max_cells:
        raise FileTooLargeError(
            f"Le fichier « {source} » formerait un tableau de {rows} lignes sur {width} colonnes, "
            f"plus de {limits.max_cells} cellules : c'est au-delà de la limite. Supprimez les lignes "
            "ou les colonnes inutiles, ou découpez-le en plusieurs fichiers."
        )



def decode(data: bytes, source: str) -> tuple[str, str]:
    """Text of the file and its encoding: UTF-8 (with or without BOM) or Windows-1252.

    A file that is not valid UTF-8 is read as Windows-1252 only if it has no
    BOM and does not look like UTF-8 (see `_mostly_utf8`): a UTF-8 file with a
    few damaged bytes is refused, with the line of the first one, since reading
    it as Windows-1252 would turn each of its accented letters into two wrong
    characters (« Ã© » for « é »). A file valid in neither encoding (Windows-1252
    leaves 0x81, 0x8D, 0x8F, 0x90 and 0x9D undefined) is refused likewise.
    Latin-1 is never used as a fallback: it decodes any bytes, so it would turn
    a wrongly encoded file into silently wrong text. Files with NUL bytes are
    refused as binary (or UTF-16) before any decoding.
    """
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise UnreadableFileError(
            f"Le fichier « {source} » est enregistré en UTF-16 (« Texte Unicode »), un "
            "encodage que l'outil ne lit pas. " + RESAVE_ADVICE
        )
    if b"\x00" in data:
        raise UnreadableFileError(
            f"Le fichier « {source} » contient des caractères nuls : ce n'est pas un fichier "
            "texte (fichier binaire, ou texte enregistré en UTF-16). " + RESAVE_ADVICE
        )
    utf8 = "utf-8-sig" if data.startswith(codecs.BOM_UTF8) else "utf-8"
    try:
        return data.decode(utf8), utf8
    except UnicodeDecodeError as exc:
        utf8_error = exc
    line = _line_number(data, utf8_error.start)
    # A BOM says the file is meant to be UTF-8.
    if utf8 == "utf-8-sig" or _mostly_utf8(data):
        raise UnreadableFileError(
            f"Le fichier « {source} » est enregistré en UTF-8, mais des caractères y sont abîmés "
            f"(octets invalides dans cet encodage), le premier ligne {line} : un outil réglé sur un "
            "autre encodage l'a sans doute modifié. Corrigez les lettres accentuées de cette ligne, "
            "puis enregistrez le fichier en UTF-8 : depuis un tableur, choisissez le format "
            "« CSV UTF-8 »."
        ) from utf8_error
    with contextlib.suppress(UnicodeDecodeError):
        return data.decode("cp1252"), "cp1252"
    raise UnreadableFileError(
        f"Le fichier « {source} » n'est pas un texte dans un encodage reconnu (UTF-8 ou "
        f"Windows-1252) : le premier caractère illisible se trouve ligne {line}. "
        "Enregistrez-le de nouveau en UTF-8 : depuis un tableur, choisissez le format "
        "« CSV UTF-8 »."
    ) from utf8_error


def _mostly_utf8(data: bytes) -> bool:
    """True if there is a valid UTF-8 character per `_STRAY_BYTES_PER_UTF8` stray bytes, or more.

    Stray bytes are the non-ASCII bytes outside valid UTF-8 characters. In a
    Windows-1252 file, accented letters are single bytes, mostly followed by
    ASCII: a valid UTF-8 character only appears by accident (an accented
    capital followed by a symbol, « É… »; none in the 100,000 rows of
    ``bench/make_messy_export.py``). A UTF-8 file with a few damaged bytes, or
    with rows appended in Windows-1252, holds many.
    """
    # Each byte that is no part of a valid UTF-8 character decodes to a lone surrogate,
    # which encoding drops again.
    text = data.decode("utf-8", "surrogateescape")
    stray = len(data) - len(text.encode("utf-8", "ignore"))
    non_ascii = len(text) - len(text.encode("ascii", "ignore"))
    return (non_ascii - stray) * _STRAY_BYTES_PER_UTF8 >= stray


def _line_number(data: bytes, position: int) -> int:
    """Line of `position`, lines ending with CR LF, LF or CR alone."""
    before = data[:position]
    return before.count(b"\n") + before.count(b"\r") - before.count(b"\r\n") + 1


def split_header(grid: pd.DataFrame, source: str) -> tuple[list[str], pd.DataFrame]:
    """Split a grid of cells at its first non-empty row, the header.

    Parameters
    ----------
    grid : pandas.DataFrame
        All rows of the file, indexed by row number from 1, positional columns.
    source : str
        File name, for messages.

    Returns
    -------
    tuple of (list of str, pandas.DataFrame)
        The header cells, and the rows below it.
    """
    for row_number, values in zip(grid.index, grid.itertuples(index=False, name=None), strict=True):
        if any(values):
            return list(values), grid.loc[row_number + 1 :]
    raise NotATableError(f"Le fichier « {source} » ne contient aucune donnée : toutes ses lignes sont vides.")


def assemble(header: list[str], body: pd.DataFrame, source: str) -> tuple[pd.DataFrame, tuple[int, ...]]:
    """Name the columns and drop the empty rows, remembering their numbers.

    Parameters
    ----------
    header : list of str
        Header cells; may be shorter than the rows (the extra cells of longer
        rows then get a column named after their position).
    body : pandas.DataFrame
        Rows below the header, indexed by row number, positional columns.
    source : str
        File name, for messages.

    Returns
    -------
    tuple of (pandas.DataFrame, tuple of int)
        The records with named columns, and the numbers of the empty rows
        skipped between the header and the last record.
    """
    blank = _blank_mask(body)
    filled = body.index[~blank]
    if filled.empty:
        raise NotATableError(
            f"Le fichier « {source} » ne contient aucune ligne de données : seule la ligne "
            "d'en-tête est remplie. Vérifiez que vous avez déposé le bon fichier."
        )
    blank_rows = tuple(int(number) for number in body.index[blank] if number < filled[-1])
    frame = body.loc[~blank].set_axis(_column_names(header, body.shape[1]), axis=1)
    return frame, blank_rows


def _blank_mask(body: pd.DataFrame) -> np.ndarray:
    """True for the rows whose cells are all empty."""
    # Narrow the candidates column by column: usually the first column already
    # rules out nearly every row, so the other columns are barely looked at.
    candidates = np.arange(len(body))
    for position in range(body.shape[1]):
        if not candidates.size:
            break
        cells = body.iloc[:, position].to_numpy()
        candidates = candidates[cells[candidates] == ""]
    blank = np.zeros(len(body), dtype=bool)
    blank[candidates] = True
    return blank


def _column_names(header: list[str], width: int) -> list[str]:
    """Usable, unique column names from the header cells."""
    names: list[str] = []
    taken: set[str] = set()
    # Next copy number to try for each repeated name: thousands of identical
    # headers would otherwise take a time growing with the cube of their number.
    next_copy: dict[str, int] = {}
    for position in range(1, width + 1):
        cell = header[position - 1] if position <= len(header) else ""
        base = cell.replace("\ufeff", "").strip() or f"colonne {position}"
        name, copy = base, next_copy.get(base, 2)
        while name in taken:
            name, copy = f"{base} ({copy})", copy + 1
        next_copy[base] = copy
        taken.add(name)
        names.append(name)
    return names
