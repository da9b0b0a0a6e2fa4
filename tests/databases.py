"""The database servers of the test matrix, importable from any conftest (conftest is not).

SQLite always; PostgreSQL and MariaDB when their servers answer. `TICKETCORE_REQUIRE_DATABASES=1`
(set by `.ci/run`) turns an unreachable server into a failure instead of a skip.
"""

from __future__ import annotations

import contextlib
import functools
import os
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine, make_url, text

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


@contextlib.contextmanager
def server_database(backend: str) -> Iterator[str]:
    """A new, empty database on the PostgreSQL or MariaDB server, dropped afterwards."""
    problem = server_problem(backend)
    if problem:
        if REQUIRED:
            pytest.fail(problem + " (TICKETCORE_REQUIRE_DATABASES=1)")
        pytest.skip(problem)
    url = make_url(SERVER_URLS[backend])
    pg = backend == "postgresql"
    name = f"tc_test_{uuid.uuid4().hex[:12]}"
    quoted = f'"{name}"' if pg else f"`{name}`"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(
            text(
                f"CREATE DATABASE {quoted} "
                + (
                    "ENCODING 'UTF8' TEMPLATE template0"
                    if pg
                    else "CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"
                )
            )
        )
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as c:
            c.execute(text(f"DROP DATABASE IF EXISTS {quoted}" + (" WITH (FORCE)" if pg else "")))
        admin.dispose()
