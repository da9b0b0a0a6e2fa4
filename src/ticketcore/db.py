"""Engines and transactions that behave the same on SQLite, PostgreSQL and MariaDB."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Engine, Float, create_engine, event
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.engine import make_url
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.sql.sqltypes import NullType

from .checkpoints import COMMIT_THRESHOLD_PAGES

READ_ONLY = "ticketcore_read_only"


def make_engine(url: str, *, echo: bool = False) -> Engine:
    """Create an engine tuned for ticketcore's use of each backend.

    SQLite gets WAL (readers never wait for the writer) with `synchronous=NORMAL`, enforced
    foreign keys, a busy timeout, and `BEGIN IMMEDIATE` for transactions that may write: one
    that reads and then writes would otherwise fail with "database is locked" instead of
    waiting its turn when another thread is writing. Read-only units of work (execution option `READ_ONLY`) begin a plain deferred
    transaction, so they never queue behind a writer.
    """
    parsed = make_url(url)
    kwargs: dict[str, Any] = {"echo": echo}
    if parsed.get_backend_name() == "mysql" and "charset" not in parsed.query:
        parsed = parsed.update_query_dict({"charset": "utf8mb4"})
    if parsed.get_backend_name() != "sqlite":
        kwargs["pool_pre_ping"] = True
    engine = create_engine(parsed, **kwargs)
    if parsed.get_backend_name() == "sqlite":
        _tune_sqlite(engine, in_memory=not is_sqlite_file(engine))
    return engine


def is_sqlite_file(engine: Engine) -> bool:
    """An SQLite database in a file (in WAL mode), not in memory."""
    return is_sqlite(engine) and engine.url.database not in (None, "", ":memory:")


def _tune_sqlite(engine: Engine, *, in_memory: bool) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # let the "begin" hook below emit BEGIN
        cursor = dbapi_connection.cursor()
        if not in_memory:
            cursor.execute("PRAGMA journal_mode=WAL")
            # In WAL mode NORMAL syncs at checkpoints, not at every commit: no corruption on a
            # crash, and a commit costs microseconds instead of an fsync (2 ms on this disk;
            # far more on a busy one). A power cut can lose the last commits, never the file.
            cursor.execute("PRAGMA synchronous=NORMAL")
            # The log is copied into the file by a background thread (`checkpoints`); a
            # commit does it only past this many pages, should the thread fall behind.
            cursor.execute(f"PRAGMA wal_autocheckpoint={COMMIT_THRESHOLD_PAGES}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        read_only = connection.get_execution_options().get(READ_ONLY)
        connection.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")


def analyze(engine: Engine) -> None:
    """Refresh the statistics each database's planner chooses indexes by.

    PostgreSQL and MariaDB keep theirs up to date by themselves, but only some time after a
    bulk load; SQLite keeps none until asked, and without them it guesses, for instance reading
    every open ticket by the status index to count one customer's few. Run after importing
    data, and on SQLite now and then (`ticketcore db analyze` from cron).
    """
    with engine.begin() as connection:
        if engine.dialect.name == "mysql":
            tables = [
                t for t in sa_inspect(connection).get_table_names() if t.startswith("ticketcore_")
            ]
            for table in tables:
                connection.exec_driver_sql(f"ANALYZE TABLE `{table}`").all()
        else:
            connection.exec_driver_sql("ANALYZE")


def is_sqlite(engine: Engine | Connection) -> bool:
    return engine.dialect.name == "sqlite"


class seconds_between(FunctionElement[float]):  # lower case: it reads like the SQL function
    """`seconds_between(later, earlier)`: the seconds from one timestamp column to another, in
    SQL on every backend, so an average duration is computed by the database, not in Python."""

    type = Float()
    name = "seconds_between"
    inherit_cache = True


@compiles(seconds_between)
def _seconds_sqlite(element: seconds_between, compiler: SQLCompiler, **kw: Any) -> str:
    later, earlier = (compiler.process(c, **kw) for c in element.clauses)
    return f"((julianday({later}) - julianday({earlier})) * 86400.0)"


@compiles(seconds_between, "postgresql")
def _seconds_postgresql(element: seconds_between, compiler: SQLCompiler, **kw: Any) -> str:
    later, earlier = (compiler.process(c, **kw) for c in element.clauses)
    return f"EXTRACT(EPOCH FROM ({later} - {earlier}))"


@compiles(seconds_between, "mysql", "mariadb")
def _seconds_mysql(element: seconds_between, compiler: SQLCompiler, **kw: Any) -> str:
    later, earlier = (compiler.process(c, **kw) for c in element.clauses)
    return f"(TIMESTAMPDIFF(MICROSECOND, {earlier}, {later}) / 1000000.0)"


class seldom(FunctionElement[Any]):  # lower case: it reads like the SQL function
    """`seldom(condition)`: a condition few rows meet, such as a ticket being unfinished (a
    desk's backlog is a few in a hundred). SQLite's statistics know only averages (a status
    holds a fifth of the tickets), and with them its choice between the status index and
    reading the whole table was a toss-up that the order of the table's indexes decided;
    `unlikely()` tells it. Other databases keep per-value statistics and get the condition as
    it is."""

    # No Boolean type: on SQLite, SQLAlchemy would compare a boolean function with 1, and
    # `unlikely(…) = 1` no longer lets the planner use the index on the condition inside.
    type = NullType()
    name = "seldom"
    inherit_cache = True


@compiles(seldom)
def _seldom(element: seldom, compiler: SQLCompiler, **kw: Any) -> str:
    return compiler.process(element.clauses, **kw)


@compiles(seldom, "sqlite")
def _seldom_sqlite(element: seldom, compiler: SQLCompiler, **kw: Any) -> str:
    return f"unlikely({compiler.process(element.clauses, **kw)})"
