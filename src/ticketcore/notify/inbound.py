"""Inbound email: one RFC 822 message in, a reply on the right ticket (or a new ticket) out.

Customers answer the notifications they get, so a reply by email must land in the ticket's
thread exactly as one written in the portal would: through `helpdesk.messages.reply` and
`helpdesk.tickets.create`, so permissions, status rules, SLA clocks and notifications apply
unchanged. This module only decides *which* ticket a mail belongs to and *who* wrote it:

1. the ticket's reply address (`support+<token>@…`) among the recipients,
2. else a Message-ID in In-Reply-To / References that the ticket already has (an outgoing
   notification, its `<ticket-<TRACK-ID>@…>` thread id, or an earlier incoming mail),
3. else a track ID in the subject. A bare "Re: …" subject never matches: it opens a ticket.

Every mail, whatever happens to it, leaves one `InboundMail` row written in its own
transaction, so "why did my email not show up?" always has an answer; rejected and malformed
mail keeps its raw bytes for inspection. `ingest` never raises because of what a mail
contains; only an unreachable database escapes, so an MTA can retry later.
"""

from __future__ import annotations

import email.utils
import logging
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Row, Select, func, select
from sqlalchemy import exc as sa_exc
from sqlalchemy.orm import Session

from ..errors import Conflict, InvalidInput, NotFound, PermissionDenied
from ..models import InboundMail, InboundStatus, Message, OutboxMessage, Ticket, TicketCC
from ..permissions import Actor, ActorKind
from ..schemas import BODY_MAX, NAME_MAX, SUBJECT_MAX, UploadedFile, email_key
from ..services.attachments import check_files
from ..services.base import Service
from ..trackid import TRACK_ID_IN_TEXT, normalize_track_id
from .inbound_parse import ParsedMail, fingerprint, parse_headers, parse_mail
from .inbound_text import strip_quoted_reply, strip_signature, ticket_subject

__all__ = ["InboundMailEntry", "InboundMailService", "InboundStatus", "IngestResult"]

log = logging.getLogger(__name__)

_HANDLED = (InboundStatus.ADDED, InboundStatus.CREATED)
_KEEP_RAW = (InboundStatus.REJECTED, InboundStatus.MALFORMED)
_HEADERS_KEPT = 64 * 1024  # of a mail too large to keep whole
_MAX_REFERENCES = 100  # a References header can grow long; the newest ids are the useful ones
# The thread id every outgoing notification carries in References: <ticket-ABC-DEF-2345@host>.
_THREAD_ID = re.compile(r"^<ticket-([A-Za-z0-9-]{10,14})@[^>]+>$", re.IGNORECASE)
_TRUNCATED = "\n\n[The rest of this email was cut: it is longer than {limit} characters.]"


@dataclass(frozen=True)
class IngestResult:
    """What happened to one email; `inbound_id` is its entry in the inbound mail log."""

    status: InboundStatus
    reason: str | None
    inbound_id: int
    track_id: str | None = None
    ticket_id: int | None = None
    message_id: int | None = None  # the message added to the thread
    email_message_id: str | None = None

    def describe(self) -> str:
        """One line for a person (the `ticketcore mail ingest` output)."""
        reason = f" ({self.reason})" if self.reason else ""
        match self.status:
            case InboundStatus.ADDED:
                return f"Added message {self.message_id} to ticket {self.track_id}{reason}."
            case InboundStatus.CREATED:
                return f"Created ticket {self.track_id} (message {self.message_id}){reason}."
            case InboundStatus.DUPLICATE:
                return f"Duplicate: {self.reason}; nothing stored (log #{self.inbound_id})."
            case InboundStatus.REJECTED:
                return f"Rejected: {self.reason} (kept for inspection as #{self.inbound_id})."
        return f"Malformed: {self.reason}; kept for inspection as #{self.inbound_id}."


@dataclass(frozen=True)
class InboundMailEntry:
    """One row of the inbound mail log, as `ticketcore mail list` shows it."""

    id: int
    status: InboundStatus
    reason: str | None
    sender: str | None
    subject: str | None
    email_message_id: str | None
    ticket_id: int | None
    track_id: str | None
    message_id: int | None
    received_at: datetime
    raw_size: int | None  # bytes kept for inspection, None when nothing was kept


@dataclass(frozen=True)
class _Outcome:
    status: InboundStatus
    reason: str
    ticket_id: int | None = None
    track_id: str | None = None
    message_id: int | None = None


@dataclass(frozen=True)
class _Match:
    ticket_id: int
    track_id: str
    how: str  # said in the log: which rule found the ticket


class InboundMailService(Service):
    # ------------------------------------------------------------ ingesting

    def ingest(self, raw: bytes | str) -> IngestResult:
        """Handle one email (the bytes an MTA pipes in, or a webhook's raw MIME).

        Returns the outcome; never raises for a bad email (it is logged as `rejected` or
        `malformed` with its bytes). Database errors do propagate, so the caller can retry.
        """
        if isinstance(raw, str):
            raw = raw.encode("utf-8", "surrogateescape")
        limit = self.settings.inbound_max_bytes
        if len(raw) > limit:
            head = _header_section(raw)
            reason = (
                f"too large: {len(raw)} bytes, the limit is {limit} (inbound_max_bytes); "
                "only the headers were kept"
            )
            return self._record(parse_headers(head), head, _Outcome(InboundStatus.REJECTED, reason))
        mail = parse_mail(raw)
        if mail.problem is not None:
            log.warning("inbound mail is malformed: %s", mail.problem)
            return self._record(mail, raw, _Outcome(InboundStatus.MALFORMED, mail.problem))
        if mail.message_id is None or len(mail.message_id) > 255:
            # Without a usable Message-ID the bytes stand in, so a redelivery is still a duplicate.
            mail = replace(mail, message_id=fingerprint(raw))
        try:
            outcome = self._handle(mail)
        except (sa_exc.DBAPIError, sa_exc.TimeoutError):
            raise  # the database, not the mail: let the MTA or webhook retry
        except Exception as exc:  # a mail that trips a bug must still be kept, not lost
            log.exception("inbound mail %s could not be processed", mail.message_id)
            reason = f"could not be processed ({exc.__class__.__name__}: {exc})"
            outcome = _Outcome(InboundStatus.MALFORMED, reason)
        return self._record(mail, raw, outcome)

    def poll_maildir(
        self, directory: str | os.PathLike[str], *, delete: bool = False
    ) -> list[tuple[str, IngestResult]]:
        """Ingest every message waiting in a Maildir's `new/` folder, oldest first.

        Each file is claimed by moving it to `cur/` first (so two pollers never take the same
        one), then marked seen, or deleted with `delete`. If the database fails, the file goes
        back to `new/` and the error propagates: the next run tries it again.
        """
        root = Path(directory)
        new, cur = root / "new", root / "cur"
        if not new.is_dir() or not cur.is_dir():
            raise InvalidInput(f"{root} is not a Maildir (needs new/ and cur/)", field="directory")
        handled: list[tuple[str, IngestResult]] = []
        for path in sorted(new.iterdir()):
            if path.name.startswith(".") or not path.is_file():
                continue
            base = path.name.split(":", 1)[0]
            claimed = cur / f"{base}:2,"
            try:
                os.rename(path, claimed)
            except FileNotFoundError:
                continue  # another poller took it
            try:
                result = self.ingest(claimed.read_bytes())
            except BaseException:
                os.rename(claimed, path)
                raise
            if delete:
                claimed.unlink()
            else:
                os.rename(claimed, cur / f"{base}:2,S")
            handled.append((path.name, result))
        return handled

    # ------------------------------------------------------------ reading the log

    def log(
        self, actor: Actor, *, status: InboundStatus | str | None = None, limit: int = 50
    ) -> list[InboundMailEntry]:
        """The newest entries of the inbound mail log (admins only: it holds anyone's mail)."""
        self._require_admin(actor)
        with self.reading() as uow:
            query = _entries().order_by(InboundMail.id.desc()).limit(max(1, min(limit, 1000)))
            if status is not None:
                query = query.where(InboundMail.status == InboundStatus(status))
            return [_entry(row) for row in uow.session.execute(query).all()]

    def entry(self, actor: Actor, inbound_id: int) -> InboundMailEntry:
        self._require_admin(actor)
        with self.reading() as uow:
            row = uow.session.execute(_entries().where(InboundMail.id == inbound_id)).first()
            if row is None:
                raise NotFound(f"no inbound mail #{inbound_id}")
            return _entry(row)

    def raw(self, actor: Actor, inbound_id: int) -> bytes | None:
        """The bytes kept of a rejected or malformed mail (None when nothing was kept)."""
        self._require_admin(actor)
        with self.reading() as uow:
            row = uow.session.get(InboundMail, inbound_id)
            if row is None:
                raise NotFound(f"no inbound mail #{inbound_id}")
            return row.raw

    @staticmethod
    def _require_admin(actor: Actor) -> None:
        if actor.kind not in (ActorKind.SYSTEM, ActorKind.ADMIN):
            raise NotFound("no inbound mail log")

    # ------------------------------------------------------------ deciding

    def _handle(self, mail: ParsedMail) -> _Outcome:
        sender, message_id = mail.sender, mail.message_id
        # parse_mail reports mail without a sender as a problem; ingest supplies a Message-ID.
        assert sender is not None and message_id is not None
        if self._is_own_address(sender):
            return _Outcome(InboundStatus.REJECTED, "sent from the helpdesk's own address (a loop)")
        with self.reading() as uow:
            earlier = _earlier(uow.session, message_id)
            if earlier is not None:
                return _duplicate(message_id, *earlier)
            if mail.automatic is not None:
                return _Outcome(InboundStatus.REJECTED, mail.automatic)
            match = self._match(uow.session, mail)
            copied = match is not None and _is_copied(uow.session, match.ticket_id, sender)
        files, notes = self._acceptable_files(mail)
        if match is not None:
            outcome = self._reply(mail, match, files, copied)
        else:
            outcome = self._open(mail, files)
        if notes and outcome.status in _HANDLED:
            outcome = _Outcome(
                outcome.status,
                f"{outcome.reason}; " + "; ".join(notes),
                outcome.ticket_id,
                outcome.track_id,
                outcome.message_id,
            )
        return outcome

    def _is_own_address(self, sender: str) -> bool:
        own = {self._reply_parts()}
        mail_from = email.utils.parseaddr(self.settings.mail_from)[1]
        if "@" in mail_from:
            local, _, domain = mail_from.lower().rpartition("@")
            own.add((local, domain))
        local, _, domain = sender.lower().rpartition("@")
        return any(domain == d and (local == loc or local.startswith(f"{loc}+")) for loc, d in own)

    def _reply_parts(self) -> tuple[str, str]:
        address = email.utils.parseaddr(self.settings.reply_address)[1] or "@"
        local, _, domain = address.lower().rpartition("@")
        return local, domain

    def _match(self, session: Session, mail: ParsedMail) -> _Match | None:
        match = (
            self._by_token(session, mail.recipients)
            or _by_references(session, mail.references)
            or _by_subject(session, mail.subject)
        )
        return _follow_merges(session, match) if match is not None else None

    def _by_token(self, session: Session, recipients: Sequence[str]) -> _Match | None:
        local, domain = self._reply_parts()
        for address in recipients:
            name, _, host = address.rpartition("@")
            if host.lower() != domain or not name.lower().startswith(f"{local}+"):
                continue
            token = name[len(local) + 1 :]
            for candidate in dict.fromkeys((token, token.lower())):
                row = session.execute(
                    select(Ticket.id, Ticket.track_id).where(Ticket.reply_token == candidate)
                ).first()
                if row is not None:
                    return _Match(row.id, row.track_id, "the reply address")
        return None

    def _acceptable_files(self, mail: ParsedMail) -> tuple[list[UploadedFile], list[str]]:
        """The attachments the desk accepts; each refused one is named, the mail still goes in."""
        files: list[UploadedFile] = []
        notes = [f"dropped {n}" for n in mail.notes]
        limit = self.settings.max_attachments_per_message
        for attachment in mail.attachments:
            file = UploadedFile(
                filename=attachment.filename[:1000],
                content=attachment.content,
                content_type=attachment.content_type,
            )
            try:
                check_files([file], self.settings)
            except InvalidInput as exc:
                notes += [f"dropped {problem}" for problem in exc.errors.get("attachments", [])]
                continue
            if len(files) >= limit:
                notes.append(f"dropped {attachment.filename}: at most {limit} files per message")
                continue
            files.append(file)
        return files, notes

    # ------------------------------------------------------------ acting

    def _reply(
        self, mail: ParsedMail, match: _Match, files: list[UploadedFile], copied: bool
    ) -> _Outcome:
        assert mail.sender is not None and mail.message_id is not None
        sender, ticket = mail.sender, match.track_id

        def rejected(reason: str) -> _Outcome:  # the log still says which ticket it was for
            return _Outcome(InboundStatus.REJECTED, reason, match.ticket_id, match.track_id)

        body = strip_quoted_reply(mail.text)
        if not body:
            if not files:
                return rejected("no new text below the quoted history, and no files")
            body = "(See the attached files.)"
        users = self.helpdesk.users
        user = users.find_by_email(sender)
        if user is None:
            if not copied:  # no account is made for strangers
                return rejected(f"{sender} has no account and is not copied on {ticket}")
            try:
                user = users.get_or_create_customer(sender, mail.sender_name[:NAME_MAX])
            except InvalidInput as exc:
                return rejected(f"the sender address is not usable: {exc}")
        if not user.is_active:
            return rejected(f"{sender}'s account is deactivated")
        try:
            message = self.helpdesk.messages.reply(
                users.actor_for(user),
                match.ticket_id,
                body=_limited(body),
                attachments=files,
                source="email",
                email_message_id=mail.message_id,
            )
        except Conflict:
            return _duplicate(mail.message_id, match.ticket_id, ticket)
        except NotFound:
            return rejected(f"{sender} may not see ticket {ticket}")
        except PermissionDenied:
            return rejected(f"{sender} may not reply to ticket {ticket}")
        except InvalidInput as exc:
            return rejected(f"ticket {ticket} refused the reply: {exc}")
        except sa_exc.IntegrityError:
            with self.reading() as uow:  # the same mail delivered twice at the same moment
                earlier = _earlier(uow.session, mail.message_id)
            if earlier is None:
                raise
            return _duplicate(mail.message_id, *earlier)
        return _Outcome(
            InboundStatus.ADDED,
            f"matched by {match.how}",
            match.ticket_id,
            match.track_id,
            message.id,
        )

    def _open(self, mail: ParsedMail, files: list[UploadedFile]) -> _Outcome:
        assert mail.sender is not None
        rejected = InboundStatus.REJECTED
        if not self.settings.inbound_create_tickets:
            return _Outcome(rejected, "matches no ticket, and inbound_create_tickets is off")
        # A new request keeps what it quotes or forwards: that is often the whole point of it.
        body = strip_signature(mail.text)
        if not body:
            body = "(See the attached files.)" if files else "(The email had no text.)"
        fields: dict[str, Any] = {
            "subject": _shorten(ticket_subject(mail.subject), SUBJECT_MAX),
            "body": _limited(body),
            "attachments": files,
            "source": "email",
            # Stored on the first message: a second copy delivered at once is a duplicate.
            "email_message_id": mail.message_id,
        }
        users, tickets = self.helpdesk.users, self.helpdesk.tickets
        user = users.find_by_email(mail.sender)
        try:
            if user is None:
                created = tickets.create_as_guest(
                    email=mail.sender, display_name=mail.sender_name[:NAME_MAX], **fields
                )
                who = f"opened for {mail.sender} (new customer, guest link)"
            elif not user.is_active:
                return _Outcome(rejected, f"{mail.sender}'s account is deactivated")
            else:
                actor = users.actor_for(user)
                if actor.is_staff:  # staff name the requester: here, themselves
                    fields["requester"] = user.id
                created = tickets.create(actor, **fields)
                who = f"opened for {user.email}"
        except Conflict:
            with self.reading() as uow:
                earlier = _earlier(uow.session, mail.message_id or "")
            return _duplicate(mail.message_id or "", *(earlier or (None, None)))
        except (InvalidInput, PermissionDenied, NotFound) as exc:
            return _Outcome(rejected, f"could not open a ticket: {exc}")
        ticket = created.ticket
        return _Outcome(
            InboundStatus.CREATED, f"no ticket matched; {who}", ticket.id, ticket.track_id
        )

    # ------------------------------------------------------------ the log

    def _record(self, mail: ParsedMail, raw: bytes | None, outcome: _Outcome) -> IngestResult:
        """Write the log entry in its own transaction, after whatever the mail caused."""
        keep = raw if outcome.status in _KEEP_RAW else None
        try:
            return self._write_entry(mail, keep, outcome)
        except sa_exc.DBAPIError:
            if keep is None or len(keep) <= _HEADERS_KEPT:
                raise
            # Too big for the database in one piece (MariaDB's max_allowed_packet is 16 MB by
            # default): keep the headers, say so, and fail only if even that cannot be written.
            log.warning("inbound mail of %d bytes kept as headers only", len(keep), exc_info=True)
            note = "; the database refused the whole message, only its headers were kept"
            reduced = _Outcome(
                outcome.status,
                outcome.reason + note,
                outcome.ticket_id,
                outcome.track_id,
                outcome.message_id,
            )
            return self._write_entry(mail, _header_section(keep), reduced)

    def _write_entry(self, mail: ParsedMail, keep: bytes | None, outcome: _Outcome) -> IngestResult:
        with self.transaction() as uow:
            session = uow.session
            message_id = outcome.message_id
            if outcome.status is InboundStatus.CREATED and outcome.ticket_id is not None:
                message_id = session.scalar(
                    select(Message.id)
                    .where(Message.ticket_id == outcome.ticket_id)
                    .order_by(Message.id)
                    .limit(1)
                )
            row = InboundMail(
                email_message_id=_shorten(mail.message_id, 255),
                sender=_shorten(mail.sender, 320),
                subject=_shorten(mail.subject, 998),
                status=outcome.status,
                reason=outcome.reason,
                ticket_id=outcome.ticket_id,
                message_id=message_id,
                raw=keep,
                received_at=self.helpdesk.clock.now(),
            )
            session.add(row)
            session.flush()
            return IngestResult(
                status=outcome.status,
                reason=outcome.reason,
                inbound_id=row.id,
                track_id=outcome.track_id,
                ticket_id=outcome.ticket_id,
                message_id=message_id,
                email_message_id=mail.message_id,
            )


# ------------------------------------------------------------------ matching helpers


def _earlier(session: Session, message_id: str) -> tuple[int | None, str | None] | None:
    """(ticket id, track ID) of an earlier mail with this Message-ID that was stored, else None."""
    ticket_id = session.scalar(
        select(Message.ticket_id).where(Message.email_message_id == message_id)
    )
    if ticket_id is None:
        row = session.execute(
            select(InboundMail.id, InboundMail.ticket_id)
            .where(InboundMail.email_message_id == message_id, InboundMail.status.in_(_HANDLED))
            .limit(1)
        ).first()
        if row is None:
            return None
        ticket_id = row.ticket_id
    track_id = (
        session.scalar(select(Ticket.track_id).where(Ticket.id == ticket_id))
        if ticket_id is not None
        else None
    )
    return ticket_id, track_id


def _duplicate(message_id: str, ticket_id: int | None, track_id: str | None) -> _Outcome:
    where = f" (ticket {track_id})" if track_id else ""
    return _Outcome(
        InboundStatus.DUPLICATE, f"{message_id} was received before{where}", ticket_id, track_id
    )


def _by_references(session: Session, references: Sequence[str]) -> _Match | None:
    refs = [r for r in references if len(r) <= 255][:_MAX_REFERENCES]
    if not refs:
        return None
    owner: dict[str, int] = {}
    threads: dict[str, str] = {}
    for ref in refs:
        thread = _THREAD_ID.match(ref)
        track_id = normalize_track_id(thread.group(1)) if thread else None
        if track_id:
            threads[ref] = track_id
    if threads:
        rows = session.execute(
            select(Ticket.track_id, Ticket.id).where(Ticket.track_id.in_(set(threads.values())))
        ).all()
        by_track = {row.track_id: row.id for row in rows}
        owner.update({ref: by_track[t] for ref, t in threads.items() if t in by_track})
    for column, ticket_column, extra in (
        (OutboxMessage.email_message_id, OutboxMessage.ticket_id, None),
        (Message.email_message_id, Message.ticket_id, None),
        (InboundMail.email_message_id, InboundMail.ticket_id, InboundMail.status.in_(_HANDLED)),
    ):
        query = select(column, ticket_column).where(column.in_(refs), ticket_column.is_not(None))
        if extra is not None:
            query = query.where(extra)
        for found, ticket_id in session.execute(query).all():
            if found is not None and ticket_id is not None:
                owner.setdefault(found, ticket_id)
    for ref in refs:  # In-Reply-To first, then the newest reference
        if ref in owner:
            track_id = session.scalar(select(Ticket.track_id).where(Ticket.id == owner[ref]))
            if track_id is not None:
                return _Match(owner[ref], track_id, "In-Reply-To/References")
    return None


def _by_subject(session: Session, subject: str) -> _Match | None:
    candidates = TRACK_ID_IN_TEXT.findall(subject) or TRACK_ID_IN_TEXT.findall(subject.upper())
    if not candidates:
        return None
    rows = session.execute(
        select(Ticket.track_id, Ticket.id).where(Ticket.track_id.in_(candidates))
    ).all()
    by_track = {row.track_id: row.id for row in rows}
    for track_id in candidates:
        if track_id in by_track:
            return _Match(by_track[track_id], track_id, "the track ID in the subject")
    return None


def _is_copied(session: Session, ticket_id: int, sender: str) -> bool:
    return (
        session.scalar(
            select(TicketCC.id).where(
                TicketCC.ticket_id == ticket_id, TicketCC.email_key == email_key(sender)
            )
        )
        is not None
    )


# ------------------------------------------------------------------ small helpers


def _header_section(raw: bytes) -> bytes:
    """The header block of a raw mail (up to the first blank line), capped in size."""
    for separator in (b"\r\n\r\n", b"\n\n"):
        end = raw.find(separator, 0, _HEADERS_KEPT)
        if end != -1:
            return raw[: end + len(separator)]
    return raw[:_HEADERS_KEPT]


def _limited(body: str) -> str:
    if len(body) <= BODY_MAX:
        return body
    note = _TRUNCATED.format(limit=BODY_MAX)
    return body[: BODY_MAX - len(note)].rstrip() + note


def _shorten(value: str | None, length: int) -> str | None:
    return value[:length] if value is not None else None


def _entries() -> Select[*tuple[Any, ...]]:
    return select(
        InboundMail.id,
        InboundMail.status,
        InboundMail.reason,
        InboundMail.sender,
        InboundMail.subject,
        InboundMail.email_message_id,
        InboundMail.ticket_id,
        Ticket.track_id,
        InboundMail.message_id,
        InboundMail.received_at,
        func.length(InboundMail.raw).label("raw_size"),
    ).outerjoin(Ticket, Ticket.id == InboundMail.ticket_id)


def _entry(row: Row[*tuple[Any, ...]]) -> InboundMailEntry:
    mapping = row._mapping
    return InboundMailEntry(**{key: mapping[key] for key in InboundMailEntry.__dataclass_fields__})


def _follow_merges(session: Session, match: _Match) -> _Match:
    """A reply to a merged ticket belongs to the ticket its thread moved into."""
    seen = {match.ticket_id}
    while True:
        row = session.execute(
            select(Ticket.merged_into_id).where(Ticket.id == match.ticket_id)
        ).first()
        if row is None or row.merged_into_id is None or row.merged_into_id in seen:
            return match
        target = session.execute(
            select(Ticket.id, Ticket.track_id).where(Ticket.id == row.merged_into_id)
        ).one()
        seen.add(target.id)
        match = _Match(target.id, target.track_id, f"{match.how}, merged into {target.track_id}")
