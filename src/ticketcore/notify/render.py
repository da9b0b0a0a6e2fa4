"""Email templates: every notification is a subject, a plain-text body and an HTML body,
rendered from Jinja2 templates the host can override and translate, branded from settings.

Templates live in `templates/ticketcore/email/` as `<event>_subject.txt`,
`<event>_message.txt` and `<event>_message.html` (the HTML ones extend `layout.html`).
A host overrides any of them by putting a file with the same path (for example
`ticketcore/email/agent_replied_message.html`) into a directory named in the environment variable
`TICKETCORE_EMAIL_TEMPLATE_DIRS` (several separated by `os.pathsep`); the packaged original stays
reachable as `ticketcore:ticketcore/email/...`, so an override can extend it instead of copying
it. The variable is read once per `Helpdesk`, when its first email is rendered.

Every visible string is marked for gettext (`{% trans %}`, `_()`); `translations_for(locale)`
looks for a compiled catalog of the `ticketcore` domain and falls back to English, so catalogs can
be added later without touching a template.
"""

from __future__ import annotations

import gettext
import logging
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from babel import Locale, UnknownLocaleError
from babel.support import Translations
from babel.units import format_unit
from jinja2 import (
    BaseLoader,
    ChoiceLoader,
    Environment,
    FileSystemLoader,
    PackageLoader,
    PrefixLoader,
    StrictUndefined,
    TemplateNotFound,
    select_autoescape,
)

if TYPE_CHECKING:
    from ..helpdesk import Helpdesk
    from ..settings import Settings

__all__ = [
    "TEMPLATE_DIRS_ENV",
    "RenderedEmail",
    "email_environment",
    "format_size",
    "guest_url",
    "one_line",
    "render_email",
    "ticket_url",
    "translations_for",
]

log = logging.getLogger("ticketcore.notify")

TEMPLATE_DIRS_ENV = "TICKETCORE_EMAIL_TEMPLATE_DIRS"
TEMPLATE_PREFIX = "ticketcore/email/"
LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"
_CACHE_KEY = "_ticketcore_email_environment"


@dataclass(frozen=True)
class RenderedEmail:
    subject: str
    text: str
    html: str | None


# ---------------------------------------------------------------------------- environment


def _packaged_loader() -> BaseLoader:
    return PackageLoader("ticketcore.notify", "templates")


def _make_environment(host_dirs: list[str]) -> Environment:
    loaders: list[BaseLoader] = []
    if host_dirs:
        loaders.append(FileSystemLoader(host_dirs))
    loaders.append(_packaged_loader())
    # `{% extends "ticketcore:ticketcore/email/layout.html" %}` reaches the original even when
    # a host directory overrides the same name.
    loaders.append(PrefixLoader({"ticketcore": _packaged_loader()}, delimiter=":"))
    env = Environment(
        loader=ChoiceLoader(loaders),
        autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False),
        extensions=["jinja2.ext.i18n"],
        undefined=StrictUndefined,  # a typo in an override fails loudly instead of going blank
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
        # Packaged templates change only with the package; asking the file system whether they
        # did costs a stat per template per email. A host's own templates are still re-read.
        auto_reload=bool(host_dirs),
    )
    # Whitespace inside {% trans %} blocks is collapsed, so a sentence can wrap in the template
    # and still be one message in the catalog.
    env.policies["ext.i18n.trimmed"] = True
    env.install_null_translations(newstyle=False)  # type: ignore[attr-defined]
    return env


def email_environment(helpdesk: Helpdesk) -> Environment:
    """The Jinja2 environment of `helpdesk`'s emails, kept on the helpdesk after first use.

    Host directories from `TICKETCORE_EMAIL_TEMPLATE_DIRS` come first, then the packaged
    templates, then the packaged templates again under the `ticketcore:` prefix. Helpdesks with
    the same directories share one environment, so templates are compiled once per process.
    """
    cached = helpdesk.__dict__.get(_CACHE_KEY)
    if isinstance(cached, Environment):
        return cached
    host_dirs = [d for d in os.environ.get(TEMPLATE_DIRS_ENV, "").split(os.pathsep) if d.strip()]
    env = _shared_environment(tuple(host_dirs))
    helpdesk.__dict__[_CACHE_KEY] = env
    return env


@lru_cache(maxsize=16)
def _shared_environment(host_dirs: tuple[str, ...]) -> Environment:
    return _make_environment(list(host_dirs))


def _packaged_environment() -> Environment:
    """The packaged templates alone: the fallback when a host's override is broken."""
    return _shared_environment(())


@lru_cache(maxsize=64)
def translations_for(locale: str) -> gettext.NullTranslations:
    """The `ticketcore` catalog for `locale` (`fr`, `pt_BR`, `de-CH`), or English when none is
    installed. Catalogs are looked up in `ticketcore/locale/<lang>/LC_MESSAGES/ticketcore.mo`."""
    try:
        parsed = Locale.parse(locale, sep="-" if "-" in locale else "_")
    except (UnknownLocaleError, ValueError, TypeError):
        return gettext.NullTranslations()
    return Translations.load(str(LOCALE_DIR), [parsed], domain="ticketcore")


# ---------------------------------------------------------------------------- rendering


def render_email(
    helpdesk: Helpdesk, event: str, context: Mapping[str, Any], *, locale: str = "en"
) -> RenderedEmail:
    """Render the three parts of `event`'s email for one recipient, in their `locale`.

    A host template that fails to render is logged and replaced by the packaged one: a typo in
    an override must not make every reply on the site fail.
    """
    env = email_environment(helpdesk)
    try:
        return _render(env, event, context, locale)
    except Exception:
        if not _has_host_dirs(env):
            raise
        log.exception("email template for %s failed; using the packaged one", event)
        return _render(_packaged_environment(), event, context, locale)


def _has_host_dirs(env: Environment) -> bool:
    loader = env.loader
    return isinstance(loader, ChoiceLoader) and isinstance(loader.loaders[0], FileSystemLoader)


def _render(env: Environment, event: str, context: Mapping[str, Any], locale: str) -> RenderedEmail:
    translations = translations_for(locale)
    values: dict[str, Any] = {
        **context,
        "gettext": translations.gettext,
        "ngettext": translations.ngettext,
        "_": translations.gettext,
        "locale": locale,
    }
    name = f"{TEMPLATE_PREFIX}{event}"
    subject = one_line(env.get_template(f"{name}_subject.txt").render(values))
    text = _BLANK_LINES.sub("\n\n", env.get_template(f"{name}_message.txt").render(values))
    text = text.strip() + "\n"
    try:
        html_template = env.get_template(f"{name}_message.html")
    except TemplateNotFound:
        html = None
    else:
        html = html_template.render(values).strip() + "\n"
    return RenderedEmail(subject=subject, text=text, html=html)


# Optional parts of a text template leave blank lines behind; one blank line is enough.
_BLANK_LINES = re.compile(r"\n(?:[ \t]*\n){2,}")
_LINE_BREAKS = re.compile(r"[\s\x00-\x1f\x7f\u2028\u2029\x85]+")


def one_line(text: str, limit: int = 900) -> str:
    """`text` as one header-safe line: every run of whitespace and control characters (CR, LF,
    tab, NUL, Unicode line separators) becomes one space, so a subject or a name can never start
    another header. Cut to `limit` characters (a header line may hold 998 octets)."""
    flat = _LINE_BREAKS.sub(" ", text).strip()
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


# ---------------------------------------------------------------------------- links and sizes


def ticket_url(settings: Settings, *, track_id: str, staff: bool) -> str:
    """Where a ticket is read: its page in the customer portal, or in the agent portal."""
    base = settings.site_url.rstrip("/")
    if staff:
        return f"{base}{settings.agent_path}/tickets/{track_id}"
    return f"{base}/tickets/{track_id}"


def guest_url(settings: Settings, *, track_id: str, token: str) -> str:
    """The secret link that opens one ticket for its guest requester without an account."""
    return f"{settings.site_url.rstrip('/')}/tickets/{track_id}?token={token}"


def format_size(size: int, locale: str = "en") -> str:
    """ "512 bytes", "12 kB", "3.4 MB" in the reader's language."""
    try:
        if size < 1024:
            return format_unit(size, "digital-byte", length="long", locale=locale)
        if size < 1024 * 1024:
            return format_unit(
                round(size / 1024), "digital-kilobyte", length="short", locale=locale
            )
        value = round(size / (1024 * 1024), 1)
        return format_unit(value, "digital-megabyte", length="short", locale=locale)
    except (UnknownLocaleError, ValueError, TypeError):
        return f"{size} bytes"
