"""Administration → Ticket templates, driven as an admin would: create a template with fields in
the empty rows, edit, reorder, rename and remove fields (tickets keep their values), switch it
off, delete one nothing used; and only admins ever reach it."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

TEMPLATES = "/support/agent/admin/templates"


def logged_in(web: SimpleNamespace, user: Any) -> Any:
    client = web.client()
    client.log_in_as(user.id)
    return client


def row(n: int, key: str, label: str, kind: str = "text", **more: str) -> dict[str, str]:
    """The inputs of field row `n` as the edit form names them."""
    values = {"key": key, "label": label, "type": kind, **more}
    return {f"field-{n}-{name}": value for name, value in values.items()}


@pytest.fixture
def bug(web: SimpleNamespace) -> Any:
    return web.helpdesk.templates.create(
        web.cast.system,
        name="Bug Report",
        fields=[
            {"key": "steps", "label": "Steps", "type": "long_text", "required": True},
            {"key": "browser", "label": "Browser", "type": "select", "options": ["Firefox"]},
        ],
    )


def detail(web: SimpleNamespace, template: Any) -> Any:
    return web.helpdesk.templates.detail(web.cast.system, template.id)


def test_an_admin_creates_a_template_in_the_empty_rows(web):
    ada = logged_in(web, web.cast.ada)
    form = ada.get(f"{TEMPLATES}/new")
    assert form.status == 200
    assert '<label for="f-name">Name' in form.text
    assert form.text.count("<legend>New field</legend>") == 3
    assert '<label for="f-field-0-key">Key' in form.text

    made = ada.post(
        f"{TEMPLATES}/new",
        {
            "name": "Access request",
            "description": "Ask for a login.",
            "rows": "3",
            **row(0, "system", "System", "select", options="CRM\n\nERP \n", order="2"),
            **row(1, "reason", "Why", "long_text", required="1", order="1"),
            **row(2, "", "", "text", order="3"),  # left empty
        },
    )
    assert made.status == 200 and "Template “Access request” created." in made.text
    (made_template,) = [t for t in web.helpdesk.templates.all(web.cast.system)]
    assert made.url == f"{TEMPLATES}/{made_template.id}"
    assert [(f.key, f.type, f.required, f.options) for f in made_template.fields] == [
        ("reason", "long_text", True, []),
        ("system", "select", False, ["CRM", "ERP"]),
    ]
    # The edit page: the saved fields as rows, then three empty ones.
    assert made.text.count("<legend>New field</legend>") == 3
    assert "<legend>Field 1</legend>" in made.text and "<legend>Field 2</legend>" in made.text
    assert 'name="field-1-key" type="text" value="system"' in made.text
    assert "Remove this field" in made.text


def test_an_admin_edits_fields_and_tickets_keep_their_values(web, bug):
    cast = web.cast
    ticket = web.helpdesk.tickets.create(
        cast.carol_actor,
        subject="Crash",
        body="b",
        template=bug.slug,
        custom_fields={"steps": "Click", "browser": "Firefox"},
    ).ticket
    steps, browser = detail(web, bug).fields
    ada = logged_in(web, cast.ada)
    page = ada.get(f"{TEMPLATES}/{bug.id}")
    assert "1 ticket uses this template." in page.text

    saved = ada.post(
        f"{TEMPLATES}/{bug.id}",
        {
            "name": "Bug",
            "description": "",
            "is_active": "1",
            "rows": "5",
            **row(0, "reproduce", "How to reproduce", "long_text", id=str(steps.id), order="2"),
            **row(1, "browser", "Browser", "select", id=str(browser.id), remove="1"),
            **row(2, "severity", "Severity", "number", order="1"),
        },
    )
    assert saved.status == 200 and "Template “Bug” saved." in saved.text
    fields = detail(web, bug).fields
    assert [(f.key, f.label) for f in fields] == [
        ("severity", "Severity"),
        ("reproduce", "How to reproduce"),
    ]
    assert fields[1].id == steps.id
    kept = web.helpdesk.tickets.get(cast.ada_actor, ticket.id)
    assert kept.custom_fields == {"steps": "Click", "browser": "Firefox"}


def test_mistakes_show_beside_their_row_and_keep_what_was_typed(web, bug):
    steps, browser = detail(web, bug).fields
    ada = logged_in(web, web.cast.ada)
    bad = ada.post(
        f"{TEMPLATES}/{bug.id}",
        {
            "name": "Bug Report",
            "is_active": "1",
            "rows": "5",
            **row(0, "steps", "Steps", "long_text", id=str(steps.id), order="1"),
            **row(1, "browser", "Browser", "select", id=str(browser.id), order="2", options=""),
            **row(2, "Bad Key", "", "text", order="x"),
            **row(3, "steps", "Steps again", "text", order="4"),
        },
    )
    assert bad.status == 400
    assert 'id="field-2-key-error">Give the field a key' in bad.text
    assert 'id="field-2-label-error">Give the field a label.' in bad.text
    assert 'id="field-2-order-error">Enter a whole number.' in bad.text
    assert 'name="field-2-key" type="text" value="Bad Key"' in bad.text

    # Rows are sent in their order; the core's errors still land on the row they concern.
    bad = ada.post(
        f"{TEMPLATES}/{bug.id}",
        {
            "name": "Bug Report",
            "is_active": "1",
            "rows": "5",
            **row(0, "steps", "Steps", "long_text", id=str(steps.id), order="3"),
            **row(1, "browser", "Browser", "select", id=str(browser.id), order="1", options=""),
            **row(3, "steps", "Steps again", "text", order="2"),
        },
    )
    assert bad.status == 400
    assert 'id="field-1-options-error">a select field needs options' in bad.text
    assert 'id="field-0-key-error">duplicate key &#39;steps&#39;' in bad.text
    assert 'value="Steps again"' in bad.text
    assert [f.key for f in detail(web, bug).fields] == ["steps", "browser"]


def test_switch_off_and_delete(web, bug):
    cast = web.cast
    unused = web.helpdesk.templates.create(cast.system, name="Question")
    ada = logged_in(web, cast.ada)
    off = ada.post(f"{TEMPLATES}/{bug.id}", {"name": "Bug Report", "rows": "0"})
    assert off.status == 200 and not detail(web, bug).is_active
    assert "Switched off" in ada.get(TEMPLATES).text
    assert [t.name for t in web.helpdesk.templates.list()] == ["Question"]
    assert [f.key for f in detail(web, bug).fields] == []  # no rows sent: no fields kept

    web.helpdesk.tickets.create(cast.carol_actor, subject="s", body="b", template=unused.slug)
    page = ada.get(f"{TEMPLATES}/{unused.id}")
    assert "Delete template" not in page.text
    refused = ada.post(f"{TEMPLATES}/{unused.id}/delete")
    assert refused.status == 200 and refused.url == f"{TEMPLATES}/{unused.id}"
    assert "cannot be deleted" in refused.text
    assert detail(web, unused).name == "Question"

    assert "Delete template" in ada.get(f"{TEMPLATES}/{bug.id}").text
    gone = ada.post(f"{TEMPLATES}/{bug.id}/delete")
    assert gone.status == 200 and gone.url == TEMPLATES
    assert "Template “Bug Report” deleted." in gone.text
    assert [t.name for t in web.helpdesk.templates.all(cast.system)] == ["Question"]


def test_only_admins_reach_templates(web, bug):
    cast = web.cast
    pages = [TEMPLATES, f"{TEMPLATES}/new", f"{TEMPLATES}/{bug.id}"]
    posts = [
        (f"{TEMPLATES}/new", {"name": "Mine", "rows": "0"}),
        (f"{TEMPLATES}/{bug.id}", {"name": "Mine", "rows": "0"}),
        (f"{TEMPLATES}/{bug.id}/delete", {}),
    ]
    for user in (cast.ann, cast.carol):
        browser = logged_in(web, user)
        for url in pages:
            assert browser.get(url).status == 404, url
        for url, data in posts:
            assert browser.post(url, data).status == 404, url
    visitor = web.client()
    assert "/login" in visitor.get(TEMPLATES).url
    assert [(t.name, len(t.fields)) for t in web.helpdesk.templates.all(cast.system)] == [
        ("Bug Report", 2)
    ]
    assert logged_in(web, cast.ada).get(f"{TEMPLATES}/999999").status == 404
