"""The scale desks the benchmarks measure: made once a day per size and database, copied per run.

Loading 100,000 tickets takes half a minute to a minute, and the benchmarks write (new tickets,
replies), so each run works on a copy of a cached desk: a file copy on SQLite, a database made
from a template on PostgreSQL and MariaDB... MariaDB has no templates, so its desk is loaded
fresh each run. A cached desk is rebuilt when it is from another day (the threads end at today's
midnight, so SLA states stay realistic), from another schema revision, or was left unfinished.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import shutil
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

from servers import SERVER_URLS
from ticketcore import Helpdesk, Settings, migrate
from ticketcore.demo import DEMO_PASSWORD
from ticketcore.models import Ticket, User
from ticketcore.models.accounts import Role
from ticketcore.permissions import Actor
from ticketcore.scale import load_scale_data
from ticketcore.workflow import Status

DATA = Path(__file__).resolve().parent / ".data"
DATA_VERSION = 2  # raise when ticketcore.scale writes different rows: cached desks are remade
SECRET = "bench-secret-key-that-is-long-enough-0123456789"


@dataclass(frozen=True)
class Desk:
    """A working copy of a scale desk, with the people the benchmarks act as."""

    database_url: str
    attachments_dir: str
    tickets: int
    customer_id: int  # the customer with the most tickets: the heaviest "my tickets"
    customer_email: str
    agent_id: int  # the agent with the most open tickets assigned
    agent_email: str

    def settings(self, **extra: object) -> Settings:
        """What a portal on this desk runs with: no emails sent while measuring."""
        values: dict[str, object] = {
            "database_url": self.database_url,
            "attachments_dir": self.attachments_dir,
            "secret_key": SECRET,
            "mail_transport": "console",
            "deliver_after_commit": False,
            **extra,
        }
        return Settings(**values)  # type: ignore[arg-type]


def _stamp(tickets: int) -> str:
    day = f"{dt.datetime.now(dt.UTC):%Y%m%d}"
    return f"scale_{tickets}_{day}_{migrate.heads()[0][:8]}_v{DATA_VERSION}"


def _loaded(url: str, tickets: int) -> bool:
    """The cached desk is complete: its tickets are all there and the people were set up."""
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            count = conn.scalar(select(func.count()).select_from(Ticket))
            password = conn.scalar(
                select(func.count()).where(
                    User.role == Role.CUSTOMER, User.password_hash.is_not(None)
                )
            )
            return count == tickets and password == 1
    except Exception:
        return False
    finally:
        engine.dispose()


def _build(url: str, attachments: Path, tickets: int, progress: bool) -> None:
    """Load in a process of its own, so the measuring process's peak memory is the portal's."""
    command = [sys.executable, __file__, url, str(attachments), str(tickets)]
    subprocess.run([*command, *([] if progress else ["--quiet"])], check=True)


def _load(url: str, attachments: Path, tickets: int, progress: bool) -> None:
    helpdesk = Helpdesk(
        Settings(database_url=url, attachments_dir=str(attachments), secret_key=SECRET),
        load_entrypoints=False,
    )
    try:
        helpdesk.upgrade_database()
        load_scale_data(helpdesk, tickets, progress=progress)
        # Scale customers have no password; the HTTP benchmark logs one in like a person.
        customer_id, _email = _busiest_customer(helpdesk)
        helpdesk.users.set_password(Actor.system(), customer_id, DEMO_PASSWORD)
    finally:
        helpdesk.close()


def _busiest_customer(helpdesk: Helpdesk) -> tuple[int, str]:
    with helpdesk.engine.connect() as conn:
        row = conn.execute(
            select(User.id, User.email)
            .join(Ticket, Ticket.requester_id == User.id)
            .where(User.role == Role.CUSTOMER)
            .group_by(User.id, User.email)
            .order_by(func.count().desc(), User.id)
            .limit(1)
        ).one()
    return int(row.id), str(row.email)


def _busiest_agent(helpdesk: Helpdesk) -> tuple[int, str]:
    closed = (Status.CLOSED, Status.RESOLVED)
    with helpdesk.engine.connect() as conn:
        row = conn.execute(
            select(User.id, User.email)
            .join(Ticket, Ticket.assignee_id == User.id)
            .where(User.role == Role.AGENT, Ticket.status.not_in(closed))
            .group_by(User.id, User.email)
            .order_by(func.count().desc(), User.id)
            .limit(1)
        ).one()
    return int(row.id), str(row.email)


@contextlib.contextmanager
def working_desk(backend: str, tickets: int, *, progress: bool = True) -> Iterator[Desk]:
    """A fresh copy of the `tickets`-ticket desk on `backend`, dropped afterwards."""
    DATA.mkdir(exist_ok=True)
    stamp = _stamp(tickets)
    cached_files = DATA / f"{stamp}_files"
    work = Path(tempfile.mkdtemp(prefix="tc_bench_"))
    url: str
    drop: str | None = None
    try:
        with _locked(f"lock_{tickets}"):
            url, drop = _copy(backend, tickets, stamp, work, cached_files, progress)
            shutil.copytree(cached_files, work / "attachments", dirs_exist_ok=True)
        yield desk_of(url, str(work / "attachments"), tickets)
    finally:
        if drop is not None:
            quote = "`" if backend == "mariadb" else '"'
            _server_sql(backend, f"DROP DATABASE IF EXISTS {quote}{drop}{quote}")
        shutil.rmtree(work, ignore_errors=True)


@contextlib.contextmanager
def _locked(name: str) -> Iterator[None]:
    """One process at a time builds or copies the cached desks of a size: a benchmark started
    beside another waits for it instead of building the same desk twice or copying one that is
    half built."""
    with open(DATA / name, "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _copy(
    backend: str, tickets: int, stamp: str, work: Path, cached_files: Path, progress: bool
) -> tuple[str, str | None]:
    """A copy of the cached desk (built first if need be): its URL, and the server database to
    drop afterwards."""
    drop: str | None = None
    if backend == "sqlite":
        cached = DATA / f"{stamp}.db"
        if not _loaded(f"sqlite:///{cached}", tickets):
            _clear_old(DATA, f"scale_{tickets}_")
            _build(f"sqlite:///{cached}", cached_files, tickets, progress)
        shutil.copyfile(cached, work / "desk.db")
        url = f"sqlite:///{work / 'desk.db'}"
    elif backend == "postgresql":
        server = make_url(SERVER_URLS[backend])
        if not _loaded(server.set(database=stamp).render_as_string(False), tickets):
            _server_sql(backend, f'DROP DATABASE IF EXISTS "{stamp}"')
            _server_sql(backend, f'CREATE DATABASE "{stamp}"')
            shutil.rmtree(cached_files, ignore_errors=True)
            _build(
                server.set(database=stamp).render_as_string(False),
                cached_files,
                tickets,
                progress,
            )
        drop = f"tc_bench_{uuid.uuid4().hex[:8]}"
        _server_sql(backend, f'CREATE DATABASE "{drop}" TEMPLATE "{stamp}"')
        url = server.set(database=drop).render_as_string(False)
    elif backend == "mariadb":
        drop = f"tc_bench_{uuid.uuid4().hex[:8]}"
        _server_sql(backend, f"CREATE DATABASE `{drop}` CHARACTER SET utf8mb4")
        url = make_url(SERVER_URLS[backend]).set(database=drop).render_as_string(False)
        _build(url, cached_files, tickets, progress)
    else:
        raise ValueError(f"unknown database {backend!r}")
    return url, drop


def desk_of(url: str, attachments_dir: str, tickets: int) -> Desk:
    """The desk at `url` with the people the benchmarks act as."""
    helpdesk = Helpdesk(Settings(database_url=url, secret_key=SECRET), load_entrypoints=False)
    try:
        customer_id, customer_email = _busiest_customer(helpdesk)
        agent_id, agent_email = _busiest_agent(helpdesk)
    finally:
        helpdesk.close()
    return Desk(
        database_url=url,
        attachments_dir=attachments_dir,
        tickets=tickets,
        customer_id=customer_id,
        customer_email=customer_email,
        agent_id=agent_id,
        agent_email=agent_email,
    )


def _server_sql(backend: str, statement: str) -> None:
    engine = create_engine(SERVER_URLS[backend], isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.execute(text(statement))
    finally:
        engine.dispose()


def _clear_old(folder: Path, prefix: str) -> None:
    """Yesterday's desks of this size: a 100,000-ticket SQLite file is half a gigabyte."""
    for old in folder.glob(f"{prefix}*"):
        if old.is_dir():
            shutil.rmtree(old, ignore_errors=True)
        else:
            old.unlink(missing_ok=True)


if __name__ == "__main__":
    _load(sys.argv[1], Path(sys.argv[2]), int(sys.argv[3]), "--quiet" not in sys.argv)
