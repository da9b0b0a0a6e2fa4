"""Deflection: articles offered while a ticket is written, the "check these first" step that
works without JavaScript, and the count agents see on their dashboard."""

from __future__ import annotations

import re
from html import unescape
from types import SimpleNamespace
from typing import Any

import pytest

NEW = "/support/tickets/new"
ARTICLE = "/support/kb/printing/printer-offline"


def logged_in(web: SimpleNamespace, user: Any) -> Any:
    client = web.client()
    client.log_in_as(user.id)
    return client


@pytest.fixture
def printer(web: SimpleNamespace) -> Any:
    kb = web.helpdesk.kb
    kb.categories.create(web.cast.ann_actor, name="Printing")
    return kb.articles.create(
        web.cast.ann_actor,
        title="Printer offline",
        body="Turn the printer off and on again.",
        category="printing",
        status="published",
    )


def suggestion_links(html: str) -> list[str]:
    box = re.search(r'<section id="kb-suggestions".*?</section>', html, re.S)
    assert box is not None
    return [unescape(href) for href in re.findall(r'<a href="([^"]+)"', box.group(0))]


def test_without_javascript_the_first_post_offers_articles_then_sends(web, printer):
    carol = logged_in(web, web.cast.carol)
    form = carol.get(NEW)
    assert 'id="kb-suggestions"' in form.text and "data-kb-suggest=" in form.text
    assert 'aria-live="polite" hidden' in form.text

    first = carol.post(NEW, {"subject": "My printer is offline", "body": "Kept description"})
    assert first.status == 200
    assert "Check these articles first" in first.text
    assert "Still need help? Send your ticket" in first.text
    assert 'value="My printer is offline"' in first.text
    assert "Kept description</textarea>" in first.text
    assert '<input type="hidden" name="suggestions_seen" value="1">' in first.text
    links = suggestion_links(first.text)
    assert links == [f"{ARTICLE}?from=new-ticket&subject=My+printer+is+offline"]
    assert web.helpdesk.tickets.list(web.cast.carol_actor, scope="mine").total == 0

    sent = carol.post(
        NEW,
        {"subject": "My printer is offline", "body": "Kept description", "suggestions_seen": "1"},
    )
    assert sent.status == 200 and "has been created" in sent.text
    assert web.helpdesk.tickets.list(web.cast.carol_actor, scope="mine").total == 1


def test_a_subject_without_matching_articles_is_sent_at_once(web, printer):
    sent = logged_in(web, web.cast.carol).post(NEW, {"subject": "Invoice", "body": "Wrong"})
    assert sent.status == 200 and "has been created" in sent.text


def test_opening_a_suggestion_then_sending_the_ticket_is_a_conversion(web, printer):
    carol = logged_in(web, web.cast.carol)
    first = carol.post(NEW, {"subject": "printer offline", "body": "Help"})
    article = carol.get(suggestion_links(first.text)[0])
    assert article.status == 200 and "Turn the printer off" in article.text
    [opened] = web.helpdesk.kb.deflection.list(web.cast.ann_actor)
    assert (opened.article_id, opened.subject, opened.outcome) == (
        printer.id,
        "printer offline",
        "opened",
    )
    carol.post(NEW, {"subject": "printer offline", "body": "Help", "suggestions_seen": "1"})
    [decided] = web.helpdesk.kb.deflection.list(web.cast.ann_actor)
    assert decided.outcome == "converted" and decided.ticket_id is not None


def test_a_guest_who_reads_and_leaves_is_counted_on_the_dashboard(web, printer):
    visitor = web.client()
    assert visitor.get(f"{ARTICLE}?from=new-ticket&subject=printer").status == 200
    ann = logged_in(web, web.cast.ann)
    text = "Deflected by the knowledge base: %s today, %s in the last 7 days"
    assert text % (0, 0) in ann.get("/support/agent").text
    web.clock.advance(hours=2)  # no ticket within the hour: the article answered them
    assert text % (1, 1) in ann.get("/support/agent").text


def test_a_plain_visit_is_no_suggestion(web, printer):
    assert web.client().get(ARTICLE).status == 200
    assert web.helpdesk.kb.deflection.list(web.cast.ann_actor) == []


def test_a_guest_who_reads_a_suggestion_and_still_writes_is_a_conversion(web, printer):
    guest = web.client()
    assert guest.get(f"{ARTICLE}?from=new-ticket&subject=printer").status == 200
    sent = guest.post(
        NEW,
        {
            "display_name": "Gus",
            "email": "gus@example.org",
            "subject": "printer offline",
            "body": "Still offline",
            "suggestions_seen": "1",
        },
    )
    assert sent.status == 200 and "has been created" in sent.text
    [decided] = web.helpdesk.kb.deflection.list(web.cast.ann_actor)
    assert decided.outcome == "converted"


def test_a_ticket_with_files_is_sent_at_once_because_the_browser_cannot_keep_them(web, printer):
    sent = logged_in(web, web.cast.carol).post(
        NEW,
        {"subject": "My printer is offline", "body": "See the photo"},
        files=[("attachments", "printer.png", b"\x89PNG\r\n\x1a\n", "image/png")],
    )
    assert sent.status == 200 and "has been created" in sent.text
    [ticket] = web.helpdesk.tickets.list(web.cast.carol_actor, scope="mine").items
    assert ticket.subject == "My printer is offline"
