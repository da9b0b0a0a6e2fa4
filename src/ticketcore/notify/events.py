"""The moments that send email, and who hears of each."""

from __future__ import annotations

import enum


class Event(enum.StrEnum):
    # To the requester and the CC recipients (never about internal notes).
    TICKET_CREATED = "ticket_created"
    AGENT_REPLIED = "agent_replied"
    STATUS_CHANGED = "status_changed"
    TICKET_CLOSED = "ticket_closed"
    FEEDBACK_REQUEST = "feedback_request"  # the ticket was resolved: how did we do?
    # To staff: the assignee, else the ticket's team.
    NEW_TICKET = "new_ticket"
    CUSTOMER_REPLIED = "customer_replied"
    ASSIGNED_TO_YOU = "assigned_to_you"
    SLA_AT_RISK = "sla_at_risk"
    SLA_BREACHED = "sla_breached"

    @property
    def to_customer(self) -> bool:
        return self in CUSTOMER_EVENTS


CUSTOMER_EVENTS = frozenset(
    {
        Event.TICKET_CREATED,
        Event.AGENT_REPLIED,
        Event.STATUS_CHANGED,
        Event.TICKET_CLOSED,
        Event.FEEDBACK_REQUEST,
    }
)
