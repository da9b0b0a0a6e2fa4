"""What agents keep beside the tickets: tasks linked to tickets, canned responses, saved queue
views, and the portal settings an admin changes at run time."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    ForeignKey,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .accounts import User
from .base import Base, UTCDateTime
from .teams import Team


class Task(Base):
    """A piece of work with a due date, linked to any number of tickets (and they to it)."""

    __tablename__ = "ticketcore_tasks"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    due_on: Mapped[date | None] = mapped_column(Date, index=True)
    done: Mapped[bool] = mapped_column(Boolean, default=False)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("ticketcore_users.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())

    created_by: Mapped[User | None] = relationship()
    links: Mapped[list[TicketTask]] = relationship(
        back_populates="task", cascade="all, delete-orphan"
    )


class TicketTask(Base):
    __tablename__ = "ticketcore_ticket_tasks"

    ticket_id: Mapped[int] = mapped_column(
        ForeignKey("ticketcore_tickets.id", ondelete="CASCADE"), primary_key=True
    )
    task_id: Mapped[int] = mapped_column(
        ForeignKey("ticketcore_tasks.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    linked_at: Mapped[datetime] = mapped_column(UTCDateTime())

    task: Mapped[Task] = relationship(back_populates="links")


class CannedResponse(Base):
    """A reply agents insert and adapt; `{customer_name}`-style placeholders are filled in.

    With a team it is offered to that team's members only; without one, to every agent.
    """

    __tablename__ = "ticketcore_canned_responses"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200), unique=True)
    body: Mapped[str] = mapped_column(Text)
    team_id: Mapped[int | None] = mapped_column(
        ForeignKey("ticketcore_teams.id", ondelete="CASCADE")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())

    team: Mapped[Team | None] = relationship()


class SavedView(Base):
    """An agent's named queue: the query string of filters, sort and view they chose."""

    __tablename__ = "ticketcore_saved_views"
    __table_args__ = (UniqueConstraint("user_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("ticketcore_users.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(100))
    query: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class SiteSetting(Base):
    """A portal setting an admin changed in the administration screens; it overrides the value
    from the environment or code until removed."""

    __tablename__ = "ticketcore_site_settings"

    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    value: Mapped[Any] = mapped_column(JSON)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
