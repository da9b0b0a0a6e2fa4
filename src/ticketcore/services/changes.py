"""Recording changes to a ticket: the audit trail and the status side effects, in one place."""

from __future__ import annotations

from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from ..errors import TicketcoreError
from ..models import AuditEvent, Counter, Ticket
from ..models.base import table_of
from ..permissions import Actor
from ..workflow import Status
from .sla import on_status_change
from .unit_of_work import UnitOfWork

# Core statements on the table: the ORM's bookkeeping for a counter row is pure cost.
_COUNTERS = table_of(Counter)
_BUMP = update(_COUNTERS).where(_COUNTERS.c.name == "ticket").values(value=_COUNTERS.c.value + 1)
_BUMP_RETURNING = _BUMP.returning(_COUNTERS.c.value)
_COUNTER_VALUE = select(_COUNTERS.c.value).where(_COUNTERS.c.name == "ticket")


def next_ticket_number(session: Session) -> int:
    """The next ticket number. The UPDATE locks the counter row until commit, so concurrent
    creators on PostgreSQL and MariaDB queue up instead of sharing a number. Where the database
    can return the new value from the UPDATE (SQLite, PostgreSQL), one statement does."""
    if session.get_bind().dialect.update_returning:
        number = session.scalar(_BUMP_RETURNING)
    else:  # MariaDB
        bumped = session.execute(_BUMP).rowcount > 0  # type: ignore[attr-defined]
        number = session.scalar(_COUNTER_VALUE) if bumped else None
    if number is None:
        # Creating the row here would race between the first two tickets; the schema seeds it.
        raise TicketcoreError(
            "the ticket counter is missing: create the tables with `ticketcore db upgrade`"
        )
    return int(number)


def audit(
    uow: UnitOfWork,
    actor: Actor,
    ticket: Ticket,
    action: str,
    field: str | None = None,
    old: object = None,
    new: object = None,
) -> None:
    """Add a line to the ticket's audit trail. The lines of a transaction are written together
    as plain INSERTs just before it commits: the trail is only ever appended to and is not read
    back by the change that writes it, so ORM objects would be bookkeeping for nothing."""
    lines: list[tuple[Ticket, dict[str, Any]]] | None = uow.state.get(_AUDIT_LINES)
    if lines is None:
        lines = uow.state[_AUDIT_LINES] = []
        uow.before_commit(lambda: _write_lines(uow, lines))
    line = {
        "actor_id": actor.user_id,
        "actor_kind": actor.kind.value,
        "action": action,
        "field": field,
        "old_value": None if old is None else str(old),
        "new_value": None if new is None else str(new),
        "created_at": uow.helpdesk.clock.now(),
    }
    lines.append((ticket, line))


def _write_lines(uow: UnitOfWork, lines: list[tuple[Ticket, dict[str, Any]]]) -> None:
    uow.session.flush()  # tickets opened in this transaction get their ids
    uow.session.execute(_AUDIT_INSERT, [{**line, "ticket_id": t.id} for t, line in lines])


_AUDIT_LINES = "ticketcore.audit.lines"  # uow.state: (ticket, line) to write before the commit
_AUDIT_INSERT = insert(table_of(AuditEvent))


def set_status(uow: UnitOfWork, actor: Actor, ticket: Ticket, new: Status) -> None:
    """Change status with its timestamps and audit record; the after-commit event is queued
    by the caller once the ticket snapshot is final."""
    old = ticket.status
    now = uow.helpdesk.clock.now()
    ticket.status = new
    ticket.updated_at = now
    if new is Status.RESOLVED:
        ticket.resolved_at = now
    elif new is Status.CLOSED:
        ticket.closed_at = now
        ticket.resolved_at = ticket.resolved_at or now
    else:
        ticket.resolved_at = None
        ticket.closed_at = None
    audit(uow, actor, ticket, "changed", "status", old.value, new.value)
    on_status_change(uow, ticket, old, new, actor)
    if new is Status.CLOSED and old is not Status.CLOSED:
        from .secure_data import purge_on_close  # it imports this module

        purge_on_close(uow, actor, ticket)
