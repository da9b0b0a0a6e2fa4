"""Ticket lists and counts for both portals, with a fixed number of SQL statements per page."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, UnaryExpression, case, false, func, or_, select
from sqlalchemy.orm import Session, aliased

from ..db import seldom
from ..models import Message, Organization, Team, TeamMember, Ticket, User
from ..permissions import Actor, message_visibility, organization_ticket, own_ticket
from ..schemas import Page, StatusCounts, TicketQuery, TicketSummary
from ..settings import Settings
from ..trackid import normalize_track_id
from ..workflow import Status, StatusGroup
from .convert import summary_from_row

_SORT_COLUMNS = {
    "last_reply": Ticket.last_reply_at,
    "created": Ticket.created_at,
    "updated": Ticket.updated_at,
    "priority": Ticket.priority,
    "due": Ticket.resolution_by,
}


# A list row: the columns a summary shows, with its people, team and organization by name.
# Read as plain rows, not as tickets with their related objects: building those was most of a
# list page's time in the database layer, for 25 rows.
_REQUESTER = aliased(User, name="requester")
_ASSIGNEE = aliased(User, name="assignee")
_SUMMARY_COLUMNS: tuple[Any, ...] = (
    Ticket.id,
    Ticket.number,
    Ticket.track_id,
    Ticket.subject,
    Ticket.kind,
    Ticket.conversation_type,
    Ticket.awaited_document,
    Ticket.document_received_at,
    Ticket.status,
    Ticket.priority,
    Ticket.is_public,
    Ticket.organization_id,
    Ticket.created_at,
    Ticket.updated_at,
    Ticket.last_reply_at,
    Ticket.last_reply_by,
    Ticket.reply_count,
    Ticket.response_by,
    Ticket.resolution_by,
    Ticket.sla_state,
    Ticket.sla_paused_at,
    _REQUESTER.id.label("requester_id"),
    _REQUESTER.display_name.label("requester_name"),
    _REQUESTER.email.label("requester_email"),
    _REQUESTER.role.label("requester_role"),
    _ASSIGNEE.id.label("assignee_id"),
    _ASSIGNEE.display_name.label("assignee_name"),
    _ASSIGNEE.email.label("assignee_email"),
    _ASSIGNEE.role.label("assignee_role"),
    Team.name.label("team_name"),
    Organization.name.label("organization_name"),
)


def filters(
    actor: Actor,
    settings: Settings,
    visibility: ColumnElement[bool],
    query: TicketQuery,
    *,
    with_status: bool = True,
) -> list[ColumnElement[bool]]:
    """The WHERE conditions of `query` for `actor`: `visibility`, then each filter it sets."""
    where: list[ColumnElement[bool]] = [visibility]
    if query.scope == "mine":
        where.append(own_ticket(actor))
    elif query.scope == "organization":
        where.append(organization_ticket(actor, settings))
    elif query.scope == "public":
        where.append(Ticket.is_public.is_(True) if settings.public_tickets else false())
    elif query.scope == "my_teams":
        where.append(in_my_teams(actor))
    if with_status:
        if query.status_group is StatusGroup.CLOSED:
            where.append(Ticket.status.in_(query.status_group.statuses))
        elif query.status_group is not None:  # the open ones: a few tickets in a hundred
            where.append(seldom(Ticket.status.in_(query.status_group.statuses)))
        if query.status:
            where.append(Ticket.status.in_(query.status))
    if query.priority:
        where.append(Ticket.priority.in_(query.priority))
    if query.team is not None:
        where.append(Ticket.team_id == query.team)
    if query.assignee == "none":
        where.append(Ticket.assignee_id.is_(None))
    elif query.assignee == "me":  # the system is nobody: it holds no tickets (not "unassigned")
        where.append(Ticket.assignee_id == actor.user_id if actor.user_id else false())
    elif query.assignee is not None:
        where.append(Ticket.assignee_id == query.assignee)
    if query.organization is not None:
        where.append(Ticket.organization_id == query.organization)
    if query.requester is not None:
        where.append(Ticket.requester_id == query.requester)
    if query.kind is not None:
        where.append(Ticket.kind == query.kind)
    if query.sla_state:
        where.append(Ticket.sla_state.in_(query.sla_state))
    if query.created_from is not None:
        where.append(Ticket.created_at >= _utc_midnight(query.created_from))
    if query.created_to is not None:
        where.append(Ticket.created_at < _utc_midnight(query.created_to + timedelta(days=1)))
    if query.text:
        where.append(_text_match(actor, query.text))
    return where


def in_my_teams(actor: Actor) -> ColumnElement[bool]:
    """Tickets of the teams `actor` belongs to (none for customers, who are in no team)."""
    if actor.user_id is None:
        return false()
    return Ticket.team_id.in_(select(TeamMember.team_id).where(TeamMember.user_id == actor.user_id))


def _utc_midnight(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def _text_match(actor: Actor, text: str) -> ColumnElement[bool]:
    """Subject words, a track ID as a person types it, a ticket number (`1042` or `#1042`), or
    words in a message the actor may read (so customers never find a ticket by its notes)."""
    needle = text.lower()
    in_a_message = (
        select(Message.id)
        .where(
            Message.ticket_id == Ticket.id,
            message_visibility(actor),
            func.lower(Message.body).contains(needle, autoescape=True),
        )
        .exists()
    )
    options: list[ColumnElement[bool]] = [
        func.lower(Ticket.subject).contains(needle, autoescape=True),
        in_a_message,
    ]
    track_id = normalize_track_id(text)
    if track_id:
        options.append(Ticket.track_id == track_id)
    digits = text.strip().lstrip("#")
    if digits.isdigit() and len(digits) < 10:
        options.append(Ticket.number == int(digits))
    return or_(*options)


def _ordered(statement: Select[Any], query: TicketQuery) -> Select[Any]:
    order: list[UnaryExpression[Any]] = []
    if query.sort == "due":
        # Backends disagree on where NULLs sort (and MariaDB has no NULLS LAST): say it.
        order.append(case((Ticket.resolution_by.is_(None), 1), else_=0).asc())
    column = _SORT_COLUMNS[query.sort]
    order.append(column.desc() if query.descending else column.asc())
    if query.sort == "priority":  # equal priorities: the most recently active first
        order.append(Ticket.last_reply_at.desc())
    order.append(Ticket.id.desc() if query.descending else Ticket.id.asc())
    return statement.order_by(*order)


def page(
    session: Session,
    actor: Actor,
    settings: Settings,
    visibility: ColumnElement[bool],
    query: TicketQuery,
) -> Page[TicketSummary]:
    where = filters(actor, settings, visibility, query)
    total = session.scalar(select(func.count()).select_from(Ticket).where(*where)) or 0
    return Page[TicketSummary](
        items=summaries(session, actor, where, query),
        total=total,
        page=query.page,
        per_page=query.per_page,
    )


def summaries(
    session: Session,
    actor: Actor,
    where: Sequence[ColumnElement[bool]],
    query: TicketQuery,
) -> list[TicketSummary]:
    """The page `query` asks for of the tickets matching `where`, in one SQL statement.

    The page's ids are chosen first, in a derived table, and only those 25 tickets are joined
    to their requester, assignee, team and organization: joined before the sort, every
    matching ticket was (a thousand, for a team's open work), to keep 25 of them.
    """
    ids = (
        _ordered(select(Ticket.id).where(*where), query)
        .limit(query.per_page)
        .offset((query.page - 1) * query.per_page)
        .subquery("page_ids")
    )
    statement = (
        select(*_SUMMARY_COLUMNS)
        .select_from(ids)
        .join(Ticket, Ticket.id == ids.c.id)
        .join(_REQUESTER, _REQUESTER.id == Ticket.requester_id)
        .outerjoin(_ASSIGNEE, _ASSIGNEE.id == Ticket.assignee_id)
        .outerjoin(Team, Team.id == Ticket.team_id)
        .outerjoin(Organization, Organization.id == Ticket.organization_id)
    )
    rows = session.execute(_ordered(statement, query))
    return [summary_from_row(actor, row) for row in rows]


def counts(
    session: Session,
    actor: Actor,
    settings: Settings,
    visibility: ColumnElement[bool],
    query: TicketQuery,
) -> StatusCounts:
    where = filters(actor, settings, visibility, query, with_status=False)
    rows = session.execute(
        select(Ticket.status, func.count()).where(*where).group_by(Ticket.status)
    ).all()
    by_status = {status: 0 for status in Status}
    for status, count in rows:
        by_status[Status(status)] = count
    by_group = {group: 0 for group in StatusGroup}
    for status, count in by_status.items():
        by_group[status.group] += count
    return StatusCounts(by_status=by_status, by_group=by_group, total=sum(by_status.values()))
