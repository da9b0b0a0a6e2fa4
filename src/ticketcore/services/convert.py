"""ORM rows to output snapshots, hiding what the viewing actor may not see."""

from __future__ import annotations

from typing import Any, Literal, NamedTuple

from ..models import (
    Attachment,
    Message,
    Organization,
    Role,
    Team,
    TemplateField,
    TicketTemplate,
    User,
)
from ..models.tickets import Ticket
from ..permissions import Actor
from ..schemas import (
    AttachmentOut,
    MessageOut,
    OrganizationOut,
    PersonRef,
    TeamOut,
    TemplateFieldOut,
    TemplateOut,
    TicketOut,
    TicketSummary,
    UserOut,
)


def user_out(user: User) -> UserOut:
    return UserOut.model_validate(user)


def person(user: User | SummaryPerson | None, *, show_email: bool) -> PersonRef | None:
    if user is None:
        return None
    return PersonRef(
        id=user.id, display_name=user.display_name, email=user.email if show_email else None
    )


def shows_email(actor: Actor, ticket: Any, user: User | SummaryPerson | None) -> bool:
    """Staff see addresses; a customer sees their own and their organization's, never a stranger's
    on a public ticket."""
    if actor.is_staff or user is None:
        return True
    if user.id == actor.user_id:
        return True
    if user.role is not Role.CUSTOMER:
        return False
    return actor.organization_id is not None and ticket.organization_id == actor.organization_id


class SeenTicket(NamedTuple):
    """What a read of a ticket's messages, rating or tasks needs of the ticket itself."""

    id: int
    organization_id: int | None


class SummaryPerson(NamedTuple):
    """What a summary shows of its requester or assignee, read as columns of a list's row."""

    id: int
    display_name: str
    email: str
    role: Role


def summary_from_row(actor: Actor, row: Any) -> TicketSummary:
    """A list row (`listing.summaries`): the ticket's columns under their own names, and its
    people, team and organization as `requester_*`, `assignee_*`, `team_name` and
    `organization_name`."""
    requester = SummaryPerson(
        row.requester_id, row.requester_name, row.requester_email, row.requester_role
    )
    assignee = (
        None
        if row.assignee_id is None
        else SummaryPerson(
            row.assignee_id, row.assignee_name, row.assignee_email, row.assignee_role
        )
    )
    return TicketSummary(
        **_summary_fields(actor, row, requester, assignee, row.organization_name, row.team_name)
    )


def _summary_fields(
    actor: Actor,
    ticket: Any,
    requester: User | SummaryPerson,
    assignee: User | SummaryPerson | None,
    organization_name: str | None,
    team_name: str | None,
) -> dict[str, Any]:
    """The fields of a summary, from a `Ticket` or from a list's row of the same names."""
    return {
        "id": ticket.id,
        "number": ticket.number,
        "track_id": ticket.track_id,
        "subject": ticket.subject,
        "kind": ticket.kind,
        "conversation_type": ticket.conversation_type,
        "awaited_document": ticket.awaited_document,
        "document_received_at": ticket.document_received_at,
        "status": ticket.status,
        "status_group": ticket.status.group,
        "priority": ticket.priority,
        "is_public": ticket.is_public,
        "requester": person(requester, show_email=shows_email(actor, ticket, requester)),
        "organization_name": organization_name,
        "team_name": team_name,
        "assignee": person(assignee, show_email=actor.is_staff),
        "created_at": ticket.created_at,
        "updated_at": ticket.updated_at,
        "last_reply_at": ticket.last_reply_at,
        "last_reply_by": ticket.last_reply_by.value,
        "reply_count": ticket.reply_count,
        "response_by": ticket.response_by,
        "resolution_by": ticket.resolution_by,
        "sla_state": ticket.sla_state.value if ticket.sla_state else None,
        "sla_paused": ticket.sla_paused_at is not None,
    }


def ticket_out(actor: Actor, ticket: Ticket) -> TicketOut:
    return TicketOut(
        **_summary_fields(
            actor,
            ticket,
            ticket.requester,
            ticket.assignee,
            ticket.organization.name if ticket.organization else None,
            ticket.team.name if ticket.team else None,
        ),
        organization_id=ticket.organization_id,
        team_id=ticket.team_id,
        template_id=ticket.template_id,
        template_name=ticket.template.name if ticket.template else None,
        custom_fields=dict(ticket.custom_fields or {}),
        cc=[cc.email for cc in ticket.cc] if _sees_cc(actor, ticket) else [],
        first_response_at=ticket.first_response_at,
        resolved_at=ticket.resolved_at,
        closed_at=ticket.closed_at,
        note_count=ticket.note_count if actor.is_staff else None,
        merged_into_track_id=ticket.merged_into.track_id if ticket.merged_into else None,
    )


def _sees_cc(actor: Actor, ticket: Ticket) -> bool:
    return actor.is_staff or shows_email(actor, ticket, ticket.requester)


def attachment_out(attachment: Attachment) -> AttachmentOut:
    return AttachmentOut.model_validate(attachment)


def message_out(actor: Actor, ticket: Ticket | SeenTicket, message: Message) -> MessageOut:
    author = message.author
    kind: Literal["customer_reply", "agent_reply", "internal_note"]
    if message.is_internal:
        kind = "internal_note"
    elif author is not None and author.role.is_staff:
        kind = "agent_reply"
    else:
        kind = "customer_reply"
    return MessageOut(
        id=message.id,
        ticket_id=message.ticket_id,
        author=person(author, show_email=shows_email(actor, ticket, author)),
        kind=kind,
        is_internal=message.is_internal,
        source=message.source.value,
        body=message.body,
        body_html=message.body_html,
        email_message_id=message.email_message_id if actor.is_staff else None,
        created_at=message.created_at,
        attachments=[attachment_out(a) for a in message.attachments],
    )


def organization_out(org: Organization) -> OrganizationOut:
    return OrganizationOut(
        id=org.id,
        name=org.name,
        slug=org.slug,
        domains=[d.domain for d in org.domains],
        staff_ids=[s.user_id for s in org.staff],
    )


def team_out(team: Team) -> TeamOut:
    return TeamOut(
        id=team.id,
        name=team.name,
        slug=team.slug,
        is_default=team.is_default,
        member_ids=sorted(m.user_id for m in team.memberships),
    )


def template_out(template: TicketTemplate) -> TemplateOut:
    return TemplateOut(
        id=template.id,
        name=template.name,
        slug=template.slug,
        description=template.description,
        is_active=template.is_active,
        fields=[TemplateFieldOut(**field_values(f)) for f in template.fields],
    )


def field_values(field: TemplateField) -> dict[str, Any]:
    """A custom field as its output models show it (the admin page's adds the id)."""
    return {
        "key": field.key,
        "label": field.label,
        "type": field.type.value,
        "required": field.required,
        "help_text": field.help_text,
        "options": list(field.options or []),
    }
