"""Teams (departments) and their member agents."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import select, update

from ..errors import InvalidInput, NotFound
from ..models import Team, TeamMember
from ..permissions import Actor
from ..schemas import TeamCreate, TeamOut, parse
from .base import Service, find_staff, find_team, require_admin, unique_slug
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

    def get(self, ref: int | str) -> TeamOut:
        with self.reading() as uow:
            try:
                return team_out(find_team(uow.session, ref))
            except InvalidInput:
                raise NotFound(f"no team {ref!r}") from None

    def list(self) -> list[TeamOut]:
        with self.reading() as uow:
            return [team_out(t) for t in uow.session.scalars(select(Team).order_by(Team.name))]
