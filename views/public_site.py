"""The app serves the public finder's publication (``store/publish.py``) at ``/carte/``.

Streamlit's own static route (``server.enableStaticServing``, ``/app/static/``) serves only the
``static/`` folder beside ``app.py``, with no cache headers of ours, and gzips every response again at
level 9. The publication lives beside the store (``CARTE_PUBLIC_DIR``, else ``public`` in the data
home), so it is served by a route of the app instead (``server.py``: ``st.App`` with this route):

* ``index.html`` with ``Cache-Control: no-cache`` (revalidated, so a new publication shows at once);
  every other file has a hash of its content in its name, and is cached for a year (``immutable``);
* the ``.gz`` copy that the publication writes beside each text file is sent as is to browsers that
  accept gzip (no compression per request);
* at most every :data:`CHECK_SECONDS`, a request for the page checks, in a worker thread and without
  delaying the answer, that the publication is the store's current one (a write of another process or
  replica, or the retention period that moved at midnight), and republishes it if not.

Only files of the publication are served: no listing, no dot-file, nothing outside the directory.
"""

from __future__ import annotations

import asyncio
import logging
import mimetypes
import threading
import time
from pathlib import Path

from starlette.requests import Request
from starlette.responses import FileResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route

import store
from core import settings as core_settings
from store import publish

PREFIX = "/carte"
CHECK_SECONDS = 10.0
IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"
LOGGER = logging.getLogger(__name__)


_served = threading.Event()


def routes() -> list[BaseRoute]:
    """The routes of the publication, for ``st.App(..., routes=...)`` (``server.py``)."""
    _served.set()
    return [Route(PREFIX, _to_folder), Route(PREFIX + "/{path:path}", _serve, methods=["GET", "HEAD"])]


def is_served() -> bool:
    """Whether this process serves the publication (started from ``server.py``, not ``streamlit run app.py``)."""
    return _served.is_set()


async def _to_folder(request: Request) -> Response:
    query = f"?{request.url.query}" if request.url.query else ""
    return RedirectResponse(f"{PREFIX}/{query}", status_code=308)


async def _serve(request: Request) -> Response:
    relative = request.path_params["path"] or publish.INDEX
    directory = core_settings.public_dir().resolve()
    target = resolve(directory, relative)
    if target is None and relative == publish.INDEX:
        # Nothing published yet (``streamlit run server.py`` without the launcher): the first visitor waits.
        await asyncio.get_running_loop().run_in_executor(None, _first_publication, directory)
        target = resolve(directory, relative)
    if target is None:
        return PlainTextResponse("Fichier introuvable.", status_code=404)
    if target.name == publish.INDEX:
        _check_soon(directory)
    headers = {"Cache-Control": REVALIDATE if target.name == publish.INDEX else IMMUTABLE, "Vary": "Accept-Encoding",
               "X-Content-Type-Options": "nosniff"}
    media_type = mimetypes.guess_type(target.name)[0] or "application/octet-stream"
    compressed = target.with_name(target.name + ".gz")
    if "gzip" in request.headers.get("accept-encoding", "") and compressed.is_file():
        return FileResponse(compressed, media_type=media_type, headers={**headers, "Content-Encoding": "gzip"})
    return FileResponse(target, media_type=media_type, headers=headers)


def resolve(directory: Path, relative: str) -> Path | None:
    """The file of the publication at ``relative``, or ``None`` (outside it, hidden, a folder, missing).

    Examples
    --------
    >>> resolve(Path("/nulle/part"), "../etc/passwd") is None, resolve(Path("/nulle/part"), ".publication.json")
    (True, None)
    """
    parts = Path(relative).parts
    if not parts or any(part.startswith(".") or part in ("..", "/") for part in parts):
        return None
    target = (directory / relative).resolve()
    if directory not in target.parents or not target.is_file():
        return None
    return target


_last_check = {"at": 0.0}
_check_lock = threading.Lock()


def _check_soon(directory: Path) -> None:
    """Republish in a worker thread if the store changed, at most every CHECK_SECONDS (never blocks the answer)."""
    now = time.monotonic()
    if now - _last_check["at"] < CHECK_SECONDS:
        return
    _last_check["at"] = now
    asyncio.get_running_loop().run_in_executor(None, _refresh, directory)


def _first_publication(directory: Path) -> None:
    with _check_lock:
        if not (directory / publish.INDEX).is_file():
            try:
                publish.publish(_engine(), directory)
            except Exception:  # noqa: BLE001 — answered « not found »; logged for the team
                LOGGER.exception("Publication de la carte publique impossible.")


def _refresh(directory: Path) -> None:
    if not _check_lock.acquire(blocking=False):
        return
    try:
        publish.refresh(_engine(), directory)
    except Exception:  # noqa: BLE001 — the page already served stays served; the next check tries again
        LOGGER.exception("Vérification de la carte publique impossible.")
    finally:
        _check_lock.release()


_engines: dict[str, object] = {}


def _engine():
    url = store.database_url()
    if url not in _engines:
        _engines[url] = store.connect(url)
    return _engines[url]
