"""SLA configuration (calendars, policies) and the record of SLA warnings already given."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..workflow import Priority
from .base import Base, IntEnumType, StrEnumType, UTCDateTime


class SlaState(enum.StrEnum):
    ON_TRACK = "on_track"
    AT_RISK = "at_risk"
    BREACHED = "breached"


class Calendar(Base):
    """Opening hours and holidays, stored as the definition `BusinessCalendar.from_dict` reads."""

    __tablename__ = "ticketcore_calendars"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    slug: Mapped[str] = mapped_column(String(200), unique=True)
    definition: Mapped[dict[str, Any]] = mapped_column(JSON)
    # Bumped on every change, so cached BusinessCalendar objects know when they are stale.
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class SlaPolicy(Base):
    """Targets for the tickets it matches: the first match by `position` wins, else the default.

    A condition left empty (priority, team, organization) matches every ticket.
    """

    __tablename__ = "ticketcore_sla_policies"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    slug: Mapped[str] = mapped_column(String(200), unique=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    is_default: Mapped[bool] = mapped_column(Boolean, default=False)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    priority: Mapped[Priority | None] = mapped_column(IntEnumType(Priority))
    team_id: Mapped[int | None] = mapped_column(
        ForeignKey("ticketcore_teams.id", ondelete="CASCADE")
    )
    organization_id: Mapped[int | None] = mapped_column(
        ForeignKey("ticketcore_organizations.id", ondelete="CASCADE")
    )
    first_response_minutes: Mapped[int | None] = mapped_column(Integer)
    resolution_minutes: Mapped[int | None] = mapped_column(Integer)
    calendar_id: Mapped[int | None] = mapped_column(
        ForeignKey("ticketcore_calendars.id", ondelete="RESTRICT")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    calendar: Mapped[Calendar | None] = relationship()


class SlaEvent(Base):
    """A warning already given: the unique key makes `sla_at_risk`/`sla_breached` fire once per
    ticket and target, even when two checkers run at the same time."""

    __tablename__ = "ticketcore_sla_events"
    __table_args__ = (UniqueConstraint("ticket_id", "target", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("ticketcore_tickets.id", ondelete="CASCADE"))
    target: Mapped[str] = mapped_column(String(20))  # response, resolution
    kind: Mapped[SlaState] = mapped_column(StrEnumType(SlaState, 20))  # at_risk, breached
    due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
