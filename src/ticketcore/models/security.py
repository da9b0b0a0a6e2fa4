"""Records the portal's security rules need: failed logins (for rate limiting) and the secure
data customers send (stored encrypted, shown to staff only on an explicit, audited click)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .accounts import User
from .base import Base, UTCDateTime


class LoginFailure(Base):
    """One failed login, counted per key: `account:<email>` and `address:<ip>`."""

    __tablename__ = "ticketcore_login_failures"
    __table_args__ = (Index("ix_ticketcore_login_failures_key_at", "key", "failed_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(400))
    failed_at: Mapped[datetime] = mapped_column(UTCDateTime())


class SecureData(Base):
    """A secret a customer sent on a ticket; `ciphertext` is a Fernet token, None once purged."""

    __tablename__ = "ticketcore_secure_data"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(
        ForeignKey("ticketcore_tickets.id", ondelete="CASCADE"), index=True
    )
    author_id: Mapped[int | None] = mapped_column(
        ForeignKey("ticketcore_users.id", ondelete="SET NULL")
    )
    label: Mapped[str] = mapped_column(String(200))
    ciphertext: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    purged_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    author: Mapped[User | None] = relationship()
