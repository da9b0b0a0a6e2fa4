"""A Django project for the tests, configured once per test process (Django's settings are
global), and Django's test client behind the behaviour suite's client interface.

Its own tables (users, sessions) live in a throwaway SQLite file; each test hands the adapter
its own helpdesk through `TICKETCORE["HELPDESK"]` (override_settings), so the portal runs on
whichever database the test's matrix entry chose.
"""

from __future__ import annotations

import atexit
import functools
import os
import secrets
import shutil
import tempfile
from collections.abc import Mapping, Sequence
from typing import Any

import django
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.http import HttpRequest, HttpResponse
from django.test import Client
from django.urls import include, path

from ticketcore.web import identity
from ticketcore.web.testclient import ClientResponse, File
from ticketcore_django import get_helpdesk

SECRET = "test-secret-key-that-is-long-enough-0123456789"
CSRF_FIELD = "csrfmiddlewaretoken"


def site_login(request: HttpRequest) -> HttpResponse:
    """Stands in for the site's own login page (the portal only links to it)."""
    return HttpResponse(f"site login, next={request.GET.get('next', '')}")


urlpatterns = [
    path("login/", site_login, name="login"),
    path("support/", include("ticketcore_django.urls")),
]


@functools.cache
def set_up_django() -> None:
    """Configure Django for this process and create its own tables (and, through the app's
    migration, ticketcore's: `migrate` does both)."""
    # The browser tests' Playwright keeps an event loop running in this process for the whole
    # session, and Django then refuses ORM calls "from an async context" in later tests; these
    # tests make their calls synchronously on purpose.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    folder = tempfile.mkdtemp(prefix="tc_django_")
    atexit.register(shutil.rmtree, folder, True)
    settings.configure(
        SECRET_KEY=SECRET,
        DEBUG=False,
        ALLOWED_HOSTS=["testserver", "127.0.0.1", "localhost"],
        INSTALLED_APPS=[
            "django.contrib.auth",
            "django.contrib.contenttypes",
            "django.contrib.sessions",
            "django.contrib.staticfiles",
            "ticketcore_django",
        ],
        MIDDLEWARE=[
            "django.middleware.security.SecurityMiddleware",
            "django.contrib.sessions.middleware.SessionMiddleware",
            "django.middleware.common.CommonMiddleware",
            "django.middleware.csrf.CsrfViewMiddleware",
            "django.contrib.auth.middleware.AuthenticationMiddleware",
        ],
        ROOT_URLCONF=__name__,
        DATABASES={
            "default": {"ENGINE": "django.db.backends.sqlite3", "NAME": f"{folder}/site.db"}
        },
        TEMPLATES=[],
        STATIC_URL="/static/",
        LOGIN_URL="/login/",
        USE_TZ=True,
        TICKETCORE={"OWN_ACCOUNTS": True, "ATTACHMENTS_DIR": f"{folder}/attachments"},
    )
    django.setup()
    call_command("migrate", verbosity=0)


class DjangoClient:
    """Django's test client, with CSRF checks on as in a real browser."""

    def __init__(self) -> None:
        self.client = Client(enforce_csrf_checks=True)

    def get(self, url: str, *, follow: bool = True) -> ClientResponse:
        return _wrap(self.client.get(url, follow=follow), url)

    def post(
        self,
        url: str,
        data: Mapping[str, str | Sequence[str]] | None = None,
        *,
        files: Sequence[File] = (),
        follow: bool = True,
        csrf_token: bool = True,
    ) -> ClientResponse:
        form: dict[str, Any] = {
            k: v if isinstance(v, str) else list(v) for k, v in (data or {}).items()
        }
        if csrf_token and CSRF_FIELD not in form:
            form[CSRF_FIELD] = self._csrf_secret()
        for name, filename, content, content_type in files:
            existing = form.get(name, [])
            form[name] = [*([existing] if isinstance(existing, str) else existing)]
            form[name].append(SimpleUploadedFile(filename, content, content_type))
        return _wrap(self.client.post(url, form, follow=follow), url)

    def log_in_as(self, user_id: int) -> None:
        session = self.client.session
        identity.log_in(get_helpdesk(), session, user_id)
        session.save()
        self.client.cookies[settings.SESSION_COOKIE_NAME] = session.session_key

    def _csrf_secret(self) -> str:
        """The token a browser would send: the one of its CSRF cookie (one is made up when the
        site has not set it yet, as Django accepts any well-formed secret it issued or not)."""
        cookie = self.client.cookies.get(settings.CSRF_COOKIE_NAME)
        if cookie is None or not cookie.value:
            self.client.cookies[settings.CSRF_COOKIE_NAME] = secrets.token_hex(16)
            cookie = self.client.cookies[settings.CSRF_COOKIE_NAME]
        return str(cookie.value)


def _wrap(response: Any, url: str) -> ClientResponse:
    body = response.content if not response.streaming else b"".join(response.streaming_content)
    content_type = response.headers.get("Content-Type", "")
    return ClientResponse(
        status=response.status_code,
        text=body.decode("utf-8", "replace") if "text" in content_type else "",
        body=body,
        headers=list(response.headers.items()),
        url=response.request["PATH_INFO"],
        content_type=content_type,
        history=[status for _, status in getattr(response, "redirect_chain", [])],
    )
