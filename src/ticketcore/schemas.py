"""Pydantic models for what goes into a use case and what comes out of it.

Inputs are validated here (turned into `InvalidInput` with a message per field by `parse`);
outputs are plain snapshots, safe to hand to templates, JSON encoders and `after_*` hooks after
the session has closed.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, timedelta
from typing import Any, Generic, Literal, TypeVar

from email_validator import EmailNotValidError, validate_email
from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
)

from .errors import InvalidInput
from .workflow import Priority, Status, StatusGroup, TicketKind

SUBJECT_MAX = 200
BODY_MAX = 100_000
NAME_MAX = 200
MAX_CC = 20
AWAITED_DOCUMENT_MAX = 200

M = TypeVar("M", bound=BaseModel)


def normalize_email(value: str) -> str:
    """Validate an address and return its normalized form (no DNS look-up: offline sites work)."""
    try:
        return validate_email(value.strip(), check_deliverability=False).normalized
    except EmailNotValidError as exc:
        raise ValueError(str(exc)) from None


def email_key(email: str) -> str:
    """The case-insensitive identity of an address."""
    return email.lower()


def parse(model: type[M], data: M | Mapping[str, Any] | None, fields: Mapping[str, Any]) -> M:
    """Build `model` from an instance, a mapping and/or keyword fields; raise `InvalidInput`."""
    if isinstance(data, model) and not fields:
        return data
    values = dict(data.model_dump() if isinstance(data, BaseModel) else (data or {}))
    values.update(fields)
    try:
        return model.model_validate(values)
    except ValidationError as exc:
        errors: dict[str, list[str]] = {}
        for err in exc.errors():
            loc = err["loc"]
            key = str(loc[0]) if loc else ""
            message = err["msg"].removeprefix("Value error, ")
            if err["type"] == "extra_forbidden":
                message = "unknown field"
            errors.setdefault(key, []).append(message)
        raise InvalidInput(errors) from None


class Input(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class Output(BaseModel):
    model_config = ConfigDict(frozen=True, from_attributes=True)


# ---------------------------------------------------------------- inputs


class UploadedFile(Input):
    """A file as the web layer or an email parser received it; the name is sanitized on save."""

    model_config = ConfigDict(extra="forbid")

    filename: str = Field(max_length=1000)
    content: bytes
    content_type: str | None = None


class UserCreate(Input):
    email: str
    display_name: str = Field("", max_length=NAME_MAX)
    role: Literal["customer", "agent", "admin"] = "customer"
    password: str | None = Field(None, min_length=8, max_length=1000)
    organization: int | str | None = None  # id or slug; None: matched by email domain
    teams: list[int | str] = Field(default_factory=list)
    external_id: str | None = Field(None, max_length=200)
    timezone: str = Field("UTC", max_length=64)
    locale: str = Field("en", max_length=16)

    _email = field_validator("email")(lambda cls, v: normalize_email(v))


class OrganizationCreate(Input):
    name: str = Field(min_length=1, max_length=NAME_MAX)
    domains: list[str] = Field(default_factory=list)
    staff: list[int | str] = Field(default_factory=list)  # user ids or emails, in order

    _domains = field_validator("domains")(lambda cls, v: domain_names(v))


def domain_names(value: list[str]) -> list[str]:
    """Email domains as an organization lists them: lower case, without a leading `@`."""
    cleaned = []
    for domain in value:
        domain = domain.strip().lower().lstrip("@")
        if not domain or "." not in domain or " " in domain or "@" in domain:
            raise ValueError(f"{domain or 'empty'!r} is not a domain name")
        cleaned.append(domain)
    return cleaned


class TeamCreate(Input):
    name: str = Field(min_length=1, max_length=NAME_MAX)
    is_default: bool = False
    members: list[int | str] = Field(default_factory=list)  # user ids or emails


class FieldSpec(Input):
    key: str = Field(min_length=1, max_length=100, pattern=r"^[a-z][a-z0-9_]*$")
    label: str = Field(min_length=1, max_length=200)
    type: Literal["text", "long_text", "number", "select", "checkbox", "date"]
    required: bool = False
    help_text: str = Field("", max_length=500)
    options: list[str] = Field(default_factory=list)


class TemplateCreate(Input):
    name: str = Field(min_length=1, max_length=NAME_MAX)
    description: str = Field("", max_length=2000)
    fields: list[FieldSpec] = Field(default_factory=list)


class TicketCreate(Input):
    subject: str = Field(min_length=1, max_length=SUBJECT_MAX)
    body: str = Field(min_length=1, max_length=BODY_MAX)
    team: int | str | None = None  # id or slug
    priority: str | int | None = None
    template: int | str | None = None  # id or slug
    custom_fields: dict[str, Any] = Field(default_factory=dict)
    cc: list[str] = Field(default_factory=list, max_length=MAX_CC)
    attachments: list[UploadedFile] = Field(default_factory=list)
    is_public: bool = False
    requester: int | str | None = None  # staff only: user id or email
    assignee: int | str | None = None  # staff only; else the assignment rules decide
    kind: Literal["ticket", "conversation"] = "ticket"
    # Staff conversations only: None means "general"; a document request names what it awaits.
    conversation_type: Literal["general", "document_request"] | None = None
    awaited_document: str | None = Field(None, max_length=AWAITED_DOCUMENT_MAX)
    source: Literal["web", "email", "api"] = "web"
    email_message_id: str | None = Field(None, max_length=255)  # of the mail that opened it

    _cc = field_validator("cc")(lambda cls, v: [normalize_email(e) for e in v])


class GuestTicketCreate(TicketCreate):
    email: str
    display_name: str = Field("", max_length=NAME_MAX)

    _email = field_validator("email")(lambda cls, v: normalize_email(v))


class ReplyCreate(Input):
    body: str = Field(min_length=1, max_length=BODY_MAX)
    attachments: list[UploadedFile] = Field(default_factory=list)
    status: Status | None = None  # staff: the status to leave the ticket in
    source: Literal["web", "email", "api"] = "web"
    email_message_id: str | None = Field(None, max_length=255)
    # When the form was shown: refuse with `StaleTicket` if someone else acted since.
    unchanged_since: AwareDatetime | None = None


class TicketUpdate(Input):
    """Staff changes; only the fields given are touched. `assignee=0` unassigns."""

    status: Status | None = None
    priority: str | int | None = None
    team: int | str | None = None
    assignee: int | str | None = None
    custom_fields: dict[str, Any] | None = None
    subject: str | None = Field(None, min_length=1, max_length=SUBJECT_MAX)
    organization: int | str | None = None  # id or slug; 0 or "none" removes it
    # When the form was shown: refuse with `StaleTicket` if someone else acted since.
    unchanged_since: AwareDatetime | None = None


class TicketQuery(Input):
    """Filters, sort and page of a ticket list; every filter narrows the actor's visible set."""

    scope: Literal["visible", "mine", "organization", "public", "my_teams"] = "visible"
    status_group: StatusGroup | None = None
    status: list[Status] = Field(default_factory=list)
    priority: list[Priority] = Field(default_factory=list)
    team: int | None = None
    assignee: int | Literal["none", "me"] | None = None
    organization: int | None = None
    requester: int | None = None
    kind: TicketKind | None = None
    sla_state: list[Literal["on_track", "at_risk", "breached"]] = Field(default_factory=list)
    text: str = Field("", max_length=200)  # subject, track ID, number, or words in a message
    created_from: date | None = None  # UTC days, both ends included
    created_to: date | None = None
    # "due": soonest resolution deadline first (ascending); tickets without one always last.
    sort: Literal["last_reply", "created", "priority", "updated", "due"] = "last_reply"
    descending: bool = True
    page: int = Field(1, ge=1, le=100_000)
    per_page: int = Field(25, ge=1, le=100)

    @field_validator("created_to")
    @classmethod
    def _created_range(cls, value: date | None, info: ValidationInfo) -> date | None:
        start = info.data.get("created_from")
        if value is not None and start is not None and value < start:
            raise ValueError("must not be before the start date")
        return value

    @field_validator("priority", mode="before")
    @classmethod
    def _priorities(cls, value: Any) -> Any:
        items = value if isinstance(value, list | tuple) else [value]
        try:
            return [Priority.parse(v) for v in items]
        except (KeyError, ValueError):
            raise ValueError(
                "must be one of: " + ", ".join(p.name.lower() for p in Priority)
            ) from None


# ---------------------------------------------------------------- outputs


class UserOut(Output):
    id: int
    email: str
    display_name: str
    role: str
    organization_id: int | None
    external_id: str | None
    is_active: bool
    timezone: str
    locale: str
    created_at: datetime


class OrganizationOut(Output):
    id: int
    name: str
    slug: str
    domains: list[str]
    staff_ids: list[int]


class TeamOut(Output):
    id: int
    name: str
    slug: str
    is_default: bool
    member_ids: list[int]


class TemplateFieldOut(Output):
    key: str
    label: str
    type: str
    required: bool
    help_text: str
    options: list[str]


class TemplateOut(Output):
    id: int
    name: str
    slug: str
    description: str
    is_active: bool
    fields: list[TemplateFieldOut]


class AttachmentOut(Output):
    id: int
    message_id: int
    filename: str
    content_type: str
    size: int
    sha256: str


class PersonRef(Output):
    """A person as another user may see them; `email` is None where it must stay private."""

    id: int
    display_name: str
    email: str | None


class MessageOut(Output):
    id: int
    ticket_id: int
    author: PersonRef | None
    kind: Literal["customer_reply", "agent_reply", "internal_note"]
    is_internal: bool
    source: str
    body: str
    body_html: str
    email_message_id: str | None
    created_at: datetime
    attachments: list[AttachmentOut]


class TicketSummary(Output):
    """One row of a ticket list."""

    response_by: datetime | None
    resolution_by: datetime | None
    sla_state: str | None
    sla_paused: bool

    id: int
    number: int
    track_id: str
    subject: str
    kind: TicketKind
    conversation_type: Literal["general", "document_request"] | None
    awaited_document: str | None  # what a document request asks the customer to attach
    document_received_at: datetime | None
    status: Status
    status_group: StatusGroup
    priority: Priority
    is_public: bool
    requester: PersonRef
    organization_name: str | None
    team_name: str | None
    assignee: PersonRef | None
    created_at: datetime
    updated_at: datetime
    last_reply_at: datetime
    last_reply_by: str
    reply_count: int


class TicketOut(TicketSummary):
    """A ticket as its detail page shows it to the actor who asked."""

    organization_id: int | None
    team_id: int | None
    template_id: int | None
    template_name: str | None
    custom_fields: dict[str, Any]
    cc: list[str]
    first_response_at: datetime | None
    resolved_at: datetime | None
    closed_at: datetime | None
    note_count: int | None  # None for customers: they never learn notes exist
    merged_into_track_id: str | None  # set once this ticket was merged into another


class AuditOut(Output):
    id: int
    ticket_id: int
    actor_id: int | None
    actor_kind: str
    action: str
    field: str | None
    old_value: str | None
    new_value: str | None
    created_at: datetime


T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    items: list[T]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


class CalendarCreate(Input):
    name: str = Field(min_length=1, max_length=NAME_MAX)
    definition: dict[str, Any]


class CalendarOut(Output):
    id: int
    name: str
    slug: str
    definition: dict[str, Any]


class SlaPolicyCreate(Input):
    name: str = Field(min_length=1, max_length=NAME_MAX)
    first_response_minutes: int | None = Field(None, ge=0, le=10_000_000)
    resolution_minutes: int | None = Field(None, ge=0, le=10_000_000)
    calendar: int | str | None = None  # id or slug; None: around the clock (UTC)
    priority: str | int | None = None
    team: int | str | None = None
    organization: int | str | None = None
    is_default: bool = False
    position: int | None = None  # None: after the existing policies


class SlaPolicyOut(Output):
    id: int
    name: str
    slug: str
    position: int
    is_default: bool
    priority: Priority | None
    team_id: int | None
    organization_id: int | None
    first_response_minutes: int | None
    resolution_minutes: int | None
    calendar_id: int | None


class SlaCheckResult(Output):
    checked: int
    at_risk: int  # warnings given in this run
    breached: int


RATING_WORDS = {"excellent": 5, "good": 4, "fair": 3, "poor": 2}


class FeedbackCreate(Input):
    """A rating from 1 to 5 stars, or the words Excellent, Good, Fair, Poor (5, 4, 3, 2)."""

    rating: int = Field(ge=1, le=5)
    comment: str = Field("", max_length=5000)

    @field_validator("rating", mode="before")
    @classmethod
    def _words(cls, value: Any) -> Any:
        if isinstance(value, str) and value.strip().lower() in RATING_WORDS:
            return RATING_WORDS[value.strip().lower()]
        return value


class FeedbackOut(Output):
    ticket_id: int
    rating: int
    comment: str
    created_at: datetime


class CreatedTicket(Output):
    """What creating a ticket returns; `guest_token` is shown once (it opens the guest link)."""

    ticket: TicketOut
    guest_token: str | None = None


class StatusCounts(Output):
    by_status: dict[Status, int]
    by_group: dict[StatusGroup, int]
    total: int


# ---------------------------------------------------------------- canned responses, saved views, conversations

CANNED_BODY_MAX = 20_000
SAVED_VIEW_NAME_MAX = 100


class CannedResponseCreate(Input):
    title: str = Field(min_length=1, max_length=NAME_MAX)
    body: str = Field(min_length=1, max_length=CANNED_BODY_MAX)
    team: int | str | None = None  # id or slug; None (or ""): offered to every agent


class CannedResponseUpdate(Input):
    """Only the fields given change; `team=None` (or "") offers the response to every agent."""

    title: str | None = Field(None, min_length=1, max_length=NAME_MAX)
    body: str | None = Field(None, min_length=1, max_length=CANNED_BODY_MAX)
    team: int | str | None = None


class CannedResponseOut(Output):
    id: int
    title: str
    body: str
    team_id: int | None
    team_name: str | None
    created_at: datetime
    updated_at: datetime


class SavedViewCreate(Input):
    name: str = Field(min_length=1, max_length=SAVED_VIEW_NAME_MAX)
    query: dict[str, str | list[str]]  # query-string parameters of the ticket list


class SavedViewOut(Output):
    id: int
    name: str
    query: dict[str, str | list[str]]
    created_at: datetime


class ConversationCreate(Input):
    """A conversation staff start with a customer; `awaited_document` only for a document
    request, where it is required (checked with the ticket's other fields)."""

    customer: int | str  # id or email of a customer account
    subject: str = Field(min_length=1, max_length=SUBJECT_MAX)
    body: str = Field(min_length=1, max_length=BODY_MAX)
    type: Literal["general", "document_request"] = "general"
    awaited_document: str | None = Field(None, max_length=AWAITED_DOCUMENT_MAX)
    attachments: list[UploadedFile] = Field(default_factory=list)
    team: int | str | None = None  # id or slug; None: the default team


# ---------------------------------------------------------------- tasks

TASK_TITLE_MAX = 200


class TaskCreate(Input):
    title: str = Field(min_length=1, max_length=TASK_TITLE_MAX)
    due_on: date | None = None
    ticket: int | None = None  # linked at once; the actor must be allowed to change it


class TaskUpdate(Input):
    """Only the fields given are touched; `due_on=None` removes the due date."""

    title: str | None = Field(None, min_length=1, max_length=TASK_TITLE_MAX)
    due_on: date | None = None
    done: bool | None = None


class TaskTicketRef(Output):
    """A ticket a task is linked to, as a task list shows it."""

    id: int
    number: int
    track_id: str
    subject: str
    status: Status


class TaskOut(Output):
    """A task with the linked tickets the viewing agent may see (others are left out)."""

    id: int
    title: str
    due_on: date | None
    done: bool
    done_at: datetime | None
    overdue: bool  # not done and due before today (UTC)
    created_at: datetime
    created_by: PersonRef | None
    tickets: list[TaskTicketRef]


# ---------------------------------------------------------------- agent dashboard and bulk changes


class BulkTicketUpdate(Input):
    """The same change to many tickets; fields as in `TicketUpdate`, `close=True` closes them."""

    status: Status | None = None
    priority: str | int | None = None
    team: int | str | None = None
    assignee: int | str | None = None  # 0 or "none" unassigns
    close: bool = False


class DashboardQueue(Output):
    """How many tickets a dashboard panel holds, and the first few of them."""

    count: int
    tickets: list[TicketSummary]


class DashboardOut(Output):
    """An agent's dashboard; "today" and "this week" are days of the helpdesk's time zone."""

    pending: DashboardQueue  # active tickets where the customer spoke last, oldest first
    mine: DashboardQueue  # active tickets assigned to the agent, latest activity first
    unassigned_in_my_teams: DashboardQueue  # oldest first
    at_risk: DashboardQueue  # active, soonest resolution deadline first
    breached: DashboardQueue
    by_status: dict[Status, int]  # the unfinished tickets (open, in progress, pending) by status
    created_today: int
    resolved_today: int
    avg_first_response_week: timedelta | None  # tickets opened since Monday that got an answer


# ---------------------------------------------------------------- administration: templates, SLA, site settings


class TemplateFieldUpdate(FieldSpec):
    """A field of a template being edited; `id` names the field it was (its key may change)."""

    id: int | None = None


class TemplateUpdate(Input):
    """Only what is given changes; `fields` is the complete new list, in order."""

    name: str | None = Field(None, min_length=1, max_length=NAME_MAX)
    description: str | None = Field(None, max_length=2000)
    is_active: bool | None = None
    fields: list[TemplateFieldUpdate] | None = None


class TemplateFieldDetail(TemplateFieldOut):
    id: int


class TemplateDetail(Output):
    """A template as its administration page shows it: field ids and how many tickets use it."""

    id: int
    name: str
    slug: str
    description: str
    is_active: bool
    fields: list[TemplateFieldDetail]
    ticket_count: int


class SlaPolicyUpdate(Input):
    """Only the fields given change; None removes a target, a condition or the calendar.

    With `recalculate_open_tickets` the active tickets under this policy get new deadlines.
    """

    name: str | None = Field(None, min_length=1, max_length=NAME_MAX)
    first_response_minutes: int | None = Field(None, ge=0, le=10_000_000)
    resolution_minutes: int | None = Field(None, ge=0, le=10_000_000)
    calendar: int | str | None = None
    priority: str | int | None = None
    team: int | str | None = None
    organization: int | str | None = None
    is_default: bool | None = None
    recalculate_open_tickets: bool = False


class CalendarUpdate(Input):
    """With `recalculate_open_tickets` the active tickets whose policy uses the calendar get new
    deadlines; otherwise they keep the ones they had."""

    name: str | None = Field(None, min_length=1, max_length=NAME_MAX)
    definition: dict[str, Any] | None = None
    recalculate_open_tickets: bool = False


class CalendarDetail(CalendarOut):
    version: int
    policy_names: list[str]  # the active policies that use it


class SiteSettingOut(Output):
    """One portal setting: its value now, and where that value comes from."""

    name: str
    value: Any
    source: Literal["default", "environment", "changed"]
    default: Any  # the value in ticketcore's code
    configured: Any  # the value without the change made here (environment or host code)
    description: str
    updated_at: datetime | None  # when it was changed here


# ---------------------------------------------------------------- administration: teams, organizations, users

USER_SEARCH_MAX = 200


class TeamUpdate(Input):
    """Only the fields given change; `members` replaces the whole member set."""

    name: str | None = Field(None, min_length=1, max_length=NAME_MAX)
    is_default: bool | None = None
    members: list[int | str] | None = None  # user ids or emails


class OrganizationUpdate(Input):
    """Only the fields given change; `domains` and `staff` replace the whole list."""

    name: str | None = Field(None, min_length=1, max_length=NAME_MAX)
    domains: list[str] | None = None
    staff: list[int | str] | None = None  # user ids or emails; the first gets new tickets

    @field_validator("domains")
    @classmethod
    def _domains(cls, value: list[str] | None) -> list[str] | None:
        return None if value is None else domain_names(value)


class UserUpdate(Input):
    """An administrator's change to an account; only the fields given change.
    `organization=0` (or "none") takes the user out of their organization."""

    role: Literal["customer", "agent", "admin"] | None = None
    organization: int | str | None = None  # id or slug
    is_active: bool | None = None


class UserSearch(Input):
    text: str = Field("", max_length=USER_SEARCH_MAX)  # part of the name or the email
    role: Literal["customer", "agent", "admin"] | None = None
    page: int = Field(1, ge=1, le=100_000)
    per_page: int = Field(25, ge=1, le=100)


class InvitationCreate(Input):
    email: str
    display_name: str = Field("", max_length=NAME_MAX)
    role: Literal["customer", "agent", "admin"] = "agent"
    teams: list[int | str] = Field(default_factory=list)  # ids or slugs; staff only
    organization: int | str | None = None  # id or slug; None: matched by email domain

    _email = field_validator("email")(lambda cls, v: normalize_email(v))


class UserAdminOut(UserOut):
    """A user as the administration screens list them."""

    has_password: bool  # False: invited and not accepted yet, or created by a guest ticket/email
    email_verified: bool
    team_ids: list[int]
