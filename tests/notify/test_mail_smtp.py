"""Against a real SMTP server (aiosmtpd on 127.0.0.1): headers and threading exactly as sent,
no header injection, STARTTLS / SSL / login, the console transport, and the fault test — mail
down while a customer replies, then back: every email delivered exactly once."""

from __future__ import annotations

import io
import smtplib
import ssl
from collections import Counter
from datetime import timedelta
from email.headerregistry import Address
from pathlib import Path
from types import SimpleNamespace

import pytest
from mailtest import (
    PASSWORD,
    USERNAME,
    MailServer,
    Servers,
    auth_options,
    html_of,
    make_certificate,
    smtp_settings,
    text_of,
)
from sqlalchemy import select

from ticketcore import Actor
from ticketcore.models import OutboxMessage, OutboxStatus, Ticket
from ticketcore.notify.outbox import build_email
from ticketcore.notify.transports import ConsoleTransport, SmtpTransport, transport_for

SQLITE_ONLY = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)

EXPECTED_HEADERS = [
    "Message-ID",
    "Date",
    "From",
    "To",
    "Subject",
    "Reply-To",
    "In-Reply-To",
    "References",
    "Auto-Submitted",
    "X-Auto-Response-Suppress",
    "X-Ticketcore-Ticket",
    "X-Ticketcore-Event",
    "MIME-Version",
    "Content-Type",
]


@pytest.fixture
def mail_server_factory():
    servers = Servers()
    yield servers
    servers.stop_all()


@pytest.fixture
def smtp_server(mail_server_factory) -> MailServer:
    """A plain SMTP server that accepts everything."""
    return mail_server_factory()


@pytest.fixture(scope="module")
def certificate(tmp_path_factory) -> tuple[Path, Path]:
    made = make_certificate(tmp_path_factory.mktemp("tls"))
    if made is None:
        pytest.skip("the openssl command is needed to make a test certificate")
    return made


@pytest.fixture
def server_tls_context(certificate) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*certificate)
    return context


@pytest.fixture
def trust_test_certificate(certificate, monkeypatch) -> Path:
    """Make `ssl.create_default_context()` trust the test certificate, as `SSL_CERT_FILE`
    would on a real site with a private CA."""
    monkeypatch.setenv("SSL_CERT_FILE", str(certificate[0]))
    return certificate[0]


@pytest.fixture
def helpdesk(helpdesk_factory, smtp_server):
    """A helpdesk sending through the test's SMTP server (and `cast` built on it)."""
    return helpdesk_factory(**smtp_settings(smtp_server))


def outbox_rows(helpdesk) -> list[OutboxMessage]:
    with helpdesk.sessionmaker() as session:
        return list(session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


@SQLITE_ONLY
def test_emails_thread_a_ticket_and_carry_its_reply_address(helpdesk, cast, smtp_server):
    ticket = helpdesk.tickets.create(cast.carol_actor, subject="Printer", body="Jams.").ticket
    helpdesk.messages.reply(cast.ann_actor, ticket.id, body="Which model?")
    with helpdesk.sessionmaker() as session:
        token = session.scalar(select(Ticket.reply_token).where(Ticket.id == ticket.id))
    assert token and len(token) >= 24  # 96 random bits: not guessable

    to_carol = [m for m in smtp_server.messages if m["To"].addresses[0].username == "carol"]
    receipt, reply = to_carol
    thread = f"<ticket-{ticket.track_id}@example.com>"
    for message in to_carol:
        assert list(message.keys()) == EXPECTED_HEADERS
        assert message["Message-ID"].startswith("<tc-out-")
        assert message["Message-ID"].endswith("@example.com>")
        assert message["Reply-To"] == f"Support <support+{token}@example.com>"
        assert message["Auto-Submitted"] == "auto-generated"
        assert message["X-Ticketcore-Ticket"] == ticket.track_id
        assert message["From"] == "Support <support@example.com>"
    assert receipt["In-Reply-To"] == thread
    assert receipt["References"] == thread
    assert reply["In-Reply-To"] == receipt["Message-ID"]
    assert reply["References"].split() == [thread, receipt["Message-ID"]]
    envelope = smtp_server.envelopes[0]
    assert envelope.mail_from == "support@example.com"
    assert all(len(e.rcpt_tos) == 1 for e in smtp_server.envelopes)


@SQLITE_ONLY
def test_subjects_and_names_cannot_add_headers(helpdesk, cast, smtp_server):
    evil = helpdesk.users.create(
        cast.system,
        email="eve@mail.example.org",
        display_name='Eve\r\nBcc: victim@example.com\r\n, "Mallory" <mallory@example.com>',
    )
    helpdesk.tickets.create(
        helpdesk.users.actor_for(evil),
        subject="Hello\r\nBcc: victim@example.com\r\nX-Injected: yes\n\nbody?",
        body="Hi",
    )
    received = {m["To"].addresses[0].addr_spec: m for m in smtp_server.messages}
    assert set(received) == {"eve@mail.example.org", "ann@help.example.com"}
    for envelope in smtp_server.envelopes:
        assert len(envelope.rcpt_tos) == 1
        assert envelope.rcpt_tos[0] in received
    for message in received.values():
        assert list(message.keys()) == EXPECTED_HEADERS
        assert "X-Injected" not in message and "Bcc" not in message
        assert message["Subject"].endswith("Hello Bcc: victim@example.com X-Injected: yes body?")
    eve = received["eve@mail.example.org"]
    assert len(eve["To"].addresses) == 1
    assert eve["To"].addresses[0].display_name.startswith("Eve Bcc: victim@example.com ,")


@SQLITE_ONLY
def test_a_raw_line_break_in_a_stored_header_is_refused_not_sent(helpdesk):
    row = OutboxMessage(
        email_message_id="<tc-out-x@example.com>",
        recipient="a@example.com",
        subject="Hi\r\nBcc: b@example.com",
        body_text="x",
        headers={},
        created_at=helpdesk.clock.now(),
    )
    with pytest.raises(ValueError, match="linefeed or carriage return"):
        build_email(helpdesk.settings, row)


@SQLITE_ONLY
def test_message_id_stays_the_same_across_a_retry(helpdesk, cast, smtp_server, clock):
    smtp_server.stop()
    helpdesk.tickets.create(cast.carol_actor, subject="Printer", body="Jams.")
    first = outbox_rows(helpdesk)[0]
    assert first.status is OutboxStatus.PENDING and first.attempts == 1
    assert "Connection refused" in (first.last_error or "")
    smtp_server.start()
    clock.advance(seconds=helpdesk.settings.outbox_retry_seconds)
    assert helpdesk.outbox.deliver().sent == 2
    received = [m["Message-ID"] for m in smtp_server.messages]
    assert first.email_message_id in received


# ------------------------------------------------------------------ transports


def test_starttls_with_login(mail_server_factory, server_tls_context, trust_test_certificate):
    server = mail_server_factory(
        tls_context=server_tls_context,
        require_starttls=True,
        **auth_options(auth_require_tls=True),
    )
    transport = SmtpTransport(
        "localhost", server.port, security="starttls", username=USERNAME, password=PASSWORD
    )
    transport.send(_simple_message("STARTTLS"))
    assert [m["Subject"] for m in server.messages] == ["STARTTLS"]

    with pytest.raises(smtplib.SMTPAuthenticationError):
        SmtpTransport(
            "localhost", server.port, security="starttls", username=USERNAME, password="wrong"
        ).send(_simple_message("refused"))
    with pytest.raises(smtplib.SMTPException):  # the server demands STARTTLS first
        SmtpTransport("localhost", server.port).send(_simple_message("plain"))
    assert len(server.messages) == 1


def test_smtp_over_ssl_with_login(mail_server_factory, server_tls_context, trust_test_certificate):
    # aiosmtpd only counts STARTTLS as TLS when deciding to offer AUTH, so on its implicit-TLS
    # port AUTH must be allowed "without TLS" (and then, to avoid its warning, not required).
    server = mail_server_factory(
        ssl_context=server_tls_context,
        **auth_options(auth_require_tls=False, auth_required=False),
    )
    with SmtpTransport(
        "127.0.0.1", server.port, security="ssl", username=USERNAME, password=PASSWORD
    ) as transport:
        transport.send(_simple_message("one"))
        transport.send(_simple_message("two"))  # over the same connection
    assert [m["Subject"] for m in server.messages] == ["one", "two"]
    assert len(set(server.sink.peers)) == 1
    with pytest.raises(smtplib.SMTPAuthenticationError):
        SmtpTransport(
            "127.0.0.1", server.port, security="ssl", username=USERNAME, password="wrong"
        ).send(_simple_message("refused"))
    assert len(server.messages) == 2


def test_an_untrusted_certificate_is_refused(mail_server_factory, server_tls_context):
    server = mail_server_factory(tls_context=server_tls_context)
    with pytest.raises(OSError, match="CERTIFICATE_VERIFY_FAILED"):
        SmtpTransport("localhost", server.port, security="starttls").send(_simple_message("x"))
    assert server.messages == []


def test_login_over_plain_smtp_when_the_server_allows_it(mail_server_factory):
    # aiosmtpd warns when AUTH is required without TLS, so here it is offered, not required.
    server = mail_server_factory(**auth_options(auth_require_tls=False, auth_required=False))
    SmtpTransport("127.0.0.1", server.port, username=USERNAME, password=PASSWORD).send(
        _simple_message("plain login")
    )
    with pytest.raises(smtplib.SMTPAuthenticationError):
        SmtpTransport("127.0.0.1", server.port, username=USERNAME, password="nope").send(
            _simple_message("refused")
        )
    assert [m["Subject"] for m in server.messages] == ["plain login"]


@SQLITE_ONLY
def test_the_settings_choose_the_transport(
    helpdesk_factory, mail_server_factory, server_tls_context, trust_test_certificate
):
    server = mail_server_factory(
        tls_context=server_tls_context,
        require_starttls=True,
        **auth_options(auth_require_tls=True),
    )
    helpdesk = helpdesk_factory(
        mail_transport="smtp",
        smtp_host="localhost",
        smtp_port=server.port,
        smtp_security="starttls",
        smtp_username=USERNAME,
        smtp_password=PASSWORD,
    )
    transport = transport_for(helpdesk)
    assert isinstance(transport, SmtpTransport) and transport.security == "starttls"
    carol = helpdesk.users.create(Actor.system(), email="carol@acme.example.com")
    helpdesk.tickets.create(helpdesk.users.actor_for(carol), subject="Through TLS", body="Hi")
    assert len(server.messages) == 1  # her receipt (no agents here)
    assert html_of(server.messages[0]).startswith("<!DOCTYPE html>")


@SQLITE_ONLY
def test_the_console_transport_prints_whole_messages(helpdesk_factory, capsys):
    helpdesk = helpdesk_factory()  # mail_transport="console" is the default
    assert isinstance(transport_for(helpdesk), ConsoleTransport)
    system = Actor.system()
    ann = helpdesk.users.create(system, email="ann@help.example.com", role="agent")
    helpdesk.teams.create(system, name="Support", is_default=True, members=[ann.id])
    carol = helpdesk.users.create(system, email="carol@acme.example.com", display_name="Carol")
    cast = SimpleNamespace(carol_actor=helpdesk.users.actor_for(carol))
    helpdesk.tickets.create(cast.carol_actor, subject="On the console", body="Hello")
    printed = capsys.readouterr()
    assert printed.out == ""  # standard output stays the program's own
    assert printed.err.count("Subject: [Support ") == 2
    assert "To: Carol <carol@acme.example.com>" in printed.err
    stream = io.StringIO()
    ConsoleTransport(stream).send(_simple_message("to a stream"))
    assert "Subject: to a stream" in stream.getvalue()


def _simple_message(subject: str):
    from email.message import EmailMessage
    from email.policy import SMTP

    message = EmailMessage(policy=SMTP)
    message["From"] = Address("Support", addr_spec="support@example.com")
    message["To"] = Address("Carol", addr_spec="carol@acme.example.com")
    message["Subject"] = subject
    message.set_content("Hello")
    return message


# ------------------------------------------------------------------ the fault test


def test_mail_down_a_reply_is_saved_and_its_emails_wait_then_go_exactly_once(
    helpdesk, cast, smtp_server, clock
):
    ticket = helpdesk.tickets.create(
        cast.carol_actor, subject="Printer", body="Jams.", cc=[cast.dave.email]
    ).ticket
    helpdesk.messages.reply(cast.ann_actor, ticket.id, body="Which model?", status="pending")
    before = len(smtp_server.envelopes)
    assert before == 5  # receipt x2, new ticket, reply x2

    smtp_server.stop()
    reply = helpdesk.messages.reply(cast.carol_actor, ticket.id, body="A LaserJet 4000.")
    answer = helpdesk.messages.reply(cast.ann_actor, ticket.id, body="Try a new drum.")
    thread = [m.body for m in helpdesk.messages.thread(cast.ann_actor, ticket.id)]
    assert reply.body in thread and answer.body in thread  # saved, mail or no mail
    waiting = [r for r in outbox_rows(helpdesk) if r.status is OutboxStatus.PENDING]
    assert sorted((r.event, r.recipient) for r in waiting) == [
        ("agent_replied", "carol@acme.example.com"),
        ("agent_replied", "dave@acme.example.com"),
        ("customer_replied", "ann@help.example.com"),
    ]
    assert any(r.attempts == 1 and r.last_error for r in waiting)
    assert helpdesk.outbox.status().pending == 3

    smtp_server.start()  # a new server on the same port
    # Emails never tried (delivery stopped at the first refused connection) go at once; those
    # that failed wait for their backoff.
    at_once = helpdesk.outbox.deliver().sent
    assert at_once == sum(1 for r in waiting if r.attempts == 0)
    clock.advance(timedelta(seconds=helpdesk.settings.outbox_retry_seconds))
    assert helpdesk.outbox.deliver().sent == 3 - at_once
    assert helpdesk.outbox.deliver().sent == 0
    ids = Counter(m["Message-ID"] for m in smtp_server.messages)
    assert len(smtp_server.envelopes) == before + 3
    assert set(ids.values()) == {1}
    assert {r.email_message_id for r in waiting} <= set(ids)
    assert helpdesk.outbox.status().pending == 0
    newest = smtp_server.messages[-3:]
    assert any("Try a new drum." in text_of(m) for m in newest)
