"""System checks: a wrong `TICKETCORE` setting stops `runserver`, `migrate` and `check` with a
message naming the key, instead of failing on the first portal request."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core import checks
from django.utils.module_loading import import_string

from ticketcore.errors import InvalidInput

from . import conf

SESSIONS = "django.contrib.sessions.middleware.SessionMiddleware"
AUTHENTICATION = "django.contrib.auth.middleware.AuthenticationMiddleware"


def register() -> None:
    checks.register(check_settings, "ticketcore")
    checks.register(check_middleware, "ticketcore")


def check_settings(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    try:
        values = conf.raw()
        options = conf.options()
    except (TypeError, ImportError) as exc:
        return [checks.Error(str(exc), id="ticketcore.E001")]
    if conf.HELPDESK in values:
        return _check_helpdesk(values[conf.HELPDESK])
    try:
        conf.ticketcore_settings()
    except conf.UnsupportedDatabase as exc:
        return [
            checks.Error(
                str(exc),
                hint="ticketcore keeps its tables in the site's database or in the one "
                "TICKETCORE['DATABASE_URL'] names.",
                id="ticketcore.E003",
            )
        ]
    except InvalidInput as exc:
        return [
            checks.Error(
                f"TICKETCORE[{key!r}]: {'; '.join(messages)}",
                hint="See docs/settings.md for every setting and its allowed values.",
                id="ticketcore.E002",
            )
            for key, messages in exc.errors.items()
        ]
    if not options.own_accounts and not getattr(settings, "LOGIN_URL", None):
        return [
            checks.Error(
                "the portal sends people to settings.LOGIN_URL to log in, and it is empty",
                hint="Set LOGIN_URL, or TICKETCORE['OWN_ACCOUNTS'] = True for ticketcore's "
                "own login pages.",
                id="ticketcore.E004",
            )
        ]
    if "SITE_URL" not in values:
        return [
            checks.Warning(
                "TICKETCORE['SITE_URL'] is not set: links in emails point to "
                f"{conf.ticketcore_settings().site_url}",
                hint="Set it to the portal's public address, such as "
                "'https://www.example.com/support'.",
                id="ticketcore.W001",
            )
        ]
    return []


def _check_helpdesk(value: Any) -> list[checks.CheckMessage]:
    if isinstance(value, str):
        try:
            import_string(value)
        except ImportError as exc:
            return [checks.Error(f"TICKETCORE['HELPDESK']: {exc}", id="ticketcore.E001")]
    return []


def check_middleware(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    middleware = list(getattr(settings, "MIDDLEWARE", []))
    needed = [SESSIONS]
    try:
        if not conf.options().own_accounts:
            needed.append(AUTHENTICATION)
    except (TypeError, ImportError):
        pass  # reported by check_settings
    return [
        checks.Error(
            f"the support portal needs {name} in MIDDLEWARE",
            hint="The portal keeps its state in Django's session and knows people by request.user.",
            id="ticketcore.E005",
        )
        for name in needed
        if name not in middleware
    ]
