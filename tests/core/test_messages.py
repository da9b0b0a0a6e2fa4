"""Replies and internal notes: status effects, counters, first response, and what customers see."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest

from engine_events import statements_sent, work_of
from ticketcore import Conflict, InvalidInput, InvalidTransition, PermissionDenied, Status
from ticketcore.schemas import UploadedFile


@pytest.fixture
def ticket(helpdesk, cast):
    return helpdesk.tickets.create(cast.carol_actor, subject="VPN down", body="Since 9am").ticket


def test_agent_reply_sets_first_response_and_can_leave_ticket_pending(
    helpdesk, cast, ticket, clock
):
    clock.advance(minutes=12)
    reply = helpdesk.messages.reply(cast.ann_actor, ticket.id, body="Restart it", status="pending")
    assert reply.kind == "agent_reply"
    after = helpdesk.tickets.get(cast.carol_actor, ticket.id)
    assert after.status is Status.PENDING
    assert after.status_group == "waiting_on_you"
    assert after.first_response_at == clock.now()
    assert after.last_reply_by == "agent"
    assert after.reply_count == 1

    clock.advance(minutes=5)
    helpdesk.messages.reply(cast.ann_actor, ticket.id, body="Any luck?")
    assert (
        helpdesk.tickets.get(cast.ann_actor, ticket.id).first_response_at == after.first_response_at
    )


def test_customer_reply_on_pending_reopens(helpdesk, cast, ticket):
    helpdesk.messages.reply(cast.ann_actor, ticket.id, body="Try again", status="pending")
    helpdesk.messages.reply(cast.carol_actor, ticket.id, body="Still broken")
    after = helpdesk.tickets.get(cast.ann_actor, ticket.id)
    assert after.status is Status.OPEN
    assert after.last_reply_by == "customer"
    trail = helpdesk.tickets.audit_trail(cast.ann_actor, ticket.id)
    assert [(e.old_value, e.new_value) for e in trail if e.field == "status"] == [
        ("open", "pending"),
        ("pending", "open"),
    ]


@pytest.mark.parametrize("finished", ["resolved", "closed"])
def test_reply_on_finished_ticket_reopens_by_default(helpdesk, cast, ticket, finished):
    helpdesk.tickets.update(cast.ann_actor, ticket.id, status=finished)
    helpdesk.messages.reply(cast.carol_actor, ticket.id, body="It broke again")
    after = helpdesk.tickets.get(cast.carol_actor, ticket.id)
    assert after.status is Status.OPEN
    assert after.closed_at is None and after.resolved_at is None


def test_site_can_refuse_replies_on_closed_tickets(helpdesk_factory, cast, ticket):
    refusing = helpdesk_factory(reply_on_closed="refuse")
    refusing.tickets.close(cast.carol_actor, ticket.id)
    with pytest.raises(InvalidTransition) as info:
        refusing.messages.reply(cast.carol_actor, ticket.id, body="One more thing")
    assert "no longer takes replies" in info.value.errors["status"][0]
    assert refusing.tickets.get(cast.carol_actor, ticket.id).reply_count == 0
    assert len(refusing.messages.thread(cast.carol_actor, ticket.id)) == 1


def test_site_can_allow_replies_without_reopening(helpdesk_factory, cast, ticket):
    allowing = helpdesk_factory(reply_on_closed="allow")
    allowing.tickets.close(cast.carol_actor, ticket.id, resolved=True)
    allowing.messages.reply(cast.carol_actor, ticket.id, body="Thanks!")
    after = allowing.tickets.get(cast.carol_actor, ticket.id)
    assert after.status is Status.RESOLVED and after.reply_count == 1


def test_customers_cannot_set_a_status_with_a_reply(helpdesk, cast, ticket):
    with pytest.raises(InvalidInput) as info:
        helpdesk.messages.reply(cast.carol_actor, ticket.id, body="x", status="closed")
    assert "status" in info.value.errors
    assert helpdesk.tickets.get(cast.carol_actor, ticket.id).reply_count == 0


def test_impossible_status_in_a_reply_saves_nothing(helpdesk, cast, ticket):
    helpdesk.tickets.close(cast.ann_actor, ticket.id)
    with pytest.raises(InvalidInput) as info:
        helpdesk.messages.reply(cast.ann_actor, ticket.id, body="x", status="pending")
    assert "cannot go from Closed to Pending" in info.value.errors["status"][0]
    assert len(helpdesk.messages.thread(cast.ann_actor, ticket.id)) == 1


def test_internal_notes_never_reach_the_customer(helpdesk, cast, ticket, clock):
    clock.advance(minutes=1)
    helpdesk.messages.reply(cast.ann_actor, ticket.id, body="Public answer")
    clock.advance(minutes=1)
    note = helpdesk.messages.add_note(
        cast.ann_actor,
        ticket.id,
        "Customer is on the old plan",
        attachments=[UploadedFile(filename="crm.txt", content=b"secret")],
    )
    assert note.kind == "internal_note"
    customer_view = helpdesk.tickets.get(cast.carol_actor, ticket.id)
    customer_thread = helpdesk.messages.thread(cast.carol_actor, ticket.id)
    assert [m.body for m in customer_thread] == ["Since 9am", "Public answer"]
    assert customer_view.reply_count == 1
    assert customer_view.note_count is None
    # "Last reply" is the public answer, not the later note.
    assert customer_view.last_reply_by == "agent"
    assert customer_view.last_reply_at < clock.now()
    agent_thread = helpdesk.messages.thread(cast.ann_actor, ticket.id)
    assert [m.kind for m in agent_thread] == ["customer_reply", "agent_reply", "internal_note"]
    assert helpdesk.tickets.get(cast.ann_actor, ticket.id).note_count == 1
    from ticketcore import NotFound

    with pytest.raises(NotFound):
        helpdesk.attachments.get(cast.carol_actor, note.attachments[0].id)
    assert helpdesk.attachments.get(cast.ann_actor, note.attachments[0].id)[1] == b"secret"


def test_notes_do_not_count_as_first_response(helpdesk, cast, ticket):
    helpdesk.messages.add_note(cast.ann_actor, ticket.id, "Looking into it")
    assert helpdesk.tickets.get(cast.ann_actor, ticket.id).first_response_at is None


def test_customers_cannot_write_notes(helpdesk, cast, ticket):
    with pytest.raises(PermissionDenied):
        helpdesk.messages.add_note(cast.carol_actor, ticket.id, "sneaky")


def test_empty_reply_and_note_are_refused(helpdesk, cast, ticket):
    with pytest.raises(InvalidInput) as info:
        helpdesk.messages.reply(cast.carol_actor, ticket.id, body="   ")
    assert "body" in info.value.errors
    with pytest.raises(InvalidInput, match="cannot be empty"):
        helpdesk.messages.add_note(cast.ann_actor, ticket.id, "  ")


def elements(html: str) -> list[tuple[str, dict[str, str | None]]]:
    """The real elements of an HTML fragment, as a browser's parser would see them."""
    found: list[tuple[str, dict[str, str | None]]] = []

    class Collector(HTMLParser):
        def handle_starttag(self, tag, attrs):
            found.append((tag, dict(attrs)))

    Collector().feed(html)
    return found


def test_markdown_is_rendered_and_html_is_neutralized(helpdesk, cast, ticket):
    reply = helpdesk.messages.reply(
        cast.carol_actor,
        ticket.id,
        body="**Bold** <script>alert(1)</script> [x](javascript:alert(2)) "
        "<img src=x onerror=alert(3)> [ok](https://example.com)",
    )
    tags = elements(reply.body_html)
    assert ("strong", {}) in tags
    assert all(tag not in ("script", "img") for tag, _ in tags)
    assert all(not k.startswith("on") for _, attrs in tags for k in attrs)
    hrefs = [attrs.get("href") for tag, attrs in tags if tag == "a"]
    assert hrefs == ["https://example.com"]  # the javascript: link lost its href
    assert "&lt;script&gt;" in reply.body_html  # shown as text instead


def test_same_email_message_id_is_stored_once(helpdesk, cast, ticket):
    helpdesk.messages.reply(
        cast.carol_actor, ticket.id, body="by mail", source="email", email_message_id="<a@mail>"
    )
    with pytest.raises(Conflict):
        helpdesk.messages.reply(
            cast.carol_actor, ticket.id, body="by mail", source="email", email_message_id="<a@mail>"
        )
    assert helpdesk.tickets.get(cast.carol_actor, ticket.id).reply_count == 1


def test_replies_and_notes_are_audited_but_notes_leave_updated_at(helpdesk, cast, ticket, clock):
    clock.advance(minutes=3)
    reply = helpdesk.messages.reply(cast.ann_actor, ticket.id, body="Looking")
    replied_at = clock.now()
    clock.advance(minutes=3)
    note = helpdesk.messages.add_note(cast.ann_actor, ticket.id, "internal")
    trail = helpdesk.tickets.audit_trail(cast.ada_actor, ticket.id)
    assert [(e.action, e.new_value, e.actor_id) for e in trail[-2:]] == [
        ("replied", str(reply.id), cast.ann.id),
        ("noted", str(note.id), cast.ann.id),
    ]
    assert helpdesk.tickets.get(cast.carol_actor, ticket.id).updated_at == replied_at


def test_the_longest_message_allowed_is_stored_whole(helpdesk, cast, ticket):
    from ticketcore.schemas import BODY_MAX

    body = "é" * (BODY_MAX - 1) + "!"  # 2 bytes a character: more than a MariaDB TEXT holds
    helpdesk.messages.reply(cast.carol_actor, ticket.id, body=body)
    assert helpdesk.messages.thread(cast.carol_actor, ticket.id)[-1].body == body


def test_a_thread_reads_the_ticket_once_and_its_messages_in_three_statements(
    helpdesk, cast, ticket
):
    """The permission check is one statement; the ticket's people, team and copies, which a
    thread does not show, are not loaded (they were six more)."""
    helpdesk.messages.reply(cast.ann_actor, ticket.id, body="Looking into it.")
    with statements_sent(helpdesk) as sent:
        thread = helpdesk.messages.thread(cast.carol_actor, ticket.id)
    assert [m.body for m in thread] == ["Since 9am", "Looking into it."]
    assert len(work_of(sent)) == 4  # the check, the messages, their authors, their files
