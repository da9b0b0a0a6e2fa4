"""The Alembic environment behind `ticketcore.migrate`: the caller's connection, our tables only.

There is no URL and no `alembic.ini`: `ticketcore.migrate` passes a connection from the host's
engine in `config.attributes["connection"]`. Offline (`--sql`) mode is not offered, because a
site upgrades with `ticketcore db upgrade` / `Helpdesk.upgrade_database()`, not the `alembic`
command.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any, Literal

from alembic import context
from alembic.autogenerate.api import AutogenContext
from alembic.runtime.migration import MigrationContext, MigrationInfo
from sqlalchemy import TypeDecorator, text
from sqlalchemy.engine import Connection

from ticketcore.migrate import context_options
from ticketcore.models import Base
from ticketcore.models.base import UTCDateTime

target_metadata = Base.metadata


def render_item(type_: str, obj: Any, autogen_context: AutogenContext) -> str | Literal[False]:
    """Write the models' TypeDecorators into new revisions as the plain types they store.

    Revisions must not import `ticketcore.models`, so autogenerate output is frozen here
    already; `False` leaves everything else to Alembic.
    """
    if type_ != "type" or not isinstance(obj, TypeDecorator):
        return False
    if isinstance(obj, UTCDateTime):
        autogen_context.imports.add("from sqlalchemy.dialects import mysql")
        return 'sa.DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")'
    return f"sa.{obj.impl_instance!r}"


def check_foreign_keys(
    ctx: MigrationContext,
    step: MigrationInfo,
    heads: Collection[Any],
    run_args: Mapping[str, Any],
) -> None:
    """On SQLite, refuse to commit a revision that left a dangling foreign key.

    `ticketcore.migrate` turns SQLite's enforcement off while migrating (batch mode needs it
    off), so this check, run inside each revision's transaction, takes its place.
    """
    if ctx.dialect.name != "sqlite" or ctx.connection is None:
        return
    problems = ctx.connection.execute(text("PRAGMA foreign_key_check")).fetchall()
    if problems:
        raise RuntimeError(f"migration left rows with dangling foreign keys: {problems[:10]}")


def run_migrations_online(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        # One transaction per revision: a failure keeps every revision before it, and a
        # revision may use `op.get_context().autocommit_block()` (PostgreSQL needs that for
        # some DDL).
        transaction_per_migration=True,
        on_version_apply=check_foreign_keys,
        render_item=render_item,
        **context_options(connection.dialect),
    )
    with context.begin_transaction():
        context.run_migrations()


def _connection() -> Connection:
    connection = context.config.attributes.get("connection")
    if context.is_offline_mode() or not isinstance(connection, Connection):
        raise RuntimeError(
            "ticketcore's migrations run through ticketcore.migrate (upgrade/downgrade) or "
            "`ticketcore db upgrade`, which pass a database connection; the `alembic` command "
            "and offline --sql mode are not supported"
        )
    return connection


run_migrations_online(_connection())
