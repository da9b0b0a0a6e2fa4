"""SQLite: writers queue (BEGIN IMMEDIATE) but readers never wait for them (WAL + deferred BEGIN)."""

from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import text


@pytest.fixture
def sqlite_helpdesk(tmp_path, clock):
    from ticketcore.testing import make_helpdesk

    helpdesk = make_helpdesk(tmp_path, clock=clock)
    yield helpdesk
    helpdesk.close()


def test_reads_do_not_wait_for_a_long_write(sqlite_helpdesk):
    from cast_of_users import build_cast

    cast = build_cast(sqlite_helpdesk)
    ticket = sqlite_helpdesk.tickets.create(cast.carol_actor, subject="s", body="b").ticket
    writing = threading.Event()
    release = threading.Event()

    def long_writer():
        with sqlite_helpdesk.engine.begin() as connection:  # BEGIN IMMEDIATE: holds the lock
            connection.execute(text("UPDATE ticketcore_teams SET name = name"))
            writing.set()
            release.wait(10)

    writer = threading.Thread(target=long_writer)
    writer.start()
    try:
        assert writing.wait(5)
        started = time.monotonic()
        assert sqlite_helpdesk.tickets.get(cast.carol_actor, ticket.id).subject == "s"
        assert sqlite_helpdesk.tickets.list(cast.ann_actor).total == 1
        waited = time.monotonic() - started
    finally:
        release.set()
        writer.join()
    # The writer holds its lock for up to 10 s; a reader that queued behind it would show that.
    assert waited < 5


def test_a_file_database_commits_without_an_fsync_each_time(sqlite_helpdesk):
    """WAL with synchronous=NORMAL: safe from corruption, and a commit costs no fsync."""
    with sqlite_helpdesk.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA synchronous").scalar() == 1  # NORMAL
