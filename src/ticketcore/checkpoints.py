"""SQLite's write-ahead log is copied into the database file by a background thread.

In WAL mode every commit appends to the log, and by default the commit that takes the log past
1,000 pages copies it into the database file and syncs it to disk: one request in thirty that
writes waited 10 to 100 ms for the disk (a quarter of all the time commits took when opening
tickets). Here a thread of the helpdesk does it every quarter second instead, with a PASSIVE
checkpoint, which never waits for and never holds up readers or the writer. The commits'
own threshold stays, raised to 10,000 pages (40 MB), in case the thread is not running (a
forked worker) or cannot keep up.
"""

from __future__ import annotations

import logging
import threading
import weakref

from sqlalchemy import Engine

log = logging.getLogger("ticketcore.checkpoints")

EVERY_SECONDS = 0.25
COMMIT_THRESHOLD_PAGES = 10_000


class Checkpointer:
    """The thread of one engine; `stop()` ends it (`Helpdesk.close` does)."""

    def __init__(self, engine: Engine, every: float = EVERY_SECONDS) -> None:
        # A weak reference: a helpdesk nobody closed still lets its engine go, and the thread
        # ends with it.
        self._engine = weakref.ref(engine)
        self._every = every
        self._stopping = threading.Event()
        self._thread = threading.Thread(
            target=self._run, name="ticketcore-sqlite-checkpoints", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stopping.wait(self._every):
            engine = self._engine()
            if engine is None:
                return
            try:
                checkpoint(engine)
            except Exception:  # a busy or vanished file: the commits' own threshold still holds
                log.debug("background checkpoint failed", exc_info=True)
            del engine


def checkpoint(engine: Engine) -> tuple[int, int, int]:
    """Copy what the log holds into the database file, as far as no reader still needs it:
    (1 if a checkpoint was already running, pages in the log, pages copied)."""
    connection = engine.raw_connection()
    try:
        cursor = connection.cursor()
        busy, logged, copied = cursor.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        cursor.close()
        return busy, logged, copied
    finally:
        connection.close()
