"""New tickets take the default team and the SLA policies from a copy each helpdesk keeps, and
an edit made through another helpdesk on the same database (another process) is seen by the
very next ticket: the configuration version it raises says the copy is stale."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from engine_events import statements_sent, work_of
from ticketcore.models import Counter, Team
from ticketcore.permissions import Actor

OFFICE = {
    "timezone": "UTC",
    "hours": {day: [["09:00", "17:00"]] for day in ("mon", "tue", "wed", "thu", "fri")},
}


def _version(helpdesk) -> int:
    with helpdesk.sessionmaker() as session:
        return session.scalar(select(Counter.value).where(Counter.name == "config"))


def _standard_policy(helpdesk):
    """The default policy: a first response within an hour, around the clock."""
    return helpdesk.sla.create_policy(
        Actor.system(), name="Standard", is_default=True, first_response_minutes=60
    )


def _open(helpdesk, cast, subject="Printer jam"):
    return helpdesk.tickets.create(cast.carol_actor, subject=subject, body="It jams.").ticket


def test_once_the_copy_is_current_a_ticket_reads_no_team_and_no_policy(helpdesk, cast) -> None:
    _standard_policy(helpdesk)
    _open(helpdesk, cast)  # reads them, and keeps them
    with statements_sent(helpdesk) as sent:
        ticket = _open(helpdesk, cast)
    # (Round-robin still reads, and elsewhere than on SQLite locks, the team's last assignee.)
    loads = [s for s in work_of(sent) if "ticketcore_teams.slug" in s or "sla_policies." in s]
    assert loads == []
    assert ticket.team_name == "Support" and ticket.assignee.id == cast.ann.id
    assert ticket.response_by == ticket.created_at + timedelta(minutes=60)


def test_another_process_changing_the_default_team_is_seen_by_the_next_ticket(
    helpdesk_factory, cast, helpdesk
) -> None:
    assert _open(helpdesk, cast).team_name == "Support"
    other = helpdesk_factory()  # another process on the same database
    other.teams.update(Actor.system(), cast.billing.id, is_default=True)
    ticket = _open(helpdesk, cast)
    assert (ticket.team_name, ticket.assignee.id) == ("Billing", cast.bill.id)


def test_another_process_changing_a_policy_or_its_calendar_is_seen_by_the_next_ticket(
    helpdesk_factory, cast, helpdesk
) -> None:
    system = Actor.system()
    policy = _standard_policy(helpdesk)
    first = _open(helpdesk, cast)
    assert first.response_by == first.created_at + timedelta(minutes=60)

    other = helpdesk_factory()
    other.sla.update_policy(system, policy.id, first_response_minutes=30)
    second = _open(helpdesk, cast)
    assert second.response_by == second.created_at + timedelta(minutes=30)

    # Nine to five on weekdays: 600 business minutes end two days later, not ten hours later.
    calendar = other.sla.create_calendar(system, name="Office", definition=OFFICE)
    other.sla.update_policy(system, policy.id, calendar=calendar.id, first_response_minutes=600)
    third = _open(helpdesk, cast)
    assert third.response_by == helpdesk.sla.calendar(calendar.id).add(third.created_at, 600)
    assert third.response_by != third.created_at + timedelta(minutes=600)

    other.sla.delete_policy(system, policy.id)
    assert _open(helpdesk, cast).response_by is None


def test_a_bulk_update_of_teams_raises_the_version_and_round_robin_does_not(helpdesk, cast) -> None:
    before = _version(helpdesk)
    for n in range(3):  # round-robin moves the team's last assignee each time
        _open(helpdesk, cast, subject=f"Jam {n}")
    assert _version(helpdesk) == before
    with helpdesk.sessionmaker.begin() as session:
        session.execute(update(Team).values(is_default=False))
    assert _version(helpdesk) == before + 1
    assert _open(helpdesk, cast).team_name is None


@pytest.mark.parametrize("kind", ["rename", "member added"])
def test_what_a_team_edit_changes_decides_whether_the_version_moves(helpdesk, cast, kind) -> None:
    before = _version(helpdesk)
    if kind == "rename":
        helpdesk.teams.update(Actor.system(), cast.support.id, name="Front desk")
        assert _version(helpdesk) == before + 1
        assert _open(helpdesk, cast).team_name == "Front desk"
    else:  # members are not part of the copy: round-robin asks the database for them
        helpdesk.teams.add_member(Actor.system(), cast.support.id, cast.bill.id)
        assert _version(helpdesk) == before
        assignees = {_open(helpdesk, cast, subject=f"Jam {n}").assignee.id for n in range(2)}
        assert assignees == {cast.ann.id, cast.bill.id}


def test_the_promise_on_the_portal_comes_from_the_copy_and_follows_edits(
    helpdesk_factory, cast, helpdesk
) -> None:
    system = Actor.system()
    policy = _standard_policy(helpdesk)
    assert helpdesk.sla.typical_response() == "We typically respond within 1 hour"
    with statements_sent(helpdesk) as sent:
        helpdesk.sla.typical_response()
    assert [s for s in sent if "ticketcore_teams" in s or "sla_policies" in s] == []

    helpdesk_factory().sla.update_policy(system, policy.id, first_response_minutes=15)
    assert helpdesk.sla.typical_response() == "We typically respond within 15 minutes"
