"""Bulk changes from a queue: one transaction, every ticket or none, each change audited."""

from __future__ import annotations

import pytest

from ticketcore import InvalidInput, NotFound, PermissionDenied, Priority, Status, hookimpl
from ticketcore.testing import temporary_plugin


@pytest.fixture
def tickets(helpdesk, cast, clock):
    """Three Support tickets (Ann's) and one Billing ticket (Bill's)."""
    made = []
    for who, subject, team in [
        ("carol", "Printer", "support"),
        ("dave", "VPN", "support"),
        ("erin", "Email", "support"),
        ("frank", "Invoice", "billing"),
    ]:
        clock.advance(minutes=1)
        actor = getattr(cast, f"{who}_actor")
        made.append(helpdesk.tickets.create(actor, subject=subject, body="b", team=team).ticket)
    clock.advance(minutes=1)
    return made


def state(helpdesk, cast, ticket):
    out = helpdesk.tickets.get(cast.ada_actor, ticket.id)
    assignee = out.assignee.display_name if out.assignee else None
    return out.status, out.priority, out.team_name, assignee


class Events:
    def __init__(self):
        self.seen = []

    @hookimpl
    def after_status_changed(self, helpdesk, ticket, old_status, new_status, actor):
        self.seen.append(("status", ticket.subject, new_status))

    @hookimpl
    def after_ticket_assigned(self, helpdesk, ticket, assignee_id, actor):
        self.seen.append(("assigned", ticket.subject, assignee_id))


def test_one_change_to_many_tickets(helpdesk, cast, tickets, clock):
    printer, vpn, email, _ = tickets
    ids = [printer.id, vpn.id, email.id]
    with temporary_plugin(helpdesk, Events()) as events:
        changed = helpdesk.tickets.bulk_update(
            cast.ann_actor,
            ids,
            status="in_progress",
            priority="high",
            team="billing",
            assignee="bill@help.example.com",
        )
    assert changed == 3
    for ticket in (printer, vpn, email):
        assert state(helpdesk, cast, ticket) == (
            Status.IN_PROGRESS,
            Priority.HIGH,
            "Billing",
            "Bill",
        )
        trail = {
            (e.field, e.old_value, e.new_value)
            for e in helpdesk.tickets.audit_trail(cast.ada_actor, ticket.id)
            if e.created_at == clock.now()
        }
        assert trail == {
            ("status", "open", "in_progress"),
            ("priority", "Normal", "High"),
            ("team", "Support", "Billing"),
            ("assignee", "ann@help.example.com", "bill@help.example.com"),
        }
    assert len(events.seen) == 6  # one status and one assignment event per ticket
    assert {e for e in events.seen if e[0] == "status"} == {
        ("status", t.subject, "in_progress") for t in (printer, vpn, email)
    }
    assert {e for e in events.seen if e[0] == "assigned"} == {
        ("assigned", t.subject, cast.bill.id) for t in (printer, vpn, email)
    }


def test_close_and_unchanged_tickets_are_not_counted(helpdesk, cast, tickets):
    printer, vpn, email, _ = tickets
    helpdesk.tickets.close(cast.ann_actor, printer.id)
    helpdesk.tickets.update(cast.ann_actor, vpn.id, priority="urgent")
    ids = [printer.id, vpn.id, email.id, vpn.id]  # a ticket named twice counts once
    assert helpdesk.tickets.bulk_update(cast.ann_actor, ids, close=True) == 2
    assert {state(helpdesk, cast, t)[0] for t in (printer, vpn, email)} == {Status.CLOSED}
    assert helpdesk.tickets.bulk_update(cast.ann_actor, ids, priority="urgent") == 2
    assert helpdesk.tickets.bulk_update(cast.ann_actor, ids, priority="urgent") == 0
    assert helpdesk.tickets.bulk_update(cast.ann_actor, [], priority="low") == 0


def test_unassign_many(helpdesk, cast, tickets):
    printer, vpn, _, _ = tickets
    assert helpdesk.tickets.bulk_update(cast.ann_actor, [printer.id, vpn.id], assignee="none") == 2
    assert state(helpdesk, cast, printer)[3] is None and state(helpdesk, cast, vpn)[3] is None


def test_an_impossible_status_on_one_ticket_changes_none(helpdesk, cast, tickets):
    printer, vpn, email, _ = tickets
    helpdesk.tickets.close(cast.ann_actor, vpn.id)
    before = [state(helpdesk, cast, t) for t in tickets]
    with pytest.raises(InvalidInput) as info:
        helpdesk.tickets.bulk_update(
            cast.ann_actor, [printer.id, vpn.id, email.id], status="pending", priority="low"
        )
    assert info.value.errors == {
        "status": [f"{vpn.track_id}: A ticket cannot go from Closed to Pending. Reopen it first."]
    }
    assert [state(helpdesk, cast, t) for t in tickets] == before


def test_bad_values_are_invalid_input_naming_the_field(helpdesk, cast, tickets):
    ids = [t.id for t in tickets[:2]]
    with pytest.raises(InvalidInput) as info:
        helpdesk.tickets.bulk_update(
            cast.ann_actor, ids, team="nowhere", assignee="carol@acme.example.com"
        )
    assert set(info.value.errors) == {"team", "assignee"}
    with pytest.raises(InvalidInput) as info:
        helpdesk.tickets.bulk_update(cast.ann_actor, ids, close=True, status="pending")
    assert set(info.value.errors) == {"status"}
    with pytest.raises(InvalidInput) as info:
        helpdesk.tickets.bulk_update(cast.ann_actor, ids, subject="All the same")
    assert set(info.value.errors) == {"subject"}  # one ticket at a time


def test_a_ticket_out_of_sight_is_not_found_and_nothing_changes(helpdesk, cast, tickets):
    printer, _, _, invoice = tickets
    for ids in ([printer.id, invoice.id], [printer.id, 999_999]):
        with pytest.raises(NotFound) as info:
            helpdesk.tickets.bulk_update(cast.ann_actor, ids, priority="urgent")
        assert str(invoice.id) not in str(info.value) and "999999" not in str(info.value)
    assert state(helpdesk, cast, printer)[1] is Priority.NORMAL


def test_customers_may_not_change_tickets_in_bulk(helpdesk, cast, tickets):
    printer = tickets[0]
    with pytest.raises(PermissionDenied):
        helpdesk.tickets.bulk_update(cast.carol_actor, [printer.id], close=True)
    assert state(helpdesk, cast, printer)[0] is Status.OPEN
