"""SQLAlchemy models, one module per aggregate; importing this package registers every table."""

from .accounts import Organization, OrganizationDomain, OrganizationStaff, Role, User
from .audit import AuditEvent
from .base import Base
from .feedback import Feedback
from .messages import Attachment, Message, MessageSource
from .notifications import InboundMail, InboundStatus, OutboxMessage, OutboxStatus
from .security import LoginFailure, SecureData
from .sla import Calendar, SlaEvent, SlaPolicy, SlaState
from .teams import Team, TeamMember
from .templates import FieldType, TemplateField, TicketTemplate
from .tickets import Counter, ReplySide, Ticket, TicketCC

__all__ = [
    "Attachment",
    "AuditEvent",
    "Base",
    "Calendar",
    "Counter",
    "Feedback",
    "FieldType",
    "InboundMail",
    "InboundStatus",
    "LoginFailure",
    "Message",
    "MessageSource",
    "Organization",
    "OrganizationDomain",
    "OrganizationStaff",
    "OutboxMessage",
    "OutboxStatus",
    "ReplySide",
    "Role",
    "SecureData",
    "SlaEvent",
    "SlaPolicy",
    "SlaState",
    "Team",
    "TeamMember",
    "TemplateField",
    "Ticket",
    "TicketCC",
    "TicketTemplate",
    "User",
]
