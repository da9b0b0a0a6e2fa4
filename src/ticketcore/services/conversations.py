"""Conversations staff start with a customer (Message Client): a general message or a document request.

A conversation is a ticket of kind "conversation" opened by staff for the customer; the ticket
machinery does the rest (assigning the starter, SLA, the customer's email), so a conversation
lists, reads and answers like any ticket. A customer's first reply with a file to a document
request marks the document received (see `MessageService.reply`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..errors import InvalidInput, PermissionDenied
from ..models import Role
from ..permissions import Actor
from ..schemas import ConversationCreate, TicketCreate, TicketOut, parse
from .base import Service, find_user
from .convert import ticket_out


class ConversationService(Service):
    def start(
        self,
        actor: Actor,
        data: ConversationCreate | Mapping[str, Any] | None = None,
        **fields: Any,
    ) -> TicketOut:
        """Open a conversation with an existing customer account, assigned to whoever starts it."""
        if not actor.is_staff:
            raise PermissionDenied("only staff start conversations")
        values = parse(ConversationCreate, data, fields)
        with self.transaction() as uow:
            customer = find_user(uow.session, values.customer, "customer")
            if customer.role is not Role.CUSTOMER:
                raise InvalidInput(
                    f"{customer.email} is staff: conversations are with customers", field="customer"
                )
            if not customer.is_active:
                raise InvalidInput(f"{customer.email} is deactivated", field="customer")
            ticket = self.helpdesk.tickets._open(
                uow,
                actor,
                TicketCreate.model_validate(
                    {
                        "subject": values.subject,
                        "body": values.body,
                        "team": values.team or None,
                        "attachments": values.attachments,
                        "kind": "conversation",
                        "conversation_type": values.type,
                        "awaited_document": values.awaited_document,
                    }
                ),
                customer,
            )
            return ticket_out(actor, ticket)
