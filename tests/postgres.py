"""A throw-away PostgreSQL cluster for the tests (Debian's server binaries, loopback, no durability).

:func:`running_cluster` starts a private cluster in a temporary folder and
removes it afterwards; :func:`fresh_database` gives each test its own empty
database in it. Nothing here touches a system cluster or ``/var/lib/postgresql``.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import re
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

MINIMUM_VERSION = 15
SUPERUSER = "carte"
DATABASE = "carte"
HOST = "127.0.0.1"
# Debian installs the server outside PATH, one folder per major version.
DEBIAN_BIN_GLOB = "/usr/lib/postgresql/*/bin"
# Tests only need a server that answers: durability is wasted time on a throw-away cluster.
SERVER_SETTINGS: tuple[str, ...] = (
    f"listen_addresses={HOST}", "fsync=off", "synchronous_commit=off", "full_page_writes=off",
)
_START_ATTEMPTS = 3


class PostgresUnavailable(RuntimeError):
    """No PostgreSQL server binaries of a supported version on this machine."""


@dataclass(frozen=True)
class Cluster:
    """A running cluster: trust authentication for :data:`SUPERUSER` on a loopback port."""

    port: int
    version: int
    directory: Path  # data/, server.log and the Unix socket
    host: str = HOST
    user: str = SUPERUSER

    @property
    def url(self) -> str:
        """SQLAlchemy URL of the cluster's main database (``carte``)."""
        return self.database_url(DATABASE)

    def database_url(self, name: str) -> str:
        """SQLAlchemy URL of the database ``name`` in this cluster."""
        return f"postgresql+psycopg://{self.user}@{self.host}:{self.port}/{name}"

    def conninfo(self, name: str = DATABASE) -> str:
        """libpq connection string of the database ``name``, for psycopg."""
        return f"host={self.host} port={self.port} user={self.user} dbname={name}"


def find_bin_dir() -> Path | None:
    """The folder holding ``initdb`` and ``pg_ctl`` of PostgreSQL 15 or newer, or ``None``.

    ``initdb`` on PATH wins; otherwise the newest ``/usr/lib/postgresql/<major>/bin``.
    """
    on_path = shutil.which("initdb")
    candidates = [Path(on_path).resolve().parent] if on_path else []
    candidates += sorted((Path(p) for p in glob.glob(DEBIAN_BIN_GLOB)), key=_major_of_folder, reverse=True)
    for folder in candidates:
        if (folder / "pg_ctl").exists() and (_version(folder) or 0) >= MINIMUM_VERSION:
            return folder
    return None


def _major_of_folder(folder: Path) -> int:
    name = folder.parent.name
    return int(name) if name.isdigit() else 0


def _version(bin_dir: Path) -> int | None:
    """Major version reported by ``initdb --version`` (e.g. ``initdb (PostgreSQL) 15.14`` gives 15)."""
    try:
        output = subprocess.run([str(bin_dir / "initdb"), "--version"], capture_output=True, text=True,
                                check=True, timeout=30).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    match = re.search(r"\)\s+(\d+)", output)
    return int(match.group(1)) if match else None


@contextlib.contextmanager
def running_cluster(bin_dir: Path | None = None) -> Iterator[Cluster]:
    """Start a throw-away cluster with a ``carte`` database; stop it and delete its files at exit.

    Raises
    ------
    PostgresUnavailable
        No ``initdb``/``pg_ctl`` of PostgreSQL 15+ was found.
    subprocess.CalledProcessError
        ``initdb`` or ``pg_ctl`` failed (their output is in the exception).
    """
    bin_dir = bin_dir or find_bin_dir()
    if bin_dir is None:
        raise PostgresUnavailable(f"initdb/pg_ctl of PostgreSQL {MINIMUM_VERSION}+ not found")
    owner = _unprivileged_user()
    root = _private_folder(owner)
    data = root / "data"
    try:
        # --no-sync: like the server settings, durability of files deleted after the session is wasted time.
        _run(owner, [str(bin_dir / "initdb"), "-D", str(data), "-A", "trust", "-U", SUPERUSER,
                     "--encoding", "UTF8", "--locale", "C", "--no-instructions", "--no-sync"], cwd=root)
        port = _start(owner, bin_dir, root)
        try:
            cluster = Cluster(port=port, version=_version(bin_dir) or MINIMUM_VERSION, directory=root)
            _execute(cluster.conninfo("postgres"), f'CREATE DATABASE "{DATABASE}"')
            yield cluster
        finally:
            # Immediate: no checkpoint to write for data that is deleted right after.
            _run(owner, [str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"],
                 cwd=root, check=False)
    finally:
        shutil.rmtree(root, ignore_errors=True)


def _start(owner: pwd.struct_passwd | None, bin_dir: Path, root: Path) -> int:
    """Start the server on a free loopback port and return the port.

    The port is chosen before the server binds it, so another process may take it
    meanwhile: a few attempts make that race harmless. The server's log is added to
    the error of the last attempt.
    """
    options = " ".join(f"-c {setting}" for setting in SERVER_SETTINGS)
    log = root / "server.log"
    for attempt in range(1, _START_ATTEMPTS + 1):
        port = _free_port()
        # -k: the Unix socket lives in our folder, not in /var/run/postgresql (writable by postgres only).
        # -l: the server must not inherit our pipes, or capturing pg_ctl's output would never end.
        done = _run(owner, [str(bin_dir / "pg_ctl"), "-D", str(root / "data"), "-l", str(log),
                            "-o", f"-p {port} -k {root} {options}", "-w", "-t", "60", "start"],
                    cwd=root, check=False)
        if done.returncode == 0:
            return port
    server_log = log.read_text(encoding="utf-8", errors="replace") if log.exists() else ""
    raise subprocess.CalledProcessError(done.returncode, done.args, done.stdout, done.stderr + server_log)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def _unprivileged_user() -> pwd.struct_passwd | None:
    """Who runs the server: ourselves, or when we are root (CI), ``postgres`` else ``nobody``.

    ``initdb`` and ``postgres`` refuse to run as root.
    """
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        with contextlib.suppress(KeyError):
            return pwd.getpwnam(name)
    raise PostgresUnavailable("running as root and neither 'postgres' nor 'nobody' exists to run the server")


def _private_folder(owner: pwd.struct_passwd | None) -> Path:
    """A new temporary folder, owned by ``owner`` when given.

    The unprivileged user must be able to reach it, and ``$TMPDIR`` may be under
    an unreachable home (``/root``): as root the folder goes in ``/tmp``.
    """
    root = Path(tempfile.mkdtemp(prefix="carte-pg-", dir="/tmp" if owner else None))
    if owner is not None:
        os.chown(root, owner.pw_uid, owner.pw_gid)
    return root


def _run(owner: pwd.struct_passwd | None, command: Sequence[str], *, cwd: Path,
         check: bool = True) -> subprocess.CompletedProcess[str]:
    """Run a PostgreSQL command, as ``owner`` when given, with its output captured."""
    if owner is not None:
        command = [*_as_user(owner.pw_name), *command]
    # C locale: the messages we may show stay readable whatever the machine's locale settings.
    environment = {**os.environ, "LC_ALL": "C", "LANG": "C"}
    done = subprocess.run(command, cwd=cwd, env=environment, capture_output=True, text=True, timeout=120)
    if check and done.returncode != 0:
        raise subprocess.CalledProcessError(done.returncode, command, done.stdout, done.stderr)
    return done


def _as_user(name: str) -> list[str]:
    """Command prefix dropping root privileges (util-linux, present on every Debian)."""
    if shutil.which("runuser"):
        return ["runuser", "-u", name, "--"]
    entry = pwd.getpwnam(name)
    return ["setpriv", f"--reuid={entry.pw_uid}", f"--regid={entry.pw_gid}", "--clear-groups", "--"]


def _execute(conninfo: str, statement: str) -> None:
    """Run one statement outside a transaction (``CREATE``/``DROP DATABASE`` require it)."""
    import psycopg

    with psycopg.connect(conninfo, autocommit=True) as connection:
        connection.execute(statement)


def create_database(cluster: Cluster) -> str:
    """Create an empty database with a unique name in ``cluster``; return its name."""
    name = f"test_{uuid.uuid4().hex}"
    _execute(cluster.conninfo(), f'CREATE DATABASE "{name}"')
    return name


def drop_database(cluster: Cluster, name: str) -> None:
    """Drop the database ``name``, closing any session a test left open on it."""
    _execute(cluster.conninfo(), f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextlib.contextmanager
def fresh_database(cluster: Cluster) -> Iterator[str]:
    """An empty database of ``cluster`` for the ``with`` block; yields its SQLAlchemy URL."""
    name = create_database(cluster)
    try:
        yield cluster.database_url(name)
    finally:
        drop_database(cluster, name)
