"""Turning an event into outbox rows inside the transaction that caused it.

A notification is written, fully rendered, in the same transaction as the change it reports
(DESIGN invariant 3): if the change rolls back, no email exists; if it commits, the email waits
in `ticketcore_outbox` until a dispatcher has sent it, however long the mail server is away.
Rendering happens here, not at send time, so each recipient gets the ticket as it was at that
moment, in their own language and time zone.

Who hears of what:

* customer-side events (`Event.to_customer`) go to the requester and every CC address, skipping
  deactivated accounts and whoever caused the event (except the receipt of a new ticket, which
  its requester always gets: it carries the track ID and, for a guest, the secret link);
* staff-side events go to the assignee, else to the active agents of the ticket's team, never
  to the actor; "assigned to you" goes to the assignee alone, and not at all when the same
  transaction already sent them "new ticket";
* internal notes never leave the building: an event about one is dropped here, whatever the
  caller did;
* a user who switched a kind of email off in their profile (`PREFERENCE_OF_EVENT`: replies,
  status changes, new tickets, customer replies) is skipped for it; receipts of new tickets,
  feedback requests, assignments and SLA warnings always go.

Plugins edit the addresses with `prepare_notification_recipients`.

The guest's secret link is in the body of that one row (the requester's receipt) and nowhere
else; the dispatcher removes it from the stored body once the email has been sent
(`notify.outbox.redact_guest_token`).
"""

from __future__ import annotations

import logging
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from email.headerregistry import Address
from functools import lru_cache
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel import Locale, UnknownLocaleError
from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from ..models import (
    Message,
    OutboxMessage,
    OutboxStatus,
    Role,
    TeamMember,
    Ticket,
    User,
)
from ..models.base import table_of
from ..rendering import render_markdown
from ..schemas import email_key
from ..sla.text import format_deadline
from ..workflow import Status, StatusGroup
from .events import Event
from .render import format_size, guest_url, one_line, render_email, ticket_url

if TYPE_CHECKING:
    from ..helpdesk import Helpdesk
    from ..permissions import Actor
    from ..services.unit_of_work import UnitOfWork

__all__ = [
    "EXCERPT_CHARS",
    "PREFERENCE_OF_EVENT",
    "deliver_after_commit",
    "known_locale",
    "opened",
    "queue_event",
    "reply_to_address",
    "thread_id",
]

log = logging.getLogger("ticketcore.notify")

# A reply quoted in an email stops here ("read it in full on the ticket page"): the email stays
# readable, and the stored bodies stay within a MariaDB TEXT column (64 KB).
EXCERPT_CHARS = 10_000
_MAX_BODY_BYTES = 60_000
_SHORT_EXCERPT_CHARS = 2_000
_PREVIOUS_IDS = 3  # earlier emails to the same person named in References

_PENDING = "ticketcore.notify.pending"  # uow.state: rows rendered, written before the commit
_QUEUED = "ticketcore.notify.queued"  # uow.state: ids of the outbox rows this transaction wrote
_NEW_TICKET_TO = "ticketcore.notify.new_ticket_to"  # (ticket id, address key) told "new ticket"
_SENT = "ticketcore.notify.sent"  # ticket id → address key → Message-IDs of its emails so far
_OPENED = "ticketcore.notify.opened"  # ticket id → Message-ID of the email that opened it, if any
_MESSAGE_ID = re.compile(r"^<[^<>\s]+@[^<>\s]+>$")

# The notification preference (`User.notification_preferences`) that can switch an event off.
# Receipts of new tickets, feedback requests, assignments and SLA warnings are not optional.
PREFERENCE_OF_EVENT: dict[Event, str] = {
    Event.AGENT_REPLIED: "replies",
    Event.STATUS_CHANGED: "status",
    Event.TICKET_CLOSED: "status",
    Event.NEW_TICKET: "new_tickets",
    Event.CUSTOMER_REPLIED: "customer_replies",
}


@dataclass
class _Recipient:
    address: str
    user: User | None
    is_requester: bool = False


def queue_event(
    uow: UnitOfWork,
    event: Event,
    ticket: Ticket,
    *,
    actor: Actor | None = None,
    message: Message | None = None,
    guest_token: str | None = None,
    old_status: str | None = None,
    target: str | None = None,
    due: datetime | None = None,
) -> None:
    """Write one outbox row per recipient of `event` (rendered now, sent after commit)."""
    if uow.helpdesk.mute_notifications:
        return
    if message is not None and message.is_internal:
        return  # notes stay inside, even if a caller asks
    helpdesk = uow.helpdesk
    session = uow.session
    recipients = _choose_recipients(uow, event, ticket, actor)
    addresses = [r.address for r in recipients]
    helpdesk.hook.prepare_notification_recipients(
        helpdesk=helpdesk, event=event.value, ticket=ticket, recipients=addresses
    )
    recipients = _after_plugins(session, recipients, addresses)
    if not recipients:
        return
    if event is Event.NEW_TICKET:
        told: set[tuple[int, str]] = uow.state.setdefault(_NEW_TICKET_TO, set())
        told.update((ticket.id, email_key(r.address)) for r in recipients)

    now = helpdesk.clock.now()
    domain = _domain(helpdesk.settings.reply_address)
    actor_name = _actor_name(session, actor)
    root, previous = _previous_ids(uow, ticket, domain, customer_side=event.to_customer)
    if (message is not None and message.id is None) or ticket.id is None:
        session.flush()  # the rows below name them by id
    rows: list[dict[str, Any]] = []
    for recipient in recipients:
        locale, zone = _reader(recipient.user)
        context = _context(
            helpdesk,
            event,
            ticket,
            recipient=recipient,
            staff=not event.to_customer,
            actor_name=actor_name,
            message=message,
            guest_link=(
                guest_url(helpdesk.settings, track_id=ticket.track_id, token=guest_token)
                if guest_token and recipient.is_requester and event is Event.TICKET_CREATED
                else ""
            ),
            old_status=old_status,
            acted_as_staff=actor is not None and actor.is_staff,
            target=target or "",
            due=format_deadline(due, zone, locale, now=now) if due is not None else "",
            locale=locale,
        )
        rendered = render_email(helpdesk, event.value, context, locale=locale)
        if _too_big(rendered.text, rendered.html) and context["message"] is not None:
            context["message"] = _message(
                message, locale, helpdesk.settings.site_name, limit=_SHORT_EXCERPT_CHARS
            )
            rendered = render_email(helpdesk, event.value, context, locale=locale)
        earlier = previous.setdefault(email_key(recipient.address), [])
        references = [*root, *earlier[-_PREVIOUS_IDS:]]
        email_message_id = f"<tc-out-{secrets.token_hex(16)}@{domain}>"
        rows.append(
            {
                "event": event.value,
                "ticket_id": ticket.id,
                "message_id": message.id if message is not None else None,
                "recipient": recipient.address,
                "recipient_user_id": recipient.user.id if recipient.user is not None else None,
                "email_message_id": email_message_id,
                "subject": rendered.subject,
                "body_text": rendered.text,
                "body_html": rendered.html,
                "headers": _headers(helpdesk, ticket, event, recipient, domain, references),
                "status": OutboxStatus.PENDING,
                "attempts": 0,
                "next_attempt_at": now,
                "created_at": now,
            }
        )
        earlier.append(email_message_id)
    pending: list[dict[str, Any]] | None = uow.state.get(_PENDING)
    if pending is None:
        pending = uow.state[_PENDING] = []
        uow.before_commit(lambda: _write_rows(uow, pending))
    pending.extend(rows)


def _write_rows(uow: UnitOfWork, rows: list[dict[str, Any]]) -> None:
    """Write every email the transaction queued, in one statement, just before it commits (a
    new ticket queues two or three events). Outbox rows are written once and then only read by
    the dispatcher: no ORM objects are needed. Their ids are asked back (in the rows' order)
    only when this process sends them after the commit."""
    if not uow.helpdesk.settings.deliver_after_commit:
        uow.session.execute(_OUTBOX_INSERT, rows)
        return
    for row_id in uow.session.scalars(_OUTBOX_INSERT_RETURNING, rows):
        deliver_after_commit(uow, row_id)


_OUTBOX = table_of(OutboxMessage)
_OUTBOX_INSERT = insert(_OUTBOX)
_OUTBOX_INSERT_RETURNING = _OUTBOX_INSERT.returning(_OUTBOX.c.id, sort_by_parameter_order=True)


def opened(uow: UnitOfWork, ticket: Ticket, message: Message) -> None:
    """Tell the queue that `ticket` was opened in this transaction by `message`: it has sent no
    email yet, and the only email it can answer is the one that opened it, so the three events
    of a new ticket ask the database nothing about earlier emails."""
    uow.state.setdefault(_SENT, {})[ticket.id] = {}
    uow.state.setdefault(_OPENED, {})[ticket.id] = message.email_message_id


def deliver_after_commit(uow: UnitOfWork, row_id: int) -> None:
    """Send outbox row `row_id` right after `uow` commits, with every other row the transaction
    queued (one delivery run per transaction), when `deliver_after_commit` is on; else a worker
    sends it."""
    helpdesk = uow.helpdesk
    ids: list[int] = uow.state.setdefault(_QUEUED, [])
    if not ids and helpdesk.settings.deliver_after_commit:
        uow.after_commit(lambda: deliver_queued(helpdesk, ids))
    ids.append(row_id)


def deliver_queued(helpdesk: Helpdesk, ids: Sequence[int]) -> None:
    """Try to send the rows one transaction queued, right after it committed.

    Never raises: the change is already saved, and an email that could not go now waits in the
    outbox for `ticketcore outbox run`.
    """
    try:
        helpdesk.outbox.deliver(ids=list(ids))
    except Exception:
        log.exception("emails of a committed change could not be sent; they wait in the outbox")


# ---------------------------------------------------------------------------- recipients


def _choose_recipients(
    uow: UnitOfWork, event: Event, ticket: Ticket, actor: Actor | None
) -> list[_Recipient]:
    session = uow.session
    chosen: list[_Recipient] = []
    if event.to_customer:
        requester = ticket.requester
        receipt = event is Event.TICKET_CREATED  # the requester's own receipt of what they sent
        # On resolving, the requester gets the feedback request (only they can rate) and the
        # people copied get the plain status notice.
        resolved_notice = event is Event.STATUS_CHANGED and ticket.status is Status.RESOLVED
        if (
            requester.is_active
            and not resolved_notice
            and (receipt or not _is_actor(actor, requester))
            and _wants(requester, event)
        ):
            chosen.append(_Recipient(requester.email, requester, is_requester=True))
        if event is Event.FEEDBACK_REQUEST:
            return chosen
        keys = [cc.email_key for cc in ticket.cc]
        users = _users_by_key(session, keys)
        for cc in ticket.cc:
            user = users.get(cc.email_key)
            if user is not None and (
                not user.is_active or _is_actor(actor, user) or not _wants(user, event)
            ):
                continue
            if actor is not None and actor.email_key == cc.email_key:
                continue
            chosen.append(_Recipient(cc.email, user))
        return chosen

    assignee = ticket.assignee
    staff: list[User]
    if event is Event.ASSIGNED_TO_YOU:
        staff = [assignee] if assignee is not None and assignee.is_active else []
        told: set[tuple[int, str]] = uow.state.get(_NEW_TICKET_TO, set())
        staff = [u for u in staff if (ticket.id, u.email_key) not in told]
    elif assignee is not None and assignee.is_active:
        staff = [assignee]
    elif ticket.team_id is not None:
        staff = list(
            session.scalars(
                select(User)
                .join(TeamMember, TeamMember.user_id == User.id)
                .where(
                    TeamMember.team_id == ticket.team_id,
                    User.is_active.is_(True),
                    User.role.in_([Role.AGENT, Role.ADMIN]),
                )
                .order_by(User.id)
            )
        )
    else:
        staff = []
    return [_Recipient(u.email, u) for u in staff if not _is_actor(actor, u) and _wants(u, event)]


def _wants(user: User, event: Event) -> bool:
    """False when the user switched this kind of email off in their profile (keys missing from
    their preferences mean yes)."""
    key = PREFERENCE_OF_EVENT.get(event)
    if key is None or not user.notification_preferences:
        return True
    return user.notification_preferences.get(key, True) is not False


def _is_actor(actor: Actor | None, user: User) -> bool:
    if actor is None:
        return False
    return actor.user_id == user.id or (
        actor.email_key is not None and actor.email_key == user.email_key
    )


def _users_by_key(session: Session, keys: Sequence[str]) -> dict[str, User]:
    if not keys:
        return {}
    return {u.email_key: u for u in session.scalars(select(User).where(User.email_key.in_(keys)))}


def _after_plugins(
    session: Session, chosen: list[_Recipient], addresses: list[str]
) -> list[_Recipient]:
    """The plugins' list, one entry per person, with the accounts of addresses they added;
    addresses that cannot be written into a header are dropped with a warning."""
    known = {email_key(r.address): r for r in chosen}
    result: list[_Recipient] = []
    seen: set[str] = set()
    for address in addresses:
        if not isinstance(address, str) or not _valid_address(address):
            log.warning("not emailing %r: not a single valid address", address)
            continue
        key = email_key(address.strip())
        if key in seen:
            continue
        seen.add(key)
        result.append(known.get(key) or _Recipient(address.strip(), None))
    added = [email_key(r.address) for r in result if r.user is None]
    if added:
        users = _users_by_key(session, added)
        for recipient in result:
            if recipient.user is None:
                recipient.user = users.get(email_key(recipient.address))
    return result


@lru_cache(maxsize=4096)
def _valid_address(address: str) -> bool:
    if one_line(address) != address.strip() or not address.strip():
        return False
    try:
        Address(addr_spec=address.strip())
    except (ValueError, IndexError, TypeError):
        return False
    return True


# ---------------------------------------------------------------------------- content


def _reader(user: User | None) -> tuple[str, str]:
    """The locale and time zone to write in: the user's when usable, else English and UTC (an
    unknown zone typed into a profile must not stop a reply from being saved)."""
    locale = user.locale if user is not None and user.locale else "en"
    zone = user.timezone if user is not None and user.timezone else "UTC"
    if not known_locale(locale):
        log.warning("unknown locale %r; writing in English", locale)
        locale = "en"
    if not _known_zone(zone):
        log.warning("unknown time zone %r; writing in UTC", zone)
        zone = "UTC"
    return locale, zone


# Asked for every email: Babel parses a locale's name in tens of microseconds.
@lru_cache(maxsize=256)
def known_locale(locale: str) -> bool:
    """Whether Babel knows `locale` ("fr", "pt_BR", "de-CH")."""
    try:
        Locale.parse(locale, sep="-" if "-" in locale else "_")
    except (UnknownLocaleError, ValueError, TypeError):
        return False
    return True


@lru_cache(maxsize=256)
def _known_zone(zone: str) -> bool:
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def _actor_name(session: Session, actor: Actor | None) -> str:
    if actor is None or actor.user_id is None:
        return ""
    user = session.get(User, actor.user_id)
    return user.display_name if user is not None else ""


def _message(
    message: Message | None, locale: str, site_name: str, limit: int = EXCERPT_CHARS
) -> dict[str, Any] | None:
    if message is None:
        return None
    text = message.body.strip()
    truncated = len(text) > limit
    if truncated:
        text = text[:limit].rstrip() + " …"
    author = message.author
    return {
        "author": author.display_name if author is not None else site_name,
        "text": text,
        # Stored HTML was sanitized when the message was saved; a shortened text is rendered
        # (and sanitized) again so no tag is left open.
        "html": render_markdown(text) if truncated else message.body_html,
        "truncated": truncated,
        "attachments": [
            {"filename": a.filename, "size": format_size(a.size, locale)}
            for a in message.attachments
        ],
    }


def _context(
    helpdesk: Helpdesk,
    event: Event,
    ticket: Ticket,
    *,
    recipient: _Recipient,
    staff: bool,
    actor_name: str,
    message: Message | None,
    guest_link: str,
    old_status: str | None,
    acted_as_staff: bool,
    target: str,
    due: str,
    locale: str,
) -> dict[str, Any]:
    settings = helpdesk.settings
    status = ticket.status
    old = Status(old_status) if old_status else status
    user = recipient.user
    return {
        "site_name": settings.site_name,
        "site_url": settings.site_url.rstrip("/"),
        "brand_color": settings.brand_color,
        "logo_url": settings.logo_url,
        "event": event.value,
        "recipient": {
            "name": user.display_name if user is not None else "",
            "email": recipient.address,
            "is_staff": staff,
            "is_requester": recipient.is_requester,
        },
        "ticket": {
            "track_id": ticket.track_id,
            "number": ticket.number,
            "subject": ticket.subject,
            "status": status.label,
            "priority": ticket.priority.label,
            "team": ticket.team.name if ticket.team is not None else "",
            "requester": ticket.requester.display_name,
            "requester_email": ticket.requester.email if staff else "",
            "assignee": ticket.assignee.display_name if ticket.assignee is not None else "",
            "url": ticket_url(settings, track_id=ticket.track_id, staff=staff),
        },
        "actor": actor_name,
        "acted_as_staff": acted_as_staff,
        "message": _message(message, locale, settings.site_name),
        "old_status": old.label,
        "new_status": status.label,
        "new_status_code": status.value,
        "status_changed": old is not status,
        "waiting_on_you": status.group is StatusGroup.WAITING_ON_YOU,
        "reopen_by_reply": settings.reply_on_closed == "reopen",
        "target": target,
        "due": due,
        "guest_url": guest_link,
        "is_assignee": user is not None and ticket.assignee_id == user.id,
    }


def _too_big(text: str, html: str | None) -> bool:
    return max(len(text.encode()), len((html or "").encode())) > _MAX_BODY_BYTES


# ---------------------------------------------------------------------------- headers


def thread_id(track_id: str, domain: str) -> str:
    """The Message-ID every email about a ticket answers, so mail clients keep them together."""
    return f"<ticket-{track_id}@{domain}>"


def reply_to_address(reply_address: str, token: str | None) -> str:
    """`support+<token>@example.com`: replies by email find their ticket by the token."""
    local, _, domain = reply_address.strip().rpartition("@")
    if not token or not local:
        return reply_address.strip()
    return f"{local}+{token}@{domain}"


def _domain(reply_address: str) -> str:
    return reply_address.strip().rpartition("@")[2] or "localhost"


def _previous_ids(
    uow: UnitOfWork, ticket: Ticket, domain: str, *, customer_side: bool
) -> tuple[list[str], dict[str, list[str]]]:
    """What new emails about `ticket` refer to: the thread id, then (customer side) the last
    message that came in by email; and, by address, the emails this ticket sent there before.

    The sent ones are read once per transaction and kept up to date by `queue_event` as it
    queues more; for a ticket opened in the same transaction (`opened`) neither is read."""
    session = uow.session
    root = [thread_id(ticket.track_id, domain)]
    if customer_side:
        opening: dict[int, str | None] = uow.state.get(_OPENED, {})
        if ticket.id in opening and not ticket.reply_count:  # its first message is its only one
            inbound = opening[ticket.id]
        else:
            inbound = session.scalar(
                select(Message.email_message_id)
                .where(
                    Message.ticket_id == ticket.id,
                    Message.is_internal.is_(False),
                    Message.email_message_id.is_not(None),
                )
                .order_by(Message.created_at.desc(), Message.id.desc())
                .limit(1)
            )
        if inbound:
            inbound = inbound.strip()
            normalized = inbound if inbound.startswith("<") else f"<{inbound}>"
            if _MESSAGE_ID.match(normalized):
                root.append(normalized)
    by_ticket: dict[int, dict[str, list[str]]] = uow.state.setdefault(_SENT, {})
    if ticket.id not in by_ticket:
        sent: dict[str, list[str]] = {}
        for recipient, message_id in session.execute(
            select(OutboxMessage.recipient, OutboxMessage.email_message_id)
            .where(OutboxMessage.ticket_id == ticket.id)
            .order_by(OutboxMessage.id)
        ):
            sent.setdefault(email_key(recipient), []).append(message_id)
        by_ticket[ticket.id] = sent
    return root, by_ticket[ticket.id]


def _headers(
    helpdesk: Helpdesk,
    ticket: Ticket,
    event: Event,
    recipient: _Recipient,
    domain: str,
    references: list[str],
) -> dict[str, str]:
    settings = helpdesk.settings
    name = recipient.user.display_name if recipient.user is not None else ""
    return {
        "To": _mailbox(name, recipient.address),
        "Reply-To": _reply_to(settings.site_name, settings.reply_address, ticket.reply_token),
        "In-Reply-To": references[-1],
        "References": " ".join(references),
        "Auto-Submitted": "auto-generated",
        # Exchange and Outlook: no out-of-office answers to notifications.
        "X-Auto-Response-Suppress": "All",
        "X-Ticketcore-Ticket": ticket.track_id,
        "X-Ticketcore-Event": event.value,
    }


# Python's header parser is the slow part of writing headers (about 20 µs an address, several
# per email): each address is parsed once, and the per-ticket Reply-To is assembled from parts.


@lru_cache(maxsize=4096)
def _mailbox(name: str, address: str) -> str:
    """`Name <address>`, quoted as a header needs it."""
    return str(Address(display_name=one_line(name, 200), addr_spec=address))


def _reply_to(site_name: str, reply_address: str, token: str | None) -> str:
    """`Site <support+token@example.com>`: replies find their ticket by the token."""
    parts = _local_and_domain(reply_address.strip())
    if parts is None:
        # A mistyped `reply_address` must not stop the change from being saved: the email fails
        # when it is built, and `ticketcore outbox status` shows why.
        log.error("reply_address %r is not a valid address", reply_address)
        return reply_to_address(reply_address, token)
    local, domain = parts
    username = f"{local}+{token}" if token else local
    return str(Address(display_name=one_line(site_name, 200), username=username, domain=domain))


@lru_cache(maxsize=16)
def _local_and_domain(address: str) -> tuple[str, str] | None:
    try:
        parsed = Address(addr_spec=address)
    except (ValueError, IndexError):
        return None
    return parsed.username, parsed.domain
