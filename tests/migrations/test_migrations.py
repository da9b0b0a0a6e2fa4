"""ticketcore's shipped migrations, on every backend, as a site and a contributor meet them.

A site runs `upgrade()` (through `Helpdesk.upgrade_database()` or `ticketcore db upgrade`) on a
database that may already hold its own tables; a contributor relies on the migrations and the
models describing the same schema. Each test reads the database back through a separate, plain
engine, so what it sees is what was committed.
"""

from __future__ import annotations

import os
import shutil
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext

from ticketcore import Actor, Helpdesk, migrate
from ticketcore.db import make_engine
from ticketcore.models import Base
from ticketcore.models.base import UTCDateTime
from ticketcore.models.kb import SEARCH_TABLE

# Every test starts from a database without tables, as a new site does.
pytestmark = pytest.mark.empty_database

HOST_TABLE = "CREATE TABLE host_orders (id INTEGER PRIMARY KEY, total INTEGER NOT NULL)"


@pytest.fixture
def engine(database_url: str) -> Iterator[sa.Engine]:
    """The engine ticketcore itself would use (on SQLite: BEGIN IMMEDIATE, foreign keys on)."""
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


def read(database_url: str, sql: str) -> list[tuple[Any, ...]]:
    """Rows as a separate connection sees them: only committed work shows."""
    engine = sa.create_engine(database_url)
    try:
        with engine.connect() as connection:
            return [tuple(row) for row in connection.execute(sa.text(sql))]
    finally:
        engine.dispose()


def table_names(database_url: str) -> set[str]:
    engine = sa.create_engine(database_url)
    try:
        return set(sa.inspect(engine).get_table_names())
    finally:
        engine.dispose()


def differences(engine: sa.Engine, metadata: sa.MetaData = Base.metadata) -> list[Any]:
    """What autogenerate would write into a new revision, with the options env.py uses."""
    with engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts=migrate.context_options(connection.dialect)
        )
        return compare_metadata(context, metadata)


def create_host_tables(engine: sa.Engine) -> None:
    """A host site's own tables, including the `alembic_version` of its own migrations."""
    with engine.begin() as connection:
        connection.execute(sa.text(HOST_TABLE))
        connection.execute(sa.text("INSERT INTO host_orders (id, total) VALUES (1, 42)"))
        connection.execute(
            sa.text("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL PRIMARY KEY)")
        )
        connection.execute(sa.text("INSERT INTO alembic_version VALUES ('hostrev1')"))


MODEL_TABLES = set(Base.metadata.tables)


def expected_tables(engine: sa.Engine) -> set[str]:
    """The models' tables and the version table; on SQLite also the knowledge base's FTS5 table
    and its shadow tables, which the models do not describe (see `ticketcore.models.kb`)."""
    search: set[str] = set()
    if engine.dialect.name == "sqlite":
        shadows = ("data", "idx", "content", "docsize", "config")
        search = {SEARCH_TABLE, *(f"{SEARCH_TABLE}_{shadow}" for shadow in shadows)}
    return MODEL_TABLES | {migrate.VERSION_TABLE} | search


def test_upgrade_brings_an_empty_database_to_head(engine: sa.Engine, database_url: str) -> None:
    assert migrate.current(engine) is None
    assert len(migrate.heads()) == 1

    migrate.upgrade(engine)

    assert migrate.current(engine) == migrate.heads()[0]
    assert table_names(database_url) == expected_tables(engine)
    assert read(database_url, f"SELECT version_num FROM {migrate.VERSION_TABLE}") == [
        (migrate.heads()[0],)
    ]
    assert read(database_url, "SELECT name, value FROM ticketcore_counters ORDER BY name") == [
        ("config", 0),
        ("ticket", 0),
    ]


def test_upgrading_twice_changes_nothing(engine: sa.Engine, database_url: str) -> None:
    migrate.upgrade(engine)
    with engine.begin() as connection:
        connection.execute(sa.text("UPDATE ticketcore_counters SET value = 7"))

    migrate.upgrade(engine)

    assert migrate.current(engine) == migrate.heads()[0]
    assert table_names(database_url) == expected_tables(engine)
    assert read(database_url, "SELECT name, value FROM ticketcore_counters ORDER BY name") == [
        ("config", 7),
        ("ticket", 7),
    ]


def test_models_and_migrations_agree(engine: sa.Engine) -> None:
    migrate.upgrade(engine)

    assert differences(engine) == []


def test_comparison_notices_a_datetime_that_drops_microseconds(engine: sa.Engine) -> None:
    """A column made with a plain DateTime matches `UTCDateTime` except on MariaDB, where it
    lacks the microseconds `UTCDateTime` stores; the agreement test must be able to see that."""
    created, expected = sa.MetaData(), sa.MetaData()
    sa.Table("ticketcore_probe", created, sa.Column("at", sa.DateTime, primary_key=True))
    sa.Table("ticketcore_probe", expected, sa.Column("at", UTCDateTime(), primary_key=True))
    created.create_all(engine)

    found = differences(engine, expected)

    if engine.dialect.name in ("mysql", "mariadb"):
        [[(action, _schema, table, column, *_rest)]] = found
        assert (action, table, column) == ("modify_type", "ticketcore_probe", "at")
    else:
        assert found == []


def test_host_tables_are_left_alone_and_not_reported(engine: sa.Engine, database_url: str) -> None:
    create_host_tables(engine)

    migrate.upgrade(engine)

    assert read(database_url, "SELECT id, total FROM host_orders") == [(1, 42)]
    assert read(database_url, "SELECT version_num FROM alembic_version") == [("hostrev1",)]
    assert differences(engine) == []


def test_an_upgraded_database_numbers_the_first_ticket_1(database_url: str, tmp_path: Path) -> None:
    with Helpdesk(
        database_url=database_url,
        attachments_dir=str(tmp_path / "attachments"),
        load_entrypoints=False,
    ) as helpdesk:
        helpdesk.upgrade_database()
        system = Actor.system()
        carol = helpdesk.users.create(system, email="carol@example.com", display_name="Carol")

        created = helpdesk.tickets.create(
            helpdesk.users.actor_for(carol), subject="Printer on fire", body="Send help."
        )

    assert created.ticket.number == 1
    assert read(database_url, "SELECT name, value FROM ticketcore_counters ORDER BY name") == [
        ("config", 0),
        ("ticket", 1),
    ]


def test_downgrade_to_base_removes_every_ticketcore_table(
    engine: sa.Engine, database_url: str
) -> None:
    create_host_tables(engine)
    migrate.upgrade(engine)

    migrate.downgrade(engine, "base")

    assert table_names(database_url) == {"host_orders", "alembic_version"}
    assert read(database_url, "SELECT id, total FROM host_orders") == [(1, 42)]
    assert migrate.current(engine) is None
    migrate.upgrade(engine)  # and a site can start again from nothing
    assert migrate.current(engine) == migrate.heads()[0]


SHIPPED_HEAD = migrate.heads()[0]


def add_later_revision(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, upgrade_body: str) -> None:
    """Make `upgrade()` see one more revision, 9001 after today's head, as a future release would."""
    later = tmp_path / "later_versions"
    later.mkdir()
    source = f"""
import sqlalchemy as sa
from alembic import op

revision = "9001"
down_revision = "{SHIPPED_HEAD}"
branch_labels = None
depends_on = None


def upgrade():
{textwrap.indent(textwrap.dedent(upgrade_body), "    ")}

def downgrade():
    pass
"""
    (later / "9001_later.py").write_text(source)
    shipped = migrate.make_config

    def with_later_revision(connection: sa.Connection | None = None) -> Config:
        config = shipped(connection)
        locations = os.pathsep.join([str(migrate.MIGRATIONS_DIR / "versions"), str(later)])
        config.set_main_option("version_locations", locations)
        return config

    monkeypatch.setattr(migrate, "make_config", with_later_revision)


def open_a_ticket(helpdesk: Helpdesk) -> None:
    """Carol's ticket, and agent Ann in the default team: rows that refer to ticketcore_users."""
    system = Actor.system()
    ann = helpdesk.users.create(
        system, email="ann@help.example.com", display_name="Ann", role="agent"
    )
    helpdesk.teams.create(system, name="Support", is_default=True, members=[ann.id])
    carol = helpdesk.users.create(system, email="carol@example.com", display_name="Carol")
    helpdesk.tickets.create(helpdesk.users.actor_for(carol), subject="Hello", body="Hi.")


def test_a_revision_that_rebuilds_a_table_keeps_the_rows_that_refer_to_it(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On SQLite, batch mode drops and recreates the table; with foreign keys enforced that
    DROP would cascade into (or be refused by) the tickets and team memberships pointing at it."""
    with Helpdesk(
        database_url=database_url,
        attachments_dir=str(tmp_path / "attachments"),
        load_entrypoints=False,
    ) as helpdesk:
        helpdesk.upgrade_database()
        open_a_ticket(helpdesk)
        add_later_revision(
            tmp_path,
            monkeypatch,
            """
            with op.batch_alter_table("ticketcore_users") as batch_op:
                batch_op.alter_column(
                    "display_name", type_=sa.String(300), existing_type=sa.String(200),
                    existing_nullable=False,
                )
            """,
        )

        helpdesk.upgrade_database()

        assert migrate.current(helpdesk.engine) == "9001"
    assert read(database_url, "SELECT COUNT(*) FROM ticketcore_team_members") == [(1,)]
    assert read(database_url, "SELECT COUNT(*) FROM ticketcore_tickets") == [(1,)]
    assert read(database_url, "SELECT COUNT(*) FROM ticketcore_users") == [(2,)]


def test_a_revision_that_breaks_a_foreign_key_is_rolled_back(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SQLite migrates with enforcement off; the per-revision check must stand in for it."""
    with Helpdesk(
        database_url=database_url,
        attachments_dir=str(tmp_path / "attachments"),
        load_entrypoints=False,
    ) as helpdesk:
        helpdesk.upgrade_database()
        open_a_ticket(helpdesk)
        add_later_revision(
            tmp_path,
            monkeypatch,
            """op.execute("DELETE FROM ticketcore_users WHERE role = 'customer'")""",
        )

        with pytest.raises((RuntimeError, sa.exc.IntegrityError), match="foreign key"):
            helpdesk.upgrade_database()

        assert migrate.current(helpdesk.engine) == SHIPPED_HEAD
    assert read(database_url, "SELECT COUNT(*) FROM ticketcore_users") == [(2,)]


def test_sqlite_foreign_keys_are_enforced_again_after_upgrade(tmp_path: Path) -> None:
    """Migrations switch SQLite's enforcement off; the pooled connection must not keep that."""
    engine = make_engine(f"sqlite:///{tmp_path / 'ticketcore.db'}")
    try:
        migrate.upgrade(engine)
        with engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    finally:
        engine.dispose()


def test_autogenerate_on_an_up_to_date_database_writes_an_empty_revision(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The contributor recipe in docs/migrations.md, on a copy of the migrations directory."""
    copy = tmp_path / "migrations"
    shutil.copytree(migrate.MIGRATIONS_DIR, copy, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(migrate, "MIGRATIONS_DIR", copy)
    engine = make_engine(f"sqlite:///{tmp_path / 'autogen.db'}")
    try:
        migrate.upgrade(engine)
        path = migrate.revision(engine, "nothing changed")
    finally:
        engine.dispose()

    following = f"{int(SHIPPED_HEAD) + 1:04d}"
    assert path == copy / "versions" / f"{following}_nothing_changed.py"
    source = path.read_text()
    assert f'down_revision: str | Sequence[str] | None = "{SHIPPED_HEAD}"' in source
    assert "op." not in source  # no operations: models and migrations agree
    assert "import ticketcore" not in source and "from ticketcore" not in source
