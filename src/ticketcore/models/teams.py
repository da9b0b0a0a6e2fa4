"""Teams (departments) of agents; a ticket belongs to one team."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .accounts import User
from .base import Base, UTCDateTime


class Team(Base):
    __tablename__ = "ticketcore_teams"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    slug: Mapped[str] = mapped_column(String(200), unique=True)
    # New tickets that name no team land in the default one (at most one team has the flag).
    is_default: Mapped[bool] = mapped_column(Boolean, default=False)
    # Round-robin pointer: the agent who got this team's last automatic assignment.
    last_assigned_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("ticketcore_users.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    memberships: Mapped[list[TeamMember]] = relationship(
        back_populates="team", cascade="all, delete-orphan"
    )


class TeamMember(Base):
    __tablename__ = "ticketcore_team_members"
    __table_args__ = (UniqueConstraint("team_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("ticketcore_teams.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(
        ForeignKey("ticketcore_users.id", ondelete="CASCADE"), index=True
    )

    team: Mapped[Team] = relationship(back_populates="memberships")
    user: Mapped[User] = relationship()
