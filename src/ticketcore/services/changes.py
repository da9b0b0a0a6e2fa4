"""Recording changes to a ticket: the audit trail and the status side effects, in one place."""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from ..errors import TicketcoreError
from ..models import AuditEvent, Counter, Ticket
from ..permissions import Actor
from ..workflow import Status
from .sla import on_status_change
from .unit_of_work import UnitOfWork


def next_ticket_number(session: Session) -> int:
    """The next ticket number. The UPDATE locks the counter row until commit, so concurrent
    creators on PostgreSQL and MariaDB queue up instead of sharing a number."""
    result = session.execute(
        update(Counter).where(Counter.name == "ticket").values(value=Counter.value + 1)
    )
    if result.rowcount == 0:  # type: ignore[attr-defined]
        # Creating the row here would race between the first two tickets; the schema seeds it.
        raise TicketcoreError(
            "the ticket counter is missing: create the tables with `ticketcore db upgrade`"
        )
    return int(session.scalar(select(Counter.value).where(Counter.name == "ticket")) or 0)


def audit(
    uow: UnitOfWork,
    actor: Actor,
    ticket: Ticket,
    action: str,
    field: str | None = None,
    old: object = None,
    new: object = None,
) -> None:
    uow.session.add(
        AuditEvent(
            ticket_id=ticket.id,
            actor_id=actor.user_id,
            actor_kind=actor.kind.value,
            action=action,
            field=field,
            old_value=None if old is None else str(old),
            new_value=None if new is None else str(new),
            created_at=uow.helpdesk.clock.now(),
        )
    )


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
