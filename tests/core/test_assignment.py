"""Who gets a new ticket: organization staff, round-robin in the team, a plugin, or nobody."""

from __future__ import annotations

from ticketcore import Actor, hookimpl
from ticketcore.testing import temporary_plugin


def test_round_robin_among_active_team_agents(helpdesk, cast):
    system = Actor.system()
    zoe = helpdesk.users.create(
        system, email="zoe@help.example.com", role="agent", teams=["support"]
    )
    yan = helpdesk.users.create(
        system, email="yan@help.example.com", role="agent", teams=["support"]
    )
    helpdesk.users.deactivate(system, yan.id)
    assignees = [
        helpdesk.tickets.create(cast.frank_actor, subject=f"t{i}", body="b").ticket.assignee.id
        for i in range(4)
    ]
    assert assignees == [cast.ann.id, zoe.id, cast.ann.id, zoe.id]  # yan is inactive


def test_organization_staff_come_first_in_order(helpdesk, cast):
    system = Actor.system()
    helpdesk.organizations.create(
        system, name="Initech", domains=["initech.example.com"], staff=[cast.bill.id, cast.ann.id]
    )
    pete = helpdesk.users.actor_for(helpdesk.users.create(system, email="pete@initech.example.com"))
    assert helpdesk.tickets.create(pete, subject="s", body="b").ticket.assignee.id == cast.bill.id
    helpdesk.users.deactivate(system, cast.bill.id)
    assert helpdesk.tickets.create(pete, subject="s", body="b").ticket.assignee.id == cast.ann.id


def test_round_robin_only_strategy_ignores_organization_staff(helpdesk_factory, cast):
    helpdesk = helpdesk_factory(assignment="round_robin")
    helpdesk.organizations.create(
        Actor.system(), name="Initech", domains=["initech.example.com"], staff=[cast.bill.id]
    )
    pete = helpdesk.users.actor_for(
        helpdesk.users.create(Actor.system(), email="pete@initech.example.com")
    )
    assert helpdesk.tickets.create(pete, subject="s", body="b").ticket.assignee.id == cast.ann.id


def test_no_assignment_strategy_leaves_tickets_unassigned(helpdesk_factory, cast):
    helpdesk = helpdesk_factory(assignment="none")
    assert helpdesk.tickets.create(cast.carol_actor, subject="s", body="b").ticket.assignee is None


def test_team_without_agents_leaves_ticket_unassigned(helpdesk, cast):
    helpdesk.teams.create(Actor.system(), name="Sales")
    ticket = helpdesk.tickets.create(cast.carol_actor, subject="s", body="b", team="sales").ticket
    assert ticket.assignee is None and ticket.team_name == "Sales"


def test_plugin_decides_first(helpdesk, cast):
    class VipDesk:
        @hookimpl
        def assignee_for_ticket(self, helpdesk, ticket):
            return cast.bill.id if ticket.requester.email.startswith("carol") else None

    with temporary_plugin(helpdesk, VipDesk()):
        carols = helpdesk.tickets.create(cast.carol_actor, subject="s", body="b").ticket
        daves = helpdesk.tickets.create(cast.dave_actor, subject="s", body="b").ticket
    assert carols.assignee.id == cast.bill.id
    assert daves.assignee.id == cast.ann.id  # abstained: the built-in rules apply


def test_plugin_choosing_a_customer_is_ignored(helpdesk, cast, caplog):
    class Confused:
        @hookimpl
        def assignee_for_ticket(self, helpdesk, ticket):
            return cast.dave.id

    with temporary_plugin(helpdesk, Confused()):
        ticket = helpdesk.tickets.create(cast.carol_actor, subject="s", body="b").ticket
    assert ticket.assignee.id == cast.ann.id
    assert "not an active agent" in caplog.text


def test_before_ticket_created_may_change_the_assignee(helpdesk, cast):
    seen = []

    class Reassign:
        @hookimpl
        def before_ticket_created(self, helpdesk, actor, ticket):
            from sqlalchemy.orm import object_session

            from ticketcore.models import User

            ticket.assignee = object_session(ticket).get(User, cast.bill.id)

        @hookimpl
        def after_ticket_assigned(self, helpdesk, ticket, assignee_id, actor):
            seen.append(assignee_id)

    with temporary_plugin(helpdesk, Reassign()):
        ticket = helpdesk.tickets.create(cast.carol_actor, subject="s", body="b").ticket
    assert ticket.assignee.id == cast.bill.id
    assert seen == [cast.bill.id]
    trail = helpdesk.tickets.audit_trail(cast.ada_actor, ticket.id)
    assert [e.new_value for e in trail if e.field == "assignee"] == ["bill@help.example.com"]
