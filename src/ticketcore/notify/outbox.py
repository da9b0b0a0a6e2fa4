"""Delivering the outbox: after commit, or by `ticketcore outbox run` workers.

Every email waits in `ticketcore_outbox` until a dispatcher has handed it to the mail server.
A dispatcher claims a few due rows at a time in a short transaction — `SELECT … FOR UPDATE SKIP
LOCKED` on PostgreSQL and MariaDB, so several workers never claim the same row; on SQLite the
write lock (`BEGIN IMMEDIATE`) lets one claim at a time — and marks them `sending` with a lease
(`_LEASE`, in `next_attempt_at`). It sends them holding no lock, then records each outcome in a
second short transaction. A row is therefore sent by the worker whose lease it holds and by
nobody else. The one gap no database can close: a process that dies after the server accepted
an email but before recording it leaves its claim leased; when the lease ends, the claim's rows
are due again and are sent again, with the same Message-IDs, so receiving systems can
recognise the duplicates. How many emails that can be is the size of one claim: at most
`_BATCH` (20) per worker process, at most `_CHUNK` (20) for the emails of one change sent right
after its commit.

A worker claims 20 rows rather than one because each transaction costs a commit and, on
PostgreSQL, a sort of the due rows to find the oldest: per email, that cost more than building
and sending the email (one row per transaction drained 130 to 260 emails a second with four
workers). Sending outside the transactions is what lets four workers send at once on SQLite,
and keeps a slow mail server from holding up every other writer of the site there.

A failed send is retried with exponential backoff (`outbox_retry_seconds`, then twice as long
each time); after `outbox_max_attempts` tries, or at once when the server refuses the address
for good, the row is marked failed with its last error, shown by `ticketcore outbox status`,
and `retry()` queues it again.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import re
import secrets
import signal
import smtplib
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.headerregistry import BaseHeader, HeaderRegistry
from email.message import EmailMessage
from email.policy import Policy
from functools import lru_cache
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..models import OutboxMessage, OutboxStatus, Ticket
from ..services.base import Service
from ..settings import Settings
from .events import Event
from .transports import EMAIL_POLICY, MailTransport, PermanentDeliveryError, transport_for

__all__ = [
    "DeliveryResult",
    "FailedEmail",
    "OutboxReport",
    "OutboxService",
    "build_email",
    "redact_guest_token",
    "worker_process",
]

log = logging.getLogger("ticketcore.notify")

_ERROR_CHARS = 2000  # enough to read the server's answer; a traceback is for the log
_CHUNK = 20  # rows of one change claimed per transaction after commit
_BATCH = 20  # due rows a worker claims per transaction
_LEASE = timedelta(minutes=10)  # a claim's rows are its worker's this long, then anyone's again
_ERROR_PAUSE = 5.0  # seconds a worker waits after a database error


@dataclass(frozen=True)
class DeliveryResult:
    """What one delivery run did. `stopped` is set when the transport itself was unreachable, so
    the run ended early instead of waiting for every remaining message to time out."""

    sent: int = 0
    retried: int = 0  # failed this time, scheduled again
    failed: int = 0  # gave up: marked failed
    stopped: bool = False

    @property
    def attempted(self) -> int:
        return self.sent + self.retried + self.failed

    def __add__(self, other: DeliveryResult) -> DeliveryResult:
        return DeliveryResult(
            self.sent + other.sent,
            self.retried + other.retried,
            self.failed + other.failed,
            self.stopped or other.stopped,
        )


@dataclass(frozen=True)
class FailedEmail:
    id: int
    event: str
    ticket_id: int | None
    recipient: str
    subject: str
    attempts: int
    last_error: str | None
    created_at: datetime


@dataclass(frozen=True)
class OutboxReport:
    """Counts by status, and the failed emails (newest first, up to the limit asked for)."""

    pending: int = 0
    due: int = 0  # pending and due now
    sending: int = 0  # claimed by a worker that has not recorded them yet
    sent: int = 0
    failed: int = 0
    oldest_due_at: datetime | None = None
    failed_emails: list[FailedEmail] = field(default_factory=list)


class OutboxService(Service):
    # ------------------------------------------------------------ sending

    def deliver(self, ids: Sequence[int] | None = None, limit: int = 100) -> DeliveryResult:
        """Send up to `limit` due emails, oldest first; with `ids`, only those (the emails of one
        change, right after it committed).

        Safe to run in several processes at once. Errors of single messages are recorded on
        their rows; database errors propagate.
        """
        result = DeliveryResult()
        if ids is not None and not ids:
            return result
        transport = transport_for(self.helpdesk)
        with _entered(transport):
            if ids is not None:
                # One change's emails, claimed together: a few rows, one transaction each chunk.
                wanted = list(ids)[:limit]
                for start in range(0, len(wanted), _CHUNK):
                    chunk = wanted[start : start + _CHUNK]
                    result += self._deliver_batch(transport, chunk, len(chunk)) or DeliveryResult()
                    if result.stopped:
                        break
                return result
            # Workers claim a batch per transaction (see the module docstring): a crash can
            # repeat at most the emails of one batch.
            while result.attempted < limit:
                count = min(_BATCH, limit - result.attempted)
                outcome = self._deliver_batch(transport, None, count)
                if outcome is None:
                    break
                result += outcome
                if outcome.stopped:
                    break
        return result

    def _deliver_batch(
        self, transport: MailTransport, ids: list[int] | None, count: int
    ) -> DeliveryResult | None:
        """Claim up to `count` due rows, send them, and record each outcome; None when there was
        nothing to claim.

        Claiming and recording are two short transactions, and sending between them holds no
        lock: on SQLite, whose one write lock is the whole database's, every writer of the site
        would otherwise wait for the mail server, and the workers for each other.
        """
        rows = self._claim(ids, count)
        if not rows:
            return None
        settings = self.settings
        now = self.helpdesk.clock.now()
        result = DeliveryResult()
        reached = 0
        for row in rows:
            reached += 1
            row.attempts += 1
            try:
                transport.send(build_email(settings, row))
            except Exception as exc:
                result += self._record_failure(row, exc, now)
                if result.stopped:
                    break  # the server is away: the other rows go back as they were
                continue
            row.status = OutboxStatus.SENT
            row.sent_at = now
            row.last_error = None
            result += DeliveryResult(sent=1)
        with self._claiming() as session:
            for row in rows[reached:]:
                row.status = OutboxStatus.PENDING
                row.next_attempt_at = now
            session.add_all(rows)  # detached since the claim committed: their changes go in now
            for row in rows[:reached]:
                if row.status is OutboxStatus.SENT and row.event == Event.TICKET_CREATED.value:
                    redact_guest_token(session, row)
        return result

    def _claim(self, ids: list[int] | None, count: int) -> list[OutboxMessage]:
        """The oldest due rows, made this worker's: `sending`, until the lease ends. Rows whose
        lease ended unrecorded (their worker died) come first."""
        with self._claiming() as session:
            now = self.helpdesk.clock.now()
            rows = self._due(session, OutboxStatus.SENDING, now, ids, count)
            if len(rows) < count:
                rows += self._due(session, OutboxStatus.PENDING, now, ids, count - len(rows))
            for row in rows:
                row.status = OutboxStatus.SENDING
                row.next_attempt_at = now + _LEASE
            return rows

    @staticmethod
    def _due(
        session: Session,
        status: OutboxStatus,
        now: datetime,
        ids: list[int] | None,
        count: int,
    ) -> list[OutboxMessage]:
        query = (
            select(OutboxMessage)
            .where(OutboxMessage.status == status, OutboxMessage.next_attempt_at <= now)
            .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
            .limit(count)
        )
        if ids is not None:
            query = query.where(OutboxMessage.id.in_(ids))
        if session.get_bind().dialect.name != "sqlite":
            query = query.with_for_update(skip_locked=True)
        return list(session.scalars(query))

    def _record_failure(self, row: OutboxMessage, exc: Exception, now: datetime) -> DeliveryResult:
        settings = self.settings
        error = _describe(exc)
        row.last_error = error
        down = _transport_down(exc)
        if isinstance(exc, PermanentDeliveryError) or row.attempts >= settings.outbox_max_attempts:
            row.status = OutboxStatus.FAILED
            log.error("email %s to %s failed for good: %s", row.id, row.recipient, error)
            return DeliveryResult(failed=1, stopped=down)
        wait = settings.outbox_retry_seconds * 2 ** (row.attempts - 1)
        row.status = OutboxStatus.PENDING
        row.next_attempt_at = now + timedelta(seconds=wait)
        log.warning(
            "email %s to %s not sent (attempt %d, next in %ds): %s",
            row.id,
            row.recipient,
            row.attempts,
            wait,
            error,
        )
        return DeliveryResult(retried=1, stopped=down)

    @contextlib.contextmanager
    def _claiming(self) -> Iterator[Session]:
        """A write transaction; READ COMMITTED on MariaDB/MySQL, whose default REPEATABLE READ
        would lock index gaps and make a new ticket's outbox insert wait for a claim."""
        with self.helpdesk.sessionmaker() as session, session.begin():
            if session.get_bind().dialect.name in ("mysql", "mariadb"):
                session.connection(execution_options={"isolation_level": "READ COMMITTED"})
            yield session

    def run(
        self,
        *,
        once: bool = False,
        poll_seconds: float = 1.0,
        stop: threading.Event | None = None,
        batch: int = 100,
    ) -> DeliveryResult:
        """Deliver due emails until `stop` is set (a worker), or, with `once`, until nothing is
        due any more (cron). A worker outlives mail and database outages: it logs them, waits
        (`poll_seconds`, at least five seconds after a database error) and tries again; `once`
        lets a database error propagate."""
        stop = stop or threading.Event()
        total = DeliveryResult()
        while not stop.is_set():
            try:
                result = self.deliver(limit=batch)
            except Exception:
                if once:
                    raise
                log.exception("outbox worker: delivery failed; trying again shortly")
                stop.wait(max(poll_seconds, _ERROR_PAUSE))  # the database may be restarting
                continue
            total += DeliveryResult(result.sent, result.retried, result.failed)
            more = result.attempted >= batch and not result.stopped
            if once and not more:
                break
            if not more:
                stop.wait(poll_seconds)
        return total

    # ------------------------------------------------------------ inspecting

    def status(self, *, failed_limit: int = 50) -> OutboxReport:
        """How many emails are pending (and due now), being sent, sent and failed; the failed
        ones listed."""
        with self.reading() as uow:
            session = uow.session
            now = self.helpdesk.clock.now()
            counts = dict(
                session.execute(
                    select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)
                ).all()
            )
            due_filter = (
                OutboxMessage.status == OutboxStatus.PENDING,
                OutboxMessage.next_attempt_at <= now,
            )
            due = session.scalar(select(func.count()).where(*due_filter)) or 0
            oldest = session.scalar(
                select(func.min(OutboxMessage.next_attempt_at)).where(*due_filter)
            )
            failed_rows = session.scalars(
                select(OutboxMessage)
                .where(OutboxMessage.status == OutboxStatus.FAILED)
                .order_by(OutboxMessage.id.desc())
                .limit(failed_limit)
            ).all()
            return OutboxReport(
                pending=counts.get(OutboxStatus.PENDING, 0),
                due=due,
                sending=counts.get(OutboxStatus.SENDING, 0),
                sent=counts.get(OutboxStatus.SENT, 0),
                failed=counts.get(OutboxStatus.FAILED, 0),
                oldest_due_at=oldest,
                failed_emails=[
                    FailedEmail(
                        id=r.id,
                        event=r.event,
                        ticket_id=r.ticket_id,
                        recipient=r.recipient,
                        subject=r.subject,
                        attempts=r.attempts,
                        last_error=r.last_error,
                        created_at=r.created_at,
                    )
                    for r in failed_rows
                ],
            )

    def retry(self, ids: Sequence[int] | None = None) -> list[int]:
        """Queue failed emails (all, or those in `ids`) again, due now, with a fresh count of
        attempts. Returns the ids queued; ids that are not failed are left alone."""
        if ids is not None and not ids:
            return []
        with self.transaction() as uow:
            query = (
                select(OutboxMessage)
                .where(OutboxMessage.status == OutboxStatus.FAILED)
                .order_by(OutboxMessage.id)
                .with_for_update()
            )
            if ids is not None:
                query = query.where(OutboxMessage.id.in_(list(ids)))
            now = self.helpdesk.clock.now()
            rows = uow.session.scalars(query).all()
            for row in rows:
                row.status = OutboxStatus.PENDING
                row.attempts = 0
                row.next_attempt_at = now
            return [row.id for row in rows]


# ---------------------------------------------------------------------------- worker processes


def worker_process(
    settings: dict[str, Any], once: bool, poll_seconds: float, stop: Any, results: Any
) -> None:
    """The body of one `ticketcore outbox run --workers N` process: its own helpdesk from the
    parent's settings, the parent's `stop` event, its counts put on `results`.

    Here rather than in the command's module so a spawned process imports only what it runs.
    """
    from ..helpdesk import Helpdesk

    # The parent turns Ctrl-C and SIGTERM into `stop`, so a send is never cut in half.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    with Helpdesk(Settings(**settings)) as helpdesk:
        result = helpdesk.outbox.run(once=once, poll_seconds=poll_seconds, stop=stop)
    results.put((result.sent, result.retried, result.failed))


# ---------------------------------------------------------------------------- the email


def build_email(settings: Settings, row: OutboxMessage) -> EmailMessage:
    """The email of an outbox row: text, and HTML as its alternative when there is one.

    Built with the SMTP policy, which refuses a header value holding a line break: whatever a
    subject or a name contains, it cannot add a header.
    """
    message = EmailMessage(policy=_BUILD_POLICY)
    message["Message-ID"] = row.email_message_id
    message["Date"] = row.created_at  # the header formats it: no date string to parse back
    message["From"] = settings.mail_from
    headers: dict[str, Any] = dict(row.headers or {})
    message["To"] = str(headers.pop("To", row.recipient))
    message["Subject"] = row.subject
    for name, value in headers.items():
        message[name] = str(value)
    message.set_content(row.body_text)
    if row.body_html:
        # A boundary of 128 random bits cannot occur in the bodies, so the generator need not
        # search them for it (it compiles a new pattern per email to do so).
        message.make_alternative(boundary=f"==============={secrets.token_hex(16)}==")
        message.add_alternative(row.body_html, subtype="html")
    return message


class _FoldedOnce(BaseHeader):
    """A header that remembers its folded form: a header shared by many emails (below) is folded
    once, not once per email. Generators fold with a fresh copy of the policy each time, so the
    form is kept by what folding reads of a policy, not by the policy object."""

    def fold(self, *, policy: Policy) -> str:
        key = _folding(policy)
        folded: tuple[tuple[object, ...], str] | None = self.__dict__.get("_folded")
        if folded is None or folded[0] != key:
            folded = (key, super().fold(policy=policy))
            self.__dict__["_folded"] = folded
        return folded[1]


def _folding(policy: Policy) -> tuple[object, ...]:
    return (
        policy.max_line_length,
        policy.linesep,
        getattr(policy, "utf8", False),
        policy.cte_type,
        getattr(policy, "refold_source", None),
    )


# Headers whose values recur from email to email: the site's address, the fixed ones, each
# part's content type and encoding, a ticket's Reply-To, a person's To. Their parsed (and
# folded) forms are kept and shared; a header is an immutable string, so sharing is safe.
_RECURRING = frozenset(
    {
        "from",
        "to",
        "reply-to",
        "mime-version",
        "content-type",
        "content-transfer-encoding",
        "auto-submitted",
        "x-auto-response-suppress",
        "x-ticketcore-event",
        "x-ticketcore-ticket",
    }
)


class _HeaderClasses(HeaderRegistry):
    """The standard header registry, with each header's class made once, and each recurring
    header parsed once.

    `HeaderRegistry` makes a new class with `type()` every time a header is set; an email sets
    about twenty (its own and its parts'), and making those classes (and collecting them again:
    a class is cyclic garbage) was about 40% of the time `build_email` took. Parsing and folding
    the headers that recur (`_RECURRING`: about half of them) was most of the rest. The classes
    and headers are built as before, so the email is the same, byte for byte.
    """

    def __init__(self) -> None:
        super().__init__(base_class=_FoldedOnce)
        self._made: dict[str, type[BaseHeader]] = {}
        self._recurring = lru_cache(maxsize=1024)(super().__call__)

    def __getitem__(self, name: str) -> type[BaseHeader]:
        key = name.lower()
        made = self._made.get(key)
        if made is None:
            made = self._made[key] = super().__getitem__(name)
        return made

    def __call__(self, name: str, value: str) -> BaseHeader:
        # A multipart's Content-Type names its boundary, new in every email: kept, it would
        # only push the headers that do recur out of the cache.
        if name.lower() in _RECURRING and "boundary=" not in value:
            return self._recurring(name, value)
        return super().__call__(name, value)


# EMAIL_POLICY (the SMTP policy: CRLF, folding, no line breaks in header values) for building.
_BUILD_POLICY = EMAIL_POLICY.clone(header_factory=_HeaderClasses())


_TOKEN_CANDIDATE = re.compile(r"[A-Za-z0-9_-]{20,}")
REDACTED = "[removed after sending]"


def redact_guest_token(session: Session, row: OutboxMessage) -> None:
    """Remove a guest's secret from a sent email's stored copy.

    The secret is kept nowhere but in that email (the ticket stores only its sha256): once the
    email is gone, every string in the body whose hash is the ticket's is replaced.
    """
    token_hash = session.scalar(select(Ticket.guest_token_hash).where(Ticket.id == row.ticket_id))
    if not token_hash:
        return

    def scrub(text: str) -> str:
        return _TOKEN_CANDIDATE.sub(
            lambda m: (
                REDACTED
                if hashlib.sha256(m.group(0).encode()).hexdigest() == token_hash
                else m.group(0)
            ),
            text,
        )

    row.body_text = scrub(row.body_text)
    if row.body_html:
        row.body_html = scrub(row.body_html)
    row.subject = scrub(row.subject)


# ---------------------------------------------------------------------------- errors


def _describe(exc: BaseException) -> str:
    text = f"{type(exc).__name__}: {exc}".strip()
    return text if len(text) <= _ERROR_CHARS else text[: _ERROR_CHARS - 1] + "…"


def _transport_down(exc: BaseException) -> bool:
    """True when the mail server could not be reached or refused us as a whole (network, TLS,
    login), as opposed to refusing one message: then the other messages would fail alike."""
    if isinstance(
        exc,
        smtplib.SMTPServerDisconnected
        | smtplib.SMTPConnectError
        | smtplib.SMTPHeloError
        | smtplib.SMTPAuthenticationError
        | smtplib.SMTPNotSupportedError,
    ):
        return True
    return isinstance(exc, OSError) and not isinstance(exc, smtplib.SMTPException)


@contextlib.contextmanager
def _entered(transport: MailTransport) -> Iterator[None]:
    """Enter the transport for the run when it is a context manager (one SMTP connection)."""
    # AbstractContextManager recognises any class with __enter__ and __exit__.
    if isinstance(transport, contextlib.AbstractContextManager):
        with transport:
            yield
    else:
        yield
