"""Who gets a new ticket: a plugin's choice, the organization's staff, or the team's next agent."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from sqlalchemy import ColumnElement, Select, bindparam, case, func, or_, select, update
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.util import identity_key

from ..db import is_sqlite
from ..models import Role, Team, TeamMember, Ticket, User
from ..models.base import table_of

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from ..helpdesk import Helpdesk

_STAFF = (Role.AGENT, Role.ADMIN)
log = logging.getLogger("ticketcore.assignment")

# Built once: every new ticket runs them, and SQLAlchemy compiles a statement object (and works
# out its cache key) once, however often it is executed.
_TEAMS = table_of(Team)


def _next_team_agent(last: ColumnElement[Any]) -> Select[User]:
    """The team's next active agent after `last`, the last one assigned, else its first: one
    row, whatever the team's size."""
    return (
        select(User)
        .join(TeamMember, TeamMember.user_id == User.id)
        .where(
            TeamMember.team_id == bindparam("team_id"),
            User.is_active.is_(True),
            # Not `IN (…)`: an expanding parameter is spliced into the SQL on every execution.
            or_(*(User.role == role for role in _STAFF)),
        )
        .order_by(case((User.id > last, 0), else_=1), User.id)
        .limit(1)
    )


_NEXT_TEAM_AGENT = _next_team_agent(bindparam("last"))
# On SQLite the query reads the last one itself: the transaction's BEGIN IMMEDIATE holds the
# database's lock, so nobody can move it between the read and the UPDATE.
_NEXT_AFTER_LAST_ASSIGNED = _next_team_agent(
    func.coalesce(
        select(_TEAMS.c.last_assigned_user_id)
        .where(_TEAMS.c.id == bindparam("team_id"))
        .scalar_subquery(),
        0,
    )
)
_LAST_ASSIGNED_LOCKED = (
    select(_TEAMS.c.last_assigned_user_id)
    .where(_TEAMS.c.id == bindparam("team_id"))
    .with_for_update()
)
_SET_LAST_ASSIGNED = (
    update(_TEAMS)
    .where(_TEAMS.c.id == bindparam("team_id"))
    .values(last_assigned_user_id=bindparam("user_id"))
)


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
    organization = ticket.organization
    if strategy == "organization_then_round_robin" and organization is not None:
        for entry in organization.staff:  # in their order; the requester's load brings them
            if entry.user.is_active and entry.user.role in _STAFF:
                return entry.user
    if ticket.team_id is None:
        return None
    return _round_robin(session, ticket.team_id)


def _round_robin(session: Session, team_id: int) -> User | None:
    """The team's next active agent after the last one assigned, wrapping around.

    Elsewhere than on SQLite the team row is locked first, so two tickets created at once go to
    two different agents.
    """
    if is_sqlite(session.get_bind()):
        chosen = session.scalar(_NEXT_AFTER_LAST_ASSIGNED, {"team_id": team_id})
    else:
        locked = session.execute(_LAST_ASSIGNED_LOCKED, {"team_id": team_id}).first()
        if locked is None:
            return None
        last = locked.last_assigned_user_id or 0
        chosen = session.scalar(_NEXT_TEAM_AGENT, {"team_id": team_id, "last": last})
    if chosen is None:
        return None
    session.connection().execute(_SET_LAST_ASSIGNED, {"team_id": team_id, "user_id": chosen.id})
    team = session.identity_map.get(identity_key(Team, team_id))
    if team is not None and "last_assigned_user_id" in team.__dict__:
        # A team this transaction loaded is told it is current: nothing for the flush to do.
        set_committed_value(team, "last_assigned_user_id", chosen.id)
    return chosen
