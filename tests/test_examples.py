"""The examples are documentation: run them so they cannot rot."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_api_tour_runs_and_shows_the_promised_behaviour():
    result = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "api_tour.py")],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "refused: {'subject': ['String should have at least 1 character']" in out
    assert "assigned to Ann" in out
    assert "carol waits on: 1" in out
    assert "after carol's answer: Open" in out
    assert "carol sees 3 messages; ann sees 4" in out
    assert "dave (same company) cannot see it" in out


DJANGO_VISIT = """
import json
from django.contrib.auth import get_user_model
from django.test import Client

browser = Client(SERVER_NAME="localhost")
pages = {}
for url in ("/", "/support/", "/support/agent"):
    response = browser.get(url)
    pages[url] = [response.status_code, response.headers.get("Location", ""), response.text]
response = browser.post(
    "/login/", {"username": "Sam@Members.example.org", "password": "member-password"}, follow=True
)
pages["member home"] = [response.status_code, "", response.text]
response = browser.get("/support/")
pages["member portal"] = [response.status_code, "", response.text]
response = browser.post("/logout/", follow=True)
pages["logged out"] = [response.status_code, "", response.text]
get_user_model().objects.create_superuser("boss@example.com", "boss@example.com", "boss-password")
browser.post("/login/", {"username": "boss@example.com", "password": "boss-password"})
response = browser.get("/support/agent")
pages["superuser agent portal"] = [response.status_code, "", response.text]
print(json.dumps(pages))
"""


def test_the_django_site_sets_up_and_serves_both_kinds_of_visitor(tmp_path):
    """The steps of its docstring and of `scripts/demo --django`, on a fresh database."""
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("TICKETCORE_", "DJANGO_"))},
        "DJANGO_DATABASE_PATH": str(tmp_path / "site.db"),
        "DJANGO_SECRET_KEY": "example-test-secret-key-that-is-long-enough-0123456789",
        "TICKETCORE_ATTACHMENTS_DIR": str(tmp_path / "attachments"),
    }

    def manage(*args: str) -> str:
        result = subprocess.run(
            [sys.executable, str(ROOT / "examples" / "django_site" / "manage.py"), *args],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert result.returncode == 0, result.stderr
        return result.stdout

    assert "ticketcore.0001_ticketcore_tables... OK" in manage("migrate")
    assert "no issues" in manage("check")
    assert "admin@support.example.com" in manage("ticketcore", "demo-data", "--tickets", "3")
    manage("demo_members")
    assert "sam@members.example.org / member-password" in manage("demo_members")  # idempotent
    pages = json.loads(manage("shell", "-c", DJANGO_VISIT).splitlines()[-1])

    status, _, home = pages["/"]
    assert status == 200 and "Example Co." in home and 'href="/support/"' in home
    status, _, portal = pages["/support/"]
    assert status == 200 and "Example Co. Support" in portal and "How can we help?" in portal
    assert 'href="/static/ticketcore/portal.css"' in portal  # through Django's staticfiles
    status, location, _ = pages["/support/agent"]
    assert status in (302, 303) and location.startswith("/support/account/login?next=")
    _, _, home = pages["member home"]
    assert "Welcome back!" in home and "Logged in to the site as sam@members.example.org" in home
    status, _, portal = pages["member portal"]
    assert status == 200 and "Hello, Sam Member" in portal
    _, _, home = pages["logged out"]
    assert "Member login" in home and "Logged in" not in home
    status, _, dashboard = pages["superuser agent portal"]
    assert status == 200 and "Dashboard" in dashboard
