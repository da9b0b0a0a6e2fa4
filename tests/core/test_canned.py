"""Canned responses: admins manage them, agents read those of their teams, placeholders fill in."""

from __future__ import annotations

import pytest

from ticketcore import Actor, InvalidInput, NotFound, PermissionDenied
from ticketcore.services.canned import PLACEHOLDERS


@pytest.fixture
def responses(helpdesk, cast):
    """One response for everyone, one for Support (Ann's team), one for Billing (Bill's)."""
    canned = helpdesk.canned
    return (
        canned.create(cast.ada_actor, title="Welcome", body="Hello {customer_first_name}"),
        canned.create(cast.ada_actor, title="Reset steps", body="Click reset", team="support"),
        canned.create(cast.ada_actor, title="Refunds", body="Refund policy", team=cast.billing.id),
    )


def test_admin_creates_with_team_by_id_or_slug(helpdesk, cast, responses, clock):
    welcome, reset, refunds = responses
    assert (welcome.team_id, welcome.team_name) == (None, None)
    assert (reset.team_id, reset.team_name) == (cast.support.id, "Support")
    assert (refunds.team_id, refunds.team_name) == (cast.billing.id, "Billing")
    assert welcome.created_at == welcome.updated_at == clock.now()
    assert helpdesk.canned.get(cast.ada_actor, reset.id) == reset


def test_only_admins_manage(helpdesk, cast, responses):
    welcome = responses[0]
    for actor in (cast.ann_actor, cast.carol_actor):
        with pytest.raises(PermissionDenied):
            helpdesk.canned.create(actor, title="Mine", body="b")
        with pytest.raises(PermissionDenied):
            helpdesk.canned.update(actor, welcome.id, body="changed")
        with pytest.raises(PermissionDenied):
            helpdesk.canned.delete(actor, welcome.id)
    assert helpdesk.canned.get(Actor.system(), welcome.id).body == welcome.body
    created = helpdesk.canned.create(Actor.system(), title="From a script", body="b")
    assert created.title == "From a script"


def test_customers_read_nothing(helpdesk, cast, responses):
    with pytest.raises(PermissionDenied):
        helpdesk.canned.list(cast.carol_actor)
    with pytest.raises(PermissionDenied):
        helpdesk.canned.get(cast.carol_actor, responses[0].id)


def test_agents_see_responses_without_team_and_of_their_teams(helpdesk, cast, responses):
    welcome, _, refunds = responses
    titles = [r.title for r in helpdesk.canned.list(cast.ann_actor)]
    assert titles == ["Reset steps", "Welcome"]  # by title
    assert [r.title for r in helpdesk.canned.list(cast.bill_actor)] == ["Refunds", "Welcome"]
    assert [r.title for r in helpdesk.canned.list(cast.ada_actor)] == [
        "Refunds",
        "Reset steps",
        "Welcome",
    ]
    with pytest.raises(NotFound):
        helpdesk.canned.get(cast.ann_actor, refunds.id)
    assert helpdesk.canned.get(cast.ann_actor, welcome.id).title == "Welcome"


def test_list_is_ordered_by_title_whatever_the_case(helpdesk, cast):
    for title in ("banana", "Apple", "cherry"):
        helpdesk.canned.create(cast.ada_actor, title=title, body="b")
    assert [r.title for r in helpdesk.canned.list(cast.ada_actor)] == ["Apple", "banana", "cherry"]


def test_validation_names_the_fields(helpdesk, cast, responses):
    with pytest.raises(InvalidInput) as info:
        helpdesk.canned.create(cast.ada_actor, title="", body="x" * 20_001)
    assert set(info.value.errors) == {"title", "body"}
    with pytest.raises(InvalidInput) as info:
        helpdesk.canned.create(cast.ada_actor, title="t" * 201, body="b")
    assert set(info.value.errors) == {"title"}
    with pytest.raises(InvalidInput) as info:
        helpdesk.canned.create(cast.ada_actor, title="New", body="b", team="nowhere")
    assert set(info.value.errors) == {"team"}


def test_duplicate_title_is_refused(helpdesk, cast, responses):
    with pytest.raises(InvalidInput) as info:
        helpdesk.canned.create(cast.ada_actor, title="welcome", body="again")
    assert set(info.value.errors) == {"title"}
    with pytest.raises(InvalidInput) as info:
        helpdesk.canned.update(cast.ada_actor, responses[1].id, title="Welcome")
    assert set(info.value.errors) == {"title"}
    assert len(helpdesk.canned.list(cast.ada_actor)) == 3


def test_update_changes_only_the_fields_given(helpdesk, cast, responses, clock):
    welcome, reset, _ = responses
    clock.advance(hours=1)
    renamed = helpdesk.canned.update(cast.ada_actor, welcome.id, title="welcome")  # same, recased
    assert (renamed.title, renamed.body, renamed.team_id) == ("welcome", welcome.body, None)
    assert renamed.updated_at == clock.now() and renamed.created_at == welcome.created_at
    moved = helpdesk.canned.update(cast.ada_actor, welcome.id, team="billing", body="Hi")
    assert (moved.team_name, moved.body) == ("Billing", "Hi")
    for_all = helpdesk.canned.update(cast.ada_actor, reset.id, team=None)
    assert for_all.team_id is None and for_all.title == "Reset steps"
    assert "Reset steps" in [r.title for r in helpdesk.canned.list(cast.bill_actor)]


def test_delete(helpdesk, cast, responses):
    welcome = responses[0]
    assert helpdesk.canned.delete(cast.ada_actor, welcome.id) is None
    with pytest.raises(NotFound):
        helpdesk.canned.get(cast.ada_actor, welcome.id)
    with pytest.raises(NotFound):
        helpdesk.canned.delete(cast.ada_actor, welcome.id)
    with pytest.raises(NotFound):
        helpdesk.canned.update(cast.ada_actor, welcome.id, body="b")


@pytest.fixture
def ticket(helpdesk, cast):
    helpdesk.users.create(
        Actor.system(), email="mary.ann@acme.example.com", display_name="Mary Ann Smith"
    )
    return helpdesk.tickets.create(
        cast.ann_actor, requester="mary.ann@acme.example.com", subject="Login fails", body="b"
    ).ticket


def test_render_fills_every_placeholder(helpdesk, cast, ticket):
    body = " | ".join(f"{{{name}}}" for name in PLACEHOLDERS)
    response = helpdesk.canned.create(cast.ada_actor, title="All", body=body)
    rendered = helpdesk.canned.render(cast.ann_actor, response.id, ticket.id)
    settings = helpdesk.settings
    assert rendered.split(" | ") == [
        "Mary Ann Smith",
        "Mary",
        "mary.ann@acme.example.com",
        ticket.track_id,
        str(ticket.number),
        "Login fails",
        "Ann",
        "Support",
        settings.site_name,
        f"{settings.site_url}/tickets/{ticket.track_id}",
    ]


def test_render_keeps_unknown_placeholders_and_other_braces(helpdesk, cast, ticket):
    body = 'Dear {customer_name}, {unknown} stays, {"json": 1}, {{customer_name}}, {} and {0}'
    response = helpdesk.canned.create(cast.ada_actor, title="Braces", body=body)
    assert helpdesk.canned.render(cast.ann_actor, response.id, ticket.id) == (
        'Dear Mary Ann Smith, {unknown} stays, {"json": 1}, {Mary Ann Smith}, {} and {0}'
    )


def test_agent_name_is_whoever_renders(helpdesk, cast, ticket):
    response = helpdesk.canned.create(cast.ada_actor, title="T", body="{agent_name}, {team_name}")
    assert helpdesk.canned.render(cast.ada_actor, response.id, ticket.id) == "Ada, Support"
    assert helpdesk.canned.render(Actor.system(), response.id, ticket.id) == ", Support"


def test_render_needs_a_visible_ticket_and_response(helpdesk, cast, ticket):
    everyone = helpdesk.canned.create(cast.ada_actor, title="All", body="{subject}")
    billing_only = helpdesk.canned.create(cast.ada_actor, title="Billing", body="b", team="billing")
    hidden = helpdesk.tickets.create(cast.erin_actor, subject="Secret", body="b", team="billing")
    with pytest.raises(NotFound):  # Ann is not in Billing and does not carry the ticket
        helpdesk.canned.render(cast.ann_actor, everyone.id, hidden.ticket.id)
    with pytest.raises(NotFound):
        helpdesk.canned.render(cast.ann_actor, billing_only.id, ticket.id)
    with pytest.raises(NotFound):
        helpdesk.canned.render(cast.ann_actor, everyone.id, 9999)
    with pytest.raises(PermissionDenied):
        helpdesk.canned.render(cast.carol_actor, everyone.id, ticket.id)
    assert helpdesk.canned.render(cast.bill_actor, everyone.id, hidden.ticket.id) == "Secret"
