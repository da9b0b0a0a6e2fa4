"""Administration → Portal settings: each setting with its value and where it comes from, saved
changes that take effect on the next page, mistakes beside their fields, a reset button per
change; and only admins reach any of it."""

from __future__ import annotations

from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import pytest

SETTINGS = "/support/agent/admin/settings"
FORM = {
    "site_name": "Acme Help",
    "logo_url": "",
    "brand_color": "#2563eb",
    "guest_tickets": "1",
    "organization_visibility": "none",
    "reply_on_closed": "reopen",
    "auto_close_days": "7",
    "max_attachment_mb": "10",
    "max_attachments_per_message": "10",
    "blocked_attachment_extensions": "exe, bat",
}


@pytest.fixture
def desk(web_factory: Callable[..., SimpleNamespace]) -> SimpleNamespace:
    """A portal whose operator configured the site name."""
    return web_factory(site_name="Acme Help")


def logged_in(desk: SimpleNamespace, user: Any) -> Any:
    client = desk.client()
    client.log_in_as(user.id)
    return client


def stored(desk: SimpleNamespace) -> dict[str, str]:
    current = desk.helpdesk.site_settings.current(desk.cast.system)
    return {name: out.value for name, out in current.items() if out.source == "changed"}


def test_the_page_shows_each_value_and_where_it_comes_from(desk):
    page = logged_in(desk, desk.cast.ada).get(SETTINGS)
    assert page.status == 200
    text = page.text
    assert '<label for="f-site_name">Site name' in text
    assert 'name="site_name" type="text" value="Acme Help"' in text
    assert "Set by the site's configuration; the default is Support." in text
    assert 'id="f-guest_tickets" name="guest_tickets" type="checkbox" value="1" checked' in text
    assert 'name="max_attachment_mb" type="number" value="10"' in text
    assert 'value="exe, com, bat' in text
    assert '<option value="reopen" selected>reopens the ticket</option>' in text
    assert "Reset to" not in text  # nothing was changed here


def test_saved_changes_apply_at_once_and_can_be_reset(desk):
    ada = logged_in(desk, desk.cast.ada)
    changed = {
        **FORM,
        "site_name": "Acme Service Desk",
        "brand_color": "#112233",
        "organization_visibility": "view",
        "reply_on_closed": "refuse",
        "max_attachment_mb": "2.5",
        "blocked_attachment_extensions": "exe, txt",
    }
    del changed["guest_tickets"]  # an unticked box is not sent
    saved = ada.post(SETTINGS, changed)
    assert saved.status == 200 and saved.url == SETTINGS
    assert "Portal settings saved." in saved.text
    settings = desk.helpdesk.settings
    assert settings.site_name == "Acme Service Desk" and not settings.guest_tickets
    assert settings.max_attachment_bytes == 2_621_440
    assert settings.blocked_attachment_extensions == ("exe", "txt")
    assert set(stored(desk)) == {
        "site_name",
        "brand_color",
        "guest_tickets",
        "organization_visibility",
        "reply_on_closed",
        "max_attachment_bytes",
        "blocked_attachment_extensions",
    }
    assert '<footer class="tc-footer">Acme Service Desk</footer>' in saved.text
    assert "--tc-accent: #112233" in saved.text
    assert 'name="max_attachment_mb" type="number" value="2.5"' in saved.text
    assert "Changed here on" in saved.text
    assert "the configured value is Acme Help." in saved.text
    assert 'form="reset-site_name"' in saved.text and "Reset to configured value" in saved.text
    assert 'form="reset-guest_tickets"' in saved.text and "Reset to default" in saved.text
    # Visitors may no longer open tickets without an account.
    assert "/login" in desk.client().get("/support/tickets/new").url

    reset = ada.post(f"{SETTINGS}/reset", {"name": "site_name"})
    assert reset.status == 200 and reset.url == SETTINGS
    assert "“Site name” is back to its configured value." in reset.text
    assert desk.helpdesk.settings.site_name == "Acme Help"
    assert "site_name" not in stored(desk)
    assert ada.post(f"{SETTINGS}/reset", {"name": "secret_key"}).status == 400


def test_mistakes_show_beside_their_fields_and_nothing_is_saved(desk):
    ada = logged_in(desk, desk.cast.ada)
    bad = ada.post(
        SETTINGS,
        {**FORM, "brand_color": "blue", "auto_close_days": "-1", "max_attachment_mb": "lots"},
    )
    assert bad.status == 400
    assert 'id="max_attachment_mb-error">Enter a size in megabytes' in bad.text
    assert 'value="lots"' in bad.text
    again = ada.post(SETTINGS, {**FORM, "brand_color": "blue", "auto_close_days": "-1"})
    assert again.status == 400
    assert 'id="brand_color-error">' in again.text and 'id="auto_close_days-error">' in again.text
    assert 'name="brand_color" type="color" value="blue"' in again.text
    assert stored(desk) == {}
    assert desk.helpdesk.settings.brand_color == "#2563eb"


def test_only_admins_reach_the_settings(desk):
    cast = desk.cast
    for user in (cast.ann, cast.carol):
        browser = logged_in(desk, user)
        assert browser.get(SETTINGS).status == 404
        assert browser.post(SETTINGS, {**FORM, "site_name": "Mine"}).status == 404
        assert browser.post(f"{SETTINGS}/reset", {"name": "site_name"}).status == 404
    assert "/login" in desk.client().get(SETTINGS).url
    assert stored(desk) == {}
    assert desk.helpdesk.settings.site_name == "Acme Help"
