"""The agent's ticket page: the thread with notes and history, replies and notes, the ticket's
properties, canned responses, SLA deadlines, no silent overwrite between two agents, and who
may not use any of it."""

from __future__ import annotations

import html
import re
from types import SimpleNamespace
from typing import Any

from sqlalchemy import select

from ticketcore.models import OutboxMessage
from ticketcore.workflow import Priority, Status

PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6300010000000500010d0a2db40000000049454e44ae426082"
)
ACTIONS = ("reply", "note", "update")


def agent_url(track_id: str, action: str = "") -> str:
    return f"/support/agent/tickets/{track_id}" + (f"/{action}" if action else "")


def customer_url(track_id: str) -> str:
    return f"/support/tickets/{track_id}"


def logged_in(web: SimpleNamespace, user: Any) -> Any:
    client = web.client()
    client.log_in_as(user.id)
    return client


def open_ticket(web: SimpleNamespace, who: str = "carol", **fields: Any) -> Any:
    fields.setdefault("subject", "Printer on fire")
    fields.setdefault("body", "It smokes since this morning.")
    return web.helpdesk.tickets.create(getattr(web.cast, f"{who}_actor"), **fields).ticket


def current(web: SimpleNamespace, ticket: Any) -> Any:
    return web.helpdesk.tickets.get(web.cast.system, ticket.id)


def bodies(web: SimpleNamespace, ticket: Any) -> list[str]:
    return [m.body for m in web.helpdesk.messages.thread(web.cast.system, ticket.id)]


def seen_of(page: Any) -> str:
    """The `seen` every form of the page carries (one value for the whole page)."""
    values = set(re.findall(r'name="seen" value="([^"]+)"', page.text))
    assert len(values) == 1, values
    return html.unescape(values.pop())


def form_values(page: Any, **changes: str) -> dict[str, str]:
    """The properties form as the page filled it in, with `changes` typed over it."""
    form = re.search(r'<form method="post" action="[^"]*/update".*?</form>', page.text, re.S)
    assert form is not None
    values = {"seen": seen_of(page)}
    for select_html in re.findall(r"<select .*?</select>", form.group(0), re.S):
        name = re.search(r'name="([^"]+)"', select_html)
        chosen = re.search(r'<option value="([^"]*)" selected>', select_html)
        assert name is not None
        values[name.group(1)] = html.unescape(chosen.group(1)) if chosen else ""
    for name, value in re.findall(
        r'<input id="[^"]+" name="(cf_[a-z_]+)" type="(?:text|number|date)" value="([^"]*)"',
        form.group(0),
    ):
        values[name] = html.unescape(value)
    values.update(changes)
    return values


def changed_fields(web: SimpleNamespace, ticket: Any) -> list[str]:
    """The fields the audit trail records as changed, oldest first."""
    trail = web.helpdesk.tickets.audit_trail(web.cast.system, ticket.id)
    return [e.field for e in trail if e.action == "changed"]


def customer_mail(web: SimpleNamespace, email: str) -> str:
    with web.helpdesk.sessionmaker() as session:
        rows = session.scalars(select(OutboxMessage).where(OutboxMessage.recipient == email))
        return "\n".join(f"{m.subject}\n{m.body_text}\n{m.body_html}" for m in rows)


# ---------------------------------------------------------------- what the page shows


def test_thread_notes_and_history_in_one_timeline(web: SimpleNamespace) -> None:
    helpdesk, cast = web.helpdesk, web.cast
    ticket = open_ticket(web)
    older = open_ticket(web, subject="Toner empty")
    open_ticket(web, who="dave", subject="Dave's own ticket")
    web.clock.advance(minutes=5)
    helpdesk.messages.reply(
        cast.ann_actor, ticket.id, body="Please **unplug** it.", status="pending"
    )
    web.clock.advance(minutes=5)
    helpdesk.messages.add_note(cast.ann_actor, ticket.id, "NOTE-7731: calls a lot")
    web.clock.advance(minutes=5)
    helpdesk.tickets.update(cast.ann_actor, ticket.id, priority="high", assignee=cast.bill.id)

    page = logged_in(web, cast.ann).get(agent_url(ticket.track_id))
    assert page.status == 200
    text = page.text
    assert f"<h1>#{ticket.number} Printer on fire</h1>" in text
    assert ticket.track_id in text and "tc-status-pending" in text
    assert f'href="{customer_url(ticket.track_id)}">View as customer</a>' in text

    note = re.search(r'<li class="tc-message tc-message-note".*?</li>', text, re.S)
    assert note is not None
    assert "NOTE-7731" in note.group(0) and "Internal note" in note.group(0)
    staff = re.search(r'<li class="tc-message tc-message-staff".*?</li>', text, re.S)
    assert staff is not None
    assert "<strong>unplug</strong>" in staff.group(0) and "Internal note" not in staff.group(0)
    assert "Reply to customer" in staff.group(0)

    lines = [
        "Ann changed the status from Open to Pending",
        "Ann changed the priority from Normal to High",
        "Ann assigned the ticket to Bill",
    ]
    for line in lines:
        assert line in text
    assert "Assigned to Ann when the ticket was opened" in text
    order = [
        text.index("It smokes since this morning."),
        text.index("<strong>unplug</strong>"),
        text.index(lines[0]),
        text.index("NOTE-7731"),
        text.index(lines[1]),
    ]
    assert order == sorted(order)  # one timeline, oldest first

    requester = re.search(r'<section aria-labelledby="requester-title".*?</section>', text, re.S)
    assert requester is not None
    card = requester.group(0)
    assert "Carol" in card and "carol@acme.example.com" in card and "Acme" in card
    assert f'href="{agent_url(older.track_id)}">#{older.number} Toner empty</a>' in card
    assert "Printer on fire" not in card and "Dave&#39;s own ticket" not in card
    assert "/support/agent/queue?view=teams&amp;requester=carol%40acme.example.com" in card


def test_conversation_kinds_and_merged_tickets(web: SimpleNamespace) -> None:
    helpdesk, cast = web.helpdesk, web.cast
    request = helpdesk.conversations.start(
        cast.ann_actor,
        customer=cast.carol.id,
        subject="Your contract",
        body="Please send it signed.",
        type="document_request",
        awaited_document="Signed contract (PDF)",
    )
    ann = logged_in(web, cast.ann)
    page = ann.get(agent_url(request.track_id))
    assert "Document request" in page.text
    assert "Awaiting: Signed contract (PDF)" in page.text

    web.clock.advance(hours=1)
    helpdesk.messages.reply(
        cast.carol_actor,
        request.id,
        body="Here it is",
        attachments=[{"filename": "contract.png", "content": PNG}],
    )
    received = ann.get(agent_url(request.track_id)).text
    assert "Document received on" in received and "Awaiting:" not in received

    chat = helpdesk.conversations.start(
        cast.ann_actor, customer=cast.carol.id, subject="Hello", body="Just saying hi"
    )
    assert '<span class="tc-badge">Conversation</span>' in ann.get(agent_url(chat.track_id)).text

    first, second = open_ticket(web), open_ticket(web, subject="Same fire")
    helpdesk.tickets.merge(cast.ann_actor, second.id, first.id)
    merged = ann.get(agent_url(second.track_id)).text
    assert f'Merged into\n  <a href="{agent_url(first.track_id)}">{first.track_id}</a>' in merged
    target = ann.get(agent_url(first.track_id)).text
    assert f"Ann merged {second.track_id} into this ticket" in target


def test_sla_deadlines_live(web: SimpleNamespace) -> None:
    helpdesk, cast = web.helpdesk, web.cast
    helpdesk.sla.create_policy(
        cast.system,
        name="Standard",
        first_response_minutes=120,
        resolution_minutes=600,
        is_default=True,
    )
    ticket = open_ticket(web)

    def deadlines() -> str:  # a new login each time: sessions end after a while idle
        page = logged_in(web, cast.ann).get(agent_url(ticket.track_id))
        found = re.search(r'<section aria-labelledby="sla-title".*?</section>', page.text, re.S)
        assert found is not None
        return " ".join(found.group(0).split())

    fresh = deadlines()
    assert "Response by" in fresh and "Resolution by" in fresh
    assert "On track" in fresh and "due in 2 hours" in fresh and "due in 10 hours" in fresh

    web.clock.advance(minutes=100)  # 83 % of the response time is gone
    helpdesk.sla.check()
    risky = deadlines()
    assert (
        '<span class="tc-sla-at_risk">At risk</span> <span class="tc-muted">· due in 20 minutes'
        in risky
    )
    assert risky.count("At risk") == 1  # the resolution deadline has time yet

    web.clock.advance(minutes=140)
    late = deadlines()
    assert (
        '<span class="tc-sla-breached">Breached</span> <span class="tc-muted">· overdue by 2 hours'
        in late
    )
    assert "due in 6 hours" in late

    helpdesk.messages.reply(cast.ann_actor, ticket.id, body="On it", status="pending")
    waiting = deadlines()
    assert "answered" in waiting  # the response came, late: it stays a breach
    assert '<span class="tc-sla-paused">Paused</span>' in waiting


# ---------------------------------------------------------------- replies and notes


def test_reply_reaches_the_customer_and_a_note_never_does(web: SimpleNamespace) -> None:
    cast = web.cast
    ticket = open_ticket(web)
    ann = logged_in(web, cast.ann)
    page = ann.get(agent_url(ticket.track_id))
    assert '<label for="f-body">Your reply' in page.text
    assert '<label for="f-note">Note for the team' in page.text
    assert '<label for="f-leave_as">Leave ticket as</label>' in page.text
    assert '<option value="pending" selected>Pending</option>' in page.text
    assert "Send reply</button>" in page.text and "Add internal note</button>" in page.text
    seen = seen_of(page)

    replied = ann.post(
        agent_url(ticket.track_id, "reply"),
        {"body": "REPLY-5501: please unplug it", "leave_as": "pending", "seen": seen},
        files=[("attachments", "steps.png", PNG, "image/png")],
    )
    assert replied.status == 200 and replied.url == agent_url(ticket.track_id)
    assert "Your reply was sent to the customer." in replied.text
    assert current(web, ticket).status is Status.PENDING

    noted = ann.post(
        agent_url(ticket.track_id, "note"),
        {"note": "NOTE-7731: this customer calls a lot", "seen": seen_of(replied)},
    )
    assert noted.status == 200 and "Your internal note was added." in noted.text
    assert "NOTE-7731" in noted.text
    assert current(web, ticket).status is Status.PENDING  # a note changes nothing

    customer = logged_in(web, cast.carol).get(customer_url(ticket.track_id))
    assert "REPLY-5501" in customer.text and "steps.png" in customer.text
    assert "NOTE-7731" not in customer.text
    mail = customer_mail(web, "carol@acme.example.com")
    assert "REPLY-5501" in mail
    assert "NOTE-7731" not in mail


def test_reply_and_note_mistakes_keep_the_text(web: SimpleNamespace) -> None:
    ticket = open_ticket(web)
    ann = logged_in(web, web.cast.ann)
    seen = seen_of(ann.get(agent_url(ticket.track_id)))

    empty = ann.post(
        agent_url(ticket.track_id, "reply"), {"body": "  ", "leave_as": "open", "seen": seen}
    )
    assert empty.status == 400
    assert 'id="body-error"' in empty.text and "Write your reply before sending it." in empty.text
    assert '<option value="open" selected>' in empty.text

    web.helpdesk.tickets.close(web.cast.ann_actor, ticket.id)
    seen = seen_of(ann.get(agent_url(ticket.track_id)))
    refused = ann.post(
        agent_url(ticket.track_id, "reply"),
        {"body": "Fish & chips", "leave_as": "pending", "seen": seen},
    )
    assert refused.status == 400
    assert (
        'id="leave_as-error"' in refused.text and "cannot go from Closed to Pending" in refused.text
    )
    assert "Fish &amp; chips</textarea>" in refused.text

    no_note = ann.post(agent_url(ticket.track_id, "note"), {"note": "", "seen": seen})
    assert no_note.status == 400 and 'id="note-error"' in no_note.text

    no_seen = ann.post(agent_url(ticket.track_id, "reply"), {"body": "Kept", "leave_as": "closed"})
    assert no_seen.status == 400 and "This form was incomplete." in no_seen.text
    assert "Kept</textarea>" in no_seen.text
    assert bodies(web, ticket) == ["It smokes since this morning."]


# ---------------------------------------------------------------- properties


def test_properties_save_only_what_changed(web: SimpleNamespace) -> None:
    helpdesk, cast = web.helpdesk, web.cast
    ticket = open_ticket(web)
    ann = logged_in(web, cast.ann)
    page = ann.get(agent_url(ticket.track_id))
    for label in ("Status", "Priority", "Team", "Assignee"):
        assert f'<label for="f-{label.lower()}">{label}</label>' in page.text
    assert "Save changes</button>" in page.text

    before = changed_fields(web, ticket)  # the assignment rules chose Ann
    unchanged = ann.post(agent_url(ticket.track_id, "update"), form_values(page))
    assert "Nothing was changed." in unchanged.text
    assert changed_fields(web, ticket) == before

    saved = ann.post(
        agent_url(ticket.track_id, "update"),
        form_values(page, status="in_progress", priority="urgent", assignee=str(cast.bill.id)),
    )
    assert saved.status == 200 and "Your changes were saved." in saved.text
    after = current(web, ticket)
    assert after.status is Status.IN_PROGRESS and after.priority is Priority.URGENT
    assert after.assignee is not None and after.assignee.id == cast.bill.id
    changed = changed_fields(web, ticket)[len(before) :]
    assert sorted(changed) == ["assignee", "priority", "status"]  # the team was left alone
    assert "Ann assigned the ticket to Bill" in saved.text

    unassigned = ann.post(agent_url(ticket.track_id, "update"), form_values(saved, assignee=""))
    assert "Your changes were saved." in unassigned.text
    assert current(web, ticket).assignee is None

    moved = ann.post(
        agent_url(ticket.track_id, "update"), form_values(unassigned, team=str(cast.billing.id))
    )
    assert moved.status == 200 and moved.url == "/support/agent/queue"
    assert "The ticket is no longer one you can see." in moved.text
    assert current(web, ticket).team_id == cast.billing.id

    closed = open_ticket(web, subject="Old")
    helpdesk.tickets.close(cast.ann_actor, closed.id)
    page = ann.get(agent_url(closed.track_id))
    refused = ann.post(
        agent_url(closed.track_id, "update"), form_values(page, status="pending", priority="low")
    )
    assert refused.status == 400
    assert (
        'id="status-error"' in refused.text and "cannot go from Closed to Pending" in refused.text
    )
    assert '<option value="low" selected>' in refused.text  # what was chosen stays chosen
    assert current(web, closed).priority is Priority.NORMAL  # all or nothing


def test_custom_fields(web: SimpleNamespace) -> None:
    helpdesk, cast = web.helpdesk, web.cast
    template = helpdesk.templates.create(
        cast.system,
        name="Hardware",
        fields=[
            {"key": "serial", "label": "Serial number", "type": "text"},
            {"key": "model", "label": "Model", "type": "select", "options": ["X1", "X2"]},
            {"key": "warranty", "label": "Under warranty", "type": "checkbox"},
        ],
    )
    ticket = open_ticket(
        web,
        template=template.slug,
        custom_fields={"serial": "SN-1", "model": "X1", "warranty": True},
    )
    before = changed_fields(web, ticket)
    ann = logged_in(web, cast.ann)
    page = ann.get(agent_url(ticket.track_id))
    assert '<label for="f-cf_serial">Serial number</label>' in page.text
    assert 'name="cf_serial" type="text" value="SN-1"' in page.text
    assert '<option value="X1" selected>X1</option>' in page.text
    assert 'name="cf_warranty" type="checkbox" value="1" checked' in page.text

    values = form_values(page, cf_serial="SN-2")
    values["cf_warranty"] = "1"
    saved = ann.post(agent_url(ticket.track_id, "update"), values)
    assert "Your changes were saved." in saved.text
    assert current(web, ticket).custom_fields == {"serial": "SN-2", "model": "X1", "warranty": True}
    assert "Ann changed Serial number from SN-1 to SN-2" in saved.text

    untick = form_values(saved)  # an unticked checkbox sends nothing
    ann.post(agent_url(ticket.track_id, "update"), untick)
    assert current(web, ticket).custom_fields["warranty"] is False
    assert "Ann changed Under warranty from Yes to No" in ann.get(agent_url(ticket.track_id)).text
    changed = changed_fields(web, ticket)[len(before) :]
    assert changed == ["custom_fields.serial", "custom_fields.warranty"]


# ---------------------------------------------------------------- canned responses


def test_canned_response_fills_the_reply(web: SimpleNamespace) -> None:
    helpdesk, cast = web.helpdesk, web.cast
    greeting = helpdesk.canned.create(
        cast.system, title="Greeting", body="Hello {customer_first_name}, about {track_id}:"
    )
    helpdesk.canned.create(cast.system, title="Billing only", body="x", team=cast.billing.id)
    ticket = open_ticket(web)
    ann = logged_in(web, cast.ann)
    page = ann.get(agent_url(ticket.track_id))
    assert '<label for="f-canned">Canned response</label>' in page.text
    assert "Insert canned response</button>" in page.text
    assert "Billing only" not in page.text  # another team's response

    filled = ann.get(agent_url(ticket.track_id) + f"?canned={greeting.id}")
    assert filled.status == 200
    assert f"Hello Carol, about {ticket.track_id}:</textarea>" in filled.text
    assert f'<option value="{greeting.id}" selected>Greeting</option>' in filled.text

    missing = ann.get(agent_url(ticket.track_id) + "?canned=999999")
    assert missing.status == 200 and "That canned response does not exist any more." in missing.text


# ---------------------------------------------------------------- no silent overwrite


def test_a_reply_after_someone_else_acted_is_held_back(web: SimpleNamespace) -> None:
    helpdesk, cast = web.helpdesk, web.cast
    ticket = open_ticket(web)
    helpdesk.tickets.update(cast.ann_actor, ticket.id, assignee=cast.bill.id)  # so Bill sees it
    ann = logged_in(web, cast.ann)
    page = ann.get(agent_url(ticket.track_id))
    old_seen = seen_of(page)

    web.clock.advance(minutes=2)
    helpdesk.messages.reply(cast.bill_actor, ticket.id, body="BILL-3310: refund issued")
    mine = {"body": "ANN-2207: I will call you & fix it", "leave_as": "pending", "seen": old_seen}
    held = ann.post(agent_url(ticket.track_id, "reply"), mine)
    assert held.status == 409
    warning = re.search(
        r'<div class="tc-flash tc-flash-error tc-stale" role="alert">.*?</div>', held.text, re.S
    )
    assert warning is not None
    assert "While you were working:" in warning.group(0) and "Bill replied at" in warning.group(0)
    assert "ANN-2207: I will call you &amp; fix it</textarea>" in held.text
    assert "BILL-3310" in held.text  # the thread shows what Bill said
    assert not any("ANN-2207" in b for b in bodies(web, ticket))
    new_seen = seen_of(held)
    assert new_seen != old_seen

    sent = ann.post(agent_url(ticket.track_id, "reply"), {**mine, "seen": new_seen})
    assert sent.status == 200 and "Your reply was sent to the customer." in sent.text
    assert bodies(web, ticket)[-1] == "ANN-2207: I will call you & fix it"

    web.clock.advance(minutes=2)
    properties = form_values(sent, priority="urgent")
    helpdesk.tickets.update(cast.bill_actor, ticket.id, priority="low")
    overwrite = ann.post(agent_url(ticket.track_id, "update"), properties)
    assert overwrite.status == 409 and "Bill changed priority from Normal to Low" in overwrite.text
    assert '<option value="urgent" selected>' in overwrite.text
    assert current(web, ticket).priority is Priority.LOW

    web.clock.advance(minutes=2)
    helpdesk.messages.add_note(cast.bill_actor, ticket.id, "Refund approved by finance")
    note = {"note": "Customer is happy now", "seen": seen_of(overwrite)}
    late_note = ann.post(agent_url(ticket.track_id, "note"), note)
    assert late_note.status == 409 and "Bill added an internal note at" in late_note.text
    assert "Customer is happy now</textarea>" in late_note.text
    assert "Customer is happy now" not in bodies(web, ticket)


# ---------------------------------------------------------------- who may not


def test_customers_get_404_even_on_their_own_ticket(web: SimpleNamespace) -> None:
    ticket = open_ticket(web)
    carol = logged_in(web, web.cast.carol)
    assert carol.get(agent_url(ticket.track_id)).status == 404
    for action in ACTIONS:
        posted = carol.post(
            agent_url(ticket.track_id, action),
            {
                "body": "sneaky",
                "note": "sneaky",
                "leave_as": "closed",
                "status": "closed",
                "priority": "urgent",
                "seen": "2100-01-01T00:00:00+00:00",
            },
        )
        assert posted.status == 404, action
    after = current(web, ticket)
    assert after.status is Status.OPEN and after.priority is Priority.NORMAL
    assert bodies(web, ticket) == ["It smokes since this morning."]


def test_an_agent_of_another_team_gets_404(web: SimpleNamespace) -> None:
    ticket = open_ticket(web)  # the Support team's
    bill = logged_in(web, web.cast.bill)
    assert bill.get(agent_url(ticket.track_id)).status == 404
    assert bill.get(agent_url(ticket.track_id) + "?canned=1").status == 404
    form = {
        "body": "mine",
        "note": "mine",
        "leave_as": "closed",
        "status": "closed",
        "priority": "urgent",
        "assignee": str(web.cast.bill.id),
        "seen": "2100-01-01T00:00:00+00:00",
    }
    for action in ACTIONS:
        assert bill.post(agent_url(ticket.track_id, action), form).status == 404, action
    after = current(web, ticket)
    assert after.status is Status.OPEN and after.assignee is not None
    assert after.assignee.id == web.cast.ann.id
    assert after.priority is Priority.NORMAL and after.note_count == 0
    assert bodies(web, ticket) == ["It smokes since this morning."]
    assert bill.get(agent_url("AAA-BBB-2345")).status == 404  # no such ticket: the same answer


def test_visitors_are_sent_to_log_in(web: SimpleNamespace) -> None:
    ticket = open_ticket(web)
    visitor = web.client()
    page = visitor.get(agent_url(ticket.track_id), follow=False)
    assert page.status in (302, 303) and "/support/account/login" in (page.location or "")
    for action in ACTIONS:
        posted = visitor.post(
            agent_url(ticket.track_id, action),
            {"body": "anon", "note": "anon", "leave_as": "closed", "status": "closed"},
            follow=False,
        )
        assert posted.status in (302, 303), action
        assert "/support/account/login" in (posted.location or "")
    assert bodies(web, ticket) == ["It smokes since this morning."]
    assert current(web, ticket).status is Status.OPEN
