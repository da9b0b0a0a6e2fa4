"""People: customers, agents and admins, and the organizations customers belong to."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, StrEnumType, UTCDateTime


class Role(enum.StrEnum):
    CUSTOMER = "customer"
    AGENT = "agent"
    ADMIN = "admin"

    @property
    def is_staff(self) -> bool:
        return self is not Role.CUSTOMER


class Organization(Base):
    """A customer company. Users whose email domain is listed join it when created."""

    __tablename__ = "ticketcore_organizations"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    slug: Mapped[str] = mapped_column(String(200), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    domains: Mapped[list[OrganizationDomain]] = relationship(
        back_populates="organization",
        cascade="all, delete-orphan",
        order_by="OrganizationDomain.domain",
    )
    staff: Mapped[list[OrganizationStaff]] = relationship(
        back_populates="organization",
        cascade="all, delete-orphan",
        order_by="[OrganizationStaff.position, OrganizationStaff.id]",
    )


class OrganizationDomain(Base):
    __tablename__ = "ticketcore_organization_domains"

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(
        ForeignKey("ticketcore_organizations.id", ondelete="CASCADE"), index=True
    )
    domain: Mapped[str] = mapped_column(String(253), unique=True)

    organization: Mapped[Organization] = relationship(back_populates="domains")


class OrganizationStaff(Base):
    """Agents assigned to an organization, in order: the first active one gets its new tickets."""

    __tablename__ = "ticketcore_organization_staff"
    __table_args__ = (UniqueConstraint("organization_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(
        ForeignKey("ticketcore_organizations.id", ondelete="CASCADE")
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("ticketcore_users.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer, default=0)

    organization: Mapped[Organization] = relationship(back_populates="staff")
    user: Mapped[User] = relationship()


class User(Base):
    __tablename__ = "ticketcore_users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(320))
    # Lower-cased email: the uniqueness key, so "Ann@X.com" and "ann@x.com" are one account.
    email_key: Mapped[str] = mapped_column(String(320), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    role: Mapped[Role] = mapped_column(StrEnumType(Role, 20), index=True)
    organization_id: Mapped[int | None] = mapped_column(
        ForeignKey("ticketcore_organizations.id", ondelete="SET NULL"), index=True
    )
    external_id: Mapped[str | None] = mapped_column(String(200), unique=True)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    password_hash: Mapped[str | None] = mapped_column(String(255))
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    locale: Mapped[str] = mapped_column(String(16), default="en")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # None until the owner follows the verification link (when verification is switched on).
    email_verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Changing it voids reset links and other sessions signed before it.
    password_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Base32 TOTP secret; set only once the owner confirmed a code from their app.
    totp_secret: Mapped[str | None] = mapped_column(String(64))
    # Which emails the owner wants, e.g. {"replies": True, "status": False}; missing keys: yes.
    notification_preferences: Mapped[dict[str, Any] | None] = mapped_column(JSON)

    organization: Mapped[Organization | None] = relationship()
