"""`ticketcore mail` and the inbound mail service around the corpus: what an MTA pipe, a Maildir
poller and an administrator inspecting the log see, and a reply to a real notification.

The commands get the test's helpdesk through `CliState`, as a host adapter passes its own; the
database failures go through `ticketcore --database-url …`, as an MTA would run it.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import click
import pytest
from click.testing import CliRunner, Result
from sqlalchemy import exc as sa_exc
from sqlalchemy import select

from ticketcore import Actor, Helpdesk, NotFound, Settings
from ticketcore.cli import CliState, main
from ticketcore.models import OutboxMessage
from ticketcore.notify.cli_mail import EX_TEMPFAIL, mail

SYSTEM = Actor.system()
CLEAN_ENV = {f"TICKETCORE_{name.upper()}": None for name in Settings.model_fields}
sqlite_only = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


def run(args: list[str], helpdesk: Helpdesk | None = None, **kwargs: object) -> Result:
    runner = CliRunner(env=CLEAN_ENV, catch_exceptions=False)
    state = CliState(helpdesk=helpdesk) if helpdesk is not None else None
    return runner.invoke(mail, args, obj=state, **kwargs)  # type: ignore[arg-type]


def reply(
    sender: str = "Carol Smith <carol@acme.example.com>",
    to: str = "support@example.com",
    subject: str = "Re: printer",
    body: str = "It works again.",
    message_id: str = "<reply-1@acme.example.com>",
    **headers: str,
) -> bytes:
    extra = "".join(f"{k.replace('_', '-')}: {v}\n" for k, v in headers.items())
    return (
        f"From: {sender}\nTo: {to}\nSubject: {subject}\nMessage-ID: {message_id}\n{extra}"
        f"MIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\n\n{body}\n"
    ).encode()


@pytest.fixture
def helpdesk(helpdesk_factory) -> Helpdesk:
    # Notifications wait in the outbox: the console transport would print them amid the output.
    return helpdesk_factory(deliver_after_commit=False)


@pytest.fixture
def ticket(helpdesk: Helpdesk, cast: SimpleNamespace):
    return helpdesk.tickets.create(
        cast.carol_actor, subject="Printer on floor 3 is jammed", body="E-42 again."
    ).ticket


@pytest.fixture
def ticketcore() -> Iterator[click.Group]:
    """`ticketcore` with the mail commands, as `cli.py` will register them."""
    added = "mail" not in main.commands
    if added:
        main.add_command(mail)
    yield main
    if added:
        main.commands.pop("mail")


# ------------------------------------------------------------------ ingest


@sqlite_only
def test_ingest_a_file_prints_one_line(helpdesk, cast, ticket, tmp_path):
    path = tmp_path / "reply.eml"
    path.write_bytes(reply(subject=f"Re: [{ticket.track_id}] Printer"))
    result = run(["ingest", str(path)], helpdesk)
    assert result.exit_code == 0, result.output
    (line,) = result.output.splitlines()
    message = helpdesk.messages.thread(SYSTEM, ticket.id)[-1]
    assert line == (
        f"Added message {message.id} to ticket {ticket.track_id} "
        "(matched by the track ID in the subject)."
    )
    assert message.body == "It works again."


@sqlite_only
def test_ingest_reads_standard_input(helpdesk, cast):
    for args in (["ingest"], ["ingest", "-"]):
        sent = reply(sender="Frank <frank@mail.example.com>", message_id=f"<{len(args)}@x>")
        result = run(args, helpdesk, input=sent)
        assert result.exit_code == 0, result.output
        assert result.output.startswith("Created ticket ")
    assert helpdesk.tickets.list(SYSTEM).total == 2


@sqlite_only
def test_rejected_and_duplicate_mail_still_exit_0(helpdesk, cast, ticket):
    subject = f"Re: [{ticket.track_id}] Printer"
    stranger = run(["ingest"], helpdesk, input=reply("x@evil.example", subject=subject))
    assert stranger.exit_code == 0
    assert stranger.output.startswith("Rejected: x@evil.example has no account")
    assert "(kept for inspection as #1)" in stranger.output

    first = run(["ingest"], helpdesk, input=reply(subject=subject))
    again = run(["ingest"], helpdesk, input=reply(subject=subject))
    assert first.exit_code == again.exit_code == 0
    assert again.output.startswith(
        f"Duplicate: <reply-1@acme.example.com> was received before (ticket {ticket.track_id})"
    )
    assert len(helpdesk.messages.thread(SYSTEM, ticket.id)) == 2


@sqlite_only
def test_malformed_mail_is_kept_listed_shown_and_printed_back(helpdesk, tmp_path):
    garbage = b"\x00\x01\x02 not an email at all \xff"
    result = run(["ingest"], helpdesk, input=garbage)
    assert result.exit_code == 0
    assert result.output == (
        "Malformed: not an email: no headers found; kept for inspection as #1.\n"
    )

    listed = run(["list", "--status", "malformed"], helpdesk)
    assert listed.exit_code == 0
    assert "#1" in listed.output and "not an email" in listed.output
    assert listed.output.endswith("1 entry\n")
    assert run(["list", "--status", "added"], helpdesk).output.endswith("0 entries\n")

    shown = run(["show", "1"], helpdesk)
    assert "Status:     malformed" in shown.output
    assert f"Kept:       {len(garbage)} bytes" in shown.output
    raw = run(["show", "1", "--raw"], helpdesk)
    assert raw.stdout_bytes == garbage


@sqlite_only
def test_a_rejected_mail_can_be_fixed_and_fed_again(helpdesk, cast, ticket):
    """The administrator's loop: read why, fix it (copy the sender), ingest the kept bytes."""
    sent = reply("Gina <gina@partner.example.net>", subject=f"Re: [{ticket.track_id}] Printer")
    rejected = helpdesk.mail.ingest(sent)
    assert rejected.status == "rejected"
    assert helpdesk.mail.entry(SYSTEM, rejected.inbound_id).track_id == ticket.track_id
    helpdesk.tickets.add_cc(cast.carol_actor, ticket.id, "gina@partner.example.net")

    kept = run(["show", str(rejected.inbound_id), "--raw"], helpdesk).stdout_bytes
    again = run(["ingest"], helpdesk, input=kept)
    assert again.output.startswith("Added message ") and ticket.track_id in again.output
    last = helpdesk.messages.thread(SYSTEM, ticket.id)[-1]
    assert last.author is not None and last.author.email == "gina@partner.example.net"
    assert run(["show", "99"], helpdesk).output.strip() == "Error: no inbound mail #99"
    assert (
        "only rejected and malformed mail"
        in run(["show", str(rejected.inbound_id + 1), "--raw"], helpdesk).output
    )


@sqlite_only
def test_the_log_is_for_administrators(helpdesk, cast):
    helpdesk.mail.ingest(b"garbage")
    assert [e.status for e in helpdesk.mail.log(SYSTEM)] == ["malformed"]
    assert helpdesk.mail.log(cast.ada_actor, status="malformed")[0].raw_size == 7
    for actor in (cast.ann_actor, cast.carol_actor, Actor.anonymous()):
        with pytest.raises(NotFound):
            helpdesk.mail.log(actor)
        with pytest.raises(NotFound):
            helpdesk.mail.raw(actor, 1)


@sqlite_only
def test_mail_without_message_id_is_still_stored_once(helpdesk, cast):
    raw = b"From: frank@mail.example.com\nTo: support@example.com\nSubject: No id\n\nHello\n"
    first, second = helpdesk.mail.ingest(raw), helpdesk.mail.ingest(raw)
    assert (first.status, second.status) == ("created", "duplicate")
    assert first.email_message_id == second.email_message_id
    assert first.email_message_id.endswith("@no-message-id.invalid>")
    assert helpdesk.tickets.list(SYSTEM).total == 1


@sqlite_only
def test_a_mail_that_trips_a_bug_is_kept_not_lost(helpdesk, cast, ticket, monkeypatch, caplog):
    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(helpdesk.messages, "reply", broken)
    sent = reply(subject=f"Re: [{ticket.track_id}] Printer")
    result = helpdesk.mail.ingest(sent)
    assert (result.status, result.reason) == (
        "malformed",
        "could not be processed (RuntimeError: boom)",
    )
    assert helpdesk.mail.raw(SYSTEM, result.inbound_id) == sent
    assert "could not be processed" in caplog.text


@sqlite_only
def test_a_message_too_big_for_the_database_keeps_its_headers(helpdesk, monkeypatch):
    real = helpdesk.mail._write_entry

    def like_mariadb(mail, keep, outcome):  # max_allowed_packet is 16 MB there by default
        if keep is not None and len(keep) > 100_000:
            raise sa_exc.OperationalError("INSERT …", {}, Exception("packet too big"))
        return real(mail, keep, outcome)

    monkeypatch.setattr(helpdesk.mail, "_write_entry", like_mariadb)
    raw = reply("x@evil.example", Precedence="bulk") + b"x" * 200_000
    result = helpdesk.mail.ingest(raw)
    assert result.status == "rejected"
    assert result.reason.endswith(
        "the database refused the whole message, only its headers were kept"
    )
    kept = helpdesk.mail.raw(SYSTEM, result.inbound_id)
    assert raw.startswith(kept) and kept.endswith(b"charset=utf-8\n\n")


@sqlite_only
def test_agents_and_deactivated_accounts_writing_to_the_support_address(helpdesk, cast):
    by_agent = helpdesk.mail.ingest(reply("Ann <ann@help.example.com>", subject="Laptop for Bob"))
    assert by_agent.status == "created"
    ticket = helpdesk.tickets.get(SYSTEM, by_agent.ticket_id)
    assert (ticket.requester.email, ticket.subject) == ("ann@help.example.com", "Laptop for Bob")

    helpdesk.users.deactivate(SYSTEM, cast.frank.id)
    gone = helpdesk.mail.ingest(reply("frank@mail.example.com", message_id="<f@x>"))
    assert (gone.status, gone.reason) == (
        "rejected",
        "frank@mail.example.com's account is deactivated",
    )


@sqlite_only
def test_a_webhook_may_hand_over_text(helpdesk, cast):
    result = helpdesk.mail.ingest(reply(sender="frank@mail.example.com").decode())
    assert result.status == "created"


# ------------------------------------------------------------------ the database is down


def test_an_unreachable_database_exits_1_or_75_for_the_mta(ticketcore, tmp_path):
    url = f"sqlite:///{tmp_path / 'missing-dir' / 'ticketcore.db'}"
    runner = CliRunner(env=CLEAN_ENV, catch_exceptions=False)
    plain = runner.invoke(ticketcore, ["--database-url", url, "mail", "ingest"], input=reply())
    assert plain.exit_code == 1
    assert plain.stderr.startswith("Error: cannot reach the database at sqlite:///")
    assert len(plain.stderr.splitlines()) == 1

    retry = runner.invoke(
        ticketcore, ["--database-url", url, "mail", "ingest", "--tempfail"], input=reply()
    )
    assert retry.exit_code == EX_TEMPFAIL == 75
    assert retry.stderr.startswith("Error: the message could not be recorded now (")
    assert retry.stdout == ""


def test_a_database_without_tables_says_so(ticketcore, tmp_path):
    url = f"sqlite:///{tmp_path / 'empty.db'}"
    result = CliRunner(env=CLEAN_ENV).invoke(
        ticketcore, ["--database-url", url, "mail", "ingest"], input=reply()
    )
    assert result.exit_code == 1
    assert "has no ticketcore tables: run `ticketcore db upgrade` first" in result.stderr


# ------------------------------------------------------------------ Maildir


def maildir(root: Path, *messages: bytes) -> Path:
    for sub in ("new", "cur", "tmp"):
        (root / sub).mkdir(parents=True, exist_ok=True)
    for number, raw in enumerate(messages):
        (root / "new" / f"170000000{number}.M{number}P1.mx").write_bytes(raw)
    return root


@sqlite_only
def test_poll_maildir_ingests_new_mail_and_marks_it_seen(helpdesk, cast, ticket, tmp_path):
    box = maildir(
        tmp_path / "Maildir",
        reply(subject=f"Re: [{ticket.track_id}] Printer", message_id="<m1@x>"),
        reply(sender="frank@mail.example.com", subject="New laptop", message_id="<m2@x>"),
        reply(subject="Out of office", message_id="<m3@x>", Auto_Submitted="auto-replied"),
    )
    result = run(["poll-maildir", str(box)], helpdesk)
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].startswith("1700000000.M0P1.mx: Added message")
    assert lines[1].startswith("1700000001.M1P1.mx: Created ticket")
    assert lines[2].startswith("1700000002.M2P1.mx: Rejected: automatic message")
    assert lines[3] == "3 message(s): 1 added, 1 created, 1 rejected."
    assert sorted(p.name for p in (box / "cur").iterdir()) == [
        f"170000000{n}.M{n}P1.mx:2,S" for n in range(3)
    ]
    assert list((box / "new").iterdir()) == []
    assert run(["poll-maildir", str(box)], helpdesk).output == "0 message(s).\n"

    maildir(box, reply(sender="frank@mail.example.com", message_id="<m4@x>"))
    deleted = run(["poll-maildir", str(box), "--delete"], helpdesk)
    assert deleted.output.endswith("1 message(s): 1 created.\n")
    assert len(list((box / "cur").iterdir())) == 3


@sqlite_only
def test_poll_maildir_leaves_mail_in_new_when_the_database_fails(
    helpdesk, cast, tmp_path, monkeypatch
):
    box = maildir(
        tmp_path / "Maildir",
        reply(sender="frank@mail.example.com", message_id="<a@x>"),
        reply(sender="frank@mail.example.com", message_id="<b@x>"),
    )
    real = helpdesk.mail.ingest
    calls: list[bytes] = []

    def failing_second_time(raw: bytes):
        calls.append(raw)
        if len(calls) == 2:
            raise sa_exc.OperationalError("INSERT …", {}, Exception("database is locked"))
        return real(raw)

    monkeypatch.setattr(helpdesk.mail, "ingest", failing_second_time)
    result = run(["poll-maildir", str(box), "--tempfail"], helpdesk)
    assert result.exit_code == EX_TEMPFAIL
    assert "database is locked" in result.stderr
    assert [p.name for p in (box / "new").iterdir()] == ["1700000001.M1P1.mx"]
    assert [p.name for p in (box / "cur").iterdir()] == ["1700000000.M0P1.mx:2,S"]


@sqlite_only
def test_poll_maildir_needs_a_maildir(helpdesk, tmp_path):
    result = run(["poll-maildir", str(tmp_path)], helpdesk)
    assert result.exit_code == 1
    assert (
        result.stderr.strip()
        == f"Error: directory: {tmp_path} is not a Maildir (needs new/ and cur/)"
    )


# ------------------------------------------------------------------ a round trip


def test_replies_to_real_notifications_find_their_ticket(helpdesk, cast, ticket):
    """Answer the notification the outbox wrote for Carol, once through its Reply-To address
    and once from a client that drops it and keeps only References; notifications follow."""
    with helpdesk.sessionmaker() as session:
        note = session.scalars(
            select(OutboxMessage).where(
                OutboxMessage.ticket_id == ticket.id,
                OutboxMessage.recipient == "carol@acme.example.com",
            )
        ).first()
    if note is None:
        pytest.skip("the outbox writes no notification for a new ticket")
    reply_to = note.headers["Reply-To"]
    assert "support+" in reply_to
    references = f"{note.headers.get('References', '')} {note.email_message_id}".strip()

    by_address = helpdesk.mail.ingest(
        reply(
            to=reply_to,
            subject="Re: " + note.subject,
            body="Thanks, it prints again.\n\nOn Monday Support wrote:\n> old text",
            In_Reply_To=note.email_message_id,
            References=references,
        )
    )
    assert (by_address.status, by_address.ticket_id) == ("added", ticket.id)
    assert by_address.reason == "matched by the reply address"

    by_references = helpdesk.mail.ingest(
        reply(
            subject="Re: printer",
            body="And the scanner too.",
            message_id="<reply-2@acme.example.com>",
            References=references,
        )
    )
    assert (by_references.status, by_references.ticket_id) == ("added", ticket.id)
    assert by_references.reason == "matched by In-Reply-To/References"
    bodies = [m.body for m in helpdesk.messages.thread(SYSTEM, ticket.id)]
    assert bodies[-2:] == ["Thanks, it prints again.", "And the scanner too."]

    with helpdesk.sessionmaker() as session:
        told = session.scalars(
            select(OutboxMessage.event).where(
                OutboxMessage.ticket_id == ticket.id,
                OutboxMessage.message_id == by_address.message_id,
            )
        ).all()
    assert "customer_replied" in told  # the assignee hears of it, as after a portal reply
