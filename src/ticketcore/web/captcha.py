"""The CAPTCHA hooks as every portal form uses them: the widget's markup, and the check whose
messages go above the form (which keeps its input)."""

from __future__ import annotations

from markupsafe import Markup

from .context import RequestContext
from .forms import Form
from .templating import gettext_ as _


def captcha_markup(ctx: RequestContext, form_name: str) -> Markup | None:
    """The widget a plugin offers for `form_name` ("register", "login", "guest"); trusted
    markup from the `captcha_html` hook, or None."""
    html = ctx.helpdesk.hook.captcha_html(helpdesk=ctx.helpdesk, form=form_name)
    return Markup(str(html)) if html else None


def captcha_refused(ctx: RequestContext, form_name: str, form: Form) -> bool:
    """Ask the `verify_captcha` plugins; each refusal becomes a message above `form`."""
    results = ctx.helpdesk.hook.verify_captcha(
        helpdesk=ctx.helpdesk,
        form=form_name,
        values=ctx.request.form.to_dict(),
        remote_addr=ctx.request.remote_addr,
    )
    refused = [r for r in results if r is not None]
    for message in refused:
        form.error("", str(message) or _("Please prove you are not a robot."))
    return bool(refused)
