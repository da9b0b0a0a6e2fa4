"""Opening tickets: numbering, track IDs, validation that writes nothing, templates, CC, files."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from engine_events import statements_sent, work_of
from ticketcore import Actor, InvalidInput, NotFound, PermissionDenied, Priority, Status
from ticketcore.models import Attachment, AuditEvent, Message, Ticket
from ticketcore.schemas import UploadedFile
from ticketcore.trackid import ALPHABET


def count(helpdesk, model) -> int:
    with helpdesk.engine.connect() as connection:
        return connection.scalar(select(func.count()).select_from(model))


def attachment_files(helpdesk) -> list:
    root = helpdesk.storage.root
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def test_customer_ticket_gets_defaults_number_and_track_id(helpdesk, cast):
    first = helpdesk.tickets.create(
        cast.carol_actor, subject="Printer jams", body="Every page"
    ).ticket
    second = helpdesk.tickets.create(cast.carol_actor, subject="Again", body="Still").ticket
    assert (first.number, second.number) == (1, 2)
    assert re.fullmatch(rf"[{ALPHABET}]{{3}}-[{ALPHABET}]{{3}}-[{ALPHABET}]{{4}}", first.track_id)
    assert first.track_id != second.track_id
    assert first.status is Status.OPEN
    assert first.priority is Priority.NORMAL
    assert first.team_name == "Support"  # the default team
    assert first.organization_name == "Acme"  # from the requester
    assert first.requester.email == "carol@acme.example.com"
    assert first.reply_count == 0
    assert first.last_reply_by == "customer"


def test_track_ids_are_random_not_sequential(helpdesk, cast):
    ids = {
        helpdesk.tickets.create(cast.frank_actor, subject=f"T{i}", body="b").ticket.track_id
        for i in range(12)
    }
    assert len(ids) == 12
    # No shared prefix run: consecutive tickets do not reveal each other.
    assert len({i[:3] for i in ids}) > 6


def test_finding_a_ticket_by_track_id_or_number_costs_what_finding_it_by_id_does(helpdesk, cast):
    """The ID a customer quotes is looked up and checked against what they may see in one
    statement, not one to find it and another to check it."""
    ticket = helpdesk.tickets.create(cast.carol_actor, subject="VPN", body="down").ticket

    def cost(find) -> int:
        with statements_sent(helpdesk) as sent:
            assert find().id == ticket.id
        return len(work_of(sent))

    by_id = cost(lambda: helpdesk.tickets.get(cast.carol_actor, ticket.id))
    assert (
        cost(lambda: helpdesk.tickets.get_by_track_id(cast.carol_actor, ticket.track_id)) == by_id
    )
    assert cost(lambda: helpdesk.tickets.get_by_number(cast.ann_actor, ticket.number)) == by_id


def test_a_track_id_already_taken_is_drawn_again(helpdesk, cast, monkeypatch):
    taken = helpdesk.tickets.create(cast.frank_actor, subject="First", body="b").ticket
    draws = iter([taken.track_id, taken.track_id, "ABC-DEF-2345"])
    monkeypatch.setattr("ticketcore.services.tickets.new_track_id", lambda: next(draws))

    second = helpdesk.tickets.create(cast.frank_actor, subject="Second", body="b").ticket

    assert second.track_id == "ABC-DEF-2345"
    assert helpdesk.tickets.get_by_track_id(cast.frank_actor, taken.track_id).subject == "First"


def test_ticket_found_by_track_id_as_a_person_types_it(helpdesk, cast):
    ticket = helpdesk.tickets.create(cast.carol_actor, subject="Hi", body="b").ticket
    typed = ticket.track_id.replace("-", " ").lower()
    assert helpdesk.tickets.get_by_track_id(cast.carol_actor, typed).id == ticket.id
    assert helpdesk.tickets.get_by_number(cast.ann_actor, ticket.number).id == ticket.id


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"subject": "", "body": "b"}, "subject", "at least 1 character"),
        ({"subject": "   ", "body": "b"}, "subject", "at least 1 character"),
        ({"subject": "x" * 201, "body": "b"}, "subject", "at most 200 characters"),
        ({"subject": "s", "body": ""}, "body", "at least 1 character"),
        ({"subject": "s", "body": "b", "cc": ["not-an-email"]}, "cc", "@-sign"),
        ({"subject": "s", "body": "b", "team": "nope"}, "team", "unknown team"),
        ({"subject": "s", "body": "b", "priority": "critical"}, "priority", "must be one of"),
        ({"subject": "s", "body": "b", "template": "missing"}, "template", "unknown template"),
        ({"subject": "s", "body": "b", "colour": "red"}, "colour", "unknown field"),
        ({"subject": "s", "body": "b", "custom_fields": {"a": 1}}, "custom_fields", "template"),
    ],
)
def test_bad_input_names_the_field_and_writes_nothing(helpdesk, cast, fields, field, message):
    with pytest.raises(InvalidInput) as info:
        helpdesk.tickets.create(cast.carol_actor, **fields)
    assert message in " ".join(info.value.errors[field])
    assert count(helpdesk, Ticket) == 0
    assert count(helpdesk, Message) == 0
    assert count(helpdesk, AuditEvent) == 0


def test_several_problems_are_reported_together(helpdesk, cast):
    with pytest.raises(InvalidInput) as info:
        helpdesk.tickets.create(cast.carol_actor, subject="", body="", team="nope")
    assert {"subject", "body"} <= set(info.value.errors)


def test_team_and_priority_by_slug_and_name(helpdesk, cast):
    ticket = helpdesk.tickets.create(
        cast.carol_actor, subject="Invoice", body="wrong", team="billing", priority="urgent"
    ).ticket
    assert ticket.team_name == "Billing"
    assert ticket.priority is Priority.URGENT


def test_site_can_stop_customers_choosing_team_and_priority(helpdesk_factory, cast):
    strict = helpdesk_factory(customer_can_choose_team=False, customer_can_choose_priority=False)
    with pytest.raises(InvalidInput) as info:
        strict.tickets.create(
            cast.carol_actor, subject="s", body="b", team="billing", priority="urgent"
        )
    assert set(info.value.errors) == {"team", "priority"}


def test_template_fields_are_validated_and_stored(helpdesk, cast):
    helpdesk.templates.create(
        Actor.system(),
        name="Bug Report",
        fields=[
            {"key": "steps", "label": "Steps to reproduce", "type": "long_text", "required": True},
            {
                "key": "browser",
                "label": "Browser",
                "type": "select",
                "options": ["Firefox", "Chrome"],
            },
        ],
    )
    with pytest.raises(InvalidInput) as info:
        helpdesk.tickets.create(
            cast.carol_actor,
            subject="Crash",
            body="b",
            template="bug-report",
            custom_fields={"browser": "Lynx"},
        )
    assert info.value.errors["custom_fields.steps"] == ["Steps to reproduce is required"]
    assert "must be one of" in info.value.errors["custom_fields.browser"][0]
    assert count(helpdesk, Ticket) == 0

    ticket = helpdesk.tickets.create(
        cast.carol_actor,
        subject="Crash",
        body="b",
        template="bug-report",
        custom_fields={"steps": "Open it", "browser": "Firefox"},
    ).ticket
    assert ticket.template_name == "Bug Report"
    assert ticket.custom_fields == {"steps": "Open it", "browser": "Firefox"}


def test_template_definition_errors(helpdesk):
    with pytest.raises(InvalidInput) as info:
        helpdesk.templates.create(
            Actor.system(),
            name="Broken",
            fields=[
                {"key": "a", "label": "A", "type": "select"},
                {"key": "a", "label": "A again", "type": "text"},
                {"key": "Bad Key", "label": "B", "type": "text"},
            ],
        )
    assert "fields.0.options" in info.value.errors or "fields" in info.value.errors


def test_cc_recipients_are_normalized_and_deduplicated(helpdesk, cast):
    ticket = helpdesk.tickets.create(
        cast.carol_actor,
        subject="s",
        body="b",
        cc=["Boss@Acme.example.com", "boss@acme.example.com", "carol@acme.example.com"],
    ).ticket
    assert ticket.cc == ["Boss@acme.example.com"]  # the requester is never their own CC


def test_attachments_are_stored_with_safe_names(helpdesk, cast):
    ticket = helpdesk.tickets.create(
        cast.carol_actor,
        subject="Logs",
        body="attached",
        attachments=[
            UploadedFile(filename="../../etc/passwd", content=b"root:x"),
            UploadedFile(
                filename="screen shot.png", content=b"\x89PNG....", content_type="text/html"
            ),
        ],
    ).ticket
    thread = helpdesk.messages.thread(cast.carol_actor, ticket.id)
    files = thread[0].attachments
    assert [f.filename for f in files] == ["passwd", "screen shot.png"]
    assert files[1].content_type == "image/png"  # judged from the name, not the sender's claim
    meta, content = helpdesk.attachments.get(cast.carol_actor, files[0].id)
    assert content == b"root:x" and meta.size == 6
    assert len(attachment_files(helpdesk)) == 2


@pytest.mark.parametrize(
    ("upload", "message"),
    [
        (UploadedFile(filename="invoice.pdf.exe", content=b"MZ"), ".exe files are not accepted"),
        (UploadedFile(filename="page.html", content=b"<script>"), ".html files are not accepted"),
        (UploadedFile(filename="big.bin", content=b"x" * 2048), "larger than"),
        (UploadedFile(filename="empty.txt", content=b""), "empty"),
    ],
)
def test_refused_attachments_write_nothing(helpdesk_factory, cast, upload, message):
    helpdesk = helpdesk_factory(max_attachment_bytes=1024)
    with pytest.raises(InvalidInput) as info:
        helpdesk.tickets.create(cast.carol_actor, subject="s", body="b", attachments=[upload])
    assert message in info.value.errors["attachments"][0]
    assert count(helpdesk, Ticket) == 0
    assert count(helpdesk, Attachment) == 0
    assert attachment_files(helpdesk) == []


def test_failed_transaction_removes_already_stored_files(helpdesk, cast):
    from ticketcore.testing import temporary_plugin

    class Refuse:
        from ticketcore import hookimpl

        @hookimpl
        def before_ticket_created(self, helpdesk, actor, ticket):
            raise InvalidInput("subjects about spam are refused", field="subject")

    with temporary_plugin(helpdesk, Refuse()), pytest.raises(InvalidInput):
        helpdesk.tickets.create(
            cast.carol_actor,
            subject="spam",
            body="b",
            attachments=[UploadedFile(filename="a.txt", content=b"a")],
        )
    assert count(helpdesk, Ticket) == 0
    assert attachment_files(helpdesk) == []


def test_staff_open_tickets_for_a_requester(helpdesk, cast):
    with pytest.raises(InvalidInput, match="say who"):
        helpdesk.tickets.create(cast.ann_actor, subject="s", body="b")
    ticket = helpdesk.tickets.create(
        cast.ann_actor, subject="Follow-up", body="b", requester="dave@acme.example.com"
    ).ticket
    assert ticket.requester.display_name == "Dave"
    assert ticket.last_reply_by == "agent"


def test_customers_cannot_open_for_others_or_start_conversations(helpdesk, cast):
    with pytest.raises(InvalidInput) as info:
        helpdesk.tickets.create(
            cast.carol_actor, subject="s", body="b", requester=cast.dave.id, kind="conversation"
        )
    assert "requester" in info.value.errors


def test_staff_start_a_conversation(helpdesk, cast):
    ticket = helpdesk.tickets.create(
        cast.ann_actor,
        subject="Your documents",
        body="Please send",
        requester=cast.carol.id,
        kind="conversation",
    ).ticket
    assert ticket.kind == "conversation"
    assert helpdesk.tickets.get(cast.carol_actor, ticket.id).subject == "Your documents"


def test_guest_gets_a_secret_link_to_one_ticket(helpdesk, cast):
    created = helpdesk.tickets.create_as_guest(
        email="visitor@mail.example.org", display_name="Vic", subject="Order 7", body="Where?"
    )
    other = helpdesk.tickets.create(cast.carol_actor, subject="Mine", body="b").ticket
    assert created.guest_token and len(created.guest_token) >= 32
    guest = helpdesk.tickets.guest_actor(created.ticket.track_id, created.guest_token)
    assert helpdesk.tickets.get(guest, created.ticket.id).subject == "Order 7"
    helpdesk.messages.reply(guest, created.ticket.id, body="Any news?")
    with pytest.raises(NotFound):
        helpdesk.tickets.get(guest, other.id)
    with pytest.raises(NotFound):
        helpdesk.tickets.guest_actor(created.ticket.track_id, created.guest_token[:-1] + "x")
    with pytest.raises(NotFound):
        helpdesk.tickets.guest_actor(other.track_id, created.guest_token)
    assert helpdesk.tickets.list(guest).total == 1


def test_guest_token_is_not_stored_in_clear(helpdesk):
    created = helpdesk.tickets.create_as_guest(
        email="visitor@mail.example.org", subject="s", body="b"
    )
    with helpdesk.engine.connect() as connection:
        stored = connection.scalar(select(Ticket.guest_token_hash))
    assert stored and created.guest_token not in stored


def test_guest_cannot_use_a_staff_address(helpdesk, cast):
    with pytest.raises(InvalidInput):
        helpdesk.tickets.create_as_guest(email=cast.ann.email, subject="s", body="b")


def test_guests_and_anonymous_cannot_call_create(helpdesk):
    with pytest.raises(PermissionDenied):
        helpdesk.tickets.create(Actor.anonymous(), subject="s", body="b")


def test_creation_is_audited(helpdesk, cast):
    ticket = helpdesk.tickets.create(cast.carol_actor, subject="s", body="b").ticket
    trail = helpdesk.tickets.audit_trail(cast.ann_actor, ticket.id)
    assert [(e.action, e.field, e.new_value) for e in trail] == [
        ("created", None, None),
        ("changed", "assignee", "ann@help.example.com"),
    ]
    assert trail[0].actor_id == cast.carol.id
    with pytest.raises(NotFound):
        helpdesk.tickets.audit_trail(cast.carol_actor, ticket.id)


def test_staff_may_name_the_assignee_customers_may_not(helpdesk, cast):
    ticket = helpdesk.tickets.create(
        cast.ada_actor, subject="s", body="b", requester=cast.carol.id, assignee=cast.bill.id
    ).ticket
    assert ticket.assignee.id == cast.bill.id
    with pytest.raises(InvalidInput) as info:
        helpdesk.tickets.create(cast.carol_actor, subject="s", body="b", assignee=cast.bill.id)
    assert info.value.errors["assignee"] == ["the assignee is chosen for you"]


def test_conversation_stays_with_the_agent_who_started_it(helpdesk, cast):
    ticket = helpdesk.tickets.create(
        cast.bill_actor,
        subject="Invoice overdue",
        body="Hi",
        requester=cast.frank.id,
        kind="conversation",
        team="billing",
    ).ticket
    assert ticket.assignee.id == cast.bill.id


def test_a_mail_that_opened_a_ticket_cannot_open_a_second(helpdesk, cast):
    from ticketcore import Conflict

    fields = {"subject": "By mail", "body": "b", "source": "email", "email_message_id": "<m1@x>"}
    helpdesk.tickets.create(cast.carol_actor, **fields)
    with pytest.raises(Conflict):
        helpdesk.tickets.create(cast.carol_actor, **fields)
    assert count(helpdesk, Ticket) == 1
