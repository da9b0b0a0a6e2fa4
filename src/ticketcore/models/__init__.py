"""SQLAlchemy models, one module per aggregate; importing this package registers every table."""

from .accounts import Organization, OrganizationDomain, OrganizationStaff, Role, User
from .audit import AuditEvent
from .base import Base
from .messages import Attachment, Message, MessageSource
from .teams import Team, TeamMember
from .templates import FieldType, TemplateField, TicketTemplate
from .tickets import Counter, ReplySide, Ticket, TicketCC

__all__ = [
    "Attachment",
    "AuditEvent",
    "Base",
    "Counter",
    "FieldType",
    "Message",
    "MessageSource",
    "Organization",
    "OrganizationDomain",
    "OrganizationStaff",
    "ReplySide",
    "Role",
    "Team",
    "TeamMember",
    "TemplateField",
    "Ticket",
    "TicketCC",
    "TicketTemplate",
    "User",
]
