"""Portal settings an admin changes in the administration screens, kept in the database.

A helpdesk gets its settings from the environment or the host's code when it starts. The few
that a support manager decides rather than a server operator (who may open tickets, what a reply
to a closed ticket does, branding, attachment limits) can be changed at run time: each change is
stored as an override in `ticketcore_site_settings`, and `helpdesk.settings` is replaced by a new
`Settings` built from the configured values plus the overrides, validated like any other.

Services read `helpdesk.settings` each time they need a value, so the swap takes effect at once
in the process that made the change. Other processes (more web workers, the CLI) notice with
`refresh()`, which costs one small query while nothing has changed.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal

from sqlalchemy import func, inspect, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from ..errors import InvalidInput
from ..models import SiteSetting
from ..permissions import Actor
from ..schemas import SiteSettingOut
from ..settings import Settings
from .base import Service, require_admin

if TYPE_CHECKING:
    from ..helpdesk import Helpdesk

log = logging.getLogger(__name__)

# What an admin may change here; the rest (database, mail, secrets, paths) stays with whoever
# runs the server, because a wrong value there cannot be fixed from a page that no longer works.
EDITABLE: tuple[str, ...] = (
    "site_name",
    "logo_url",
    "brand_color",
    "guest_tickets",
    "organization_visibility",
    "public_tickets",
    "reply_on_closed",
    "auto_close_days",
    "max_attachment_bytes",
    "max_attachments_per_message",
    "blocked_attachment_extensions",
)

_Stamp = tuple[datetime | None, int]
_EMPTY: _Stamp = (None, 0)  # the stamp of a table without rows


class SiteSettingsService(Service):
    EDITABLE = EDITABLE

    def __init__(self, helpdesk: Helpdesk) -> None:
        super().__init__(helpdesk)
        # The settings as the environment or the host's code gave them, without any override.
        self.configured: Settings = helpdesk.settings
        self._stamp: _Stamp | None = _EMPTY

    def load(self) -> None:
        """Apply the stored overrides when the helpdesk starts. A database whose tables do not
        exist yet (before `upgrade_database()` or `create_tables()`) has none. One that cannot
        be reached is no reason to fail here: a helpdesk is built before it is used (hosts build
        it at import time, the CLI reports a missing database itself), and `refresh()` applies
        the overrides once the database answers."""
        try:
            if not inspect(self.helpdesk.engine).has_table(SiteSetting.__tablename__):
                return
            self._stamp = None
            self.refresh()
        except OperationalError as exc:
            self._stamp = None
            log.warning("portal settings changed by admins are not applied yet: %s", exc)

    def refresh(self) -> None:
        """Re-read the overrides if the table changed since this process last read it."""
        with self.reading() as uow:
            stamp = _stamp(uow.session)
            if stamp == self._stamp:
                return
            overrides = _stored(uow.session)
        # Two threads may both reload; one with an older snapshot leaves an older stamp too,
        # so the next refresh reloads again: the settings never stay behind the table.
        self.helpdesk.settings = self._build_lenient(overrides)
        self._stamp = stamp

    def current(self, actor: Actor) -> dict[str, SiteSettingOut]:
        """Every editable setting with its value now and where that value comes from."""
        require_admin(actor)
        with self.reading() as uow:
            rows = {
                row.name: row
                for row in uow.session.scalars(select(SiteSetting))
                if row.name in EDITABLE
            }
        effective = self._build_lenient({name: row.value for name, row in rows.items()})
        configured = self.configured
        result: dict[str, SiteSettingOut] = {}
        for name in EDITABLE:
            field = Settings.model_fields[name]
            value = getattr(effective, name)
            source: Literal["default", "environment", "changed"]
            if name in rows:
                source = "changed"
            elif getattr(configured, name) != field.default:
                source = "environment"
            else:
                source = "default"
            result[name] = SiteSettingOut(
                name=name,
                value=value,
                source=source,
                default=field.default,
                configured=getattr(configured, name),
                description=field.description or "",
                updated_at=rows[name].updated_at if source == "changed" else None,
            )
        return result

    def update(self, actor: Actor, changes: Mapping[str, Any]) -> Settings:
        """Validate and store `changes` (values as a form or JSON gives them: "7", "on",
        "exe, bat"); every bad one is reported under its name. A value equal to the current
        one changes nothing; one equal to the configured value removes the override."""
        require_admin(actor)
        unknown = {name: ["cannot be changed here"] for name in changes if name not in EDITABLE}
        if unknown:
            raise InvalidInput(unknown)
        with self.transaction() as uow:
            session = uow.session
            rows = {row.name: row for row in session.scalars(select(SiteSetting))}
            stored = self._usable({name: row.value for name, row in rows.items()})
            before = self._build(stored)
            after = self._build({**stored, **changes})
            values = after.model_dump(mode="json")
            when = _next_time(session, self.helpdesk.clock.now())
            for name in changes:
                if getattr(after, name) == getattr(before, name):
                    continue
                row = rows.get(name)
                if getattr(after, name) == getattr(self.configured, name):
                    if row is not None:
                        session.delete(row)
                elif row is None:
                    session.add(SiteSetting(name=name, value=values[name], updated_at=when))
                else:
                    row.value, row.updated_at = values[name], when
            uow.after_commit(lambda: self._install(after))
        return after

    def reset(self, actor: Actor, name: str) -> Settings:
        """Drop the override of `name`: the configured (or default) value applies again."""
        require_admin(actor)
        if name not in EDITABLE:
            raise InvalidInput("cannot be changed here", field=name)
        with self.transaction() as uow:
            session = uow.session
            row = session.get(SiteSetting, name)
            if row is not None:
                session.delete(row)
                session.flush()
            stored = {r.name: r.value for r in session.scalars(select(SiteSetting))}
            settings = self._build_lenient(stored)
            uow.after_commit(lambda: self._install(settings))
        return settings

    # ---------------------------------------------------------------- building settings

    def _build(self, overrides: Mapping[str, Any]) -> Settings:
        """The configured settings with `overrides`, validated; errors by setting name."""
        try:
            return Settings.from_mapping({**self.configured.model_dump(), **overrides})
        except InvalidInput as exc:
            raise InvalidInput({k.lower(): v for k, v in exc.errors.items()}) from None

    def _build_lenient(self, overrides: Mapping[str, Any]) -> Settings:
        return self._build(self._usable(overrides))

    def _usable(self, overrides: Mapping[str, Any]) -> dict[str, Any]:
        """The stored overrides that still apply: a later version may no longer let a setting
        be changed here, or check it more strictly; such a value is ignored (and logged)
        instead of breaking every page."""
        usable = {k: v for k, v in overrides.items() if k in EDITABLE}
        try:
            self._build(usable)
        except InvalidInput as exc:
            log.warning("ignoring stored site settings that are no longer valid: %s", exc)
            return {k: v for k, v in usable.items() if k not in exc.errors}
        return usable

    def _install(self, settings: Settings) -> None:
        self.helpdesk.settings = settings
        self._stamp = None  # another process may have written too: read again next time


def _stamp(session: Session) -> _Stamp:
    latest, count = session.execute(
        select(func.max(SiteSetting.updated_at), func.count()).select_from(SiteSetting)
    ).one()
    return latest, count


def _stored(session: Session) -> dict[str, Any]:
    return {row.name: row.value for row in session.scalars(select(SiteSetting))}


def _next_time(session: Session, now: datetime) -> datetime:
    """`now`, or just after the latest change if that is not earlier: the newest change time
    must grow with every write, or other processes' `refresh()` would not see it."""
    latest: datetime | None = session.scalar(select(func.max(SiteSetting.updated_at)))
    if latest is not None and latest >= now:
        return latest + timedelta(microseconds=1)
    return now
