"""The database matrix, per-test databases, the fake clock, and a cast of users.

Tests that take `database_url` (or `helpdesk`) run on SQLite always, and on PostgreSQL and
MariaDB when their servers answer. `TICKETCORE_REQUIRE_DATABASES=1` (set by `.ci/run`) turns an
unreachable server into a failure instead of a skip. `TICKETCORE_TEST_DATABASES=sqlite` narrows
the matrix for a quick local run.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from cast_of_users import build_cast
from databases import BACKENDS, server_database_for
from ticketcore import FakeClock, Helpdesk
from ticketcore.testing import make_helpdesk


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database of each backend in turn, private to this test: on SQLite a new file, on the
    servers one with ticketcore's tables and no rows (no tables at all if the test is marked
    `empty_database`)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'ticketcore.db'}"
        return
    with server_database_for(request, request.param) as url:
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
