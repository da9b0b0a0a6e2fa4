"""The PostgreSQL and MariaDB servers the benchmarks use, and throwaway databases on them.

`TICKETCORE_BENCH_POSTGRES_URL` and `TICKETCORE_BENCH_MARIADB_URL` choose other servers; by
default the local ones the tests use.
"""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import sqlalchemy as sa

SERVER_URLS = {
    "postgresql": os.environ.get(
        "TICKETCORE_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
    ),
    "mariadb": os.environ.get(
        "TICKETCORE_BENCH_MARIADB_URL", "mysql+pymysql://root@127.0.0.1:3306/?charset=utf8mb4"
    ),
}


@contextlib.contextmanager
def database(backend: str, directory: Path, prefix: str) -> Iterator[str]:
    """A new, empty database for `backend` (a file in `directory` on SQLite), removed
    afterwards; `prefix` names it, so a leftover says which benchmark left it."""
    if backend == "sqlite":
        yield f"sqlite:///{directory / f'{prefix}.db'}"
        return
    url = sa.make_url(SERVER_URLS[backend])
    name = f"tc_bench_{prefix}_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    quoted = f'"{name}"' if backend == "postgresql" else f"`{name}`"
    options = (
        " ENCODING 'UTF8' TEMPLATE template0"
        if backend == "postgresql"
        else " CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"
    )
    try:
        with admin.connect() as connection:
            connection.execute(sa.text(f"CREATE DATABASE {quoted}{options}"))
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            force = " WITH (FORCE)" if backend == "postgresql" else ""
            connection.execute(sa.text(f"DROP DATABASE IF EXISTS {quoted}{force}"))
        admin.dispose()


def reachable(backend: str) -> str | None:
    """None when `backend` answers (SQLite always does), else why not, in one line."""
    if backend == "sqlite":
        return None
    engine = sa.create_engine(SERVER_URLS[backend], connect_args={"connect_timeout": 3})
    try:
        with engine.connect() as connection:
            connection.execute(sa.text("SELECT 1"))
    except Exception as exc:
        return f"{exc.__class__.__name__}: {str(exc).splitlines()[0]}"
    finally:
        engine.dispose()
    return None
