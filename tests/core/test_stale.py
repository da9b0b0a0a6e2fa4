"""No silent overwrite: a form sent after someone else acted on its ticket is refused, with
what happened, and nothing it carried is saved."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from ticketcore import (
    Actor,
    Conflict,
    InvalidInput,
    NotFound,
    PermissionDenied,
    Priority,
    StaleTicket,
    Status,
)


@pytest.fixture
def ticket(helpdesk, cast, clock):
    """Carol's ticket in Support (Ann's), opened at 09:00; the form is shown at 09:05."""
    made = helpdesk.tickets.create(cast.carol_actor, subject="Printer on fire", body="b").ticket
    clock.advance(minutes=5)
    return made


def test_a_reply_from_someone_else_makes_an_update_stale(helpdesk, cast, ticket, clock):
    shown = clock.now()
    clock.advance(minutes=2)
    helpdesk.messages.reply(cast.ada_actor, ticket.id, body="Unplug it", status="pending")
    clock.advance(minutes=1)
    with pytest.raises(StaleTicket) as info:
        helpdesk.tickets.update(
            cast.ann_actor, ticket.id, priority="urgent", status="resolved", unchanged_since=shown
        )
    assert info.value.changes == ["Ada replied at 09:07", "Ada changed status from Open to Pending"]
    assert isinstance(info.value, Conflict)
    unchanged = helpdesk.tickets.get(cast.ann_actor, ticket.id)
    assert (unchanged.priority, unchanged.status) == (Priority.NORMAL, Status.PENDING)
    # Seen now, the same change goes through.
    helpdesk.tickets.update(
        cast.ann_actor, ticket.id, priority="urgent", status="resolved", unchanged_since=clock.now()
    )
    assert helpdesk.tickets.get(cast.ann_actor, ticket.id).status is Status.RESOLVED


def test_the_actors_own_changes_and_earlier_ones_do_not_count(helpdesk, cast, ticket, clock):
    helpdesk.tickets.update(cast.ada_actor, ticket.id, priority="high")
    shown = clock.now()  # Ada's change happened at this very moment: the form shows it
    clock.advance(minutes=1)
    helpdesk.messages.reply(cast.ann_actor, ticket.id, body="Looking", unchanged_since=shown)
    helpdesk.messages.add_note(cast.ann_actor, ticket.id, "Toner?", unchanged_since=shown)
    updated = helpdesk.tickets.update(
        cast.ann_actor, ticket.id, status="in_progress", unchanged_since=shown
    )
    assert updated.status is Status.IN_PROGRESS
    assert helpdesk.tickets.changes_since(cast.ann_actor, ticket.id, shown) == []


def test_replies_and_notes_are_refused_too_and_not_saved(helpdesk, cast, ticket, clock):
    shown = clock.now()
    clock.advance(minutes=1)
    helpdesk.messages.add_note(cast.ada_actor, ticket.id, "Same as #12")
    with pytest.raises(StaleTicket) as info:
        helpdesk.messages.reply(cast.ann_actor, ticket.id, body="Fixed?", unchanged_since=shown)
    assert info.value.changes == ["Ada added an internal note at 09:06"]
    with pytest.raises(StaleTicket):
        helpdesk.messages.add_note(cast.ann_actor, ticket.id, "Mine", unchanged_since=shown)
    thread = helpdesk.messages.thread(cast.ann_actor, ticket.id)
    assert [m.body for m in thread] == ["b", "Same as #12"]
    assert helpdesk.tickets.get(cast.ann_actor, ticket.id).reply_count == 0


def test_customers_learn_of_replies_and_status_only(helpdesk, cast, ticket, clock):
    shown = clock.now()
    clock.advance(minutes=1)
    helpdesk.messages.add_note(cast.ann_actor, ticket.id, "Customer seems upset")
    helpdesk.tickets.update(cast.ann_actor, ticket.id, priority="high", assignee=cast.bill.id)
    # Nothing the customer can see happened: her reply goes through.
    helpdesk.messages.reply(cast.carol_actor, ticket.id, body="Any news?", unchanged_since=shown)
    shown = clock.now()
    clock.advance(minutes=1)
    helpdesk.messages.reply(cast.bill_actor, ticket.id, body="Tomorrow", status="pending")
    with pytest.raises(StaleTicket) as info:
        helpdesk.messages.reply(cast.carol_actor, ticket.id, body="Thanks!", unchanged_since=shown)
    assert info.value.changes == [
        "Bill replied at 09:07",
        "Bill changed status from Open to Pending",
    ]


def test_changes_since_names_each_change_in_the_readers_time_zone(helpdesk, cast, ticket, clock):
    zoe = helpdesk.users.create(
        Actor.system(),
        email="zoe@help.example.com",
        display_name="Zoe",
        role="admin",
        timezone="Europe/Berlin",
    )
    zoe_actor = helpdesk.users.actor_for(zoe)
    shown = clock.now()
    clock.advance(minutes=1)
    helpdesk.tickets.update(
        cast.ann_actor,
        ticket.id,
        subject="Printer smoking",
        team="billing",
        assignee="none",
        priority="high",
    )
    clock.advance(minutes=1)
    helpdesk.tickets.add_cc(cast.carol_actor, ticket.id, "dave@acme.example.com")
    clock.advance(minutes=1)
    helpdesk.messages.reply(cast.carol_actor, ticket.id, body="It smokes now")
    clock.advance(minutes=1)
    helpdesk.tickets.update(cast.ada_actor, ticket.id, assignee="bill@help.example.com")
    clock.advance(minutes=1)
    helpdesk.tickets.close(Actor.system(), ticket.id)

    assert helpdesk.tickets.changes_since(zoe_actor, ticket.id, shown) == [
        "Ann changed subject from Printer on fire to Printer smoking",
        "Ann changed priority from Normal to High",
        "Ann changed team from Support to Billing",
        "Ann unassigned the ticket",
        "Carol added dave@acme.example.com to CC",
        "Carol replied at 10:08",  # 09:08 UTC in Berlin
        "Ada assigned the ticket to bill@help.example.com",
        "The system changed status from Open to Closed",
    ]
    # Ada does not hear about her own change; a later moment shows less.
    assert "Ada assigned the ticket to bill@help.example.com" not in (
        helpdesk.tickets.changes_since(cast.ada_actor, ticket.id, shown)
    )
    assert helpdesk.tickets.changes_since(zoe_actor, ticket.id, clock.now()) == []


def test_changes_since_is_for_staff_who_see_the_ticket(helpdesk, cast, ticket, clock):
    since = clock.now() - timedelta(hours=1)
    with pytest.raises(PermissionDenied):
        helpdesk.tickets.changes_since(cast.carol_actor, ticket.id, since)
    with pytest.raises(NotFound):
        helpdesk.tickets.changes_since(cast.bill_actor, ticket.id, since)  # Support's ticket
    with pytest.raises(InvalidInput) as info:
        helpdesk.tickets.changes_since(cast.ann_actor, ticket.id, datetime(2026, 1, 5, 9, 0))
    assert "unchanged_since" in info.value.errors
    with pytest.raises(InvalidInput) as info:
        helpdesk.messages.reply(
            cast.ann_actor, ticket.id, body="x", unchanged_since="2026-01-05T09:00:00"
        )
    assert "unchanged_since" in info.value.errors
