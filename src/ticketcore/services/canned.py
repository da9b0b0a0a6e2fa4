"""Canned responses: replies agents insert, with placeholders filled from the ticket."""

from __future__ import annotations

import builtins
import re
from collections.abc import Mapping
from typing import Any

from sqlalchemy import ColumnElement, func, or_, select, true
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from ..errors import InvalidInput, NotFound, PermissionDenied
from ..models import CannedResponse, Team, TeamMember, Ticket, User
from ..notify.render import ticket_url
from ..permissions import Actor, ActorKind
from ..schemas import CannedResponseCreate, CannedResponseOut, CannedResponseUpdate, parse
from ..settings import Settings
from .base import Service, find_team

# What `render` fills in, for the editor's help text (plain English; the portal translates it).
PLACEHOLDERS: dict[str, str] = {
    "customer_name": "The customer's name",
    "customer_first_name": "The first word of the customer's name",
    "customer_email": "The customer's email address",
    "track_id": "The ticket's track ID",
    "ticket_number": "The ticket's number",
    "subject": "The ticket's subject",
    "agent_name": "Your name",
    "team_name": "The ticket's team",
    "site_name": "The name of the support desk",
    "ticket_url": "The link to the ticket in the customer portal",
}

# Only known names are replaced: other braces (code, JSON, "{not a placeholder}") stay as written.
_PLACEHOLDER = re.compile(r"\{(" + "|".join(PLACEHOLDERS) + r")\}")


class CannedResponseService(Service):
    def create(
        self,
        actor: Actor,
        data: CannedResponseCreate | Mapping[str, Any] | None = None,
        **fields: Any,
    ) -> CannedResponseOut:
        _require_manager(actor)
        values = parse(CannedResponseCreate, data, fields)
        with self.transaction() as uow:
            session = uow.session
            _check_title_free(session, values.title)
            now = self.helpdesk.clock.now()
            row = CannedResponse(
                title=values.title,
                body=values.body,
                team=_team(session, values.team),
                created_at=now,
                updated_at=now,
            )
            session.add(row)
            _flush_unique_title(session)
            return _out(row)

    def update(
        self,
        actor: Actor,
        response_id: int,
        data: CannedResponseUpdate | Mapping[str, Any] | None = None,
        **fields: Any,
    ) -> CannedResponseOut:
        """Change the fields given; `team=None` offers the response to every agent."""
        _require_manager(actor)
        values = parse(CannedResponseUpdate, data, fields)
        given = values.model_fields_set
        with self.transaction() as uow:
            session = uow.session
            row = self._load(session, actor, response_id)
            if values.title is not None and values.title != row.title:
                _check_title_free(session, values.title, but=row.id)
                row.title = values.title
            if values.body is not None:
                row.body = values.body
            if "team" in given:
                row.team = _team(session, values.team)
            row.updated_at = self.helpdesk.clock.now()
            _flush_unique_title(session)
            return _out(row)

    def delete(self, actor: Actor, response_id: int) -> None:
        _require_manager(actor)
        with self.transaction() as uow:
            uow.session.delete(self._load(uow.session, actor, response_id))

    def get(self, actor: Actor, response_id: int) -> CannedResponseOut:
        _require_staff(actor)
        with self.reading() as uow:
            return _out(self._load(uow.session, actor, response_id))

    def list(self, actor: Actor) -> builtins.list[CannedResponseOut]:
        """The responses offered to `actor`: everyone's, and their teams' (admins see all)."""
        _require_staff(actor)
        with self.reading() as uow:
            rows = uow.session.scalars(
                select(CannedResponse)
                .where(_offered_to(actor))
                .options(selectinload(CannedResponse.team))
            ).all()
            # Sorted here: databases disagree on how capitals and accents sort.
            return [_out(r) for r in sorted(rows, key=lambda r: (r.title.casefold(), r.title))]

    def render(self, actor: Actor, response_id: int, ticket_id: int) -> str:
        """The response's body with its placeholders filled from a ticket `actor` can see."""
        _require_staff(actor)
        with self.reading() as uow:
            session = uow.session
            response = self._load(session, actor, response_id)
            ticket = self.helpdesk.tickets.load(session, actor, ticket_id)
            agent = session.get(User, actor.user_id) if actor.user_id is not None else None
            values = _placeholder_values(self.settings, ticket, agent)
            return _PLACEHOLDER.sub(lambda m: values[m.group(1)], response.body)

    def _load(self, session: Session, actor: Actor, response_id: int) -> CannedResponse:
        row = session.scalar(
            select(CannedResponse)
            .where(CannedResponse.id == response_id, _offered_to(actor))
            .options(selectinload(CannedResponse.team))
        )
        if row is None:
            raise NotFound(f"no canned response {response_id}")
        return row


def _require_staff(actor: Actor) -> None:
    if not actor.is_staff:
        raise PermissionDenied("canned responses are for staff")


def _require_manager(actor: Actor) -> None:
    if actor.kind not in (ActorKind.ADMIN, ActorKind.SYSTEM):
        raise PermissionDenied("only admins manage canned responses")


def _offered_to(actor: Actor) -> ColumnElement[bool]:
    """A team's responses are for its members; those without a team are for every agent."""
    if actor.kind is not ActorKind.AGENT:
        return true()
    my_teams = select(TeamMember.team_id).where(TeamMember.user_id == actor.user_id)
    return or_(CannedResponse.team_id.is_(None), CannedResponse.team_id.in_(my_teams))


def _team(session: Session, ref: int | str | None) -> Team | None:
    return find_team(session, ref) if ref not in (None, "") else None


def _check_title_free(session: Session, title: str, *, but: int | None = None) -> None:
    """Titles are told apart without regard to case, as MariaDB's unique index does anyway."""
    query = select(CannedResponse.id).where(func.lower(CannedResponse.title) == title.lower())
    if but is not None:
        query = query.where(CannedResponse.id != but)
    if session.scalar(query) is not None:
        raise InvalidInput(f"a canned response is already called {title!r}", field="title")


def _flush_unique_title(session: Session) -> None:
    """Flush, reporting a title taken by a concurrent request as the form error it is."""
    try:
        session.flush()
    except IntegrityError:
        raise InvalidInput("a canned response already has this title", field="title") from None


def _placeholder_values(settings: Settings, ticket: Ticket, agent: User | None) -> dict[str, str]:
    customer = ticket.requester
    return {
        "customer_name": customer.display_name,
        "customer_first_name": (customer.display_name.split() or [""])[0],
        "customer_email": customer.email,
        "track_id": ticket.track_id,
        "ticket_number": str(ticket.number),
        "subject": ticket.subject,
        "agent_name": agent.display_name if agent is not None else "",
        "team_name": ticket.team.name if ticket.team is not None else "",
        "site_name": settings.site_name,
        "ticket_url": ticket_url(settings, track_id=ticket.track_id, staff=False),
    }


def _out(row: CannedResponse) -> CannedResponseOut:
    return CannedResponseOut(
        id=row.id,
        title=row.title,
        body=row.body,
        team_id=row.team.id if row.team is not None else None,
        team_name=row.team.name if row.team is not None else None,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )
