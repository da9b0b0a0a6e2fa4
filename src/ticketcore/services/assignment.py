"""Who gets a new ticket: a plugin's choice, the organization's staff, or the team's next agent."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from sqlalchemy import select

from ..models import OrganizationStaff, Role, Team, TeamMember, Ticket, User

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from ..helpdesk import Helpdesk

_STAFF = (Role.AGENT, Role.ADMIN)
log = logging.getLogger("ticketcore.assignment")


def choose_assignee(helpdesk: Helpdesk, session: Session, ticket: Ticket) -> User | None:
    chosen_id = helpdesk.hook.assignee_for_ticket(helpdesk=helpdesk, ticket=ticket)
    if chosen_id is not None:
        chosen = session.get(User, chosen_id)
        if chosen is not None and chosen.is_active and chosen.role in _STAFF:
            return chosen
        log.warning("assignee_for_ticket chose %r, which is not an active agent", chosen_id)
    strategy = helpdesk.settings.assignment
    if strategy == "none":
        return None
    if strategy == "organization_then_round_robin" and ticket.organization_id is not None:
        staff = session.scalar(
            select(User)
            .join(OrganizationStaff, OrganizationStaff.user_id == User.id)
            .where(
                OrganizationStaff.organization_id == ticket.organization_id,
                User.is_active.is_(True),
                User.role.in_(_STAFF),
            )
            .order_by(OrganizationStaff.position, OrganizationStaff.id)
            .limit(1)
        )
        if staff is not None:
            return staff
    if ticket.team_id is None:
        return None
    return _round_robin(session, ticket.team_id)


def _round_robin(session: Session, team_id: int) -> User | None:
    """The team's next active agent after the last one assigned, wrapping around.

    The team row is locked so two tickets created at once go to two different agents.
    """
    team = session.scalar(
        select(Team)
        .where(Team.id == team_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if team is None:
        return None
    agents = session.scalars(
        select(User)
        .join(TeamMember, TeamMember.user_id == User.id)
        .where(TeamMember.team_id == team_id, User.is_active.is_(True), User.role.in_(_STAFF))
        .order_by(User.id)
    ).all()
    if not agents:
        return None
    last = team.last_assigned_user_id or 0
    chosen = next((a for a in agents if a.id > last), agents[0])
    team.last_assigned_user_id = chosen.id
    return chosen
