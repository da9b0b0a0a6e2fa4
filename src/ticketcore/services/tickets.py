"""Tickets: opening them (by customers, guests and staff), reading them, and changing them."""

from __future__ import annotations

import builtins
import hashlib
import hmac
import secrets
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, bindparam, func, select
from sqlalchemy.orm import Session, joinedload, selectinload

from ..customfields import clean_custom_fields
from ..errors import Conflict, InvalidInput, NotFound, PermissionDenied
from ..models import (
    AuditEvent,
    Feedback,
    Organization,
    OrganizationStaff,
    ReplySide,
    Role,
    Ticket,
    TicketCC,
    User,
)
from ..models.base import table_of
from ..notify.events import Event
from ..notify.queue import opened, queue_event
from ..permissions import Access, Action, Actor, ActorKind, may, ticket_visibility
from ..schemas import (
    AuditOut,
    BulkTicketUpdate,
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
from . import config_cache, listing, merging, staleness, updating
from .assignment import choose_assignee
from .attachments import add_posted_message, check_files, refuse_repeated_email
from .base import (
    FieldErrors,
    Service,
    find_staff,
    find_team,
    find_template,
    find_user,
    parse_priority,
)
from .changes import audit, next_ticket_number, set_status
from .convert import SeenTicket, ticket_out
from .inserting import insert_now
from .sla import apply_policy
from .unit_of_work import UnitOfWork

# What changing a ticket and showing it read: loaded with the ticket, not one by one later.
_DETAILS = (
    selectinload(Ticket.cc),
    selectinload(Ticket.requester),
    selectinload(Ticket.assignee),
    selectinload(Ticket.team),
    selectinload(Ticket.organization),
    selectinload(Ticket.template),
)

# Built once, as every new ticket runs them: a statement object keeps its compiled form's key.
# A customer opening a ticket: their organization (on the ticket) and its staff (who may get
# it) come with them, in the one statement.
_REQUESTER = (
    select(User)
    .where(User.id == bindparam("id"))
    .options(
        joinedload(User.organization)
        .joinedload(Organization.staff)
        .joinedload(OrganizationStaff.user)
    )
)
_TICKETS = table_of(Ticket)
_TRACK_ID_TAKEN = select(_TICKETS.c.id).where(_TICKETS.c.track_id == bindparam("track_id"))


def _hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _conversation_errors(values: TicketCreate) -> dict[str, list[str]]:
    """Only conversations have a type; a document request, and nothing else, names the document
    it waits for, so the customer knows what to attach."""
    errors: dict[str, list[str]] = {}
    if values.conversation_type is not None and values.kind != "conversation":
        errors["conversation_type"] = ["only conversations have a type"]
    if values.conversation_type == "document_request":
        if not values.awaited_document:
            errors["awaited_document"] = ["say which document you are waiting for"]
    elif values.awaited_document:
        errors["awaited_document"] = ["only a document request waits for a document"]
    return errors


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

    def seen(self, session: Session, actor: Actor, ticket_id: int) -> SeenTicket:
        """The id and organization of ticket `ticket_id` if `actor` may see it, else `NotFound`:
        for reads of what hangs off a ticket (its thread, rating, tasks, trail), which need the
        permission check but not the ticket with its people, team and copies (seven statements
        where this is one)."""
        return self._seen_where(session, actor, Ticket.id == ticket_id, f"no ticket {ticket_id}")

    def load(
        self, session: Session, actor: Actor, ticket_id: int, *, for_update: bool = False
    ) -> Ticket:
        """The ticket if `actor` may see it, else `NotFound`. With `for_update` the row is locked
        so concurrent replies and changes queue up instead of overwriting each other."""
        return self._load_where(
            session, actor, Ticket.id == ticket_id, f"no ticket {ticket_id}", for_update
        )

    def _seen_where(
        self, session: Session, actor: Actor, which: ColumnElement[bool], missing: str
    ) -> SeenTicket:
        """The one ticket `which` selects (by id, track ID or number), found and checked against
        what `actor` may see in one statement; `NotFound(missing)` otherwise."""
        row = session.execute(
            select(Ticket.id, Ticket.organization_id).where(which, self.visibility(actor))
        ).first()
        if row is None:
            raise NotFound(missing)
        return SeenTicket(row.id, row.organization_id)

    def _load_where(
        self,
        session: Session,
        actor: Actor,
        which: ColumnElement[bool],
        missing: str,
        for_update: bool = False,
    ) -> Ticket:
        """`_seen_where`'s ticket, loaded with its details."""
        found = self._seen_where(session, actor, which, missing)
        query = select(Ticket).where(Ticket.id == found.id).options(*_DETAILS)
        if for_update:
            query = query.with_for_update().execution_options(populate_existing=True)
        ticket = session.scalar(query)
        if ticket is None:  # deleted between the two statements
            raise NotFound(missing)
        return ticket

    def load_many(
        self, session: Session, actor: Actor, ticket_ids: Sequence[int], *, for_update: bool = False
    ) -> builtins.list[Ticket]:
        """The tickets in id order if `actor` may see every one, else `NotFound` naming none.
        Locked in id order, two callers over the same tickets queue instead of deadlocking."""
        ids = sorted(set(ticket_ids))
        visible = session.scalar(
            select(func.count())
            .select_from(Ticket)
            .where(Ticket.id.in_(ids), self.visibility(actor))
        )
        if visible != len(ids):
            raise NotFound("no such ticket")
        query = select(Ticket).where(Ticket.id.in_(ids)).order_by(Ticket.id).options(*_DETAILS)
        if for_update:
            query = query.with_for_update().execution_options(populate_existing=True)
        found = session.scalars(query).all()
        if len(found) != len(ids):  # deleted between the two statements
            raise NotFound("no such ticket")
        return builtins.list(found)

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
                requester = session.scalars(_REQUESTER, {"id": actor.user_id}).unique().first()
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
            if values.conversation_type is not None:
                errors.errors["conversation_type"] = ["only staff start conversations"]
            if values.awaited_document is not None:
                errors.errors["awaited_document"] = ["only staff start conversations"]
        else:
            errors.errors.update(_conversation_errors(values))
        if not requester.is_active:
            errors.errors["requester"] = ["this account is deactivated"]
        if values.is_public and not settings.public_tickets:
            errors.errors["is_public"] = ["public tickets are switched off"]
        team = (
            errors.check(find_team, session, values.team)
            if values.team is not None
            else config_cache.current(uow).default_team(session)
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
        refuse_repeated_email(session, values)

        now = self.helpdesk.clock.now()
        ticket = Ticket(
            number=next_ticket_number(session),
            track_id=self._free_track_id(session),
            subject=values.subject,
            kind=TicketKind(values.kind),
            conversation_type=(
                (values.conversation_type or "general") if values.kind == "conversation" else None
            ),
            awaited_document=values.awaited_document or None,
            requester_id=requester.id,
            organization_id=requester.organization_id,
            organization=requester.organization,
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
        session.add(ticket)  # where `before_ticket_created` plugins find it
        with session.no_autoflush:  # the row goes in once, with its assignee: no UPDATE after
            assignee = chosen or choose_assignee(self.helpdesk, session, ticket)
        ticket.assignee = assignee
        self.helpdesk.hook.before_ticket_created(helpdesk=self.helpdesk, actor=actor, ticket=ticket)
        # The hook may have changed the assignee, team or priority: read them afterwards.
        assignee = ticket.assignee
        with session.no_autoflush:
            apply_policy(uow, ticket)
            author = session.get(User, actor.user_id) if actor.user_id else requester
        insert_now(session, ticket)
        message = add_posted_message(uow, ticket, author, values)
        session.flush()  # its CC and the message's attachments
        opened(uow, ticket, message)
        audit(uow, actor, ticket, "created")
        if assignee is not None:
            audit(uow, actor, ticket, "changed", "assignee", None, assignee.email)
        if uow.listens("after_ticket_created", "after_ticket_assigned"):
            snapshot = ticket_out(Actor.system(), ticket)
            uow.emit("after_ticket_created", ticket=snapshot)
            if assignee is not None:
                uow.emit(
                    "after_ticket_assigned", ticket=snapshot, assignee_id=assignee.id, actor=actor
                )
        queue_event(
            uow, Event.TICKET_CREATED, ticket, actor=actor, message=message, guest_token=guest_token
        )
        if not actor.is_staff:
            queue_event(uow, Event.NEW_TICKET, ticket, actor=actor, message=message)
        if assignee is not None and assignee.id != actor.user_id:
            queue_event(uow, Event.ASSIGNED_TO_YOU, ticket, actor=actor)
        return ticket

    def _free_track_id(self, session: Session) -> str:
        connection = session.connection()  # a plain column query: no ORM, nothing to autoflush
        while True:  # a clash is a one-in-10^14 event; the unique index is the real guarantee
            candidate = new_track_id()
            if connection.execute(_TRACK_ID_TAKEN, {"track_id": candidate}).first() is None:
                return candidate

    # ------------------------------------------------------------ reading

    def get(self, actor: Actor, ticket_id: int) -> TicketOut:
        with self.reading() as uow:
            return ticket_out(actor, self.load(uow.session, actor, ticket_id))

    def get_by_track_id(self, actor: Actor, track_id: str) -> TicketOut:
        """Find a ticket by the ID a customer quotes ("abc-def-2345" works too)."""
        normalized = normalize_track_id(track_id)
        if not normalized:
            raise NotFound(f"no ticket {track_id!r}")
        with self.reading() as uow:
            ticket = self._load_where(
                uow.session, actor, Ticket.track_id == normalized, f"no ticket {track_id!r}"
            )
            return ticket_out(actor, ticket)

    def get_by_number(self, actor: Actor, number: int) -> TicketOut:
        with self.reading() as uow:
            ticket = self._load_where(
                uow.session, actor, Ticket.number == number, f"no ticket #{number}"
            )
            return ticket_out(actor, ticket)

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
            self.seen(uow.session, actor, ticket_id)
            rows = uow.session.scalars(
                select(AuditEvent)
                .where(AuditEvent.ticket_id == ticket_id)
                .order_by(AuditEvent.created_at, AuditEvent.id)
            ).all()
            return [AuditOut.model_validate(r) for r in rows]

    def changes_since(self, actor: Actor, ticket_id: int, since: datetime) -> builtins.list[str]:
        """What others did on the ticket after `since`, one line each ("Bill replied at 14:02"):
        the lines `StaleTicket` carries, for a page that warns before its form is sent."""
        if not actor.is_staff:
            raise PermissionDenied("only staff follow a ticket's changes")
        with self.reading() as uow:
            ticket = self.load(uow.session, actor, ticket_id)
            return staleness.changes_since(uow.session, actor, ticket, since)

    # ------------------------------------------------------------ changing

    def update(
        self,
        actor: Actor,
        ticket_id: int,
        data: TicketUpdate | Mapping[str, Any] | None = None,
        **fields: Any,
    ) -> TicketOut:
        """Staff change status, priority, team, assignee, subject or custom fields; each change
        is audited. `assignee=0` (or "none") unassigns. With `unchanged_since`, `StaleTicket`
        if someone else acted on the ticket after that moment."""
        return updating.update(self, actor, ticket_id, parse(TicketUpdate, data, fields))

    def bulk_update(
        self,
        actor: Actor,
        ticket_ids: Sequence[int],
        data: BulkTicketUpdate | Mapping[str, Any] | None = None,
        **fields: Any,
    ) -> int:
        """Make the same change (status, priority, team, assignee; `close=True`) to many tickets
        in one transaction: to all of them or, on any problem, to none.

        A ticket `actor` cannot see is `NotFound` (without saying which); a status one of them
        cannot move to is `InvalidInput` naming its track ID. Tickets already in the target
        status keep it. Returns how many tickets changed.
        """
        values = parse(BulkTicketUpdate, data, fields)
        wanted = {name: getattr(values, name) for name in values.model_fields_set - {"close"}}
        if values.close:
            if values.status not in (None, Status.CLOSED):
                raise InvalidInput("choose a status or closing, not both", field="status")
            wanted["status"] = Status.CLOSED
        return updating.bulk_update(self, actor, ticket_ids, TicketUpdate.model_validate(wanted))

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

    def merge(self, actor: Actor, ticket_id: int, into_id: int) -> TicketOut:
        """Staff move a ticket's thread into another ticket of the same requester and close it;
        see `services.merging` for what moves and what stays."""
        return merging.merge(self, actor, ticket_id, into_id)

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
            ticket = self.seen(uow.session, actor, ticket_id)
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
