"""No silent overwrite: what others did on a ticket since a form was shown, in words.

A reply or change that carries `unchanged_since` is refused with `StaleTicket` when someone
else acted on the ticket after that moment, so the person sees what happened before their
words land on top of it. The check runs after the ticket row is locked, so no change can slip
in between the check and the write.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..errors import InvalidInput, StaleTicket
from ..models import AuditEvent, Message, Ticket, User
from ..permissions import Actor, message_visibility
from ..workflow import Status

# Audit records that only repeat a message's arrival (the message line says it better) or
# record a look, not a change.
_NOT_CHANGES = ("replied", "noted", "document_received", "secure_data_revealed")


def check_unchanged(session: Session, actor: Actor, ticket: Ticket, since: datetime | None) -> None:
    """Raise `StaleTicket` if anyone but `actor` acted on the locked `ticket` after `since`."""
    if since is None:
        return
    changes = changes_since(session, actor, ticket, since)
    if changes:
        raise StaleTicket(changes)


def changes_since(session: Session, actor: Actor, ticket: Ticket, since: datetime) -> list[str]:
    """One line per message and change by someone other than `actor` after `since`, oldest
    first, told only as far as `actor` may know (customers never learn of notes or of staff
    bookkeeping, only of replies and status changes)."""
    if since.tzinfo is None:
        raise InvalidInput("needs a time zone", field="unchanged_since")
    zone = _zone(session, actor)
    messages = session.execute(
        select(Message.created_at, Message.is_internal, User.display_name, User.email)
        .outerjoin(User, User.id == Message.author_id)
        .where(
            Message.ticket_id == ticket.id,
            Message.created_at > since,
            Message.author_id.is_distinct_from(actor.user_id),
            message_visibility(actor),
        )
        .order_by(Message.created_at, Message.id)
    ).all()
    audit = (
        select(
            AuditEvent.created_at,
            AuditEvent.actor_kind,
            AuditEvent.action,
            AuditEvent.field,
            AuditEvent.old_value,
            AuditEvent.new_value,
            User.display_name,
            User.email,
        )
        .outerjoin(User, User.id == AuditEvent.actor_id)
        .where(
            AuditEvent.ticket_id == ticket.id,
            AuditEvent.created_at > since,
            AuditEvent.actor_id.is_distinct_from(actor.user_id),
            AuditEvent.action.not_in(_NOT_CHANGES),
        )
        .order_by(AuditEvent.created_at, AuditEvent.id)
    )
    if not actor.is_staff:
        audit = audit.where(AuditEvent.action == "changed", AuditEvent.field == "status")
    lines: list[tuple[datetime, str]] = []
    for created_at, internal, display_name, email in messages:
        what = "added an internal note" if internal else "replied"
        name = _who(actor, display_name, email, "")
        lines.append((created_at, f"{name} {what} at {created_at.astimezone(zone):%H:%M}"))
    for created_at, kind, action, field, old, new, display_name, email in session.execute(audit):
        name = _who(actor, display_name, email, kind)
        lines.append((created_at, f"{name} {_what_changed(action, field, old, new)}"))
    lines.sort(key=lambda line: line[0])  # stable: a reply before the status change it made
    return [text for _, text in lines]


def _who(actor: Actor, display_name: str | None, email: str | None, kind: str) -> str:
    """A person's name; their address only to staff (a customer may not know another's)."""
    if display_name:
        return display_name
    if email and actor.is_staff:
        return email
    return "The system" if kind == "system" else "Someone"


def _what_changed(action: str, field: str | None, old: str | None, new: str | None) -> str:
    match (action, field):
        case ("changed", "status"):
            return f"changed status from {_status(old)} to {_status(new)}"
        case ("changed", "assignee"):
            return f"assigned the ticket to {new}" if new else "unassigned the ticket"
        case ("changed", "cc"):
            return f"added {new} to CC" if new else f"removed {old} from CC"
        case ("changed", "is_public"):
            return f"made the ticket {'public' if new == 'True' else 'private'}"
        case ("changed", str(name)):
            label = name.removeprefix("custom_fields.").replace("_", " ")
            if new is None:
                return f"cleared {label}"
            if old is None:
                return f"set {label} to {new}"
            return f"changed {label} from {old} to {new}"
        case ("created", _):
            return "opened the ticket"
        case ("rated", _):
            return "rated the ticket"
    return f"changed the ticket ({action.replace('_', ' ')})"


def _status(value: str | None) -> str:
    return Status(value).label if value in set(Status) else value or "none"


def _zone(session: Session, actor: Actor) -> ZoneInfo:
    """The reader's own zone for the times in the lines; UTC when they have none usable."""
    user = session.get(User, actor.user_id) if actor.user_id is not None else None
    try:
        return ZoneInfo(user.timezone if user is not None and user.timezone else "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")
