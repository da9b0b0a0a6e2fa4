"""Settings of a bare Django project whose database comes from `TC_DJANGO_DATABASE` (JSON), for
running `django-admin migrate` against each database server in a separate process."""

from __future__ import annotations

import json
import os

SECRET_KEY = "migrate-test-secret-0123456789abcdef"
INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "ticketcore_django",
]
MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
]
DATABASES = {"default": json.loads(os.environ["TC_DJANGO_DATABASE"])}
USE_TZ = True
