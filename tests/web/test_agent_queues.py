"""The agent dashboard, the queues (views, filters, search, sort, pages, bulk changes, saved
views) and Message Client, as agents use them; and the same pages shut to customers."""

from __future__ import annotations

import re
from types import SimpleNamespace
from typing import Any

import pytest

from engine_events import statements_sent, transactions_begun
from ticketcore.workflow import Status

AGENT = "/support/agent"
QUEUE = f"{AGENT}/queue"
PDF = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"
ROW = re.compile(r'<a href="/support/agent/tickets/([A-Z0-9-]+)">#\d+</a>')


def rows(page: Any) -> list[str]:
    assert page.status == 200, page.text[-2000:]
    return ROW.findall(page.text)


def logged_in(web: SimpleNamespace, user: Any) -> Any:
    client = web.client()
    client.log_in_as(user.id)
    return client


def open_ticket(web: SimpleNamespace, who: str, subject: str, **fields: Any) -> Any:
    fields.setdefault("body", f"About {subject.lower()}.")
    actor = getattr(web.cast, f"{who}_actor")
    return web.helpdesk.tickets.create(actor, subject=subject, **fields).ticket


def status_of(web: SimpleNamespace, ticket: Any) -> Status:
    return web.helpdesk.tickets.get(web.cast.system, ticket.id).status  # type: ignore[no-any-return]


# ---------------------------------------------------------------- who may enter


def test_customers_get_404_on_every_agent_page(web: SimpleNamespace) -> None:
    ticket = open_ticket(web, "carol", "Mine")
    carol = logged_in(web, web.cast.carol)
    for url in (AGENT, QUEUE, f"{QUEUE}?view=all", f"{AGENT}/message"):
        page = carol.get(url)
        assert page.status == 404 and "Page not found" in page.text
    for url, data in (
        (f"{QUEUE}/bulk", {"ticket": str(ticket.id), "action": "close"}),
        (f"{AGENT}/views", {"name": "Sneaky", "view": "all"}),
        (f"{AGENT}/message", {"customer": "dave@acme.example.com", "subject": "x", "body": "y"}),
    ):
        assert carol.post(url, data).status == 404
    assert status_of(web, ticket) is Status.OPEN
    assert web.helpdesk.tickets.list(web.cast.system, requester=web.cast.dave.id).total == 0
    # A form's address opened in the address bar tells a customer nothing either.
    assert carol.get(f"{QUEUE}/bulk").status == 404
    assert logged_in(web, web.cast.ann).get(f"{QUEUE}/bulk").status == 405


def test_visitors_are_sent_to_log_in(web: SimpleNamespace) -> None:
    page = web.client().get(QUEUE + "?view=teams", follow=False)
    assert page.status == 303
    location = dict(page.headers)["Location"]
    assert "/support/account/login" in location and "next=%2Fsupport%2Fagent%2Fqueue" in location


# ---------------------------------------------------------------- dashboard


def test_a_new_ticket_waits_in_the_pending_widget(web: SimpleNamespace) -> None:
    ticket = open_ticket(web, "carol", "Printer on fire")
    answered = open_ticket(web, "dave", "Already answered")
    web.clock.advance(minutes=30)
    web.helpdesk.messages.reply(web.cast.ann_actor, answered.id, body="Done.", status="pending")
    page = logged_in(web, web.cast.ann).get(AGENT)
    assert page.status == 200
    pending = page.text.split('id="widget-pending"')[1].split("</section>")[0]
    assert f"/support/agent/tickets/{ticket.track_id}" in pending
    assert answered.track_id not in pending
    assert ">1</a>" in pending  # the count links to the queue
    assert "created today" in page.text and "resolved today" in page.text
    assert "30 min" in page.text  # the average first response this week


def test_an_agent_of_another_team_sees_none_of_it(web: SimpleNamespace) -> None:
    ticket = open_ticket(web, "carol", "Support matter")
    bill = logged_in(web, web.cast.bill)
    assert ticket.track_id not in bill.get(AGENT).text
    for view in ("mine", "unassigned", "teams", "sla", "waiting", "closed", "conversations"):
        assert ticket.track_id not in rows(bill.get(f"{QUEUE}?view={view}"))
    assert rows(bill.get(f"{QUEUE}?view=teams&q=support")) == []
    assert "view=all" not in bill.get(QUEUE).text  # "All" is for admins


# ---------------------------------------------------------------- queues


def test_views_mine_unassigned_teams_and_all(web: SimpleNamespace) -> None:
    cast = web.cast
    mine = open_ticket(web, "carol", "Assigned to Ann")
    web.helpdesk.tickets.update(cast.system, mine.id, assignee=cast.ann.id)
    loose = open_ticket(web, "dave", "Nobody has it")
    web.helpdesk.tickets.update(cast.system, loose.id, assignee="none")
    elsewhere = open_ticket(web, "erin", "Billing question", team="billing")
    ann = logged_in(web, cast.ann)
    assert rows(ann.get(QUEUE)) == [mine.track_id]
    assert rows(ann.get(f"{QUEUE}?view=unassigned")) == [loose.track_id]
    assert set(rows(ann.get(f"{QUEUE}?view=teams"))) == {mine.track_id, loose.track_id}
    assert rows(ann.get(f"{QUEUE}?view=all")) == rows(ann.get(QUEUE))  # not an admin: ignored
    ada = logged_in(web, cast.ada)
    assert set(rows(ada.get(f"{QUEUE}?view=all"))) == {
        mine.track_id,
        loose.track_id,
        elsewhere.track_id,
    }


def test_filters_search_in_messages_and_sort(web: SimpleNamespace) -> None:
    cast = web.cast
    low = open_ticket(web, "carol", "Low one", priority="low")
    web.clock.advance(minutes=1)
    urgent = open_ticket(web, "dave", "Urgent one", priority="urgent")
    web.helpdesk.messages.reply(cast.carol_actor, low.id, body="The serial is ZX-4411.")
    ann = logged_in(web, cast.ann)
    base = f"{QUEUE}?view=teams"
    assert rows(ann.get(f"{base}&priority=urgent")) == [urgent.track_id]
    assert rows(ann.get(f"{base}&q=zx-4411")) == [low.track_id]  # found in a message body
    assert rows(ann.get(f"{base}&requester=dave@acme.example.com")) == [urgent.track_id]
    assert rows(ann.get(f"{base}&organization={cast.acme.id}&sort=priority")) == [
        urgent.track_id,
        low.track_id,
    ]
    assert rows(ann.get(f"{base}&sort=created&order=asc")) == [low.track_id, urgent.track_id]
    kept = ann.get(f"{base}&priority=urgent&q=one")
    assert '<option value="urgent" selected>' in kept.text and 'value="one"' in kept.text
    # Nonsense in a shared link is dropped, never an error page.
    assert ann.get(f"{base}&priority=extreme&from=yesterday&team=x&sort=rand").status == 200


def test_pagination_keeps_the_filters(web: SimpleNamespace) -> None:
    for n in range(27):
        open_ticket(web, "carol", f"Ticket {n:02}")
    ann = logged_in(web, web.cast.ann)
    first = ann.get(f"{QUEUE}?view=teams&q=ticket")
    assert len(rows(first)) == 25 and "Page 1 of 2" in first.text
    assert 'href="/support/agent/queue?view=teams&amp;q=ticket&amp;page=2"' in first.text
    assert len(rows(ann.get(f"{QUEUE}?view=teams&q=ticket&page=2"))) == 2


def test_a_queue_page_costs_the_same_sql_whatever_its_size(web: SimpleNamespace) -> None:
    ann = logged_in(web, web.cast.ann)
    open_ticket(web, "carol", "First")
    ann.get(QUEUE + "?view=teams")  # warm up: settings, templates
    with statements_sent(web.helpdesk) as small:
        assert len(rows(ann.get(QUEUE + "?view=teams"))) == 1
    for n in range(24):
        open_ticket(web, "dave" if n % 2 else "erin", f"More {n}", team="support")
    with statements_sent(web.helpdesk) as large:
        assert len(rows(ann.get(QUEUE + "?view=teams"))) == 25
    assert len(large) == len(small)


def test_a_page_reads_in_one_transaction_and_a_change_then_reads_afresh(
    web: SimpleNamespace,
) -> None:
    ann = logged_in(web, web.cast.ann)
    ticket = open_ticket(web, "carol", "First", team="support")
    with transactions_begun(web.helpdesk) as begun:
        assert len(rows(ann.get(QUEUE + "?view=teams"))) == 1
        assert len(begun) == 1  # who asks, the settings, the list and the filters: one read
        begun.clear()
        form = {"ticket": str(ticket.id), "action": "status", "status": "pending"}
        page = ann.post(f"{QUEUE}/bulk", {**form, "next": QUEUE + "?view=teams"}, follow=False)
        assert page.status == 303
        assert len(begun) == 2  # the read before the change ends for the change to begin
    assert status_of(web, ticket) is Status.PENDING
    assert rows(ann.get(QUEUE + "?view=teams")) == []  # waiting on the customer: not active work


# ---------------------------------------------------------------- bulk changes


def test_bulk_assign_and_close(web: SimpleNamespace) -> None:
    cast = web.cast
    first = open_ticket(web, "carol", "First")
    second = open_ticket(web, "dave", "Second")
    untouched = open_ticket(web, "carol", "Third")
    ann = logged_in(web, cast.ann)
    here = f"{QUEUE}?view=teams"
    page = ann.post(
        f"{QUEUE}/bulk",
        {
            "ticket": [str(first.id), str(second.id)],
            "action": "assign",
            "assign": str(cast.ada.id),
            "next": here,
        },
    )
    assert "2 tickets changed." in page.text
    system = cast.system
    assert web.helpdesk.tickets.get(system, first.id).assignee.id == cast.ada.id
    assert web.helpdesk.tickets.get(system, second.id).assignee.id == cast.ada.id
    ann.post(f"{QUEUE}/bulk", {"ticket": [str(first.id)], "action": "close", "next": here})
    assert status_of(web, first) is Status.CLOSED
    assert status_of(web, untouched) is Status.OPEN


def test_bulk_is_all_or_nothing(web: SimpleNamespace) -> None:
    cast = web.cast
    ok = open_ticket(web, "carol", "Can move")
    closed = open_ticket(web, "dave", "Closed already")
    web.helpdesk.tickets.close(cast.system, closed.id)
    ann = logged_in(web, cast.ann)
    page = ann.post(
        f"{QUEUE}/bulk",
        {"ticket": [str(ok.id), str(closed.id)], "action": "status", "status": "in_progress"},
    )
    assert "Nothing was changed" in page.text and closed.track_id in page.text
    assert status_of(web, ok) is Status.OPEN
    assert "Select at least one ticket." in ann.post(f"{QUEUE}/bulk", {"action": "close"}).text


def test_bulk_cannot_reach_another_teams_ticket(web: SimpleNamespace) -> None:
    theirs = open_ticket(web, "carol", "Support only")
    bill = logged_in(web, web.cast.bill)
    page = bill.post(f"{QUEUE}/bulk", {"ticket": [str(theirs.id)], "action": "close"})
    assert page.status == 404
    assert status_of(web, theirs) is Status.OPEN


# ---------------------------------------------------------------- saved views


def test_saved_views_belong_to_their_agent(web: SimpleNamespace) -> None:
    cast = web.cast
    urgent = open_ticket(web, "carol", "Urgent", priority="urgent")
    open_ticket(web, "dave", "Normal")
    ann = logged_in(web, cast.ann)
    page = ann.post(
        f"{AGENT}/views",
        {"name": "Hot ones", "view": "teams", "priority": "urgent", "sort": "due"},
    )
    assert "View “Hot ones” saved." in page.text
    assert rows(page) == [urgent.track_id]
    listed = ann.get(QUEUE)
    link = re.search(r'<a href="([^"]+)">Hot ones</a>', listed.text)
    assert link is not None
    assert rows(ann.get(link.group(1).replace("&amp;", "&"))) == [urgent.track_id]
    assert "Hot ones" not in logged_in(web, cast.bill).get(QUEUE).text
    view_id = web.helpdesk.saved_views.list(cast.ann_actor)[0].id
    assert logged_in(web, cast.bill).post(f"{AGENT}/views/{view_id}/delete").status == 404
    assert "View deleted." in ann.post(f"{AGENT}/views/{view_id}/delete").text
    assert "Hot ones" not in ann.get(QUEUE).text


# ---------------------------------------------------------------- Message Client


def test_a_document_request_reaches_the_customer(web: SimpleNamespace) -> None:
    ann = logged_in(web, web.cast.ann)
    form = ann.get(f"{AGENT}/message")
    for label in ("Customer email", "General message", "Document request", "Document requested"):
        assert f">{label}" in form.text
    page = ann.post(
        f"{AGENT}/message",
        {
            "customer": "carol@acme.example.com",
            "type": "document_request",
            "awaited_document": "Signed contract (PDF)",
            "subject": "Your contract",
            "body": "Please send the signed contract.",
        },
    )
    assert "Document request sent to the customer." in page.text
    started = web.helpdesk.tickets.list(web.cast.system, requester=web.cast.carol.id).items[0]
    assert started.kind.value == "conversation"
    assert started.conversation_type == "document_request"
    assert started.track_id in rows(ann.get(f"{QUEUE}?view=conversations"))
    carol = logged_in(web, web.cast.carol)
    listed = carol.get("/support/tickets").text
    assert "Your contract" in listed and "Document requested: Signed contract (PDF)" in listed
    assert "Signed contract (PDF)" in carol.get(f"/support/tickets/{started.track_id}").text
    carol.post(
        f"/support/tickets/{started.track_id}/reply",
        {"body": "Here it is."},
        files=[("attachments", "contract.pdf", PDF, "application/pdf")],
    )
    page = carol.get(f"/support/tickets/{started.track_id}").text
    assert "Document received on" in page
    assert "Document requested" not in carol.get("/support/tickets").text


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"customer": "nobody@example.com"}, "customer", "unknown user"),
        ({"customer": "bill@help.example.com"}, "customer", "is staff"),
        ({"type": "document_request"}, "awaited_document", "Say which document"),
    ],
)
def test_message_client_keeps_what_was_typed(
    web: SimpleNamespace, fields: dict[str, str], field: str, message: str
) -> None:
    data = {
        "customer": "carol@acme.example.com",
        "type": "general",
        "subject": "Hello there",
        "body": "A long message I do not want to type again.",
        **fields,
    }
    page = logged_in(web, web.cast.ann).post(f"{AGENT}/message", data)
    assert page.status == 400
    error = re.search(rf'<p class="tc-error" id="{field}-error">([^<]*)</p>', page.text)
    assert error is not None and message in error.group(1)
    assert "A long message I do not want to type again.</textarea>" in page.text
    assert 'value="Hello there"' in page.text
