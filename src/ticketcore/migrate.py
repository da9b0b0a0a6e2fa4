"""Run ticketcore's own Alembic migrations, in code, on the host's database.

ticketcore lives inside somebody else's database, so it cannot ask a site for an `alembic.ini`
or share the host's `alembic_version` table. Like Flask-Migrate, advanced-alchemy and mlflow, it
ships its Alembic environment inside the package (`ticketcore/migrations/`), builds the Alembic
`Config` here, and hands Alembic a connection from the caller's engine. Its version table is
`ticketcore_alembic_version`, and autogenerate only ever looks at `ticketcore_` tables, so a host's
own tables and migrations are never touched or reported.

    from ticketcore.migrate import upgrade
    upgrade(engine)          # what `ticketcore db upgrade` and Helpdesk.upgrade_database() do
"""

from __future__ import annotations

import contextlib
import importlib.util
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import (
    Column,
    DateTime,
    Dialect,
    Engine,
    MetaData,
    Table,
    Time,
    TypeDecorator,
)
from sqlalchemy.engine import Connection
from sqlalchemy.types import TypeEngine

from .db import make_engine
from .models.kb import is_search_structure

__all__ = [
    "MIGRATIONS_DIR",
    "TABLE_PREFIX",
    "VERSION_TABLE",
    "compare_type",
    "context_options",
    "current",
    "downgrade",
    "heads",
    "include_name",
    "include_object",
    "make_config",
    "revision",
    "stored_type",
    "upgrade",
]

MIGRATIONS_DIR = Path(__file__).with_name("migrations")
TABLE_PREFIX = "ticketcore_"
# Our own version table, so the host can keep its `alembic_version` for its own migrations.
VERSION_TABLE = "ticketcore_alembic_version"


def upgrade(engine: Engine | str, revision: str = "head") -> None:
    """Migrate ticketcore's tables up to `revision` (the newest one by default).

    Safe to run on every deploy: at the target revision it does nothing. Each revision commits
    on its own, so a failure leaves the database at the last revision that succeeded. `engine`
    may be a database URL (a host's own migrate command, which has no engine of ours).
    """
    with _engine(engine) as bound, _migration_connection(bound) as connection:
        command.upgrade(make_config(connection), revision)


def downgrade(engine: Engine | str, revision: str) -> None:
    """Migrate ticketcore's tables down to `revision`; `"base"` removes every ticketcore table.

    At base the version table goes too (Alembic itself would leave it behind, empty), so
    uninstalling leaves the host's database as it was before the first upgrade.
    """
    with _engine(engine) as bound, _migration_connection(bound) as connection:
        command.downgrade(make_config(connection), revision)
        context = MigrationContext.configure(connection, opts={"version_table": VERSION_TABLE})
        if not context.get_current_heads():
            Table(VERSION_TABLE, MetaData()).drop(connection, checkfirst=True)


@contextlib.contextmanager
def _engine(engine: Engine | str) -> Iterator[Engine]:
    """The caller's engine as it is, or one made for a URL and disposed of afterwards."""
    if not isinstance(engine, str):
        yield engine
        return
    made = make_engine(engine)  # tuned like the helpdesk's (SQLite: WAL, waits for locks)
    try:
        yield made
    finally:
        made.dispose()


def current(engine: Engine) -> str | None:
    """The revision the database is at, or None when ticketcore's tables were never migrated."""
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"version_table": VERSION_TABLE})
        return context.get_current_revision()


def heads() -> list[str]:
    """The newest revision(s) shipped in this version of the package."""
    return sorted(ScriptDirectory.from_config(make_config()).get_heads())


def revision(
    engine: Engine, message: str, *, autogenerate: bool = True, rev_id: str | None = None
) -> Path:
    """Write a new revision file into `ticketcore/migrations/versions/` (for contributors).

    With `autogenerate`, `engine` must point at a database already upgraded to head; the new
    file holds the difference between it and the current models, which still needs reading and
    tidying by hand. Revision ids are zero-padded numbers (`0002`), so files sort by history.
    Returns the path of the new file.
    """
    with _migration_connection(engine) as connection:
        config = make_config(connection)
        if importlib.util.find_spec("ruff") is not None:
            # Generated files then already match the house formatting.
            config.set_section_option("post_write_hooks", "hooks", "ruff_format")
            config.set_section_option("post_write_hooks", "ruff_format.type", "module")
            config.set_section_option("post_write_hooks", "ruff_format.module", "ruff")
            config.set_section_option(
                "post_write_hooks", "ruff_format.options", "format REVISION_SCRIPT_FILENAME"
            )
        script = command.revision(
            config,
            message=message,
            autogenerate=autogenerate,
            rev_id=rev_id or _next_rev_id(config),
        )
    assert script is not None and not isinstance(script, list)
    return Path(script.path)


def make_config(connection: Connection | None = None) -> Config:
    """The Alembic configuration for ticketcore's migrations; no `alembic.ini` involved.

    `env.py` runs on `connection` (taken from `config.attributes`) rather than opening its own,
    so the migrations use the caller's engine with all its tuning.
    """
    config = Config()
    # Config values go through ConfigParser interpolation, so a "%" in a path must be doubled.
    config.set_main_option("script_location", str(MIGRATIONS_DIR).replace("%", "%%"))
    # Without it Alembic warns about legacy path splitting, and warnings fail our test suite.
    config.set_main_option("path_separator", "os")
    config.set_main_option("file_template", "%%(rev)s_%%(slug)s")
    config.set_main_option("truncate_slug_length", "40")
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def context_options(dialect: Dialect) -> dict[str, Any]:
    """Options for `MigrationContext`/`context.configure`, shared by `env.py` and the tests.

    Keeping them in one place means the test that checks models and migrations agree compares
    exactly the way autogenerate does.
    """
    return {
        "version_table": VERSION_TABLE,
        "include_name": include_name,
        "include_object": include_object,
        # A callable keeps Alembic's type comparison on and adds what it misses (see below).
        "compare_type": compare_type,
        # SQLite cannot ALTER most things; batch mode rebuilds the table instead.
        "render_as_batch": dialect.name == "sqlite",
    }


def include_name(name: str | None, type_: str, parent_names: Any) -> bool:
    """Reflect only ticketcore's tables: the host's tables are none of our business.

    Nor the knowledge base's full-text structures (`models.kb.is_search_structure`), which differ
    per database and which the models cannot describe: migration 0007 makes them by hand.
    """
    if is_search_structure(type_, name):
        return False
    if type_ == "table":
        return _is_ours(name)
    return True


def include_object(
    obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any
) -> bool:
    """Compare only ticketcore's tables (also catches objects that include_name cannot see)."""
    if is_search_structure(type_, name):
        return False
    if type_ == "table":
        return _is_ours(name)
    return True


def compare_type(
    context: MigrationContext,
    inspected_column: Column[Any],
    metadata_column: Column[Any],
    inspected_type: TypeEngine[Any],
    metadata_type: TypeEngine[Any],
) -> bool | None:
    """Alembic's type comparison, plus the fractional seconds it lets through on MariaDB.

    Alembic already compares a TypeDecorator such as `UTCDateTime` by the type it compiles to
    on the dialect (`DATETIME(6)` on MariaDB). But it ignores a type argument present on one
    side only, so a column created as plain `DATETIME` would pass as `DATETIME(6)` while
    silently dropping microseconds, which `UTCDateTime` exists to keep. None means "no
    opinion": Alembic's own comparison then decides.
    """
    if context.dialect.name not in ("mysql", "mariadb"):
        return None
    stored = stored_type(metadata_type, context.dialect)
    times = (DateTime, Time)
    both_times = isinstance(stored, times) and isinstance(inspected_type, times)
    return True if both_times and _fsp(stored) != _fsp(inspected_type) else None


def stored_type(type_: TypeEngine[Any], dialect: Dialect) -> TypeEngine[Any]:
    """The type a column of `type_` really has in a `dialect` database (TypeDecorators undone)."""
    stored = type_.dialect_impl(dialect)
    while isinstance(stored, TypeDecorator):
        stored = stored.impl_instance
    return stored


def _fsp(type_: TypeEngine[Any]) -> int:
    # MySQL's DATETIME/TIME/TIMESTAMP keep `fsp` digits of fractional seconds; none means 0.
    return int(getattr(type_, "fsp", None) or 0)


def _is_ours(table_name: str | None) -> bool:
    # The version table is Alembic's bookkeeping, not part of the schema the models describe.
    return (
        table_name is not None
        and table_name.startswith(TABLE_PREFIX)
        and table_name != VERSION_TABLE
    )


@contextlib.contextmanager
def _migration_connection(engine: Engine) -> Iterator[Connection]:
    """A connection to run migrations on, committed at the end.

    Alembic commits each revision itself (we turn on `transaction_per_migration` in env.py);
    the final commit covers the little Alembic does outside those, such as creating the version
    table when there is nothing to run.

    On SQLite foreign keys are switched off for the duration, as Alembic's batch mode needs:
    it rebuilds a table by copying it and dropping the original, and with enforcement on that
    DROP would fire ON DELETE CASCADE into the tables that refer to it. The pragma only works
    outside a transaction, so it goes straight to the driver connection, before SQLAlchemy
    (or `ticketcore.db`'s BEGIN IMMEDIATE hook) opens one. Each revision is checked with
    `PRAGMA foreign_key_check` before it commits instead (see env.py).
    """
    with engine.connect() as connection:
        if connection.dialect.name != "sqlite":
            yield connection
            connection.commit()
            return
        restore = _sqlite_pragma(connection, "PRAGMA foreign_keys")
        _sqlite_pragma(connection, "PRAGMA foreign_keys=OFF")
        try:
            yield connection
            connection.commit()
        finally:
            if connection.in_transaction():
                connection.rollback()
            if restore:
                # The pooled connection outlives us; hand it back as we found it.
                _sqlite_pragma(connection, "PRAGMA foreign_keys=ON")


def _sqlite_pragma(connection: Connection, sql: str) -> Any:
    cursor = connection.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.execute(sql)
        row = cursor.fetchone()
        return None if row is None else row[0]
    finally:
        cursor.close()


def _next_rev_id(config: Config) -> str:
    numbers = [
        int(rev.revision)
        for rev in ScriptDirectory.from_config(config).walk_revisions()
        if re.fullmatch(r"\d+", rev.revision)
    ]
    return f"{max(numbers, default=0) + 1:04d}"
