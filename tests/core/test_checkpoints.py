"""On SQLite, what commits write to the log reaches the database file by a background thread,
not by the request that happens to commit the thousandth page."""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path

from ticketcore import Actor, Helpdesk
from ticketcore.testing import make_helpdesk


def tickets_in_the_file_itself(path: Path) -> int:
    """Count the tickets the database file holds, ignoring its log (`immutable` reads the file
    alone)."""
    connection = sqlite3.connect(f"file:{path}?immutable=1", uri=True)
    try:
        return int(connection.execute("SELECT count(*) FROM ticketcore_tickets").fetchone()[0])
    except sqlite3.OperationalError:  # not even the table has reached the file yet
        return -1
    finally:
        connection.close()


def checkpoint_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "ticketcore-sqlite-checkpoints"]


def test_the_log_reaches_the_database_file_in_the_background(tmp_path: Path) -> None:
    helpdesk: Helpdesk = make_helpdesk(tmp_path)
    path = tmp_path / "ticketcore.db"
    try:
        system = Actor.system()
        helpdesk.teams.create(system, name="Support", is_default=True)
        customer = helpdesk.users.create(system, email="carol@example.com", display_name="Carol")
        actor = helpdesk.users.actor_for(customer)
        for n in range(3):
            helpdesk.tickets.create(actor, subject=f"Ticket {n}", body="b")
        deadline = time.monotonic() + 5
        while tickets_in_the_file_itself(path) < 3 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert tickets_in_the_file_itself(path) == 3  # far below the commits' own 10,000 pages
    finally:
        helpdesk.close()


def test_a_closed_helpdesk_leaves_no_thread_behind(tmp_path: Path) -> None:
    before = set(checkpoint_threads())
    helpdesk = make_helpdesk(tmp_path)
    started = set(checkpoint_threads()) - before
    assert len(started) == 1
    helpdesk.close()
    assert not started.pop().is_alive()


def test_a_database_in_memory_has_no_thread(tmp_path: Path) -> None:
    before = set(checkpoint_threads())
    helpdesk = make_helpdesk(tmp_path, database_url="sqlite://")
    try:
        assert set(checkpoint_threads()) == before
    finally:
        helpdesk.close()
