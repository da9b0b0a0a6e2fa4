"""Tickets: opening them (by customers, guests and staff), reading them, and changing them."""

from __future__ import annotations

import builtins
import hashlib
import hmac
import secrets
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session, selectinload

from ..customfields import clean_custom_fields
from ..errors import Conflict, InvalidInput, NotFound, PermissionDenied
from ..models import (
    AuditEvent,
    Feedback,
    Message,
    Organization,
    ReplySide,
    Role,
    Team,
    Ticket,
    TicketCC,
    User,
)
from ..notify.events import Event
from ..notify.queue import queue_event
from ..permissions import Access, Action, Actor, ActorKind, may, ticket_visibility
from ..schemas import (
    AuditOut,
    CreatedTicket,
    FeedbackCreate,
    FeedbackOut,
    GuestTicketCreate,
    Page,
    StatusCounts,
    TicketCreate,
    TicketOut,
    TicketQuery,
    TicketSummary,
    TicketUpdate,
    email_key,
    normalize_email,
    parse,
)
from ..trackid import new_track_id, normalize_track_id
from ..workflow import FINISHED, Priority, Status, TicketKind, check_transition
from . import listing
from .assignment import choose_assignee
from .attachments import add_message, check_files
from .base import (
    FieldErrors,
    Service,
    find_organization,
    find_staff,
    find_team,
    find_template,
    find_user,
    parse_priority,
)
from .changes import audit, next_ticket_number, set_status
from .convert import ticket_out
from .sla import apply_policy
from .unit_of_work import UnitOfWork


def _hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class TicketService(Service):
    # ------------------------------------------------------------ visibility

    def visibility(self, actor: Actor) -> ColumnElement[bool]:
        """The SQL condition selecting the tickets `actor` may see, plugins included."""
        extra: list[Access] = [
            a
            for a in self.helpdesk.hook.ticket_access(helpdesk=self.helpdesk, actor=actor)
            if a is not None
        ]
        return ticket_visibility(actor, self.settings, extra)

    def load(
        self, session: Session, actor: Actor, ticket_id: int, *, for_update: bool = False
    ) -> Ticket:
        """The ticket if `actor` may see it, else `NotFound`. With `for_update` the row is locked
        so concurrent replies and changes queue up instead of overwriting each other."""
        found = session.scalar(
            select(Ticket.id).where(Ticket.id == ticket_id, self.visibility(actor))
        )
        if found is None:
            raise NotFound(f"no ticket {ticket_id}")
        query = (
            select(Ticket)
            .where(Ticket.id == ticket_id)
            .options(
                selectinload(Ticket.cc),
                selectinload(Ticket.requester),
                selectinload(Ticket.assignee),
                selectinload(Ticket.team),
                selectinload(Ticket.organization),
                selectinload(Ticket.template),
            )
        )
        if for_update:
            query = query.with_for_update().execution_options(populate_existing=True)
        ticket = session.scalar(query)
        if ticket is None:  # deleted between the two statements
            raise NotFound(f"no ticket {ticket_id}")
        return ticket

    def require(self, actor: Actor, ticket: Ticket, action: Action) -> None:
        decision = self.helpdesk.hook.permission_for_ticket(
            helpdesk=self.helpdesk, actor=actor, ticket=ticket, action=action
        )
        if decision is None:
            decision = may(actor, ticket, action, self.settings)
        if not decision:
            raise PermissionDenied(f"you may not {action.value} this ticket")

    # ------------------------------------------------------------ opening

    def create(
        self, actor: Actor, data: TicketCreate | Mapping[str, Any] | None = None, **fields: Any
    ) -> CreatedTicket:
        """Open a ticket. Customers open their own; staff name the `requester`."""
        values = parse(TicketCreate, data, fields)
        if actor.kind in (ActorKind.GUEST, ActorKind.ANONYMOUS):
            raise PermissionDenied("guests open tickets through create_as_guest()")
        with self.transaction() as uow:
            session = uow.session
            requester: User | None
            if actor.is_staff:
                if values.requester is None:
                    raise InvalidInput("say who the ticket is for", field="requester")
                requester = find_user(session, values.requester, "requester")
            else:
                if values.requester is not None:
                    raise InvalidInput("customers open tickets for themselves", field="requester")
                requester = session.get(User, actor.user_id)
                if requester is None:
                    raise NotFound("no such user")
            ticket = self._open(uow, actor, values, requester)
            return CreatedTicket(ticket=ticket_out(actor, ticket))

    def create_as_guest(
        self, data: GuestTicketCreate | Mapping[str, Any] | None = None, **fields: Any
    ) -> CreatedTicket:
        """Open a ticket for an email address without an account.

        The returned `guest_token` (shown once, stored only as a hash) opens this ticket alone:
        pass it with the track ID to `guest_actor()`.
        """
        values = parse(GuestTicketCreate, data, fields)
        token = secrets.token_urlsafe(32)
        with self.transaction() as uow:
            requester = self.helpdesk.users._get_or_create_customer(
                uow.session, values.email, values.display_name
            )
            if requester.role is not Role.CUSTOMER:
                raise InvalidInput("staff addresses cannot open guest tickets", field="email")
            actor = Actor(ActorKind.GUEST, user_id=requester.id, email_key=requester.email_key)
            ticket_values = TicketCreate.model_validate(
                values.model_dump(exclude={"email", "display_name"})
            )
            ticket = self._open(uow, actor, ticket_values, requester, guest_token=token)
            guest = Actor(
                ActorKind.GUEST,
                user_id=requester.id,
                email_key=requester.email_key,
                ticket_id=ticket.id,
            )
            return CreatedTicket(ticket=ticket_out(guest, ticket), guest_token=token)

    def guest_actor(self, track_id: str, token: str) -> Actor:
        """The guest actor for a secret link; `NotFound` unless track ID and token both match."""
        normalized = normalize_track_id(track_id) or ""
        with self.reading() as uow:
            ticket = uow.session.scalar(select(Ticket).where(Ticket.track_id == normalized))
            if (
                ticket is None
                or ticket.guest_token_hash is None
                or not hmac.compare_digest(ticket.guest_token_hash, _hash_token(token))
            ):
                raise NotFound("no such ticket")
            requester = ticket.requester
            return Actor(
                ActorKind.GUEST,
                user_id=requester.id,
                email_key=requester.email_key,
                ticket_id=ticket.id,
            )

    def _open(
        self,
        uow: UnitOfWork,
        actor: Actor,
        values: TicketCreate,
        requester: User,
        guest_token: str | None = None,
    ) -> Ticket:
        session = uow.session
        settings = self.settings
        errors = FieldErrors()
        if not actor.is_staff:
            if values.team is not None and not settings.customer_can_choose_team:
                errors.errors["team"] = ["the team is chosen for you"]
            if values.priority is not None and not settings.customer_can_choose_priority:
                errors.errors["priority"] = ["the priority is chosen for you"]
            if values.kind != "ticket":
                errors.errors["kind"] = ["only staff start conversations"]
            if values.assignee is not None:
                errors.errors["assignee"] = ["the assignee is chosen for you"]
        if not requester.is_active:
            errors.errors["requester"] = ["this account is deactivated"]
        if values.is_public and not settings.public_tickets:
            errors.errors["is_public"] = ["public tickets are switched off"]
        team = (
            errors.check(find_team, session, values.team)
            if values.team is not None
            else session.scalar(select(Team).where(Team.is_default.is_(True)))
        )
        priority = errors.check(parse_priority, values.priority or Priority.NORMAL)
        chosen: User | None = None
        if actor.is_staff and values.assignee is not None:
            chosen = errors.check(find_staff, session, values.assignee, "assignee")
            if chosen is not None and not chosen.is_active:
                errors.errors["assignee"] = [f"{chosen.email} is deactivated"]
        elif actor.is_staff and values.kind == "conversation" and actor.user_id is not None:
            chosen = session.get(User, actor.user_id)  # who starts a conversation carries it on
        template = None
        custom: dict[str, Any] = {}
        if values.template is not None:
            template = errors.check(find_template, session, values.template)
            if template is not None:
                custom = (
                    errors.check(clean_custom_fields, template.fields, values.custom_fields) or {}
                )
        elif values.custom_fields:
            errors.errors["custom_fields"] = ["choose a template before filling its fields"]
        errors.check(check_files, values.attachments, settings)
        errors.raise_if_any()
        if values.email_message_id and session.scalar(
            select(Message.id).where(Message.email_message_id == values.email_message_id)
        ):
            raise Conflict(f"message {values.email_message_id} was already received")

        now = self.helpdesk.clock.now()
        ticket = Ticket(
            number=next_ticket_number(session),
            track_id=self._free_track_id(session),
            subject=values.subject,
            kind=TicketKind(values.kind),
            requester_id=requester.id,
            organization_id=requester.organization_id,
            team_id=team.id if team else None,
            priority=priority,
            status=Status.OPEN,
            is_public=values.is_public,
            template_id=template.id if template else None,
            custom_fields=custom,
            guest_token_hash=_hash_token(guest_token) if guest_token else None,
            reply_token=secrets.token_hex(12),
            created_at=now,
            updated_at=now,
            last_reply_at=now,
            last_reply_by=ReplySide.AGENT if actor.is_staff else ReplySide.CUSTOMER,
            reply_count=0,
            note_count=0,
        )
        ticket.requester = requester
        ticket.team = team
        ticket.template = template
        copied: dict[str, str] = {}
        for address in values.cc:  # one entry per person, in the spelling given first
            copied.setdefault(email_key(address), address)
        copied.pop(requester.email_key, None)
        ticket.cc = [TicketCC(email=e, email_key=key) for key, e in copied.items()]
        session.add(ticket)
        assignee = chosen or choose_assignee(self.helpdesk, session, ticket)
        ticket.assignee = assignee
        self.helpdesk.hook.before_ticket_created(helpdesk=self.helpdesk, actor=actor, ticket=ticket)
        # The hook may have changed the assignee, team or priority: read them afterwards.
        assignee = ticket.assignee
        session.flush()
        apply_policy(uow, ticket)
        author = session.get(User, actor.user_id) if actor.user_id else requester
        message = add_message(
            uow,
            ticket,
            author,
            values.body,
            values.attachments,
            source=values.source,
            email_message_id=values.email_message_id,
        )
        audit(uow, actor, ticket, "created")
        if assignee is not None:
            audit(uow, actor, ticket, "changed", "assignee", None, assignee.email)
        session.flush()
        snapshot = ticket_out(Actor.system(), ticket)
        uow.emit("after_ticket_created", ticket=snapshot)
        queue_event(
            uow, Event.TICKET_CREATED, ticket, actor=actor, message=message, guest_token=guest_token
        )
        if not actor.is_staff:
            queue_event(uow, Event.NEW_TICKET, ticket, actor=actor, message=message)
        if assignee is not None:
            uow.emit("after_ticket_assigned", ticket=snapshot, assignee_id=assignee.id, actor=actor)
            if assignee.id != actor.user_id:
                queue_event(uow, Event.ASSIGNED_TO_YOU, ticket, actor=actor)
        return ticket

    def _free_track_id(self, session: Session) -> str:
        while True:  # a clash is a one-in-10^14 event; the unique index is the real guarantee
            candidate = new_track_id()
            if session.scalar(select(Ticket.id).where(Ticket.track_id == candidate)) is None:
                return candidate

    # ------------------------------------------------------------ reading

    def get(self, actor: Actor, ticket_id: int) -> TicketOut:
        with self.reading() as uow:
            return ticket_out(actor, self.load(uow.session, actor, ticket_id))

    def get_by_track_id(self, actor: Actor, track_id: str) -> TicketOut:
        """Find a ticket by the ID a customer quotes ("abc-def-2345" works too)."""
        normalized = normalize_track_id(track_id)
        with self.reading() as uow:
            ticket_id = normalized and uow.session.scalar(
                select(Ticket.id).where(Ticket.track_id == normalized)
            )
            if not ticket_id:
                raise NotFound(f"no ticket {track_id!r}")
            return ticket_out(actor, self.load(uow.session, actor, ticket_id))

    def get_by_number(self, actor: Actor, number: int) -> TicketOut:
        with self.reading() as uow:
            ticket_id = uow.session.scalar(select(Ticket.id).where(Ticket.number == number))
            if ticket_id is None:
                raise NotFound(f"no ticket #{number}")
            return ticket_out(actor, self.load(uow.session, actor, ticket_id))

    def list(
        self, actor: Actor, query: TicketQuery | Mapping[str, Any] | None = None, **fields: Any
    ) -> Page[TicketSummary]:
        """One page of the tickets `actor` may see: two SQL statements whatever the page size."""
        values = parse(TicketQuery, query, fields)
        with self.reading() as uow:
            return listing.page(uow.session, actor, self.settings, self.visibility(actor), values)

    def counts(
        self, actor: Actor, query: TicketQuery | Mapping[str, Any] | None = None, **fields: Any
    ) -> StatusCounts:
        """How many visible tickets are in each status and status group (status filters ignored)."""
        values = parse(TicketQuery, query, fields)
        with self.reading() as uow:
            return listing.counts(uow.session, actor, self.settings, self.visibility(actor), values)

    def audit_trail(self, actor: Actor, ticket_id: int) -> builtins.list[AuditOut]:
        if not actor.is_staff:
            raise NotFound(f"no ticket {ticket_id}")
        with self.reading() as uow:
            self.load(uow.session, actor, ticket_id)
            rows = uow.session.scalars(
                select(AuditEvent)
                .where(AuditEvent.ticket_id == ticket_id)
                .order_by(AuditEvent.created_at, AuditEvent.id)
            ).all()
            return [AuditOut.model_validate(r) for r in rows]

    # ------------------------------------------------------------ changing

    def update(
        self,
        actor: Actor,
        ticket_id: int,
        data: TicketUpdate | Mapping[str, Any] | None = None,
        **fields: Any,
    ) -> TicketOut:
        """Staff change status, priority, team, assignee, subject or custom fields; each change
        is audited. `assignee=0` (or "none") unassigns."""
        values = parse(TicketUpdate, data, fields)
        given = values.model_fields_set
        with self.transaction() as uow:
            session = uow.session
            ticket = self.load(session, actor, ticket_id, for_update=True)
            self.require(actor, ticket, Action.UPDATE)
            errors = FieldErrors()
            new_status = values.status if "status" in given else None
            if new_status is not None:
                errors.check(check_transition, ticket.status, new_status)
            priority = (
                errors.check(parse_priority, values.priority)
                if "priority" in given and values.priority is not None
                else None
            )
            team = (
                errors.check(find_team, session, values.team)
                if "team" in given and values.team is not None
                else None
            )
            assignee: User | None = None
            unassign = "assignee" in given and values.assignee in (None, 0, "0", "none")
            if "assignee" in given and not unassign:
                assignee = errors.check(find_staff, session, values.assignee, "assignee")
                if assignee is not None and not assignee.is_active:
                    errors.errors["assignee"] = [f"{assignee.email} is deactivated"]
            organization: Organization | None = None
            drop_organization = "organization" in given and values.organization in (
                None,
                0,
                "0",
                "none",
            )
            if "organization" in given and not drop_organization:
                organization = errors.check(find_organization, session, values.organization)
            custom = None
            if values.custom_fields is not None:
                if ticket.template is None:
                    errors.errors["custom_fields"] = ["this ticket has no template"]
                else:
                    cleaned = errors.check(
                        clean_custom_fields,
                        ticket.template.fields,
                        values.custom_fields,
                        partial=True,
                    )
                    if cleaned is not None:
                        custom = {**ticket.custom_fields, **cleaned}
            errors.raise_if_any()

            now = self.helpdesk.clock.now()
            changed = assignee_changed = False
            sla_inputs_changed = False  # priority, team and organization choose the SLA policy
            if values.subject is not None and values.subject != ticket.subject:
                audit(uow, actor, ticket, "changed", "subject", ticket.subject, values.subject)
                ticket.subject = values.subject
                changed = True
            if priority is not None and priority != ticket.priority:
                audit(
                    uow, actor, ticket, "changed", "priority", ticket.priority.label, priority.label
                )
                ticket.priority = priority
                changed = sla_inputs_changed = True
            if team is not None and team.id != ticket.team_id:
                audit(uow, actor, ticket, "changed", "team", _name(ticket.team), team.name)
                ticket.team = team
                changed = sla_inputs_changed = True
            if (organization is not None and organization.id != ticket.organization_id) or (
                drop_organization and ticket.organization_id is not None
            ):
                audit(
                    uow,
                    actor,
                    ticket,
                    "changed",
                    "organization",
                    _name(ticket.organization),
                    _name(organization),
                )
                ticket.organization = organization
                changed = sla_inputs_changed = True
            if (assignee is not None and assignee.id != ticket.assignee_id) or (
                unassign and ticket.assignee_id is not None
            ):
                audit(
                    uow,
                    actor,
                    ticket,
                    "changed",
                    "assignee",
                    _email(ticket.assignee),
                    _email(assignee),
                )
                ticket.assignee = assignee
                changed = assignee_changed = True
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
            if new_status is not None:
                set_status(uow, actor, ticket, new_status)
            if changed:
                ticket.updated_at = now
            session.flush()
            out = ticket_out(actor, ticket)
            if new_status is not None:
                self._emit_status(uow, actor, ticket, old_status, notify=True)
            if assignee_changed:
                uow.emit(
                    "after_ticket_assigned",
                    ticket=ticket_out(Actor.system(), ticket),
                    assignee_id=ticket.assignee_id,
                    actor=actor,
                )
                if ticket.assignee_id is not None and ticket.assignee_id != actor.user_id:
                    queue_event(uow, Event.ASSIGNED_TO_YOU, ticket, actor=actor)
            return out

    def close(self, actor: Actor, ticket_id: int, *, resolved: bool = False) -> TicketOut:
        """Close a ticket (or mark it resolved). Customers may finish their own tickets."""
        target = Status.RESOLVED if resolved else Status.CLOSED
        with self.transaction() as uow:
            ticket = self.load(uow.session, actor, ticket_id, for_update=True)
            self.require(actor, ticket, Action.UPDATE if actor.is_staff else Action.FINISH)
            check_transition(ticket.status, target)
            old_status = ticket.status
            set_status(uow, actor, ticket, target)
            uow.session.flush()
            self._emit_status(uow, actor, ticket, old_status, notify=True)
            return ticket_out(actor, ticket)

    def add_cc(self, actor: Actor, ticket_id: int, email: str) -> TicketOut:
        try:
            address = normalize_email(email)
        except ValueError as exc:
            raise InvalidInput(str(exc), field="email") from None
        with self.transaction() as uow:
            ticket = self.load(uow.session, actor, ticket_id, for_update=True)
            self.require(actor, ticket, Action.MANAGE_CC)
            key = email_key(address)
            if key == ticket.requester.email_key or any(c.email_key == key for c in ticket.cc):
                raise InvalidInput(f"{address} already follows this ticket", field="email")
            if len(ticket.cc) >= 20:
                raise InvalidInput("a ticket can copy at most 20 people", field="email")
            ticket.cc.append(TicketCC(email=address, email_key=key))
            ticket.updated_at = self.helpdesk.clock.now()
            audit(uow, actor, ticket, "changed", "cc", None, address)
            uow.session.flush()
            return ticket_out(actor, ticket)

    def remove_cc(self, actor: Actor, ticket_id: int, email: str) -> TicketOut:
        with self.transaction() as uow:
            ticket = self.load(uow.session, actor, ticket_id, for_update=True)
            self.require(actor, ticket, Action.MANAGE_CC)
            key = email_key(email.strip())
            entry = next((c for c in ticket.cc if c.email_key == key), None)
            if entry is None:
                raise InvalidInput(f"{email} is not copied on this ticket", field="email")
            ticket.cc.remove(entry)
            ticket.updated_at = self.helpdesk.clock.now()
            audit(uow, actor, ticket, "changed", "cc", entry.email, None)
            uow.session.flush()
            return ticket_out(actor, ticket)

    def set_public(self, actor: Actor, ticket_id: int, public: bool) -> TicketOut:
        if not self.settings.public_tickets:
            raise InvalidInput("public tickets are switched off", field="is_public")
        with self.transaction() as uow:
            ticket = self.load(uow.session, actor, ticket_id, for_update=True)
            self.require(actor, ticket, Action.SET_PUBLIC)
            if ticket.is_public != public:
                audit(uow, actor, ticket, "changed", "is_public", ticket.is_public, public)
                ticket.is_public = public
                ticket.updated_at = self.helpdesk.clock.now()
            uow.session.flush()
            return ticket_out(actor, ticket)

    def rate(
        self,
        actor: Actor,
        ticket_id: int,
        data: FeedbackCreate | Mapping[str, Any] | None = None,
        **fields: Any,
    ) -> FeedbackOut:
        """The requester rates their resolved (or closed) ticket, once."""
        values = parse(FeedbackCreate, data, fields)
        with self.transaction() as uow:
            session = uow.session
            ticket = self.load(session, actor, ticket_id, for_update=True)
            self.require(actor, ticket, Action.FINISH)
            if ticket.status not in FINISHED:
                raise InvalidInput("a request can be rated once it is resolved", field="rating")
            if session.scalar(select(Feedback.id).where(Feedback.ticket_id == ticket.id)):
                raise Conflict("this request has been rated already")
            feedback = Feedback(
                ticket_id=ticket.id,
                author_id=actor.user_id,
                rating=values.rating,
                comment=values.comment,
                created_at=self.helpdesk.clock.now(),
            )
            session.add(feedback)
            audit(uow, actor, ticket, "rated", "rating", None, values.rating)
            session.flush()
            out = FeedbackOut.model_validate(feedback)
            uow.emit(
                "after_feedback_received",
                ticket=ticket_out(Actor.system(), ticket),
                feedback=out,
                actor=actor,
            )
            return out

    def feedback(self, actor: Actor, ticket_id: int) -> FeedbackOut | None:
        """The ticket's rating, if it has one (for whoever may see the ticket)."""
        with self.reading() as uow:
            ticket = self.load(uow.session, actor, ticket_id)
            row = uow.session.scalar(select(Feedback).where(Feedback.ticket_id == ticket.id))
            return FeedbackOut.model_validate(row) if row else None

    def auto_close(self, batch_size: int = 200) -> int:
        """Close tickets resolved more than `auto_close_days` ago; returns how many closed.

        Safe to run from several processes at once: rows are claimed with SKIP LOCKED and the
        status is checked again after the lock.
        """
        days = self.settings.auto_close_days
        if days == 0:
            return 0
        system = Actor.system()
        closed = 0
        while True:
            with self.transaction() as uow:
                cutoff = self.helpdesk.clock.now() - timedelta(days=days)
                query = (
                    select(Ticket)
                    .where(Ticket.status == Status.RESOLVED, Ticket.resolved_at <= cutoff)
                    .order_by(Ticket.id)
                    .limit(batch_size)
                )
                if uow.session.bind.dialect.name != "sqlite":  # type: ignore[union-attr]
                    query = query.with_for_update(skip_locked=True)
                batch = uow.session.scalars(query).all()
                for ticket in batch:
                    set_status(uow, system, ticket, Status.CLOSED)
                    uow.session.flush()
                    self._emit_status(uow, system, ticket, Status.RESOLVED, notify=True)
                closed += len(batch)
            if len(batch) < batch_size:
                return closed

    def _emit_status(
        self, uow: UnitOfWork, actor: Actor, ticket: Ticket, old: Status, *, notify: bool = False
    ) -> None:
        """Queue the status hooks; with `notify`, email the customer side too (a reply that
        changes the status says so in its own email instead)."""
        if ticket.status == old:
            return
        snapshot = ticket_out(Actor.system(), ticket)
        uow.emit(
            "after_status_changed",
            ticket=snapshot,
            old_status=old.value,
            new_status=ticket.status.value,
            actor=actor,
        )
        if ticket.status is Status.CLOSED:
            uow.emit("after_ticket_closed", ticket=snapshot, actor=actor)
        elif old in FINISHED and ticket.status not in FINISHED:
            uow.emit("after_ticket_reopened", ticket=snapshot, actor=actor)
        if notify:
            event = Event.TICKET_CLOSED if ticket.status is Status.CLOSED else Event.STATUS_CHANGED
            queue_event(uow, event, ticket, actor=actor, old_status=old.value)
            if ticket.status is Status.RESOLVED:  # the requester's version asks for a rating
                queue_event(uow, Event.FEEDBACK_REQUEST, ticket, actor=actor, old_status=old.value)


def _name(row: Any) -> str | None:
    return row.name if row is not None else None


def _email(user: User | None) -> str | None:
    return user.email if user is not None else None
