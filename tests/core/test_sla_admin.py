"""Administering SLA policies and calendars: edits, match order, removal, named holidays, the
preview of a new ticket's deadlines, and open tickets keeping theirs unless recalculated."""

from __future__ import annotations

from datetime import datetime
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest

from ticketcore import Conflict, InvalidInput, NotFound
from ticketcore.sla.calendar import BusinessCalendar

NEW_YORK = ZoneInfo("America/New_York")
WEEKDAYS = {day: [["09:00", "17:00"]] for day in ("mon", "tue", "wed", "thu", "fri")}
OFFICE = {
    "timezone": "America/New_York",
    "hours": WEEKDAYS,
    "holidays": [{"date": "2026-12-25", "name": "Christmas Day"}, "01-01"],
}


def ny(*args):
    return datetime(*args, tzinfo=NEW_YORK)


@pytest.fixture
def sla(helpdesk, cast):
    """Standard (default, 24x7: 1 h / 8 h), Billing (team billing, office hours: 15 min /
    2 business days), Urgent (priority urgent, 24x7: 5 min / 1 h), tried in that order."""
    ada, service = cast.ada_actor, helpdesk.sla
    office = service.create_calendar(ada, name="Office", definition=OFFICE)
    return SimpleNamespace(
        office=office,
        standard=service.create_policy(
            ada, name="Standard", first_response_minutes=60, resolution_minutes=480, is_default=True
        ),
        billing=service.create_policy(
            ada,
            name="Billing",
            team="billing",
            calendar=office.id,
            first_response_minutes=15,
            resolution_minutes=960,
        ),
        urgent=service.create_policy(
            ada, name="Urgent", priority="urgent", first_response_minutes=5, resolution_minutes=60
        ),
    )


def billing_ticket(helpdesk, cast, subject="Invoice"):
    return helpdesk.tickets.create(
        cast.erin_actor, subject=subject, body="b", team="billing"
    ).ticket


def names(helpdesk):
    return [p.name for p in helpdesk.sla.policies()]


def test_named_holidays_are_kept_and_closed(helpdesk, cast, sla):
    stored = helpdesk.sla.calendar_detail(cast.ada_actor, sla.office.id).definition
    assert stored["holidays"] == ["01-01", {"date": "2026-12-25", "name": "Christmas Day"}]
    calendar = BusinessCalendar.from_dict(stored)
    assert not calendar.is_open(ny(2026, 12, 25, 10, 0))
    assert calendar.is_open(ny(2026, 12, 24, 10, 0))
    for bad in ({"date": "2026-13-01", "name": "Never"}, {"date": "2026-12-24", "when": "x"}):
        with pytest.raises(InvalidInput) as info:
            helpdesk.sla.create_calendar(
                cast.ada_actor, name="Bad", definition={**OFFICE, "holidays": [bad]}
            )
        assert set(info.value.errors) == {"definition.holidays"}


def test_update_policy_changes_what_is_given(helpdesk, cast, sla):
    saved = helpdesk.sla.update_policy(
        cast.ada_actor,
        sla.billing.id,
        name="Billing and accounts",
        first_response_minutes=30,
        resolution_minutes=None,
        organization="globex",
        calendar=None,
    )
    assert saved.name == "Billing and accounts"
    assert (saved.first_response_minutes, saved.resolution_minutes) == (30, None)
    assert (saved.team_id, saved.organization_id) == (cast.billing.id, cast.globex.id)
    assert saved.calendar_id is None and saved.slug == sla.billing.slug
    assert helpdesk.sla.policy(cast.ada_actor, sla.billing.id) == saved
    again = helpdesk.sla.update_policy(
        cast.ada_actor, sla.billing.id, team="", priority="high", calendar=sla.office.slug
    )
    assert (again.team_id, again.priority.name, again.calendar_id) == (
        None,
        "HIGH",
        sla.office.id,
    )


def test_policy_errors_are_reported_together(helpdesk, cast, sla):
    with pytest.raises(InvalidInput) as info:
        helpdesk.sla.update_policy(
            cast.ada_actor,
            sla.billing.id,
            calendar="nowhere",
            team="nobody",
            organization="noone",
            priority="extreme",
        )
    assert set(info.value.errors) == {"calendar", "team", "organization", "priority"}
    with pytest.raises(InvalidInput) as info:
        helpdesk.sla.update_policy(cast.ada_actor, sla.billing.id, is_default=True)
    assert info.value.errors == {
        "": ["the default policy applies to every ticket: give it no conditions"]
    }
    assert helpdesk.sla.policy(cast.ada_actor, sla.billing.id) == sla.billing


def test_one_default_policy_and_it_comes_last(helpdesk, cast, sla):
    assert names(helpdesk) == ["Billing", "Urgent", "Standard"]
    helpdesk.sla.update_policy(cast.ada_actor, sla.billing.id, team=None, is_default=True)
    assert names(helpdesk) == ["Standard", "Urgent", "Billing"]
    assert [p.is_default for p in helpdesk.sla.policies()] == [False, False, True]


def test_open_tickets_keep_deadlines_unless_recalculated(helpdesk, cast, sla, clock):
    clock.set(ny(2026, 1, 5, 9, 0))  # a Monday, the office opens
    first = billing_ticket(helpdesk, cast)
    done = billing_ticket(helpdesk, cast, "Done")
    helpdesk.tickets.close(cast.bill_actor, done.id)
    assert first.response_by == ny(2026, 1, 5, 9, 15)

    helpdesk.sla.update_policy(cast.ada_actor, sla.billing.id, first_response_minutes=30)
    assert helpdesk.tickets.get(cast.bill_actor, first.id).response_by == ny(2026, 1, 5, 9, 15)
    assert billing_ticket(helpdesk, cast).response_by == ny(2026, 1, 5, 9, 30)

    helpdesk.sla.update_policy(
        cast.ada_actor, sla.billing.id, resolution_minutes=480, recalculate_open_tickets=True
    )
    recalculated = helpdesk.tickets.get(cast.bill_actor, first.id)
    assert recalculated.response_by == ny(2026, 1, 5, 9, 30)
    assert recalculated.resolution_by == ny(2026, 1, 5, 17, 0)
    closed = helpdesk.tickets.get(cast.bill_actor, done.id)
    assert (closed.response_by, closed.resolution_by) == (done.response_by, done.resolution_by)


def test_move_changes_the_match_order(helpdesk, cast, sla):
    acme = helpdesk.sla.create_policy(cast.ada_actor, name="Acme", organization="acme")
    probe = {"team": "billing", "priority": "urgent"}
    assert helpdesk.sla.policy_for(**probe).name == "Billing"
    moved = helpdesk.sla.move_policy(cast.ada_actor, sla.urgent.id, "up")
    assert [p.name for p in moved] == ["Urgent", "Billing", "Acme", "Standard"]
    assert helpdesk.sla.policy_for(**probe).name == "Urgent"
    helpdesk.sla.move_policy(cast.ada_actor, sla.urgent.id, "up")  # first already: stays
    helpdesk.sla.move_policy(cast.ada_actor, acme.id, "down")  # last before the default
    helpdesk.sla.move_policy(cast.ada_actor, sla.billing.id, "down")
    assert names(helpdesk) == ["Urgent", "Acme", "Billing", "Standard"]
    with pytest.raises(InvalidInput):
        helpdesk.sla.move_policy(cast.ada_actor, sla.standard.id, "up")
    with pytest.raises(InvalidInput):
        helpdesk.sla.move_policy(cast.ada_actor, sla.billing.id, "sideways")


def test_delete_policy_keeps_what_tickets_have(helpdesk, cast, sla, clock):
    clock.set(ny(2026, 1, 5, 9, 0))
    assert helpdesk.sla.delete_policy(cast.ada_actor, sla.urgent.id) is True
    ticket = billing_ticket(helpdesk, cast)
    assert helpdesk.sla.delete_policy(cast.ada_actor, sla.billing.id) is False
    assert names(helpdesk) == ["Standard"]
    with pytest.raises(NotFound):
        helpdesk.sla.policy(cast.ada_actor, sla.billing.id)
    with pytest.raises(NotFound):
        helpdesk.sla.update_policy(cast.ada_actor, sla.billing.id, name="Back")

    kept = helpdesk.tickets.get(cast.bill_actor, ticket.id)
    assert (kept.response_by, kept.resolution_by) == (ticket.response_by, ticket.resolution_by)
    helpdesk.tickets.update(cast.bill_actor, ticket.id, status="pending")  # its clock still runs
    clock.advance(hours=1)
    resumed = helpdesk.tickets.update(cast.bill_actor, ticket.id, status="open")
    assert resumed.resolution_by == ny(2026, 1, 7, 10, 0)  # 2 business days + the hour waited
    assert billing_ticket(helpdesk, cast).response_by == ny(2026, 1, 5, 11, 0)  # Standard now


def test_calendar_changes_bump_the_version_and_every_process_follows(
    helpdesk_factory, helpdesk, cast, sla, clock
):
    ada = cast.ada_actor
    other = helpdesk_factory()  # another process on the same database, with its own cache
    monday = ny(2026, 1, 5, 9, 0)
    assert other.sla.preview(ada, policy=sla.billing.id, start=monday) == (
        ny(2026, 1, 5, 9, 15),
        ny(2026, 1, 6, 17, 0),
    )
    clock.set(monday)
    ticket = billing_ticket(helpdesk, cast)

    renamed = helpdesk.sla.update_calendar(ada, sla.office.id, name="Head office")
    same = helpdesk.sla.update_calendar(ada, sla.office.id, definition=OFFICE)
    assert renamed.version == same.version == 1 and same.name == "Head office"
    later = {**OFFICE, "hours": {day: [["10:00", "18:00"]] for day in WEEKDAYS}}
    changed = helpdesk.sla.update_calendar(ada, sla.office.id, definition=later)
    assert changed.version == 2 and changed.policy_names == ["Billing"]
    assert all(key is None or key[1] == 2 for key in helpdesk.calendar_cache)

    assert other.sla.preview(ada, policy=sla.billing.id, start=monday) == (
        ny(2026, 1, 5, 10, 15),
        ny(2026, 1, 6, 18, 0),
    )
    assert helpdesk.tickets.get(ada, ticket.id).response_by == ny(2026, 1, 5, 9, 15)
    helpdesk.sla.update_calendar(ada, sla.office.id, recalculate_open_tickets=True)
    assert helpdesk.tickets.get(ada, ticket.id).response_by == ny(2026, 1, 5, 10, 15)


def test_calendar_errors_name_the_part(helpdesk, cast, sla):
    bad = {**OFFICE, "timezone": "Mars/Olympus", "hours": {"mon": [["17:00", "09:00"]]}}
    with pytest.raises(InvalidInput) as info:
        helpdesk.sla.update_calendar(cast.ada_actor, sla.office.id, name="", definition=bad)
    assert "name" in info.value.errors
    with pytest.raises(InvalidInput) as info:
        helpdesk.sla.update_calendar(cast.ada_actor, sla.office.id, definition=bad)
    assert set(info.value.errors) == {"definition.timezone"}
    assert helpdesk.sla.calendar_detail(cast.ada_actor, sla.office.id).version == 1


def test_delete_calendar_only_when_no_policy_uses_it(helpdesk, cast, sla):
    with pytest.raises(Conflict, match="Billing"):
        helpdesk.sla.delete_calendar(cast.ada_actor, sla.office.id)
    spare = helpdesk.sla.create_calendar(cast.ada_actor, name="Spare", definition=OFFICE)
    assert [c.name for c in helpdesk.sla.calendars(cast.ada_actor)] == ["Office", "Spare"]
    helpdesk.sla.delete_calendar(cast.ada_actor, spare.id)
    with pytest.raises(NotFound):
        helpdesk.sla.calendar_detail(cast.ada_actor, spare.id)


def test_preview_of_targets_on_a_calendar(helpdesk, cast, sla, clock):
    ada = cast.ada_actor
    clock.set(ny(2026, 1, 3, 12, 0))  # Saturday noon: the office opens on Monday
    assert helpdesk.sla.preview(
        ada, first_response_minutes=90, resolution_minutes=None, calendar=sla.office.id
    ) == (ny(2026, 1, 5, 10, 30), None)
    assert helpdesk.sla.preview(ada, first_response_minutes=90) == (ny(2026, 1, 3, 13, 30), None)
    assert helpdesk.sla.preview(ada, policy=sla.standard.id) == (
        ny(2026, 1, 3, 13, 0),
        ny(2026, 1, 3, 20, 0),
    )
    with pytest.raises(InvalidInput):
        helpdesk.sla.preview(ada, policy=sla.standard.id, first_response_minutes=5)
    with pytest.raises(InvalidInput) as info:
        helpdesk.sla.preview(ada, first_response_minutes=5, calendar="nowhere")
    assert "calendar" in info.value.errors


def test_only_admins_administer_sla(helpdesk, cast, sla):
    for actor in (cast.ann_actor, cast.carol_actor):
        calls = [
            lambda a: helpdesk.sla.update_policy(a, sla.billing.id, name="Mine"),
            lambda a: helpdesk.sla.delete_policy(a, sla.billing.id),
            lambda a: helpdesk.sla.move_policy(a, sla.urgent.id, "up"),
            lambda a: helpdesk.sla.policy(a, sla.billing.id),
            lambda a: helpdesk.sla.preview(a, policy=sla.billing.id),
            lambda a: helpdesk.sla.update_calendar(a, sla.office.id, name="Mine"),
            lambda a: helpdesk.sla.delete_calendar(a, sla.office.id),
            lambda a: helpdesk.sla.calendars(a),
            lambda a: helpdesk.sla.calendar_detail(a, sla.office.id),
        ]
        for call in calls:
            with pytest.raises(NotFound):
                call(actor)
    assert names(helpdesk) == ["Billing", "Urgent", "Standard"]
    assert helpdesk.sla.calendar_detail(cast.ada_actor, sla.office.id).name == "Office"
