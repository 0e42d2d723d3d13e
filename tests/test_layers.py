"""The packages stand in layers: each imports only the packages below it, so none imports another both ways.

``core`` (folding, vocabulary, settings) ← ``geo`` (reference geography, coverage, planning: pure) ←
``loaders`` (files → validated, geocoded records and their report) ← ``store`` (persistence, moderation,
privacy, access, the public publication) ← ``views`` (the pages, under ``app.py``/``server.py``) and
``carte`` (the command line, ``python -m carte``), which import neither each other nor anything above.
"""

from __future__ import annotations

import ast
import graphlib
import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
TIERS = (("core",), ("geo",), ("loaders",), ("store",), ("views", "carte"))
LAYERS = tuple(package for tier in TIERS for package in tier)


def imported_packages(path: Path) -> set[str]:
    """The top-level packages of the project that a module imports, at any depth of its code."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module.split(".")[0])
    return found & set(LAYERS)


def modules(package: str) -> list[Path]:
    return sorted((ROOT / package).rglob("*.py"))


def tier_of(package: str) -> int:
    return next(rank for rank, tier in enumerate(TIERS) if package in tier)


@pytest.mark.parametrize("package", LAYERS)
def test_a_package_imports_only_the_packages_below_it(package):
    above = {other for other in LAYERS if tier_of(other) >= tier_of(package) and other != package}
    crossing = {str(path.relative_to(ROOT)): sorted(imported_packages(path) & above) for path in modules(package)}
    assert {module: packages for module, packages in crossing.items() if packages} == {}


def package_graph() -> dict[str, set[str]]:
    """Each package of the project → the other packages its modules import."""
    return {package: set().union(*map(imported_packages, modules(package))) - {package} for package in LAYERS}


def test_no_package_import_cycle():
    try:
        order = list(graphlib.TopologicalSorter(package_graph()).static_order())
    except graphlib.CycleError as cycle:
        pytest.fail(f"packages importing each other: {' → '.join(cycle.args[1])}")
    assert sorted(order) == sorted(LAYERS)


def test_the_layer_check_sees_an_import_inside_a_function(tmp_path):
    module = tmp_path / "module.py"
    module.write_text("def read():\n    from loaders import store\n    import views.data\n", encoding="utf-8")
    assert imported_packages(module) == {"loaders", "views"}


def reads_the_environment(path: Path) -> bool:
    """Whether a module reads ``os.environ`` or calls ``os.getenv``."""
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "os" \
                and node.attr in ("environ", "getenv"):
            return True
        if isinstance(node, ast.ImportFrom) and node.module == "os" and \
                any(alias.name in ("environ", "getenv") for alias in node.names):
            return True
    return False


def test_only_core_settings_reads_the_environment():
    application = [path for package in LAYERS for path in (ROOT / package).rglob("*.py")]
    application += [ROOT / "app.py", ROOT / "server.py"]
    readers = sorted(str(path.relative_to(ROOT)) for path in application if reads_the_environment(path))
    assert readers == ["core/settings.py"]


def test_every_setting_is_documented_where_it_is_read_and_in_the_readme():
    from core import settings

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert [name for name in settings.VARIABLES if f"``{name}``" not in settings.__doc__] == []
    assert [name for name in settings.VARIABLES if f"`{name}`" not in readme] == []


MAX_MODULE_LINES = 500
SOURCE_SUFFIXES = {".py", ".js", ".css", ".html"}
NOT_OURS = {"tests", "node_modules", "static", "build", "dist", "test-artifacts"}


def our_sources() -> list[Path]:
    """The project's source files outside tests: Python, and the static page's scripts, style and template."""
    found = []
    for folder, subfolders, files in os.walk(ROOT):
        subfolders[:] = [name for name in subfolders if name not in NOT_OURS and not name.startswith(".")]
        found += [Path(folder) / name for name in files if Path(name).suffix in SOURCE_SUFFIXES]
    return found


def test_no_module_over_500_lines_outside_tests():
    sources = our_sources()
    assert {"app.py", "store/publish.py", "static_site/index.html"} <= {str(path.relative_to(ROOT)) for path in sources}
    lengths = {str(path.relative_to(ROOT)): len(path.read_text(encoding="utf-8").splitlines()) for path in sources}
    assert {path: lines for path, lines in lengths.items() if lines > MAX_MODULE_LINES} == {}
