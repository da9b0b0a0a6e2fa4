"""What a helpdesk's engine did inside a block, importable from tests in any folder."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import event

from ticketcore import Helpdesk


@contextmanager
def transactions_begun(helpdesk: Helpdesk) -> Iterator[list[object]]:
    """The connections that began a transaction inside the block, one entry per transaction."""
    begun: list[object] = []

    def record(connection: object) -> None:
        begun.append(connection)

    event.listen(helpdesk.engine, "begin", record)
    try:
        yield begun
    finally:
        event.remove(helpdesk.engine, "begin", record)
