"""Conversations staff start with a customer: general messages and document requests."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from ticketcore import Actor, InvalidInput, NotFound, PermissionDenied
from ticketcore.models import OutboxMessage, Ticket
from ticketcore.schemas import UploadedFile


def outbox(helpdesk, event):
    with helpdesk.engine.connect() as connection:
        return connection.scalars(
            select(OutboxMessage.recipient).where(OutboxMessage.event == event)
        ).all()


def ticket_count(helpdesk) -> int:
    with helpdesk.engine.connect() as connection:
        return connection.scalar(select(func.count()).select_from(Ticket))


def received_audits(helpdesk, ticket_id):
    return [
        (e.actor_id, e.new_value, e.created_at)
        for e in helpdesk.tickets.audit_trail(Actor.system(), ticket_id)
        if e.action == "document_received"
    ]


@pytest.fixture
def request_for_contract(helpdesk, cast):
    return helpdesk.conversations.start(
        cast.bill_actor,
        customer=cast.carol.id,
        subject="Your contract",
        body="Please send the signed contract.",
        type="document_request",
        awaited_document="Signed contract",
        team="billing",
    )


def test_start_a_general_conversation(helpdesk, cast, clock):
    ticket = helpdesk.conversations.start(
        cast.ann_actor,
        customer="Carol@Acme.example.com",
        subject="Your new plan",
        body="We moved you to the new plan.",
        attachments=[UploadedFile(filename="plan.pdf", content=b"%PDF")],
    )
    assert ticket.kind == "conversation"
    assert ticket.conversation_type == "general"
    assert (ticket.awaited_document, ticket.document_received_at) == (None, None)
    assert ticket.requester.id == cast.carol.id
    assert ticket.organization_name == "Acme"
    assert ticket.assignee.id == cast.ann.id  # whoever starts it carries it on
    assert ticket.team_name == "Support"  # the default team
    assert ticket.last_reply_by == "agent"
    (message,) = helpdesk.messages.thread(cast.ann_actor, ticket.id)
    assert message.author.id == cast.ann.id
    assert [a.filename for a in message.attachments] == ["plan.pdf"]
    created = [
        e for e in helpdesk.tickets.audit_trail(cast.ann_actor, ticket.id) if e.action == "created"
    ]
    assert [(e.actor_id, e.created_at) for e in created] == [(cast.ann.id, clock.now())]
    assert outbox(helpdesk, "ticket_created") == ["carol@acme.example.com"]
    assert outbox(helpdesk, "new_ticket") == []  # staff are not told about their own message


def test_start_a_document_request(helpdesk, cast, request_for_contract):
    ticket = request_for_contract
    assert ticket.conversation_type == "document_request"
    assert ticket.awaited_document == "Signed contract"
    assert ticket.document_received_at is None
    assert (ticket.team_name, ticket.assignee.id) == ("Billing", cast.bill.id)
    assert helpdesk.tickets.get(cast.carol_actor, ticket.id).awaited_document == "Signed contract"


def test_an_agent_may_start_one_for_another_team(helpdesk, cast):
    """Bill is not in Support; he carries the conversation on, so he still sees it."""
    ticket = helpdesk.conversations.start(
        cast.bill_actor, customer=cast.erin.id, subject="Hi", body="b", team="support"
    )
    assert (ticket.team_name, ticket.assignee.id) == ("Support", cast.bill.id)
    assert helpdesk.tickets.get(cast.bill_actor, ticket.id).id == ticket.id
    assert helpdesk.tickets.get(cast.ann_actor, ticket.id).id == ticket.id  # Support's agent
    with pytest.raises(NotFound):
        helpdesk.tickets.get(cast.carol_actor, ticket.id)  # another customer's


@pytest.mark.parametrize(
    ("fields", "bad"),
    [
        ({"type": "document_request"}, {"awaited_document"}),
        ({"type": "document_request", "awaited_document": "   "}, {"awaited_document"}),
        ({"type": "document_request", "awaited_document": "x" * 201}, {"awaited_document"}),
        ({"awaited_document": "Passport"}, {"awaited_document"}),  # general awaits nothing
        ({"type": "letter"}, {"type"}),
        ({"subject": "", "body": ""}, {"subject", "body"}),
        ({"customer": "ann@help.example.com"}, {"customer"}),  # staff are not customers
        ({"customer": "nobody@example.com"}, {"customer"}),
        ({"customer": 9999}, {"customer"}),
        ({"team": "nowhere"}, {"team"}),
        ({"attachments": [UploadedFile(filename="run.exe", content=b"MZ")]}, {"attachments"}),
        ({"priority": "high"}, {"priority"}),  # not a field of a conversation
    ],
)
def test_invalid_input_names_the_field_and_writes_nothing(helpdesk, cast, fields, bad):
    values = {"customer": cast.carol.id, "subject": "s", "body": "b", **fields}
    with pytest.raises(InvalidInput) as info:
        helpdesk.conversations.start(cast.ann_actor, values)
    assert set(info.value.errors) == bad
    assert ticket_count(helpdesk) == 0


def test_deactivated_customer_is_refused(helpdesk, cast):
    helpdesk.users.deactivate(Actor.system(), cast.frank.id)
    with pytest.raises(InvalidInput) as info:
        helpdesk.conversations.start(cast.ann_actor, customer=cast.frank.id, subject="s", body="b")
    assert set(info.value.errors) == {"customer"}


def test_customers_cannot_start_one(helpdesk, cast):
    with pytest.raises(PermissionDenied):
        helpdesk.conversations.start(cast.carol_actor, customer=cast.dave.id, subject="s", body="b")
    with pytest.raises(InvalidInput) as info:  # nor through the ticket API
        helpdesk.tickets.create(
            cast.carol_actor,
            subject="s",
            body="b",
            conversation_type="document_request",
            awaited_document="Passport",
        )
    assert set(info.value.errors) == {"conversation_type", "awaited_document"}
    assert ticket_count(helpdesk) == 0


def test_ticket_api_keeps_conversation_fields_to_conversations(helpdesk, cast):
    with pytest.raises(InvalidInput) as info:
        helpdesk.tickets.create(
            cast.ann_actor,
            requester=cast.carol.id,
            subject="s",
            body="b",
            conversation_type="general",
        )
    assert set(info.value.errors) == {"conversation_type"}
    started = helpdesk.tickets.create(
        cast.ann_actor, requester=cast.carol.id, subject="s", body="b", kind="conversation"
    ).ticket
    assert started.conversation_type == "general"
    plain = helpdesk.tickets.create(cast.carol_actor, subject="s", body="b").ticket
    assert plain.conversation_type is None


def test_customer_sees_it_in_their_list_and_replies(helpdesk, cast, request_for_contract):
    ticket = request_for_contract
    listed = helpdesk.tickets.list(cast.carol_actor)
    assert [(t.id, t.kind, t.conversation_type) for t in listed.items] == [
        (ticket.id, "conversation", "document_request")
    ]
    helpdesk.messages.reply(cast.carol_actor, ticket.id, body="I will send it tomorrow.")
    thread = helpdesk.messages.thread(cast.carol_actor, ticket.id)
    assert [m.kind for m in thread] == ["agent_reply", "customer_reply"]
    assert helpdesk.tickets.get(cast.bill_actor, ticket.id).document_received_at is None
    assert received_audits(helpdesk, ticket.id) == []


def test_customer_reply_with_files_marks_the_document_received_once(
    helpdesk, cast, clock, request_for_contract
):
    ticket = request_for_contract
    clock.advance(hours=2)
    received_at = clock.now()
    helpdesk.messages.reply(
        cast.carol_actor,
        ticket.id,
        body="Here it is.",
        attachments=[
            UploadedFile(filename="contract.pdf", content=b"%PDF"),
            UploadedFile(filename="annex.pdf", content=b"%PDF"),
        ],
    )
    assert helpdesk.tickets.get(cast.bill_actor, ticket.id).document_received_at == received_at
    clock.advance(hours=1)
    helpdesk.messages.reply(
        cast.carol_actor,
        ticket.id,
        body="And the other page.",
        attachments=[UploadedFile(filename="page2.pdf", content=b"%PDF")],
    )
    assert helpdesk.tickets.get(cast.carol_actor, ticket.id).document_received_at == received_at
    assert received_audits(helpdesk, ticket.id) == [
        (cast.carol.id, "contract.pdf, annex.pdf", received_at)
    ]


def test_staff_files_and_general_conversations_receive_nothing(
    helpdesk, cast, request_for_contract
):
    file = UploadedFile(filename="copy.pdf", content=b"%PDF")
    helpdesk.messages.reply(
        cast.bill_actor, request_for_contract.id, body="Template", attachments=[file]
    )
    assert (
        helpdesk.tickets.get(cast.bill_actor, request_for_contract.id).document_received_at is None
    )
    general = helpdesk.conversations.start(
        cast.ann_actor, customer=cast.carol.id, subject="s", body="b"
    )
    helpdesk.messages.reply(cast.carol_actor, general.id, body="Have a file", attachments=[file])
    assert helpdesk.tickets.get(cast.ann_actor, general.id).document_received_at is None
    assert received_audits(helpdesk, request_for_contract.id) == []
    assert received_audits(helpdesk, general.id) == []
