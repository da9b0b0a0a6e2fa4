"""The thread: replies (customer or agent), internal notes, and reading a ticket's messages."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ..errors import InvalidInput
from ..models import Message, ReplySide, User
from ..notify.events import Event
from ..notify.queue import queue_event
from ..permissions import Action, Actor, message_visibility
from ..schemas import BODY_MAX, MessageOut, ReplyCreate, UploadedFile, parse
from ..workflow import ReplyOnClosed, Status, check_transition, status_after_customer_reply
from .attachments import add_message, add_posted_message, check_files, refuse_repeated_email
from .base import Service
from .changes import audit, set_status
from .convert import message_out, ticket_out
from .sla import on_first_response
from .staleness import check_unchanged


class MessageService(Service):
    def reply(
        self,
        actor: Actor,
        ticket_id: int,
        data: ReplyCreate | Mapping[str, Any] | None = None,
        **fields: Any,
    ) -> MessageOut:
        """Add a message the customer sees, with its status change, in one transaction.

        A customer's reply ends "waiting on you" (Pending becomes Open) and, on a finished ticket,
        reopens it, is refused, or is simply added, per `reply_on_closed`. Staff may pass `status`
        to leave the ticket in; the first staff reply sets the first-response time. With
        `unchanged_since`, `StaleTicket` if someone else acted on the ticket after that moment.
        """
        values = parse(ReplyCreate, data, fields)
        with self.transaction() as uow:
            session = uow.session
            tickets = self.helpdesk.tickets
            ticket = tickets.load(session, actor, ticket_id, for_update=True)
            tickets.require(actor, ticket, Action.REPLY)
            check_unchanged(session, actor, ticket, values.unchanged_since)
            old_status = ticket.status
            errors: dict[str, list[str]] = {}
            target = None
            if actor.is_staff:
                if values.status is not None and values.status != ticket.status:
                    target = values.status
            elif values.status is not None:
                errors["status"] = ["customers cannot set the status"]
            else:
                target = status_after_customer_reply(
                    ticket.status, ReplyOnClosed(self.settings.reply_on_closed)
                )
            if target is not None and target != ticket.status:
                try:
                    check_transition(ticket.status, target)
                except InvalidInput as exc:
                    errors.update(exc.errors)
            try:
                check_files(values.attachments, self.settings)
            except InvalidInput as exc:
                errors.update(exc.errors)
            if errors:
                raise InvalidInput(errors)
            refuse_repeated_email(session, values)

            now = self.helpdesk.clock.now()
            author = session.get(User, actor.user_id) if actor.user_id else None
            message = add_posted_message(uow, ticket, author, values)
            ticket.reply_count += 1
            ticket.last_reply_at = now
            ticket.updated_at = now
            if actor.is_staff:
                ticket.last_reply_by = ReplySide.AGENT
                if ticket.first_response_at is None:
                    ticket.first_response_at = now
                    on_first_response(uow, ticket, actor)
            else:
                ticket.last_reply_by = ReplySide.CUSTOMER
            if target is not None and target != ticket.status:
                set_status(uow, actor, ticket, target)
            session.flush()
            audit(uow, actor, ticket, "replied", new=message.id)
            if (
                not actor.is_staff
                and ticket.conversation_type == "document_request"
                and ticket.document_received_at is None
                and message.attachments
            ):  # the first file the customer sends answers the request
                ticket.document_received_at = now
                names = ", ".join(a.filename for a in message.attachments)
                audit(uow, actor, ticket, "document_received", new=names)
            out = message_out(actor, ticket, message)
            snapshot = ticket_out(Actor.system(), ticket)
            event = Event.AGENT_REPLIED if actor.is_staff else Event.CUSTOMER_REPLIED
            queue_event(
                uow, event, ticket, actor=actor, message=message, old_status=old_status.value
            )
            uow.emit(
                "after_message_posted",
                ticket=snapshot,
                message=message_out(Actor.system(), ticket, message),
            )
            if ticket.status != old_status:
                tickets._emit_status(uow, actor, ticket, old_status)
                if ticket.status is Status.RESOLVED and actor.is_staff:
                    queue_event(
                        uow,
                        Event.FEEDBACK_REQUEST,
                        ticket,
                        actor=actor,
                        old_status=old_status.value,
                    )
            return out

    def add_note(
        self,
        actor: Actor,
        ticket_id: int,
        body: str,
        attachments: Sequence[UploadedFile] = (),
        *,
        unchanged_since: datetime | None = None,
    ) -> MessageOut:
        """An internal note: staff only, never shown, counted or sent to a customer. With
        `unchanged_since`, `StaleTicket` if someone else acted on the ticket after that moment."""
        body = body.strip()
        errors: dict[str, list[str]] = {}
        if not body:
            errors["body"] = ["a note cannot be empty"]
        elif len(body) > BODY_MAX:
            errors["body"] = [f"must be at most {BODY_MAX} characters"]
        with self.transaction() as uow:
            session = uow.session
            tickets = self.helpdesk.tickets
            ticket = tickets.load(session, actor, ticket_id, for_update=True)
            tickets.require(actor, ticket, Action.NOTE)
            check_unchanged(session, actor, ticket, unchanged_since)
            try:
                check_files(list(attachments), self.settings)
            except InvalidInput as exc:
                errors.update(exc.errors)
            if errors:
                raise InvalidInput(errors)
            author = session.get(User, actor.user_id) if actor.user_id else None
            message = add_message(uow, ticket, author, body, list(attachments), internal=True)
            # updated_at stays: customers see it, and a note must not tell them anything happened.
            ticket.note_count += 1
            session.flush()
            audit(uow, actor, ticket, "noted", new=message.id)
            out = message_out(actor, ticket, message)
            uow.emit("after_message_posted", ticket=ticket_out(Actor.system(), ticket), message=out)
            return out

    def thread(self, actor: Actor, ticket_id: int) -> list[MessageOut]:
        """The messages of a ticket in order, as `actor` may see them (notes for staff only)."""
        with self.reading() as uow:
            ticket = self.helpdesk.tickets.seen(uow.session, actor, ticket_id)
            rows = uow.session.scalars(
                select(Message)
                .where(Message.ticket_id == ticket.id, message_visibility(actor))
                .options(selectinload(Message.author), selectinload(Message.attachments))
                .order_by(Message.created_at, Message.id)
            ).all()
            return [message_out(actor, ticket, m) for m in rows]
