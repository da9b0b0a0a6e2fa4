"""Ticket lists for both portals: filters, search, sorting, pages, counts — and a fixed SQL cost."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from engine_events import statements_sent, work_of
from ticketcore import Actor, InvalidInput, Priority, Status


@pytest.fixture
def tickets(helpdesk, cast, clock):
    """Five tickets opened a minute apart, in several states."""
    made = {}
    specs = [
        ("carol", "Printer jams on page two", {"priority": "low"}),
        ("carol", "VPN drops every hour", {"priority": "urgent"}),
        ("dave", "Invoice 2291 is wrong", {"team": "billing", "priority": "high"}),
        ("erin", "Password reset mail never arrives", {}),
        ("carol", "Export to CSV (feature)", {}),
    ]
    for who, subject, extra in specs:
        clock.advance(minutes=1)
        actor = getattr(cast, f"{who}_actor")
        made[subject.split()[0].lower()] = helpdesk.tickets.create(
            actor, subject=subject, body="details", **extra
        ).ticket
    clock.advance(minutes=1)
    helpdesk.messages.reply(
        cast.ann_actor, made["printer"].id, body="Which model?", status="pending"
    )
    clock.advance(minutes=1)
    helpdesk.tickets.close(cast.ann_actor, made["export"].id, resolved=True)
    return made


def subjects(page):
    return [t.subject.split()[0] for t in page.items]


def test_customer_status_groups(helpdesk, cast, tickets):
    carol = cast.carol_actor
    assert subjects(helpdesk.tickets.list(carol, status_group="active")) == ["VPN"]
    assert subjects(helpdesk.tickets.list(carol, status_group="waiting_on_you")) == ["Printer"]
    assert subjects(helpdesk.tickets.list(carol, status_group="closed")) == ["Export"]
    counts = helpdesk.tickets.counts(carol)
    assert counts.by_group == {"active": 1, "waiting_on_you": 1, "closed": 1}
    assert counts.by_status[Status.RESOLVED] == 1 and counts.total == 3


def test_default_sort_is_last_reply_newest_first(helpdesk, cast, tickets):
    page = helpdesk.tickets.list(cast.carol_actor)
    assert subjects(page) == ["Printer", "Export", "VPN"]  # the reply moved Printer up
    oldest_first = helpdesk.tickets.list(cast.carol_actor, sort="created", descending=False)
    assert subjects(oldest_first) == ["Printer", "VPN", "Export"]


def test_sort_by_priority(helpdesk, cast, tickets):
    page = helpdesk.tickets.list(cast.ada_actor, sort="priority")
    assert [t.priority for t in page.items][:3] == [Priority.URGENT, Priority.HIGH, Priority.NORMAL]


def test_text_search_by_subject_track_id_and_number(helpdesk, cast, tickets):
    admin = cast.ada_actor
    assert subjects(helpdesk.tickets.list(admin, text="vpn")) == ["VPN"]
    invoice = tickets["invoice"]
    typed = invoice.track_id.lower().replace("-", "")
    assert subjects(helpdesk.tickets.list(admin, text=typed)) == ["Invoice"]
    assert subjects(helpdesk.tickets.list(admin, text=f"#{invoice.number}")) == ["Invoice"]
    # LIKE wildcards are matched literally, not as patterns.
    assert helpdesk.tickets.list(admin, text="%").total == 0
    assert subjects(helpdesk.tickets.list(admin, text="(feature)")) == ["Export"]


def test_search_never_widens_visibility(helpdesk, cast, tickets):
    assert helpdesk.tickets.list(cast.carol_actor, text="invoice").total == 0
    number = tickets["invoice"].number
    assert helpdesk.tickets.list(cast.carol_actor, text=str(number)).total == 0


def test_staff_filters(helpdesk, cast, tickets):
    admin = cast.ada_actor
    billing = helpdesk.teams.get("billing")
    assert subjects(helpdesk.tickets.list(admin, team=billing.id)) == ["Invoice"]
    assert helpdesk.tickets.list(admin, assignee="none").total == 0
    assert helpdesk.tickets.list(cast.ann_actor, assignee="me").total == 4
    assert subjects(helpdesk.tickets.list(admin, requester=cast.erin.id)) == ["Password"]
    assert helpdesk.tickets.list(admin, organization=cast.acme.id).total == 4
    assert subjects(helpdesk.tickets.list(admin, priority=["urgent", "high"], sort="priority")) == [
        "VPN",
        "Invoice",
    ]
    assert helpdesk.tickets.list(admin, status=["pending", "resolved"]).total == 2


def test_pagination(helpdesk, cast, tickets):
    first = helpdesk.tickets.list(cast.ada_actor, per_page=2, sort="created", descending=False)
    third = helpdesk.tickets.list(
        cast.ada_actor, per_page=2, page=3, sort="created", descending=False
    )
    assert (first.total, first.pages) == (5, 3)
    assert subjects(first) == ["Printer", "VPN"]
    assert subjects(third) == ["Export"]


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"per_page": 1000}, "per_page"),
        ({"page": 0}, "page"),
        ({"sort": "random"}, "sort"),
        ({"priority": ["critical"]}, "priority"),
        ({"status_group": "later"}, "status_group"),
    ],
)
def test_bad_list_parameters_are_invalid_input(helpdesk, cast, fields, field):
    with pytest.raises(InvalidInput) as info:
        helpdesk.tickets.list(cast.ada_actor, **fields)
    assert field in info.value.errors


def test_list_costs_the_same_sql_whatever_the_number_of_rows(helpdesk, cast, clock):
    def cost(action) -> int:
        with statements_sent(helpdesk) as sent:
            action()
        return len(work_of(sent))

    def page_cost(actor):
        return cost(lambda: helpdesk.tickets.list(actor, per_page=50))

    def counts_cost(actor):
        return cost(lambda: helpdesk.tickets.counts(actor))

    helpdesk.tickets.create(cast.carol_actor, subject="first", body="b")
    small = (page_cost(cast.ada_actor), page_cost(cast.carol_actor), counts_cost(cast.ann_actor))
    for i in range(30):
        clock.advance(seconds=1)
        who = (cast.carol_actor, cast.dave_actor, cast.erin_actor)[i % 3]
        helpdesk.tickets.create(
            who, subject=f"ticket {i}", body="b", team=("support", "billing")[i % 2]
        )
    large = (page_cost(cast.ada_actor), page_cost(cast.carol_actor), counts_cost(cast.ann_actor))
    assert helpdesk.tickets.list(cast.ada_actor, per_page=50).total == 31
    assert small == large
    assert large[0] <= 2 and large[2] == 1


def test_scope_my_teams(helpdesk, cast, tickets):
    # Ann takes over the invoice, a Billing ticket: hers, but not her team's.
    helpdesk.tickets.update(cast.ada_actor, tickets["invoice"].id, assignee="ann@help.example.com")
    ann = subjects(helpdesk.tickets.list(cast.ann_actor, scope="my_teams", sort="created"))
    assert ann == ["Export", "Password", "VPN", "Printer"]
    assert helpdesk.tickets.list(cast.ann_actor).total == 5
    assert subjects(helpdesk.tickets.list(cast.bill_actor, scope="my_teams")) == ["Invoice"]
    assert helpdesk.tickets.list(cast.ada_actor, scope="my_teams").total == 0  # in no team
    assert helpdesk.tickets.list(cast.carol_actor, scope="my_teams").total == 0


def test_created_between_dates_in_utc_days(helpdesk, cast, clock):
    for moment, subject in [
        (datetime(2026, 2, 1, 23, 59, 59, tzinfo=UTC), "Sunday night"),
        (datetime(2026, 2, 2, 0, 0, tzinfo=UTC), "Monday midnight"),
        (datetime(2026, 2, 3, 23, 59, 59, 999999, tzinfo=UTC), "Tuesday's last moment"),
        (datetime(2026, 2, 4, 0, 0, tzinfo=UTC), "Wednesday midnight"),
    ]:
        clock.set(moment)
        helpdesk.tickets.create(cast.carol_actor, subject=subject, body="b")

    def between(**dates):
        page = helpdesk.tickets.list(cast.ada_actor, sort="created", descending=False, **dates)
        return [t.subject for t in page.items]

    assert between(created_from="2026-02-02", created_to="2026-02-03") == [
        "Monday midnight",
        "Tuesday's last moment",
    ]
    assert between(created_from=date(2026, 2, 3)) == ["Tuesday's last moment", "Wednesday midnight"]
    assert between(created_to=date(2026, 2, 1)) == ["Sunday night"]
    assert between(created_from="2026-02-02", created_to="2026-02-02") == ["Monday midnight"]
    with pytest.raises(InvalidInput) as info:
        between(created_from="2026-02-03", created_to="2026-02-02")
    assert set(info.value.errors) == {"created_to"}
    with pytest.raises(InvalidInput) as info:
        between(created_from="February")
    assert set(info.value.errors) == {"created_from"}


def test_text_search_reads_the_messages_the_actor_may_read(helpdesk, cast, tickets):
    vpn, invoice = tickets["vpn"], tickets["invoice"]
    helpdesk.messages.reply(
        cast.ann_actor, vpn.id, body="Please update the Cisco AnyConnect client"
    )
    helpdesk.messages.add_note(cast.ann_actor, vpn.id, body="Known bug in firmware 4.2 (secret)")
    helpdesk.messages.add_note(cast.bill_actor, invoice.id, body="Refund approved, ANYCONNECT n/a")

    assert subjects(helpdesk.tickets.list(cast.carol_actor, text="anyconnect")) == ["VPN"]
    assert subjects(helpdesk.tickets.list(cast.ada_actor, text="AnyConnect")) == ["VPN", "Invoice"]
    # The first message of a ticket is searched too.
    assert helpdesk.tickets.list(cast.carol_actor, text="details").total == 3
    # Notes are found by staff only; customers never learn a word of them.
    assert subjects(helpdesk.tickets.list(cast.ann_actor, text="firmware 4.2")) == ["VPN"]
    assert helpdesk.tickets.list(cast.carol_actor, text="firmware").total == 0
    assert helpdesk.tickets.list(cast.carol_actor, text="secret").total == 0
    # Wildcards in the words are matched literally, in messages as in subjects.
    assert helpdesk.tickets.list(cast.ada_actor, text="n/a").total == 1
    assert helpdesk.tickets.list(cast.ada_actor, text="4_2").total == 0


def test_sort_by_due_puts_tickets_without_a_deadline_last(helpdesk, cast, clock):
    helpdesk.sla.create_policy(
        Actor.system(), name="Billing in a day", team="billing", resolution_minutes=24 * 60
    )
    helpdesk.sla.create_policy(
        Actor.system(), name="Urgent in an hour", priority="urgent", resolution_minutes=60
    )
    for subject, extra in [
        ("No deadline", {}),
        ("Day", {"team": "billing"}),
        ("Hour", {"priority": "urgent"}),
        ("Another without", {}),
    ]:
        clock.advance(minutes=1)
        helpdesk.tickets.create(cast.carol_actor, subject=subject, body="b", **extra)

    def due(descending):
        page = helpdesk.tickets.list(cast.ada_actor, sort="due", descending=descending)
        return [t.subject for t in page.items]

    assert due(descending=False) == ["Hour", "Day", "No deadline", "Another without"]
    assert due(descending=True) == ["Day", "Hour", "Another without", "No deadline"]
