"""Administration → Canned responses: list, create with the placeholders beside the body, edit,
delete; mistakes keep the typed text; and only admins reach any of it."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

CANNED = "/support/agent/admin/canned"


def logged_in(web: SimpleNamespace, user: Any) -> Any:
    client = web.client()
    client.log_in_as(user.id)
    return client


@pytest.fixture
def welcome(web: SimpleNamespace) -> Any:
    return web.helpdesk.canned.create(
        web.cast.system, title="Welcome", body="Hello {customer_first_name},"
    )


def titles(web: SimpleNamespace) -> list[tuple[str, str | None]]:
    return [(r.title, r.team_name) for r in web.helpdesk.canned.list(web.cast.system)]


def test_an_admin_creates_a_response_for_a_team(web, welcome):
    ada = logged_in(web, web.cast.ada)
    listing = ada.get(CANNED)
    assert listing.status == 200
    assert f'href="{CANNED}/{welcome.id}">Welcome</a>' in listing.text
    assert "Every agent" in listing.text

    form = ada.get(f"{CANNED}/new")
    assert '<label for="f-title">Title' in form.text
    assert '<label for="f-body">Text' in form.text
    assert "<code>{customer_name}</code>" in form.text
    assert "The customer&#39;s name" in form.text and "{ticket_url}" in form.text

    made = ada.post(
        f"{CANNED}/new",
        {"title": "Refunds", "team": str(web.cast.billing.id), "body": "Dear {customer_name},"},
    )
    assert made.status == 200 and made.url == CANNED
    assert "Canned response “Refunds” created." in made.text
    assert titles(web) == [("Refunds", "Billing"), ("Welcome", None)]


def test_an_admin_edits_and_deletes_a_response(web, welcome):
    ada = logged_in(web, web.cast.ada)
    page = ada.get(f"{CANNED}/{welcome.id}")
    assert page.status == 200
    assert 'name="title" type="text" value="Welcome"' in page.text
    assert "Hello {customer_first_name},</textarea>" in page.text

    saved = ada.post(
        f"{CANNED}/{welcome.id}",
        {"title": "Hello", "team": str(web.cast.support.id), "body": "Hi {customer_name}"},
    )
    assert saved.status == 200 and "Canned response “Hello” saved." in saved.text
    assert titles(web) == [("Hello", "Support")]
    again = ada.post(f"{CANNED}/{welcome.id}", {"title": "Hello", "team": "", "body": "Hi"})
    assert again.status == 200 and titles(web) == [("Hello", None)]

    gone = ada.post(f"{CANNED}/{welcome.id}/delete")
    assert gone.status == 200 and "Canned response “Hello” deleted." in gone.text
    assert titles(web) == []
    assert ada.get(f"{CANNED}/{welcome.id}").status == 404


def test_mistakes_keep_the_typed_text(web, welcome):
    ada = logged_in(web, web.cast.ada)
    empty = ada.post(f"{CANNED}/new", {"title": " ", "team": "", "body": "Kept text"})
    assert empty.status == 400
    assert 'id="title-error">Give the response a title.' in empty.text
    assert "Kept text</textarea>" in empty.text
    taken = ada.post(f"{CANNED}/new", {"title": "welcome", "team": "", "body": "Another"})
    assert taken.status == 400
    assert 'id="title-error">a canned response is already called' in taken.text
    no_body = ada.post(f"{CANNED}/{welcome.id}", {"title": "Welcome", "team": "", "body": ""})
    assert no_body.status == 400 and 'id="body-error">Write the text' in no_body.text
    assert titles(web) == [("Welcome", None)]


def test_only_admins_reach_canned_responses(web, welcome):
    cast = web.cast
    pages = [CANNED, f"{CANNED}/new", f"{CANNED}/{welcome.id}"]
    posts = [
        (f"{CANNED}/new", {"title": "Mine", "team": "", "body": "b"}),
        (f"{CANNED}/{welcome.id}", {"title": "Mine", "team": "", "body": "b"}),
        (f"{CANNED}/{welcome.id}/delete", {}),
    ]
    for user in (cast.ann, cast.carol):
        browser = logged_in(web, user)
        for url in pages:
            assert browser.get(url).status == 404, url
        for url, data in posts:
            assert browser.post(url, data).status == 404, url
    assert "/login" in web.client().get(CANNED).url
    assert web.helpdesk.canned.get(cast.system, welcome.id) == welcome
