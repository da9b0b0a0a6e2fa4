"""Who is emailed about what, and what the email says: every event, CC, guests, notes, SLA
warnings, plugins, templates, translations and branding (SQLite; an in-memory transport)."""

from __future__ import annotations

import gettext
import logging
from datetime import timedelta
from types import SimpleNamespace

import pytest
from mailtest import Captured, html_of, text_of
from sqlalchemy import select

from ticketcore import Actor, InvalidInput, hookimpl
from ticketcore.models import Message, OutboxMessage, OutboxStatus, Ticket
from ticketcore.notify import render
from ticketcore.notify.events import Event
from ticketcore.notify.outbox import REDACTED
from ticketcore.notify.queue import queue_event
from ticketcore.schemas import UploadedFile
from ticketcore.services.unit_of_work import unit_of_work
from ticketcore.testing import temporary_plugin

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


@pytest.fixture
def captured() -> Captured:
    return Captured()


@pytest.fixture
def settings_overrides() -> dict:
    """Settings of this test's helpdesk: parametrize this fixture to change them."""
    return {}


@pytest.fixture
def helpdesk(helpdesk_factory, captured, settings_overrides):
    return helpdesk_factory(plugins=[captured], **settings_overrides)


@pytest.fixture
def opened(helpdesk, cast, captured) -> SimpleNamespace:
    """Carol's ticket, copied to Dave, assigned to Ann; the emails of its opening cleared."""
    created = helpdesk.tickets.create(
        cast.carol_actor, subject="The printer jams", body="Every page jams.", cc=[cast.dave.email]
    )
    ticket = created.ticket
    assert ticket.assignee.display_name == "Ann"
    captured.clear()
    return SimpleNamespace(ticket=ticket, id=ticket.id, track_id=ticket.track_id)


def rows(helpdesk) -> list[OutboxMessage]:
    with helpdesk.sessionmaker() as session:
        return list(session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


# ------------------------------------------------------------------ customer side


def test_a_new_ticket_sends_a_receipt_to_requester_and_cc_and_new_ticket_to_the_assignee(
    helpdesk, cast, captured
):
    created = helpdesk.tickets.create(
        cast.carol_actor, subject="The printer jams", body="Every page jams.", cc=[cast.dave.email]
    ).ticket
    assert sorted(captured.events()) == [
        ("new_ticket", "ann@help.example.com"),  # not "assigned to you" as well
        ("ticket_created", "carol@acme.example.com"),  # her receipt, though she acted
        ("ticket_created", "dave@acme.example.com"),
    ]
    receipt = captured.to(cast.carol.email)[0]
    assert created.track_id in receipt["Subject"] and "The printer jams" in receipt["Subject"]
    text = text_of(receipt)
    assert f"track ID is {created.track_id}" in text
    assert f"http://localhost:5000/support/tickets/{created.track_id}" in text
    assert "?token=" not in text
    copied = text_of(captured.to(cast.dave.email)[0])
    assert "Carol opened a request and copied you on it" in copied
    staff = captured.to(cast.ann.email)[0]
    assert staff["Subject"] == f"[Support #{created.number}] The printer jams"
    assert "It is assigned to you" in text_of(staff)
    assert "carol@acme.example.com" in text_of(staff)  # staff see the requester's address
    assert "/agent/tickets/" in text_of(staff)
    assert all(r.status is OutboxStatus.SENT for r in rows(helpdesk))  # delivered after commit


def test_a_ticket_staff_open_for_a_customer_says_who_opened_it(helpdesk, cast, captured):
    helpdesk.tickets.create(
        cast.bill_actor, requester=cast.erin.email, subject="Your invoice", body="Attached."
    )
    assert sorted(captured.events()) == [
        ("assigned_to_you", "ann@help.example.com"),  # round-robin chose Ann, Bill acted
        ("ticket_created", "erin@globex.example.com"),
    ]
    assert "Bill opened a request for you." in text_of(captured.to(cast.erin.email)[0])


def test_an_agent_reply_reaches_requester_and_cc_with_its_files_and_new_status(
    helpdesk, cast, captured, opened
):
    helpdesk.messages.reply(
        cast.ann_actor,
        opened.id,
        body="Which **model** is it?",
        status="pending",
        attachments=[
            UploadedFile(filename="manual.pdf", content=b"%PDF" * 700),
            UploadedFile(filename="photo.png", content=b"x" * 30),
        ],
    )
    assert sorted(captured.events()) == [
        ("agent_replied", "carol@acme.example.com"),
        ("agent_replied", "dave@acme.example.com"),
    ]
    for message in captured.sent:
        assert message["Subject"] == f"Re: [Support {opened.track_id}] The printer jams"
        assert message.get_content_type() == "multipart/alternative"
        assert [p.get_content_type() for p in message.iter_parts()] == ["text/plain", "text/html"]
        text, html = text_of(message), html_of(message)
        assert "Ann replied to your request" in text
        assert "Which **model** is it?" in text and "<strong>model</strong>" in html
        assert "manual.pdf (3 kB)" in text and "photo.png (30 bytes)" in text
        assert "manual.pdf" in html and "photo.png" in html
        assert "We are waiting for your answer." in text


def test_internal_notes_never_leave_the_building(helpdesk, cast, captured, opened):
    helpdesk.messages.add_note(cast.ann_actor, opened.id, "The customer is on the old plan.")
    assert captured.sent == []
    with helpdesk.sessionmaker() as session:
        note = session.scalar(select(Message).where(Message.is_internal.is_(True)))
        assert note is not None
        assert (
            session.scalar(select(OutboxMessage).where(OutboxMessage.message_id == note.id)) is None
        )
    # Even a caller that asks for it gets nothing queued for a note.
    before = len(rows(helpdesk))
    with unit_of_work(helpdesk) as uow:
        ticket = uow.session.get(Ticket, opened.id)
        note = uow.session.get(Message, note.id)
        queue_event(uow, Event.AGENT_REPLIED, ticket, actor=cast.ann_actor, message=note)
    assert len(rows(helpdesk)) == before
    assert all("old plan" not in r.body_text for r in rows(helpdesk))


def test_a_customer_reply_tells_the_assignee_only(helpdesk, cast, captured, opened):
    helpdesk.messages.reply(cast.carol_actor, opened.id, body="It is a LaserJet 4000.")
    assert captured.events() == [("customer_replied", "ann@help.example.com")]
    text = text_of(captured.sent[0])
    assert "Carol replied on ticket #" in text and "It is a LaserJet 4000." in text


@pytest.mark.parametrize("settings_overrides", [{"assignment": "none"}])
def test_staff_events_go_to_the_team_when_nobody_is_assigned(helpdesk, cast, captured):
    helpdesk.teams.add_member(Actor.system(), "support", cast.bill.id)
    ticket = helpdesk.tickets.create(cast.carol_actor, subject="Help", body="Please.").ticket
    assert ticket.assignee is None
    assert sorted(e for e in captured.events() if e[0] == "new_ticket") == [
        ("new_ticket", "ann@help.example.com"),
        ("new_ticket", "bill@help.example.com"),
    ]
    helpdesk.users.deactivate(Actor.system(), cast.bill.id)
    captured.clear()
    helpdesk.messages.reply(cast.carol_actor, ticket.id, body="Anyone?")
    assert captured.events() == [("customer_replied", "ann@help.example.com")]


def test_status_changes_and_closing_reach_the_customer_side(helpdesk, cast, captured, opened):
    helpdesk.tickets.update(cast.ann_actor, opened.id, status="resolved")
    # The requester is asked for a rating; the people copied just hear it is resolved.
    assert sorted(captured.events()) == [
        ("feedback_request", "carol@acme.example.com"),
        ("status_changed", "dave@acme.example.com"),
    ]
    text = text_of(captured.to(cast.carol.email)[0])
    assert f"Your request {opened.track_id} has been resolved." in text
    assert "How did we do?" in text
    assert "reply to this email and we will pick it up again" in text
    notice = text_of(captured.to(cast.dave.email)[0])
    assert f"Your request {opened.track_id} went from Open to Resolved." in notice
    captured.clear()
    helpdesk.tickets.close(cast.ann_actor, opened.id)
    assert sorted(captured.events()) == [
        ("ticket_closed", "carol@acme.example.com"),
        ("ticket_closed", "dave@acme.example.com"),
    ]
    assert f"Your request {opened.track_id} is closed." in text_of(captured.sent[0])


def test_whoever_acts_and_deactivated_accounts_are_not_emailed(helpdesk, cast, captured, opened):
    helpdesk.tickets.close(cast.carol_actor, opened.id, resolved=True)  # Carol resolves her own
    assert captured.events() == [("status_changed", "dave@acme.example.com")]
    captured.clear()
    helpdesk.users.deactivate(Actor.system(), cast.dave.id)
    helpdesk.messages.reply(cast.ann_actor, opened.id, body="Reopening to check.", status="open")
    assert captured.events() == [("agent_replied", "carol@acme.example.com")]


def test_assigned_to_you_names_who_assigned(helpdesk, cast, captured, opened):
    helpdesk.tickets.update(cast.ann_actor, opened.id, assignee=cast.bill.id)
    assert captured.events() == [("assigned_to_you", "bill@help.example.com")]
    assert "Ann assigned ticket #" in text_of(captured.sent[0])
    captured.clear()
    helpdesk.tickets.update(cast.ann_actor, opened.id, assignee=cast.ann.id)  # herself: no email
    assert captured.events() == []


# ------------------------------------------------------------------ guests


@pytest.mark.parametrize("settings_overrides", [{"deliver_after_commit": False}])
def test_a_guest_gets_a_secret_link_that_is_removed_from_the_outbox_once_sent(helpdesk, captured):
    created = helpdesk.tickets.create_as_guest(
        email="gus@mail.example.org",
        display_name="Gus",
        subject="Cannot log in",
        body="Help!",
        cc=["friend@mail.example.org"],
    )
    token, track_id = created.guest_token, created.ticket.track_id
    link = f"http://localhost:5000/support/tickets/{track_id}?token={token}"
    queued = {r.recipient: r for r in rows(helpdesk)}
    assert link in queued["gus@mail.example.org"].body_text  # until it is sent
    assert token not in queued["friend@mail.example.org"].body_text  # the secret is Gus's alone

    result = helpdesk.outbox.deliver()
    assert result.sent == 2
    (mail,) = captured.to("gus@mail.example.org")
    assert link in text_of(mail) and link in html_of(mail)
    assert token not in text_of(captured.to("friend@mail.example.org")[0])
    # The link works, and the outbox keeps no copy of it.
    assert helpdesk.tickets.guest_actor(track_id, token).ticket_id == created.ticket.id
    for row in rows(helpdesk):
        assert token not in row.body_text and token not in (row.body_html or "")
    sent_receipt = next(r for r in rows(helpdesk) if r.recipient == "gus@mail.example.org")
    assert f"?token={REDACTED}" in sent_receipt.body_text


# ------------------------------------------------------------------ SLA warnings


def test_sla_warnings_go_to_the_assignee_in_their_own_time_zone(helpdesk, cast, captured, clock):
    system = Actor.system()
    nora = helpdesk.users.create(
        system,
        email="nora@help.example.com",
        display_name="Nora",
        role="agent",
        timezone="America/New_York",
    )
    helpdesk.teams.create(system, name="Night", members=[nora.id])
    helpdesk.sla.create_policy(
        system, name="Fast", first_response_minutes=60, resolution_minutes=600, is_default=True
    )
    ticket = helpdesk.tickets.create(
        cast.carol_actor, subject="Server down", body="Nothing works.", team="night"
    ).ticket
    assert ticket.assignee.display_name == "Nora"
    captured.clear()

    clock.advance(minutes=50)  # 83% of the response time: at risk
    helpdesk.sla.check()
    assert captured.events() == [("sla_at_risk", "nora@help.example.com")]
    warning = captured.sent[0]
    assert "First response due soon: Server down" in warning["Subject"]
    # Opened Monday 09:00 UTC: due 10:00 UTC, 5:00 AM in New York (CLDR puts a narrow space).
    assert "is due today, 5:00\u202fAM EST" in text_of(warning)

    captured.clear()
    clock.advance(minutes=20)
    helpdesk.sla.check()
    assert captured.events() == [("sla_breached", "nora@help.example.com")]
    breach = captured.sent[0]
    assert "First response overdue: Server down" in breach["Subject"]
    assert "was due today, 5:00\u202fAM EST: the target is missed" in text_of(breach)
    assert "the target is missed" in html_of(breach)


# ------------------------------------------------------------------ plugins and templates


class Auditor:
    @hookimpl
    def prepare_notification_recipients(self, helpdesk, event, ticket, recipients):
        if event == "agent_replied":
            recipients.remove("dave@acme.example.com")
            recipients.append("audit@example.com")
            recipients.append("evil@example.com\r\nBcc: everyone@example.com")


def test_plugins_choose_recipients_and_bad_addresses_are_dropped(helpdesk, cast, captured, opened):
    with temporary_plugin(helpdesk, Auditor()):
        helpdesk.messages.reply(cast.ann_actor, opened.id, body="Done.")
    assert sorted(captured.events()) == [
        ("agent_replied", "audit@example.com"),
        ("agent_replied", "carol@acme.example.com"),
    ]


class FailsOnSecondEvent:
    def __init__(self) -> None:
        self.calls = 0

    @hookimpl
    def prepare_notification_recipients(self, helpdesk, event, ticket, recipients):
        self.calls += 1
        if self.calls == 2:
            raise InvalidInput("refused late in the transaction")


def test_a_change_that_rolls_back_leaves_no_email(helpdesk, cast, captured):
    plugin = FailsOnSecondEvent()
    with temporary_plugin(helpdesk, plugin), pytest.raises(InvalidInput):
        helpdesk.tickets.create(cast.carol_actor, subject="Lost", body="Never saved.")
    assert plugin.calls == 2  # the receipt was queued, then the transaction failed
    assert rows(helpdesk) == [] and captured.sent == []


def test_emails_of_a_ticket_opened_by_email_answer_that_email(helpdesk, cast, captured):
    ticket = helpdesk.tickets.create(
        cast.bill_actor,
        requester=cast.carol.email,
        subject="Printer",
        body="It jams.",
        source="email",
        email_message_id="<CAF=jams@mail.acme.example.com>",
    ).ticket
    thread = f"<ticket-{ticket.track_id}@example.com>"
    (receipt,) = captured.to(cast.carol.email)
    assert receipt["In-Reply-To"] == "<CAF=jams@mail.acme.example.com>"
    assert receipt["References"].split() == [thread, "<CAF=jams@mail.acme.example.com>"]
    helpdesk.messages.reply(cast.ann_actor, ticket.id, body="Which model?")
    reply = captured.to(cast.carol.email)[1]
    assert reply["References"].split() == [
        thread,
        "<CAF=jams@mail.acme.example.com>",
        receipt["Message-ID"],
    ]


def test_a_failure_just_before_the_commit_leaves_neither_change_nor_email(
    helpdesk, cast, captured, opened
):
    sent_before = len(rows(helpdesk))
    with pytest.raises(RuntimeError), unit_of_work(helpdesk) as uow:
        ticket = uow.session.get(Ticket, opened.id)
        ticket.subject = "Renamed"
        queue_event(uow, Event.STATUS_CHANGED, ticket, actor=cast.ann_actor)

        def fails() -> None:
            raise RuntimeError("disk full")

        uow.before_commit(fails)  # runs after the queued emails are written
    assert len(rows(helpdesk)) == sent_before and captured.sent == []
    assert helpdesk.tickets.get(cast.ann_actor, opened.id).subject == "The printer jams"


@pytest.mark.parametrize("settings_overrides", [{"reply_address": "support at example"}])
def test_a_mistyped_reply_address_never_stops_a_change(helpdesk, cast, captured, caplog):
    with caplog.at_level(logging.ERROR, logger="ticketcore.notify"):
        created = helpdesk.tickets.create(cast.carol_actor, subject="Still saved", body="b")
    assert helpdesk.tickets.get(cast.carol_actor, created.ticket.id).subject == "Still saved"
    assert "reply_address 'support at example' is not a valid address" in caplog.text
    assert {r.recipient for r in rows(helpdesk)} == {cast.carol.email, cast.ann.email}


def test_host_templates_override_and_extend_the_packaged_ones(
    helpdesk, cast, captured, tmp_path, monkeypatch
):
    email_dir = tmp_path / "host-templates" / "ticketcore" / "email"
    email_dir.mkdir(parents=True)
    (email_dir / "ticket_created_subject.txt").write_text("Got it: {{ ticket.track_id }}")
    (email_dir / "ticket_created_message.html").write_text(
        '{% extends "ticketcore:ticketcore/email/ticket_created_message.html" %}'
        "{% block intro %}<p>Host intro</p>{% endblock %}"
    )
    (email_dir / "agent_replied_message.txt").write_text("{{ no_such_variable.attribute }}")
    # Read when the helpdesk renders its first email, which has not happened yet.
    monkeypatch.setenv(render.TEMPLATE_DIRS_ENV, str(tmp_path / "host-templates"))
    ticket = helpdesk.tickets.create(cast.carol_actor, subject="Hi", body="Hello").ticket
    receipt = captured.to(cast.carol.email)[0]
    assert receipt["Subject"] == f"Got it: {ticket.track_id}"
    assert "<p>Host intro</p>" in html_of(receipt)
    assert "We received your request" in html_of(receipt)  # the packaged content block
    assert "We received your request" in text_of(receipt)  # not overridden
    # A broken override is logged and the packaged template used: the reply is still saved.
    captured.clear()
    helpdesk.messages.reply(cast.ann_actor, ticket.id, body="Answer")
    assert "Ann replied to your request" in text_of(captured.to(cast.carol.email)[0])


def test_emails_are_written_in_the_recipients_language(helpdesk, cast, captured, monkeypatch):
    class French(gettext.NullTranslations):
        def gettext(self, message: str) -> str:
            return {"Hello %(name)s,": "Bonjour %(name)s,", "In Progress": "En cours"}.get(
                message, message
            )

    def translations_for(locale: str) -> gettext.NullTranslations:
        return French() if locale.startswith("fr") else gettext.NullTranslations()

    monkeypatch.setattr(render, "translations_for", translations_for)
    system = Actor.system()
    amelie = helpdesk.users.create(
        system, email="amelie@acme.example.com", display_name="Amélie", locale="fr"
    )
    ticket = helpdesk.tickets.create(
        helpdesk.users.actor_for(amelie), subject="Imprimante", body="Bloquée."
    ).ticket
    helpdesk.tickets.update(cast.ann_actor, ticket.id, status="in_progress")
    mail = captured.to("amelie@acme.example.com", "status_changed")[0]
    assert "Bonjour Amélie," in text_of(mail) and "to En cours." in text_of(mail)
    assert "Hello Carol," not in text_of(mail)


BRANDED = {
    "site_name": "Acme Help",
    "brand_color": "#ff6600",
    "logo_url": "https://cdn.example.com/logo.png",
}


@pytest.mark.parametrize("settings_overrides", [BRANDED])
def test_branding_comes_from_settings_and_html_is_escaped(helpdesk, cast, captured):
    helpdesk.tickets.create(
        cast.carol_actor, subject="<script>alert(1)</script>", body="<b>bold?</b>"
    )
    receipt = captured.to(cast.carol.email)[0]
    html = html_of(receipt)
    assert receipt["Subject"].startswith("[Acme Help ")
    assert (
        "#ff6600" in html and '<img src="https://cdn.example.com/logo.png" alt="Acme Help"' in html
    )
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<b>bold?</b>" not in html


def test_a_very_long_reply_is_shortened_in_the_email(helpdesk, cast, captured, opened, caplog):
    body = "\n\n".join(f"Paragraph {n}: " + "word " * 60 for n in range(200))  # ~60 000 chars
    helpdesk.messages.reply(cast.ann_actor, opened.id, body=body)
    text = text_of(captured.to(cast.carol.email)[0])
    assert "Paragraph 0:" in text and "Paragraph 199:" not in text
    assert "This message is shortened here" in text
    assert all(len(r.body_text.encode()) < 60_000 for r in rows(helpdesk))
    assert all(len((r.body_html or "").encode()) < 60_000 for r in rows(helpdesk))


def test_unusable_time_zone_or_locale_falls_back_to_utc_and_english(
    helpdesk, cast, captured, caplog
):
    odd = helpdesk.users.create(
        Actor.system(),
        email="odd@acme.example.com",
        display_name="Odd",
        timezone="Mars/Olympus",
        locale="xx-nowhere",
    )
    with caplog.at_level(logging.WARNING, logger="ticketcore.notify"):
        helpdesk.tickets.create(helpdesk.users.actor_for(odd), subject="Hi", body="Hello")
    assert "We received your request" in text_of(captured.to("odd@acme.example.com")[0])
    assert "unknown time zone" in caplog.text


@pytest.mark.parametrize("settings_overrides", [{"deliver_after_commit": False}])
def test_with_delivery_after_commit_off_emails_wait_for_a_worker(helpdesk, cast, captured, clock):
    helpdesk.tickets.create(cast.carol_actor, subject="Hi", body="Hello")
    assert captured.sent == []
    assert {r.status for r in rows(helpdesk)} == {OutboxStatus.PENDING}
    clock.advance(timedelta(seconds=1))
    assert helpdesk.outbox.deliver().sent == 2
    assert len(captured.sent) == 2
