"""The Django adapter: people are Django's users, CSRF and sessions are Django's, templates and
static files are found the Django way, settings are checked at start-up, and `manage.py
ticketcore` runs the chores. (The portal behaviour itself runs through Django in tests/web.)"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from django_harness import DjangoClient, set_up_django
from ticketcore import Actor, Helpdesk
from ticketcore.migrate import heads
from ticketcore.testing import make_helpdesk

set_up_django()

from django.contrib.auth.models import Group, User  # noqa: E402  (needs Django set up)
from django.contrib.staticfiles import finders  # noqa: E402
from django.core.checks import run_checks  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.test import Client, override_settings  # noqa: E402

from ticketcore_django import conf  # noqa: E402

PAGE_CSS = Path(__file__).resolve().parents[3] / "src/ticketcore/web/static/ticketcore/portal.css"


@pytest.fixture
def helpdesk(tmp_path: Path) -> Iterator[Helpdesk]:
    helpdesk = make_helpdesk(
        tmp_path, secret_key="django-test-secret-0123456789abcdef", mail_transport="console"
    )
    yield helpdesk
    helpdesk.close()


@pytest.fixture
def site(helpdesk: Helpdesk) -> Iterator[Callable[..., None]]:
    """Switch the site's TICKETCORE setting (Django's own accounts unless told otherwise)."""
    active: list[Any] = []

    def configure(**options: Any) -> None:
        override = override_settings(TICKETCORE={"HELPDESK": helpdesk, **options})
        override.enable()
        active.append(override)

    configure()
    yield configure
    for override in reversed(active):
        override.disable()
    User.objects.all().delete()
    Group.objects.all().delete()


def django_user(username: str, **fields: Any) -> User:
    fields.setdefault("email", f"{username}@example.org")
    return User.objects.create_user(username=username, password="pw-0123456789", **fields)


def browser_of(user: User) -> Client:
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    return client


# ------------------------------------------------------------------ identity


def test_a_django_user_is_a_customer_linked_by_their_id(site: Any, helpdesk: Helpdesk) -> None:
    user = django_user("carol", first_name="Carol", last_name="Jones")
    client = browser_of(user)
    home = client.get("/support/")
    assert home.status_code == 200 and "Carol Jones" in home.content.decode()
    assert client.get("/support/agent").status_code == 404
    account = helpdesk.users.find_by_email("carol@example.org")
    assert account is not None
    assert account.external_id == str(user.pk) and account.role == "customer"


def test_staff_are_agents_and_superusers_admins(site: Any, helpdesk: Helpdesk) -> None:
    agent = browser_of(django_user("ann", is_staff=True))
    assert "Dashboard" in agent.get("/support/agent").content.decode()
    assert agent.get("/support/agent/admin").status_code == 404
    admin = browser_of(django_user("ada", is_staff=True, is_superuser=True))
    assert admin.get("/support/agent/admin").status_code == 200


def test_taking_staff_status_away_takes_the_agent_portal_away(site: Any) -> None:
    user = django_user("ann", is_staff=True)
    client = browser_of(user)
    assert client.get("/support/agent").status_code == 200
    user.is_staff = False
    user.save()
    assert client.get("/support/agent").status_code == 404


def test_agents_by_group_instead_of_staff_status(site: Any) -> None:
    site(AGENT_GROUP="Support agents")
    staff_only = browser_of(django_user("sam", is_staff=True))
    assert staff_only.get("/support/agent").status_code == 404
    member = django_user("ann")
    member.groups.add(Group.objects.create(name="Support agents"))
    assert browser_of(member).get("/support/agent").status_code == 200


def role_by_username(user: Any) -> str:
    """Used through its dotted path below."""
    return "admin" if user.username.startswith("boss") else "customer"


def test_a_role_function_decides_when_given(site: Any) -> None:
    site(ROLE=f"{__name__}.role_by_username")
    assert browser_of(django_user("boss-ada")).get("/support/agent/admin").status_code == 200
    staff = browser_of(django_user("ann", is_staff=True))
    assert staff.get("/support/agent").status_code == 404


def test_a_user_without_an_email_is_told_why(site: Any, helpdesk: Helpdesk) -> None:
    page = browser_of(django_user("nomail", email="")).get("/support/")
    assert page.status_code == 403
    assert "Your account cannot use the support portal" in page.content.decode()
    assert helpdesk.users.find_by_email("") is None


def test_visitors_log_in_on_the_sites_own_page(site: Any) -> None:
    client = Client()
    answer = client.get("/support/tickets?status=open")
    assert answer.status_code == 303
    assert answer["Location"] == "/login/?next=%2Fsupport%2Ftickets%3Fstatus%3Dopen"
    login = client.get("/support/account/login?next=/support/tickets")
    assert login["Location"] == "/login/?next=%2Fsupport%2Ftickets"
    assert client.get("/support/account/register")["Location"].startswith("/login/")
    for own_page in ("/support/account/forgot", "/support/account/password"):
        assert client.get(own_page).status_code == 404, own_page
    assert "Register" not in client.get("/support/").content.decode()


# ------------------------------------------------------------------ CSRF and sessions


def test_forms_carry_djangos_token_and_a_forged_post_changes_nothing(
    site: Any, helpdesk: Helpdesk
) -> None:
    client = browser_of(django_user("carol"))
    form = client.get("/support/tickets/new").content.decode()
    assert 'name="csrfmiddlewaretoken"' in form and 'name="csrf_token"' not in form
    forged = client.post("/support/tickets/new", {"subject": "Forged", "body": "B"})
    assert forged.status_code == 400
    assert "This form has expired" in forged.content.decode()
    token = client.cookies["csrftoken"].value
    sent = client.post(
        "/support/tickets/new", {"subject": "Real", "body": "B", "csrfmiddlewaretoken": token}
    )
    assert sent.status_code == 303
    assert [t.subject for t in helpdesk.tickets.list(Actor.system()).items] == ["Real"]


def test_logging_in_with_a_portal_account_starts_a_new_session(
    site: Any, helpdesk: Helpdesk
) -> None:
    site(OWN_ACCOUNTS=True)
    carol = helpdesk.users.create(Actor.system(), email="carol@example.org", display_name="Carol")
    helpdesk.users.set_password(Actor.system(), carol.id, "correct horse 42")
    browser = DjangoClient()
    browser.get("/support/account/login")
    planted = browser.client.session.session_key
    browser.post(
        "/support/account/login", {"email": "carol@example.org", "password": "correct horse 42"}
    )
    assert "carol@example.org" not in browser.get("/support/account/login").text
    assert browser.client.session.session_key != planted
    assert "My tickets" in browser.get("/support/").text


def test_the_portals_log_out_logs_a_django_user_out_of_the_site_too(site: Any) -> None:
    site(OWN_ACCOUNTS=True)
    client = browser_of(django_user("carol"))
    client.get("/support/")
    session_before = client.session.session_key
    token = client.cookies["csrftoken"].value
    client.post("/support/account/logout", {"csrfmiddlewaretoken": token})
    assert "_auth_user_id" not in client.session
    assert client.session.session_key != session_before
    assert "Log in" in client.get("/support/").content.decode()


# ------------------------------------------------------------------ templates and static files


def test_the_projects_template_directories_come_first(site: Any, tmp_path: Path) -> None:
    override = tmp_path / "templates" / "ticketcore" / "customer"
    override.mkdir(parents=True)
    (override / "home.html").write_text(
        '{% extends "ticketcore:ticketcore/customer/home.html" %}'
        "{% block title %}Our own help centre{% endblock %}"
    )
    with override_settings(TEMPLATES=[{"BACKEND": "x", "DIRS": [tmp_path / "templates"]}]):
        page = browser_of(django_user("carol")).get("/support/").content.decode()
    assert "<title>Our own help centre · Support</title>" in page


def test_static_files_come_through_staticfiles(site: Any) -> None:
    page = browser_of(django_user("carol")).get("/support/").content.decode()
    assert 'href="/static/ticketcore/portal.css"' in page
    found = finders.find("ticketcore/portal.css")
    assert found is not None and Path(found).read_bytes() == PAGE_CSS.read_bytes()


# ------------------------------------------------------------------ system checks


def ticketcore_errors() -> list[str]:
    return [f"{m.id}: {m.msg}" for m in run_checks(tags=["ticketcore"])]


def test_good_settings_pass_the_checks(site: Any) -> None:
    with override_settings(TICKETCORE={"SITE_URL": "https://example.com/support"}):
        assert ticketcore_errors() == []


def test_a_missing_site_address_is_a_warning(site: Any) -> None:
    with override_settings(TICKETCORE={"SITE_NAME": "Acme Help"}):
        assert ticketcore_errors() == [
            "ticketcore.W001: TICKETCORE['SITE_URL'] is not set: links in emails point to "
            "http://localhost:5000/support"
        ]


def test_a_misspelt_or_wrong_setting_stops_start_up_naming_the_key(site: Any) -> None:
    with override_settings(
        TICKETCORE={"ORGANISATION_VISIBILITY": "view", "SESSION_IDLE_MINUTES": "soon"}
    ):
        errors = ticketcore_errors()
    assert any("ticketcore.E002: TICKETCORE['ORGANISATION_VISIBILITY']" in e for e in errors)
    assert any("ticketcore.E002: TICKETCORE['SESSION_IDLE_MINUTES']" in e for e in errors)
    with override_settings(TICKETCORE={"ROLE": "no.such.function"}):
        assert ticketcore_errors()[0].startswith("ticketcore.E001")


def test_the_portal_needs_sessions_and_authentication(site: Any) -> None:
    with override_settings(MIDDLEWARE=["django.middleware.csrf.CsrfViewMiddleware"]):
        errors = ticketcore_errors()
    assert len(errors) == 2 and all(e.startswith("ticketcore.E005") for e in errors)
    assert "SessionMiddleware" in errors[0] and "AuthenticationMiddleware" in errors[1]


@pytest.mark.parametrize(
    ("database", "url"),
    [
        (
            {"ENGINE": "django.db.backends.sqlite3", "NAME": Path("/srv/site.db")},
            "sqlite:////srv/site.db",
        ),
        (
            {
                "ENGINE": "django.db.backends.postgresql",
                "NAME": "shop",
                "USER": "web",
                "PASSWORD": "p@ss",
                "HOST": "db",
                "PORT": "5433",
            },
            "postgresql+psycopg://web:p%40ss@db:5433/shop",
        ),
        (
            {"ENGINE": "django.db.backends.mysql", "NAME": "shop", "USER": "root", "HOST": ""},
            "mysql+pymysql://root@/shop?charset=utf8mb4",
        ),
        (
            {
                "ENGINE": "django.db.backends.postgresql",
                "NAME": "shop",
                "HOST": "/var/run/postgresql",
                "OPTIONS": {"sslmode": "disable"},
            },
            "postgresql+psycopg:///shop?sslmode=disable&host=%2Fvar%2Frun%2Fpostgresql",
        ),
        (
            {
                "ENGINE": "django.db.backends.postgresql",
                "NAME": "shop",
                "HOST": "::1",
                "PORT": 5432,
            },
            "postgresql+psycopg://[::1]:5432/shop",
        ),
    ],
)
def test_the_engine_is_built_from_the_sites_database(database: Any, url: str) -> None:
    assert conf.database_url(database) == url


@pytest.mark.parametrize(
    "database",
    [
        {"ENGINE": "django.db.backends.oracle", "NAME": "shop"},
        {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"},
    ],
)
def test_databases_ticketcore_cannot_share_are_refused(database: Any) -> None:
    with pytest.raises(conf.UnsupportedDatabase, match="TICKETCORE\\['DATABASE_URL'\\]"):
        conf.database_url(database)


def test_djangos_in_memory_test_database_gets_no_tables_and_a_warning() -> None:
    test_database = {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": "file:memorydb_default?mode=memory&cache=shared",
    }
    with pytest.warns(RuntimeWarning, match="Testing your site"):
        conf.migrate_database(test_database, "head")


# ------------------------------------------------------------------ manage.py ticketcore


def test_manage_py_ticketcore_runs_the_commands_on_the_sites_helpdesk(
    site: Any, helpdesk: Helpdesk, capsys: pytest.CaptureFixture[str]
) -> None:
    call_command("ticketcore", "users", "create", "--email", "ann@example.org", "--role", "agent")
    assert helpdesk.users.find_by_email("ann@example.org").role == "agent"  # type: ignore[union-attr]
    call_command("ticketcore", "outbox", "status")
    assert capsys.readouterr().out


def test_manage_py_ticketcore_help_names_the_django_command(
    site: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    command = importlib.import_module("ticketcore_django.management.commands.ticketcore")
    with pytest.raises(SystemExit) as exit_info:
        command.Command().run_from_argv(["manage.py", "ticketcore", "--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    assert "Usage: manage.py ticketcore" in out and "demo-data" in out


# ------------------------------------------------------------------ migrations


def test_the_last_django_migration_brings_ticketcore_to_its_newest_revision() -> None:
    import ticketcore_django.migrations as package

    names = sorted(p.stem for p in Path(package.__file__).parent.glob("[0-9]*.py"))
    latest = importlib.import_module(f"ticketcore_django.migrations.{names[-1]}")
    assert heads() == [latest.ALEMBIC_REVISION]
