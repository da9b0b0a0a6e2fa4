"""Merging a ticket into another of the same requester: the thread, its files, CCs, task links
and secure data move in one transaction; the source closes and points at the target; both
audit trails say so; the customer side is sent nothing."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import func, select

from ticketcore import Actor, Helpdesk, InvalidInput, NotFound, PermissionDenied, Status
from ticketcore.models import OutboxMessage, Ticket


@pytest.fixture
def helpdesk(helpdesk_factory) -> Helpdesk:
    """The `cast` fixture fills the default helpdesk's database; this one shares it, with a key
    so secure data can be sent."""
    return helpdesk_factory(secure_data_key=Fernet.generate_key().decode())


def open_ticket(helpdesk, actor, subject, **fields):
    return helpdesk.tickets.create(actor, subject=subject, body=f"{subject}: body", **fields).ticket


def outbox_size(helpdesk) -> int:
    with helpdesk.sessionmaker() as session:
        return session.scalar(select(func.count()).select_from(OutboxMessage)) or 0


def audit_of(helpdesk, ticket_id, *actions):
    """The ticket's audit records of these actions; of "changed" ones, status changes only."""
    return [
        (e.action, e.field, e.old_value, e.new_value)
        for e in helpdesk.tickets.audit_trail(Actor.system(), ticket_id)
        if e.action in actions and (e.action != "changed" or e.field == "status")
    ]


@pytest.fixture
def pair(helpdesk, cast, clock):
    """Carol's two tickets about one printer, each with a reply, a note or a file of its own:
    `old` (answered by Ann) is merged into `new` in most tests."""
    old = open_ticket(
        helpdesk,
        cast.carol_actor,
        "Printer",
        attachments=[{"filename": "photo.png", "content": b"\x89PNG jam"}],
        cc=["dave@acme.example.com", "boss@acme.example.com"],
    )
    clock.advance(minutes=10)
    new = open_ticket(helpdesk, cast.carol_actor, "Printer again", cc=["dave@acme.example.com"])
    clock.advance(minutes=10)
    helpdesk.messages.reply(cast.ann_actor, old.id, body="Try turning it off and on")
    clock.advance(minutes=10)
    helpdesk.messages.add_note(cast.ann_actor, new.id, "Same printer as the other ticket")
    clock.advance(minutes=10)
    helpdesk.messages.reply(
        cast.carol_actor,
        new.id,
        body="Still jammed",
        attachments=[{"filename": "log.txt", "content": b"error 42"}],
    )
    clock.advance(minutes=10)
    return helpdesk.tickets.get(cast.ann_actor, old.id), helpdesk.tickets.get(
        cast.ann_actor, new.id
    )


def test_the_thread_moves_in_order_with_its_files(helpdesk, cast, clock, pair):
    old, new = pair
    before = outbox_size(helpdesk)
    merged = helpdesk.tickets.merge(cast.ann_actor, old.id, new.id)

    thread = helpdesk.messages.thread(cast.ann_actor, new.id)
    assert [(m.body, m.kind) for m in thread] == [
        ("Printer: body", "customer_reply"),
        ("Printer again: body", "customer_reply"),
        ("Try turning it off and on", "agent_reply"),
        ("Same printer as the other ticket", "internal_note"),
        ("Still jammed", "customer_reply"),
    ]
    assert {m.ticket_id for m in thread} == {new.id}
    assert helpdesk.messages.thread(cast.ann_actor, old.id) == []
    files = {a.filename: a for m in thread for a in m.attachments}
    assert set(files) == {"photo.png", "log.txt"}
    for actor in (cast.carol_actor, cast.ann_actor):
        attachment, content = helpdesk.attachments.get(actor, files["photo.png"].id)
        assert (attachment.filename, content) == ("photo.png", b"\x89PNG jam")
    # Customers still see the public thread only.
    assert [m.body for m in helpdesk.messages.thread(cast.carol_actor, new.id)] == [
        "Printer: body",
        "Printer again: body",
        "Try turning it off and on",
        "Still jammed",
    ]

    assert merged.id == new.id
    assert (merged.reply_count, merged.note_count) == (3, 1)  # four public messages, one note
    assert (merged.last_reply_at, merged.last_reply_by) == (new.last_reply_at, "customer")
    assert merged.first_response_at == old.first_response_at is not None
    assert merged.updated_at == clock.now()
    assert merged.cc == ["dave@acme.example.com", "boss@acme.example.com"]
    assert merged.merged_into_track_id is None
    assert outbox_size(helpdesk) == before  # nobody is told


def test_the_source_is_closed_and_points_at_the_target(helpdesk, cast, clock, pair):
    old, new = pair
    helpdesk.tickets.merge(cast.ann_actor, old.id, new.id)
    source = helpdesk.tickets.get(cast.ann_actor, old.id)
    assert source.status is Status.CLOSED
    assert source.closed_at == source.updated_at == clock.now()
    assert source.merged_into_track_id == new.track_id
    assert (source.reply_count, source.note_count, source.cc) == (0, 0, [])
    # The requester still finds the old ticket, and where its thread went.
    assert helpdesk.tickets.get(cast.carol_actor, old.id).merged_into_track_id == new.track_id


def test_both_audit_trails_record_the_merge(helpdesk, cast, pair):
    old, new = pair
    helpdesk.tickets.merge(cast.ann_actor, old.id, new.id)
    assert audit_of(helpdesk, old.id, "merged_into", "merged_from", "changed") == [
        ("changed", "status", "open", "closed"),
        ("merged_into", None, None, new.track_id),
    ]
    assert audit_of(helpdesk, new.id, "merged_into", "merged_from") == [
        ("merged_from", None, None, old.track_id)
    ]
    (event,) = [
        e for e in helpdesk.tickets.audit_trail(cast.ann_actor, new.id) if e.action == "merged_from"
    ]
    assert (event.actor_id, event.actor_kind) == (cast.ann.id, "agent")


def test_task_links_and_secure_data_move_without_duplicates(helpdesk, cast, pair):
    old, new = pair
    both = helpdesk.tasks.create(cast.ann_actor, title="Replace roller", ticket=old.id)
    helpdesk.tasks.link(cast.ann_actor, both.id, new.id)
    only_old = helpdesk.tasks.create(cast.ann_actor, title="Order toner", ticket=old.id)
    secret = helpdesk.secure_data.send(
        cast.carol_actor, old.id, label="Printer admin PIN", secret="4711"
    )

    helpdesk.tickets.merge(cast.ann_actor, old.id, new.id)

    assert [t.title for t in helpdesk.tasks.for_ticket(cast.ann_actor, new.id)] == [
        "Replace roller",
        "Order toner",
    ]
    assert helpdesk.tasks.for_ticket(cast.ann_actor, old.id) == []
    for task in (both, only_old):
        assert [t.id for t in helpdesk.tasks.get(cast.ann_actor, task.id).tickets] == [new.id]
    # Closing the source purged nothing: the secret had moved to the open target.
    (moved,) = helpdesk.secure_data.list(cast.ann_actor, new.id)
    assert (moved.id, moved.label, moved.available) == (secret.id, "Printer admin PIN", True)
    assert helpdesk.secure_data.reveal(cast.ann_actor, new.id, secret.id) == "4711"
    assert helpdesk.secure_data.list(cast.ann_actor, old.id) == []


def test_merging_into_a_closed_ticket_purges_the_secure_data_it_receives(helpdesk, cast, pair):
    old, new = pair
    secret = helpdesk.secure_data.send(cast.carol_actor, old.id, label="PIN", secret="4711")
    helpdesk.tickets.close(cast.ann_actor, new.id)
    helpdesk.tickets.merge(cast.ann_actor, old.id, new.id)
    (moved,) = helpdesk.secure_data.list(cast.ann_actor, new.id)
    assert (moved.id, moved.available) == (secret.id, False)


def test_an_already_closed_ticket_can_be_merged(helpdesk, cast, pair):
    old, new = pair
    helpdesk.tickets.close(cast.ann_actor, old.id)
    helpdesk.tickets.merge(cast.ann_actor, old.id, new.id)
    source = helpdesk.tickets.get(cast.ann_actor, old.id)
    assert (source.status, source.merged_into_track_id) == (Status.CLOSED, new.track_id)
    assert audit_of(helpdesk, old.id, "changed") == [("changed", "status", "open", "closed")]


def test_the_earliest_first_response_and_latest_reply_win(helpdesk, cast, clock):
    target = open_ticket(helpdesk, cast.carol_actor, "One")
    source = open_ticket(helpdesk, cast.carol_actor, "Two")
    clock.advance(minutes=5)
    helpdesk.messages.reply(cast.ann_actor, source.id, body="early answer")
    early = clock.now()
    clock.advance(minutes=5)
    helpdesk.messages.reply(cast.ann_actor, target.id, body="later answer")
    clock.advance(minutes=5)
    helpdesk.messages.reply(cast.carol_actor, source.id, body="thanks, but")
    last = clock.now()
    clock.advance(minutes=5)
    merged = helpdesk.tickets.merge(cast.ann_actor, source.id, target.id)
    assert merged.first_response_at == early
    assert (merged.last_reply_at, merged.last_reply_by) == (last, "customer")
    assert (merged.reply_count, merged.note_count) == (4, 0)


def test_tickets_of_different_requesters_are_not_merged(helpdesk, cast, pair):
    old, _ = pair
    dave = open_ticket(helpdesk, cast.dave_actor, "Printer (Dave)")
    with pytest.raises(InvalidInput) as info:
        helpdesk.tickets.merge(cast.ada_actor, old.id, dave.id)
    assert info.value.errors == {"into": ["only tickets of the same requester can be merged"]}
    assert helpdesk.tickets.get(cast.ada_actor, old.id).status is Status.OPEN
    assert len(helpdesk.messages.thread(cast.ada_actor, old.id)) == 2
    assert audit_of(helpdesk, old.id, "merged_into") == []


def test_a_ticket_is_not_merged_twice_nor_into_itself(helpdesk, cast, pair):
    old, new = pair
    with pytest.raises(InvalidInput) as info:
        helpdesk.tickets.merge(cast.ann_actor, new.id, new.id)
    assert "into" in info.value.errors
    third = open_ticket(helpdesk, cast.carol_actor, "Printer, third time")
    helpdesk.tickets.merge(cast.ann_actor, old.id, new.id)
    with pytest.raises(InvalidInput):
        helpdesk.tickets.merge(cast.ann_actor, old.id, third.id)  # the source went already
    with pytest.raises(InvalidInput) as info:
        helpdesk.tickets.merge(cast.ann_actor, third.id, old.id)  # the target went already
    assert "into" in info.value.errors


def test_customers_may_not_merge(helpdesk, cast, pair):
    old, new = pair
    with pytest.raises(PermissionDenied):
        helpdesk.tickets.merge(cast.carol_actor, old.id, new.id)
    erin = open_ticket(helpdesk, cast.erin_actor, "Globex printer")
    with pytest.raises(NotFound):  # a ticket Carol cannot see does not exist for her
        helpdesk.tickets.merge(cast.carol_actor, old.id, erin.id)
    with pytest.raises(NotFound):
        helpdesk.tickets.merge(Actor.anonymous(), old.id, new.id)
    assert helpdesk.tickets.get(cast.ann_actor, old.id).merged_into_track_id is None


def test_an_agent_cannot_merge_tickets_they_cannot_see(helpdesk, cast, pair):
    old, new = pair
    with pytest.raises(NotFound):
        helpdesk.tickets.merge(cast.bill_actor, old.id, new.id)
    billing = open_ticket(
        helpdesk, Actor.system(), "Printer invoice", requester=cast.carol.id, team="billing"
    )
    with pytest.raises(NotFound):
        helpdesk.tickets.merge(cast.bill_actor, billing.id, new.id)
    with pytest.raises(NotFound):
        helpdesk.tickets.merge(cast.bill_actor, new.id, billing.id)
    with pytest.raises(NotFound):
        helpdesk.tickets.merge(cast.ann_actor, old.id, 999_999)
    assert helpdesk.tickets.get(cast.ada_actor, billing.id).status is Status.OPEN
    # An admin sees both teams' tickets and may merge across them.
    merged = helpdesk.tickets.merge(cast.ada_actor, billing.id, new.id)
    assert "Printer invoice: body" in [
        m.body for m in helpdesk.messages.thread(cast.ada_actor, merged.id)
    ]


def test_an_email_reply_to_a_merged_ticket_lands_on_the_ticket_it_moved_into(
    helpdesk, cast
) -> None:
    source = helpdesk.tickets.create(cast.carol_actor, subject="Jammed", body="Paper jam").ticket
    target = helpdesk.tickets.create(cast.carol_actor, subject="Printer", body="Still").ticket
    helpdesk.tickets.merge(cast.ann_actor, source.id, target.id)
    with helpdesk.sessionmaker() as session:
        token = session.get(Ticket, source.id).reply_token
    raw = (
        "From: Carol <carol@acme.example.com>\r\n"
        f"To: support+{token}@example.com\r\n"
        "Subject: Re: Jammed\r\n"
        "Message-ID: <late-reply@acme.example.com>\r\n"
        "\r\n"
        "It jammed again this morning.\r\n"
    )
    helpdesk.mail.ingest(raw)
    bodies = [m.body for m in helpdesk.messages.thread(cast.system, target.id)]
    assert bodies[-1] == "It jammed again this morning."
    assert helpdesk.messages.thread(cast.system, source.id) == []
    assert helpdesk.tickets.get(cast.system, source.id).status is Status.CLOSED
