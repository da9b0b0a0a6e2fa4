"""Portal settings changed by an admin: validated per setting, stored as overrides of the
configured values, applied at once in this process and after `refresh()` in every other."""

from __future__ import annotations

from datetime import timedelta

import pytest

from cast_of_users import build_cast
from engine_events import statements_sent
from ticketcore import Helpdesk, InvalidInput, NotFound, Settings
from ticketcore.models import SiteSetting
from ticketcore.schemas import UploadedFile
from ticketcore.services.site_settings import EDITABLE, SiteSettingsService


@pytest.fixture
def configured(helpdesk_factory):
    """A helpdesk whose operator set the site name (an environment value, as far as we know)."""
    return helpdesk_factory(site_name="Acme Help")


@pytest.fixture
def cast(configured):
    return build_cast(configured)


@pytest.fixture
def site(configured):
    service = SiteSettingsService(configured)
    service.load()
    return service


def test_current_tells_where_each_value_comes_from(configured, site, cast, clock):
    site.update(cast.ada_actor, {"guest_tickets": False})
    current = site.current(cast.ada_actor)
    assert list(current) == list(EDITABLE)
    name, guests, color = current["site_name"], current["guest_tickets"], current["brand_color"]
    assert (name.value, name.source, name.default, name.configured) == (
        "Acme Help",
        "environment",
        "Support",
        "Acme Help",
    )
    assert (guests.value, guests.source, guests.configured, guests.updated_at) == (
        False,
        "changed",
        True,
        clock.now(),
    )
    assert (color.value, color.source, color.updated_at) == ("#2563eb", "default", None)
    assert "Accent colour" in color.description


def test_update_validates_every_value_and_stores_nothing_when_one_is_bad(site, configured, cast):
    with pytest.raises(InvalidInput) as info:
        site.update(
            cast.ada_actor,
            {
                "site_name": "New name",
                "brand_color": "blue",
                "auto_close_days": "-1",
                "reply_on_closed": "ignore",
            },
        )
    assert set(info.value.errors) == {"brand_color", "auto_close_days", "reply_on_closed"}
    with pytest.raises(InvalidInput) as info:
        site.update(cast.ada_actor, {"secret_key": "x", "database_url": "sqlite://"})
    assert info.value.errors == {
        "secret_key": ["cannot be changed here"],
        "database_url": ["cannot be changed here"],
    }
    assert configured.settings.site_name == "Acme Help"
    assert site.current(cast.ada_actor)["site_name"].source == "environment"


def test_a_change_applies_at_once_to_the_services(site, configured, cast):
    settings = site.update(
        cast.ada_actor,
        {
            "max_attachments_per_message": "1",
            "blocked_attachment_extensions": "exe, txt",
            "auto_close_days": "3",
        },
    )
    assert configured.settings is settings
    assert settings.blocked_attachment_extensions == ("exe", "txt")
    assert (settings.max_attachments_per_message, settings.auto_close_days) == (1, 3)
    with pytest.raises(InvalidInput) as info:
        configured.tickets.create(
            cast.carol_actor,
            subject="Logs",
            body="b",
            attachments=[UploadedFile(filename="log.txt", content=b"x")],
        )
    assert "attachments" in info.value.errors


def test_the_configured_value_removes_the_override_and_reset_too(site, configured, cast):
    site.update(cast.ada_actor, {"site_name": "Elsewhere", "public_tickets": True})
    assert stored(configured) == {"site_name": "Elsewhere", "public_tickets": True}
    site.update(cast.ada_actor, {"site_name": "Acme Help", "public_tickets": True})
    assert stored(configured) == {"public_tickets": True}
    assert configured.settings.site_name == "Acme Help"

    settings = site.reset(cast.ada_actor, "public_tickets")
    assert stored(configured) == {}
    assert configured.settings is settings and settings.public_tickets is False
    site.reset(cast.ada_actor, "public_tickets")  # nothing to reset: no harm
    with pytest.raises(InvalidInput):
        site.reset(cast.ada_actor, "secret_key")


def test_unchanged_values_are_not_stored(site, configured, cast):
    current = site.current(cast.ada_actor)
    site.update(cast.ada_actor, {name: out.value for name, out in current.items()})
    assert stored(configured) == {}


def test_other_processes_follow_on_refresh(site, configured, helpdesk_factory, cast, clock):
    other_desk = helpdesk_factory(site_name="Acme Help")
    other = SiteSettingsService(other_desk)
    other.load()

    site.update(cast.ada_actor, {"organization_visibility": "view"})
    assert other_desk.settings.organization_visibility == "none"
    other.refresh()
    assert other_desk.settings.organization_visibility == "view"

    # The clock did not move: the change time still grows, so the next change is seen too.
    site.update(cast.ada_actor, {"organization_visibility": "view_and_reply"})
    other.refresh()
    assert other_desk.settings.organization_visibility == "view_and_reply"
    clock.advance(timedelta(minutes=1))
    site.reset(cast.ada_actor, "organization_visibility")
    other.refresh()
    assert other_desk.settings.organization_visibility == "none"


def test_refresh_costs_one_query_while_nothing_changed(site, configured, cast):
    site.update(cast.ada_actor, {"site_name": "Changed"})
    site.refresh()
    settings = configured.settings
    with statements_sent(configured) as statements:
        site.refresh()
        site.refresh()
    selects = [s for s in statements if s.lstrip().upper().startswith("SELECT")]
    assert len(selects) == 2 and "count(" in selects[0].lower()
    assert configured.settings is settings


def test_a_new_process_starts_with_the_overrides(site, configured, helpdesk_factory, cast):
    site.update(cast.ada_actor, {"brand_color": "#112233"})
    later_desk = helpdesk_factory()
    later = SiteSettingsService(later_desk)
    later.load()
    assert later_desk.settings.brand_color == "#112233"


def test_load_before_the_tables_exist(tmp_path):
    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 'empty.db'}", attachments_dir=str(tmp_path)
    )
    with Helpdesk(settings, load_entrypoints=False) as desk:
        service = SiteSettingsService(desk)
        service.load()
        assert desk.settings is settings
        desk.create_tables()
        service.refresh()  # an empty table: nothing to apply
        assert desk.settings is settings


def test_load_when_the_database_cannot_be_reached(tmp_path, caplog):
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'missing' / 'desk.db'}")
    with Helpdesk(settings, load_entrypoints=False) as desk:
        SiteSettingsService(desk).load()  # the CLI reports the database itself, later
        assert desk.settings is settings
    assert "not applied yet" in caplog.text


def test_a_stored_value_no_longer_valid_is_ignored(site, configured, cast, clock):
    with configured.sessionmaker.begin() as session:
        session.add(SiteSetting(name="brand_color", value="teal", updated_at=clock.now()))
        session.add(SiteSetting(name="smtp_host", value="evil.example", updated_at=clock.now()))
        session.add(SiteSetting(name="site_name", value="Stored", updated_at=clock.now()))
    site.refresh()
    assert configured.settings.brand_color == "#2563eb"
    assert configured.settings.smtp_host == "localhost"
    assert configured.settings.site_name == "Stored"
    site.update(cast.ada_actor, {"public_tickets": True})  # still possible to save
    assert configured.settings.public_tickets is True


def test_only_admins_see_or_change_settings(site, configured, cast):
    for actor in (cast.ann_actor, cast.carol_actor):
        with pytest.raises(NotFound):
            site.current(actor)
        with pytest.raises(NotFound):
            site.update(actor, {"site_name": "Mine"})
        with pytest.raises(NotFound):
            site.reset(actor, "site_name")
    assert stored(configured) == {}


def stored(helpdesk):
    with helpdesk.sessionmaker() as session:
        return {row.name: row.value for row in session.query(SiteSetting)}
