"""Merging a ticket into another of the same requester, so one question has one thread.

The source hands over everything that makes up the conversation — messages with their
attachments, CC addresses, task links and secure data — and keeps its own history (audit trail,
feedback, SLA events). It is then closed through `changes.set_status`, so closing rules (SLA
clock, secure-data purge) apply as for any other close, and points at the ticket it went into.
Nobody on the customer side is told: the requester simply finds the thread in one place.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm.attributes import set_committed_value

from ..errors import InvalidInput, PermissionDenied
from ..models import Attachment, Message, SecureData, Ticket, TicketCC, TicketTask
from ..permissions import Action, Actor
from ..schemas import TicketOut
from ..workflow import Status
from .changes import audit, set_status
from .convert import ticket_out
from .secure_data import purge_on_close
from .sla import on_first_response
from .unit_of_work import UnitOfWork

if TYPE_CHECKING:
    from .tickets import TicketService


def merge(tickets: TicketService, actor: Actor, ticket_id: int, into_id: int) -> TicketOut:
    """Merge ticket `ticket_id` into `into_id` in one transaction; returns the target."""
    with tickets.transaction() as uow:
        session = uow.session
        # Locked in id order: two merges of one pair in opposite directions queue up instead of
        # deadlocking, and the second then finds its source already merged.
        locked = {
            i: tickets.load(session, actor, i, for_update=True)
            for i in sorted({ticket_id, into_id})
        }
        source, target = locked[ticket_id], locked[into_id]
        for ticket in locked.values():
            tickets.require(actor, ticket, Action.UPDATE)
        if not actor.is_staff:  # even where a plugin lets a customer change a ticket
            raise PermissionDenied("only staff merge tickets")
        _check(source, target)

        old_status = source.status
        _move_thread(uow, source, target)
        _move_cc(source, target)
        _recount(uow, actor, source, target)
        now = uow.helpdesk.clock.now()
        source.merged_into_id = target.id
        set_committed_value(source, "merged_into", target)
        if source.status is not Status.CLOSED:
            set_status(uow, actor, source, Status.CLOSED)
        if target.status is Status.CLOSED:  # a closed ticket keeps no secure data
            purge_on_close(uow, actor, target)
        source.updated_at = target.updated_at = now
        audit(uow, actor, source, "merged_into", new=target.track_id)
        audit(uow, actor, target, "merged_from", new=source.track_id)
        session.flush()
        tickets._emit_status(uow, actor, source, old_status)  # hooks only: no email
        return ticket_out(actor, target)


def _check(source: Ticket, target: Ticket) -> None:
    if source.id == target.id:
        raise InvalidInput("a ticket cannot be merged into itself", field="into")
    if source.merged_into_id is not None:
        raise InvalidInput("this ticket was already merged into another one")
    if target.merged_into_id is not None:
        raise InvalidInput(
            "that ticket was merged into another one: merge into that one instead", field="into"
        )
    if source.requester_id != target.requester_id:
        raise InvalidInput("only tickets of the same requester can be merged", field="into")


def _move_thread(uow: UnitOfWork, source: Ticket, target: Ticket) -> None:
    """Messages, attachments and secure data change tickets; task links too, unless the target
    is already linked to the same task."""
    session = uow.session
    for model in (Message, Attachment, SecureData):
        session.execute(
            update(model)
            .where(model.ticket_id == source.id)
            .values(ticket_id=target.id)
            .execution_options(synchronize_session=False)
        )
    # Read first: MariaDB refuses an UPDATE whose WHERE selects from the table being updated.
    shared = set(
        session.scalars(select(TicketTask.task_id).where(TicketTask.ticket_id == target.id))
    )
    moving = update(TicketTask).where(TicketTask.ticket_id == source.id)
    if shared:
        moving = moving.where(TicketTask.task_id.not_in(shared))
    session.execute(moving.values(ticket_id=target.id).execution_options(synchronize_session=False))
    session.execute(
        delete(TicketTask)
        .where(TicketTask.ticket_id == source.id)
        .execution_options(synchronize_session=False)
    )


def _move_cc(source: Ticket, target: Ticket) -> None:
    known = {cc.email_key for cc in target.cc} | {target.requester.email_key}
    for cc in source.cc:
        if cc.email_key not in known:
            known.add(cc.email_key)
            target.cc.append(TicketCC(email=cc.email, email_key=cc.email_key))
    source.cc.clear()


def _recount(uow: UnitOfWork, actor: Actor, source: Ticket, target: Ticket) -> None:
    """Counts come from the merged thread; the last reply is the later of the two, the first
    response the earlier (which may meet the target's response SLA)."""
    session = uow.session
    counts = {
        bool(internal): n
        for internal, n in session.execute(
            select(Message.is_internal, func.count())
            .where(Message.ticket_id == target.id)
            .group_by(Message.is_internal)
        )
    }
    target.reply_count = max(counts.get(False, 0) - 1, 0)  # the opening message is no reply
    target.note_count = counts.get(True, 0)
    source.reply_count = source.note_count = 0
    if source.last_reply_at > target.last_reply_at:
        target.last_reply_at = source.last_reply_at
        target.last_reply_by = source.last_reply_by
    responses = [t for t in (target.first_response_at, source.first_response_at) if t is not None]
    first = min(responses, default=None)
    if first != target.first_response_at:
        target.first_response_at = first
        on_first_response(uow, target, actor)
