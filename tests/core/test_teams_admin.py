"""Administering teams: renaming, the default flag, replacing and removing members, and deleting
only a team nothing uses — all for admins only."""

from __future__ import annotations

import pytest

from ticketcore.errors import Conflict, InvalidInput, NotFound


def test_an_admin_renames_a_team_and_replaces_its_members(helpdesk, cast):
    team = helpdesk.teams.update(
        cast.ada_actor,
        cast.billing.id,
        name="Accounts",
        members=[cast.ann.id, cast.ada.email, cast.ann.id],
    )
    assert team.name == "Accounts"
    assert team.slug == cast.billing.slug  # settings and SLA policies refer to the slug
    assert sorted(team.member_ids) == sorted([cast.ann.id, cast.ada.id])  # bill left, no dupes
    assert helpdesk.teams.get("billing").member_ids == team.member_ids

    kept = helpdesk.teams.update(cast.ada_actor, "billing", members=[cast.ada.id, cast.bill.id])
    assert sorted(kept.member_ids) == sorted([cast.ada.id, cast.bill.id])

    emptied = helpdesk.teams.update(cast.ada_actor, "billing", members=[])
    assert emptied.member_ids == [] and emptied.name == "Accounts"


def test_names_are_every_team_by_id_in_name_order(helpdesk, cast):
    helpdesk.teams.update(cast.ada_actor, cast.billing.id, name="Accounts")
    names = helpdesk.teams.names()
    assert names == {t.id: t.name for t in helpdesk.teams.list()}
    assert list(names.values()) == sorted(names.values()) and names[cast.billing.id] == "Accounts"


def test_fields_not_given_stay_as_they_are(helpdesk, cast):
    team = helpdesk.teams.update(cast.ada_actor, cast.support.id, name="Front line")
    assert team.member_ids == [cast.ann.id] and team.is_default


def test_one_default_team_at_most(helpdesk, cast):
    billing = helpdesk.teams.update(cast.ada_actor, cast.billing.id, is_default=True)
    assert billing.is_default
    assert not helpdesk.teams.get(cast.support.id).is_default
    ticket = helpdesk.tickets.create(cast.carol_actor, subject="Invoice", body="Wrong").ticket
    assert ticket.team_id == cast.billing.id

    none = helpdesk.teams.update(cast.ada_actor, cast.billing.id, is_default=False)
    assert not none.is_default
    assert [t.name for t in helpdesk.teams.list() if t.is_default] == []


def test_members_must_be_staff_and_bad_input_changes_nothing(helpdesk, cast):
    with pytest.raises(InvalidInput) as caught:
        helpdesk.teams.update(
            cast.ada_actor, cast.support.id, name="Renamed", members=[cast.carol.id, "nobody@x.org"]
        )
    assert caught.value.errors["members"] == [
        f"{cast.carol.email} is not an agent",
        "unknown user 'nobody@x.org'",
    ]
    with pytest.raises(InvalidInput) as caught:
        helpdesk.teams.update(cast.ada_actor, cast.support.id, name="  ")
    assert "name" in caught.value.errors
    assert helpdesk.teams.get(cast.support.id).name == "Support"


def test_remove_member(helpdesk, cast):
    team = helpdesk.teams.remove_member(cast.ada_actor, cast.support.id, cast.ann.email)
    assert team.member_ids == []
    with pytest.raises(InvalidInput, match="is not in Support"):
        helpdesk.teams.remove_member(cast.ada_actor, cast.support.id, cast.ann.id)


def test_a_team_nothing_uses_is_deleted(helpdesk, cast):
    team = helpdesk.teams.create(cast.ada_actor, name="Sales", members=[cast.bill.id])
    helpdesk.teams.delete(cast.ada_actor, team.id)
    assert [t.name for t in helpdesk.teams.list()] == ["Billing", "Support"]
    with pytest.raises(NotFound):
        helpdesk.teams.get(team.id)
    assert helpdesk.users.get(cast.bill.id).is_active  # members lose the team, not the account


def test_a_team_in_use_is_not_deleted(helpdesk, cast):
    helpdesk.tickets.create(cast.carol_actor, subject="Bill", body="b", team="billing")
    helpdesk.tickets.create(cast.carol_actor, subject="Bill 2", body="b", team="billing")
    helpdesk.canned.create(cast.ada_actor, title="Refund", body="Done.", team="billing")
    with pytest.raises(Conflict) as caught:
        helpdesk.teams.delete(cast.ada_actor, cast.billing.id)
    assert str(caught.value) == (
        "Billing cannot be deleted: it still has 2 tickets and 1 canned response. "
        "Move them to another team first."
    )
    assert helpdesk.teams.get(cast.billing.id).member_ids == [cast.bill.id]


def test_an_sla_policy_keeps_its_team(helpdesk, cast):
    helpdesk.sla.create_policy(
        cast.ada_actor, name="Billing fast", team="billing", first_response_minutes=60
    )
    with pytest.raises(Conflict, match="it still has 1 SLA policy\\."):
        helpdesk.teams.delete(cast.ada_actor, cast.billing.id)


def test_the_default_team_is_not_deleted(helpdesk, cast):
    with pytest.raises(Conflict, match="Support is the default team for new tickets"):
        helpdesk.teams.delete(cast.ada_actor, cast.support.id)


@pytest.mark.parametrize("who", ["ann", "carol"])
def test_only_admins_change_teams(helpdesk, cast, who):
    actor = getattr(cast, f"{who}_actor")
    with pytest.raises(NotFound):
        helpdesk.teams.update(actor, cast.support.id, name="Mine")
    with pytest.raises(NotFound):
        helpdesk.teams.remove_member(actor, cast.support.id, cast.ann.id)
    with pytest.raises(NotFound):
        helpdesk.teams.delete(actor, cast.billing.id)
    assert [(t.name, t.member_ids) for t in helpdesk.teams.list()] == [
        ("Billing", [cast.bill.id]),
        ("Support", [cast.ann.id]),
    ]


def test_an_unknown_team_is_not_found(helpdesk, cast):
    with pytest.raises(NotFound):
        helpdesk.teams.update(cast.ada_actor, 9999, name="X")
    with pytest.raises(NotFound):
        helpdesk.teams.delete(cast.ada_actor, "no-such-team")
