"""What a helpdesk's engine did inside a block, importable from tests in any folder."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event

from ticketcore import Helpdesk

_TRANSACTION_CONTROL = ("BEGIN", "COMMIT", "ROLLBACK", "PRAGMA")


@contextmanager
def transactions_begun(helpdesk: Helpdesk) -> Iterator[list[object]]:
    """The connections that began a transaction inside the block, one entry per transaction."""
    begun: list[object] = []
    with _listening(helpdesk, "begin", begun.append):
        yield begun


@contextmanager
def statements_sent(helpdesk: Helpdesk) -> Iterator[list[str]]:
    """The SQL statements sent to the database inside the block, in order, transaction control
    and SQLite's PRAGMAs included: for tests that count what an operation costs."""
    sent: list[str] = []

    def record(connection: object, cursor: object, statement: str, *args: object) -> None:
        sent.append(statement)

    with _listening(helpdesk, "before_cursor_execute", record):
        yield sent


def work_of(statements: list[str]) -> list[str]:
    """The statements that do the work: transaction control and PRAGMAs left out (SQLite sends
    its own BEGIN; the other databases do not), so counts compare across databases."""
    return [s for s in statements if not s.lstrip().upper().startswith(_TRANSACTION_CONTROL)]


@contextmanager
def _listening(helpdesk: Helpdesk, name: str, listener: Callable[..., Any]) -> Iterator[None]:
    event.listen(helpdesk.engine, name, listener)
    try:
        yield
    finally:
        event.remove(helpdesk.engine, name, listener)
