"""The portal's Jinja2 environment: host template directories first, gettext, and filters that
show times in the reader's zone and language.

One environment per portal, shared by all requests; the language of the request being rendered
travels in a context variable, so concurrent requests in other languages never mix.
"""

from __future__ import annotations

import functools
import gettext
import html
from collections.abc import Mapping, Sequence
from contextvars import ContextVar
from datetime import date, datetime, time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel import Locale, UnknownLocaleError
from babel.dates import format_date, format_time
from jinja2 import ChoiceLoader, Environment, FileSystemLoader, PrefixLoader, select_autoescape
from markupsafe import Markup

from ..notify.render import format_size, translations_for

TEMPLATES_DIR = Path(__file__).parent / "templates"
STATIC_DIR = Path(__file__).parent / "static"

_ENGLISH = gettext.NullTranslations()
_translations: ContextVar[gettext.NullTranslations | None] = ContextVar(
    "ticketcore_translations", default=None
)
_locale: ContextVar[str] = ContextVar("ticketcore_locale", default="en")
_zone: ContextVar[str] = ContextVar("ticketcore_zone", default="UTC")


def use_language(locale: str, zone: str) -> None:
    """Set the language and time zone of what this request renders (and its `_()` strings)."""
    _translations.set(translations_for(locale))
    _locale.set(locale)
    _zone.set(zone)


def gettext_(message: str, **values: Any) -> str:
    """Translate `message` for the current request; `%(name)s` placeholders are filled."""
    text = (_translations.get() or _ENGLISH).gettext(message)
    return text % values if values else text


def ngettext_(singular: str, plural: str, n: int, **values: Any) -> str:
    text = (_translations.get() or _ENGLISH).ngettext(singular, plural, n)
    return text % {"num": n, **values}


def make_environment(host_dirs: Sequence[str | Path] = ()) -> Environment:
    """Host directories override any template; `ticketcore:<name>` always reaches the original,
    so an override can extend what it replaces."""
    packaged = FileSystemLoader(str(TEMPLATES_DIR))
    loader = ChoiceLoader(
        [
            *(FileSystemLoader(str(d)) for d in host_dirs),
            packaged,
            PrefixLoader({"ticketcore": packaged}, delimiter=":"),
        ]
    )
    env = Environment(
        loader=loader,
        autoescape=select_autoescape(default=True, default_for_string=True),
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_callables(  # type: ignore[attr-defined]
        gettext=lambda s, **kw: gettext_(s, **kw),
        ngettext=lambda s, p, n, **kw: ngettext_(s, p, n, **kw),
        newstyle=True,
    )
    env.globals["options"] = options
    env.filters["datetime"] = format_when
    env.filters["filesize"] = lambda size: format_size(int(size), _locale.get())
    return env


def options(choices: Mapping[Any, str], selected: str | None = None) -> Markup:
    """The `<option>` tags of a select, value → label, with `selected` (a value as the query
    string gives it) chosen. Built here rather than by a template loop: a queue's filters
    list every organization, and as a loop they were a fifth of the page's rendering."""
    tags = []
    for value, label in choices.items():
        key = str(value)
        chosen = " selected" if key == selected else ""
        tags.append(f'<option value="{html.escape(key)}"{chosen}>{html.escape(label)}</option>')
    return Markup("".join(tags))


def format_when(value: datetime | None, style: str = "medium") -> str:
    """A moment in the reader's zone and language; empty for None."""
    if value is None:
        return ""
    locale_name = _locale.get()
    zone, _ = _reader(_zone.get(), locale_name)
    local = value.astimezone(zone)
    day = _day(local.date(), locale_name)
    if style == "date":
        return day
    return f"{day}, {_clock(local.hour, local.minute, locale_name)}"


# A list page shows fifty moments, mostly of a few days: each day and each minute of the clock
# is put in words once per language, not once per moment.
@functools.lru_cache(maxsize=4096)
def _day(day: date, locale_name: str) -> str:
    return format_date(day, "medium", locale=_reader("UTC", locale_name)[1])


@functools.lru_cache(maxsize=4096)
def _clock(hour: int, minute: int, locale_name: str) -> str:
    return format_time(time(hour, minute), "short", locale=_reader("UTC", locale_name)[1])


@functools.lru_cache(maxsize=256)
def _reader(zone_name: str, locale_name: str) -> tuple[ZoneInfo, Locale]:
    """The zone and Babel locale of a reader, parsed once: a queue page formats fifty dates,
    and parsing the locale's name each time was half the cost of formatting one."""
    try:
        zone = ZoneInfo(zone_name)
    except (ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo("UTC")
    try:
        locale = Locale.parse(locale_name)
    except (ValueError, UnknownLocaleError):
        locale = Locale.parse("en")
    return zone, locale
