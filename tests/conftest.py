"""The database matrix, per-test databases, the fake clock, and a cast of users.

Tests that take `database_url` (or `helpdesk`) run on SQLite always, and on PostgreSQL and
MariaDB when their servers answer. `TICKETCORE_REQUIRE_DATABASES=1` (set by `.ci/run`) turns an
unreachable server into a failure instead of a skip. `TICKETCORE_TEST_DATABASES=sqlite` narrows
the matrix for a quick local run.
"""

from __future__ import annotations

import contextlib
import functools
import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy import create_engine, make_url, text

from cast_of_users import build_cast
from ticketcore import FakeClock, Helpdesk
from ticketcore.testing import make_helpdesk

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


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database of each backend in turn, private to this test."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'ticketcore.db'}"
        return
    with server_database(request.param) as url:
        yield url


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def helpdesk_factory(
    database_url: str, tmp_path: Path, clock: FakeClock
) -> Iterator[Callable[..., Helpdesk]]:
    """Build helpdesks with chosen settings over this test's one database (tables made once)."""
    made: list[Helpdesk] = []

    def factory(**settings: Any) -> Helpdesk:
        helpdesk = make_helpdesk(tmp_path, database_url=database_url, clock=clock, **settings)
        made.append(helpdesk)
        return helpdesk

    yield factory
    for helpdesk in made:
        helpdesk.close()


@pytest.fixture
def helpdesk(helpdesk_factory: Callable[..., Helpdesk]) -> Helpdesk:
    return helpdesk_factory()


@pytest.fixture
def cast(helpdesk: Helpdesk) -> SimpleNamespace:
    return build_cast(helpdesk)
