"""The throw-away PostgreSQL of the tests, and ``store_url``, which runs a test on SQLite and on PostgreSQL."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path

import psycopg
import pytest
import sqlalchemy as sa
from postgres import Cluster, fresh_database, running_cluster

import store
from loaders.pipeline import LoadOptions, load_files
from store.access import FRANCE

EXPORT = ("Adresse e-mail;Nom de votre structure;Code postal;Commune;Thématiques;Formé(e) ?\n"
          "a@x.fr;Médiathèque Noël;35000;Rennes;Café IA;Oui\n"
          "b@x.fr;Espace numérique;34000;Montpellier;Parentalité numérique;Non\n")


@contextmanager
def engine_for(url: str) -> Iterator[sa.Engine]:
    """A plain SQLAlchemy engine, disposed at exit (the suite turns unclosed connections into errors)."""
    engine = sa.create_engine(url)
    try:
        yield engine
    finally:
        engine.dispose()


def table_names(url: str) -> list[str]:
    with engine_for(url) as engine:
        return sa.inspect(engine).get_table_names()


def test_cluster_is_a_postgresql_15_or_newer_on_loopback_without_durability(postgres_cluster: Cluster) -> None:
    with psycopg.connect(postgres_cluster.conninfo()) as connection:
        version, number, listen, fsync = connection.execute(
            "SELECT version(), current_setting('server_version_num')::int,"
            " current_setting('listen_addresses'), current_setting('fsync')"
        ).fetchone()
    assert version.startswith("PostgreSQL ")
    assert number >= 150000 and number // 10000 == postgres_cluster.version
    assert (listen, fsync) == ("127.0.0.1", "off")


def test_cluster_url_is_the_sqlalchemy_url_of_its_utf8_database(postgres_cluster: Cluster) -> None:
    assert postgres_cluster.url == f"postgresql+psycopg://carte@127.0.0.1:{postgres_cluster.port}/carte"
    with engine_for(postgres_cluster.url) as engine, engine.connect() as conn:
        assert conn.execute(sa.text("SHOW server_encoding")).scalar_one() == "UTF8"


def test_fresh_databases_are_isolated(postgres_cluster: Cluster) -> None:
    with fresh_database(postgres_cluster) as first, fresh_database(postgres_cluster) as second:
        assert first != second
        with engine_for(first) as engine, engine.begin() as conn:
            conn.execute(sa.text("CREATE TABLE only_here (x integer)"))
        assert table_names(first) == ["only_here"]
        assert table_names(second) == []


def test_fresh_database_is_dropped_even_with_a_session_left_open(postgres_cluster: Cluster) -> None:
    """A test that forgets a connection must not make the next ones fail."""
    with fresh_database(postgres_cluster) as url:
        name = sa.make_url(url).database
        leaked = psycopg.connect(postgres_cluster.conninfo(name))
    with closing(leaked), psycopg.connect(postgres_cluster.conninfo()) as connection:
        assert connection.execute("SELECT count(*) FROM pg_database WHERE datname = %s", (name,)).fetchone() == (0,)


@pytest.mark.parametrize("attempt", [1, 2])
def test_each_store_url_is_an_empty_database_of_its_own(store_url: str, attempt: int) -> None:
    # Both attempts leave a table behind: the second one sees it only if databases were shared.
    assert table_names(store_url) == []
    with engine_for(store_url) as engine, engine.begin() as conn:
        conn.execute(sa.text("CREATE TABLE left_behind (x integer)"))


def test_store_imports_and_reads_back_on_both_engines(store_url: str, tmp_path: Path, gazetteer) -> None:
    export = tmp_path / "export.csv"
    export.write_text(EXPORT, encoding="utf-8")
    result = load_files([export], gazetteer, LoadOptions())
    engine = store.connect(store_url)
    try:
        assert store.save_import(engine, result).imported == ("export.csv",)
        assert store.save_import(engine, result).already_imported == ("export.csv",)
        animators = store.read_animators(engine, scope=FRANCE).sort_values("structure")
        assert sa.make_url(str(engine.url)).get_backend_name() == sa.make_url(store_url).get_backend_name()
    finally:
        engine.dispose()
    assert animators["structure"].tolist() == ["Espace numérique", "Médiathèque Noël"]
    assert animators["insee_code"].tolist() == ["34172", "35238"]
    assert animators["theme"].tolist() == ["parentalite-numerique", "cafe-ia"]


def test_running_cluster_leaves_nothing_behind(postgres_cluster: Cluster) -> None:
    """A second cluster beside the session's one: after the block, no server and no files."""
    with running_cluster() as cluster:
        assert cluster.port != postgres_cluster.port
        directory = cluster.directory
        assert (directory / "data" / "PG_VERSION").exists()
    assert not directory.exists()
    with socket.socket() as sock:
        assert sock.connect_ex((cluster.host, cluster.port)) != 0
