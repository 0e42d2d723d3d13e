"""``python -m carte COMMAND …``: one entry point, one function per command."""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from typing import NamedTuple

from carte import agents, importing, migration, privacy, publication, territories
from carte.failures import fail


class Command(NamedTuple):
    run: Callable[[Sequence[str]], int]
    summary: str


COMMANDS = {
    "import": Command(importing.main, "importe des exports de formulaires et place chaque ligne sur sa commune"),
    "publish": Command(publication.main, "écrit la carte publique « Trouver un animateur » en fichiers statiques"),
    "coverage": Command(territories.coverage_main, "indicateurs de couverture par commune et territoire"),
    "plan": Command(territories.plan_main, "où former ou placer de nouveaux animateurs"),
    "users": Command(agents.main, "agents autorisés sur les pages de pilotage"),
    "privacy": Command(privacy.main, "retrait du consentement, effacement, purge, conservation"),
    "migrate-store": Command(migration.main, "copie toute une base dans une base vide"),
}
HELP_OPTIONS = ("-h", "--help")


def usage() -> str:
    width = max(map(len, COMMANDS))
    lines = [f"  {name:<{width}}  {command.summary}" for name, command in COMMANDS.items()]
    return "\n".join(["usage : python -m carte COMMANDE [options] (python -m carte COMMANDE --help)", "",
                      "commandes :", *lines])


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command named by the first argument with the others; return the exit status."""
    name, *rest = list(sys.argv[1:] if argv is None else argv) or [""]
    if name in HELP_OPTIONS:
        print(usage())
        return 0
    if name not in COMMANDS:
        said = f"commande « {name} » inconnue" if name else "indiquez une commande"
        return fail(f"{said}.\n\n{usage()}")
    return COMMANDS[name].run(rest)
