"""The Flask adapter: configuration from `app.config`, one setup per app, the host's user,
and the `flask ticketcore` command group."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask, session

from ticketcore import Actor
from ticketcore.errors import ConfigurationError, InvalidInput
from ticketcore_flask import HostUser, TicketCore

SECRET = "flask-adapter-test-secret-0123456789abcdef"


def make_app(tmp_path: Path, **config: object) -> Flask:
    app = Flask("host_site")
    app.secret_key = SECRET
    app.config.update(
        TICKETCORE_DATABASE_URL=f"sqlite:///{tmp_path / 'tc.db'}",
        TICKETCORE_ATTACHMENTS_DIR=str(tmp_path / "files"),
        **config,
    )
    return app


def test_settings_come_from_prefixed_app_config_and_the_portal_mounts_at_the_prefix(
    tmp_path: Path,
) -> None:
    app = make_app(tmp_path, TICKETCORE_SITE_NAME="Acme Help", TICKETCORE_URL_PREFIX="/help")
    app.config["UNRELATED_KEY"] = "ignored"
    TicketCore(app)
    helpdesk = TicketCore.helpdesk_of(app)
    helpdesk.create_tables()
    assert helpdesk.settings.site_name == "Acme Help"
    assert helpdesk.settings.secret_key == SECRET  # falls back to app.secret_key

    client = app.test_client()
    page = client.get("/help/")
    assert page.status_code == 200
    assert "Acme Help" in page.get_data(as_text=True)
    assert client.get("/support/").status_code == 404


def test_a_misspelt_setting_fails_at_startup_naming_the_key(tmp_path: Path) -> None:
    app = make_app(tmp_path, TICKETCORE_ORGANISATION_VISIBILITY="view")
    with pytest.raises(InvalidInput) as excinfo:
        TicketCore(app)
    assert "TICKETCORE_ORGANISATION_VISIBILITY" in excinfo.value.errors


def test_without_any_secret_key_the_portal_refuses_to_start(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    app.secret_key = None
    with pytest.raises(ConfigurationError, match="secret key"):
        TicketCore(app)


def test_setting_up_twice_on_one_app_is_an_error_that_says_what_to_do(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    TicketCore(app)
    with pytest.raises(RuntimeError, match="already set up"):
        TicketCore().init_app(app)


def test_init_app_form_and_the_host_users_become_ticketcore_accounts(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    ticketcore = TicketCore()

    @ticketcore.user_loader
    def load() -> HostUser | None:
        member = session.get("member")
        if member is None:
            return None
        return HostUser(
            external_id=f"m-{member}", email=f"{member}@site.example", display_name="Mia"
        )

    ticketcore.init_app(app)
    helpdesk = TicketCore.helpdesk_of(app)
    helpdesk.create_tables()

    @app.get("/site-login/<name>")
    def site_login(name: str) -> str:
        session["member"] = name
        return "ok"

    client = app.test_client()
    assert "Hello, Mia" not in client.get("/support/").get_data(as_text=True)
    client.get("/site-login/mia")
    assert "Hello, Mia" in client.get("/support/").get_data(as_text=True)

    account = helpdesk.users.find_by_external_id("m-mia")
    assert account is not None and account.email == "mia@site.example"
    assert account.role == "customer"
    # The same person on the next request is the same account, not a second one.
    client.get("/support/")
    assert helpdesk.users.find_by_email("mia@site.example") == account


def test_a_host_user_with_an_existing_account_is_linked_by_email(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    ticketcore = TicketCore(
        user_loader=lambda: HostUser(external_id="42", email="Pat@Site.example", display_name="Pat")
    )
    ticketcore.init_app(app)
    helpdesk = TicketCore.helpdesk_of(app)
    helpdesk.create_tables()
    existing = helpdesk.users.create(Actor.system(), email="pat@site.example", display_name="P")

    assert app.test_client().get("/support/").status_code == 200
    linked = helpdesk.users.find_by_external_id("42")
    assert linked is not None and linked.id == existing.id
    assert linked.display_name == "Pat"


def test_flask_ticketcore_commands_mirror_the_ticketcore_command(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    TicketCore(app)
    runner = app.test_cli_runner()

    result = runner.invoke(args=["ticketcore", "db", "upgrade"])
    assert result.exit_code == 0, result.output
    result = runner.invoke(
        args=["ticketcore", "users", "create", "--email", "ann@help.example", "--role", "agent"]
    )
    assert result.exit_code == 0, result.output
    helpdesk = TicketCore.helpdesk_of(app)
    created = helpdesk.users.find_by_email("ann@help.example")
    assert created is not None and created.role == "agent"
