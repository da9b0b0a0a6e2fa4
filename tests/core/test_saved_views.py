"""Saved views: each agent's own named ticket-list queries."""

from __future__ import annotations

import pytest

from ticketcore import Actor, InvalidInput, NotFound, PermissionDenied


def test_save_keeps_the_query_without_empty_values_page_and_token(helpdesk, cast, clock):
    view = helpdesk.saved_views.save(
        cast.ann_actor,
        "Urgent billing",
        {
            "priority": ["urgent", "high", ""],
            "team": "2",
            "text": "",
            "status": [],
            "page": "3",
            "csrf_token": "abc",
            "sort": "created",
        },
    )
    assert view.name == "Urgent billing"
    assert view.query == {"priority": ["urgent", "high"], "team": "2", "sort": "created"}
    assert view.created_at == clock.now()
    assert helpdesk.saved_views.get(cast.ann_actor, view.id) == view


def test_same_name_replaces_the_query(helpdesk, cast, clock):
    first = helpdesk.saved_views.save(cast.ann_actor, "Mine", {"assignee": "me"})
    clock.advance(hours=1)
    again = helpdesk.saved_views.save(
        cast.ann_actor, "mine", {"assignee": "me", "sort": "priority"}
    )
    assert again.id == first.id
    assert again.query == {"assignee": "me", "sort": "priority"}
    assert again.created_at == first.created_at
    assert [v.name for v in helpdesk.saved_views.list(cast.ann_actor)] == ["mine"]


def test_each_agent_sees_and_deletes_only_their_own(helpdesk, cast):
    ann_view = helpdesk.saved_views.save(cast.ann_actor, "Mine", {"assignee": "me"})
    bill_view = helpdesk.saved_views.save(cast.bill_actor, "Mine", {"team": "2"})
    assert bill_view.id != ann_view.id
    assert [v.query for v in helpdesk.saved_views.list(cast.bill_actor)] == [{"team": "2"}]
    with pytest.raises(NotFound):
        helpdesk.saved_views.get(cast.bill_actor, ann_view.id)
    with pytest.raises(NotFound):
        helpdesk.saved_views.delete(cast.bill_actor, ann_view.id)
    with pytest.raises(NotFound):
        helpdesk.saved_views.get(cast.ada_actor, ann_view.id)  # admins too: views are personal
    helpdesk.saved_views.delete(cast.ann_actor, ann_view.id)
    assert helpdesk.saved_views.list(cast.ann_actor) == []
    assert helpdesk.saved_views.list(cast.bill_actor) == [bill_view]
    with pytest.raises(NotFound):
        helpdesk.saved_views.delete(cast.ann_actor, ann_view.id)


def test_list_is_ordered_by_name(helpdesk, cast):
    for name in ("breached", "All open", "closed"):
        helpdesk.saved_views.save(cast.ada_actor, name, {"sort": "created"})
    names = [v.name for v in helpdesk.saved_views.list(cast.ada_actor)]
    assert names == ["All open", "breached", "closed"]


def test_staff_only(helpdesk, cast):
    view = helpdesk.saved_views.save(cast.ann_actor, "Mine", {})
    for actor in (cast.carol_actor, Actor.anonymous(), Actor.system()):
        with pytest.raises(PermissionDenied):
            helpdesk.saved_views.save(actor, "Mine", {})
        with pytest.raises(PermissionDenied):
            helpdesk.saved_views.list(actor)
        with pytest.raises(PermissionDenied):
            helpdesk.saved_views.get(actor, view.id)
        with pytest.raises(PermissionDenied):
            helpdesk.saved_views.delete(actor, view.id)


@pytest.mark.parametrize(
    ("name", "query", "field"),
    [
        ("", {}, "name"),
        ("   ", {}, "name"),
        ("n" * 101, {}, "name"),
        ("Fine", {"status": 5}, "query"),
        ("Fine", {"status": [None]}, "query"),
    ],
)
def test_validation_names_the_field(helpdesk, cast, name, query, field):
    with pytest.raises(InvalidInput) as info:
        helpdesk.saved_views.save(cast.ann_actor, name, query)
    assert set(info.value.errors) == {field}
    assert helpdesk.saved_views.list(cast.ann_actor) == []
