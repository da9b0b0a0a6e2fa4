"""The database servers of the test matrix, importable from any conftest (conftest is not).

SQLite always; PostgreSQL and MariaDB when their servers answer. `TICKETCORE_REQUIRE_DATABASES=1`
(set by `.ci/run`) turns an unreachable server into a failure instead of a skip.

A test gets its server database from `server_database_for`: this process's prepared one, with
the tables made once and emptied after every test, or a new one without tables when the test is
marked `empty_database`.
"""

from __future__ import annotations

import atexit
import contextlib
import dataclasses
import functools
import os
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import Connection, Engine, create_engine, make_url, text
from sqlalchemy.exc import OperationalError

from ticketcore.db import make_engine
from ticketcore.models import Base

SERVER_URLS = {
    "postgresql": os.environ.get(
        "TICKETCORE_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
    ),
    "mariadb": os.environ.get(
        "TICKETCORE_TEST_MARIADB_URL", "mysql+pymysql://root@127.0.0.1:3306/?charset=utf8mb4"
    ),
}
REQUIRED = os.environ.get("TICKETCORE_REQUIRE_DATABASES") == "1"
BACKENDS = [
    b.strip()
    for b in os.environ.get("TICKETCORE_TEST_DATABASES", "sqlite,postgresql,mariadb").split(",")
    if b.strip()
]


@functools.cache
def server_problem(backend: str) -> str | None:
    """None when the server answers, else why not (checked once per test run)."""
    engine = create_engine(SERVER_URLS[backend], connect_args={"connect_timeout": 3})
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception as exc:
        return (
            f"{backend} at {SERVER_URLS[backend]} is not reachable: {exc.__class__.__name__}: {exc}"
        )
    finally:
        engine.dispose()
    return None


def _require_server(backend: str) -> None:
    problem = server_problem(backend)
    if problem:
        if REQUIRED:
            pytest.fail(problem + " (TICKETCORE_REQUIRE_DATABASES=1)")
        pytest.skip(problem)


def _quoted(backend: str, name: str) -> str:
    return f'"{name}"' if backend == "postgresql" else f"`{name}`"


def _create_database(backend: str, name: str) -> str:
    """Create database `name` on the server and return its URL."""
    url = make_url(SERVER_URLS[backend])
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as c:
            c.execute(
                text(
                    f"CREATE DATABASE {_quoted(backend, name)} "
                    + (
                        "ENCODING 'UTF8' TEMPLATE template0"
                        if backend == "postgresql"
                        else "CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"
                    )
                )
            )
    finally:
        admin.dispose()
    return url.set(database=name).render_as_string(hide_password=False)


def _drop_database(backend: str, name: str) -> None:
    admin = create_engine(SERVER_URLS[backend], isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as c:
            force = " WITH (FORCE)" if backend == "postgresql" else ""
            c.execute(text(f"DROP DATABASE IF EXISTS {_quoted(backend, name)}{force}"))
    finally:
        admin.dispose()


@contextlib.contextmanager
def server_database(backend: str) -> Iterator[str]:
    """A new, empty database on the PostgreSQL or MariaDB server, dropped afterwards."""
    _require_server(backend)
    name = f"tc_test_{uuid.uuid4().hex[:12]}"
    url = _create_database(backend, name)
    try:
        yield url
    finally:
        _drop_database(backend, name)


@dataclasses.dataclass
class _Prepared:
    """One process's database with ticketcore's tables, and what a fresh one holds."""

    backend: str
    name: str
    url: str
    engine: Engine  # AUTOCOMMIT, kept open: emptying runs after every test
    seeds: dict[str, list[dict[str, Any]]]  # rows that creating the tables inserts


_prepared: dict[str, _Prepared] = {}
UNKNOWN_THREAD = 1094  # MariaDB's error for KILL of a connection that no longer exists


def _prepare(backend: str) -> _Prepared:
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    name = f"tc_test_{worker}_{uuid.uuid4().hex[:8]}"
    url = _create_database(backend, name)
    atexit.register(_drop_database, backend, name)
    engine = make_engine(url).execution_options(isolation_level="AUTOCOMMIT")
    Base.metadata.create_all(engine)
    with engine.connect() as c:
        if _table_names(c) != set(Base.metadata.tables):
            raise RuntimeError(  # `_empty` would take them for a test's and never empty them
                f"creating the tables on {backend} made tables the models do not describe"
            )
        # Read back rather than listed here, so a seed row added to the schema is restored too.
        seeds = {
            table.name: [dict(row) for row in c.execute(table.select()).mappings()]
            for table in Base.metadata.sorted_tables
        }
    prepared = _Prepared(backend, name, url, engine, {t: r for t, r in seeds.items() if r})
    _prepared[backend] = prepared
    return prepared


def _table_names(connection: Connection) -> set[str]:
    """The tables (and views) of the connection's database, in one query."""
    schema = "current_schema()" if connection.dialect.name == "postgresql" else "DATABASE()"
    return set(
        connection.execute(
            text(f"SELECT table_name FROM information_schema.tables WHERE table_schema = {schema}")
        ).scalars()
    )


def _forget(prepared: _Prepared) -> None:
    del _prepared[prepared.backend]
    prepared.engine.dispose()
    _drop_database(prepared.backend, prepared.name)


def _empty(prepared: _Prepared) -> bool:
    """Bring the database back to freshly created, ids restarting at 1; False when its tables
    are not ticketcore's (a test made or dropped some), which emptying cannot undo.

    DELETE, not TRUNCATE: TRUNCATE gives every table new files, and measured here it took
    about ten times as long as DELETE on PostgreSQL (150-650 ms) and twice as long on MariaDB.
    """
    pg = prepared.backend == "postgresql"
    with prepared.engine.connect() as c:
        # A connection the test left inside a transaction would hold locks the DELETEs wait on.
        if pg:
            c.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                    " WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
            )
        else:
            others = c.execute(
                text(
                    "SELECT id FROM information_schema.processlist"
                    " WHERE db = DATABASE() AND id <> CONNECTION_ID()"
                )
            ).scalars()
            for pid in list(others):
                try:
                    c.execute(text(f"KILL CONNECTION {int(pid)}"))
                except OperationalError as exc:
                    if exc.orig is None or exc.orig.args[0] != UNKNOWN_THREAD:
                        raise  # else it was closing anyway, and has gone meanwhile
        if _table_names(c) != set(Base.metadata.tables):
            return False
        if pg:
            for table in reversed(Base.metadata.sorted_tables):  # rows that refer to others first
                c.execute(table.delete())
            c.execute(
                text(
                    "SELECT setval(oid, 1, false) FROM pg_class"
                    " WHERE relkind = 'S' AND relnamespace = current_schema()::regnamespace"
                )
            )
        else:
            c.execute(text("SET FOREIGN_KEY_CHECKS = 0"))
            try:
                for table in Base.metadata.sorted_tables:
                    c.execute(table.delete())
            finally:
                c.execute(text("SET FOREIGN_KEY_CHECKS = 1"))
            # Rolled-back inserts move the counter too, so ask the server rather than the rows.
            moved = c.execute(
                text(
                    "SELECT table_name FROM information_schema.tables"
                    " WHERE table_schema = DATABASE() AND auto_increment > 1"
                )
            ).scalars()
            for name in list(moved):
                c.execute(text(f"ALTER TABLE `{name}` AUTO_INCREMENT = 1"))
        for name, rows in prepared.seeds.items():
            c.execute(Base.metadata.tables[name].insert(), rows)
    return True


@contextlib.contextmanager
def prepared_database(backend: str) -> Iterator[str]:
    """This process's database with ticketcore's tables already made, emptied after the test.

    Creating a database and its tables takes over a second, longer than most tests; emptying
    one takes a few hundredths. A test that leaves tables of its own behind gets the database
    dropped, and the next test a new one.
    """
    _require_server(backend)
    prepared = _prepared.get(backend) or _prepare(backend)
    try:
        yield prepared.url
    finally:
        try:
            emptied = _empty(prepared)
        except Exception:
            _forget(prepared)
            raise
        if not emptied:
            _forget(prepared)


def server_database_for(
    request: pytest.FixtureRequest, backend: str
) -> contextlib.AbstractContextManager[str]:
    """The database a test on `backend` gets: a prepared one, unless it is marked
    `empty_database` because it must start from no tables at all (migrations, `db upgrade`)."""
    if request.node.get_closest_marker("empty_database"):
        return server_database(backend)
    return prepared_database(backend)
