"""The rules on the files of one import (loaders/file_rules.py), shared by the « Importer » page and the CLI."""

from __future__ import annotations

import pytest

from loaders.file_rules import FileProblem, FileRuleError, check_files
from loaders.read import read_bytes

EXPORT = "Adresse e-mail;Code postal;Commune;Thématiques\na@x.fr;34000;Montpellier;Café IA\n".encode()
OTHER_EXPORT = "Adresse e-mail;Code postal;Commune;Thématiques\nb@x.fr;51200;Épernay;Café IA\n".encode()


@pytest.mark.parametrize(
    ("files", "problem", "named"),
    [
        ([("export.csv", EXPORT), ("export.csv", OTHER_EXPORT)], FileProblem.SAME_NAME, ("export.csv",)),
        ([("a.csv", EXPORT), ("copie.csv", EXPORT)], FileProblem.SAME_CONTENT, ("a.csv", "copie.csv")),
        ([("a.csv", EXPORT), ("b|c.csv", OTHER_EXPORT)], FileProblem.SEPARATOR_IN_NAME, ("b|c.csv",)),
    ],
)
def test_each_broken_rule_has_its_kind_and_names_its_files(files, problem, named):
    tables = [read_bytes(content, name) for name, content in files]
    with pytest.raises(FileRuleError) as caught:
        check_files(tables)
    assert caught.value.breach.problem is problem and caught.value.breach.files == named
    assert all(f"« {name} »" in str(caught.value) for name in named)


def test_files_with_distinct_names_and_contents_pass():
    check_files([read_bytes(EXPORT, "a.csv"), read_bytes(OTHER_EXPORT, "b.csv")])
