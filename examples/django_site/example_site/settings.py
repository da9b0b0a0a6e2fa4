"""Settings of the example site, from environment variables as a production site reads them.

* `DJANGO_SECRET_KEY` signs sessions (and ticketcore's links, unless `TICKETCORE_SECRET_KEY` is
  set); without it a random key is made on each start, which logs everyone out on a restart.
* `DJANGO_DEBUG=1` turns on debug mode, in which `runserver` also serves the static files (the
  portal's stylesheet).
* `DJANGO_DATABASE_PATH` is the SQLite file of Django's tables (members, sessions), by default
  `examples/django_site/site.db`. ticketcore's tables live in the same file unless
  `TICKETCORE_DATABASE_URL` names another database; `manage.py migrate` creates both.
* `TICKETCORE` takes every `TICKETCORE_<NAME>` variable that names a ticketcore setting
  (docs/settings.md: `TICKETCORE_SMTP_HOST`, `TICKETCORE_SITE_URL`, …), as the Flask example
  does; without `TICKETCORE_SITE_URL` the links in emails point to `runserver`'s address.
  `OWN_ACCOUNTS` keeps ticketcore's own login and registration pages for the people who are not
  the site's users (see the package's docstring).
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from ticketcore import Settings

SITE_DIR = Path(__file__).resolve().parent.parent

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY") or secrets.token_hex(32)
DEBUG = os.environ.get("DJANGO_DEBUG") == "1"
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "ticketcore_django",
    "example_site",
]
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]
ROOT_URLCONF = "example_site.urls"
WSGI_APPLICATION = "example_site.wsgi.application"
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": os.environ.get("DJANGO_DATABASE_PATH") or SITE_DIR / "site.db",
        # ticketcore's tables share the file, used through its own connections. Both sides run
        # it in WAL mode (switching modes needs the file to oneself) and queue their writers for
        # the lock, instead of failing with "database is locked".
        "OPTIONS": {
            "init_command": "PRAGMA journal_mode=WAL",
            "transaction_mode": "IMMEDIATE",
            "timeout": 30,
        },
    }
}

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"
STATIC_URL = "static/"
USE_TZ = True

TICKETCORE: dict[str, object] = {
    name.upper(): os.environ[f"TICKETCORE_{name.upper()}"]
    for name in Settings.model_fields
    if f"TICKETCORE_{name.upper()}" in os.environ
}
TICKETCORE.setdefault("SITE_NAME", "Example Co. Support")
TICKETCORE.setdefault("SITE_URL", "http://127.0.0.1:8000/support")  # for links in emails
TICKETCORE["OWN_ACCOUNTS"] = True
