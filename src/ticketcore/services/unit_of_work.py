"""One transaction per use case (DESIGN invariant 3), and what must happen after it commits.

Services queue `after_*` hook calls and file clean-ups on the unit of work; they run only once
the database has committed (or, for stored files, been rolled back), so a plugin never sees a
change that did not happen, and a failed request leaves no orphaned file behind. Rows a use
case writes in several steps (its emails, its audit lines) can be gathered and written once, just before the
commit, inside the transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from ..db import READ_ONLY
from ..plugins import call_after_commit

if TYPE_CHECKING:
    from ..helpdesk import Helpdesk


class UnitOfWork:
    def __init__(self, helpdesk: Helpdesk, session: Session) -> None:
        self.helpdesk = helpdesk
        self.session = session
        self._after_commit: list[tuple[str, dict[str, Any]]] = []
        self._on_rollback: list[Callable[[], None]] = []
        self._after_commit_calls: list[Callable[[], None]] = []
        self._before_commit: list[Callable[[], None]] = []
        self.state: dict[str, Any] = {}  # per-transaction scratch space for helpers

    def emit(self, hook_name: str, **kwargs: Any) -> None:
        """Queue an `after_*` hook to run once this transaction has committed."""
        self._after_commit.append((hook_name, kwargs))

    def listens(self, *hook_names: str) -> bool:
        """Whether any plugin implements one of these hooks: what only a listener would read
        (a snapshot of the ticket, say) need not be built when nobody listens."""
        hook = self.helpdesk.plugins.hook
        return any(getattr(hook, name).get_hookimpls() for name in hook_names)

    def on_rollback(self, undo: Callable[[], None]) -> None:
        self._on_rollback.append(undo)

    def before_commit(self, call: Callable[[], None]) -> None:
        """Run `call` inside the transaction once the use case is done, just before the commit;
        if it fails, the whole transaction rolls back."""
        self._before_commit.append(call)

    def after_commit(self, call: Callable[[], None]) -> None:
        """Run `call` once the transaction has committed (after the `after_*` hooks)."""
        self._after_commit_calls.append(call)

    def _finish(self) -> None:
        for call in self._before_commit:
            call()

    def _undo(self) -> None:
        for undo in self._on_rollback:
            undo()

    def _committed(self) -> None:
        for hook_name, kwargs in self._after_commit:
            call_after_commit(self.helpdesk.plugins, hook_name, helpdesk=self.helpdesk, **kwargs)
        for call in self._after_commit_calls:
            call()


def _read_only(session: Session) -> None:
    """Begin `session`'s transaction as a reader (on SQLite, without the write lock)."""
    session.connection(execution_options={READ_ONLY: True})


class _SharedReads:
    """One read transaction for the reading units of work of a request (`shared_reads`)."""

    def __init__(self, helpdesk: Helpdesk) -> None:
        self.helpdesk = helpdesk
        self.session: Session | None = None
        self.reading = 0  # shared reading units of work now open
        self.writing = 0  # writing units of work now open
        # End the snapshot when the open reads end (a write began, or a read failed).
        self.stale = False

    def open(self) -> Session:
        if self.session is None:
            self.session = self.helpdesk.sessionmaker()
            self.session.begin()
            _read_only(self.session)
        return self.session

    def end(self) -> None:
        self.stale = False
        if self.session is not None:
            session, self.session = self.session, None
            session.close()


_shared: ContextVar[_SharedReads | None] = ContextVar("ticketcore_shared_reads", default=None)


@contextmanager
def shared_reads(helpdesk: Helpdesk) -> Iterator[None]:
    """Let the reading units of work inside share one read transaction, as the portal does for
    each request: a page reads in a dozen short steps (who is asking, the settings, the list,
    the filters' choices), and beginning and ending a transaction for each cost more than most
    of the reads. A write ends the shared transaction first, so what is read after it is read
    afresh, never from a snapshot older than the change."""
    scope = _SharedReads(helpdesk)
    token = _shared.set(scope)
    try:
        yield
    finally:
        _shared.reset(token)
        scope.end()


@contextmanager
def unit_of_work(helpdesk: Helpdesk, *, read_only: bool = False) -> Iterator[UnitOfWork]:
    """A transaction for one use case. `read_only` lets SQLite readers skip the write lock."""
    scope = _shared.get()
    if scope is None or scope.helpdesk is not helpdesk:
        with _own_transaction(helpdesk, read_only=read_only) as uow:
            yield uow
    elif read_only and not scope.writing:
        with _shared_read(scope) as uow:
            yield uow
    else:
        if scope.reading:
            scope.stale = True
        else:
            scope.end()
        scope.writing += 1
        try:
            with _own_transaction(helpdesk, read_only=read_only) as uow:
                yield uow
        finally:
            scope.writing -= 1


@contextmanager
def _shared_read(scope: _SharedReads) -> Iterator[UnitOfWork]:
    uow = UnitOfWork(scope.helpdesk, scope.open())
    scope.reading += 1
    try:
        yield uow
        uow._finish()
    except BaseException:
        scope.stale = True  # unusable after a database error: start afresh once reads end
        uow._undo()
        raise
    finally:
        scope.reading -= 1
        if scope.stale and not scope.reading:
            scope.end()
    uow._committed()


@contextmanager
def _own_transaction(helpdesk: Helpdesk, *, read_only: bool) -> Iterator[UnitOfWork]:
    session = helpdesk.sessionmaker()
    uow = UnitOfWork(helpdesk, session)
    try:
        with session.begin():
            if read_only:
                _read_only(session)
            yield uow
            uow._finish()
    except BaseException:
        uow._undo()
        raise
    finally:
        session.close()
    uow._committed()
