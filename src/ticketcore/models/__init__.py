"""SQLAlchemy models, one module per aggregate; importing this package registers every table."""

from .accounts import Organization, OrganizationDomain, OrganizationStaff, Role, User
from .audit import AuditEvent
from .base import Base
from .feedback import Feedback
from .kb import (
    ArticleStatus,
    Audience,
    KbArticle,
    KbArticleTag,
    KbCategory,
    KbOldSlug,
    KbRelated,
    KbSuggestion,
    KbViewCount,
    KbVote,
    SuggestionOutcome,
)
from .messages import Attachment, Message, MessageSource
from .notifications import InboundMail, InboundStatus, OutboxMessage, OutboxStatus
from .security import LoginFailure, SecureData
from .sla import Calendar, SlaEvent, SlaPolicy, SlaState
from .teams import Team, TeamMember
from .templates import FieldType, TemplateField, TicketTemplate
from .tickets import Counter, ReplySide, Ticket, TicketCC
from .work import CannedResponse, SavedView, SiteSetting, Task, TicketTask

__all__ = [
    "ArticleStatus",
    "Attachment",
    "Audience",
    "AuditEvent",
    "Base",
    "Calendar",
    "CannedResponse",
    "Counter",
    "Feedback",
    "FieldType",
    "InboundMail",
    "InboundStatus",
    "KbArticle",
    "KbArticleTag",
    "KbCategory",
    "KbOldSlug",
    "KbRelated",
    "KbSuggestion",
    "KbViewCount",
    "KbVote",
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
    "SuggestionOutcome",
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
