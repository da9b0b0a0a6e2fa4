"""The agent dashboard: what waits for whom, scoped to what the agent may see, at a fixed SQL cost."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from engine_events import statements_sent, work_of
from ticketcore import Actor, PermissionDenied, Status


def subjects(queue):
    return [t.subject for t in queue.tickets]


def test_customers_and_guests_have_no_dashboard(helpdesk, cast):
    with pytest.raises(PermissionDenied):
        helpdesk.dashboard.for_agent(cast.carol_actor)
    created = helpdesk.tickets.create_as_guest(email="gus@example.org", subject="s", body="b")
    guest = helpdesk.tickets.guest_actor(created.ticket.track_id, created.guest_token)
    with pytest.raises(PermissionDenied):
        helpdesk.dashboard.for_agent(guest)
    with pytest.raises(PermissionDenied):
        helpdesk.dashboard.for_agent(Actor.anonymous())


def test_queues_are_scoped_to_what_the_agent_sees(helpdesk, cast, clock):
    tickets = helpdesk.tickets

    def open_ticket(who, subject, **extra):
        clock.advance(minutes=10)
        return tickets.create(getattr(cast, f"{who}_actor"), subject=subject, body="b", **extra)

    open_ticket("carol", "New and waiting")  # Support: assigned to Ann
    answered = open_ticket("dave", "Answered by Ann").ticket
    clock.advance(minutes=1)
    helpdesk.messages.reply(cast.ann_actor, answered.id, body="On it")
    chased = open_ticket("erin", "Customer wrote again").ticket
    helpdesk.messages.reply(cast.ann_actor, chased.id, body="Which version?", status="pending")
    clock.advance(minutes=1)
    helpdesk.messages.reply(cast.erin_actor, chased.id, body="2.1")  # Pending becomes Open
    asked = open_ticket("frank", "Waiting on the customer").ticket
    helpdesk.messages.reply(cast.ann_actor, asked.id, body="Logs please", status="pending")
    loose = open_ticket("carol", "Nobody has it").ticket
    tickets.update(cast.ada_actor, loose.id, assignee=None)
    done = open_ticket("dave", "Solved").ticket
    tickets.close(cast.ann_actor, done.id, resolved=True)
    billing = open_ticket("carol", "Invoice", team="billing").ticket  # Bill's, not Ann's
    tickets.update(cast.ada_actor, billing.id, assignee=None)

    ann = helpdesk.dashboard.for_agent(cast.ann_actor)
    # New tickets and customer replies wait for us, the longest-waiting first.
    assert subjects(ann.pending) == ["New and waiting", "Customer wrote again", "Nobody has it"]
    assert ann.pending.count == 3
    assert subjects(ann.mine) == ["Customer wrote again", "Answered by Ann", "New and waiting"]
    assert ann.mine.count == 3
    assert subjects(ann.unassigned_in_my_teams) == ["Nobody has it"]
    # The work still open, by status: never the years of finished tickets ("Solved" is not here).
    assert ann.by_status == {Status.OPEN: 4, Status.IN_PROGRESS: 0, Status.PENDING: 1}
    assert ann.resolved_today == 1

    bill = helpdesk.dashboard.for_agent(cast.bill_actor)
    assert subjects(bill.pending) == ["Invoice"]
    assert subjects(bill.unassigned_in_my_teams) == ["Invoice"]
    assert bill.mine.count == 0 and sum(bill.by_status.values()) == 1

    ada = helpdesk.dashboard.for_agent(cast.ada_actor)  # sees everything, but is in no team
    assert ada.pending.count == 4 and sum(ada.by_status.values()) == 6
    assert ada.unassigned_in_my_teams.count == 0 and ada.mine.count == 0


def test_today_and_this_week_figures(helpdesk, cast, clock):
    tickets, messages = helpdesk.tickets, helpdesk.messages
    clock.set(datetime(2026, 1, 9, 10, 0, tzinfo=UTC))  # the Friday before
    last_week = tickets.create(cast.carol_actor, subject="Last week", body="b").ticket
    clock.advance(hours=5)
    messages.reply(cast.ann_actor, last_week.id, body="answered after five hours")

    clock.set(datetime(2026, 1, 12, 0, 30, tzinfo=UTC))  # Monday, just after midnight
    monday = tickets.create(cast.carol_actor, subject="Monday", body="b").ticket
    clock.advance(minutes=30)
    messages.reply(cast.ann_actor, monday.id, body="answered after 30 minutes")
    clock.set(datetime(2026, 1, 13, 23, 0, tzinfo=UTC))  # Tuesday night
    tuesday = tickets.create(cast.dave_actor, subject="Tuesday", body="b").ticket
    clock.advance(minutes=90)  # past midnight: Wednesday
    messages.reply(cast.ann_actor, tuesday.id, body="answered after 90 minutes")
    tickets.close(cast.ann_actor, last_week.id, resolved=True)
    clock.advance(hours=1)
    tickets.create(cast.erin_actor, subject="Wednesday, unanswered", body="b")
    tickets.create(cast.frank_actor, subject="Wednesday too", body="b")

    figures = helpdesk.dashboard.for_agent(cast.ann_actor)
    assert figures.created_today == 2
    assert figures.resolved_today == 1
    # Only this week's answered tickets count: (30 + 90) / 2 minutes.
    assert figures.avg_first_response_week == timedelta(minutes=60)

    clock.set(datetime(2026, 1, 19, 8, 0, tzinfo=UTC))  # next Monday: nothing answered yet
    figures = helpdesk.dashboard.for_agent(cast.ann_actor)
    assert figures.avg_first_response_week is None
    assert (figures.created_today, figures.resolved_today) == (0, 0)


def test_at_risk_and_breached_deadlines(helpdesk, cast, clock):
    helpdesk.sla.create_policy(
        Actor.system(), name="Four hours", resolution_minutes=240, is_default=True
    )
    late = helpdesk.tickets.create(cast.carol_actor, subject="Late", body="b").ticket
    clock.advance(minutes=60)
    closing_in = helpdesk.tickets.create(cast.dave_actor, subject="Closing in", body="b").ticket
    clock.advance(minutes=60)
    helpdesk.tickets.create(cast.erin_actor, subject="Soonest", body="b")
    clock.advance(minutes=20)
    helpdesk.tickets.create(cast.frank_actor, subject="Fresh", body="b")
    # At risk from 180 minutes (75%): Late has used 290, Closing in 230, Soonest 170, Fresh 150.
    clock.advance(minutes=150)
    helpdesk.sla.check()

    board = helpdesk.dashboard.for_agent(cast.ann_actor)
    assert subjects(board.breached) == ["Late"]
    assert subjects(board.at_risk) == ["Closing in"]
    assert (board.at_risk.count, board.breached.count) == (1, 1)
    helpdesk.tickets.close(cast.ann_actor, late.id)  # finished tickets leave the panels
    clock.advance(minutes=25)  # Closing in: 255, Soonest: 195, Fresh: 175
    helpdesk.sla.check()
    board = helpdesk.dashboard.for_agent(cast.ann_actor)
    assert [t.id for t in board.breached.tickets] == [closing_in.id]
    assert subjects(board.at_risk) == ["Soonest"]


def test_the_dashboard_costs_the_same_sql_for_2_or_40_tickets(helpdesk, cast, clock):
    helpdesk.sla.create_policy(
        Actor.system(), name="Two hours", resolution_minutes=120, is_default=True
    )
    customers = (cast.carol_actor, cast.dave_actor, cast.erin_actor, cast.frank_actor)

    def open_tickets(count, start):
        for i in range(start, start + count):
            clock.advance(minutes=7)
            ticket = helpdesk.tickets.create(
                customers[i % 4],
                subject=f"ticket {i}",
                body="b",
                team=("support", "billing")[i % 2],
            ).ticket
            if i % 3 == 0:
                helpdesk.tickets.update(cast.ada_actor, ticket.id, assignee=None)
            if i % 4 == 1:
                helpdesk.messages.reply(cast.ada_actor, ticket.id, body="Looking")
            if i % 5 == 2:
                helpdesk.tickets.close(cast.ada_actor, ticket.id, resolved=True)
        helpdesk.sla.check()

    def cost(actor):
        with statements_sent(helpdesk) as sent:
            board = helpdesk.dashboard.for_agent(actor)
        return len(work_of(sent)), board

    open_tickets(2, 0)
    small = {name: cost(getattr(cast, f"{name}_actor")) for name in ("ann", "bill", "ada")}
    open_tickets(38, 2)
    clock.advance(minutes=100)  # some deadlines pass, others come close
    helpdesk.sla.check()
    large = {name: cost(getattr(cast, f"{name}_actor")) for name in ("ann", "bill", "ada")}

    ada_board = large["ada"][1]
    assert sum(ada_board.by_status.values()) == 40 - 8  # every fifth one resolved
    assert ada_board.pending.count > 10 and len(ada_board.pending.tickets) == 10
    assert large["ann"][1].unassigned_in_my_teams.tickets  # the panels hold tickets to render
    assert large["ann"][1].breached.tickets or large["ann"][1].at_risk.tickets
    assert {name: n for name, (n, _) in small.items()} == {
        name: n for name, (n, _) in large.items()
    }
    assert large["ann"][0] <= 8
