"""A bench script run on a baseline commit and on the working tree, alternately, figures side by side.

The developers' guide asks for every figure beside its baseline measured in the same run, on the
same machine: on a shared machine, figures taken an hour apart say more about the load than about
the code. This script checks ``REF`` out into a temporary git worktree, then runs the same bench
script (with the same arguments) in that worktree and in the working tree (uncommitted changes
included), alternating, ``--runs`` times each, and prints every line holding figures once with the
figures of each run below it.

Usage::

    bench/compare.py --baseline 7051fbf^ bench/run.py --chargeur
    bench/compare.py --baseline main --runs 3 bench/bench_store.py
    bench/compare.py --baseline 7051fbf^ --same-script bench/run.py --chargeur

The order alternates from one round to the next (baseline first, then working tree first), so that
a load that grows or fades during the runs weighs on both sides alike. The load average of the
machine is printed before each run: a run under a higher load is not comparable.

Each side imports its own code: the script runs with its tree as the current directory and first on
``PYTHONPATH``, with the Python of this process (the same installed packages on both sides). With
``--same-script``, the working tree's version of the script is copied into the baseline's worktree
first: a figure the script has learnt to print since the baseline is then measured on both sides.
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from statistics import median

ROOT = Path(__file__).resolve().parent.parent
VENDOR = Path("static") / "vendor"
DEFAULT_RUNS = 2

# Figures as the bench scripts print them: 37,900 or 20 000 or 1.93 or 12 (a decimal point, commas or
# spaces between thousands), standing alone: digits inside a word (E2SFCA, a temporary file's name) are
# part of the label. Anything else in a line is its label.
NUMBER = re.compile(r"(?<![\w.])-?(?:\d{1,3}(?:,\d{3})+|\d{1,3}(?: \d{3})+(?!\d)|\d+)(?:\.\d+)?(?![\w])")
PLACEHOLDER = "…"
# Temporary files and folders get a new name in every run: part of no label.
TEMPORARY = re.compile(re.escape(tempfile.gettempdir().rstrip("/") + "/") + r"\S*")


class Side(Enum):
    """Which tree a run measured."""

    BASELINE = "base"
    WORKING = "courant"


@dataclass
class Run:
    """One run of the bench script: its side, the load average before it, its output lines."""

    side: Side
    load: tuple[float, float, float]
    lines: list[str]


@dataclass
class Row:
    """A line of output that holds figures: its label and the figures of each run, by side."""

    label: str
    figures: dict[Side, list[list[str]]] = field(default_factory=lambda: {side: [] for side in Side})


def main(argv: Sequence[str] | None = None) -> int:
    """Parse the arguments, run both sides alternately, print the comparison; the exit status."""
    parser = argparse.ArgumentParser(
        description="Lance un banc d'essai sur un commit de référence et sur l'arbre de travail, en "
                    "alternance, et affiche leurs chiffres côte à côte.")
    parser.add_argument("--baseline", required=True, metavar="REF",
                        help="commit de référence (tout ce que git comprend : 7051fbf^, main, HEAD~3)")
    parser.add_argument("--runs", type=int, default=DEFAULT_RUNS, metavar="N",
                        help=f"passages de chaque côté (par défaut {DEFAULT_RUNS})")
    parser.add_argument("--same-script", action="store_true",
                        help="lancer des deux côtés le script de l'arbre de travail (qui mesure peut-être plus "
                             "que celui de la référence), chacun sur le code de son arbre")
    parser.add_argument("script", help="le script de banc d'essai, relatif à la racine du dépôt (bench/run.py)")
    parser.add_argument("arguments", nargs=argparse.REMAINDER, help="ses arguments")
    options = parser.parse_args(argv)
    if options.runs < 1:
        parser.error("--runs doit valoir au moins 1")
    commit = _resolve(options.baseline)
    if commit is None:
        parser.error(f"commit de référence « {options.baseline} » inconnu de git")
    if not (ROOT / options.script).is_file():
        parser.error(f"script « {options.script} » absent de l'arbre de travail")
    with _worktree(commit) as baseline_root:
        if options.same_script:  # the worktree is thrown away afterwards
            shutil.copyfile(ROOT / options.script, baseline_root / options.script)
        if not (baseline_root / options.script).is_file():
            print(f"Script « {options.script} » absent du commit de référence {options.baseline} : "
                  "rien à comparer.", file=sys.stderr)
            return 2
        trees = {Side.BASELINE: baseline_root, Side.WORKING: ROOT}
        print(f"Référence : {options.baseline} ({commit[:10]}) | courant : arbre de travail de {ROOT} "
              f"({_describe_working_tree()})")
        print(f"Commande : {' '.join([options.script, *options.arguments])} — {options.runs} passage(s) "
              "de chaque côté, en alternance", flush=True)
        runs = []
        for order in _orders(options.runs):
            for side in order:
                run = _run(side, trees[side], options.script, options.arguments)
                if run is None:
                    return 1
                runs.append(run)
    print()
    print(render(runs))
    return 0


def _orders(rounds: int) -> Iterator[tuple[Side, Side]]:
    """Baseline first, then the working tree first, and so on: a drifting load weighs on both sides."""
    for round_number in range(rounds):
        yield (Side.BASELINE, Side.WORKING) if round_number % 2 == 0 else (Side.WORKING, Side.BASELINE)


def _run(side: Side, tree: Path, script: str, arguments: Sequence[str]) -> Run | None:
    """Run the script in its tree; None (after printing its error output) when it fails.

    Two lines are added to its output: the script's duration, and the processor time it and its
    children used, which a busy machine stretches less than the duration.
    """
    load = os.getloadavg()
    print(f"  {side.value:<8} charge {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} …", end=" ", flush=True)
    environment = dict(os.environ, PYTHONPATH=os.pathsep.join(
        [str(tree), *filter(None, [os.environ.get("PYTHONPATH")])]))
    processor, start = _children_processor_time(), time.perf_counter()
    completed = subprocess.run([sys.executable, str(tree / script), *arguments], cwd=tree, env=environment,
                               capture_output=True, text=True, check=False)
    duration, processor = time.perf_counter() - start, _children_processor_time() - processor
    if completed.returncode != 0:
        print("échec")
        print(completed.stdout + completed.stderr, file=sys.stderr)
        return None
    print("fait")
    return Run(side, load, [*(_masked(line, tree) for line in completed.stdout.splitlines()),
                            f"Durée du script : {duration:.2f} s",
                            f"Temps processeur du script et de ses processus : {processor:.2f} s"])


def _children_processor_time() -> float:
    """User and system time of the finished child processes of this one, in seconds."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _masked(line: str, tree: Path) -> str:
    """The line with its tree's path written as the working tree's, and temporary paths as « (temporaire) »."""
    return TEMPORARY.sub("(temporaire)", line.replace(str(tree), str(ROOT)))


def render(runs: Sequence[Run]) -> str:
    """The comparison: lines without figures once, each line with figures followed by its figures per side.

    Lines whose figures are the same in every run (the machine, a row count) are printed as they
    are. A figure that differs gets the medians of each side and the working tree's change
    against the baseline.

    Examples
    --------
    >>> runs = [Run(Side.BASELINE, (0.1, 0.1, 0.1), ["Lignes 100", "durée 2.00 s"]),
    ...         Run(Side.WORKING, (0.2, 0.1, 0.1), ["Lignes 100", "durée 2.20 s"])]
    >>> print(render(runs))
    Charge moyenne avant chaque passage (1 min) : base 0.10 | courant 0.20
    Lignes 100
    durée … s
      base     2.00
      courant  2.20   médianes 2.00 → 2.20 (+10.0 %)
    """
    lines = [_loads(runs)]
    counts = {side: sum(run.side is side for run in runs) for side in Side}
    for row in _rows(runs):
        printed = {side: len(row.figures[side]) for side in Side}
        if printed != counts:  # a line some runs did not print (« atteint » / « NON atteint »)
            lines.append(f"{row.label}   [" + ", ".join(f"{side.value} {printed[side]}/{counts[side]}"
                                                           for side in Side) + "]")
        elif _constant(row):
            lines.append(_fill(row.label, row.figures[Side.WORKING][0]))
            continue
        else:
            lines.append(row.label)
        if PLACEHOLDER in row.label:
            lines.extend(_figure_lines(row))
    return "\n".join(lines)


def _loads(runs: Sequence[Run]) -> str:
    """One line: the one-minute load average before each run, by side."""
    by_side = " | ".join(f"{side.value} " + " ".join(f"{run.load[0]:.2f}" for run in runs if run.side is side)
                         for side in Side)
    return f"Charge moyenne avant chaque passage (1 min) : {by_side}"


def _rows(runs: Sequence[Run]) -> list[Row]:
    """The lines in the order of the first run that printed them, matched across runs by their label.

    A label is the line with its figures taken out, spaces folded (figures of another width move
    the text aligned after them). The n-th line with a given label in one run goes with the n-th
    line with that label in the others, so that repeated labels (one per scenario) stay apart.
    """
    rows: dict[tuple[str, int], Row] = {}
    for run in runs:
        seen: dict[str, int] = {}
        for line in run.lines:
            label = NUMBER.sub(PLACEHOLDER, line)
            folded = " ".join(label.split())
            key = (folded, seen.get(folded, 0))
            seen[folded] = key[1] + 1
            rows.setdefault(key, Row(label)).figures[run.side].append(NUMBER.findall(line))
    return list(rows.values())


def _constant(row: Row) -> bool:
    """Whether every run that printed this line printed the same figures on it."""
    every = [figures for side in Side for figures in row.figures[side]]
    return all(figures == every[0] for figures in every)


def _fill(label: str, figures: Sequence[str]) -> str:
    """The label with its placeholders replaced by the figures, in order."""
    pieces = iter(figures)
    return re.sub(re.escape(PLACEHOLDER), lambda _: next(pieces, PLACEHOLDER), label)


def _figure_lines(row: Row) -> list[str]:
    """Two lines: the figures of each run of the baseline, then of the working tree with the change."""
    baseline, working = row.figures[Side.BASELINE], row.figures[Side.WORKING]
    lines = [f"  {Side.BASELINE.value:<8} " + (" | ".join(" ".join(figures) for figures in baseline) or "—")]
    changes = [_change(position, baseline, working) for position in range(_width(baseline, working))]
    summary = "; ".join(change for change in changes if change)
    lines.append(f"  {Side.WORKING.value:<8} " + (" | ".join(" ".join(figures) for figures in working) or "—")
                 + (f"   médianes {summary}" if summary else ""))
    return lines


def _width(*sides: list[list[str]]) -> int:
    """How many figures every run of both sides has on this line (the positions that can be compared)."""
    counts = [len(figures) for side in sides for figures in side]
    return min(counts) if counts else 0


def _change(position: int, baseline: list[list[str]], working: list[list[str]]) -> str:
    """« 2.00 → 2.20 (+10.0 %) » for a figure that differs between the sides; empty when it does not."""
    before = median(_value(figures[position]) for figures in baseline) if baseline else None
    after = median(_value(figures[position]) for figures in working) if working else None
    if before is None or after is None or before == after:
        return ""
    relative = f" ({(after - before) / abs(before):+.1%})".replace("%", " %") if before else ""
    return f"{_format(before)} → {_format(after)}{relative}"


def _value(figure: str) -> float:
    """A printed figure as a number (thousands separators dropped)."""
    return float(figure.replace(",", "").replace(" ", ""))


def _format(value: float) -> str:
    """A median as the bench scripts print figures: thousands with commas, two decimals below 100."""
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:.2f}"


def _resolve(reference: str) -> str | None:
    """The full commit id git gives ``reference``, or None when git does not know it."""
    completed = subprocess.run(["git", "rev-parse", "--verify", "--quiet", f"{reference}^{{commit}}"], cwd=ROOT,
                               capture_output=True, text=True, check=False)
    return completed.stdout.strip() or None


def _describe_working_tree() -> str:
    """The working tree's commit, and whether it holds uncommitted changes to tracked files."""
    head = subprocess.run(["git", "rev-parse", "--short=10", "HEAD"], cwd=ROOT, capture_output=True, text=True,
                          check=False).stdout.strip()
    changed = subprocess.run(["git", "diff", "--quiet", "HEAD"], cwd=ROOT, check=False).returncode != 0
    return f"{head}{' + modifications non commitées' if changed else ''}"


@contextmanager
def _worktree(commit: str) -> Iterator[Path]:
    """A temporary detached git worktree at ``commit``, removed afterwards (even after a failure).

    The map assets that ``make`` installed in the working tree (``static/vendor``, never committed) are
    copied in: the pages and the public finder need them on both sides.
    """
    folder = Path(tempfile.mkdtemp(prefix="bench-baseline-"))
    subprocess.run(["git", "worktree", "add", "--detach", "--quiet", str(folder), commit], cwd=ROOT, check=True)
    if (ROOT / VENDOR).is_dir():
        shutil.copytree(ROOT / VENDOR, folder / VENDOR)
    try:
        yield folder
    finally:
        subprocess.run(["git", "worktree", "remove", "--force", str(folder)], cwd=ROOT, check=False)


if __name__ == "__main__":
    sys.exit(main())
