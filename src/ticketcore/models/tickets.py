"""Tickets, their CC recipients, and the counter that numbers them."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import (
    DDL,
    JSON,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
    event,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..workflow import Priority, Status, TicketKind
from .accounts import Organization, User
from .base import Base, IntEnumType, StrEnumType, UTCDateTime
from .sla import SlaPolicy, SlaState
from .teams import Team
from .templates import TicketTemplate


class ReplySide(enum.StrEnum):
    """Who spoke last in the public thread: tells agents whether a ticket waits for them."""

    CUSTOMER = "customer"
    AGENT = "agent"


class Counter(Base):
    """Named sequences (ticket numbers) that stay gap-tolerant but never repeat, on every backend."""

    __tablename__ = "ticketcore_counters"

    name: Mapped[str] = mapped_column(String(50), primary_key=True)
    value: Mapped[int] = mapped_column(Integer, default=0)


class Ticket(Base):
    __tablename__ = "ticketcore_tickets"
    __table_args__ = (
        Index("ix_ticketcore_tickets_requester_last_reply", "requester_id", "last_reply_at"),
        Index("ix_ticketcore_tickets_team_status", "team_id", "status"),
        Index("ix_ticketcore_tickets_assignee_status", "assignee_id", "status"),
        Index("ix_ticketcore_tickets_org_last_reply", "organization_id", "last_reply_at"),
        Index("ix_ticketcore_tickets_status_resolved", "status", "resolved_at"),
        # The agents' queues and dashboard read the unfinished tickets (a few in a hundred)
        # with who may see them and their order: this index answers their counts and picks
        # their pages without reading a ticket row, which the backlog's thousand rows made
        # the slowest part of "at risk".
        Index(
            "ix_ticketcore_tickets_worklist",
            "status",
            "sla_state",
            "team_id",
            "assignee_id",
            "organization_id",
            "last_reply_at",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Staff refer to "#1042"; customers quote the track ID, which reveals nothing about others.
    number: Mapped[int] = mapped_column(Integer, unique=True)
    track_id: Mapped[str] = mapped_column(String(16), unique=True)
    subject: Mapped[str] = mapped_column(String(200))
    kind: Mapped[TicketKind] = mapped_column(StrEnumType(TicketKind, 20), default=TicketKind.TICKET)
    requester_id: Mapped[int] = mapped_column(ForeignKey("ticketcore_users.id"))
    organization_id: Mapped[int | None] = mapped_column(
        ForeignKey("ticketcore_organizations.id", ondelete="SET NULL")
    )
    team_id: Mapped[int | None] = mapped_column(
        ForeignKey("ticketcore_teams.id", ondelete="SET NULL")
    )
    assignee_id: Mapped[int | None] = mapped_column(
        ForeignKey("ticketcore_users.id", ondelete="SET NULL")
    )
    priority: Mapped[Priority] = mapped_column(IntEnumType(Priority), default=Priority.NORMAL)
    status: Mapped[Status] = mapped_column(StrEnumType(Status, 20), default=Status.OPEN)
    is_public: Mapped[bool] = mapped_column(Boolean, default=False)
    template_id: Mapped[int | None] = mapped_column(
        ForeignKey("ticketcore_ticket_templates.id", ondelete="SET NULL")
    )
    custom_fields: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # The secret in the ticket's reply address (support+<token>@…): replies by email find it.
    reply_token: Mapped[str | None] = mapped_column(String(40), unique=True)
    # sha256 of the secret that lets a guest open this one ticket; the secret itself is not kept.
    guest_token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)

    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    first_response_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Public thread only: internal notes never show in these, so customers may read them.
    last_reply_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_reply_by: Mapped[ReplySide] = mapped_column(StrEnumType(ReplySide, 10))
    reply_count: Mapped[int] = mapped_column(Integer, default=0)
    note_count: Mapped[int] = mapped_column(Integer, default=0)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    # SLA: the policy that applies, its deadlines, and the resolution clock's pauses.
    sla_policy_id: Mapped[int | None] = mapped_column(
        ForeignKey("ticketcore_sla_policies.id", ondelete="SET NULL")
    )
    response_by: Mapped[datetime | None] = mapped_column(UTCDateTime())
    resolution_by: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
    sla_state: Mapped[SlaState | None] = mapped_column(StrEnumType(SlaState, 20))
    sla_paused_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Business minutes the resolution clock has stood still (waiting on the customer) so far.
    sla_paused_minutes: Mapped[float] = mapped_column(Float, default=0.0)
    # A conversation staff started: "general" or "document_request" (None for tickets).
    conversation_type: Mapped[str | None] = mapped_column(String(20))
    # What a document request waits for, and when the customer's reply brought a file.
    awaited_document: Mapped[str | None] = mapped_column(String(200))
    document_received_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Set on a ticket merged into another: its thread moved there and it was closed.
    merged_into_id: Mapped[int | None] = mapped_column(
        ForeignKey("ticketcore_tickets.id", ondelete="SET NULL")
    )

    requester: Mapped[User] = relationship(foreign_keys=[requester_id])
    assignee: Mapped[User | None] = relationship(foreign_keys=[assignee_id])
    organization: Mapped[Organization | None] = relationship()
    team: Mapped[Team | None] = relationship()
    template: Mapped[TicketTemplate | None] = relationship()
    sla_policy: Mapped[SlaPolicy | None] = relationship()
    # Read-only: merging sets merged_into_id. A writable link from tickets to tickets is a cycle
    # the unit of work would sort ticket by ticket on every flush that writes a ticket.
    merged_into: Mapped[Ticket | None] = relationship(remote_side=[id], viewonly=True)
    cc: Mapped[list[TicketCC]] = relationship(
        back_populates="ticket", cascade="all, delete-orphan", order_by="TicketCC.id"
    )


class TicketCC(Base):
    """A person copied on a ticket: they get its customer-side mail and may read and reply."""

    __tablename__ = "ticketcore_ticket_cc"
    __table_args__ = (UniqueConstraint("ticket_id", "email_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("ticketcore_tickets.id", ondelete="CASCADE"))
    email: Mapped[str] = mapped_column(String(320))
    email_key: Mapped[str] = mapped_column(String(320), index=True)

    ticket: Mapped[Ticket] = relationship(back_populates="cc")


# Counters exist from the start: creating the row lazily would race between the first two tickets.
# `config` is the configuration version (`services.config_cache`).
event.listen(
    Counter.__table__,
    "after_create",
    DDL("INSERT INTO ticketcore_counters (name, value) VALUES ('ticket', 0), ('config', 0)"),  # type: ignore[no-untyped-call]
)
