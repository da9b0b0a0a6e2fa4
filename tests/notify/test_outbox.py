"""The dispatcher: retries with backoff, giving up, status and retry, permanent refusals, the
worker loop, `ticketcore outbox` commands, and several worker processes at once on every
database — each email sent exactly once; a worker's claims of twenty emails, what a crash can
repeat, sending without holding a lock, and emails built byte for byte as the standard library
would."""

from __future__ import annotations

import contextlib
import itertools
import os
import smtplib
import sqlite3
import subprocess
import sys
import threading
import time
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from click.testing import CliRunner
from mailtest import Servers, smtp_settings
from sqlalchemy import event, select

from ticketcore import Actor, Settings, hookimpl
from ticketcore.cli import CliState
from ticketcore.models import OutboxMessage, OutboxStatus
from ticketcore.notify import outbox as outbox_module
from ticketcore.notify.cli_outbox import outbox
from ticketcore.notify.outbox import build_email
from ticketcore.notify.transports import EMAIL_POLICY, PermanentDeliveryError

SQLITE_ONLY = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


class Flaky:
    """A transport plugin that fails `failures` times, then sends."""

    def __init__(self, failures: int = 0, error: Exception | None = None) -> None:
        self.failures = failures
        self.error = error or smtplib.SMTPDataError(451, b"4.3.0 try again later")
        self.sent: list = []

    def send(self, message) -> None:
        if self.failures:
            self.failures -= 1
            raise self.error
        self.sent.append(message)

    @hookimpl
    def mail_transport(self, helpdesk):
        return self


def one_email(helpdesk, cast) -> int:
    """Ann opens a ticket for Carol (assigned to Ann herself): exactly one email, to Carol."""
    helpdesk.tickets.create(cast.ann_actor, requester=cast.carol.email, subject="Hi", body="Hello")
    (row,) = all_rows(helpdesk)
    return row.id


def all_rows(helpdesk) -> list[OutboxMessage]:
    with helpdesk.sessionmaker() as session:
        return list(session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def run_cli(helpdesk, *args: str):
    return CliRunner().invoke(outbox, list(args), obj=CliState(helpdesk=helpdesk))


@pytest.fixture
def mail_server_factory():
    servers = Servers()
    yield servers
    servers.stop_all()


@pytest.fixture
def flaky() -> Flaky:
    return Flaky(failures=3)


@pytest.fixture
def settings_overrides() -> dict:
    return {"deliver_after_commit": False, "outbox_max_attempts": 3, "outbox_retry_seconds": 10}


@pytest.fixture
def helpdesk(helpdesk_factory, flaky, settings_overrides):
    """Sends through `flaky` (parametrize it, or `settings_overrides`, to change the set-up)."""
    return helpdesk_factory(plugins=[flaky], **settings_overrides)


def test_retries_back_off_then_give_up_and_can_be_retried(helpdesk, cast, flaky, clock):
    row_id = one_email(helpdesk, cast)
    start = clock.now()
    assert helpdesk.outbox.deliver().retried == 1  # attempt 1 fails: next in 10 s
    for wait, expected in [(9, 0), (1, 1), (19, 0), (1, 1)]:  # then 20 s, then gives up
        clock.set(clock.now() + timedelta(seconds=wait))
        assert helpdesk.outbox.deliver().attempted == expected
    (row,) = all_rows(helpdesk)
    assert clock.now() - start == timedelta(seconds=30)
    assert row.status is OutboxStatus.FAILED and row.attempts == 3
    assert row.last_error == "SMTPDataError: (451, b'4.3.0 try again later')"

    report = helpdesk.outbox.status()
    assert (report.pending, report.sent, report.failed) == (0, 0, 1)
    assert report.failed_emails[0].id == row_id
    assert report.failed_emails[0].recipient == "carol@acme.example.com"

    status = run_cli(helpdesk, "status")
    assert status.exit_code == 0, status.output
    assert "failed   1" in status.stdout
    assert (
        f"#{row_id}  ticket_created  to carol@acme.example.com  after 3 attempt(s)" in status.stdout
    )
    assert "SMTPDataError: (451, b'4.3.0 try again later')" in status.stdout

    missing = run_cli(helpdesk, "retry", "--id", str(row_id + 100))
    assert missing.exit_code == 1
    assert missing.stderr.strip() == f"Error: not failed, or no such email: #{row_id + 100}"
    retried = run_cli(helpdesk, "retry", "--id", str(row_id))
    assert retried.exit_code == 0 and "Queued 1 failed email(s) again." in retried.stdout

    flaky.failures = 0
    sent = run_cli(helpdesk, "run", "--once")
    assert sent.exit_code == 0, sent.output
    assert "Sent 1 email(s); 0 will be retried; 0 failed for good." in sent.stdout
    (row,) = all_rows(helpdesk)
    assert row.status is OutboxStatus.SENT and row.attempts == 1 and row.last_error is None
    assert flaky.sent[0]["Message-ID"] == row.email_message_id  # the same email as before
    assert helpdesk.outbox.retry() == []


@SQLITE_ONLY
def test_a_permanent_refusal_fails_at_once(helpdesk, cast, flaky):
    flaky.error = PermanentDeliveryError("no such mailbox")
    one_email(helpdesk, cast)
    assert helpdesk.outbox.deliver().failed == 1
    (row,) = all_rows(helpdesk)
    assert (row.status, row.attempts) == (OutboxStatus.FAILED, 1)
    assert row.last_error == "PermanentDeliveryError: no such mailbox"


@SQLITE_ONLY
def test_an_smtp_550_for_the_recipient_is_permanent_and_others_still_go(
    helpdesk_factory, mail_server_factory
):
    server = mail_server_factory(refuse=frozenset({"dave@acme.example.com"}))
    helpdesk = helpdesk_factory(**smtp_settings(server), deliver_after_commit=False)
    from_carol = helpdesk.users.create(Actor.system(), email="carol@acme.example.com")
    helpdesk.users.create(Actor.system(), email="dave@acme.example.com")
    helpdesk.tickets.create(
        helpdesk.users.actor_for(from_carol),
        subject="Hi",
        body="Hello",
        cc=["dave@acme.example.com", "erin@globex.example.com"],
    )
    result = helpdesk.outbox.deliver()
    assert (result.sent, result.failed, result.retried) == (2, 1, 0)
    failed = [r for r in all_rows(helpdesk) if r.status is OutboxStatus.FAILED]
    assert [r.recipient for r in failed] == ["dave@acme.example.com"]
    assert "550" in (failed[0].last_error or "")
    assert sorted(e.rcpt_tos[0] for e in server.envelopes) == [
        "carol@acme.example.com",
        "erin@globex.example.com",
    ]


class Broken:
    @hookimpl
    def mail_transport(self, helpdesk):
        raise RuntimeError("the mail plugin is broken")


@SQLITE_ONLY
@pytest.mark.parametrize(("flaky", "settings_overrides"), [(Broken(), {})])
def test_delivery_after_commit_never_fails_the_request(helpdesk, cast, caplog):
    created = helpdesk.tickets.create(cast.carol_actor, subject="Saved", body="Whatever mail does")
    assert helpdesk.tickets.get(cast.carol_actor, created.ticket.id).subject == "Saved"
    assert {r.status for r in all_rows(helpdesk)} == {OutboxStatus.PENDING}
    assert "the mail plugin is broken" in caplog.text


@SQLITE_ONLY
def test_the_worker_loop_sends_new_emails_until_stopped(helpdesk, cast, flaky):
    flaky.failures = 0
    stop = threading.Event()
    worker = threading.Thread(
        target=helpdesk.outbox.run, kwargs={"stop": stop, "poll_seconds": 0.02}, daemon=True
    )
    worker.start()
    one_email(helpdesk, cast)
    deadline = time.monotonic() + 10
    while not flaky.sent and time.monotonic() < deadline:
        time.sleep(0.01)
    stop.set()
    worker.join(5)
    assert not worker.is_alive()
    assert len(flaky.sent) == 1 and all_rows(helpdesk)[0].status is OutboxStatus.SENT


# ------------------------------------------------------------------ many workers at once

EMAILS = 200


def fill_outbox(helpdesk, count: int) -> None:
    """`count` due emails, written straight into the table (the dispatcher is under test)."""
    due = datetime.now(UTC) - timedelta(minutes=1)  # worker processes use the real clock
    with helpdesk.sessionmaker() as session, session.begin():
        session.add_all(
            OutboxMessage(
                event="agent_replied",
                recipient=f"customer{n}@example.com",
                email_message_id=f"<tc-out-load-{n}@example.com>",
                subject=f"Message {n}",
                body_text=f"Body {n}",
                body_html=f"<p>Body {n}</p>",
                headers={"Auto-Submitted": "auto-generated"},
                status=OutboxStatus.PENDING,
                attempts=0,
                next_attempt_at=due,
                created_at=due,
            )
            for n in range(count)
        )


def test_several_worker_processes_send_every_email_exactly_once(
    database_url, helpdesk_factory, mail_server_factory
):
    # A slow server (10 ms an email) keeps every worker busy at the same time.
    server = mail_server_factory(delay=0.01)
    helpdesk = helpdesk_factory(**smtp_settings(server))
    fill_outbox(helpdesk, EMAILS)

    result = run_cli(helpdesk, "run", "--once", "--workers", "4")
    assert result.exit_code == 0, result.output
    assert f"Sent {EMAILS} email(s); 0 will be retried; 0 failed for good." in result.stdout

    received = Counter(m["Message-ID"] for m in server.messages)
    assert len(received) == EMAILS and set(received.values()) == {1}
    rows = all_rows(helpdesk)
    assert all(r.status is OutboxStatus.SENT and r.attempts == 1 for r in rows)
    # Each worker sends over its own connections, one after another; connections that overlap
    # in time can only be different workers sending at once: no lock is held while sending,
    # not even SQLite's write lock.
    spans: dict[object, list[float]] = {}
    for peer, moment in zip(server.sink.peers, server.sink.received_at, strict=True):
        spans.setdefault(peer, []).append(moment)
    assert any(
        min(a) < max(b) and min(b) < max(a) for a, b in itertools.combinations(spans.values(), 2)
    ), "the workers never sent at the same time"


def test_the_ticketcore_command_forks_workers_that_send_every_email_exactly_once(
    database_url, helpdesk_factory, mail_server_factory
):
    """The console command as cron runs it: its workers are forked from it (it holds no
    database connection or thread to hand down) and share the queue without doubling."""
    server = mail_server_factory()
    settings = smtp_settings(server)
    helpdesk = helpdesk_factory(**settings)
    fill_outbox(helpdesk, 60)
    environ = {
        **os.environ,
        "TICKETCORE_DATABASE_URL": database_url,
        **{f"TICKETCORE_{name.upper()}": str(value) for name, value in settings.items()},
    }
    command = [sys.executable, "-c", "from ticketcore.cli import main; main()"]
    done = subprocess.run(
        [*command, "outbox", "run", "--once", "--workers", "3"],
        env=environ,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert done.returncode == 0, done.stderr
    assert "Sent 60 email(s); 0 will be retried; 0 failed for good." in done.stdout
    received = Counter(m["Message-ID"] for m in server.messages)
    assert len(received) == 60 and set(received.values()) == {1}
    assert all(r.status is OutboxStatus.SENT and r.attempts == 1 for r in all_rows(helpdesk))


# ------------------------------------------------------------------ claims of several emails


class Crash(BaseException):
    """The worker process dying: not an error the dispatcher records, nothing is committed."""


class ByClaim:
    """A transport plugin noting, for each email, how many transactions had ended (committed or
    rolled back) before it was sent: the emails of one claim (one transaction) share that
    number."""

    def __init__(self) -> None:
        self.ended = 0
        self.sent: list[tuple[int, str]] = []
        self.crash_after: int | None = None
        self.down_after: int | None = None  # emails accepted before the server goes away
        self.on_send = lambda message: None

    def watch(self, helpdesk) -> None:
        event.listen(helpdesk.engine, "commit", self._ended)
        event.listen(helpdesk.engine, "rollback", self._ended)

    def _ended(self, _connection) -> None:
        self.ended += 1

    def send(self, message) -> None:
        if self.down_after is not None and len(self.sent) >= self.down_after:
            raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")
        self.on_send(message)
        self.sent.append((self.ended, message["Message-ID"]))
        if self.crash_after is not None and len(self.sent) == self.crash_after:
            raise Crash  # after the server accepted the email, before the commit

    def claims(self) -> list[int]:
        """How many emails each claim sent, in order."""
        return list(Counter(claim for claim, _ in self.sent).values())

    @hookimpl
    def mail_transport(self, helpdesk):
        return self


@pytest.fixture
def by_claim(helpdesk_factory, clock) -> tuple[ByClaim, object]:
    transport = ByClaim()
    helpdesk = helpdesk_factory(plugins=[transport], deliver_after_commit=False)
    transport.watch(helpdesk)
    clock.set(datetime.now(UTC))  # fill_outbox writes rows due by the real clock
    return transport, helpdesk


def test_a_worker_claims_twenty_emails_at_a_time_and_a_crash_repeats_at_most_one_claim(
    by_claim, clock
):
    transport, helpdesk = by_claim
    fill_outbox(helpdesk, 45)
    transport.crash_after = 30
    with pytest.raises(Crash):
        helpdesk.outbox.deliver()
    assert transport.claims() == [20, 10]
    statuses = Counter(r.status for r in all_rows(helpdesk))
    # The crashed claim is its dead worker's until the lease ends: nobody sends it meanwhile.
    assert statuses == {OutboxStatus.SENT: 20, OutboxStatus.SENDING: 20, OutboxStatus.PENDING: 5}
    assert "sending  20" in run_cli(helpdesk, "status").stdout
    transport.crash_after = None
    assert helpdesk.outbox.deliver().sent == 5

    clock.advance(outbox_module._LEASE)
    assert helpdesk.outbox.deliver().sent == 20
    assert transport.claims() == [20, 10, 5, 20]
    rows = all_rows(helpdesk)
    assert all(r.status is OutboxStatus.SENT for r in rows)
    received = Counter(message_id for _, message_id in transport.sent)
    assert set(received) == {r.email_message_id for r in rows}
    doubled = {message_id for message_id, count in received.items() if count > 1}
    crashed_claim = {message_id for _, message_id in transport.sent[20:30]}
    assert doubled == crashed_claim and set(received.values()) == {1, 2}  # 10 of at most 20


@SQLITE_ONLY
def test_sending_holds_no_lock_so_the_site_writes_meanwhile(by_claim):
    transport, helpdesk = by_claim
    fill_outbox(helpdesk, 3)
    path = helpdesk.engine.url.database
    written: list[int] = []

    def write_while_sending(message) -> None:
        # Another process's write, not willing to wait a moment: it fails if a worker holds
        # SQLite's write lock while it sends.
        with contextlib.closing(sqlite3.connect(path, timeout=0)) as other:
            other.execute("BEGIN IMMEDIATE")
            other.execute("UPDATE ticketcore_counters SET value = value WHERE name = 'ticket'")
            other.commit()
        written.append(1)

    transport.on_send = write_while_sending
    assert helpdesk.outbox.deliver().sent == 3
    assert len(written) == 3


def test_a_mail_server_gone_mid_claim_puts_the_rest_back_unattempted(by_claim):
    transport, helpdesk = by_claim
    fill_outbox(helpdesk, 5)
    transport.down_after = 2
    result = helpdesk.outbox.deliver()
    assert (result.sent, result.retried, result.stopped) == (2, 1, True)
    rows = all_rows(helpdesk)
    assert [r.status for r in rows] == [OutboxStatus.SENT] * 2 + [OutboxStatus.PENDING] * 3
    assert [r.attempts for r in rows] == [1, 1, 1, 0, 0]  # the 3rd failed; 4th and 5th untried
    assert "SMTPServerDisconnected" in (rows[2].last_error or "")


def _row_for(n: int, name: str) -> OutboxMessage:
    return OutboxMessage(
        email_message_id=f"<tc-out-bytes-{n}@example.com>",
        recipient="asa@example.org",
        subject=f"Re: [Support ABC-DEF-GHIJ] Räksmörgås {n} "
        + "and a subject long enough to fold " * 3,
        body_text="Hello Åsa,\n\nthe export works again.\n" + "A long line of text. " * 10,
        body_html="<p>Hello Åsa,</p>\n<p>" + "A long line of text. " * 10 + "</p>",
        headers={
            "To": f"{name} <asa@example.org>",
            "Reply-To": "Support <support+token@example.com>",
            "References": " ".join(f"<tc-out-{n}-{k}@example.com>" for k in range(6)),
            "X-Ticketcore-Event": "agent_replied",
            "X-Ticketcore-Ticket": "ABC-DEF-GHIJ",
        },
        created_at=datetime(2026, 1, 5, 9, n, tzinfo=UTC),
    )


def test_emails_are_built_byte_for_byte_as_with_the_standard_header_registry(monkeypatch):
    """build_email makes each header class once and shares the headers that recur from email
    to email (From, To, Reply-To, the parts' content types...), folded once per way of folding
    them: the emails must not change, whichever email comes first and however it is folded."""
    settings = Settings(mail_from="Zoë Support <support@example.com>")
    rows = [_row_for(0, "Åsa Öberg"), _row_for(1, "Åsa Öberg"), _row_for(2, "Asa Oberg")]
    as_smtputf8 = EMAIL_POLICY.clone(utf8=True)  # how smtplib flattens for an SMTPUTF8 server

    def built(row: OutboxMessage) -> tuple[bytes, bytes]:
        message = build_email(settings, row)
        boundary = message.get_boundary().encode()
        return (
            bytes(message).replace(boundary, b"BOUNDARY"),
            message.as_bytes(policy=as_smtputf8).replace(boundary, b"BOUNDARY"),
        )

    fast = [built(row) for row in rows + rows]
    monkeypatch.setattr(outbox_module, "_BUILD_POLICY", EMAIL_POLICY)
    assert fast == [built(row) for row in rows + rows]
    assert b"To: =?utf-8?q?=C3=85sa_=C3=96berg?= <asa@example.org>" in fast[0][0]
    assert "To: Åsa Öberg <asa@example.org>".encode() in fast[0][1]
    assert b"To: Asa Oberg <asa@example.org>" in fast[2][0]
    assert len({email.split(b"\r\n\r\n")[0] for email, _ in fast[:3]}) == 3


def test_each_email_gets_its_own_random_mime_boundary():
    settings = Settings(mail_from="Support <support@example.com>")
    row = _row_for(0, "Åsa Öberg")
    boundaries = {build_email(settings, row).get_boundary() for _ in range(20)}
    assert len(boundaries) == 20
    assert all(len(b) == 49 and b.startswith("=" * 15) for b in boundaries)


def test_emails_alike_but_for_their_boundary_add_nothing_to_the_shared_headers():
    """The shared headers are those that recur: a multipart's Content-Type, which names a
    boundary new in every email, is not kept (it would push the recurring ones out)."""
    settings = Settings(mail_from="Support <support@example.com>")
    row = _row_for(0, "Åsa Öberg")
    shared = outbox_module._BUILD_POLICY.header_factory._recurring
    build_email(settings, row)
    kept = shared.cache_info().currsize
    for _ in range(5):
        build_email(settings, row)
    assert shared.cache_info().currsize == kept
