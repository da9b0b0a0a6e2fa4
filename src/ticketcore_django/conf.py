"""The site's helpdesk and portal, built once from Django's settings.

`TICKETCORE = {...}` holds ticketcore settings by name (`"SITE_NAME"`, `"DATABASE_URL"`, …, see
docs/settings.md) plus the adapter's own options below. Without `DATABASE_URL` ticketcore's
tables live in `DATABASES["default"]`; without `SECRET_KEY` it signs with Django's.
"""

from __future__ import annotations

import threading
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode

from django.conf import settings as django_settings
from django.db import migrations
from django.shortcuts import resolve_url
from django.utils.module_loading import import_string

from ticketcore import Helpdesk, Settings
from ticketcore.migrate import downgrade, upgrade
from ticketcore.web import Portal

Role = Callable[[Any], str | None]

# Options of the adapter itself, not of ticketcore's `Settings`.
OWN_ACCOUNTS = "OWN_ACCOUNTS"  # ticketcore's own login/register pages instead of the site's
AGENT_GROUP = "AGENT_GROUP"  # members of this Django group are agents (default: is_staff users)
ROLE = "ROLE"  # callable (or dotted path) user -> "admin" | "agent" | "customer" | None
HELPDESK = "HELPDESK"  # a ready Helpdesk (or dotted path to a factory): custom setups, tests
ADAPTER_OPTIONS = (OWN_ACCOUNTS, AGENT_GROUP, ROLE, HELPDESK)

DRIVERS = {
    "django.db.backends.sqlite3": "sqlite",
    "django.db.backends.postgresql": "postgresql+psycopg",
    "django.db.backends.mysql": "mysql+pymysql",
}


class UnsupportedDatabase(ValueError):
    """`DATABASES["default"]` is a database ticketcore cannot use: set `DATABASE_URL`."""


@dataclass(frozen=True)
class Options:
    own_accounts: bool
    agent_group: str | None
    role: Role | None


def raw() -> Mapping[str, Any]:
    value = getattr(django_settings, "TICKETCORE", {})
    if not isinstance(value, Mapping):
        raise TypeError("settings.TICKETCORE must be a dict")
    return {str(k).upper(): v for k, v in value.items()}


def options() -> Options:
    values = raw()
    role = values.get(ROLE)
    if isinstance(role, str):
        role = import_string(role)
    if role is not None and not callable(role):
        raise TypeError("TICKETCORE['ROLE'] must be a callable or the dotted path of one")
    group = values.get(AGENT_GROUP)
    if group is not None and not isinstance(group, str):
        raise TypeError("TICKETCORE['AGENT_GROUP'] must be the name of a Django group")
    return Options(
        own_accounts=bool(values.get(OWN_ACCOUNTS, False)),
        agent_group=group,
        role=role,
    )


def ticketcore_settings() -> Settings:
    """Validated settings; raises `InvalidInput` naming each bad key (the system check shows it)."""
    values = {k: v for k, v in raw().items() if k not in ADAPTER_OPTIONS}
    if not values.get("SECRET_KEY"):
        values["SECRET_KEY"] = django_settings.SECRET_KEY
    if not values.get("DATABASE_URL"):
        values["DATABASE_URL"] = database_url(django_settings.DATABASES["default"])
    return Settings.from_mapping(values)


def database_url(database: Mapping[str, Any]) -> str:
    """The SQLAlchemy URL of a Django database, so ticketcore's tables sit beside the site's."""
    engine = database.get("ENGINE", "")
    driver = DRIVERS.get(engine)
    if driver is None:
        raise UnsupportedDatabase(
            f"ticketcore cannot use the {engine or 'unset'} database engine; use SQLite, "
            "PostgreSQL or MySQL/MariaDB, or set TICKETCORE['DATABASE_URL']"
        )
    name = str(database.get("NAME") or "")
    if driver == "sqlite":
        if in_memory(database):
            raise UnsupportedDatabase(
                "ticketcore needs an SQLite database file it can open too, not an in-memory "
                "one; set DATABASES['default']['NAME'] to a file or TICKETCORE['DATABASE_URL']"
            )
        return f"sqlite:///{name}"
    login = quote(str(database.get("USER") or ""), safe="")
    if database.get("PASSWORD"):
        login += ":" + quote(str(database["PASSWORD"]), safe="")
    host = str(database.get("HOST") or "")
    query: dict[str, str] = {}
    if driver.startswith("mysql"):
        query["charset"] = str(database.get("OPTIONS", {}).get("charset", "utf8mb4"))
    else:  # libpq options (sslmode, …) mean the same to psycopg under SQLAlchemy
        query.update({k: str(v) for k, v in database.get("OPTIONS", {}).items()})
    if host.startswith("/"):  # a Unix socket folder
        query["host"], host = host, ""
    elif ":" in host:  # IPv6
        host = f"[{host}]"
    if database.get("PORT"):
        host += f":{int(database['PORT'])}"
    address = f"{login + '@' if login else ''}{host}/{quote(name, safe='')}"
    return f"{driver}://{address}{'?' + urlencode(query) if query else ''}"


def in_memory(database: Mapping[str, Any]) -> bool:
    """An SQLite database only Django's own connection can reach (Django's test database)."""
    name = str(database.get("NAME") or "")
    return not name or name == ":memory:" or "mode=memory" in name


def alembic_step(revision: str, previous: str) -> migrations.RunPython:
    """The one operation of each of the app's Django migrations: ticketcore's own (Alembic)
    migrations up to `revision`, and back down to `previous` when Django unapplies it."""

    def forward(apps: Any, schema_editor: Any) -> None:
        migrate_database(schema_editor.connection.settings_dict, revision)

    def backward(apps: Any, schema_editor: Any) -> None:
        migrate_database(schema_editor.connection.settings_dict, previous, down=True)

    # Alembic works on its own connection: Django must not hold a transaction open meanwhile.
    return migrations.RunPython(forward, backward, atomic=False)


def migrate_database(database: Mapping[str, Any], revision: str, *, down: bool = False) -> None:
    """Bring ticketcore's tables up (or `down`) to `revision`, so a site runs Django's `migrate`
    alone. `TICKETCORE['DATABASE_URL']` wins when set."""
    url = raw().get("DATABASE_URL")
    if not url and database.get("ENGINE") == "django.db.backends.sqlite3" and in_memory(database):
        warnings.warn(
            "ticketcore's tables were not made: the SQLite database is in memory (Django's "
            "test database?) and ticketcore cannot share it; see 'Testing your site' in "
            "docs/django.md",
            RuntimeWarning,
            stacklevel=2,
        )
        return
    url = url or database_url(database)
    if down:
        downgrade(url, revision)
    else:
        upgrade(url, revision)


class Desk:
    """The helpdesk and portal of this site, with the adapter's options."""

    def __init__(self) -> None:
        self.options = options()
        given = raw().get(HELPDESK)
        if isinstance(given, str):
            given = import_string(given)()
        self.owned = given is None
        self.helpdesk: Helpdesk = given if given is not None else Helpdesk(ticketcore_settings())
        template_dirs = [d for engine in django_settings.TEMPLATES for d in engine.get("DIRS", [])]
        own = self.options.own_accounts
        self.portal = Portal(
            self.helpdesk,
            template_dirs=template_dirs,
            host_login_url=None if own else resolve_url(django_settings.LOGIN_URL),
        )

    def close(self) -> None:
        if self.owned:
            self.helpdesk.close()


_desk: Desk | None = None
_lock = threading.Lock()


def desk() -> Desk:
    global _desk
    if _desk is None:
        with _lock:
            if _desk is None:
                _desk = Desk()
    return _desk


def settings_changed(*, setting: str, **kwargs: Any) -> None:
    """Tests (`override_settings`) and reloads get a helpdesk built from the new settings."""
    global _desk
    if setting in ("TICKETCORE", "DATABASES", "SECRET_KEY", "LOGIN_URL", "TEMPLATES"):
        with _lock:
            if _desk is not None:
                _desk.close()
            _desk = None
