"""Settings: one name everywhere, read from keyword arguments, env variables or a mapping."""

from __future__ import annotations

import pytest

from ticketcore import InvalidInput, Settings


def test_defaults_work_without_configuration():
    settings = Settings()
    assert settings.database_url == "sqlite:///ticketcore.db"
    assert settings.organization_visibility == "none"
    assert settings.reply_on_closed == "reopen"


def test_environment_variables_use_the_ticketcore_prefix():
    settings = Settings.from_env(
        {
            "TICKETCORE_ORGANIZATION_VISIBILITY": "view_and_reply",
            "TICKETCORE_AUTO_CLOSE_DAYS": "3",
            "TICKETCORE_PUBLIC_TICKETS": "true",
            "TICKETCORE_BLOCKED_ATTACHMENT_EXTENSIONS": "exe, bat",
            "UNRELATED": "x",
        }
    )
    assert settings.organization_visibility == "view_and_reply"
    assert settings.auto_close_days == 3
    assert settings.public_tickets is True
    assert settings.blocked_attachment_extensions == ("exe", "bat")


def test_keyword_overrides_win_over_environment():
    settings = Settings.from_env({"TICKETCORE_SITE_NAME": "Env"}, site_name="Code")
    assert settings.site_name == "Code"


def test_django_style_mapping_without_prefix():
    assert Settings.from_mapping({"AGENTS_SEE_ALL_TICKETS": True}).agents_see_all_tickets


def test_bad_values_name_the_setting():
    with pytest.raises(InvalidInput) as info:
        Settings.from_env(
            {"TICKETCORE_ORGANIZATION_VISIBILITY": "everyone", "TICKETCORE_AUTO_CLOSE_DAYS": "-1"}
        )
    assert set(info.value.errors) == {
        "TICKETCORE_ORGANIZATION_VISIBILITY",
        "TICKETCORE_AUTO_CLOSE_DAYS",
    }


def test_unknown_setting_in_a_mapping_is_refused():
    with pytest.raises(InvalidInput, match="unknown setting"):
        Settings.from_mapping({"ORGANISATION_VISIBILITY": "view"})


def test_helpdesk_overrides_are_validated(tmp_path):
    from ticketcore import Helpdesk

    base = Settings(database_url=f"sqlite:///{tmp_path / 'x.db'}")
    with pytest.raises(InvalidInput) as info:
        Helpdesk(base, organization_visibility="everyone", load_entrypoints=False)
    assert "ORGANIZATION_VISIBILITY" in info.value.errors
    helpdesk = Helpdesk(base, public_tickets=True, load_entrypoints=False)
    assert helpdesk.settings.public_tickets and helpdesk.settings.database_url == base.database_url
    helpdesk.close()
