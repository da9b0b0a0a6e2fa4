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
from .work import CannedResponse, SavedView, SiteSetting, Task, TicketTask

__all__ = [
    "Attachment",
    "AuditEvent",
    "Base",
    "Calendar",
    "CannedResponse",
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
    "SavedView",
    "SecureData",
    "SiteSetting",
    "SlaEvent",
    "SlaPolicy",
    "SlaState",
    "Task",
    "Team",
    "TeamMember",
    "TemplateField",
    "Ticket",
    "TicketCC",
    "TicketTask",
    "TicketTemplate",
    "User",
]
