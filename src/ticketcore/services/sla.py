"""SLAs on tickets: choosing the policy, setting response-by and resolution-by, stopping the
resolution clock while the ticket waits on the customer, and warning once when a target is at
risk or breached.

Tickets call `apply_policy`, `on_status_change` and `on_first_response` from inside their own
transaction, so a deadline always changes together with what moved it (DESIGN invariant 3).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..errors import InvalidInput
from ..models import Calendar, SlaEvent, SlaPolicy, SlaState, Team, Ticket
from ..notify.events import Event
from ..notify.queue import queue_event
from ..permissions import Actor
from ..schemas import (
    CalendarCreate,
    CalendarOut,
    SlaCheckResult,
    SlaPolicyCreate,
    SlaPolicyOut,
    parse,
)
from ..sla import text
from ..sla.calendar import TWENTY_FOUR_SEVEN, BusinessCalendar
from ..sla.policy import TargetStatus, choose_policy, target_state, worst
from ..workflow import FINISHED, Priority, Status
from .base import (
    FieldErrors,
    Service,
    find_calendar,
    find_organization,
    find_team,
    parse_priority,
    require_admin,
    unique_slug,
)
from .convert import ticket_out
from .unit_of_work import UnitOfWork

if TYPE_CHECKING:
    from ..helpdesk import Helpdesk


# ------------------------------------------------------------------ inside ticket use cases


def calendar_for(helpdesk: Helpdesk, calendar: Calendar | None) -> BusinessCalendar:
    """A parsed calendar, cached per helpdesk (the laid-out intervals are what make it fast)."""
    key = (calendar.id, calendar.version) if calendar is not None else None
    cache: dict[Any, BusinessCalendar] = helpdesk.calendar_cache
    found = cache.get(key)
    if found is None:
        found = BusinessCalendar.from_dict(
            calendar.definition if calendar is not None else TWENTY_FOUR_SEVEN
        )
        cache[key] = found
    return found


def apply_policy(uow: UnitOfWork, ticket: Ticket) -> None:
    """Choose the ticket's policy and (re)compute its deadlines from its opening time."""
    helpdesk = uow.helpdesk
    session = uow.session
    chosen_id = helpdesk.hook.sla_policy_for_ticket(helpdesk=helpdesk, ticket=ticket)
    policy: SlaPolicy | None
    if chosen_id is not None:
        policy = session.get(SlaPolicy, chosen_id)
    else:
        policies = session.scalars(select(SlaPolicy).where(SlaPolicy.is_active.is_(True))).all()
        policy = choose_policy(policies, ticket)
    ticket.sla_policy = policy
    if policy is None:
        ticket.response_by = ticket.resolution_by = None
        ticket.sla_state = None
        return
    calendar = calendar_for(helpdesk, policy.calendar)
    if policy.first_response_minutes is not None:
        ticket.response_by = calendar.add(ticket.created_at, policy.first_response_minutes)
    else:
        ticket.response_by = None
    _set_resolution_by(ticket, policy, calendar)
    ticket.sla_state = SlaState.ON_TRACK
    refresh_state(uow, ticket, sticky=False)


def _set_resolution_by(ticket: Ticket, policy: SlaPolicy, calendar: BusinessCalendar) -> None:
    if policy.resolution_minutes is None:
        ticket.resolution_by = None
    else:
        budget = policy.resolution_minutes + (ticket.sla_paused_minutes or 0.0)
        ticket.resolution_by = calendar.add(ticket.created_at, budget)


def on_status_change(
    uow: UnitOfWork, ticket: Ticket, old: Status, new: Status, actor: Actor | None = None
) -> None:
    """Stop the resolution clock on entering a waiting status; on leaving it, move the deadline
    by the business time spent waiting. Finishing a ticket late counts as a breach."""
    policy = ticket.sla_policy
    if policy is None:
        return
    now = uow.helpdesk.clock.now()
    waiting = set(uow.helpdesk.settings.sla_pause_statuses)
    calendar = calendar_for(uow.helpdesk, policy.calendar)
    if new.value in waiting and old.value not in waiting and ticket.sla_paused_at is None:
        ticket.sla_paused_at = now
    elif new.value not in waiting and ticket.sla_paused_at is not None:
        paused = calendar.minutes_between(ticket.sla_paused_at, now)
        ticket.sla_paused_minutes = (ticket.sla_paused_minutes or 0.0) + paused
        ticket.sla_paused_at = None
        _set_resolution_by(ticket, policy, calendar)
    finishing = new in FINISHED and old not in FINISHED
    if finishing and ticket.resolution_by is not None and now > ticket.resolution_by:
        record_event(uow, ticket, "resolution", SlaState.BREACHED, ticket.resolution_by, actor)
    refresh_state(uow, ticket)


def on_first_response(uow: UnitOfWork, ticket: Ticket, actor: Actor | None = None) -> None:
    """The first reply the customer sees meets the response target (or breaches it if late)."""
    if ticket.sla_policy is None or ticket.response_by is None:
        return
    if ticket.first_response_at is not None and ticket.first_response_at > ticket.response_by:
        record_event(uow, ticket, "response", SlaState.BREACHED, ticket.response_by, actor)
    refresh_state(uow, ticket)


def active_targets(uow: UnitOfWork, ticket: Ticket, now: datetime) -> list[TargetStatus]:
    """The targets still running, with where each stands at `now`."""
    policy = ticket.sla_policy
    if policy is None or ticket.status in FINISHED:
        return []
    settings = uow.helpdesk.settings
    calendar = calendar_for(uow.helpdesk, policy.calendar)
    running: list[tuple[str, datetime, float]] = []
    if ticket.first_response_at is None and ticket.response_by is not None:
        running.append(("response", ticket.response_by, float(policy.first_response_minutes or 0)))
    if ticket.resolution_by is not None and ticket.sla_paused_at is None:
        budget = (policy.resolution_minutes or 0) + (ticket.sla_paused_minutes or 0.0)
        running.append(("resolution", ticket.resolution_by, budget))
    return [
        TargetStatus(
            target,
            target_state(
                calendar,
                now=now,
                start=ticket.created_at,
                due=due,
                budget_minutes=budget,
                at_risk_percent=settings.sla_at_risk_percent,
                at_risk_minutes=settings.sla_at_risk_minutes,
            ),
            due,
        )
        for target, due, budget in running
    ]


def refresh_state(uow: UnitOfWork, ticket: Ticket, *, sticky: bool = True) -> list[TargetStatus]:
    """Set `sla_state` to the worst running target; a breach, once it happened, stays."""
    if ticket.sla_policy is None:
        ticket.sla_state = None
        return []
    statuses = active_targets(uow, ticket, uow.helpdesk.clock.now())
    state = worst([s.state for s in statuses])
    if sticky and ticket.sla_state is SlaState.BREACHED:
        state = SlaState.BREACHED
    ticket.sla_state = state
    return statuses


def record_event(
    uow: UnitOfWork,
    ticket: Ticket,
    target: str,
    kind: SlaState,
    due: datetime,
    actor: Actor | None = None,
) -> bool:
    """Record a warning and queue its hook, unless it was given before (by anyone, ever)."""
    if kind is SlaState.BREACHED:
        ticket.sla_state = SlaState.BREACHED  # a breach stays on the ticket's record
    session = uow.session
    session.flush()
    try:
        with session.begin_nested():
            session.add(
                SlaEvent(
                    ticket_id=ticket.id,
                    target=target,
                    kind=kind,
                    due_at=due,
                    created_at=uow.helpdesk.clock.now(),
                )
            )
    except IntegrityError:
        return False  # another checker (or an earlier run) gave this warning already
    hook = "sla_breached" if kind is SlaState.BREACHED else "sla_at_risk"
    uow.emit(hook, ticket=ticket_out(Actor.system(), ticket), target=target, due=due)
    event = Event.SLA_BREACHED if kind is SlaState.BREACHED else Event.SLA_AT_RISK
    queue_event(uow, event, ticket, actor=actor, target=target, due=due)  # not to its cause
    return True


# ------------------------------------------------------------------ the service


class SlaService(Service):
    """Calendars and policies (admins), and the periodic check (`ticketcore sla check`)."""

    def create_calendar(
        self, actor: Actor, data: CalendarCreate | Mapping[str, Any] | None = None, **fields: Any
    ) -> CalendarOut:
        require_admin(actor)
        values = parse(CalendarCreate, data, fields)
        try:
            calendar = BusinessCalendar.from_dict(values.definition)
        except InvalidInput as exc:
            raise InvalidInput(
                {f"definition.{k}" if k else "definition": v for k, v in exc.errors.items()}
            ) from None
        with self.transaction() as uow:
            row = Calendar(
                name=values.name,
                slug=unique_slug(uow.session, Calendar, values.name),
                definition=calendar.to_dict(),
                version=1,
                created_at=self.helpdesk.clock.now(),
            )
            uow.session.add(row)
            uow.session.flush()
            return CalendarOut.model_validate(row)

    def calendar(self, ref: int | str | None) -> BusinessCalendar:
        """The business calendar by id or slug (None: around the clock, UTC)."""
        with self.reading() as uow:
            row = find_calendar(uow.session, ref) if ref is not None else None
            return calendar_for(self.helpdesk, row)

    def create_policy(
        self, actor: Actor, data: SlaPolicyCreate | Mapping[str, Any] | None = None, **fields: Any
    ) -> SlaPolicyOut:
        require_admin(actor)
        values = parse(SlaPolicyCreate, data, fields)
        with self.transaction() as uow:
            session = uow.session
            errors = FieldErrors()
            calendar = (
                errors.check(find_calendar, session, values.calendar)
                if values.calendar is not None
                else None
            )
            team = (
                errors.check(find_team, session, values.team) if values.team is not None else None
            )
            organization = (
                errors.check(find_organization, session, values.organization)
                if values.organization is not None
                else None
            )
            priority = (
                errors.check(parse_priority, values.priority)
                if values.priority is not None
                else None
            )
            if values.is_default and (values.team or values.organization or values.priority):
                errors.errors[""] = [
                    "the default policy applies to every ticket: give it no conditions"
                ]
            errors.raise_if_any()
            if values.is_default:
                for other in session.scalars(select(SlaPolicy).where(SlaPolicy.is_default)):
                    other.is_default = False
            position = values.position
            if position is None:
                position = (session.scalar(select(func.max(SlaPolicy.position))) or 0) + 10
            policy = SlaPolicy(
                name=values.name,
                slug=unique_slug(session, SlaPolicy, values.name),
                position=position,
                is_default=values.is_default,
                is_active=True,
                priority=priority,
                team_id=team.id if team else None,
                organization_id=organization.id if organization else None,
                first_response_minutes=values.first_response_minutes,
                resolution_minutes=values.resolution_minutes,
                calendar_id=calendar.id if calendar else None,
                created_at=self.helpdesk.clock.now(),
            )
            session.add(policy)
            session.flush()
            return SlaPolicyOut.model_validate(policy)

    def policies(self) -> list[SlaPolicyOut]:
        with self.reading() as uow:
            rows = uow.session.scalars(
                select(SlaPolicy)
                .where(SlaPolicy.is_active.is_(True))
                .order_by(SlaPolicy.is_default, SlaPolicy.position, SlaPolicy.id)
            ).all()
            return [SlaPolicyOut.model_validate(r) for r in rows]

    def policy_for(
        self,
        *,
        team: int | str | None = None,
        organization: int | str | None = None,
        priority: str | int = "normal",
    ) -> SlaPolicyOut | None:
        """The policy a new ticket with these traits would get (for promises made up front).

        Plugins' `sla_policy_for_ticket` is not asked: it decides on real tickets only.
        """
        with self.reading() as uow:
            session = uow.session
            probe = _Probe(
                priority=parse_priority(priority),
                team_id=find_team(session, team).id if team is not None else _default_team(session),
                organization_id=(
                    find_organization(session, organization).id
                    if organization is not None
                    else None
                ),
            )
            policies = session.scalars(select(SlaPolicy).where(SlaPolicy.is_active.is_(True))).all()
            chosen = choose_policy(policies, probe)
            return SlaPolicyOut.model_validate(chosen) if chosen else None

    def typical_response(self, *, team: int | str | None = None, locale: str = "en") -> str | None:
        """ "Billing typically responds within 15 minutes", or None when nothing is promised."""
        policy = self.policy_for(team=team)
        if policy is None or policy.first_response_minutes is None:
            return None
        return text.typical_response(
            policy.first_response_minutes, team=self._team_name(team), locale=locale
        )

    def working_hours_line(
        self,
        *,
        team: int | str | None = None,
        now: datetime | None = None,
        viewer_timezone: str | None = None,
        locale: str = "en",
    ) -> str | None:
        """The opening hours of the team's policy calendar and when someone is next there, as
        one sentence for the portal (see `ticketcore.sla.text.working_hours_line`)."""
        policy = self.policy_for(team=team)
        if policy is None:
            return None
        calendar = self.calendar(policy.calendar_id)
        return text.working_hours_line(
            calendar,
            now or self.helpdesk.clock.now(),
            team=self._team_name(team),
            viewer_timezone=viewer_timezone,
            locale=locale,
        )

    def _team_name(self, team: int | str | None) -> str | None:
        return self.helpdesk.teams.get(team).name if team is not None else None

    def check(self, batch_size: int = 200) -> SlaCheckResult:
        """Mark running targets at risk or breached and warn once per ticket and target.

        Several checkers may run at once: PostgreSQL and MariaDB hand each a different batch
        (SKIP LOCKED), and the unique warning record stops a warning being given twice.
        """
        checked = at_risk = breached = 0
        last_id = 0
        active = [s for s in Status if s not in FINISHED]
        while True:
            with self.transaction() as uow:
                query = (
                    select(Ticket)
                    .where(
                        Ticket.id > last_id,
                        Ticket.sla_policy_id.is_not(None),
                        Ticket.status.in_(active),
                    )
                    .order_by(Ticket.id)
                    .limit(batch_size)
                )
                if uow.session.get_bind().dialect.name != "sqlite":
                    query = query.with_for_update(skip_locked=True)
                batch = uow.session.scalars(query).all()
                for ticket in batch:
                    for status in refresh_state(uow, ticket):
                        if status.state is SlaState.ON_TRACK:
                            continue
                        if record_event(uow, ticket, status.target, status.state, status.due):
                            if status.state is SlaState.BREACHED:
                                breached += 1
                            else:
                                at_risk += 1
                checked += len(batch)
                if batch:
                    last_id = batch[-1].id
            if len(batch) < batch_size:
                return SlaCheckResult(checked=checked, at_risk=at_risk, breached=breached)


@dataclass
class _Probe:
    """The traits of a ticket not yet opened, for `choose_policy`."""

    priority: Priority
    team_id: int | None
    organization_id: int | None


def _default_team(session: Session) -> int | None:
    return session.scalar(select(Team.id).where(Team.is_default.is_(True)))
