"""Rules on the set of files of one import, the same for the « Importer » page and ``python -m carte import``.

An import names each row by its file's base name (``source_file``) and stores one batch per file
name: two files of one import must not share a name, even from two folders, nor the same bytes
(one of them would add nothing), and a name must not hold « | », the separator of the files of a
merged record. Each broken rule has a named kind (`FileProblem`); its French sentence is for people.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass

from loaders._errors import LoaderError
from loaders.read import RawTable

# The store lists the files of a merged record separated by this character.
FILE_SEPARATOR = "|"


class FileProblem(enum.Enum):
    """Why a set of files cannot be imported together."""

    SAME_NAME = "same_name"
    SAME_CONTENT = "same_content"
    SEPARATOR_IN_NAME = "separator_in_name"


@dataclass(frozen=True)
class FileRuleBreach:
    """One broken rule and the files it concerns (base names, in the order given)."""

    problem: FileProblem
    files: tuple[str, ...]

    def message(self) -> str:
        """The French sentence a hub agent or an administrator reads."""
        if self.problem is FileProblem.SAME_NAME:
            return (f"Deux fichiers s'appellent « {self.files[0]} » (l'import désigne chaque ligne par le nom de "
                    "son fichier). Renommez l'un d'eux, puis importez-les de nouveau.")
        if self.problem is FileProblem.SAME_CONTENT:
            first, second = self.files
            return f"Les fichiers « {first} » et « {second} » sont identiques. Retirez l'un des deux."
        return (f"Le nom du fichier « {self.files[0]} » contient le caractère « {FILE_SEPARATOR} ». "
                "Renommez-le, puis importez-le de nouveau.")


class FileRuleError(LoaderError):
    """The files of an import break a rule of this module; nothing may be imported."""

    def __init__(self, breach: FileRuleBreach) -> None:
        super().__init__(breach.message())
        self.breach = breach


def _first_breach(tables: Sequence[RawTable]) -> FileRuleBreach | None:
    """The first rule the files break, in their order, or ``None`` when they may be imported together.

    Parameters
    ----------
    tables
        The files of one import, as read.

    Returns
    -------
    FileRuleBreach or None
        The first problem found, file by file.
    """
    seen_names: set[str] = set()
    seen_contents: dict[str, str] = {}
    for table in tables:
        name = table.source_file
        if name in seen_names:
            return FileRuleBreach(FileProblem.SAME_NAME, (name,))
        if table.sha256 in seen_contents:
            return FileRuleBreach(FileProblem.SAME_CONTENT, (seen_contents[table.sha256], name))
        if FILE_SEPARATOR in name:
            return FileRuleBreach(FileProblem.SEPARATOR_IN_NAME, (name,))
        seen_names.add(name)
        seen_contents[table.sha256] = name
    return None


def check_files(tables: Sequence[RawTable]) -> None:
    """Refuse a set of files that breaks a rule of this module.

    Raises
    ------
    FileRuleError
        With the first breach (:func:`_first_breach`) and its French message.
    """
    breach = _first_breach(tables)
    if breach is not None:
        raise FileRuleError(breach)
