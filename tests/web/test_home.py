"""The portal home: what a visitor and a customer find on the first page."""

from __future__ import annotations

import re
from types import SimpleNamespace

from ticketcore import Actor

HOME = "/support/"
SYSTEM = Actor.system()


def test_a_visitor_sees_how_to_get_help_and_when_the_desk_answers(web: SimpleNamespace) -> None:
    web.helpdesk.sla.create_policy(
        SYSTEM, name="Standard", first_response_minutes=240, is_default=True
    )
    page = web.client().get(HOME)
    assert page.status == 200
    assert "How can we help?" in page.text
    assert ">New ticket<" in page.text and "Log in to see your tickets" in page.text
    hours = re.search(r'<p class="tc-muted tc-hours">\s*(.*?)\s*</p>', page.text, re.S)
    assert hours is not None
    assert re.match(r"\S.*typically respond.* within 4 hours\. \S", hours.group(1))


def test_a_customer_sees_their_counts_and_recent_tickets_only(web: SimpleNamespace) -> None:
    tickets = web.helpdesk.tickets
    mine = tickets.create(web.cast.carol_actor, subject="Carol's printer", body="Jammed.").ticket
    waiting = tickets.create(web.cast.carol_actor, subject="Carol's invoice", body="Wrong.").ticket
    web.helpdesk.messages.reply(
        web.cast.ann_actor, waiting.id, body="Which invoice number?", status="pending"
    )
    tickets.create(web.cast.erin_actor, subject="Erin's secret plans", body="Hidden.")
    client = web.client()
    client.log_in_as(web.cast.carol.id)

    page = client.get(HOME)
    assert "Hello, Carol" in page.text
    assert re.search(r"<strong>1</strong>Active</a>", page.text)
    assert re.search(r"<strong>1</strong>Waiting on you</a>", page.text)
    assert mine.track_id in page.text and waiting.track_id in page.text
    assert "Erin&#39;s secret plans" not in page.text and "Erin's secret plans" not in page.text
