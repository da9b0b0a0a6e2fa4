"""The outbox (every email to send, written in the transaction that caused it) and the log of
inbound email (every message received, matched, refused or broken, kept for inspection)."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, LargeBinary, String, Text
from sqlalchemy.dialects import mysql
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, StrEnumType, UTCDateTime


class OutboxStatus(enum.StrEnum):
    PENDING = "pending"
    SENDING = "sending"  # claimed by a worker until `next_attempt_at` (its lease) passes
    SENT = "sent"
    FAILED = "failed"  # gave up after the configured number of attempts; can be retried


class OutboxMessage(Base):
    """One email to one recipient, rendered when the change happened."""

    __tablename__ = "ticketcore_outbox"
    __table_args__ = (
        Index("ix_ticketcore_outbox_status_next_attempt", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event: Mapped[str] = mapped_column(String(50))
    ticket_id: Mapped[int | None] = mapped_column(
        ForeignKey("ticketcore_tickets.id", ondelete="CASCADE"), index=True
    )
    message_id: Mapped[int | None] = mapped_column(
        ForeignKey("ticketcore_messages.id", ondelete="SET NULL")
    )
    recipient: Mapped[str] = mapped_column(String(320))
    recipient_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("ticketcore_users.id", ondelete="SET NULL")
    )
    # The email as it will be sent: Message-ID is fixed now, so a retry is the same message.
    email_message_id: Mapped[str] = mapped_column(String(255), unique=True)
    subject: Mapped[str] = mapped_column(String(998))
    body_text: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str | None] = mapped_column(Text)
    headers: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    status: Mapped[OutboxStatus] = mapped_column(
        StrEnumType(OutboxStatus, 20), default=OutboxStatus.PENDING
    )
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class InboundStatus(enum.StrEnum):
    ADDED = "added"  # became a message on an existing ticket
    CREATED = "created"  # opened a new ticket
    DUPLICATE = "duplicate"  # this Message-ID was stored before
    REJECTED = "rejected"  # sender may not reply, auto-reply, bounce, too large…
    MALFORMED = "malformed"  # could not be parsed; kept for inspection


class InboundMail(Base):
    __tablename__ = "ticketcore_inbound_mail"

    id: Mapped[int] = mapped_column(primary_key=True)
    email_message_id: Mapped[str | None] = mapped_column(String(255), index=True)
    sender: Mapped[str | None] = mapped_column(String(320))
    subject: Mapped[str | None] = mapped_column(String(998))
    status: Mapped[InboundStatus] = mapped_column(StrEnumType(InboundStatus, 20))
    reason: Mapped[str | None] = mapped_column(Text)
    ticket_id: Mapped[int | None] = mapped_column(
        ForeignKey("ticketcore_tickets.id", ondelete="SET NULL")
    )
    message_id: Mapped[int | None] = mapped_column(
        ForeignKey("ticketcore_messages.id", ondelete="SET NULL")
    )
    raw: Mapped[bytes | None] = mapped_column(
        LargeBinary().with_variant(mysql.LONGBLOB(), "mysql", "mariadb")  # a whole email
    )
    received_at: Mapped[datetime] = mapped_column(UTCDateTime())
