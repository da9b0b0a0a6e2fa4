"""Opening a ticket in the customer portal: customers, guests, templates, files, errors."""

from __future__ import annotations

import re
from types import SimpleNamespace

from sqlalchemy import select

from ticketcore import Actor
from ticketcore.models import OutboxMessage
from ticketcore.web.identity import GUEST_KEY

NEW = "/support/tickets/new"
SYSTEM = Actor.system()
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def logged_in(web: SimpleNamespace, user: object) -> object:
    client = web.client()
    client.log_in_as(user.id)  # type: ignore[attr-defined]
    return client


def track_id_of(page: object) -> str:
    found = re.search(r"/tickets/created/([A-Z0-9-]+)", page.url)  # type: ignore[attr-defined]
    assert found, page.url  # type: ignore[attr-defined]
    return found.group(1)


def all_tickets(web: SimpleNamespace) -> int:
    return int(web.helpdesk.tickets.list(SYSTEM).total)


def outbox(web: SimpleNamespace) -> list[OutboxMessage]:
    with web.helpdesk.sessionmaker() as session:
        return list(session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


# ------------------------------------------------------------------ customers


def test_customer_opens_ticket_with_two_attachments(web: SimpleNamespace) -> None:
    web.helpdesk.sla.create_policy(
        SYSTEM, name="Standard", first_response_minutes=240, is_default=True
    )
    client = logged_in(web, web.cast.carol)
    form = client.get(NEW)
    assert form.status == 200
    for label in (
        "Subject",
        "Description",
        "Team",
        "Priority",
        "CC (comma-separated emails)",
        "Attachments",
    ):
        assert f">{label}" in form.text
    assert 'enctype="multipart/form-data"' in form.text

    page = client.post(
        NEW,
        {
            "subject": "Printer is on fire",
            "body": "Smoke everywhere.",
            "team": "billing",
            "priority": "high",
            "cc": "dave@acme.example.com, boss@acme.example.com",
        },
        files=[
            ("attachments", "screenshot.png", PNG, "image/png"),
            ("attachments", "log.txt", b"error 42\n", "text/plain"),
        ],
    )
    assert page.status == 200
    track_id = track_id_of(page)
    assert track_id in page.text
    assert "Printer is on fire" in page.text
    assert "typically responds within" in page.text
    assert "First response by" in page.text

    ticket = web.helpdesk.tickets.get_by_track_id(web.cast.carol_actor, track_id)
    assert ticket.subject == "Printer is on fire"
    assert ticket.team_name == "Billing"
    assert ticket.priority.name == "HIGH"
    assert set(ticket.cc) == {"dave@acme.example.com", "boss@acme.example.com"}
    first = web.helpdesk.messages.thread(web.cast.carol_actor, ticket.id)[0]
    assert first.body == "Smoke everywhere."
    assert sorted(a.filename for a in first.attachments) == ["log.txt", "screenshot.png"]


def test_created_page_is_private(web: SimpleNamespace) -> None:
    created = web.helpdesk.tickets.create(web.cast.carol_actor, subject="Mine", body="x")
    url = f"/support/tickets/created/{created.ticket.track_id}"
    assert logged_in(web, web.cast.carol).get(url).status == 200
    assert logged_in(web, web.cast.erin).get(url).status == 404
    assert web.client().get(url).status == 404
    assert logged_in(web, web.cast.carol).get("/support/tickets/created/AAA-BBB-2345").status == 404


def test_missing_subject_keeps_description_and_says_why(web: SimpleNamespace) -> None:
    client = logged_in(web, web.cast.carol)
    page = client.post(NEW, {"subject": "  ", "body": "My careful description"})
    assert page.status == 400
    assert "My careful description" in page.text
    assert re.search(r'id="subject-error">Enter a subject\.', page.text)
    assert 'aria-describedby="subject-error"' in page.text
    assert "Attach the files again" not in page.text
    assert all_tickets(web) == 0


def test_dangerous_file_is_refused_and_nothing_created(web: SimpleNamespace) -> None:
    client = logged_in(web, web.cast.carol)
    page = client.post(
        NEW,
        {"subject": "Here is the tool", "body": "Run it"},
        files=[("attachments", "tool.exe", b"MZ\x90\x00", "application/octet-stream")],
    )
    assert page.status == 400
    assert re.search(r'id="attachments-error">tool\.exe: \.exe files are not accepted', page.text)
    assert "Attach the files again" in page.text
    assert 'value="Here is the tool"' in page.text
    assert all_tickets(web) == 0


def test_too_many_and_too_large_files(web_factory) -> None:  # type: ignore[no-untyped-def]
    web = web_factory(max_attachments_per_message=2, max_attachment_bytes=1024)
    client = logged_in(web, web.cast.carol)
    form = client.get(NEW)
    assert "Up to 2 files, 1 kB each at most." in form.text

    too_many = client.post(
        NEW,
        {"subject": "Files", "body": "Three"},
        files=[("attachments", f"f{i}.txt", b"x", "text/plain") for i in range(3)],
    )
    assert too_many.status == 400
    assert "at most 2 files per message" in too_many.text

    too_large = client.post(
        NEW,
        {"subject": "Files", "body": "Big"},
        files=[("attachments", "big.txt", b"x" * 2048, "text/plain")],
    )
    assert too_large.status == 400
    assert "big.txt: larger than the" in too_large.text
    assert all_tickets(web) == 0


def test_template_with_required_custom_field(web: SimpleNamespace) -> None:
    web.helpdesk.templates.create(
        SYSTEM,
        name="Bug Report",
        description="Something does not work",
        fields=[
            {"key": "steps", "label": "Steps to reproduce", "type": "long_text", "required": True},
            {
                "key": "browser",
                "label": "Browser",
                "type": "select",
                "options": ["Firefox", "Chrome"],
            },
            {"key": "count", "label": "How many users", "type": "number"},
            {"key": "urgent", "label": "Blocks my work", "type": "checkbox"},
            {"key": "since", "label": "Since", "type": "date", "help_text": "When it began"},
            {"key": "version", "label": "Version", "type": "text"},
        ],
    )
    client = logged_in(web, web.cast.carol)
    plain = client.get(NEW)
    assert "Use this template" in plain.text
    assert "Steps to reproduce" not in plain.text

    form = client.get(NEW + "?template=bug-report")
    for label in ("Steps to reproduce", "Browser", "How many users", "Blocks my work", "Since"):
        assert f">{label}" in form.text
    assert 'name="cf_steps"' in form.text and 'type="date"' in form.text
    assert 'name="template" value="bug-report"' in form.text

    missing = client.post(
        NEW,
        {
            "template": "bug-report",
            "subject": "Crash",
            "body": "It crashes",
            "cf_browser": "Chrome",
        },
    )
    assert missing.status == 400
    assert re.search(r'id="cf_steps-error">Steps to reproduce is required', missing.text)
    assert "Steps to reproduce" in missing.text and ">Chrome</option>" in missing.text
    assert re.search(r'value="Chrome" selected', missing.text)
    assert all_tickets(web) == 0

    page = client.post(
        NEW,
        {
            "template": "bug-report",
            "subject": "Crash",
            "body": "It crashes",
            "cf_steps": "Click save",
            "cf_browser": "Chrome",
            "cf_count": "3",
            "cf_urgent": "1",
            "cf_since": "2026-01-05",
        },
    )
    assert page.status == 200
    ticket = web.helpdesk.tickets.get_by_track_id(web.cast.carol_actor, track_id_of(page))
    assert ticket.template_name == "Bug Report"
    assert ticket.custom_fields == {
        "steps": "Click save",
        "browser": "Chrome",
        "count": 3,
        "urgent": True,
        "since": "2026-01-05",
    }


def test_unknown_template_means_none(web: SimpleNamespace) -> None:
    page = logged_in(web, web.cast.carol).get(NEW + "?template=nope")
    assert page.status == 200
    assert 'name="template" value=""' in page.text


def test_team_and_priority_hidden_when_not_for_customers(web_factory) -> None:  # type: ignore[no-untyped-def]
    web = web_factory(customer_can_choose_team=False, customer_can_choose_priority=False)
    client = logged_in(web, web.cast.carol)
    form = client.get(NEW)
    assert 'name="team"' not in form.text and 'name="priority"' not in form.text
    page = client.post(NEW, {"subject": "S", "body": "B", "team": "billing", "priority": "urgent"})
    ticket = web.helpdesk.tickets.get_by_track_id(web.cast.carol_actor, track_id_of(page))
    assert ticket.team_name == "Support" and ticket.priority.name == "NORMAL"


def test_invalid_cc_is_shown_beside_cc(web: SimpleNamespace) -> None:
    page = logged_in(web, web.cast.carol).post(
        NEW, {"subject": "S", "body": "B", "cc": "not-an-address"}
    )
    assert page.status == 400
    assert 'id="cc-error"' in page.text and 'value="not-an-address"' in page.text


def test_staff_are_sent_to_the_agent_portal(web: SimpleNamespace) -> None:
    client = logged_in(web, web.cast.ann)
    page = client.get(NEW)
    assert page.status == 200 and "agent portal" in page.text
    assert 'name="subject"' not in page.text
    assert client.post(NEW, {"subject": "S", "body": "B"}).status == 403
    assert all_tickets(web) == 0


# ------------------------------------------------------------------ guests


def test_guest_opens_a_ticket_and_gets_the_link_by_email(web: SimpleNamespace) -> None:
    client = web.client()
    form = client.get(NEW)
    assert form.status == 200
    assert ">Your name" in form.text and ">Your email" in form.text

    page = client.post(
        NEW,
        {"display_name": "Gus", "email": "gus@example.org", "subject": "Guest here", "body": "Hi"},
        files=[("attachments", "note.txt", b"hello", "text/plain")],
    )
    assert page.status == 200
    track_id = track_id_of(page)
    assert track_id in page.text
    assert "We emailed you a link to this ticket" in page.text

    ticket = web.helpdesk.tickets.get_by_track_id(SYSTEM, track_id)
    assert ticket.requester.email == "gus@example.org"
    mails = [m for m in outbox(web) if m.recipient == "gus@example.org"]
    assert any("?token=" in m.body_text for m in mails)
    ticket_page_view = client.get(f"/support/tickets/{track_id}")
    assert ticket_page_view.status == 200
    assert "Guest here" in ticket_page_view.text
    # Another browser has no token: the confirmation is not theirs to see.
    assert web.client().get(f"/support/tickets/created/{track_id}").status == 404
    # The session token opens the ticket as the guest.
    token = client.session[GUEST_KEY][track_id] if hasattr(client, "session") else None
    if token is not None:
        assert web.helpdesk.tickets.guest_actor(track_id, token).ticket_id == ticket.id


def test_guest_errors_keep_name_and_email(web: SimpleNamespace) -> None:
    page = web.client().post(
        NEW, {"display_name": "Gus", "email": "not an email", "subject": "S", "body": ""}
    )
    assert page.status == 400
    assert 'value="Gus"' in page.text and 'value="not an email"' in page.text
    assert 'id="email-error"' in page.text and 'id="body-error"' in page.text
    assert all_tickets(web) == 0


def test_guest_with_a_staff_address_is_refused(web: SimpleNamespace) -> None:
    page = web.client().post(NEW, {"email": "ann@help.example.com", "subject": "S", "body": "B"})
    assert page.status == 400 and 'id="email-error"' in page.text
    assert all_tickets(web) == 0


def test_guest_captcha(web: SimpleNamespace) -> None:
    from ticketcore import hookimpl
    from ticketcore.testing import temporary_plugin

    class Captcha:
        @hookimpl
        def captcha_html(self, helpdesk, form):  # type: ignore[no-untyped-def]
            return '<input name="captcha" aria-label="Captcha">' if form == "guest" else None

        @hookimpl
        def verify_captcha(self, helpdesk, form, values, remote_addr):  # type: ignore[no-untyped-def]
            return None if values.get("captcha") == "42" else "Answer the question"

    with temporary_plugin(web.helpdesk, Captcha()):
        client = web.client()
        assert '<input name="captcha" aria-label="Captcha">' in client.get(NEW).text
        data = {"email": "gus@example.org", "subject": "Guest", "body": "Hi"}
        refused = client.post(NEW, data)
        assert refused.status == 400 and "Answer the question" in refused.text
        assert 'value="Guest"' in refused.text
        assert all_tickets(web) == 0
        assert client.post(NEW, {**data, "captcha": "42"}).status == 200
        assert all_tickets(web) == 1


def test_guest_tickets_off_sends_visitors_to_log_in(web_factory) -> None:  # type: ignore[no-untyped-def]
    web = web_factory(guest_tickets=False)
    page = web.client().get(NEW, follow=False)
    assert page.status in (302, 303)
    assert "/support/account/login" in (page.location or "")
    assert "next=" in (page.location or "")
    client = web.client()
    refused = client.post(
        NEW, {"email": "gus@example.org", "subject": "S", "body": "B"}, follow=False
    )
    assert refused.status in (302, 303) and "/account/login" in (refused.location or "")
    assert all_tickets(web) == 0


# ------------------------------------------------------------------ attacks


def test_csrf_token_is_required(web: SimpleNamespace) -> None:
    page = logged_in(web, web.cast.carol).post(NEW, {"subject": "S", "body": "B"}, csrf_token=False)
    assert page.status == 400
    assert all_tickets(web) == 0


def test_subject_markup_is_escaped(web: SimpleNamespace) -> None:
    client = logged_in(web, web.cast.carol)
    evil = '<script>alert("x")</script>'
    page = client.post(NEW, {"subject": evil, "body": "B"})
    assert page.status == 200
    assert evil not in page.text and "&lt;script&gt;" in page.text
    listing = client.get("/support/tickets")
    assert evil not in listing.text and "&lt;script&gt;alert" in listing.text
