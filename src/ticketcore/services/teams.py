"""Teams (departments) and their member agents.

A team is referred to by its slug in settings, commands and SLA policies, so renaming keeps
the slug. Deleting is only for a team nothing refers to: tickets, SLA policies and canned
responses would otherwise lose their team (or, for the last two, be deleted with it).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, selectinload

from ..errors import Conflict, InvalidInput, NotFound
from ..models import CannedResponse, SlaPolicy, Team, TeamMember, Ticket
from ..permissions import Actor
from ..schemas import TeamCreate, TeamOut, TeamUpdate, parse
from .base import (
    FieldErrors,
    Service,
    count_phrase,
    find_staff,
    find_team,
    require_admin,
    unique_slug,
)
from .convert import team_out


class TeamService(Service):
    def create(
        self, actor: Actor, data: TeamCreate | Mapping[str, Any] | None = None, **fields: Any
    ) -> TeamOut:
        require_admin(actor)
        values = parse(TeamCreate, data, fields)
        with self.transaction() as uow:
            session = uow.session
            if values.is_default:
                session.execute(update(Team).values(is_default=False))
            team = Team(
                name=values.name,
                slug=unique_slug(session, Team, values.name),
                is_default=values.is_default,
                created_at=self.helpdesk.clock.now(),
            )
            member_ids = list(
                dict.fromkeys(find_staff(session, r, "members").id for r in values.members)
            )
            team.memberships = [TeamMember(user_id=uid) for uid in member_ids]
            session.add(team)
            session.flush()
            return team_out(team)

    def add_member(self, actor: Actor, team: int | str, user: int | str) -> TeamOut:
        require_admin(actor)
        with self.transaction() as uow:
            row = find_team(uow.session, team)
            agent = find_staff(uow.session, user, "user")
            if any(m.user_id == agent.id for m in row.memberships):
                raise InvalidInput(f"{agent.email} is already in {row.name}", field="user")
            row.memberships.append(TeamMember(user_id=agent.id))
            uow.session.flush()
            return team_out(row)

    def update(
        self,
        actor: Actor,
        team: int | str,
        data: TeamUpdate | Mapping[str, Any] | None = None,
        **fields: Any,
    ) -> TeamOut:
        """Rename, make (or stop being) the default team, or replace the member set; only the
        fields given change. Members are agents or admins (`InvalidInput` on `members`)."""
        require_admin(actor)
        values = parse(TeamUpdate, data, fields)
        with self.transaction() as uow:
            session = uow.session
            row = _team(session, team)
            errors = FieldErrors()
            member_ids: list[int] | None = None
            if values.members is not None:
                found = [errors.check(find_staff, session, r, "members") for r in values.members]
                member_ids = list(dict.fromkeys(u.id for u in found if u is not None))
            errors.raise_if_any()
            if values.name is not None:
                row.name = values.name
            if values.is_default and not row.is_default:
                session.execute(update(Team).values(is_default=False))
                session.refresh(row)
            if values.is_default is not None:
                row.is_default = values.is_default
            if member_ids is not None:
                # Kept rows stay: re-adding a removed user in one flush would break the
                # unique key, since SQLAlchemy inserts before it deletes.
                row.memberships = [m for m in row.memberships if m.user_id in member_ids]
                kept = {m.user_id for m in row.memberships}
                row.memberships.extend(
                    TeamMember(user_id=uid) for uid in member_ids if uid not in kept
                )
            session.flush()
            return team_out(row)

    def remove_member(self, actor: Actor, team: int | str, user: int | str) -> TeamOut:
        require_admin(actor)
        with self.transaction() as uow:
            row = _team(uow.session, team)
            agent = find_staff(uow.session, user, "user")
            remaining = [m for m in row.memberships if m.user_id != agent.id]
            if len(remaining) == len(row.memberships):
                raise InvalidInput(f"{agent.email} is not in {row.name}", field="user")
            row.memberships = remaining
            uow.session.flush()
            return team_out(row)

    def delete(self, actor: Actor, team: int | str) -> None:
        """Delete a team nothing uses; `Conflict` saying what still does (its tickets, SLA
        policies or canned responses), or that it is the default team."""
        require_admin(actor)
        with self.transaction() as uow:
            session = uow.session
            row = _team(session, team, lock=True)
            if row.is_default:
                raise Conflict(
                    f"{row.name} is the default team for new tickets: make another team the "
                    "default first"
                )
            uses = [
                (_count(session, Ticket.team_id, row.id), "ticket", "tickets"),
                (_count(session, SlaPolicy.team_id, row.id), "SLA policy", "SLA policies"),
                (
                    _count(session, CannedResponse.team_id, row.id),
                    "canned response",
                    "canned responses",
                ),
            ]
            in_use = count_phrase(uses)
            if in_use:
                raise Conflict(
                    f"{row.name} cannot be deleted: it still has {in_use}. Move them to another "
                    "team first."
                )
            session.delete(row)

    def get(self, ref: int | str) -> TeamOut:
        with self.reading() as uow:
            try:
                return team_out(find_team(uow.session, ref))
            except InvalidInput:
                raise NotFound(f"no team {ref!r}") from None

    def names(self) -> dict[int, str]:
        """Every team's name by id, in name order: what a filter or a choice needs, without the
        members that `list` loads for each."""
        with self.reading() as uow:
            return {row.id: row.name for row in uow.session.execute(_NAMES)}

    def list(self) -> list[TeamOut]:
        with self.reading() as uow:
            query = select(Team).options(selectinload(Team.memberships)).order_by(Team.name)
            return [team_out(t) for t in uow.session.scalars(query)]


_NAMES = select(Team.id, Team.name).order_by(Team.name)


def _team(session: Session, ref: int | str, *, lock: bool = False) -> Team:
    """The team to change; one that does not exist is not found (not a form error)."""
    try:
        row = find_team(session, ref)
    except InvalidInput:
        raise NotFound(f"no team {ref!r}") from None
    if lock:
        session.refresh(row, with_for_update=True)
    return row


def _count(session: Session, column: Any, team_id: int) -> int:
    return session.scalar(select(func.count()).where(column == team_id)) or 0
