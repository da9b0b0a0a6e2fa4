"""Portal settings in administration: who may open tickets, what customers see, what a reply
to a closed ticket does, auto-close, branding and attachment limits.

Each setting shows where its value comes from (ticketcore's default, the site's configuration,
or a change made here), and a change made here can be undone with its own button, which brings
the configured value back. Only what is changed on the form is stored.
"""

from __future__ import annotations

from typing import Any

from markupsafe import Markup

from ....errors import InvalidInput
from ....schemas import SiteSettingOut
from ...context import RequestContext
from ...forms import Form
from ...http import Response
from ...routing import Router
from ...templating import gettext_ as _

TEMPLATE = "ticketcore/agent/admin/settings.html"
MEGABYTE = 1024 * 1024
CHECKBOXES = ("guest_tickets", "public_tickets")
# The form's name for a setting when it differs: sizes are typed in megabytes.
FORM_NAMES = {"max_attachment_bytes": "max_attachment_mb"}


def register(router: Router, prefix: str) -> None:
    base = f"{prefix}/admin/settings"
    router.add(base, "agent.admin.settings", settings_page)
    router.add(base, "agent.admin.settings_update", update, methods=("POST",))
    router.add(f"{base}/reset", "agent.admin.settings_reset", reset, methods=("POST",))


def settings_page(ctx: RequestContext) -> Response:
    current = ctx.helpdesk.site_settings.current(ctx.actor)
    form = Form({FORM_NAMES.get(name, name): _shown(out) for name, out in current.items()})
    return _render(ctx, form, current)


def update(ctx: RequestContext) -> Response:
    site = ctx.helpdesk.site_settings
    form = ctx.form()
    changes = _read(form, site.EDITABLE)
    if form.ok:
        try:
            site.update(ctx.actor, changes)
        except InvalidInput as exc:
            form.absorb(exc, fields=FORM_NAMES)
        else:
            ctx.flash(_("Portal settings saved."))
            return ctx.redirect("agent.admin.settings")
    return _render(ctx, form, site.current(ctx.actor), status=400)


def reset(ctx: RequestContext) -> Response:
    site = ctx.helpdesk.site_settings
    name = ctx.request.form.get("name")
    current = site.current(ctx.actor)
    if name not in current:
        raise InvalidInput(_("There is no such setting."))
    site.reset(ctx.actor, name)
    ctx.flash(_("“%(label)s” is back to its configured value.", label=_labels()[name]))
    return ctx.redirect("agent.admin.settings")


def _shown(out: SiteSettingOut) -> str:
    """A value as its input shows it."""
    value = out.value
    if out.name == "max_attachment_bytes":
        return f"{value / MEGABYTE:g}"
    if isinstance(value, bool):
        return "1" if value else ""
    if isinstance(value, tuple | list):
        return ", ".join(map(str, value))
    return str(value)


def _read(form: Form, editable: tuple[str, ...]) -> dict[str, Any]:
    """Every setting from the form, as the core takes it; the size from megabytes."""
    changes: dict[str, Any] = {}
    for name in editable:
        if name in CHECKBOXES:
            changes[name] = form[name] == "1"
        elif name == "max_attachment_bytes":
            try:
                megabytes = float(form["max_attachment_mb"].replace(",", "."))
            except ValueError:
                megabytes = -1.0
            if not 0 < megabytes <= 1_000_000:
                form.error("max_attachment_mb", _("Enter a size in megabytes, for example 10."))
                continue
            changes[name] = round(megabytes * MEGABYTE)
        else:
            changes[name] = form[name].strip()
    return changes


def _labels() -> dict[str, str]:
    return {
        "site_name": _("Site name"),
        "logo_url": _("Logo address"),
        "brand_color": _("Brand colour"),
        "guest_tickets": _("Visitors without an account may open tickets"),
        "organization_visibility": _("Customers see their organization's tickets"),
        "public_tickets": _("Tickets may be made public"),
        "reply_on_closed": _("A customer reply to a resolved or closed ticket"),
        "auto_close_days": _("Close resolved tickets after (days)"),
        "max_attachment_bytes": _("Largest attachment (MB)"),
        "max_attachments_per_message": _("Files per message"),
        "blocked_attachment_extensions": _("Refused file types"),
    }


def _render(
    ctx: RequestContext, form: Form, current: dict[str, SiteSettingOut], status: int = 200
) -> Response:
    return ctx.render(
        TEMPLATE,
        status=status,
        count_attrs=Markup('min="0"'),  # constants, not user text
        size_attrs=Markup('min="0" step="any"'),
        form=form,
        current=current,
        labels=_labels(),
        configured={name: _shown_value(name, out.configured) for name, out in current.items()},
        defaults={name: _shown_value(name, out.default) for name, out in current.items()},
        visibility=[
            ("none", _("No: only their own tickets")),
            ("view", _("Yes, to read")),
            ("view_and_reply", _("Yes, to read and reply")),
        ],
        closed_replies=[
            ("reopen", _("reopens the ticket")),
            ("refuse", _("is refused with a message")),
            ("allow", _("is added without reopening")),
        ],
    )


def _shown_value(name: str, value: Any) -> str:
    """A configured value in words, for "the configured value is …"."""
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if name == "max_attachment_bytes":
        return _("%(size)s MB", size=f"{value / MEGABYTE:g}")
    if isinstance(value, tuple | list):
        return ", ".join(map(str, value)) or _("none")
    return str(value) or _("empty")
