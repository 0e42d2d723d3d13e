"""bench/compare.py: a bench script on a baseline commit and on the working tree, alternately, side by side."""

from __future__ import annotations

import importlib.util
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
COMPARE = ROOT / "bench" / "compare.py"


def _module():
    spec = importlib.util.spec_from_file_location("bench_compare", COMPARE)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


compare = _module()


def _git(folder: Path, *arguments: str) -> None:
    subprocess.run(["git", "-c", "user.name=bench", "-c", "user.email=bench@example.org", *arguments], cwd=folder,
                   check=True, capture_output=True)


@pytest.fixture(scope="module")
def repository(tmp_path_factory) -> Path:
    """A throw-away repository holding compare.py and a bench script that prints the speed of its own tree.

    The committed tree says 100 rows/s; the working tree, uncommitted, 120 rows/s. The script reads the
    figure from a module next to it at the tree's root, as the real bench scripts import the project.
    """
    folder = tmp_path_factory.mktemp("repository")
    (folder / "bench").mkdir()
    shutil.copy(COMPARE, folder / "bench" / "compare.py")
    (folder / "bench" / "speed.py").write_text(
        "import tempfile, speed_of_tree\n"
        "print('Machine : 2 cœurs')\n"
        "print(f'1000 lignes écrites dans {tempfile.mkdtemp()}/messy.csv')\n"
        "print(f'chargeur : {speed_of_tree.SPEED:,} lignes/s')\n", encoding="utf-8")
    (folder / "speed_of_tree.py").write_text("SPEED = 100\n", encoding="utf-8")
    _git(folder, "init", "--quiet")
    _git(folder, "add", ".")
    _git(folder, "commit", "--quiet", "-m", "baseline")
    (folder / "speed_of_tree.py").write_text("SPEED = 120\n", encoding="utf-8")
    return folder


def _run_compare(repository: Path, *arguments: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(repository / "bench" / "compare.py"), *arguments], cwd=repository,
                          capture_output=True, text=True, check=False)


def test_compare_runs_the_baseline_commit_and_the_uncommitted_working_tree_side_by_side(repository):
    completed = _run_compare(repository, "--baseline", "HEAD", "--runs", "2", "bench/speed.py")
    assert completed.returncode == 0, completed.stderr
    lines = completed.stdout.splitlines()
    figures = lines.index("chargeur : … lignes/s")
    assert lines[figures + 1].split() == ["base", "100", "|", "100"]
    assert lines[figures + 2].split()[:4] == ["courant", "120", "|", "120"]
    assert "100 → 120 (+20.0 %)" in lines[figures + 2]
    assert "Machine : 2 cœurs" in lines  # the same in every run: printed once, as it is


def test_compare_matches_lines_that_name_a_new_temporary_file_in_every_run(repository):
    completed = _run_compare(repository, "--baseline", "HEAD", "--runs", "2", "bench/speed.py")
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.count("lignes écrites dans") == 1
    assert "1000 lignes écrites dans (temporaire)" in completed.stdout.splitlines()


def test_compare_alternates_which_side_runs_first_and_removes_its_worktree(repository):
    completed = _run_compare(repository, "--baseline", "HEAD", "--runs", "3", "bench/speed.py")
    assert completed.returncode == 0, completed.stderr
    sides = [line.split()[0] for line in completed.stdout.splitlines() if " charge " in line]
    assert sides == ["base", "courant", "courant", "base", "base", "courant"]
    listed = subprocess.run(["git", "worktree", "list"], cwd=repository, capture_output=True, text=True, check=True)
    assert len(listed.stdout.splitlines()) == 1


def test_compare_can_run_the_working_trees_script_on_the_baselines_code(repository):
    (repository / "bench" / "speed.py").write_text(
        "import speed_of_tree\nprint(f'chargeur : {speed_of_tree.SPEED:,} lignes/s')\nprint('nouveau 1.0 s')\n",
        encoding="utf-8")
    try:
        completed = _run_compare(repository, "--baseline", "HEAD", "--runs", "1", "--same-script", "bench/speed.py")
    finally:
        _git(repository, "checkout", "--quiet", "bench/speed.py")
    assert completed.returncode == 0, completed.stderr
    lines = completed.stdout.splitlines()
    assert "nouveau 1.0 s" in lines  # printed by both sides
    figures = lines.index("chargeur : … lignes/s")
    assert lines[figures + 1].split() == ["base", "100"]


def test_the_baseline_worktree_gets_the_map_assets_the_working_tree_installed(repository):
    # static/vendor is installed by make, never committed: a fresh worktree of the baseline lacks it.
    vendor = repository / "static" / "vendor" / "leaflet"
    vendor.mkdir(parents=True)
    (vendor / "leaflet.js").write_text("/* Leaflet */\n", encoding="utf-8")
    (repository / "bench" / "assets.py").write_text(
        "from pathlib import Path\n"
        "print(f'fichiers de carte : {int(Path(\"static/vendor/leaflet/leaflet.js\").is_file())}')\n",
        encoding="utf-8")
    try:
        completed = _run_compare(repository, "--baseline", "HEAD", "--runs", "1", "--same-script", "bench/assets.py")
    finally:
        shutil.rmtree(repository / "static")
        (repository / "bench" / "assets.py").unlink()
    assert completed.returncode == 0, completed.stderr
    # The same figure on both sides is printed once, as it is (a difference would print both sides).
    assert "fichiers de carte : 1" in completed.stdout.splitlines()


def test_compare_refuses_a_script_the_baseline_does_not_hold(repository):
    (repository / "bench" / "new.py").write_text("print('1 s')\n", encoding="utf-8")
    completed = _run_compare(repository, "--baseline", "HEAD", "bench/new.py")
    assert completed.returncode == 2
    assert "absent du commit de référence" in completed.stderr


def test_compare_refuses_an_unknown_baseline(repository):
    completed = _run_compare(repository, "--baseline", "no-such-commit", "bench/speed.py")
    assert completed.returncode == 2
    assert "inconnu de git" in completed.stderr


def test_compare_adds_the_duration_and_processor_time_of_each_run(repository):
    completed = _run_compare(repository, "--baseline", "HEAD", "--runs", "1", "bench/speed.py")
    assert completed.returncode == 0, completed.stderr
    output = completed.stdout
    # Printed once with its figure when both runs took the same time, else followed by each side's.
    for label in ("Durée du script : ", "Temps processeur du script et de ses processus : "):
        figures = re.findall(rf"^{label}(?:(\d+\.\d\d) s|… s\n  base     (\d+\.\d\d))", output, re.MULTILINE)
        assert len(figures) == 1 and float(max(figures[0])) > 0


def test_figures_are_numbers_standing_alone_not_digits_inside_words():
    line = "/tmp/tmpg8hi3fq/messy.csv en 4.9 s, E2SFCA 1,234.5 s (37,900 lignes/s) objectif 20 000 lignes/s"
    assert compare.NUMBER.findall(line) == ["4.9", "1,234.5", "37,900", "20 000"]


def test_render_matches_lines_whose_figures_changed_width():
    runs = [compare.Run(compare.Side.BASELINE, (0.5, 0.5, 0.5), ["lu : 0.71 s  (   140,238 lignes/s)"]),
            compare.Run(compare.Side.WORKING, (0.5, 0.5, 0.5), ["lu : 1.20 s  (    83,186 lignes/s)"])]
    assert compare.render(runs).splitlines()[1:] == [
        "lu : … s  (   … lignes/s)",
        "  base     0.71 140,238",
        "  courant  1.20 83,186   médianes 0.71 → 1.20 (+69.0 %); 140,238 → 83,186 (-40.7 %)",
    ]


def test_render_marks_lines_that_only_some_runs_printed():
    runs = [compare.Run(compare.Side.BASELINE, (0.5, 0.5, 0.5), ["objectif : atteint"]),
            compare.Run(compare.Side.WORKING, (0.5, 0.5, 0.5), ["objectif : NON atteint"]),
            compare.Run(compare.Side.WORKING, (0.5, 0.5, 0.5), ["objectif : atteint"])]
    assert compare.render(runs).splitlines()[1:] == [
        "objectif : atteint   [base 1/1, courant 1/2]",
        "objectif : NON atteint   [base 0/1, courant 1/2]",
    ]


def test_render_matches_repeated_labels_by_their_rank_within_each_run():
    runs = [compare.Run(compare.Side.BASELINE, (0.5, 0.5, 0.5), ["scénario 1.0 s", "scénario 2.0 s"]),
            compare.Run(compare.Side.WORKING, (0.5, 0.5, 0.5), ["scénario 1.0 s", "scénario 3.0 s"])]
    assert compare.render(runs).splitlines()[1:] == [
        "scénario 1.0 s",
        "scénario … s",
        "  base     2.0",
        "  courant  3.0   médianes 2.00 → 3.00 (+50.0 %)",
    ]
