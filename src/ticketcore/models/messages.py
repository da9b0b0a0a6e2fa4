"""The conversation thread of a ticket: messages, internal notes and their attachments."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.dialects import mysql
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .accounts import User
from .base import Base, StrEnumType, UTCDateTime

if TYPE_CHECKING:
    from .tickets import Ticket

LongText = Text().with_variant(mysql.MEDIUMTEXT(), "mysql", "mariadb")


class MessageSource(enum.StrEnum):
    WEB = "web"
    EMAIL = "email"
    API = "api"


class Message(Base):
    __tablename__ = "ticketcore_messages"
    __table_args__ = (Index("ix_ticketcore_messages_ticket_created", "ticket_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("ticketcore_tickets.id", ondelete="CASCADE"))
    author_id: Mapped[int | None] = mapped_column(
        ForeignKey("ticketcore_users.id", ondelete="SET NULL"), index=True
    )
    # Internal notes are for staff only: never shown, counted or mailed to a customer.
    is_internal: Mapped[bool] = mapped_column(Boolean, default=False)
    source: Mapped[MessageSource] = mapped_column(
        StrEnumType(MessageSource, 10), default=MessageSource.WEB
    )
    # MariaDB's TEXT stops at 64 KB; a 100,000-character message needs MEDIUMTEXT there.
    body: Mapped[str] = mapped_column(LongText)  # as written: plain text / Markdown
    body_html: Mapped[str] = mapped_column(LongText)  # rendered once, sanitized
    email_message_id: Mapped[str | None] = mapped_column(String(255), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    # Set instead of ticket_id when the ticket is new: its row and the first message's are
    # written in one flush, the ticket's first.
    ticket: Mapped[Ticket] = relationship()
    author: Mapped[User | None] = relationship()
    attachments: Mapped[list[Attachment]] = relationship(
        back_populates="message", order_by="Attachment.id"
    )


class Attachment(Base):
    __tablename__ = "ticketcore_attachments"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Kept beside message_id so permission checks scope by ticket without a join.
    ticket_id: Mapped[int] = mapped_column(
        ForeignKey("ticketcore_tickets.id", ondelete="CASCADE"), index=True
    )
    message_id: Mapped[int] = mapped_column(
        ForeignKey("ticketcore_messages.id", ondelete="CASCADE"), index=True
    )
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(255))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    storage_key: Mapped[str] = mapped_column(String(255), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    ticket: Mapped[Ticket] = relationship()
    message: Mapped[Message] = relationship(back_populates="attachments")
