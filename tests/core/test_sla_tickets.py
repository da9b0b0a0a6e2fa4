"""SLA policies on tickets: deadlines, what meets them, pauses, warnings given exactly once."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from ticketcore import Actor, InvalidInput, hookimpl
from ticketcore.models import Calendar, SlaEvent, SlaPolicy
from ticketcore.testing import temporary_plugin

NEW_YORK = ZoneInfo("America/New_York")
WEEKDAYS = {day: [["09:00", "17:00"]] for day in ("mon", "tue", "wed", "thu", "fri")}
EASTERN_OFFICE = {"timezone": "America/New_York", "hours": WEEKDAYS, "holidays": ["2026-12-25"]}


class Warnings:
    """Records every SLA warning a plugin receives."""

    def __init__(self) -> None:
        self.given: list[tuple[str, str, str]] = []
        self.lock = threading.Lock()

    @hookimpl
    def sla_at_risk(self, helpdesk, ticket, target, due):
        with self.lock:
            self.given.append(("at_risk", ticket.subject, target))

    @hookimpl
    def sla_breached(self, helpdesk, ticket, target, due):
        with self.lock:
            self.given.append(("breached", ticket.subject, target))


@pytest.fixture
def policies(helpdesk, cast):
    """Support: 24x7, answer in 15 minutes, solve in 8 hours. Billing: 9-5 Eastern weekdays."""
    system = Actor.system()
    helpdesk.sla.create_calendar(system, name="Eastern office", definition=EASTERN_OFFICE)
    helpdesk.sla.create_policy(
        system,
        name="Around the clock",
        first_response_minutes=15,
        resolution_minutes=480,
        is_default=True,
    )
    helpdesk.sla.create_policy(
        system,
        name="Billing hours",
        team="billing",
        calendar="eastern-office",
        first_response_minutes=15,
        resolution_minutes=960,
    )


def open_ticket(helpdesk, actor, subject="Help", **fields):
    return helpdesk.tickets.create(actor, subject=subject, body="please", **fields).ticket


def test_default_policy_sets_deadlines_around_the_clock(helpdesk, cast, policies, clock):
    clock.set(datetime(2026, 11, 28, 22, 0, tzinfo=UTC))  # a Saturday night
    ticket = open_ticket(helpdesk, cast.carol_actor)
    assert ticket.response_by == clock.now() + timedelta(minutes=15)
    assert ticket.resolution_by == clock.now() + timedelta(hours=8)
    assert ticket.sla_state == "on_track"


def test_business_hours_policy_waits_for_opening_time(helpdesk, cast, policies, clock):
    clock.set(datetime(2026, 11, 28, 12, 0, tzinfo=NEW_YORK))  # Saturday noon in New York
    ticket = open_ticket(helpdesk, cast.carol_actor, team="billing")
    assert ticket.response_by == datetime(2026, 11, 30, 9, 15, tzinfo=NEW_YORK)  # Monday
    assert ticket.resolution_by == datetime(2026, 12, 1, 17, 0, tzinfo=NEW_YORK)  # 2 days


def test_policies_match_in_order_with_conditions(helpdesk, cast, policies, clock):
    system = Actor.system()
    helpdesk.sla.create_policy(
        system, name="Urgent", priority="urgent", first_response_minutes=5, position=1
    )
    helpdesk.sla.create_policy(
        system, name="Acme contract", organization="acme", first_response_minutes=60
    )
    urgent = open_ticket(helpdesk, cast.carol_actor, priority="urgent")
    acme = open_ticket(helpdesk, cast.carol_actor)
    other = open_ticket(helpdesk, cast.frank_actor)
    now = clock.now()
    assert urgent.response_by == now + timedelta(minutes=5)
    assert acme.response_by == now + timedelta(minutes=60)
    assert other.response_by == now + timedelta(minutes=15)  # the default


def test_changing_priority_team_or_organization_recomputes(helpdesk, cast, policies, clock):
    clock.set(datetime(2026, 11, 28, 12, 0, tzinfo=NEW_YORK))
    ticket = open_ticket(helpdesk, cast.carol_actor)
    assert ticket.response_by == clock.now() + timedelta(minutes=15)
    clock.advance(minutes=5)
    moved = helpdesk.tickets.update(cast.ada_actor, ticket.id, team="billing")
    # Measured from the opening, on the billing calendar: Monday 09:15.
    assert moved.response_by == datetime(2026, 11, 30, 9, 15, tzinfo=NEW_YORK)
    helpdesk.sla.create_policy(
        Actor.system(),
        name="Globex",
        organization="globex",
        first_response_minutes=600,
        position=0,
    )
    regrouped = helpdesk.tickets.update(cast.ada_actor, ticket.id, organization="globex")
    assert regrouped.organization_name == "Globex"
    assert regrouped.response_by == datetime(2026, 11, 28, 17, 0, tzinfo=UTC) + timedelta(
        minutes=600
    )


def test_first_public_agent_reply_meets_the_response_target(helpdesk, cast, policies, clock):
    warnings = Warnings()
    ticket = open_ticket(helpdesk, cast.carol_actor, "Quick answer")
    clock.advance(minutes=5)
    helpdesk.messages.add_note(cast.ann_actor, ticket.id, "internal notes do not count")
    clock.advance(minutes=5)
    helpdesk.messages.reply(cast.ann_actor, ticket.id, body="Here you go")
    clock.advance(hours=1)  # well past the 15-minute response deadline
    with temporary_plugin(helpdesk, warnings):
        helpdesk.sla.check()
    assert warnings.given == []
    assert helpdesk.tickets.get(cast.carol_actor, ticket.id).sla_state == "on_track"


def test_late_first_reply_is_a_breach_warned_once(helpdesk, cast, policies, clock):
    warnings = Warnings()
    ticket = open_ticket(helpdesk, cast.carol_actor, "Slow answer")
    clock.advance(minutes=20)
    with temporary_plugin(helpdesk, warnings):
        helpdesk.messages.reply(cast.ann_actor, ticket.id, body="Sorry for the wait")
        helpdesk.sla.check()
    assert warnings.given == [("breached", "Slow answer", "response")]
    assert helpdesk.tickets.get(cast.ann_actor, ticket.id).sla_state == "breached"


def test_checker_warns_at_risk_then_breached_each_once(helpdesk, cast, policies, clock):
    warnings = Warnings()
    ticket = open_ticket(helpdesk, cast.carol_actor, "Watch me")
    with temporary_plugin(helpdesk, warnings):
        clock.advance(minutes=11)  # 73% of 15 minutes: still on track
        assert helpdesk.sla.check().at_risk == 0
        clock.advance(minutes=1)  # 80%
        result = helpdesk.sla.check()
        assert (result.at_risk, result.breached) == (1, 0)
        assert helpdesk.tickets.get(cast.ann_actor, ticket.id).sla_state == "at_risk"
        assert helpdesk.tickets.list(cast.ann_actor, sla_state=["at_risk"]).total == 1
        helpdesk.sla.check()
        clock.advance(minutes=4)
        assert helpdesk.sla.check().breached == 1
        helpdesk.sla.check()
    assert warnings.given == [
        ("at_risk", "Watch me", "response"),
        ("breached", "Watch me", "response"),
    ]
    assert helpdesk.tickets.list(cast.ann_actor, sla_state=["breached"]).total == 1


def test_minutes_left_rule(helpdesk_factory, cast, clock):
    helpdesk = helpdesk_factory(sla_at_risk_percent=0, sla_at_risk_minutes=30)
    helpdesk.sla.create_policy(Actor.system(), name="Day", resolution_minutes=600, is_default=True)
    ticket = open_ticket(helpdesk, cast.carol_actor)
    clock.advance(minutes=569)
    helpdesk.sla.check()
    assert helpdesk.tickets.get(cast.ann_actor, ticket.id).sla_state == "on_track"
    clock.advance(minutes=1)
    helpdesk.sla.check()
    assert helpdesk.tickets.get(cast.ann_actor, ticket.id).sla_state == "at_risk"


def test_waiting_on_the_customer_stops_the_resolution_clock(helpdesk, cast, policies, clock):
    clock.set(datetime(2026, 12, 1, 10, 0, tzinfo=NEW_YORK))  # Tuesday 10:00
    ticket = open_ticket(helpdesk, cast.carol_actor, team="billing")
    assert ticket.resolution_by == datetime(2026, 12, 3, 10, 0, tzinfo=NEW_YORK)
    clock.set(datetime(2026, 12, 1, 11, 0, tzinfo=NEW_YORK))
    helpdesk.messages.reply(cast.bill_actor, ticket.id, body="Which invoice?", status="pending")
    waiting = helpdesk.tickets.get(cast.carol_actor, ticket.id)
    assert waiting.sla_paused
    clock.set(datetime(2026, 12, 2, 10, 30, tzinfo=NEW_YORK))  # 6h of open time + night
    warnings = Warnings()
    with temporary_plugin(helpdesk, warnings):
        helpdesk.sla.check()  # paused: nothing runs, nothing is warned
    helpdesk.messages.reply(cast.carol_actor, ticket.id, body="Number 2291")
    resumed = helpdesk.tickets.get(cast.carol_actor, ticket.id)
    assert not resumed.sla_paused and resumed.status == "open"
    # Waiting 11:00 Tue -> 10:30 Wed is 6 h + 1.5 h = 7.5 business hours, so the deadline moves
    # from Thursday 10:00 by 7.5 business hours: 7 h to Thursday 17:00, then Friday 09:30.
    assert resumed.resolution_by == datetime(2026, 12, 4, 9, 30, tzinfo=NEW_YORK)
    assert warnings.given == []


def test_finishing_late_is_a_resolution_breach(helpdesk, cast, policies, clock):
    warnings = Warnings()
    ticket = open_ticket(helpdesk, cast.carol_actor, "Long one")
    helpdesk.messages.reply(cast.ann_actor, ticket.id, body="Looking")
    clock.advance(hours=9)
    with temporary_plugin(helpdesk, warnings):
        helpdesk.tickets.close(cast.ann_actor, ticket.id, resolved=True)
        helpdesk.tickets.close(cast.ann_actor, ticket.id)  # closing a resolved ticket: no more
    assert warnings.given == [("breached", "Long one", "resolution")]


def test_plugin_chooses_the_policy(helpdesk, cast, policies, clock):
    with helpdesk.engine.connect() as connection:
        billing_policy = connection.scalar(
            select(SlaPolicy.id).where(SlaPolicy.slug == "billing-hours")
        )

    class Vip:
        @hookimpl
        def sla_policy_for_ticket(self, helpdesk, ticket):
            return billing_policy if ticket.requester.email.startswith("erin") else None

    clock.set(datetime(2026, 11, 28, 12, 0, tzinfo=NEW_YORK))
    with temporary_plugin(helpdesk, Vip()):
        erins = open_ticket(helpdesk, cast.erin_actor)
    assert erins.response_by == datetime(2026, 11, 30, 9, 15, tzinfo=NEW_YORK)


def test_bad_policies_and_calendars_are_refused_and_write_nothing(helpdesk, cast):
    system = Actor.system()
    with pytest.raises(InvalidInput) as info:
        helpdesk.sla.create_calendar(
            system, name="Broken", definition={"timezone": "Mars/Olympus", "hours": WEEKDAYS}
        )
    assert "definition.timezone" in info.value.errors
    with pytest.raises(InvalidInput) as info:
        helpdesk.sla.create_policy(
            system, name="Bad", team="nowhere", calendar="missing", first_response_minutes=-1
        )
    assert "first_response_minutes" in info.value.errors
    with pytest.raises(InvalidInput) as info:
        helpdesk.sla.create_policy(system, name="Bad", team="nowhere", calendar="missing")
    assert {"calendar", "team"} <= set(info.value.errors)  # every problem at once
    with pytest.raises(InvalidInput, match="no conditions"):
        helpdesk.sla.create_policy(system, name="Bad", team="support", is_default=True)
    with pytest.raises(InvalidInput) as info:
        helpdesk.sla.policy_for(priority="critical")
    assert "must be one of" in info.value.errors["priority"][0]
    with helpdesk.engine.connect() as connection:
        assert connection.scalar(select(func.count()).select_from(SlaPolicy)) == 0
        assert connection.scalar(select(func.count()).select_from(Calendar)) == 0
    with pytest.raises(Exception) as info:
        helpdesk.sla.create_policy(cast.ann_actor, name="Mine", is_default=True)
    assert type(info.value).__name__ == "NotFound"  # agents cannot configure SLAs


def test_two_checkers_at_once_warn_exactly_once(helpdesk_factory, cast, clock):
    """Run on every backend; on PostgreSQL and MariaDB the two really overlap."""
    first = helpdesk_factory()
    second = helpdesk_factory()
    first.sla.create_policy(Actor.system(), name="Fast", first_response_minutes=10, is_default=True)
    for i in range(30):
        first.tickets.create(cast.frank_actor, subject=f"t{i}", body="b")
    clock.advance(minutes=11)
    warnings = Warnings()
    first.plugins.register(warnings)
    second.plugins.register(warnings)
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def run(helpdesk):
        try:
            barrier.wait(10)
            helpdesk.sla.check(batch_size=7)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(h,)) for h in (first, second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(warnings.given) == sorted(("breached", f"t{i}", "response") for i in range(30))
    with first.engine.connect() as connection:
        assert connection.scalar(select(func.count()).select_from(SlaEvent)) == 30


def test_promises_per_team_for_the_portal(helpdesk, cast, policies, clock):
    clock.set(datetime(2026, 11, 28, 11, 0, tzinfo=NEW_YORK))  # Saturday
    assert helpdesk.sla.typical_response() == "We typically respond within 15 minutes"
    assert helpdesk.sla.typical_response(team="billing") == (
        "Billing typically responds within 15 minutes"
    )
    line = helpdesk.sla.working_hours_line(team="billing")
    assert line is not None
    assert line.startswith("Billing answers 9")
    assert line.endswith("we are back Monday at 9:00\u202fAM")
    assert helpdesk.sla.working_hours_line() == "We answer around the clock"
    assert helpdesk.sla.policy_for(team="billing").name == "Billing hours"
    assert helpdesk.sla.policy_for(team="support").name == "Around the clock"


def test_no_policy_no_promise(helpdesk, cast):
    assert helpdesk.sla.typical_response() is None
    assert helpdesk.sla.working_hours_line() is None


def test_a_late_reply_does_not_email_its_own_author_about_the_breach(
    helpdesk, cast, policies, clock
):
    from ticketcore.models import OutboxMessage

    helpdesk.users.create(  # Zoe, also in Support
        Actor.system(), email="zoe@help.example.com", role="agent", teams=["support"]
    )
    ticket = open_ticket(helpdesk, cast.carol_actor, "Slow answer")
    assert ticket.assignee.id == cast.ann.id
    clock.advance(minutes=20)
    helpdesk.messages.reply(cast.ann_actor, ticket.id, body="Sorry for the wait")
    with helpdesk.engine.connect() as connection:
        breach_mail = connection.scalars(
            select(OutboxMessage.recipient).where(OutboxMessage.event == "sla_breached")
        ).all()
    # The assignee caused it and knows; staff-side mail goes to the assignee, so not to Zoe
    # (in the same team) either.
    assert breach_mail == []
