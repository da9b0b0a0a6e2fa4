"""`manage.py migrate` creates ticketcore's tables in the site's own database (SQLite,
PostgreSQL, MariaDB through Django's own backends), and `migrate ticketcore zero` removes them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect, make_url, text

from databases import BACKENDS, server_database

pytestmark = pytest.mark.empty_database

ENGINES = {
    "postgresql": "django.db.backends.postgresql",
    "mariadb": "django.db.backends.mysql",
}


@pytest.fixture(params=BACKENDS)
def site_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[dict, str]]:
    """Django's settings for an empty database, and the SQLAlchemy URL to inspect it."""
    if request.param == "sqlite":
        path = tmp_path / "site.db"
        yield {"ENGINE": "django.db.backends.sqlite3", "NAME": str(path)}, f"sqlite:///{path}"
        return
    with server_database(request.param) as url:
        parts = make_url(url)
        yield (
            {
                "ENGINE": ENGINES[request.param],
                "NAME": parts.database,
                "USER": parts.username,
                "HOST": parts.host,
                "PORT": str(parts.port),
            },
            url,
        )


def django_admin(database: dict, *args: str) -> str:
    env = {
        **os.environ,
        "TC_DJANGO_DATABASE": json.dumps(database),
        "DJANGO_SETTINGS_MODULE": "migrate_project",
        "PYTHONPATH": str(Path(__file__).parent),
    }
    result = subprocess.run(
        [sys.executable, "-m", "django", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_migrate_makes_ticketcore_tables_beside_the_sites(site_database: tuple[dict, str]) -> None:
    database, url = site_database
    out = django_admin(database, "migrate")
    assert "Applying ticketcore.0001_ticketcore_tables... OK" in out
    engine = create_engine(url)
    try:
        tables = set(inspect(engine).get_table_names())
        assert {"auth_user", "django_session", "ticketcore_tickets"} <= tables
        with engine.connect() as connection:
            version = connection.scalar(text("SELECT version_num FROM ticketcore_alembic_version"))
        assert version == "0009"
        assert "Apply all migrations: auth, contenttypes, sessions, ticketcore" in out
        assert "No migrations to apply." in django_admin(database, "migrate")

        django_admin(database, "migrate", "ticketcore", "0001")  # back before the knowledge base
        engine.dispose()
        tables = set(inspect(engine).get_table_names())
        assert "ticketcore_tickets" in tables and "ticketcore_kb_articles" not in tables
        with engine.connect() as connection:
            version = connection.scalar(text("SELECT version_num FROM ticketcore_alembic_version"))
        assert version == "0006"

        django_admin(database, "migrate", "ticketcore", "zero")
        engine.dispose()
        left = set(inspect(engine).get_table_names())
        assert "auth_user" in left
        assert not {t for t in left if t.startswith("ticketcore_")}
    finally:
        engine.dispose()
