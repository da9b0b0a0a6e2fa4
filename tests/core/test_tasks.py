"""Tasks: staff work with a due date, linked to tickets, showing only the tickets an agent may
see; linking is audited on the ticket; the task list costs the same SQL however long it is."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from engine_events import statements_sent, work_of
from ticketcore import Actor, ActorKind, InvalidInput, NotFound, PermissionDenied, Status


@pytest.fixture
def support_ticket(helpdesk, cast):
    """Carol's ticket, in the default Support team: Ann sees it, Bill does not."""
    return helpdesk.tickets.create(cast.carol_actor, subject="Printer jam", body="b").ticket


@pytest.fixture
def billing_ticket(helpdesk, cast):
    """Erin's ticket in the Billing team: Bill sees it, Ann does not."""
    return helpdesk.tickets.create(
        Actor.system(), subject="Invoice", body="b", requester=cast.erin.id, team="billing"
    ).ticket


def task_audit(helpdesk, actor, ticket_id):
    return [
        (e.action, e.field, e.old_value, e.new_value, e.actor_id)
        for e in helpdesk.tickets.audit_trail(actor, ticket_id)
        if e.action.startswith("task_")
    ]


def test_create_links_the_ticket_at_once_and_audits_it(helpdesk, cast, clock, support_ticket):
    task = helpdesk.tasks.create(
        cast.ann_actor,
        title="  Call the printer vendor ",
        due_on="2026-01-09",
        ticket=support_ticket.id,
    )
    assert task.title == "Call the printer vendor"
    assert task.due_on == date(2026, 1, 9)
    assert (task.done, task.done_at, task.overdue) == (False, None, False)
    assert task.created_at == clock.now()
    assert task.created_by.display_name == "Ann"
    assert task.created_by.email == "ann@help.example.com"
    assert [(t.id, t.number, t.track_id, t.subject, t.status) for t in task.tickets] == [
        (
            support_ticket.id,
            support_ticket.number,
            support_ticket.track_id,
            "Printer jam",
            Status.OPEN,
        )
    ]
    assert task_audit(helpdesk, cast.ann_actor, support_ticket.id) == [
        ("task_linked", f"task.{task.id}", None, "Call the printer vendor", cast.ann.id)
    ]
    assert helpdesk.tasks.get(cast.bill_actor, task.id) == task.model_copy(update={"tickets": []})


def test_a_task_without_ticket_or_date(helpdesk, cast):
    task = helpdesk.tasks.create(Actor.system(), title="Tidy the macros")
    assert (task.due_on, task.created_by, task.tickets, task.overdue) == (None, None, [], False)


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"title": "   "}, "title"),
        ({"title": "x" * 201}, "title"),
        ({"title": "ok", "due_on": "next week"}, "due_on"),
        ({"title": "ok", "colour": "red"}, "colour"),
    ],
)
def test_bad_input_is_refused(helpdesk, cast, fields, field):
    with pytest.raises(InvalidInput) as info:
        helpdesk.tasks.create(cast.ann_actor, **fields)
    assert field in info.value.errors
    assert helpdesk.tasks.list(cast.ann_actor, done=None) == []


def test_customers_guests_and_visitors_are_refused(helpdesk, cast, support_ticket):
    task = helpdesk.tasks.create(cast.ann_actor, title="Follow up", ticket=support_ticket.id)
    guest = Actor(ActorKind.GUEST, user_id=cast.carol.id, ticket_id=support_ticket.id)
    for actor in (cast.carol_actor, guest, Actor.anonymous()):
        calls = [
            lambda a=actor: helpdesk.tasks.create(a, title="Mine"),
            lambda a=actor: helpdesk.tasks.update(a, task.id, done=True),
            lambda a=actor: helpdesk.tasks.link(a, task.id, support_ticket.id),
            lambda a=actor: helpdesk.tasks.unlink(a, task.id, support_ticket.id),
            lambda a=actor: helpdesk.tasks.get(a, task.id),
            lambda a=actor: helpdesk.tasks.list(a),
            lambda a=actor: helpdesk.tasks.for_ticket(a, support_ticket.id),
        ]
        for call in calls:
            with pytest.raises(PermissionDenied):
                call()
    assert helpdesk.tasks.get(cast.ann_actor, task.id) == task


def test_a_ticket_the_agent_cannot_see_is_not_found(helpdesk, cast, support_ticket):
    with pytest.raises(NotFound):
        helpdesk.tasks.create(cast.bill_actor, title="Peek", ticket=support_ticket.id)
    assert helpdesk.tasks.list(cast.ada_actor, done=None) == []  # nothing half-made
    task = helpdesk.tasks.create(cast.bill_actor, title="Peek")
    with pytest.raises(NotFound):
        helpdesk.tasks.link(cast.bill_actor, task.id, support_ticket.id)
    with pytest.raises(NotFound):
        helpdesk.tasks.for_ticket(cast.bill_actor, support_ticket.id)
    with pytest.raises(NotFound):
        helpdesk.tasks.link(cast.ann_actor, task.id, 999_999)
    assert task_audit(helpdesk, cast.ada_actor, support_ticket.id) == []


def test_a_task_shows_each_agent_only_the_tickets_they_may_see(
    helpdesk, cast, support_ticket, billing_ticket
):
    task = helpdesk.tasks.create(cast.ada_actor, title="Refund", ticket=support_ticket.id)
    both = helpdesk.tasks.link(cast.ada_actor, task.id, billing_ticket.id)
    assert [t.id for t in both.tickets] == [support_ticket.id, billing_ticket.id]
    for actor, expected in (
        (cast.ann_actor, [support_ticket.id]),
        (cast.bill_actor, [billing_ticket.id]),
        (cast.ada_actor, [support_ticket.id, billing_ticket.id]),
    ):
        assert [t.id for t in helpdesk.tasks.get(actor, task.id).tickets] == expected
        assert [t.id for t in helpdesk.tasks.list(actor)[0].tickets] == expected
    assert [t.id for t in helpdesk.tasks.for_ticket(cast.bill_actor, billing_ticket.id)] == [
        task.id
    ]
    assert helpdesk.tasks.for_ticket(cast.bill_actor, billing_ticket.id)[0].tickets == [
        both.tickets[1]
    ]


def test_linking_twice_changes_nothing_and_unlinking_is_audited(
    helpdesk, cast, clock, support_ticket
):
    task = helpdesk.tasks.create(cast.ann_actor, title="Order toner")
    before = helpdesk.tickets.get(cast.ann_actor, support_ticket.id)
    clock.advance(minutes=5)
    linked = helpdesk.tasks.link(cast.ann_actor, task.id, support_ticket.id)
    again = helpdesk.tasks.link(cast.ann_actor, task.id, support_ticket.id)
    assert linked == again and [t.id for t in linked.tickets] == [support_ticket.id]
    clock.advance(minutes=5)
    unlinked = helpdesk.tasks.unlink(cast.ann_actor, task.id, support_ticket.id)
    assert unlinked.tickets == []
    assert helpdesk.tasks.for_ticket(cast.ann_actor, support_ticket.id) == []
    field = f"task.{task.id}"
    assert task_audit(helpdesk, cast.ann_actor, support_ticket.id) == [
        ("task_linked", field, None, "Order toner", cast.ann.id),
        ("task_unlinked", field, "Order toner", None, cast.ann.id),
    ]
    # Tasks are staff business: the customer-visible ticket does not look changed.
    assert helpdesk.tickets.get(cast.ann_actor, support_ticket.id).updated_at == before.updated_at
    with pytest.raises(InvalidInput) as info:
        helpdesk.tasks.unlink(cast.ann_actor, task.id, support_ticket.id)
    assert "ticket" in info.value.errors


def test_update_title_due_date_and_done(helpdesk, cast, clock):
    task = helpdesk.tasks.create(cast.ann_actor, title="Renew certificate", due_on=date(2026, 1, 8))
    clock.advance(hours=2)
    done = helpdesk.tasks.update(cast.bill_actor, task.id, title="Renew TLS certificate", done=True)
    assert (done.title, done.done, done.done_at, done.due_on) == (
        "Renew TLS certificate",
        True,
        clock.now(),
        date(2026, 1, 8),
    )
    reopened = helpdesk.tasks.update(cast.ann_actor, task.id, {"done": False, "due_on": None})
    assert (reopened.done, reopened.done_at, reopened.due_on) == (False, None, None)
    assert reopened.title == "Renew TLS certificate"
    with pytest.raises(NotFound):
        helpdesk.tasks.update(cast.ann_actor, 999_999, done=True)
    with pytest.raises(NotFound):
        helpdesk.tasks.get(cast.ann_actor, 999_999)
    with pytest.raises(InvalidInput) as info:
        helpdesk.tasks.update(cast.ann_actor, task.id, title="")
    assert "title" in info.value.errors


def test_list_orders_by_due_date_undated_last_and_filters_done(helpdesk, cast, clock):
    today = clock.now().date()
    create = helpdesk.tasks.create
    undated = create(cast.ann_actor, title="Someday")
    later = create(cast.ann_actor, title="Later", due_on=today + timedelta(days=5))
    late = create(cast.ann_actor, title="Late", due_on=today - timedelta(days=2))
    due_today = create(cast.ann_actor, title="Today", due_on=today)
    finished = create(cast.ann_actor, title="Finished", due_on=today - timedelta(days=9))
    helpdesk.tasks.update(cast.ann_actor, finished.id, done=True)
    other_undated = create(cast.ann_actor, title="Also someday")

    def titles(**kwargs):
        return [t.title for t in helpdesk.tasks.list(cast.bill_actor, **kwargs)]

    assert titles() == ["Late", "Today", "Later", "Someday", "Also someday"]
    assert titles(done=True) == ["Finished"]
    assert titles(done=None) == ["Finished", "Late", "Today", "Later", "Someday", "Also someday"]
    overdue = {t.title: t.overdue for t in helpdesk.tasks.list(cast.ann_actor, done=None)}
    assert overdue == {
        "Finished": False,  # done work is never overdue
        "Late": True,
        "Today": False,
        "Later": False,
        "Someday": False,
        "Also someday": False,
    }
    clock.advance(days=1)
    assert helpdesk.tasks.get(cast.ann_actor, due_today.id).overdue is True
    assert {undated.id, later.id, late.id, other_undated.id} < {
        t.id for t in helpdesk.tasks.list(cast.ann_actor)
    }


def test_for_ticket_lists_done_and_open_tasks_of_that_ticket(
    helpdesk, cast, support_ticket, billing_ticket
):
    open_task = helpdesk.tasks.create(
        cast.ada_actor, title="Open", due_on=date(2026, 2, 1), ticket=support_ticket.id
    )
    done_task = helpdesk.tasks.create(
        cast.ada_actor, title="Done", due_on=date(2026, 1, 20), ticket=support_ticket.id
    )
    helpdesk.tasks.update(cast.ada_actor, done_task.id, done=True)
    helpdesk.tasks.create(cast.ada_actor, title="Elsewhere", ticket=billing_ticket.id)
    helpdesk.tasks.link(cast.ada_actor, open_task.id, billing_ticket.id)
    found = helpdesk.tasks.for_ticket(cast.ann_actor, support_ticket.id)
    assert [(t.title, t.done) for t in found] == [("Done", True), ("Open", False)]
    # Ann cannot see the billing ticket the open task is also linked to.
    assert [t.id for t in found[1].tickets] == [support_ticket.id]


def test_the_task_list_costs_the_same_sql_however_many_tasks_and_links(
    helpdesk, cast, support_ticket, billing_ticket
):
    def cost(actor):
        with statements_sent(helpdesk) as sent:
            helpdesk.tasks.list(actor, done=None)
        return len(work_of(sent))

    helpdesk.tasks.create(cast.ann_actor, title="First", ticket=support_ticket.id)
    small = (cost(cast.ann_actor), cost(cast.ada_actor))
    tickets = [support_ticket, billing_ticket] + [
        helpdesk.tickets.create(cast.dave_actor, subject=f"Ticket {i}", body="b").ticket
        for i in range(4)
    ]
    creators = (cast.ann_actor, cast.bill_actor, cast.ada_actor, Actor.system())
    for i in range(15):
        task = helpdesk.tasks.create(
            creators[i % 4], title=f"Task {i}", due_on=date(2026, 1, 1 + i % 7) if i % 3 else None
        )
        for ticket in tickets[: i % 5 + 1]:
            helpdesk.tasks.link(cast.ada_actor, task.id, ticket.id)
        if i % 4 == 0:
            helpdesk.tasks.update(cast.ada_actor, task.id, done=True)
    listed = helpdesk.tasks.list(cast.ann_actor, done=None)
    assert len(listed) == 16 and sum(len(t.tickets) for t in listed) > 16
    assert small == (cost(cast.ann_actor), cost(cast.ada_actor)) == (2, 2)
