"""Rating a resolved ticket: once, by the requester, and the email that asks for it."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from ticketcore import Conflict, InvalidInput, NotFound, PermissionDenied, hookimpl
from ticketcore.models import OutboxMessage
from ticketcore.testing import temporary_plugin


@pytest.fixture
def ticket(helpdesk, cast):
    return helpdesk.tickets.create(cast.carol_actor, subject="Printer", body="jams").ticket


def outbox(helpdesk, event):
    with helpdesk.engine.connect() as connection:
        return connection.execute(
            select(OutboxMessage.recipient, OutboxMessage.body_text).where(
                OutboxMessage.event == event
            )
        ).all()


def test_requester_rates_a_resolved_ticket_once(helpdesk, cast, ticket):
    received = []

    class Survey:
        @hookimpl
        def after_feedback_received(self, helpdesk, ticket, feedback, actor):
            received.append((ticket.subject, feedback.rating, feedback.comment))

    helpdesk.tickets.close(cast.ann_actor, ticket.id, resolved=True)
    with temporary_plugin(helpdesk, Survey()):
        rated = helpdesk.tickets.rate(cast.carol_actor, ticket.id, rating="Good", comment="Quick")
    assert (rated.rating, rated.comment) == (4, "Quick")
    assert received == [("Printer", 4, "Quick")]
    assert helpdesk.tickets.feedback(cast.ann_actor, ticket.id).rating == 4
    with pytest.raises(Conflict, match="rated already"):
        helpdesk.tickets.rate(cast.carol_actor, ticket.id, rating=5)
    assert helpdesk.tickets.feedback(cast.carol_actor, ticket.id).rating == 4
    trail = helpdesk.tickets.audit_trail(cast.ada_actor, ticket.id)
    assert (trail[-1].action, trail[-1].new_value) == ("rated", "4")


def test_rating_needs_a_finished_ticket_and_a_valid_score(helpdesk, cast, ticket):
    with pytest.raises(InvalidInput, match="once it is resolved"):
        helpdesk.tickets.rate(cast.carol_actor, ticket.id, rating=5)
    helpdesk.tickets.close(cast.carol_actor, ticket.id)
    for bad in (0, 6, "superb", None):
        with pytest.raises(InvalidInput) as info:
            helpdesk.tickets.rate(cast.carol_actor, ticket.id, rating=bad)
        assert "rating" in info.value.errors
    assert helpdesk.tickets.feedback(cast.carol_actor, ticket.id) is None


def test_only_the_requester_rates(helpdesk_factory, cast):
    helpdesk = helpdesk_factory(organization_visibility="view_and_reply")
    ticket = helpdesk.tickets.create(cast.carol_actor, subject="s", body="b").ticket
    helpdesk.tickets.close(cast.carol_actor, ticket.id, resolved=True)
    with pytest.raises(PermissionDenied):
        helpdesk.tickets.rate(cast.dave_actor, ticket.id, rating=1)  # a colleague
    with pytest.raises(NotFound):
        helpdesk.tickets.rate(cast.erin_actor, ticket.id, rating=1)  # a stranger


def test_resolving_asks_the_customer_for_feedback(helpdesk, cast, ticket):
    helpdesk.tickets.update(cast.ann_actor, ticket.id, status="resolved")
    mails = outbox(helpdesk, "feedback_request")
    assert [recipient for recipient, _ in mails] == [cast.carol.email]
    assert "has been resolved" in mails[0][1] and "How did we do?" in mails[0][1]
    assert outbox(helpdesk, "status_changed") == []  # one email, not two


def test_a_resolving_reply_also_asks_for_feedback(helpdesk, cast, ticket):
    helpdesk.messages.reply(cast.ann_actor, ticket.id, body="Fixed it", status="resolved")
    assert [r for r, _ in outbox(helpdesk, "feedback_request")] == [cast.carol.email]
