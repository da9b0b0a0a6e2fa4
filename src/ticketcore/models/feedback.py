"""A customer's rating of how their resolved ticket was handled: one per ticket."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, Text
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, UTCDateTime


class Feedback(Base):
    __tablename__ = "ticketcore_feedback"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Unique: a ticket is rated once, even if two tabs submit at the same moment.
    ticket_id: Mapped[int] = mapped_column(
        ForeignKey("ticketcore_tickets.id", ondelete="CASCADE"), unique=True
    )
    author_id: Mapped[int | None] = mapped_column(
        ForeignKey("ticketcore_users.id", ondelete="SET NULL")
    )
    rating: Mapped[int] = mapped_column(Integer)  # 1 (poor) to 5 (excellent)
    comment: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
