"""Staff changes to tickets — one from its page, many from a queue — through one code path.

An update is looked up once (priority, team, assignee, organization), checked against each
ticket (status transition, template fields), and only then applied, so a bulk change reaches
every ticket or none and both paths audit, notify and recompute SLAs alike.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from ..customfields import clean_custom_fields
from ..errors import InvalidInput
from ..models import Organization, Team, Ticket, User
from ..notify.events import Event
from ..notify.queue import queue_event
from ..permissions import Action, Actor
from ..schemas import TicketOut, TicketUpdate
from ..workflow import Priority, Status, check_transition
from . import staleness
from .base import FieldErrors, find_organization, find_staff, find_team, parse_priority
from .changes import audit, set_status
from .convert import ticket_out
from .sla import apply_policy
from .unit_of_work import UnitOfWork

if TYPE_CHECKING:
    from .tickets import TicketService

# How forms say "nobody" for an assignee or organization.
_NONE = (None, 0, "0", "none")


@dataclass(frozen=True)
class Changes:
    """A staff update with its references looked up, ready to apply to a ticket."""

    subject: str | None = None
    status: Status | None = None
    priority: Priority | None = None
    team: Team | None = None
    assignee: User | None = None
    unassign: bool = False
    organization: Organization | None = None
    drop_organization: bool = False
    custom_fields: dict[str, Any] | None = None  # the ticket's complete new set


def update(tickets: TicketService, actor: Actor, ticket_id: int, values: TicketUpdate) -> TicketOut:
    """Change one ticket in one transaction; see `TicketService.update`."""
    with tickets.transaction() as uow:
        session = uow.session
        ticket = tickets.load(session, actor, ticket_id, for_update=True)
        tickets.require(actor, ticket, Action.UPDATE)
        staleness.check_unchanged(session, actor, ticket, values.unchanged_since)
        errors = FieldErrors()
        if values.status is not None:
            errors.check(check_transition, ticket.status, values.status)
        changes = _look_up(session, values, errors)
        if values.custom_fields is not None:
            if ticket.template is None:
                errors.errors["custom_fields"] = ["this ticket has no template"]
            else:
                cleaned = errors.check(
                    clean_custom_fields, ticket.template.fields, values.custom_fields, partial=True
                )
                if cleaned is not None:
                    custom = {**ticket.custom_fields, **cleaned}
                    changes = replace(changes, custom_fields=custom)
        errors.raise_if_any()
        _apply(tickets, uow, actor, ticket, changes)
        return ticket_out(actor, ticket)


def bulk_update(
    tickets: TicketService, actor: Actor, ticket_ids: Sequence[int], values: TicketUpdate
) -> int:
    """Change many tickets in one transaction; see `TicketService.bulk_update`."""
    if not ticket_ids:
        return 0
    with tickets.transaction() as uow:
        session = uow.session
        locked = tickets.load_many(session, actor, ticket_ids, for_update=True)
        for ticket in locked:
            tickets.require(actor, ticket, Action.UPDATE)
        errors = FieldErrors()
        changes = _look_up(session, values, errors)
        target = changes.status
        for ticket in locked:
            if target is None or ticket.status == target:
                continue
            try:
                check_transition(ticket.status, target)
            except InvalidInput as exc:
                errors.errors.setdefault("status", []).extend(
                    f"{ticket.track_id}: {message}" for message in exc.errors["status"]
                )
        errors.raise_if_any()
        changed = 0
        for ticket in locked:
            own = replace(changes, status=None) if ticket.status == target else changes
            changed += _apply(tickets, uow, actor, ticket, own)
        return changed


def _look_up(session: Session, values: TicketUpdate, errors: FieldErrors) -> Changes:
    """The priority, team, assignee and organization an update names, looked up once for all
    the tickets it applies to; what is wrong goes to `errors`."""
    given = values.model_fields_set
    priority = (
        errors.check(parse_priority, values.priority) if values.priority is not None else None
    )
    team = errors.check(find_team, session, values.team) if values.team is not None else None
    assignee: User | None = None
    unassign = "assignee" in given and values.assignee in _NONE
    if "assignee" in given and not unassign:
        assignee = errors.check(find_staff, session, values.assignee, "assignee")
        if assignee is not None and not assignee.is_active:
            errors.errors["assignee"] = [f"{assignee.email} is deactivated"]
    drop_organization = "organization" in given and values.organization in _NONE
    organization: Organization | None = None
    if "organization" in given and not drop_organization:
        organization = errors.check(find_organization, session, values.organization)
    return Changes(
        subject=values.subject,
        status=values.status,
        priority=priority,
        team=team,
        assignee=assignee,
        unassign=unassign,
        organization=organization,
        drop_organization=drop_organization,
    )


def _apply(
    tickets: TicketService, uow: UnitOfWork, actor: Actor, ticket: Ticket, changes: Changes
) -> bool:
    """Apply checked `changes` to one locked ticket with their audit records, SLA update,
    hooks and emails; returns whether anything changed."""
    session = uow.session
    now = uow.helpdesk.clock.now()
    changed = assignee_changed = False
    sla_inputs_changed = False  # priority, team and organization choose the SLA policy
    if changes.subject is not None and changes.subject != ticket.subject:
        audit(uow, actor, ticket, "changed", "subject", ticket.subject, changes.subject)
        ticket.subject = changes.subject
        changed = True
    priority = changes.priority
    if priority is not None and priority != ticket.priority:
        audit(uow, actor, ticket, "changed", "priority", ticket.priority.label, priority.label)
        ticket.priority = priority
        changed = sla_inputs_changed = True
    team = changes.team
    if team is not None and team.id != ticket.team_id:
        audit(uow, actor, ticket, "changed", "team", _name(ticket.team), team.name)
        ticket.team = team
        changed = sla_inputs_changed = True
    organization = changes.organization
    if (organization is not None and organization.id != ticket.organization_id) or (
        changes.drop_organization and ticket.organization_id is not None
    ):
        old_name = _name(ticket.organization)
        audit(uow, actor, ticket, "changed", "organization", old_name, _name(organization))
        ticket.organization = organization
        changed = sla_inputs_changed = True
    assignee = changes.assignee
    if (assignee is not None and assignee.id != ticket.assignee_id) or (
        changes.unassign and ticket.assignee_id is not None
    ):
        old_email = _email(ticket.assignee)
        audit(uow, actor, ticket, "changed", "assignee", old_email, _email(assignee))
        ticket.assignee = assignee
        changed = assignee_changed = True
    custom = changes.custom_fields
    if custom is not None and custom != ticket.custom_fields:
        for key in sorted(set(custom) | set(ticket.custom_fields)):
            old, new = ticket.custom_fields.get(key), custom.get(key)
            if old != new:
                audit(uow, actor, ticket, "changed", f"custom_fields.{key}", old, new)
        ticket.custom_fields = custom
        changed = True
    old_status = ticket.status
    if sla_inputs_changed:
        session.flush()  # the policy is chosen by the new team/organization ids
        apply_policy(uow, ticket)
    if changes.status is not None:
        set_status(uow, actor, ticket, changes.status)
    if changed:
        ticket.updated_at = now
    session.flush()
    if changes.status is not None:
        tickets._emit_status(uow, actor, ticket, old_status, notify=True)
    if assignee_changed:
        uow.emit(
            "after_ticket_assigned",
            ticket=ticket_out(Actor.system(), ticket),
            assignee_id=ticket.assignee_id,
            actor=actor,
        )
        if ticket.assignee_id is not None and ticket.assignee_id != actor.user_id:
            queue_event(uow, Event.ASSIGNED_TO_YOU, ticket, actor=actor)
    return changed or changes.status is not None


def _name(row: Team | Organization | None) -> str | None:
    return row.name if row is not None else None


def _email(user: User | None) -> str | None:
    return user.email if user is not None else None
