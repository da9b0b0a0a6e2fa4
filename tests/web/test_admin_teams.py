"""Administration → Teams, driven as an admin would: create a team with members ticked, rename
it, change members and the default flag, delete one nothing uses; refused deletes say why; and
agents, customers and visitors never reach any of it."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

TEAMS = "/support/agent/admin/teams"


def logged_in(web: SimpleNamespace, user: Any) -> Any:
    client = web.client()
    client.log_in_as(user.id)
    return client


def team_url(team: Any, action: str = "") -> str:
    return f"{TEAMS}/{team.id}" + (f"/{action}" if action else "")


def checkbox(page: Any, name: str, value: Any) -> str:
    """The markup of one box of a checkbox list, from `id` up to its closing `>`."""
    start = page.text.index(f'id="f-{name}-{value}"')
    return page.text[start : page.text.index(">", start)]


def test_the_list_shows_teams_their_members_and_the_default(web):
    ada = logged_in(web, web.cast.ada)
    page = ada.get(TEAMS)
    assert page.status == 200
    assert f'href="{team_url(web.cast.support)}">Support</a>' in page.text
    assert "Default" in page.text and "Ann" in page.text and "Bill" in page.text
    assert 'href="/support/agent/admin/teams/new"' in page.text


def test_an_admin_creates_a_team_with_members(web):
    cast = web.cast
    ada = logged_in(web, cast.ada)
    form = ada.get(f"{TEAMS}/new")
    assert form.status == 200
    assert '<label for="f-name">Name' in form.text
    assert f'<label for="f-members-{cast.ann.id}">Ann (ann@help.example.com)' in form.text
    assert f'f-members-{cast.carol.id}"' not in form.text  # customers are no members

    made = ada.post(
        f"{TEAMS}/new", {"name": "Sales", "members": [str(cast.ann.id), str(cast.ada.id)]}
    )
    assert made.status == 200 and made.url.split("?")[0] == TEAMS
    assert "Team “Sales” created." in made.text
    (sales,) = [t for t in web.helpdesk.teams.list() if t.name == "Sales"]
    assert sorted(sales.member_ids) == sorted([cast.ann.id, cast.ada.id])
    assert not sales.is_default


def test_an_admin_renames_a_team_changes_members_and_the_default(web):
    cast = web.cast
    ada = logged_in(web, cast.ada)
    page = ada.get(team_url(cast.billing))
    assert 'value="Billing"' in page.text
    assert "checked" in checkbox(page, "members", cast.bill.id)
    assert "checked" not in checkbox(page, "members", cast.ann.id)

    saved = ada.post(
        team_url(cast.billing),
        {"name": "Accounts", "is_default": "1", "members": [str(cast.ann.id)]},
    )
    assert saved.status == 200 and "Team “Accounts” saved." in saved.text
    billing = web.helpdesk.teams.get(cast.billing.id)
    assert (billing.name, billing.is_default, billing.member_ids) == (
        "Accounts",
        True,
        [cast.ann.id],
    )
    assert not web.helpdesk.teams.get(cast.support.id).is_default

    emptied = ada.post(team_url(cast.billing), {"name": "Accounts", "is_default": "1"})
    assert emptied.status == 200
    assert web.helpdesk.teams.get(cast.billing.id).member_ids == []


def test_a_deactivated_member_stays_on_the_form(web):
    cast = web.cast
    web.helpdesk.users.update(cast.ada_actor, cast.bill.id, is_active=False)
    ada = logged_in(web, cast.ada)
    page = ada.get(team_url(cast.billing))
    assert "checked" in checkbox(page, "members", cast.bill.id)
    assert "deactivated" in page.text
    ada.post(team_url(cast.billing), {"name": "Billing", "members": [str(cast.bill.id)]})
    assert web.helpdesk.teams.get(cast.billing.id).member_ids == [cast.bill.id]


def test_bad_input_is_shown_beside_the_field_and_kept(web):
    cast = web.cast
    ada = logged_in(web, cast.ada)
    refused = ada.post(team_url(cast.support), {"name": "  ", "members": [str(cast.bill.id)]})
    assert refused.status == 400
    assert 'id="name-error"' in refused.text
    assert "checked" in checkbox(refused, "members", cast.bill.id)  # what was ticked stays
    assert "checked" not in checkbox(refused, "members", cast.ann.id)
    # A customer is not offered, but a forged form is answered beside the list.
    forged = ada.post(team_url(cast.support), {"name": "Helpers", "members": [str(cast.carol.id)]})
    assert forged.status == 400
    assert 'id="members-error">carol@acme.example.com is not an agent' in forged.text
    assert 'value="Helpers"' in forged.text
    team = web.helpdesk.teams.get(cast.support.id)
    assert (team.name, team.member_ids) == ("Support", [cast.ann.id])


def test_deleting_a_team(web):
    cast = web.cast
    helpdesk = web.helpdesk
    sales = helpdesk.teams.create(cast.ada_actor, name="Sales")
    ada = logged_in(web, cast.ada)
    page = ada.get(team_url(sales))
    assert "Delete the team" in page.text
    done = ada.post(team_url(sales, "delete"))
    assert done.status == 200 and "Team “Sales” deleted." in done.text
    assert [t.name for t in helpdesk.teams.list()] == ["Billing", "Support"]

    helpdesk.tickets.create(cast.carol_actor, subject="Bill", body="b", team="billing")
    refused = ada.post(team_url(cast.billing, "delete"))
    assert refused.status == 409
    assert "Billing cannot be deleted: it still has 1 ticket." in refused.text
    assert 'value="Billing"' in refused.text  # the edit form is still there
    default = ada.post(team_url(cast.support, "delete"))
    assert default.status == 409 and "is the default team" in default.text
    assert [t.name for t in helpdesk.teams.list()] == ["Billing", "Support"]


def test_an_unknown_team_is_not_found(web):
    ada = logged_in(web, web.cast.ada)
    assert ada.get(f"{TEAMS}/9999").status == 404
    assert ada.post(f"{TEAMS}/9999", {"name": "X"}).status == 404
    assert ada.post(f"{TEAMS}/9999/delete").status == 404


@pytest.mark.parametrize("who", ["ann", "carol"])
def test_agents_and_customers_never_reach_team_administration(web, who):
    cast = web.cast
    client = logged_in(web, getattr(cast, who))
    for url in (TEAMS, f"{TEAMS}/new", team_url(cast.support)):
        assert client.get(url).status == 404, url
    attempts = [
        (f"{TEAMS}/new", {"name": "Mine", "members": [str(cast.ann.id)]}),
        (team_url(cast.support), {"name": "Mine", "members": []}),
        (team_url(cast.billing, "delete"), {}),
    ]
    for url, data in attempts:
        assert client.post(url, data).status == 404, url
    assert [(t.name, t.member_ids) for t in web.helpdesk.teams.list()] == [
        ("Billing", [cast.bill.id]),
        ("Support", [cast.ann.id]),
    ]


def test_visitors_are_sent_to_log_in(web):
    page = web.client().get(TEAMS, follow=False)
    assert page.status in (302, 303) and "/support/account/login" in (page.location or "")
