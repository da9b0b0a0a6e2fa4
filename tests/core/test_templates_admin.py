"""Administering ticket templates: editing fields keeps what tickets already say, a template in
use is switched off rather than deleted, and only admins see any of it."""

from __future__ import annotations

import pytest

from ticketcore import Conflict, InvalidInput, NotFound

BUG_FIELDS = [
    {"key": "steps", "label": "Steps", "type": "long_text", "required": True},
    {"key": "browser", "label": "Browser", "type": "select", "options": ["Firefox", "Chrome"]},
    {"key": "version", "label": "Version", "type": "text"},
]


@pytest.fixture
def bug(helpdesk, cast):
    return helpdesk.templates.create(cast.ada_actor, name="Bug Report", fields=BUG_FIELDS)


def rows(detail):
    """The fields of a template detail as the form sends them back (ids kept)."""
    return [f.model_dump(exclude={"id"}) | {"id": f.id} for f in detail.fields]


def test_update_renames_reorders_adds_and_removes_fields(helpdesk, cast, bug):
    detail = helpdesk.templates.detail(cast.ada_actor, bug.id)
    steps, browser, _version = rows(detail)
    saved = helpdesk.templates.update(
        cast.ada_actor,
        bug.id,
        name="Bug",
        description="Something is broken.",
        fields=[
            browser | {"options": ["Firefox", "Chrome", "Safari"]},
            steps | {"key": "reproduce", "label": "How to reproduce"},
            {"key": "severity", "label": "Severity", "type": "number"},
        ],
    )
    assert (saved.name, saved.description, saved.slug) == ("Bug", "Something is broken.", bug.slug)
    assert [(f.key, f.label, f.type) for f in saved.fields] == [
        ("browser", "Browser", "select"),
        ("reproduce", "How to reproduce", "long_text"),
        ("severity", "Severity", "number"),
    ]
    assert saved.fields[0].id == browser["id"] and saved.fields[1].id == steps["id"]
    assert saved.fields[0].options == ["Firefox", "Chrome", "Safari"]
    assert "version" not in [f.key for f in saved.fields]
    assert helpdesk.templates.detail(cast.ada_actor, bug.id) == saved
    assert [f.key for f in helpdesk.templates.get(bug.slug).fields] == [
        "browser",
        "reproduce",
        "severity",
    ]


def test_keys_may_move_between_fields_in_one_save(helpdesk, cast, bug):
    steps, browser, version = rows(helpdesk.templates.detail(cast.ada_actor, bug.id))
    saved = helpdesk.templates.update(
        cast.ada_actor,
        bug.id,
        fields=[
            steps | {"key": "version"},  # swapped with the next one
            version | {"key": "steps"},
            {"key": "browser", "label": "Browser again", "type": "text"},  # a removed one's key
        ],
    )
    assert [(f.id, f.key) for f in saved.fields[:2]] == [
        (steps["id"], "version"),
        (version["id"], "steps"),
    ]
    assert saved.fields[2].key == "browser" and saved.fields[2].id != browser["id"]


def test_tickets_keep_their_values_when_fields_change(helpdesk, cast, bug):
    old = helpdesk.tickets.create(
        cast.carol_actor,
        subject="Crash",
        body="b",
        template=bug.slug,
        custom_fields={"steps": "Click", "browser": "Chrome", "version": "2.1"},
    ).ticket
    steps, browser, _ = rows(helpdesk.templates.detail(cast.ada_actor, bug.id))
    helpdesk.templates.update(
        cast.ada_actor, bug.id, fields=[steps | {"key": "reproduce"}, browser]
    )
    kept = helpdesk.tickets.get(cast.ada_actor, old.id)
    assert kept.custom_fields == {"steps": "Click", "browser": "Chrome", "version": "2.1"}

    with pytest.raises(InvalidInput) as info:  # new tickets are asked the new questions
        helpdesk.tickets.create(
            cast.carol_actor, subject="s", body="b", template=bug.slug, custom_fields={"steps": "x"}
        )
    assert set(info.value.errors) == {"custom_fields.steps", "custom_fields.reproduce"}
    new = helpdesk.tickets.create(
        cast.carol_actor,
        subject="s",
        body="b",
        template=bug.slug,
        custom_fields={"reproduce": "Click"},
    ).ticket
    assert new.custom_fields == {"reproduce": "Click"}


def test_a_switched_off_template_is_offered_no_more_but_still_shown(helpdesk, cast, bug):
    ticket = helpdesk.tickets.create(
        cast.carol_actor, subject="Crash", body="b", template=bug.slug, custom_fields={"steps": "x"}
    ).ticket
    off = helpdesk.templates.update(cast.ada_actor, bug.id, is_active=False)
    assert off.is_active is False and off.ticket_count == 1
    assert helpdesk.templates.list() == []
    assert helpdesk.templates.get(bug.id).name == "Bug Report"  # the ticket page's labels
    with pytest.raises(InvalidInput) as info:
        helpdesk.tickets.create(cast.carol_actor, subject="s", body="b", template=bug.slug)
    assert "template" in info.value.errors
    assert helpdesk.tickets.get(cast.ada_actor, ticket.id).template_name == "Bug Report"

    helpdesk.templates.update(cast.ada_actor, bug.id, is_active=True)
    assert [t.id for t in helpdesk.templates.list()] == [bug.id]


def test_field_rules_are_reported_together(helpdesk, cast, bug):
    other = helpdesk.templates.create(
        cast.ada_actor, name="Other", fields=[{"key": "x", "label": "X", "type": "text"}]
    )
    foreign_id = helpdesk.templates.detail(cast.ada_actor, other.id).fields[0].id
    steps, *_ = rows(helpdesk.templates.detail(cast.ada_actor, bug.id))
    with pytest.raises(InvalidInput) as info:
        helpdesk.templates.update(
            cast.ada_actor,
            bug.id,
            fields=[
                steps,
                {"key": "steps", "label": "Again", "type": "text"},
                {"key": "pick", "label": "Pick", "type": "select"},
                {"key": "note", "label": "Note", "type": "text", "options": ["a"]},
                {"key": "size", "label": "Size", "type": "select", "options": ["S", "S"]},
                steps | {"key": "copy"},
            ],
        )
    assert info.value.errors == {
        "fields.1.key": ["duplicate key 'steps'"],
        "fields.2.options": ["a select field needs options"],
        "fields.3.options": ["only a select field has options"],
        "fields.4.options": ["duplicate option 'S'"],
        "fields.5.id": ["the same field is listed twice"],
    }
    with pytest.raises(InvalidInput) as info:
        helpdesk.templates.update(
            cast.ada_actor,
            bug.id,
            fields=[{"id": foreign_id, "key": "x", "label": "X", "type": "text"}],
        )
    assert info.value.errors == {"fields.0.id": ["not a field of this template"]}
    with pytest.raises(InvalidInput) as info:
        helpdesk.templates.update(
            cast.ada_actor, bug.id, name="", fields=[{"key": "Bad Key", "label": "", "type": "x"}]
        )
    assert {"name", "fields"} <= set(info.value.errors)
    unchanged = helpdesk.templates.detail(cast.ada_actor, bug.id)
    assert [f.key for f in unchanged.fields] == ["steps", "browser", "version"]
    assert helpdesk.templates.detail(cast.ada_actor, other.id).fields[0].key == "x"


def test_delete_only_what_no_ticket_used(helpdesk, cast, bug):
    unused = helpdesk.templates.create(cast.ada_actor, name="Question")
    helpdesk.templates.delete(cast.ada_actor, unused.id)
    with pytest.raises(NotFound):
        helpdesk.templates.get(unused.id)

    helpdesk.tickets.create(
        cast.carol_actor, subject="s", body="b", template=bug.slug, custom_fields={"steps": "x"}
    )
    with pytest.raises(Conflict, match="1 ticket"):
        helpdesk.templates.delete(cast.ada_actor, bug.id)
    assert helpdesk.templates.detail(cast.ada_actor, bug.id).ticket_count == 1


def test_all_lists_every_template_by_name_with_usage(helpdesk, cast, bug):
    helpdesk.templates.create(cast.ada_actor, name="access request")
    off = helpdesk.templates.create(cast.ada_actor, name="Zebra")
    helpdesk.templates.update(cast.ada_actor, off.id, is_active=False)
    helpdesk.tickets.create(
        cast.carol_actor, subject="s", body="b", template=bug.slug, custom_fields={"steps": "x"}
    )
    listed = helpdesk.templates.all(cast.ada_actor)
    assert [(t.name, t.is_active, t.ticket_count, len(t.fields)) for t in listed] == [
        ("access request", True, 0, 0),
        ("Bug Report", True, 1, 3),
        ("Zebra", False, 0, 0),
    ]


def test_only_admins_administer_templates(helpdesk, cast, bug):
    for actor in (cast.ann_actor, cast.carol_actor):
        with pytest.raises(NotFound):
            helpdesk.templates.all(actor)
        with pytest.raises(NotFound):
            helpdesk.templates.detail(actor, bug.id)
        with pytest.raises(NotFound):
            helpdesk.templates.update(actor, bug.id, name="Mine")
        with pytest.raises(NotFound):
            helpdesk.templates.delete(actor, bug.id)
    with pytest.raises(NotFound):
        helpdesk.templates.update(cast.ada_actor, 999_999, name="Ghost")
    with pytest.raises(NotFound):
        helpdesk.templates.delete(cast.ada_actor, 999_999)
    assert helpdesk.templates.get(bug.id).name == "Bug Report"
