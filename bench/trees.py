"""What differs between the trees a bench script runs on: the working tree and older baseline commits."""

from __future__ import annotations

import sys
from pathlib import Path


def import_command(tree: Path) -> list[str]:
    """The command that imports exports with the code of ``tree``.

    ``python -m carte import`` since the command line has its own package; ``python -m loaders`` before,
    as a baseline commit still has it.
    """
    if (tree / "carte" / "__main__.py").is_file():
        return [sys.executable, "-m", "carte", "import"]
    return [sys.executable, "-m", "loaders"]
