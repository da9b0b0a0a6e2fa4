"""Administration → SLA: policies in match order (moved up and down), created and edited in hours
and minutes with a preview of a new ticket's deadlines; calendars with weekly hours and named
holidays; open tickets keep their deadlines unless recalculated; only admins reach any of it."""

from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

import pytest

from ticketcore.web.templating import format_when

SLA = "/support/agent/admin/sla"
POLICIES = f"{SLA}/policies"
CALENDARS = f"{SLA}/calendars"
WEEKDAYS = {day: [["09:00", "17:00"]] for day in ("mon", "tue", "wed", "thu", "fri")}
BLANK_POLICY = {
    "name": "",
    "response_hours": "",
    "response_minutes": "",
    "resolution_hours": "",
    "resolution_minutes": "",
    "calendar": "",
    "priority": "",
    "team": "",
    "organization": "",
}


def when(*args: int) -> str:
    """A UTC moment as the pages show it to an agent in UTC (Babel's spacing included)."""
    return format_when(datetime(*args, tzinfo=UTC))


def logged_in(web: SimpleNamespace, user: Any) -> Any:
    client = web.client()
    client.log_in_as(user.id)
    return client


@pytest.fixture
def sla(web: SimpleNamespace) -> SimpleNamespace:
    """The clock stands at Monday 2026-01-05 09:00 UTC; agents read times in UTC."""
    service, system = web.helpdesk.sla, web.cast.system
    office = service.create_calendar(
        system,
        name="Office",
        definition={"timezone": "UTC", "hours": WEEKDAYS, "holidays": ["2026-01-06"]},
    )
    return SimpleNamespace(
        office=office,
        standard=service.create_policy(
            system,
            name="Standard",
            first_response_minutes=60,
            resolution_minutes=480,
            is_default=True,
        ),
        billing=service.create_policy(
            system,
            name="Billing",
            team="billing",
            calendar=office.id,
            first_response_minutes=15,
            resolution_minutes=960,
        ),
        urgent=service.create_policy(
            system, name="Urgent", priority="urgent", first_response_minutes=5
        ),
    )


def order(web: SimpleNamespace) -> list[str]:
    return [p.name for p in web.helpdesk.sla.policies()]


def test_the_overview_lists_policies_in_match_order_and_moves_them(web, sla):
    ada = logged_in(web, web.cast.ada)
    page = ada.get(SLA)
    assert page.status == 200
    text = page.text
    assert text.index(">Billing</a>") < text.index(">Urgent</a>") < text.index(">Standard</a>")
    assert "Team: Billing" in text and "Priority: Urgent" in text
    assert "15 minutes" in text and "16 hours" in text and "No target" in text
    assert "Every ticket no other policy matches" in text
    assert f'href="{CALENDARS}/{sla.office.id}">Office</a>' in text and "used by Billing" in text

    moved = ada.post(f"{POLICIES}/{sla.urgent.id}/move", {"direction": "up"})
    assert moved.status == 200 and moved.url == SLA
    assert order(web) == ["Urgent", "Billing", "Standard"]
    ada.post(f"{POLICIES}/{sla.urgent.id}/move", {"direction": "down"})
    assert order(web) == ["Billing", "Urgent", "Standard"]
    assert ada.post(f"{POLICIES}/{sla.standard.id}/move", {"direction": "up"}).status == 400


def test_an_admin_previews_then_creates_a_policy(web, sla):
    ada = logged_in(web, web.cast.ada)
    form = ada.get(f"{POLICIES}/new")
    assert form.status == 200
    assert '<label for="f-response_hours">First response: hours' in form.text
    assert '<option value="" selected>Around the clock (UTC)</option>' in form.text
    typed = {
        **BLANK_POLICY,
        "name": "Acme office hours",
        "response_hours": "1",
        "response_minutes": "30",
        "resolution_hours": "12",
        "calendar": str(sla.office.id),
        "organization": str(web.cast.acme.id),
    }
    preview = ada.post(f"{POLICIES}/new", {**typed, "action": "preview"})
    assert preview.status == 200
    # Monday 09:00 + 1:30 of office time; 12 hours run into Wednesday (Tuesday is a holiday).
    assert (
        f"A ticket opened now would be due for a first response by {when(2026, 1, 5, 10, 30)} "
        f"and resolved by {when(2026, 1, 7, 13, 0)}." in preview.text
    )
    assert 'name="name" type="text" value="Acme office hours"' in preview.text
    assert order(web) == ["Billing", "Urgent", "Standard"]

    made = ada.post(f"{POLICIES}/new", typed)
    assert made.status == 200 and made.url == SLA
    assert "SLA policy “Acme office hours” created." in made.text
    assert order(web) == ["Billing", "Urgent", "Acme office hours", "Standard"]
    acme = web.helpdesk.sla.policies()[2]
    assert (acme.first_response_minutes, acme.resolution_minutes) == (90, 720)
    assert (acme.calendar_id, acme.organization_id) == (sla.office.id, web.cast.acme.id)


def test_mistakes_show_beside_their_fields(web, sla):
    ada = logged_in(web, web.cast.ada)
    bad = ada.post(
        f"{POLICIES}/new",
        {**BLANK_POLICY, "response_hours": "two", "resolution_minutes": "75"},
    )
    assert bad.status == 400
    assert 'id="name-error">Give the policy a name.' in bad.text
    assert 'id="response_hours-error">Enter a whole number of hours.' in bad.text
    assert 'id="resolution_minutes-error">Enter minutes from 0 to 59.' in bad.text
    conditions = ada.post(
        f"{POLICIES}/new",
        {**BLANK_POLICY, "name": "Odd", "team": str(web.cast.support.id), "is_default": "1"},
    )
    assert conditions.status == 400
    assert "the default policy applies to every ticket: give it no conditions" in conditions.text
    assert order(web) == ["Billing", "Urgent", "Standard"]


def test_editing_a_policy_recalculates_open_tickets_only_when_asked(web, sla):
    cast = web.cast
    ticket = web.helpdesk.tickets.create(
        cast.erin_actor, subject="Invoice", body="b", team="billing"
    ).ticket
    ada = logged_in(web, cast.ada)
    page = ada.get(f"{POLICIES}/{sla.billing.id}")
    assert page.status == 200
    assert 'name="response_hours" type="number" value="0"' in page.text
    assert 'name="response_minutes" type="number" value="15"' in page.text
    assert (
        f"A ticket opened now would be due for a first response by {when(2026, 1, 5, 9, 15)} "
        f"and resolved by {when(2026, 1, 7, 17, 0)}." in page.text
    )
    edited = {
        **BLANK_POLICY,
        "name": "Billing",
        "response_minutes": "30",
        "resolution_hours": "16",
        "calendar": str(sla.office.id),
        "team": str(cast.billing.id),
    }
    saved = ada.post(f"{POLICIES}/{sla.billing.id}", edited)
    assert saved.status == 200 and "SLA policy “Billing” saved." in saved.text
    assert web.helpdesk.tickets.get(cast.ada_actor, ticket.id).response_by == ticket.response_by

    saved = ada.post(f"{POLICIES}/{sla.billing.id}", {**edited, "recalculate": "1"})
    assert "open tickets under it have new deadlines" in saved.text
    recalculated = web.helpdesk.tickets.get(cast.ada_actor, ticket.id)
    assert recalculated.response_by.isoformat() == "2026-01-05T09:30:00+00:00"


def test_deleting_a_policy_that_tickets_have_keeps_their_deadlines(web, sla):
    cast = web.cast
    ticket = web.helpdesk.tickets.create(
        cast.erin_actor, subject="Invoice", body="b", team="billing"
    ).ticket
    ada = logged_in(web, cast.ada)
    removed = ada.post(f"{POLICIES}/{sla.billing.id}/delete")
    assert removed.status == 200 and "Tickets that had it keep their deadlines." in removed.text
    deleted = ada.post(f"{POLICIES}/{sla.urgent.id}/delete")
    assert "SLA policy “Urgent” deleted." in deleted.text
    assert order(web) == ["Standard"]
    assert web.helpdesk.tickets.get(cast.ada_actor, ticket.id).response_by == ticket.response_by
    assert ada.get(f"{POLICIES}/{sla.billing.id}").status == 404


def test_an_admin_creates_a_calendar_with_hours_and_named_holidays(web):
    ada = logged_in(web, web.cast.ada)
    form = ada.get(f"{CALENDARS}/new")
    assert '<label for="f-hours_mon">Monday' in form.text
    assert 'name="hours_mon" type="text" value="09:00-17:00"' in form.text
    assert 'name="hours_sat" type="text" value=""' in form.text
    assert '<label for="f-holiday-0-date">Holiday 1: date' in form.text
    made = ada.post(
        f"{CALENDARS}/new",
        {
            "name": "Berlin office",
            "timezone": "Europe/Berlin",
            "hours_mon": "8:00-12:00, 13:00 - 17:00",
            "hours_tue": "08:00-17:00",
            "holiday_rows": "3",
            "holiday-0-date": "2026-12-24",
            "holiday-0-name": "Christmas Eve",
            "holiday-1-date": "05-01",
        },
    )
    assert made.status == 200 and "Calendar “Berlin office” created." in made.text
    (calendar,) = web.helpdesk.sla.calendars(web.cast.system)
    assert made.url == f"{CALENDARS}/{calendar.id}"
    assert calendar.definition["hours"]["mon"] == [["08:00", "12:00"], ["13:00", "17:00"]]
    assert calendar.definition["holidays"] == [
        "05-01",
        {"date": "2026-12-24", "name": "Christmas Eve"},
    ]
    assert 'name="holiday-1-name" type="text" value="Christmas Eve"' in made.text
    assert "Remove holiday 2" in made.text and "Customers read:" in made.text
    assert "No policy uses this calendar yet." in made.text


def test_calendar_mistakes_show_beside_the_day_or_row(web, sla):
    ada = logged_in(web, web.cast.ada)
    url = f"{CALENDARS}/{sla.office.id}"
    bad = ada.post(
        url,
        {
            "name": "Office",
            "timezone": "UTC",
            "hours_mon": "nine to five",
            "hours_tue": "09:00-25:00",
            "holiday_rows": "1",
            "holiday-0-date": "12/25",
            "holiday-0-name": "Christmas",
        },
    )
    assert bad.status == 400
    assert 'id="hours_mon-error">Write opening hours as 09:00-17:00' in bad.text
    assert 'id="holiday-0-date-error">Enter a date as YYYY-MM-DD' in bad.text
    core = ada.post(url, {"name": "Office", "timezone": "UTC", "hours_tue": "09:00-25:00"})
    assert core.status == 400
    assert 'id="hours_tue-error">&#39;25:00&#39; is not a time of day' in core.text
    closed = ada.post(url, {"name": "Office", "timezone": "UTC"})
    assert closed.status == 400 and 'id="hours-error">the calendar is never open' in closed.text
    assert web.helpdesk.sla.calendar_detail(web.cast.system, sla.office.id).version == 1


def test_a_calendar_change_shows_in_the_preview_and_reaches_tickets_when_asked(web, sla):
    cast = web.cast
    ticket = web.helpdesk.tickets.create(
        cast.erin_actor, subject="Invoice", body="b", team="billing"
    ).ticket
    ada = logged_in(web, cast.ada)
    url = f"{CALENDARS}/{sla.office.id}"
    page = ada.get(url)
    assert "Billing:</strong> A ticket opened now would be due for a first response by " in (
        page.text
    )
    assert when(2026, 1, 5, 9, 15) in page.text
    assert 'name="holiday-0-date" type="text" value="2026-01-06"' in page.text
    later = {
        "name": "Office",
        "timezone": "UTC",
        **{f"hours_{d}": "10:00-18:00" for d in ("mon", "tue", "wed", "thu", "fri")},
        "holiday_rows": "1",
        "holiday-0-date": "2026-01-06",
    }
    saved = ada.post(url, later)
    assert saved.status == 200 and "Calendar “Office” saved." in saved.text
    assert when(2026, 1, 5, 10, 15) in saved.text
    assert web.helpdesk.sla.calendar_detail(cast.system, sla.office.id).version == 2
    assert web.helpdesk.tickets.get(cast.ada_actor, ticket.id).response_by == ticket.response_by

    removed = ada.post(url, {**later, "holiday-0-remove": "1", "recalculate": "1"})
    assert "open tickets following it have new deadlines" in removed.text
    assert web.helpdesk.sla.calendar_detail(cast.system, sla.office.id).definition["holidays"] == []
    recalculated = web.helpdesk.tickets.get(cast.ada_actor, ticket.id)
    assert recalculated.response_by.isoformat() == "2026-01-05T10:15:00+00:00"

    trial = ada.get(f"{url}?response_hours=2&response_minutes=&resolution_hours=")
    assert "Your targets:</strong> A ticket opened now would be due for a first response by " in (
        trial.text
    )
    assert f"{when(2026, 1, 5, 12, 0)} (no resolution target)" in trial.text
    wrong = ada.get(f"{url}?response_hours=2&response_minutes=99")
    assert 'id="response_minutes-error">Enter minutes from 0 to 59.' in wrong.text


def test_a_calendar_in_use_is_not_deleted(web, sla):
    ada = logged_in(web, web.cast.ada)
    page = ada.get(f"{CALENDARS}/{sla.office.id}")
    assert "Delete calendar" not in page.text and "give them another one" in page.text
    refused = ada.post(f"{CALENDARS}/{sla.office.id}/delete")
    assert refused.status == 200 and "cannot be deleted" in refused.text
    spare = web.helpdesk.sla.create_calendar(
        web.cast.system, name="Spare", definition={"timezone": "UTC", "hours": WEEKDAYS}
    )
    assert "Delete calendar" in ada.get(f"{CALENDARS}/{spare.id}").text
    gone = ada.post(f"{CALENDARS}/{spare.id}/delete")
    assert gone.url == SLA and "Calendar “Spare” deleted." in gone.text
    assert [c.name for c in web.helpdesk.sla.calendars(web.cast.system)] == ["Office"]


def test_only_admins_reach_sla_administration(web, sla):
    cast = web.cast
    policy, calendar = f"{POLICIES}/{sla.billing.id}", f"{CALENDARS}/{sla.office.id}"
    pages = [SLA, f"{POLICIES}/new", policy, f"{CALENDARS}/new", calendar]
    posts = [
        (f"{POLICIES}/new", {**BLANK_POLICY, "name": "Mine"}),
        (policy, {**BLANK_POLICY, "name": "Mine"}),
        (f"{policy}/move", {"direction": "down"}),
        (f"{policy}/delete", {}),
        (f"{CALENDARS}/new", {"name": "Mine", "timezone": "UTC", "hours_mon": "09:00-17:00"}),
        (calendar, {"name": "Mine", "timezone": "UTC", "hours_mon": "09:00-17:00"}),
        (f"{calendar}/delete", {}),
    ]
    for user in (cast.ann, cast.carol):
        browser = logged_in(web, user)
        for url in pages:
            assert browser.get(url).status == 404, url
        for url, data in posts:
            assert browser.post(url, data).status == 404, url
    assert "/login" in web.client().get(SLA).url
    assert order(web) == ["Billing", "Urgent", "Standard"]
    office = web.helpdesk.sla.calendar_detail(cast.system, sla.office.id)
    assert (office.name, office.version) == ("Office", 1)
