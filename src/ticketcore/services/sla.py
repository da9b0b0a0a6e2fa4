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
from typing import TYPE_CHECKING, Any, Literal

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..errors import Conflict, InvalidInput, NotFound
from ..models import Calendar, SlaEvent, SlaPolicy, SlaState, Ticket
from ..notify.events import Event
from ..notify.queue import queue_event
from ..permissions import Actor
from ..schemas import (
    CalendarCreate,
    CalendarDetail,
    CalendarOut,
    CalendarUpdate,
    SlaCheckResult,
    SlaPolicyCreate,
    SlaPolicyOut,
    SlaPolicyUpdate,
    parse,
)
from ..sla import text
from ..sla.calendar import TWENTY_FOUR_SEVEN, BusinessCalendar
from ..sla.policy import TargetStatus, choose_policy, target_state, worst
from ..workflow import FINISHED, Priority, Status
from . import config_cache
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
        policy = config_cache.current(uow).policy_for(session, ticket)
    ticket.sla_policy = policy
    if policy is None:
        ticket.response_by = ticket.resolution_by = None
        ticket.sla_state = None
        return
    _set_deadlines(helpdesk, ticket, policy)
    ticket.sla_state = SlaState.ON_TRACK
    refresh_state(uow, ticket, sticky=False)


def _set_deadlines(helpdesk: Helpdesk, ticket: Ticket, policy: SlaPolicy) -> None:
    """Both deadlines from the ticket's opening time, on the policy's calendar as it is now."""
    calendar = calendar_for(helpdesk, policy.calendar)
    if policy.first_response_minutes is not None:
        ticket.response_by = calendar.add(ticket.created_at, policy.first_response_minutes)
    else:
        ticket.response_by = None
    _set_resolution_by(ticket, policy, calendar)


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

    # -------------------------------------------------------------- calendars

    def create_calendar(
        self, actor: Actor, data: CalendarCreate | Mapping[str, Any] | None = None, **fields: Any
    ) -> CalendarOut:
        require_admin(actor)
        values = parse(CalendarCreate, data, fields)
        calendar = _parse_definition(values.definition)
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

    def update_calendar(
        self,
        actor: Actor,
        calendar_id: int,
        data: CalendarUpdate | Mapping[str, Any] | None = None,
        **fields: Any,
    ) -> CalendarDetail:
        """Change the name or the hours and holidays. A new definition bumps `version`, which
        is how every process's calendar cache learns that its copy is stale. Open tickets keep
        their deadlines unless `recalculate_open_tickets` is set."""
        require_admin(actor)
        values = parse(CalendarUpdate, data, fields)
        calendar = _parse_definition(values.definition) if values.definition is not None else None
        with self.transaction() as uow:
            row = _load_calendar(uow.session, calendar_id)
            if values.name is not None:
                row.name = values.name
            if calendar is not None and calendar.to_dict() != row.definition:
                row.definition = calendar.to_dict()
                row.version += 1
                stale = [k for k in list(self.helpdesk.calendar_cache) if k and k[0] == row.id]
                uow.after_commit(lambda: _forget(self.helpdesk, stale))
            if values.recalculate_open_tickets:
                using = select(SlaPolicy.id).where(SlaPolicy.calendar_id == row.id)
                _recalculate(uow, Ticket.sla_policy_id.in_(using))
            uow.session.flush()
            return _calendar_detail(uow.session, row)

    def delete_calendar(self, actor: Actor, calendar_id: int) -> None:
        """Only a calendar no policy uses (not even a removed one that tickets still follow)."""
        require_admin(actor)
        with self.transaction() as uow:
            session = uow.session
            row = _load_calendar(session, calendar_id)
            users = session.scalars(
                select(SlaPolicy.name).where(SlaPolicy.calendar_id == row.id)
            ).all()
            if users:
                raise Conflict(f"the calendar is used by the SLA policies {', '.join(users)}")
            session.delete(row)

    def calendars(self, actor: Actor) -> list[CalendarDetail]:
        require_admin(actor)
        with self.reading() as uow:
            rows = uow.session.scalars(select(Calendar)).all()
            ordered = sorted(rows, key=lambda c: (c.name.casefold(), c.name, c.id))
            return [_calendar_detail(uow.session, row) for row in ordered]

    def calendar_detail(self, actor: Actor, calendar_id: int) -> CalendarDetail:
        require_admin(actor)
        with self.reading() as uow:
            return _calendar_detail(uow.session, _load_calendar(uow.session, calendar_id))

    def calendar(self, ref: int | str | None) -> BusinessCalendar:
        """The business calendar by id or slug (None: around the clock, UTC)."""
        with self.reading() as uow:
            row = find_calendar(uow.session, ref) if ref is not None else None
            return calendar_for(self.helpdesk, row)

    # -------------------------------------------------------------- policies

    def create_policy(
        self, actor: Actor, data: SlaPolicyCreate | Mapping[str, Any] | None = None, **fields: Any
    ) -> SlaPolicyOut:
        require_admin(actor)
        values = parse(SlaPolicyCreate, data, fields)
        with self.transaction() as uow:
            session = uow.session
            conditions = _policy_references(session, values, values.is_default)
            position = values.position
            if position is None:
                position = (session.scalar(select(func.max(SlaPolicy.position))) or 0) + 10
            policy = SlaPolicy(
                name=values.name,
                slug=unique_slug(session, SlaPolicy, values.name),
                position=position,
                is_default=values.is_default,
                is_active=True,
                first_response_minutes=values.first_response_minutes,
                resolution_minutes=values.resolution_minutes,
                created_at=self.helpdesk.clock.now(),
                **conditions,
            )
            if values.is_default:
                _only_default(session, policy)
            session.add(policy)
            session.flush()
            return SlaPolicyOut.model_validate(policy)

    def update_policy(
        self,
        actor: Actor,
        policy_id: int,
        data: SlaPolicyUpdate | Mapping[str, Any] | None = None,
        **fields: Any,
    ) -> SlaPolicyOut:
        """Change the fields given. Tickets that have the policy keep their deadlines unless
        `recalculate_open_tickets` is set; tickets are never moved to another policy."""
        require_admin(actor)
        values = parse(SlaPolicyUpdate, data, fields)
        given = values.model_fields_set
        with self.transaction() as uow:
            session = uow.session
            policy = _load_policy(session, policy_id)
            is_default = policy.is_default if values.is_default is None else values.is_default
            changes = _policy_references(session, values, is_default, current=policy)
            if values.name is not None:
                policy.name = values.name
            for target in ("first_response_minutes", "resolution_minutes"):
                if target in given:
                    setattr(policy, target, getattr(values, target))
            for attribute, value in changes.items():
                setattr(policy, attribute, value)
            if is_default and not policy.is_default:
                _only_default(session, policy)
            policy.is_default = is_default
            session.flush()
            session.expire(policy, ["calendar"])  # calendar_id may have changed beneath it
            if values.recalculate_open_tickets:
                _recalculate(uow, Ticket.sla_policy_id == policy.id)
            return SlaPolicyOut.model_validate(policy)

    def delete_policy(self, actor: Actor, policy_id: int) -> bool:
        """Remove a policy: True when it was deleted; False when tickets had it, so it was
        only taken out of use (they keep their deadlines, and their clocks keep running)."""
        require_admin(actor)
        with self.transaction() as uow:
            session = uow.session
            policy = _load_policy(session, policy_id)
            if session.scalar(select(Ticket.id).where(Ticket.sla_policy_id == policy.id).limit(1)):
                policy.is_active = policy.is_default = False
                return False
            session.delete(policy)
            return True

    def move_policy(
        self, actor: Actor, policy_id: int, direction: Literal["up", "down"]
    ) -> list[SlaPolicyOut]:
        """Swap a policy with its neighbour in the match order; returns the new order. The
        default policy has no place in it: it applies when no other matches."""
        require_admin(actor)
        if direction not in ("up", "down"):
            raise InvalidInput("must be up or down", field="direction")
        with self.transaction() as uow:
            session = uow.session
            policy = _load_policy(session, policy_id)
            if policy.is_default:
                raise InvalidInput("the default policy always applies last", field="direction")
            ordered = list(
                session.scalars(
                    select(SlaPolicy)
                    .where(SlaPolicy.is_active.is_(True), SlaPolicy.is_default.is_(False))
                    .order_by(SlaPolicy.position, SlaPolicy.id)
                ).all()
            )
            here = ordered.index(policy)
            there = here - 1 if direction == "up" else here + 1
            if 0 <= there < len(ordered):
                ordered[here], ordered[there] = ordered[there], ordered[here]
            for n, row in enumerate(ordered, start=1):
                row.position = n * 10
            session.flush()
        return self.policies()

    def policy(self, actor: Actor, policy_id: int) -> SlaPolicyOut:
        require_admin(actor)
        with self.reading() as uow:
            return SlaPolicyOut.model_validate(_load_policy(uow.session, policy_id))

    def policies(self) -> list[SlaPolicyOut]:
        """The policies in use, in the order they are tried; the default comes last."""
        with self.reading() as uow:
            rows = uow.session.scalars(
                select(SlaPolicy)
                .where(SlaPolicy.is_active.is_(True))
                .order_by(SlaPolicy.is_default, SlaPolicy.position, SlaPolicy.id)
            ).all()
            return [SlaPolicyOut.model_validate(r) for r in rows]

    def preview(
        self,
        actor: Actor,
        *,
        policy: int | None = None,
        first_response_minutes: int | None = None,
        resolution_minutes: int | None = None,
        calendar: int | str | None = None,
        start: datetime | None = None,
    ) -> tuple[datetime | None, datetime | None]:
        """(response by, resolution by) of a ticket opened at `start` (default: now), under a
        saved policy or under targets on a calendar (None: around the clock). A target that
        is not set gives None. Business time is counted by the calendar as tickets count it."""
        require_admin(actor)
        if policy is not None and (
            first_response_minutes is not None or resolution_minutes is not None or calendar
        ):
            raise InvalidInput("give a policy, or targets and a calendar, not both")
        moment = start or self.helpdesk.clock.now()
        with self.reading() as uow:
            session = uow.session
            if policy is not None:
                row = _load_policy(session, policy)
                first_response_minutes = row.first_response_minutes
                resolution_minutes = row.resolution_minutes
                business = calendar_for(self.helpdesk, row.calendar)
            else:
                found = find_calendar(session, calendar) if calendar not in (None, "") else None
                business = calendar_for(self.helpdesk, found)
        response_by = (
            None if first_response_minutes is None else business.add(moment, first_response_minutes)
        )
        resolution_by = (
            None if resolution_minutes is None else business.add(moment, resolution_minutes)
        )
        return response_by, resolution_by

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
            config = config_cache.current(uow)
            probe = _Probe(
                priority=parse_priority(priority),
                team_id=find_team(session, team).id if team is not None else config.default_team_id,
                organization_id=(
                    find_organization(session, organization).id
                    if organization is not None
                    else None
                ),
            )
            chosen = choose_policy(config.policies, probe)
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


# ------------------------------------------------------------------ administration helpers


def _parse_definition(definition: Mapping[str, Any]) -> BusinessCalendar:
    try:
        return BusinessCalendar.from_dict(definition)
    except InvalidInput as exc:
        raise InvalidInput(
            {f"definition.{k}" if k else "definition": v for k, v in exc.errors.items()}
        ) from None


def _load_calendar(session: Session, calendar_id: int) -> Calendar:
    row = session.get(Calendar, calendar_id)
    if row is None:
        raise NotFound(f"no calendar {calendar_id}")
    return row


def _load_policy(session: Session, policy_id: int) -> SlaPolicy:
    """A policy in use; one taken out of use stays only for the tickets that had it."""
    policy = session.get(SlaPolicy, policy_id)
    if policy is None or not policy.is_active:
        raise NotFound(f"no SLA policy {policy_id}")
    return policy


def _calendar_detail(session: Session, row: Calendar) -> CalendarDetail:
    names = session.scalars(
        select(SlaPolicy.name)
        .where(SlaPolicy.calendar_id == row.id, SlaPolicy.is_active.is_(True))
        .order_by(SlaPolicy.is_default, SlaPolicy.position, SlaPolicy.id)
    ).all()
    return CalendarDetail(
        id=row.id,
        name=row.name,
        slug=row.slug,
        definition=row.definition,
        version=row.version,
        policy_names=list(names),
    )


def _policy_references(
    session: Session,
    values: SlaPolicyCreate | SlaPolicyUpdate,
    is_default: bool,
    current: SlaPolicy | None = None,
) -> dict[str, Any]:
    """The calendar and conditions given (all of them for a new policy), as column values;
    every unknown reference reported at once. "" means none, as an empty form field does."""
    given = values.model_fields_set if current is not None else set(_REFERENCES)
    errors = FieldErrors()
    resolved: dict[str, Any] = {}
    for name, (column, find) in _REFERENCES.items():
        if name in given:
            ref = getattr(values, name)
            resolved[column] = None if ref in (None, "") else errors.check(find, session, ref)
    conditions = [
        resolved[c] if c in resolved else getattr(current, c, None)
        for c in ("priority", "team_id", "organization_id")
    ]
    if is_default and any(c is not None for c in conditions):
        errors.errors[""] = ["the default policy applies to every ticket: give it no conditions"]
    errors.raise_if_any()
    return resolved


_REFERENCES: dict[str, tuple[str, Any]] = {
    "calendar": ("calendar_id", lambda session, ref: find_calendar(session, ref).id),
    "priority": ("priority", lambda session, ref: parse_priority(ref)),
    "team": ("team_id", lambda session, ref: find_team(session, ref).id),
    "organization": ("organization_id", lambda session, ref: find_organization(session, ref).id),
}


def _only_default(session: Session, policy: SlaPolicy) -> None:
    for other in session.scalars(select(SlaPolicy).where(SlaPolicy.is_default.is_(True))):
        if other is not policy:
            other.is_default = False


def _recalculate(uow: UnitOfWork, which: Any) -> None:
    """New deadlines for the unfinished tickets `which` selects, from their opening times and
    the policy they have; a breach already recorded stays (its warning was given)."""
    active = [s for s in Status if s not in FINISHED]
    tickets = uow.session.scalars(select(Ticket).where(which, Ticket.status.in_(active))).all()
    for ticket in tickets:
        if ticket.sla_policy is not None:
            _set_deadlines(uow.helpdesk, ticket, ticket.sla_policy)
            refresh_state(uow, ticket)


def _forget(helpdesk: Helpdesk, keys: list[Any]) -> None:
    """Drop cached calendars of versions no ticket will ask for again in this process."""
    for key in keys:
        helpdesk.calendar_cache.pop(key, None)
