"""Staff changes to a ticket, each recorded in the audit trail; closing; auto-close; CC."""

from __future__ import annotations

from datetime import timedelta

import pytest

from ticketcore import Actor, InvalidInput, NotFound, Priority, Status, hookimpl
from ticketcore.testing import temporary_plugin


@pytest.fixture
def ticket(helpdesk, cast):
    helpdesk.templates.create(
        Actor.system(),
        name="Bug Report",
        fields=[
            {"key": "version", "label": "Version", "type": "text"},
            {"key": "seats", "label": "Seats", "type": "number"},
        ],
    )
    return helpdesk.tickets.create(
        cast.carol_actor,
        subject="Crash",
        body="b",
        template="bug-report",
        custom_fields={"version": "1.0"},
    ).ticket


def test_each_change_is_audited_with_actor_and_time(helpdesk, cast, ticket, clock):
    clock.advance(hours=1)
    updated = helpdesk.tickets.update(
        cast.ada_actor,
        ticket.id,
        status="in_progress",
        priority="high",
        team="billing",
        assignee="bill@help.example.com",
        custom_fields={"seats": "5"},
    )
    assert updated.status is Status.IN_PROGRESS
    assert updated.priority is Priority.HIGH
    assert updated.team_name == "Billing"
    assert updated.assignee.display_name == "Bill"
    assert updated.custom_fields == {"version": "1.0", "seats": 5}
    assert updated.updated_at == clock.now()
    changes = {
        e.field: (e.old_value, e.new_value, e.actor_id, e.created_at)
        for e in helpdesk.tickets.audit_trail(cast.ada_actor, ticket.id)
        if e.created_at == clock.now()
    }
    now, ada = clock.now(), cast.ada.id
    assert changes == {
        "status": ("open", "in_progress", ada, now),
        "priority": ("Normal", "High", ada, now),
        "team": ("Support", "Billing", ada, now),
        "assignee": ("ann@help.example.com", "bill@help.example.com", ada, now),
        "custom_fields.seats": (None, "5", ada, now),
    }


def test_invalid_update_changes_nothing(helpdesk, cast, ticket):
    with pytest.raises(InvalidInput) as info:
        helpdesk.tickets.update(
            cast.ada_actor,
            ticket.id,
            priority="urgent",
            team="nowhere",
            assignee="carol@acme.example.com",
            custom_fields={"seats": "lots"},
        )
    assert set(info.value.errors) == {"team", "assignee", "custom_fields.seats"}
    unchanged = helpdesk.tickets.get(cast.ada_actor, ticket.id)
    assert unchanged.priority is Priority.NORMAL and unchanged.team_name == "Support"
    assert len(helpdesk.tickets.audit_trail(cast.ada_actor, ticket.id)) == 2  # creation only


def test_unassign(helpdesk, cast, ticket):
    assert helpdesk.tickets.update(cast.ann_actor, ticket.id, assignee=0).assignee is None


def test_customer_closes_and_resolves_own_ticket(helpdesk, cast, ticket, clock):
    resolved = helpdesk.tickets.close(cast.carol_actor, ticket.id, resolved=True)
    assert resolved.status is Status.RESOLVED and resolved.resolved_at == clock.now()
    clock.advance(minutes=5)
    closed = helpdesk.tickets.close(cast.carol_actor, ticket.id)
    assert closed.status is Status.CLOSED and closed.closed_at == clock.now()
    assert closed.resolved_at == resolved.resolved_at
    with pytest.raises(InvalidInput, match="already Closed"):
        helpdesk.tickets.close(cast.carol_actor, ticket.id)


def test_customers_have_no_way_to_delete(helpdesk):
    assert not hasattr(helpdesk.tickets, "delete")


def test_auto_close_after_configured_days(helpdesk_factory, cast, clock):
    helpdesk = helpdesk_factory(auto_close_days=3)
    old = helpdesk.tickets.create(cast.carol_actor, subject="old", body="b").ticket
    recent = helpdesk.tickets.create(cast.carol_actor, subject="recent", body="b").ticket
    helpdesk.tickets.close(cast.ann_actor, old.id, resolved=True)
    clock.advance(days=2)
    helpdesk.tickets.close(cast.ann_actor, recent.id, resolved=True)
    clock.advance(days=1, seconds=1)

    seen = []

    class Watcher:
        @hookimpl
        def after_status_changed(self, helpdesk, ticket, old_status, new_status, actor):
            seen.append((ticket.subject, old_status, new_status, actor.kind.value))

    with temporary_plugin(helpdesk, Watcher()):
        assert helpdesk.tickets.auto_close() == 1
        assert helpdesk.tickets.auto_close() == 0
    assert helpdesk.tickets.get(cast.carol_actor, old.id).status is Status.CLOSED
    assert helpdesk.tickets.get(cast.carol_actor, recent.id).status is Status.RESOLVED
    assert seen == [("old", "resolved", "closed", "system")]
    trail = helpdesk.tickets.audit_trail(cast.ada_actor, old.id)
    assert trail[-1].actor_kind == "system" and trail[-1].new_value == "closed"


def test_auto_close_disabled_with_zero(helpdesk_factory, cast, clock):
    helpdesk = helpdesk_factory(auto_close_days=0)
    ticket = helpdesk.tickets.create(cast.carol_actor, subject="s", body="b").ticket
    helpdesk.tickets.close(cast.ann_actor, ticket.id, resolved=True)
    clock.advance(timedelta(days=400))
    assert helpdesk.tickets.auto_close() == 0


def test_cc_management(helpdesk, cast, ticket):
    after = helpdesk.tickets.add_cc(cast.carol_actor, ticket.id, "Boss@Acme.example.com")
    assert after.cc == ["Boss@acme.example.com"]
    with pytest.raises(InvalidInput, match="already follows"):
        helpdesk.tickets.add_cc(cast.carol_actor, ticket.id, "boss@acme.example.com")
    with pytest.raises(InvalidInput):
        helpdesk.tickets.add_cc(cast.carol_actor, ticket.id, "not an address")
    with pytest.raises(InvalidInput, match="not copied"):
        helpdesk.tickets.remove_cc(cast.carol_actor, ticket.id, "nobody@example.com")
    with pytest.raises(NotFound):
        helpdesk.tickets.add_cc(cast.erin_actor, ticket.id, "erin@globex.example.com")
    assert helpdesk.tickets.remove_cc(cast.carol_actor, ticket.id, "BOSS@acme.example.com").cc == []


def test_after_hooks_run_after_commit_and_failures_are_contained(helpdesk, cast, caplog):
    events = []

    class Broken:
        @hookimpl
        def after_ticket_created(self, helpdesk, ticket):
            raise RuntimeError("webhook down")

    class Recorder:
        @hookimpl
        def after_ticket_created(self, helpdesk, ticket):
            # Committed already: a fresh read from another session sees it.
            events.append(helpdesk.tickets.get(Actor.system(), ticket.id).subject)

        @hookimpl
        def after_message_posted(self, helpdesk, ticket, message):
            events.append(message.kind)

    with temporary_plugin(helpdesk, Broken()), temporary_plugin(helpdesk, Recorder()):
        ticket = helpdesk.tickets.create(cast.carol_actor, subject="Hooked", body="b").ticket
        helpdesk.messages.add_note(cast.ann_actor, ticket.id, "note")
    assert events == ["Hooked", "internal_note"]
    assert "webhook down" in caplog.text and "after_ticket_created" in caplog.text


def test_cannot_assign_a_deactivated_agent(helpdesk, cast, ticket):
    helpdesk.users.deactivate(Actor.system(), cast.bill.id)
    with pytest.raises(InvalidInput) as info:
        helpdesk.tickets.update(cast.ada_actor, ticket.id, assignee=cast.bill.id)
    assert info.value.errors["assignee"] == ["bill@help.example.com is deactivated"]


def test_after_hooks_run_in_pluggy_order(helpdesk, cast):
    order = []

    class Early:
        @hookimpl(tryfirst=True)
        def after_ticket_created(self, helpdesk, ticket):
            order.append("early")

    class Plain:
        @hookimpl
        def after_ticket_created(self, helpdesk, ticket):
            order.append("plain")

    class Late:
        @hookimpl(trylast=True)
        def after_ticket_created(self, helpdesk, ticket):
            order.append("late")

    # Registered latest-first would be Early, Plain, Late; the markers must win over that.
    with (
        temporary_plugin(helpdesk, Early()),
        temporary_plugin(helpdesk, Late()),
        temporary_plugin(helpdesk, Plain()),
    ):
        helpdesk.tickets.create(cast.carol_actor, subject="s", body="b")
    assert order == ["early", "plain", "late"]
